// Property tests: for every header type, bytes emitted from a random Repr parse back to the same
// Repr, and emitting the parsed Repr gives the same bytes again (emit(parse(x)) == x).
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { formatMac, formatIpv4 } from './address.ts';
import { WireError } from './error.ts';
import {
  type EthernetRepr,
  type L2Repr,
  type VlanTagRepr,
  parseEthernetHeader,
  emitEthernetHeader,
  parseVlanTag,
  emitVlanTag,
  parseL2,
  emitL2,
  l2HeaderLength,
} from './ethernet.ts';
import { type Ipv4Repr, parseIpv4Header, emitIpv4Header } from './ipv4.ts';
import { type TcpRepr, parseTcpHeader, emitTcpHeader, tcpDataOffsetFor } from './tcp.ts';
import { type TcpOption, tcpOptionsLength } from './tcp-options.ts';
import { type UdpRepr, parseUdpHeader, emitUdpHeader } from './udp.ts';
import { type ArpRepr, parseArp, emitArp } from './arp.ts';

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.nat({ max: 0xffffffff });
const mac = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => formatMac(b));
const ip = u32.map(formatIpv4);
const nonVlanType = u16.filter((t) => t !== 0x8100 && t !== 0x88a8);
const vlanTag: fc.Arbitrary<VlanTagRepr> = fc.record({
  tpid: fc.constantFrom(0x8100, 0x88a8),
  vid: fc.integer({ min: 0, max: 4095 }),
  pcp: fc.integer({ min: 0, max: 7 }),
  dei: fc.boolean(),
});

function ok<T>(r: T | WireError): T {
  if (r instanceof WireError) throw r;
  return r;
}

/** Emits with `emit`, parses, emits the parsed value into a fresh buffer at another offset, compares bytes. */
function roundTrip<R>(
  repr: R,
  size: number,
  emit: (r: R, b: Uint8Array, off: number) => number,
  parse: (b: Uint8Array, off: number, len: number) => R | WireError,
): R {
  const a = new Uint8Array(size + 3);
  const n = emit(repr, a, 3);
  expect(n).toBe(size);
  const parsed = ok(parse(a, 3, size));
  const b = new Uint8Array(size + 7);
  expect(emit(parsed, b, 7)).toBe(size);
  expect(b.subarray(7)).toEqual(a.subarray(3));
  return parsed;
}

describe('emit(parse(x)) round-trips', () => {
  it('Ethernet header', () => {
    fc.assert(
      fc.property(fc.record({ dst: mac, src: mac, type: u16 }), (r: EthernetRepr) => {
        expect(roundTrip(r, 14, emitEthernetHeader, parseEthernetHeader)).toEqual(r);
      }),
    );
  });

  it('VLAN tag', () => {
    fc.assert(
      fc.property(vlanTag, (r) => {
        // a tag is followed by two bytes of inner type in a frame; give the checked view room for them
        const a = new Uint8Array(6);
        emitVlanTag(r, a, 0);
        const p = ok(parseVlanTag(a, 0));
        expect(p).toEqual(r);
        const b = new Uint8Array(6);
        emitVlanTag(p, b, 0);
        expect(b).toEqual(a);
      }),
    );
  });

  it('L2 header with 0..4 stacked tags', () => {
    const l2 = fc.record({
      eth: fc.record({ dst: mac, src: mac, type: u16 }),
      vlans: fc.array(vlanTag, { maxLength: 4 }),
      innerType: nonVlanType,
    });
    fc.assert(
      fc.property(l2, (r: L2Repr) => {
        const size = l2HeaderLength(r);
        const parsed = roundTrip(r, size, emitL2, parseL2);
        expect(parsed.vlans).toEqual(r.vlans);
        expect(parsed.innerType).toBe(r.innerType);
        expect(parsed.eth.type).toBe(r.vlans[0]?.tpid ?? r.innerType);
      }),
    );
  });

  // IPv4 options: NOPs and TLVs (type ≥ 2, length ≥ 2), EOL-padded to a multiple of 4, at most 40 bytes
  const ipOption = fc.oneof(
    fc.constant(Uint8Array.of(1)),
    fc
      .tuple(fc.integer({ min: 2, max: 255 }), fc.uint8Array({ maxLength: 8 }))
      .map(([t, d]) => Uint8Array.of(t, d.length + 2, ...d)),
  );
  const ipOptions = fc
    .array(ipOption, { maxLength: 8 })
    .map((os) => {
      const raw = os.flatMap((o) => Array.from(o));
      return new Uint8Array((raw.length + 3) & ~3).fill(0).map((_, i) => raw[i] ?? 0);
    })
    .filter((o) => o.length <= 40);

  it('IPv4 header with options', () => {
    const arb = fc.record({
      options: ipOptions,
      payload: fc.nat(64),
      tos: u8,
      id: u16,
      df: fc.boolean(),
      mf: fc.boolean(),
      fragOffset: fc.integer({ min: 0, max: 0x1fff }),
      ttl: u8,
      protocol: u8,
      checksum: u16,
      src: ip,
      dst: ip,
    });
    fc.assert(
      fc.property(arb, ({ payload, ...f }) => {
        const ihl = 5 + f.options.length / 4;
        const r: Ipv4Repr = { version: 4, ihl, totalLength: ihl * 4 + payload, ...f };
        // parse checks total length against the bytes available, so give it the payload too
        const a = new Uint8Array(r.totalLength);
        emitIpv4Header(r, a, 0);
        const p = ok(parseIpv4Header(a, 0));
        expect(p).toEqual(r);
        const b = new Uint8Array(r.totalLength);
        emitIpv4Header(p, b, 0);
        expect(b).toEqual(a);
      }),
    );
  });

  const tcpOption: fc.Arbitrary<TcpOption> = fc.oneof(
    fc.constant<TcpOption>({ kind: 'nop' }),
    u16.map((value): TcpOption => ({ kind: 'mss', value })),
    u8.map((shift): TcpOption => ({ kind: 'wscale', shift })),
    fc.constant<TcpOption>({ kind: 'sackPermitted' }),
    fc.array(fc.tuple(u32, u32), { minLength: 1, maxLength: 4 }).map((blocks): TcpOption => ({ kind: 'sack', blocks })),
    fc.tuple(u32, u32).map(([tsval, tsecr]): TcpOption => ({ kind: 'timestamp', tsval, tsecr })),
    fc
      .tuple(
        fc.integer({ min: 6, max: 255 }).filter((k) => k !== 8),
        fc.uint8Array({ maxLength: 6 }),
      )
      .map(([type, data]): TcpOption => ({ kind: 'unknown', type, data })),
  );
  const tcpOptions = fc
    .tuple(fc.array(tcpOption, { maxLength: 8 }), fc.boolean())
    .map(([os, eol]) => (eol ? [...os, { kind: 'eol' } as TcpOption] : os))
    .filter((os) => tcpOptionsLength(os) <= 40);

  it('TCP header with every option kind', () => {
    const arb = fc.record({
      options: tcpOptions,
      sport: u16,
      dport: u16,
      seq: u32,
      ack: u32,
      flags: u8,
      window: u16,
      checksum: u16,
      urgent: u16,
    });
    fc.assert(
      fc.property(arb, (f) => {
        const r: TcpRepr = { ...f, dataOffset: tcpDataOffsetFor(f.options) };
        const parsed = roundTrip(r, r.dataOffset * 4, emitTcpHeader, parseTcpHeader);
        // zero padding after the options reads back as one EOL
        const padded = tcpOptionsLength(f.options) % 4 !== 0 && f.options.at(-1)?.kind !== 'eol';
        expect(parsed).toEqual({ ...r, options: padded ? [...f.options, { kind: 'eol' }] : f.options });
      }),
      { numRuns: 300 },
    );
  });

  it('UDP header', () => {
    fc.assert(
      fc.property(fc.record({ sport: u16, dport: u16, length: fc.constant(8), checksum: u16 }), (r: UdpRepr) => {
        expect(roundTrip(r, 8, emitUdpHeader, parseUdpHeader)).toEqual(r);
      }),
    );
  });

  it('ARP', () => {
    const arb = fc.record({
      htype: u16,
      ptype: u16,
      op: u16,
      senderMac: mac,
      senderIp: ip,
      targetMac: mac,
      targetIp: ip,
    });
    fc.assert(
      fc.property(arb, (r: ArpRepr) => {
        expect(roundTrip(r, 28, emitArp, parseArp)).toEqual(r);
      }),
    );
  });

  it('parse of random bytes never throws (a WireError or a value)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
        for (const p of [parseL2, parseIpv4Header, parseTcpHeader, parseUdpHeader, parseArp]) {
          const r = p(b, 0, b.length);
          expect(r === undefined).toBe(false);
        }
      }),
    );
  });
});
