// TCP/UDP checksums of an IPv4 or IPv6 packet held in a buffer: compute, verify, fill. The packet's version nibble
// picks the pseudo-header: IPv4's (RFC 793/768) or IPv6's (RFC 8200 §8.1), whose upper-layer length is the payload
// length minus the extension headers wire/layout.ts walks. Nothing is allocated, so every layer may use them per packet.

import { ETHERTYPE, IPV4, IPV6, IPPROTO, TCP, UDP } from './constants.ts';
import { sumBytes, fold, finish, pseudoHeaderSum, ipv6PseudoHeaderSum } from './checksum.ts';
import { r16, w16 } from './bytes.ts';
import { FrameLayout, layoutPacket } from './layout.ts';
import { ipVersionAt } from './fields.ts';

/**
 * The pseudo-header sum (unfolded) for `l4Len` bytes of upper-layer protocol `proto` in the IP packet at `ipOff`:
 * IPv4's when `ipVersion` is 4, IPv6's (RFC 8200 §8.1) when it is 6, the addresses read from the IP header.
 */
export function ipPseudoHeaderSum(
  b: Uint8Array,
  ipOff: number,
  ipVersion: number,
  proto: number,
  l4Len: number,
): number {
  return ipVersion === 6
    ? ipv6PseudoHeaderSum(b, ipOff + IPV6.SRC, ipOff + IPV6.DST, proto, l4Len)
    : pseudoHeaderSum(b, ipOff + IPV4.SRC, ipOff + IPV4.DST, proto, l4Len);
}

/**
 * The pseudo-header sum (unfolded) of the TCP/UDP segment `L` lays out: its family, upper-layer protocol and length
 * (`L.ipEnd - L.l4`, or `l4Len` for a segment cut from it) from `L`, the addresses read from the IP header at `ipOff`
 * in `b` (which need not be where `L` found it: a NIC's copy with the tag stripped, a segment being built).
 */
export function l4PseudoHeaderSum(
  b: Uint8Array,
  ipOff: number,
  L: FrameLayout,
  l4Len: number = L.ipEnd - L.l4,
): number {
  return ipPseudoHeaderSum(b, ipOff, L.ipVersion, L.l4Proto, l4Len);
}

/** The checksum field's offset in the upper-layer header `L` lays out, or -1 when it is not a TCP/UDP header whose field the packet holds. */
export function l4ChecksumField(L: FrameLayout): number {
  if (L.l4 < 0 || L.fragOffset !== 0) return -1;
  const at = L.l4Proto === IPPROTO.TCP ? TCP.CSUM : L.l4Proto === IPPROTO.UDP ? UDP.CSUM : -1;
  return at >= 0 && L.l4 + at + 2 <= L.ipEnd ? L.l4 + at : -1;
}

const scratch = new FrameLayout();

/**
 * Lays out the IP packet of `len` bytes at `ipOff` (IPv6 when its version nibble says 6, else IPv4; its lengths from
 * its own header, `len` bounding them) into `into`. Its checksum field is at `l4ChecksumField(into)`, relative to `ipOff`.
 */
export function layoutIpPacket(
  buf: Uint8Array,
  ipOff: number,
  len: number = buf.length - ipOff,
  into: FrameLayout = scratch,
): FrameLayout {
  const type = ipVersionAt(buf, ipOff) === 6 ? ETHERTYPE.IPV6 : ETHERTYPE.IPV4;
  return layoutPacket(buf, ipOff, len, type, into);
}

function segmentOf(buf: Uint8Array, ipOff: number, len: number): FrameLayout {
  const L = layoutIpPacket(buf, ipOff, len);
  if (l4ChecksumField(L) < 0)
    throw new RangeError(
      `no TCP/UDP checksum to compute in the packet at byte ${ipOff}: ${L.refusal ?? `protocol ${L.l4Proto}${L.fragment ? ', a fragment' : ''}`}`,
    );
  return L;
}

/**
 * The checksum field value the TCP (or UDP) segment of the IPv4 or IPv6 packet at `ipOff` should carry, computed over
 * pseudo-header and segment with the field taken as zero. Lengths come from the IP header (`len`, the bytes from
 * `ipOff` that belong to the packet, by default the rest of `buf`, only bounds them). Throws a RangeError for a
 * packet without a TCP/UDP header (a caller's mistake: verifyL4Checksum answers false instead).
 */
export function l4Checksum(buf: Uint8Array, ipOff: number, len: number = buf.length - ipOff): number {
  const L = segmentOf(buf, ipOff, len);
  const field = ipOff + l4ChecksumField(L);
  const sum = sumBytes(buf, ipOff + L.l4, L.ipEnd - L.l4, l4PseudoHeaderSum(buf, ipOff, L));
  const c = finish(sum + (~r16(buf, field) & 0xffff)); // remove the stored field from the sum
  return L.l4Proto === IPPROTO.UDP && c === 0 ? 0xffff : c;
}

/**
 * True when the TCP/UDP checksum of the IPv4 or IPv6 packet at `ipOff` verifies. A UDP checksum of 0 means "none" and
 * passes over IPv4; over IPv6 it is an error (RFC 8200 §8.1). False for a packet without a TCP/UDP header.
 */
export function verifyL4Checksum(buf: Uint8Array, ipOff: number, len: number = buf.length - ipOff): boolean {
  const L = layoutIpPacket(buf, ipOff, len);
  const field = l4ChecksumField(L);
  if (field < 0) return false;
  if (L.l4Proto === IPPROTO.UDP && r16(buf, ipOff + field) === 0) return L.ipVersion === 4;
  return fold(sumBytes(buf, ipOff + L.l4, L.ipEnd - L.l4, l4PseudoHeaderSum(buf, ipOff, L))) === 0xffff;
}

/** Writes the correct TCP/UDP checksum into the segment of the IPv4 or IPv6 packet at `ipOff` (throws as l4Checksum does). */
export function fillL4Checksum(buf: Uint8Array, ipOff: number, len: number = buf.length - ipOff): void {
  const c = l4Checksum(buf, ipOff, len);
  w16(buf, ipOff + l4ChecksumField(scratch), c);
}
