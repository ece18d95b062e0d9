// The Ethernet FCS (hw-models/parse.ts crc32, slicing-by-8) against the bit-at-a-time definition and known values.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { crc32 } from './frame-checks.ts';

/** CRC-32 (IEEE 802.3, reflected polynomial 0xedb88320) one bit at a time. */
function refCrc32(b: Uint8Array, off: number, len: number): number {
  let c = 0xffffffff;
  for (let i = off; i < off + len; i++) {
    c ^= b[i]!;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('crc32 (Ethernet FCS)', () => {
  it('gives the published check values', () => {
    expect(crc32(ascii('123456789'), 0, 9)).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0), 0, 0)).toBe(0);
    expect(crc32(ascii('a'), 0, 1)).toBe(0xe8b7be43);
    expect(crc32(ascii('abc'), 0, 3)).toBe(0x352441c2);
    expect(crc32(ascii('The quick brown fox jumps over the lazy dog'), 0, 43)).toBe(0x414fa339);
    expect(crc32(new Uint8Array(32), 0, 32)).toBe(0x190a55ad);
    expect(crc32(new Uint8Array(32).fill(0xff), 0, 32)).toBe(0xff6cab0b);
  });

  it('honours the offset and length (every remainder of the 8-byte loop)', () => {
    const b = Uint8Array.from({ length: 80 }, (_, i) => (i * 151 + 7) & 0xff);
    for (let off = 0; off < 9; off++)
      for (let len = 0; len <= 64; len++) expect(crc32(b, off, len)).toBe(refCrc32(b, off, len));
    const inner = b.subarray(3, 60);
    expect(crc32(inner, 5, 41)).toBe(refCrc32(b, 8, 41));
  });

  it('equals the bitwise definition on random frames', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.nat(), fc.nat(), (b, x, y) => {
        const off = b.length === 0 ? 0 : x % b.length;
        const len = b.length === 0 ? 0 : y % (b.length - off + 1);
        expect(crc32(b, off, len)).toBe(refCrc32(b, off, len));
      }),
      { numRuns: 300 },
    );
  });

  it('a frame followed by its FCS (least significant byte first) leaves the CRC-32 residue 0x2144df1c', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 60, maxLength: 1514 }), (f) => {
        const withFcs = new Uint8Array(f.length + 4);
        withFcs.set(f);
        new DataView(withFcs.buffer).setUint32(f.length, crc32(f, 0, f.length), true);
        expect(crc32(withFcs, 0, withFcs.length)).toBe(0x2144df1c);
      }),
      { numRuns: 100 },
    );
  });
});
