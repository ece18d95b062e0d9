// --only-to: which captured frames a replay keeps, by where they are addressed: one IPv4 address (the IPv4
// destination, or an ARP target), one IPv6 address (the IPv6 destination), or one MAC (the Ethernet destination).
// Frames are read through wire's layout; nothing is allocated per frame.
import { ARP, ETH, ETHERTYPE, IPV4, IPV6 } from '../wire/constants.ts';
import { parseIpv4, parseIpv6, parseMac } from '../wire/address.ts';
import { r32 } from '../wire/bytes.ts';
import { FrameLayout, layoutFrame } from '../wire/layout.ts';

/** An address --only-to (a ReplayConfig's `onlyTo`) names. */
export type Destination =
  | { kind: 'mac'; bytes: Uint8Array }
  | { kind: 'ipv4'; address: number }
  | { kind: 'ipv6'; bytes: Uint8Array };

/** What --only-to accepts, for messages. */
export const DESTINATION_FORMS =
  'an IPv4 address like 10.77.0.2, an IPv6 address like 2001:db8::2 or a MAC like 02:00:00:00:00:01';

/** Reads a destination address (a MAC has six hex bytes, an IPv6 address colons, an IPv4 address dots); throws an Error naming what is accepted. */
export function parseDestination(s: string): Destination {
  if (/^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$/.test(s)) return { kind: 'mac', bytes: parseMac(s) };
  try {
    return s.includes(':') ? { kind: 'ipv6', bytes: parseIpv6(s) } : { kind: 'ipv4', address: parseIpv4(s) };
  } catch {
    throw new Error(`not an address to filter on: "${s}" (expected ${DESTINATION_FORMS})`);
  }
}

/** True when `s` is an address parseDestination reads. */
export function isDestination(s: string): boolean {
  try {
    parseDestination(s);
    return true;
  } catch {
    return false;
  }
}

/** Keeps frames to one IPv4 address (IPv4 destination, or ARP target address), one IPv6 address (IPv6 destination) or one MAC (Ethernet destination). */
export class DestinationFilter {
  readonly destination: Destination;
  private readonly layout = new FrameLayout();

  constructor(onlyTo: string) {
    this.destination = parseDestination(onlyTo);
  }

  accepts(frame: Uint8Array, length: number): boolean {
    const d = this.destination;
    if (d.kind === 'mac') return length >= ETH.HLEN && sameBytes(frame, ETH.DST, d.bytes);
    const L = layoutFrame(frame, 0, length, this.layout);
    if (L.l3 < 0) return false;
    if (d.kind === 'ipv6')
      return L.etherType === ETHERTYPE.IPV6 && L.l3 + IPV6.HLEN <= length && sameBytes(frame, L.l3 + IPV6.DST, d.bytes);
    if (L.etherType === ETHERTYPE.IPV4) return L.l3 + IPV4.HLEN <= length && r32(frame, L.l3 + IPV4.DST) === d.address;
    if (L.etherType === ETHERTYPE.ARP) return L.l3 + ARP.HLEN <= length && r32(frame, L.l3 + ARP.TPA) === d.address;
    return false;
  }
}

function sameBytes(frame: Uint8Array, at: number, want: Uint8Array): boolean {
  for (let i = 0; i < want.length; i++) if (frame[at + i] !== want[i]) return false;
  return true;
}
