// Single header fields read and written in place by name, for code that holds a header's offset but no layout: a
// template being filled in, a header copied into a scratch buffer, an IP packet a forwarder edits. A whole frame is
// laid out with wire/layout.ts instead; these are its one-field companions, allocation-free.

import { ETH, IPV4, IPV4_FRAG, TCP } from './constants.ts';
import { r16, w16 } from './bytes.ts';
import { finish, sumBytes } from './checksum.ts';

/** The EtherType (or the outer tag's TPID) of the Ethernet frame at `off`. */
export function etherTypeAt(b: Uint8Array, off: number): number {
  return r16(b, off + ETH.TYPE);
}

/** The version nibble of the IP header at `l3`: 4, 6, or whatever a malformed packet holds. */
export function ipVersionAt(b: Uint8Array, l3: number): number {
  return b[l3]! >>> 4;
}

/** The IPv4 header's length in bytes, from its IHL (20 to 60 in a well-formed header). */
export function ipv4HeaderLength(b: Uint8Array, l3: number): number {
  return (b[l3 + IPV4.VER_IHL]! & 0x0f) << 2;
}

/** The IPv4 header's DF bit. */
export function ipv4DontFragment(b: Uint8Array, l3: number): boolean {
  return (r16(b, l3 + IPV4.FRAG) & IPV4_FRAG.DF) !== 0;
}

/** The TCP header's length in bytes, from its data offset (20 to 60 in a well-formed header). */
export function tcpHeaderLength(b: Uint8Array, l4: number): number {
  return (b[l4 + TCP.DOFF]! >>> 4) << 2;
}

/** The length in bytes of the IPv6 extension header at `off` (hop-by-hop, routing, destination options: 8-byte
 *  units after the first, RFC 8200 §4). */
export function ipv6ExtensionHeaderLength(b: Uint8Array, off: number): number {
  return (b[off + 1]! + 1) << 3;
}

/** Recomputes the header checksum of the IPv4 header at `l3` (over the length its IHL says). */
export function fillIpv4HeaderChecksum(b: Uint8Array, l3: number): void {
  w16(b, l3 + IPV4.CSUM, 0);
  w16(b, l3 + IPV4.CSUM, finish(sumBytes(b, l3, ipv4HeaderLength(b, l3))));
}
