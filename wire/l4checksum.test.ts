import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { l4Checksum, verifyL4Checksum, fillL4Checksum } from './l4checksum.ts';
import { frame } from './builder.ts';
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
});
