// decodeFrame: a whole Ethernet frame to plain values (L2, tags, IPv4 or IPv6, TCP/UDP or ARP, payload
// bounds), or the first WireError. Allocates; the checked decoder for tests, tools and traces. Hot paths
// use layoutFrame (layout.ts), which refuses exactly the frames this refuses.

import { ETHERTYPE, IPPROTO, ARP, UDP } from './constants.ts';
import { WireError } from './error.ts';
import { type EthernetRepr, type VlanTagRepr, parseL2 } from './ethernet.ts';
import { type Ipv4Repr, parseIpv4Header } from './ipv4.ts';
import { type Ipv6Repr, parseIpv6Header } from './ipv6.ts';
import { type TcpRepr, parseTcpHeader } from './tcp.ts';
import { type UdpRepr, parseUdpHeader } from './udp.ts';
import { ipv4PacketLength, ipv6PayloadLength } from './big-tcp.ts';
import { type ArpRepr, parseArp } from './arp.ts';

export interface DecodedFrame {
  /** `type` is the field at byte 12 (the outer TPID when tagged). */
  eth: EthernetRepr;
  /** Outermost first. */
  vlans: VlanTagRepr[];
  /** The EtherType after the tags (equal to eth.type when untagged). */
  innerType: number;
  l3Offset: number;
  ipv4?: Ipv4Repr;
  ipv6?: Ipv6Repr;
  /** Where the upper-layer protocol's bytes start (after the IPv6 extension headers). */
  l4Offset?: number;
  tcp?: TcpRepr;
  udp?: UdpRepr;
  arp?: ArpRepr;
  /** Where the bytes after the last header decoded start; payloadLength excludes Ethernet padding. */
  payloadOffset: number;
  payloadLength: number;
}

/**
 * Decodes a frame of `len` bytes (frame.length by default). A larger `len` describes a capture cut
 * at a snap length: the headers must lie in the bytes held, lengths are checked against `len`, and
 * payloadOffset/payloadLength describe the frame on the wire. A smaller `len` ignores the bytes after
 * it. TCP/UDP are decoded only in a packet with fragment offset 0; the payload of any other IP
 * packet starts after the IP header (after the IPv6 extension headers walked).
 */
export function decodeFrame(frame: Uint8Array, frameLen = frame.length): DecodedFrame | WireError {
  const len = Math.max(0, frameLen); // may exceed frame.length for a capture cut at a snap length
  const l2 = parseL2(frame, 0, len);
  if (l2 instanceof WireError) return l2;
  const l3Offset = 14 + 4 * l2.vlans.length;
  const base = { eth: l2.eth, vlans: l2.vlans, innerType: l2.innerType, l3Offset };
  if (l2.innerType === ETHERTYPE.ARP) {
    const arp = parseArp(frame, l3Offset, len - l3Offset);
    if (arp instanceof WireError) return arp;
    return { ...base, arp, payloadOffset: l3Offset + ARP.HLEN, payloadLength: 0 };
  }
  let ip: { ipv4: Ipv4Repr } | { ipv6: Ipv6Repr };
  let l4Offset: number, ipEnd: number, protocol: number, firstFragment: boolean;
  if (l2.innerType === ETHERTYPE.IPV4) {
    const ipv4 = parseIpv4Header(frame, l3Offset, len - l3Offset);
    if (ipv4 instanceof WireError) return ipv4;
    ip = { ipv4 };
    l4Offset = l3Offset + ipv4.ihl * 4;
    ipEnd = l3Offset + ipv4PacketLength(ipv4.totalLength, len - l3Offset);
    protocol = ipv4.protocol;
    firstFragment = ipv4.fragOffset === 0;
  } else if (l2.innerType === ETHERTYPE.IPV6) {
    const ipv6 = parseIpv6Header(frame, l3Offset, len - l3Offset);
    if (ipv6 instanceof WireError) return ipv6;
    ip = { ipv6 };
    l4Offset = l3Offset + ipv6.upperOffset;
    ipEnd = l3Offset + 40 + ipv6PayloadLength(ipv6.payloadLength, len - l3Offset - 40);
    protocol = ipv6.upperProtocol;
    firstFragment = (ipv6.fragment?.offset ?? 0) === 0;
  } else {
    return { ...base, payloadOffset: l3Offset, payloadLength: len - l3Offset };
  }
  if (firstFragment && protocol === IPPROTO.TCP) {
    const tcp = parseTcpHeader(frame, l4Offset, ipEnd - l4Offset);
    if (tcp instanceof WireError) return tcp;
    const payloadOffset = l4Offset + tcp.dataOffset * 4;
    return { ...base, ...ip, l4Offset, tcp, payloadOffset, payloadLength: ipEnd - payloadOffset };
  }
  if (firstFragment && protocol === IPPROTO.UDP) {
    const udp = parseUdpHeader(frame, l4Offset, ipEnd - l4Offset);
    if (udp instanceof WireError) return udp;
    return { ...base, ...ip, l4Offset, udp, payloadOffset: l4Offset + UDP.HLEN, payloadLength: udp.length - UDP.HLEN };
  }
  return { ...base, ...ip, l4Offset, payloadOffset: l4Offset, payloadLength: ipEnd - l4Offset };
}
