// TCP/UDP checksums of an IPv4 packet held in a buffer: compute, verify, fill. No allocation, so
// stack/ and lro/ may use them per packet (e.g. after rewriting an aggregate's headers).

import { IPV4, IPPROTO, TCP, UDP } from './constants.ts';
import { sumBytes, fold, finish, pseudoHeaderSum } from './checksum.ts';

function l4Layout(buf: Uint8Array, ipOff: number): [l4Off: number, l4Len: number, csumOff: number, proto: number] {
  const ihl = (buf[ipOff + IPV4.VER_IHL]! & 0x0f) * 4;
  const totLen = (buf[ipOff + IPV4.TOT_LEN]! << 8) | buf[ipOff + IPV4.TOT_LEN + 1]!;
  const proto = buf[ipOff + IPV4.PROTO]!;
  const csumOff = proto === IPPROTO.UDP ? UDP.CSUM : TCP.CSUM;
  return [ipOff + ihl, totLen - ihl, csumOff, proto];
}

/**
 * The checksum field value the TCP (or UDP) segment of the IPv4 packet at `ipOff` should carry,
 * computed over pseudo-header and segment with the field taken as zero. Lengths come from the IP header.
 */
export function l4Checksum(buf: Uint8Array, ipOff: number): number {
  const [l4Off, l4Len, csumOff, proto] = l4Layout(buf, ipOff);
  const stored = (buf[l4Off + csumOff]! << 8) | buf[l4Off + csumOff + 1]!;
  const sum = sumBytes(buf, l4Off, l4Len, pseudoHeaderSum(buf, ipOff + IPV4.SRC, ipOff + IPV4.DST, proto, l4Len));
  const c = finish(sum + (~stored & 0xffff)); // remove the stored field from the sum
  return proto === IPPROTO.UDP && c === 0 ? 0xffff : c;
}

/** True when the TCP/UDP checksum verifies (a UDP checksum of 0 means "none" and passes). */
export function verifyL4Checksum(buf: Uint8Array, ipOff: number): boolean {
  const [l4Off, l4Len, csumOff, proto] = l4Layout(buf, ipOff);
  if (proto === IPPROTO.UDP && buf[l4Off + csumOff] === 0 && buf[l4Off + csumOff + 1] === 0) return true;
  return (
    fold(sumBytes(buf, l4Off, l4Len, pseudoHeaderSum(buf, ipOff + IPV4.SRC, ipOff + IPV4.DST, proto, l4Len))) === 0xffff
  );
}

/** Writes the correct TCP/UDP checksum into the segment of the IPv4 packet at `ipOff`. */
export function fillL4Checksum(buf: Uint8Array, ipOff: number): void {
  const [l4Off, , csumOff] = l4Layout(buf, ipOff);
  const c = l4Checksum(buf, ipOff);
  buf[l4Off + csumOff] = c >>> 8;
  buf[l4Off + csumOff + 1] = c & 0xff;
}
