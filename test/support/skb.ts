// Test support (allocates freely; not for hot paths): skbs built from frame bytes as a
// driver would build them — linear, with the payload in page fragments, or as a frag_list chain —
// and the FlowExpectation of a byte stream.
import { sumBytes, fold } from '../../wire/checksum.ts';
import { StreamHash } from '../../wire/stream-hash.ts';
import type { FlowExpectation, FlowKey } from '../../sim/flows.ts';
import {
  SkBuff,
  type SkbPool,
  ethTypeTrans,
  CHECKSUM_NONE,
  CHECKSUM_COMPLETE,
  ETH_HLEN,
  type IpSummed,
} from '../../stack/skb.ts';

export interface SkbFromFrameOptions {
  pool?: SkbPool;
  ipSummed?: IpSummed;
  /** CHECKSUM_COMPLETE sum; default: the correct one (16-bit sum of everything after the Ethernet header). */
  csum?: number;
  arrivalNs?: number;
  queue?: number;
  frameId?: number;
  wireFrames?: number;
  gsoSegs?: number;
  gsoSize?: number;
  /** Bytes of the frame in the linear part; the rest goes to page fragments of at most `fragSize` (default 4096). */
  headLen?: number;
  fragSize?: number;
  /** Instead of page fragments, put the rest in a frag_list chain of skbs of `chainSize` bytes each. */
  chainSize?: number;
  /** Skip eth_type_trans (the stack then runs it). */
  raw?: boolean;
}

/** An skb holding a copy of `frame` (after eth_type_trans unless `raw`). */
export function skbFromFrame(frame: Uint8Array, o: SkbFromFrameOptions = {}): SkBuff {
  const bytes = frame.slice();
  const skb = o.pool ? o.pool.get() : new SkBuff();
  const headLen = Math.min(o.headLen ?? bytes.length, bytes.length);
  skb.setLinear(bytes, 0, headLen);
  skb.truesize = bytes.length;
  let off = headLen;
  if (o.chainSize !== undefined) {
    let last: SkBuff | null = null;
    while (off < bytes.length) {
      const n = Math.min(o.chainSize, bytes.length - off);
      const c = new SkBuff().setLinear(bytes.slice(off, off + n), 0, n);
      if (last === null) skb.fragList = c;
      else last.next = c;
      last = c;
      skb.len += n;
      skb.dataLen += n;
      off += n;
    }
  } else {
    const fs = o.fragSize ?? 4096;
    while (off < bytes.length) {
      const n = Math.min(fs, bytes.length - off);
      const page = new Uint8Array(4096);
      page.set(bytes.subarray(off, off + n), 100); // not at offset 0, as a real page fragment often is
      skb.addFrag(page, 100, n);
      off += n;
    }
  }
  skb.ipSummed = o.ipSummed ?? CHECKSUM_NONE;
  if (skb.ipSummed === CHECKSUM_COMPLETE) skb.csum = o.csum ?? fold(sumBytes(bytes, ETH_HLEN, bytes.length - ETH_HLEN));
  skb.arrivalNs = o.arrivalNs ?? 0;
  skb.queue = o.queue ?? 0;
  skb.frameId = o.frameId ?? -1;
  skb.wireFrames = o.wireFrames ?? 1;
  skb.gsoSegs = o.gsoSegs ?? 0;
  skb.gsoSize = o.gsoSize ?? 0;
  if (!o.raw) ethTypeTrans(skb);
  return skb;
}

/** The expectation for a flow that sends `stream` starting at sequence `isn`. */
export function expectationOf(key: FlowKey, isn: number, stream: Uint8Array): FlowExpectation {
  const h = new StreamHash();
  h.update(stream, 0, stream.length);
  return { key, isn, bytes: stream.length, digest: h.digest() };
}

/** A deterministic test stream: byte i = (i·7 + seed) & 0xff, varied enough that misordering changes the digest. */
export function testStream(n: number, seed = 1): Uint8Array {
  const s = new Uint8Array(n);
  for (let i = 0; i < n; i++) s[i] = (i * 7 + seed + (i >> 8)) & 0xff;
  return s;
}
