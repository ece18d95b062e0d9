// The one frame layout: where every header of an Ethernet frame starts and how long it is, found in one
// pass into a reused object (offsets and small numbers, nothing allocated). Every layer reads frames through
// it and keeps its own decisions; `refusal` names the first thing that makes the frame malformed, exactly
// where decodeFrame (the checked decoder) returns a WireError (test/wire-layout.test.ts holds the two together).

import {
  ARP,
  ETH,
  ETHERTYPE,
  IPPROTO,
  IPV4,
  IPV4_FRAG,
  IPV6,
  IPV6_EXT,
  IPV6_FRAG,
  MAX_IPV6_EXT_HEADERS,
  MAX_VLAN_TAGS,
  TCP,
  UDP,
  VLAN,
} from './constants.ts';
import { r16, r32 } from './bytes.ts';
import { ipv4PacketLength, ipv6PayloadLength } from './big-tcp.ts';
import { TcpOptionScan, scanTcpOptions } from './tcp-options.ts';

/** Every reason a frame's layout is refused, in the order the layers are read: one list yields the type and the names. */
export const LAYOUT_REFUSALS = [
  'runt', // fewer than 14 bytes
  'vlan_truncated', // a tag without its 4 bytes and the EtherType after it
  'vlan_too_many', // more than MAX_VLAN_TAGS stacked tags
  'arp_truncated',
  'arp_address_length',
  'ipv4_truncated',
  'ipv4_version',
  'ipv4_ihl_short',
  'ipv4_ihl_past_frame',
  'ipv4_total_length_short',
  'ipv4_total_length_past_frame',
  'ipv4_option',
  'ipv6_truncated',
  'ipv6_version',
  'ipv6_payload_length_past_frame',
  'ipv6_ext_header_truncated',
  'ipv6_hop_by_hop_not_first',
  'ipv6_too_many_ext_headers',
  'tcp_truncated',
  'tcp_doff_short',
  'tcp_doff_past_segment',
  'tcp_option',
  'udp_truncated',
  'udp_length_short',
  'udp_length_past_packet',
] as const;
export type LayoutRefusal = (typeof LAYOUT_REFUSALS)[number];

/**
 * One frame's headers. Offsets are relative to the `off` given to layoutFrame; -1 (or 0 for lengths) where a header is
 * absent or was refused. Each field is set as soon as its layer is read, so a frame refused at TCP still has its IP
 * fields; a refusal of option bytes (IPv4 or TCP options) leaves every offset set.
 */
export class FrameLayout {
  /** The bytes laid out. */
  len = 0;
  /** Stacked 802.1Q/802.1ad tags read (at 12, 16, …), and the outermost tag's TPID and TCI. */
  vlanCount = 0;
  outerTpid = 0;
  outerTci = 0;
  /** The EtherType after the tags, and where the L3 header starts (-1 when the L2 header was refused). */
  etherType = 0;
  l3 = -1;
  /** 4 or 6 once the IP header's fixed part passed its checks, else 0. */
  ipVersion: 0 | 4 | 6 = 0;
  /** IPv4: IHL bytes. IPv6: 40 + the extension headers walked up to the upper-layer header. */
  ipHdrLen = 0;
  /** End of the IP packet: l3 + IPv4 total length or 40 + IPv6 payload length (Ethernet padding lies after it). */
  ipEnd = -1;
  /** Where the source address starts (the destination follows it), and the address length: 4 or 16. */
  srcOff = -1;
  addrLen = 0;
  /** IPv4 addresses as unsigned numbers (0 for IPv6: read 16 bytes at srcOff). */
  saddr = 0;
  daddr = 0;
  /** A fragment: IPv4 MF or offset; IPv6 a fragment header with M or an offset (an atomic fragment is not one). */
  fragment = false;
  /** The fragment offset in bytes (0 for the first fragment and for whole packets). */
  fragOffset = 0;
  /** The upper-layer protocol (IPv4 protocol, IPv6's last next header), -1 when unknown. */
  l4Proto = -1;
  /** Where the upper-layer protocol's bytes start (l3 + ipHdrLen), -1 when unknown. In a non-first fragment they are data, not a header. */
  l4 = -1;
  /** TCP data offset in bytes, or 8 for UDP, once the header passed its checks; 0 otherwise. */
  l4HdrLen = 0;
  sport = 0;
  dport = 0;
  /** The TCP timestamp option's kind byte, -1 when absent. */
  tsOff = -1;
  /** The bytes after the last header read, and how many belong to the packet (Ethernet padding excluded). */
  payload = -1;
  payloadLen = 0;
  /** The first thing wrong with the frame, null for a well-formed one; `refusalAt` is the offending field's byte offset. */
  refusal: LayoutRefusal | null = null;
  refusalAt = -1;
  /** The TCP options as walked (offsets absolute in the buffer, not relative to `off`). */
  readonly tcpOptions = new TcpOptionScan();

  get isIpv4(): boolean {
    return this.ipVersion === 4;
  }
  get isIpv6(): boolean {
    return this.ipVersion === 6;
  }
  /** An unfragmented TCP packet whose header passed its checks (its options may still be refused). */
  get isTcp(): boolean {
    return this.l4HdrLen > 0 && !this.fragment && this.l4Proto === IPPROTO.TCP;
  }
  /** An unfragmented UDP datagram whose header fits (its length field may still be refused). */
  get isUdp(): boolean {
    return this.l4HdrLen > 0 && !this.fragment && this.l4Proto === IPPROTO.UDP;
  }
  get isTcpOrUdp(): boolean {
    return this.l4HdrLen > 0 && !this.fragment;
  }
  /** Bytes from the frame start to the end of the TCP/UDP header of an unfragmented packet (0 when there is none). */
  get headerLength(): number {
    return this.l4HdrLen > 0 && !this.fragment ? this.l4 + this.l4HdrLen : 0;
  }
}

function refuse(L: FrameLayout, why: LayoutRefusal, at: number): FrameLayout {
  if (L.refusal === null) {
    L.refusal = why;
    L.refusalAt = at;
  }
  return L;
}

/**
 * Lays out `len` bytes of `b` from `off` into `into` (and returns it). Never throws, never allocates. `maxTags` lowers the
 * tag limit for a reader that parses fewer (a NIC that knows an outer and an inner tag): one more ends the layout at L2
 * as `vlan_too_many`, with `etherType` the TPID it stopped at.
 */
export function layoutFrame(
  b: Uint8Array,
  off: number,
  len: number,
  into: FrameLayout,
  maxTags: number = MAX_VLAN_TAGS,
): FrameLayout {
  const L = resetLayout(into, len);
  if (len < ETH.HLEN) return refuse(L, 'runt', 0);
  let at: number = ETH.TYPE;
  let type = r16(b, off + at);
  while (type === ETHERTYPE.VLAN || type === ETHERTYPE.QINQ) {
    if (at + VLAN.HLEN + 2 > len) {
      L.etherType = type;
      return refuse(L, 'vlan_truncated', at);
    }
    if (L.vlanCount >= maxTags) {
      L.etherType = type;
      return refuse(L, 'vlan_too_many', at);
    }
    if (L.vlanCount === 0) {
      L.outerTpid = type;
      L.outerTci = r16(b, off + at + VLAN.TCI);
    }
    L.vlanCount++;
    at += VLAN.HLEN;
    type = r16(b, off + at);
  }
  L.etherType = type;
  const l3 = at + 2;
  L.l3 = l3;
  if (type === ETHERTYPE.IPV4) return layoutIpv4(b, off, len, l3, L);
  if (type === ETHERTYPE.IPV6) return layoutIpv6(b, off, len, l3, L);
  if (type === ETHERTYPE.ARP) {
    const have = len - l3;
    if (have < ARP.PLEN_FIELD + 1) return refuse(L, 'arp_truncated', l3);
    if (b[off + l3 + ARP.HLEN_FIELD] !== 6) return refuse(L, 'arp_address_length', l3 + ARP.HLEN_FIELD);
    if (b[off + l3 + ARP.PLEN_FIELD] !== 4) return refuse(L, 'arp_address_length', l3 + ARP.PLEN_FIELD);
    if (have < ARP.HLEN) return refuse(L, 'arp_truncated', l3);
    L.payload = l3 + ARP.HLEN;
    L.payloadLen = 0;
    return L;
  }
  L.payload = l3;
  L.payloadLen = len - l3;
  return L;
}

/**
 * Lays out an IP packet that starts at `b[off]` rather than a frame: the stack's view once eth_type_trans and the VLAN
 * untagging have consumed the MAC header, or a driver whose NIC extracted the VLAN tag and left 0x8100 in the EtherType
 * (eHEA's get_skb_hdr). `etherType` is the protocol the MAC header named (IPv4 or IPv6; any other
 * leaves the bytes as payload), `len` the packet's length as received, Ethernet padding included; `l3` is 0.
 */
export function layoutPacket(
  b: Uint8Array,
  off: number,
  len: number,
  etherType: number,
  into: FrameLayout,
): FrameLayout {
  const L = resetLayout(into, len);
  L.etherType = etherType;
  L.l3 = 0;
  if (etherType === ETHERTYPE.IPV4) return layoutIpv4(b, off, len, 0, L);
  if (etherType === ETHERTYPE.IPV6) return layoutIpv6(b, off, len, 0, L);
  L.payload = 0;
  L.payloadLen = len;
  return L;
}

function resetLayout(L: FrameLayout, len: number): FrameLayout {
  L.len = len;
  L.vlanCount = 0;
  L.outerTpid = 0;
  L.outerTci = 0;
  L.etherType = 0;
  L.l3 = -1;
  L.ipVersion = 0;
  L.ipHdrLen = 0;
  L.ipEnd = -1;
  L.srcOff = -1;
  L.addrLen = 0;
  L.saddr = 0;
  L.daddr = 0;
  L.fragment = false;
  L.fragOffset = 0;
  L.l4Proto = -1;
  L.l4 = -1;
  L.l4HdrLen = 0;
  L.sport = 0;
  L.dport = 0;
  L.tsOff = -1;
  L.payload = -1;
  L.payloadLen = 0;
  L.refusal = null;
  L.refusalAt = -1;
  return L;
}

function layoutIpv4(b: Uint8Array, off: number, len: number, l3: number, L: FrameLayout): FrameLayout {
  if (l3 + IPV4.HLEN > len) return refuse(L, 'ipv4_truncated', l3);
  const verIhl = b[off + l3]!;
  if (verIhl >>> 4 !== 4) return refuse(L, 'ipv4_version', l3);
  const ihl = (verIhl & 0x0f) << 2;
  if (ihl < IPV4.HLEN) return refuse(L, 'ipv4_ihl_short', l3);
  if (l3 + ihl > len) return refuse(L, 'ipv4_ihl_past_frame', l3);
  const tot = ipv4PacketLength(r16(b, off + l3 + IPV4.TOT_LEN), len - l3);
  if (tot < ihl) return refuse(L, 'ipv4_total_length_short', l3 + IPV4.TOT_LEN);
  if (l3 + tot > len) return refuse(L, 'ipv4_total_length_past_frame', l3 + IPV4.TOT_LEN);
  L.ipVersion = 4;
  L.ipHdrLen = ihl;
  L.ipEnd = l3 + tot;
  L.srcOff = l3 + IPV4.SRC;
  L.addrLen = 4;
  L.saddr = r32(b, off + l3 + IPV4.SRC);
  L.daddr = r32(b, off + l3 + IPV4.DST);
  if (ihl > IPV4.HLEN) checkIpv4Options(b, off, l3 + IPV4.HLEN, l3 + ihl, L);
  const frag = r16(b, off + l3 + IPV4.FRAG);
  L.fragment = (frag & (IPV4_FRAG.MF | IPV4_FRAG.OFFSET_MASK)) !== 0;
  L.fragOffset = (frag & IPV4_FRAG.OFFSET_MASK) << 3;
  L.l4Proto = b[off + l3 + IPV4.PROTO]!;
  L.l4 = l3 + ihl;
  return layoutL4(b, off, L);
}

/** IPv4 option TLVs: EOL ends them, NOP is one byte, any other needs a length ≥ 2 inside the header. */
function checkIpv4Options(b: Uint8Array, off: number, start: number, end: number, L: FrameLayout): void {
  let p = start;
  while (p < end) {
    const kind = b[off + p]!;
    if (kind === 0) return;
    if (kind === 1) {
      p++;
      continue;
    }
    if (p + 1 >= end) {
      refuse(L, 'ipv4_option', p + 1);
      return;
    }
    const olen = b[off + p + 1]!;
    if (olen < 2 || p + olen > end) {
      refuse(L, 'ipv4_option', p + 1);
      return;
    }
    p += olen;
  }
}

function layoutIpv6(b: Uint8Array, off: number, len: number, l3: number, L: FrameLayout): FrameLayout {
  if (l3 + IPV6.HLEN > len) return refuse(L, 'ipv6_truncated', l3);
  if (b[off + l3]! >>> 4 !== 6) return refuse(L, 'ipv6_version', l3);
  const end = l3 + IPV6.HLEN + ipv6PayloadLength(r16(b, off + l3 + IPV6.PAYLOAD_LEN), len - l3 - IPV6.HLEN);
  if (end > len) return refuse(L, 'ipv6_payload_length_past_frame', l3 + IPV6.PAYLOAD_LEN);
  L.ipVersion = 6;
  L.ipEnd = end;
  L.srcOff = l3 + IPV6.SRC;
  L.addrLen = 16;
  let next = b[off + l3 + IPV6.NEXT_HDR]!,
    p = l3 + IPV6.HLEN,
    count = 0;
  L.ipHdrLen = IPV6.HLEN;
  while (
    next === IPPROTO.HOPOPTS ||
    next === IPPROTO.ROUTING ||
    next === IPPROTO.DSTOPTS ||
    next === IPPROTO.FRAGMENT ||
    next === IPPROTO.AH
  ) {
    if (next === IPPROTO.HOPOPTS && count > 0) return refuse(L, 'ipv6_hop_by_hop_not_first', p);
    if (count === MAX_IPV6_EXT_HEADERS) return refuse(L, 'ipv6_too_many_ext_headers', p);
    if (p + IPV6_EXT.HLEN > end) return refuse(L, 'ipv6_ext_header_truncated', p);
    const hlen =
      next === IPPROTO.FRAGMENT
        ? IPV6_FRAG.HLEN
        : next === IPPROTO.AH
          ? (b[off + p + IPV6_EXT.LEN]! + 2) << 2
          : (b[off + p + IPV6_EXT.LEN]! + 1) << 3;
    if (p + hlen > end) return refuse(L, 'ipv6_ext_header_truncated', p + IPV6_EXT.LEN);
    const following = b[off + p + IPV6_EXT.NEXT_HDR]!;
    count++;
    if (next === IPPROTO.FRAGMENT) {
      const word = r16(b, off + p + IPV6_FRAG.FRAG);
      L.fragOffset = word & IPV6_FRAG.OFFSET_MASK;
      L.fragment = L.fragOffset !== 0 || (word & IPV6_FRAG.MF) !== 0;
    }
    next = following;
    p += hlen;
    L.ipHdrLen = p - l3;
    if (L.fragOffset !== 0) break; // the rest is the middle of a packet, not headers
  }
  L.l4Proto = next;
  L.l4 = p;
  return layoutL4(b, off, L);
}

/** TCP or UDP in a first (or only) fragment; anything else: the payload starts at l4. */
function layoutL4(b: Uint8Array, off: number, L: FrameLayout): FrameLayout {
  const l4 = L.l4,
    segLen = L.ipEnd - l4;
  if (L.fragOffset === 0 && L.l4Proto === IPPROTO.TCP) {
    if (segLen < TCP.HLEN) return refuse(L, 'tcp_truncated', l4);
    const doff = (b[off + l4 + TCP.DOFF]! >>> 4) << 2;
    if (doff < TCP.HLEN) return refuse(L, 'tcp_doff_short', l4 + TCP.DOFF);
    if (doff > segLen) return refuse(L, 'tcp_doff_past_segment', l4 + TCP.DOFF);
    L.l4HdrLen = doff;
    L.sport = r16(b, off + l4 + TCP.SPORT);
    L.dport = r16(b, off + l4 + TCP.DPORT);
    L.payload = l4 + doff;
    L.payloadLen = L.ipEnd - L.payload;
    if (doff > TCP.HLEN) {
      const s = L.tcpOptions;
      if (scanTcpOptions(b, off + l4 + TCP.HLEN, doff - TCP.HLEN, s))
        L.tsOff = s.timestamp < 0 ? -1 : s.timestamp - off;
      else refuse(L, 'tcp_option', s.problemAt - off);
    }
    return L;
  }
  if (L.fragOffset === 0 && L.l4Proto === IPPROTO.UDP) {
    if (segLen < UDP.HLEN) return refuse(L, 'udp_truncated', l4);
    L.l4HdrLen = UDP.HLEN;
    L.sport = r16(b, off + l4 + UDP.SPORT);
    L.dport = r16(b, off + l4 + UDP.DPORT);
    L.payload = l4 + UDP.HLEN;
    const ulen = r16(b, off + l4 + UDP.LEN);
    if (ulen < UDP.HLEN) {
      L.payloadLen = segLen - UDP.HLEN;
      return refuse(L, 'udp_length_short', l4 + UDP.LEN);
    }
    if (ulen > segLen) {
      L.payloadLen = segLen - UDP.HLEN;
      return refuse(L, 'udp_length_past_packet', l4 + UDP.LEN);
    }
    L.payloadLen = ulen - UDP.HLEN;
    return L;
  }
  L.payload = l4;
  L.payloadLen = L.ipEnd - l4;
  return L;
}
