// decodeFrame: a whole Ethernet frame to plain values (L2, tags, IPv4, TCP/UDP or ARP, payload
// bounds), or the first WireError. Allocates; meant for tests, tools and traces, not hot paths.

import { ETHERTYPE, IPPROTO, ARP, UDP, IPV6, IPV6_EXT } from './constants.ts';
import { WireError } from './error.ts';
import { type EthernetRepr, type VlanTagRepr, parseL2 } from './ethernet.ts';
import { type Ipv4Repr, parseIpv4Header } from './ipv4.ts';
import { type TcpRepr, parseTcpHeader } from './tcp.ts';
import { type UdpRepr, parseUdpHeader } from './udp.ts';
import { type ArpRepr, parseArp } from './arp.ts';

/** The IPv6 fixed header's fields, and where its extension headers (hop-by-hop, routing, fragment, destination options) end. */
export interface Ipv6Summary {
  trafficClass: number; flowLabel: number; payloadLength: number; hopLimit: number;
  /** The header after the last extension header (6 for TCP). */
  upperProtocol: number;
  /** Bytes of extension headers between the fixed header and `upperProtocol`'s header. */
  extLength: number;
  /** A fragment header with a non-zero offset was met: what follows is not a transport header. */
  laterFragment: boolean;
}

export interface DecodedFrame {
  /** `type` is the field at byte 12 (the outer TPID when tagged). */
  eth: EthernetRepr;
  /** Outermost first. */
  vlans: VlanTagRepr[];
  /** The EtherType after the tags (equal to eth.type when untagged). */
  innerType: number;
  l3Offset: number;
  ipv4?: Ipv4Repr;
  ipv6?: Ipv6Summary;
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
 * it. TCP/UDP are decoded only in a packet with fragment offset 0; the payload of any other IPv4
 * packet starts after the IPv4 header.
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
  if (l2.innerType === ETHERTYPE.IPV6) return decodeIpv6(frame, len, base);
  if (l2.innerType !== ETHERTYPE.IPV4) return { ...base, payloadOffset: l3Offset, payloadLength: len - l3Offset };
  const ipv4 = parseIpv4Header(frame, l3Offset, len - l3Offset);
  if (ipv4 instanceof WireError) return ipv4;
  const l4Offset = l3Offset + ipv4.ihl * 4;
  const ipEnd = l3Offset + ipv4.totalLength;
  if (ipv4.fragOffset === 0 && ipv4.protocol === IPPROTO.TCP) {
    const tcp = parseTcpHeader(frame, l4Offset, ipEnd - l4Offset);
    if (tcp instanceof WireError) return tcp;
    const payloadOffset = l4Offset + tcp.dataOffset * 4;
    return { ...base, ipv4, l4Offset, tcp, payloadOffset, payloadLength: ipEnd - payloadOffset };
  }
  if (ipv4.fragOffset === 0 && ipv4.protocol === IPPROTO.UDP) {
    const udp = parseUdpHeader(frame, l4Offset, ipEnd - l4Offset);
    if (udp instanceof WireError) return udp;
    return { ...base, ipv4, l4Offset, udp, payloadOffset: l4Offset + UDP.HLEN, payloadLength: udp.length - UDP.HLEN };
  }
  return { ...base, ipv4, l4Offset, payloadOffset: l4Offset, payloadLength: ipEnd - l4Offset };
}

function decodeIpv6(frame: Uint8Array, len: number, base: Pick<DecodedFrame, 'eth' | 'vlans' | 'innerType' | 'l3Offset'>): DecodedFrame | WireError {
  const o = base.l3Offset;
  if (len - o < IPV6.HLEN || frame.length < o + IPV6.HLEN) return new WireError('ipv6', 'header', o, `needs ${IPV6.HLEN} bytes, ${Math.max(0, len - o)} left`);
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const word = dv.getUint32(o + IPV6.VER_TC_FLOW);
  if (word >>> 28 !== 6) return new WireError('ipv6', 'version', o, ` ${word >>> 28}, expected 6`);
  const payloadLength = dv.getUint16(o + IPV6.PAYLOAD_LEN);
  const ipEnd = o + IPV6.HLEN + payloadLength;
  if (ipEnd > len) return new WireError('ipv6', 'payload length', o + IPV6.PAYLOAD_LEN, `${payloadLength} runs past the frame (${len - o - IPV6.HLEN} bytes)`);
  let next = frame[o + IPV6.NEXT]!, at = o + IPV6.HLEN, laterFragment = false;
  while (next === IPV6_EXT.HOPOPTS || next === IPV6_EXT.ROUTING || next === IPV6_EXT.DSTOPTS || next === IPV6_EXT.FRAGMENT) {
    if (at + 8 > ipEnd || at + 8 > frame.length) return new WireError('ipv6', 'extension header', at, `header ${next} runs past the packet`);
    const size = next === IPV6_EXT.FRAGMENT ? 8 : (frame[at + 1]! + 1) * 8;
    if (next === IPV6_EXT.FRAGMENT && (dv.getUint16(at + 2) & 0xfff8) !== 0) laterFragment = true;
    next = frame[at]!;
    at += size;
    if (at > ipEnd) return new WireError('ipv6', 'extension header', at - size, 'runs past the packet');
  }
  const ipv6: Ipv6Summary = {
    trafficClass: (word >>> 20) & 0xff, flowLabel: word & 0xfffff, payloadLength, hopLimit: frame[o + IPV6.HOP_LIMIT]!,
    upperProtocol: next, extLength: at - o - IPV6.HLEN, laterFragment,
  };
  if (!laterFragment && next === IPPROTO.TCP) {
    const tcp = parseTcpHeader(frame, at, ipEnd - at);
    if (tcp instanceof WireError) return tcp;
    const payloadOffset = at + tcp.dataOffset * 4;
    return { ...base, ipv6, l4Offset: at, tcp, payloadOffset, payloadLength: ipEnd - payloadOffset };
  }
  return { ...base, ipv6, l4Offset: at, payloadOffset: at, payloadLength: ipEnd - at };
}
