// Software GSO for TCPv4 (tcp_gso_segment): cuts an aggregate into gso_size segments, each with its
// own IP total length, ID (incremented unless SKB_GSO_TCP_FIXEDID), checksum, TCP seq and full TCP
// checksum; PSH/FIN stay on the last segment, CWR on the first. Not a hot path: it allocates.
import { r16, r32, w16 } from '../wire/bytes.ts';
import { IPV4, TCP, TCP_FLAG, checksum, fold, sumBytes } from '../wire/index.ts';
import { CHECKSUM_NONE, SKB_GSO_TCP_FIXEDID, SkBuff } from './skb.ts';

export interface GsoSegment {
  /** The segment as on the wire: MAC header (if the skb had one) + IPv4 + TCP + payload. */
  frame: Uint8Array;
  /** Offset of the IPv4 header in `frame`. */
  ipOffset: number;
}

/**
 * Segments `skb` (data at the IPv4 header; MAC header kept when `macHeader` is set) into wire frames
 * of at most `gsoSize` payload bytes. An skb with gso_size 0 gives one segment.
 */
export function segmentFrames(skb: SkBuff): GsoSegment[] {
  const first = new Uint8Array(Math.min(skb.len, 60 + 60));
  skb.copyBits(0, first, 0, first.length);
  const ihl = (first[0]! & 0x0f) << 2;
  const doff = (first[ihl + TCP.DOFF]! >>> 4) << 2;
  const hdrLen = ihl + doff;
  const total = skb.len - hdrLen;
  const mss = skb.gsoSize > 0 ? skb.gsoSize : Math.max(total, 1);
  const macLen = skb.macHeader >= 0 ? skb.data - skb.macHeader : 0;
  const fixedId = (skb.gsoType & SKB_GSO_TCP_FIXEDID) !== 0;
  const id0 = r16(first, IPV4.ID);
  const seq0 = r32(first, ihl + TCP.SEQ);
  const flags0 = first[ihl + TCP.FLAGS]!;
  const out: GsoSegment[] = [];
  let off = 0,
    i = 0;
  do {
    const n = Math.min(mss, total - off);
    const last = off + n >= total;
    const f = new Uint8Array(macLen + hdrLen + n);
    if (macLen > 0) f.set(skb.buf.subarray(skb.macHeader, skb.data), 0);
    f.set(first.subarray(0, hdrLen), macLen);
    skb.copyBits(hdrLen + off, f, macLen + hdrLen, n);
    const ip = macLen,
      th = macLen + ihl;
    w16(f, ip + IPV4.TOT_LEN, hdrLen + n);
    w16(f, ip + IPV4.ID, fixedId ? id0 : (id0 + i) & 0xffff);
    w16(f, ip + IPV4.CSUM, 0);
    w16(f, ip + IPV4.CSUM, checksum(f, ip, ihl));
    const seq = (seq0 + off) >>> 0;
    f[th + TCP.SEQ] = seq >>> 24;
    f[th + TCP.SEQ + 1] = seq >>> 16;
    f[th + TCP.SEQ + 2] = seq >>> 8;
    f[th + TCP.SEQ + 3] = seq;
    let fl = flags0;
    if (!last) fl &= ~(TCP_FLAG.PSH | TCP_FLAG.FIN);
    if (i > 0) fl &= ~TCP_FLAG.CWR;
    f[th + TCP.FLAGS] = fl;
    w16(f, th + TCP.CSUM, 0);
    const s = sumBytes(f, ip + IPV4.SRC, 8) + 6 + (doff + n) + sumBytes(f, th, doff + n);
    w16(f, th + TCP.CSUM, ~fold(s) & 0xffff);
    out.push({ frame: f, ipOffset: macLen });
    off += n;
    i++;
  } while (off < total);
  return out;
}

/** skb_gso_segment: the segments as fresh linear skbs (after eth_type_trans-like setup: data at the IP header). */
export function segment(skb: SkBuff): SkBuff[] {
  return segmentFrames(skb).map(({ frame, ipOffset }) => {
    const s = new SkBuff();
    s.setLinear(frame, ipOffset, frame.length - ipOffset, ipOffset);
    if (ipOffset > 0) s.macHeader = 0;
    s.networkHeader = ipOffset;
    s.transportHeader = ipOffset + ((frame[ipOffset]! & 0x0f) << 2);
    s.protocol = skb.protocol;
    s.vlanPresent = skb.vlanPresent;
    s.vlanTci = skb.vlanTci;
    s.queue = skb.queue;
    s.arrivalNs = skb.arrivalNs;
    s.ipSummed = CHECKSUM_NONE;
    s.truesize = frame.length;
    return s;
  });
}
