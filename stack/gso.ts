// Software GSO for TCP over IPv4 and IPv6 (tcp_gso_segment): cuts an aggregate into gso_size segments, each with its
// own IP length (IPv4: total length, ID incremented unless SKB_GSO_TCP_FIXEDID, header checksum; IPv6: payload
// length), TCP seq and full TCP checksum; PSH/FIN stay on the last segment, CWR on the first. The headers are found
// through wire's layout. Not a hot path: it allocates.
import { r16, r32, w16, w32 } from '../wire/bytes.ts';
import { IPV4, IPV6, TCP, TCP_FLAG, fold, sumBytes } from '../wire/index.ts';
import { fillIpv4HeaderChecksum } from '../wire/fields.ts';
import { l4PseudoHeaderSum } from '../wire/l4checksum.ts';
import { CHECKSUM_NONE, SKB_GSO_TCP_FIXEDID, SkBuff } from './skb.ts';
import { SkbLayout } from './packet-layout.ts';

export interface GsoSegment {
  /** The segment as on the wire: MAC header (if the skb had one) + IPv4 or IPv6 (with its extension headers) + TCP + payload. */
  frame: Uint8Array;
  /** Offset of the IP header in `frame`. */
  ipOffset: number;
  /** Offset of the TCP header in `frame`. */
  tcpOffset: number;
}

const headers = new SkbLayout();

/**
 * Segments `skb` (data at the IP header, `protocol` ETH_P_IP or ETH_P_IPV6; MAC header kept when `macHeader` is set)
 * into wire frames of at most `gsoSize` payload bytes. An skb with gso_size 0 gives one segment. Throws for an skb
 * that is not an unfragmented TCP packet (a caller's bug: only TCP aggregates carry gso_size).
 */
export function segmentFrames(skb: SkBuff): GsoSegment[] {
  const L = headers.lay(skb, skb.protocol);
  if (!L.isTcp) throw new RangeError(`GSO: the skb is not an unfragmented TCP packet (${L.refusal ?? 'not TCP'})`);
  const v6 = L.isIpv6;
  const l4 = L.l4;
  const hdrLen = L.headerLength;
  const first = headers.buf.slice(headers.base, headers.base + hdrLen);
  const total = L.ipEnd - hdrLen;
  const mss = skb.gsoSize > 0 ? skb.gsoSize : Math.max(total, 1);
  const macLen = skb.macHeader >= 0 ? skb.data - skb.macHeader : 0;
  const fixedId = (skb.gsoType & SKB_GSO_TCP_FIXEDID) !== 0;
  const id0 = v6 ? 0 : r16(first, IPV4.ID);
  const seq0 = r32(first, l4 + TCP.SEQ);
  const flags0 = first[l4 + TCP.FLAGS]!;
  const out: GsoSegment[] = [];
  let off = 0,
    i = 0;
  do {
    const n = Math.min(mss, total - off);
    const last = off + n >= total;
    const f = new Uint8Array(macLen + hdrLen + n);
    if (macLen > 0) f.set(skb.buf.subarray(skb.macHeader, skb.data), 0);
    f.set(first, macLen);
    skb.copyBits(hdrLen + off, f, macLen + hdrLen, n);
    const ip = macLen,
      th = macLen + l4;
    if (v6) w16(f, ip + IPV6.PAYLOAD_LEN, hdrLen - IPV6.HLEN + n);
    else {
      w16(f, ip + IPV4.TOT_LEN, hdrLen + n);
      w16(f, ip + IPV4.ID, fixedId ? id0 : (id0 + i) & 0xffff);
      fillIpv4HeaderChecksum(f, ip);
    }
    w32(f, th + TCP.SEQ, (seq0 + off) >>> 0);
    let fl = flags0;
    if (!last) fl &= ~(TCP_FLAG.PSH | TCP_FLAG.FIN);
    if (i > 0) fl &= ~TCP_FLAG.CWR;
    f[th + TCP.FLAGS] = fl;
    w16(f, th + TCP.CSUM, 0);
    const tcpLen = hdrLen - l4 + n;
    w16(f, th + TCP.CSUM, ~fold(sumBytes(f, th, tcpLen, l4PseudoHeaderSum(f, ip, L, tcpLen))) & 0xffff);
    out.push({ frame: f, ipOffset: macLen, tcpOffset: th });
    off += n;
    i++;
  } while (off < total);
  return out;
}

/** skb_gso_segment: the segments as fresh linear skbs (after eth_type_trans-like setup: data at the IP header). */
export function segment(skb: SkBuff): SkBuff[] {
  return segmentFrames(skb).map(({ frame, ipOffset, tcpOffset }) => {
    const s = new SkBuff();
    s.setLinear(frame, ipOffset, frame.length - ipOffset, ipOffset);
    if (ipOffset > 0) s.macHeader = 0;
    s.networkHeader = ipOffset;
    s.transportHeader = tcpOffset;
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
