import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32Across, crc32Prefix, crc32Shift, crc32Update } from './known-bytes.ts';

describe('CRC-32 across a run of known bytes', () => {
  it('equals the CRC of the bytes themselves, for any head, source run and length', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 3000 }),
        fc.uint8Array({ maxLength: 80 }),
        fc.nat(),
        fc.nat(),
        (source, head, s, l) => {
          const start = s % source.length,
            length = l % (source.length - start + 1);
          const frame = new Uint8Array(head.length + length);
          frame.set(head);
          frame.set(source.subarray(start, start + length), head.length);
          const prefix = crc32Prefix(source);
          const reg = crc32Update(-1, frame, 0, head.length);
          expect(crc32Across(prefix, reg, start, length)).toBe(crc32Update(-1, frame, 0, frame.length));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a shift over n bytes is n zero bytes fed to the register', () => {
    for (const n of [0, 1, 7, 8, 1448, 9000, 65535, 65536, 70001]) {
      const zeros = new Uint8Array(n);
      for (const reg of [-1, 0x12345678, 1]) expect(crc32Shift(reg, n)).toBe(crc32Update(reg, zeros, 0, n));
    }
    // past the cached tables' count the multiplication runs bit by bit: the same values
    for (let n = 100; n < 200; n++)
      expect(crc32Shift(0x0badcafe, n)).toBe(crc32Update(0x0badcafe, new Uint8Array(n), 0, n));
    expect(() => crc32Shift(1, 2 ** 29)).toThrow(/2\^29/);
  });

  it('the register update is the FCS before its final inversion (the check value of CRC-32)', () => {
    const b = new TextEncoder().encode('123456789');
    expect(~crc32Update(-1, b, 0, b.length) >>> 0).toBe(0xcbf43926);
  });
});
