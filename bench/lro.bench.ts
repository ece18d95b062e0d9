// LRO and GRO throughput: 1448-byte TCP segments with timestamps from a preallocated frame ring
// (seq, IP ID and checksums rewritten in place), skbs from a pool, freed by the sink, flush every 64.
import { frame } from '../wire/index.ts';
import { w16, w32 } from '../wire/bytes.ts';
import { ipv4HeaderLength } from '../wire/fields.ts';
import { CHECKSUM_UNNECESSARY, SkbPool, ethTypeTrans, freeSkb } from '../stack/skb.ts';
import type { SkBuff } from '../stack/skb.ts';
import type { RxSink } from '../stack/rx-sink.ts';
import { LroManager, type LroHeader, LRO_IPV4, LRO_TCP } from '../lro/inet-lro.ts';
import { GroEngine } from '../lro/gro.ts';
import type { BenchCase } from './run.ts';
import { IP, TCPH, builtChecksums, stampSeqAndId } from './frame-stamp.ts';

const RING = 1024;
const FLUSH_EVERY = 64;

/** Frees what the engine delivers; an aggregate's head frame first gets back the header fields its flush rewrote. */
export class FreeingSink implements RxSink {
  delivered = 0;
  netifReceiveSkb(skb: SkBuff): void {
    this.delivered++;
    if (skb.wireFrames > 1) restoreBuiltFields(skb.buf);
    freeSkb(skb);
  }
  netifRx(skb: SkBuff): void {
    this.netifReceiveSkb(skb);
  }
  vlanHwaccelReceiveSkb(skb: SkBuff): void {
    this.netifReceiveSkb(skb);
  }
  vlanHwaccelRx(skb: SkBuff): void {
    this.netifReceiveSkb(skb);
  }
}

/**
 * The fields LRO/GRO rewrite in an aggregate's head when they flush it (IP length, ack, flags, window, TSecr),
 * back to their values as built, so that the slot's next use starts from the frame as built. Only a head frame
 * is written (the merged segments' headers stay as they came), so only a head needs this.
 */
function restoreBuiltFields(b: Uint8Array): void {
  w16(b, IP + 2, 1500);
  w32(b, TCPH + 8, 1);
  b[TCPH + 13] = 0x10;
  w16(b, TCPH + 14, 5000);
  w32(b, TCPH + 28, 2000);
}

/** A ring of frames for `flows` flows (slot s carries flow s % flows); `next(k)` readies packet k in its slot. */
export class FrameRing {
  readonly frames: Uint8Array[] = [];
  /** Checksums as built (seq 0, ID 0), from which next() derives each packet's. */
  private readonly ipCsum0 = new Uint16Array(RING);
  private readonly tcpCsum0 = new Uint16Array(RING);
  /** The flow of each slot (s % flows, looked up rather than divided per packet). */
  private readonly slotFlow = new Uint16Array(RING);
  private readonly flowSeq: Uint32Array;
  private readonly flowId: Uint16Array;
  constructor(readonly flows: number) {
    this.flowSeq = new Uint32Array(flows);
    this.flowId = new Uint16Array(flows);
    for (let s = 0; s < RING; s++) {
      const f = s % flows;
      const fr = frame()
        .ipv4({ id: 0 })
        .tcp({ sport: 10000 + f, seq: 0, ack: 1, ts: [1000, 2000], window: 5000 })
        .payload(1448)
        .build();
      this.frames.push(fr);
      const c = builtChecksums(fr);
      this.ipCsum0[s] = c.ip;
      this.tcpCsum0[s] = c.tcp;
      this.slotFlow[s] = f;
    }
  }
  /** Rewrites seq and IP ID of slot k % RING to the flow's next values (RFC 1624 checksum updates). */
  next(k: number): Uint8Array {
    const s = k & (RING - 1),
      f = this.slotFlow[s]!;
    const b = this.frames[s]!;
    const seq = this.flowSeq[f]!,
      id = this.flowId[f]!;
    stampSeqAndId(b, seq, id, this.tcpCsum0[s]!, this.ipCsum0[s]!);
    this.flowSeq[f] = (seq + 1448) >>> 0;
    this.flowId[f] = (id + 1) & 0xffff;
    return b;
  }
}

export function skbFor(pool: SkbPool, b: Uint8Array): SkBuff {
  const skb = pool.get();
  skb.setLinear(b, 0, b.length);
  skb.truesize = 2048;
  skb.ipSummed = CHECKSUM_UNNECESSARY;
  ethTypeTrans(skb);
  return skb;
}

/** eHEA-style get_skb_header: IP at skb.data, TCP after the IP header. */
export function getSkbHeader(skb: SkBuff, out: LroHeader): boolean {
  const b = skb.buf,
    iph = skb.data;
  out.buf = b;
  out.iphOff = iph;
  out.tcphOff = iph + ipv4HeaderLength(b, iph);
  out.flags = b[iph + 9] === 6 ? LRO_IPV4 | LRO_TCP : LRO_IPV4;
  return true;
}

function lroCase(name: string, flows: number): BenchCase {
  const sink = new FreeingSink();
  const pool = new SkbPool(1024);
  const lro = new LroManager({ maxDesc: 8, maxAggr: 64, mtu: 1500, sink, getSkbHeader, skbPool: pool });
  let ring: FrameRing | null = null;
  let k = 0;
  return {
    name,
    run(n) {
      ring ??= new FrameRing(flows);
      const d0 = sink.delivered,
        a0 = lro.stats.aggregated,
        nd0 = lro.stats.no_desc;
      for (let i = 0; i < n; i++) {
        lro.receiveSkb(skbFor(pool, ring.next(k)), null);
        if ((++k & (FLUSH_EVERY - 1)) === 0) lro.flushAll();
      }
      return {
        packets: n,
        delivered: sink.delivered - d0,
        aggregated: lro.stats.aggregated - a0,
        no_desc: lro.stats.no_desc - nd0,
      };
    },
  };
}

function groCase(name: string, flows: number): BenchCase {
  const sink = new FreeingSink();
  const pool = new SkbPool(1024);
  const gro = new GroEngine({ sink });
  let ring: FrameRing | null = null;
  let k = 0;
  return {
    name,
    run(n) {
      ring ??= new FrameRing(flows);
      const d0 = sink.delivered,
        m0 = gro.stats.merged;
      for (let i = 0; i < n; i++) {
        gro.groReceive(skbFor(pool, ring.next(k)));
        if ((++k & (FLUSH_EVERY - 1)) === 0) gro.flush();
      }
      return { packets: n, delivered: sink.delivered - d0, merged: gro.stats.merged - m0 };
    },
  };
}

/** The harness alone: the same frames readied and wrapped in pooled skbs, freed at once, no engine (the floor under the engine cases). */
function harnessCase(name: string, flows: number): BenchCase {
  const sink = new FreeingSink();
  const pool = new SkbPool(1024);
  let ring: FrameRing | null = null;
  let k = 0;
  return {
    name,
    run(n) {
      ring ??= new FrameRing(flows);
      const d0 = sink.delivered;
      for (let i = 0; i < n; i++) sink.netifReceiveSkb(skbFor(pool, ring.next(k++)));
      return { packets: n, delivered: sink.delivered - d0 };
    },
  };
}

export const cases: BenchCase[] = [
  lroCase('lro-1flow', 1),
  lroCase('lro-8flows', 8),
  lroCase('lro-64flows', 64),
  groCase('gro-1flow', 1),
  harnessCase('engine-harness-1flow', 1),
];
