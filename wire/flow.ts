// A TCP flow's identity, IPv4 or IPv6, and what its receiver must end up with: the contract between the link
// partner (which knows what it sent) and the stack's sockets (which know what arrived). The hot paths (the stack's
// flow table, the partner's ACK lookup, replay's stream assembly) hash and compare a key against the address bytes
// of a laid-out packet in place: nothing is built per packet.

import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from './address.ts';
import { r32 } from './bytes.ts';

/**
 * A 4-tuple in the receive direction (the source is the sender). `addrs` holds the source address and then the
 * destination address exactly as an IP header does (IPv4 at byte 12, IPv6 at byte 8): 8 bytes for IPv4, 32 for IPv6,
 * so a packet's address field compares with one loop.
 */
export interface FlowKey {
  readonly family: 4 | 6;
  readonly addrs: Uint8Array;
  readonly sport: number;
  readonly dport: number;
}

/** What the socket of a flow must receive: `bytes` bytes starting at sequence `isn`, fingerprinted by `digest` (StreamHash, wire/stream-hash.ts). */
export interface FlowExpectation {
  key: FlowKey;
  isn: number;
  bytes: number;
  digest: string;
}

/** A key from addresses as text: both IPv4 ("10.0.0.1") or both IPv6 ("2001:db8::1"); throws naming a bad or mixed pair. */
export function flowKey(src: string, dst: string, sport: number, dport: number): FlowKey {
  const v6 = src.includes(':');
  if (v6 !== dst.includes(':')) throw new Error(`flow ${src} > ${dst}: one IPv4 and one IPv6 address`);
  const addrs = new Uint8Array(v6 ? 32 : 8);
  if (v6) {
    addrs.set(parseIpv6(src), 0);
    addrs.set(parseIpv6(dst), 16);
  } else {
    const s = parseIpv4(src),
      d = parseIpv4(dst);
    for (let i = 0; i < 4; i++) {
      addrs[i] = s >>> (24 - 8 * i);
      addrs[4 + i] = d >>> (24 - 8 * i);
    }
  }
  return { family: v6 ? 6 : 4, addrs, sport, dport };
}

/**
 * A key copied from a packet: the addresses at `b[srcOff .. srcOff + 2·addrLen)` (source then destination, as
 * FrameLayout's `srcOff`/`addrLen` give them). It allocates: call it once per new flow, not per packet.
 */
export function flowKeyAt(b: Uint8Array, srcOff: number, addrLen: number, sport: number, dport: number): FlowKey {
  return { family: addrLen === 16 ? 6 : 4, addrs: b.slice(srcOff, srcOff + 2 * addrLen), sport, dport };
}

/** The same flow seen from the other end (the host's ACKs). */
export function reverseFlowKey(k: FlowKey): FlowKey {
  const n = k.addrs.length >>> 1;
  const addrs = new Uint8Array(k.addrs.length);
  addrs.set(k.addrs.subarray(n), 0);
  addrs.set(k.addrs.subarray(0, n), n);
  return { family: k.family, addrs, sport: k.dport, dport: k.sport };
}

/** A bucket number for the 4-tuple whose addresses lie at `b[srcOff ..]`: reads the bytes in place, allocates nothing. */
export function flowHash(b: Uint8Array, srcOff: number, addrLen: number, sport: number, dport: number): number {
  let h = Math.imul(0x9e3779b1, (sport << 16) | dport);
  for (let i = srcOff, end = srcOff + 2 * addrLen; i < end; i += 4)
    h = Math.imul(h ^ ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!), 0x85ebca6b) ^ (h >>> 15);
  return (h ^ (h >>> 13)) >>> 0;
}

/** flowHash of a key (equal to flowHash of a packet of that flow). */
export function flowKeyHash(k: FlowKey): number {
  return flowHash(k.addrs, 0, k.addrs.length >>> 1, k.sport, k.dport);
}

/** True when the packet's 4-tuple (addresses at `b[srcOff ..]`) is the key's. */
export function flowMatches(
  k: FlowKey,
  b: Uint8Array,
  srcOff: number,
  addrLen: number,
  sport: number,
  dport: number,
): boolean {
  const a = k.addrs;
  if (k.sport !== sport || k.dport !== dport || a.length !== 2 * addrLen) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[srcOff + i]) return false;
  return true;
}

/** True when the packet goes the other way on the key's flow (its source is the key's destination, and so on). */
export function flowMatchesReversed(
  k: FlowKey,
  b: Uint8Array,
  srcOff: number,
  addrLen: number,
  sport: number,
  dport: number,
): boolean {
  const a = k.addrs;
  if (k.sport !== dport || k.dport !== sport || a.length !== 2 * addrLen) return false;
  for (let i = 0; i < addrLen; i++)
    if (a[i] !== b[srcOff + addrLen + i] || a[addrLen + i] !== b[srcOff + i]) return false;
  return true;
}

/** Two keys name the same flow. */
export function sameFlow(a: FlowKey, b: FlowKey): boolean {
  return flowMatches(a, b.addrs, 0, b.addrs.length >>> 1, b.sport, b.dport);
}

/** The source address as text ("10.0.0.1", "2001:db8::1"). */
export function flowSource(k: FlowKey): string {
  return k.family === 6 ? formatIpv6(k.addrs, 0) : formatIpv4(r32(k.addrs, 0));
}

/** The destination address as text. */
export function flowDestination(k: FlowKey): string {
  return k.family === 6 ? formatIpv6(k.addrs, 16) : formatIpv4(r32(k.addrs, 4));
}

/** "10.0.0.1:40000>10.0.0.2:5001" or "[2001:db8::1]:40000>[2001:db8::2]:5001": the name a flow goes by in reports and JSON. */
export function flowName(k: FlowKey): string {
  return k.family === 6
    ? `[${flowSource(k)}]:${k.sport}>[${flowDestination(k)}]:${k.dport}`
    : `${flowSource(k)}:${k.sport}>${flowDestination(k)}:${k.dport}`;
}
