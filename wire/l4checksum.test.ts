import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { l4Checksum, verifyL4Checksum, fillL4Checksum, l4ChecksumField, layoutIpPacket } from './l4checksum.ts';
import { frame, type Ipv6ExtSpec } from './builder.ts';
import { FrameLayout } from './layout.ts';
import { r16 } from './bytes.ts';
import { hex, LITERAL } from '../test/support/wire.ts';

describe('TCP/UDP checksum of a packet in a buffer', () => {
  it('agrees with the literals (checksums from an independent program)', () => {
    expect(l4Checksum(hex(LITERAL.tcpPsh), 14)).toBe(0xacf5);
    expect(l4Checksum(hex(LITERAL.syn), 14)).toBe(0x8538);
    expect(l4Checksum(hex(LITERAL.udpVlan), 18)).toBe(0xa2f8);
    expect(verifyL4Checksum(hex(LITERAL.tcpPsh), 14)).toBe(true);
  });

  it('agrees with the builder, detects a change, and fill repairs it', () => {
    const arb = fc.record({
      udp: fc.boolean(),
      len: fc.nat(300),
      seq: fc.nat({ max: 0xffffffff }),
      opts: fc.uint8Array({ maxLength: 12 }).map((o) => Uint8Array.from(o, () => 1)),
      flip: fc.nat(),
    });
    fc.assert(
      fc.property(arb, ({ udp, len, seq, opts, flip }) => {
        const b = frame().ipv4({ options: opts });
        const f = (udp ? b.udp() : b.tcp({ seq })).payload(len).pad(400).build();
        const l4 = 14 + 20 + ((opts.length + 3) & ~3);
        const stored = (f[l4 + (udp ? 6 : 16)]! << 8) | f[l4 + (udp ? 7 : 17)]!;
        expect(l4Checksum(f, 14)).toBe(stored);
        expect(verifyL4Checksum(f, 14)).toBe(true);
        const at = l4 + (flip % (8 + len));
        if (at === l4 + (udp ? 6 : 16) || at === l4 + (udp ? 7 : 17)) return; // flipping the checksum field itself
        f[at] = f[at]! ^ 0x5a;
        expect(verifyL4Checksum(f, 14)).toBe(false);
        fillL4Checksum(f, 14);
        expect(verifyL4Checksum(f, 14)).toBe(true);
      }),
    );
  });

  it('a UDP checksum of zero means none', () => {
    expect(verifyL4Checksum(frame().udp({ checksum: 0 }).payload(3).build(), 14)).toBe(true);
  });

  it('a packet without a TCP/UDP header: compute and fill refuse, verify says false', () => {
    const icmp = frame().ipv4({ protocol: 1 }).payload(8).build();
    expect(() => l4Checksum(icmp, 14)).toThrow(/no TCP\/UDP checksum .* protocol 1/);
    expect(() => fillL4Checksum(icmp, 14)).toThrow(RangeError);
    expect(verifyL4Checksum(icmp, 14)).toBe(false);
    const later = frame()
      .ipv6({ ext: [{ kind: 'fragment', offset: 1448 }] })
      .tcp({})
      .payload(40)
      .build();
    expect(verifyL4Checksum(later, 14)).toBe(false); // a non-first fragment's bytes are data, not a header
  });
});

/** Extension-header chains the IPv6 property test draws from (the walk's every kind; an atomic fragment is no fragment). */
const CHAINS: Ipv6ExtSpec[][] = [
  [],
  [{ kind: 'hopByHop' }],
  [{ kind: 'destination', length: 16 }],
  [{ kind: 'hopByHop', length: 24 }, { kind: 'destination' }, { kind: 'fragment' }],
  [{ kind: 'ah', length: 12 }],
  [{ kind: 'hopByHop' }, { kind: 'ah', length: 16 }, { kind: 'destination', length: 8 }],
];

describe('TCP/UDP checksum over IPv6 (RFC 8200 §8.1)', () => {
  it('equals the builder’s on every extension-header chain, detects a change, and fill repairs it', () => {
    const arb = fc.record({
      udp: fc.boolean(),
      chain: fc.nat(CHAINS.length - 1),
      len: fc.nat(300),
      seq: fc.nat({ max: 0xffffffff }),
      flip: fc.nat(),
      tags: fc.nat(2),
    });
    fc.assert(
      fc.property(arb, ({ udp, chain, len, seq, flip, tags }) => {
        let b = frame();
        for (let t = 0; t < tags; t++) b = b.vlan(10 + t);
        const ext = CHAINS[chain]!;
        const f = (udp ? b.ipv6({ ext }).udp() : b.ipv6({ ext }).tcp({ seq })).payload(len).pad(400).build();
        const l3 = 14 + 4 * tags;
        const L = layoutIpPacket(f, l3, f.length - l3, new FrameLayout());
        expect(L.ipVersion).toBe(6);
        expect(L.l4).toBe(40 + ext.reduce((n, e) => n + (e.kind === 'fragment' ? 8 : (e.length ?? 8)), 0));
        const field = l3 + l4ChecksumField(L);
        expect(l4Checksum(f, l3)).toBe(r16(f, field));
        expect(verifyL4Checksum(f, l3)).toBe(true);
        const at = l3 + L.l4 + (flip % (8 + len));
        if (at === field || at === field + 1) return; // flipping the checksum field itself
        f[at] = f[at]! ^ 0x5a;
        expect(verifyL4Checksum(f, l3)).toBe(false);
        fillL4Checksum(f, l3);
        expect(verifyL4Checksum(f, l3)).toBe(true);
      }),
    );
  });

  it('the upper-layer length leaves the extension headers out (a 24-byte hop-by-hop header does not count)', () => {
    const spec = { ext: [{ kind: 'hopByHop', length: 24 }] as Ipv6ExtSpec[] };
    const good = frame().ipv6(spec).udp().payload(5).build();
    const f = frame().ipv6(spec).udp({ checksum: 0x1111 }).payload(5).build();
    const L = layoutIpPacket(f, 14, f.length - 14, new FrameLayout());
    expect([L.ipEnd - L.l4, r16(f, 14 + 4)]).toEqual([13, 24 + 13]); // UDP length 13; payload length 37
    fillL4Checksum(f, 14);
    expect(f).toEqual(good);
  });

  it('a UDP checksum of zero is an error over IPv6, not "none"', () => {
    expect(verifyL4Checksum(frame().ipv6().udp({ checksum: 0 }).payload(3).build(), 14)).toBe(false);
    expect(verifyL4Checksum(frame().ipv4().udp({ checksum: 0 }).payload(3).build(), 14)).toBe(true);
  });
});
