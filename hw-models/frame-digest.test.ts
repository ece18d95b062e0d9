// FrameDigest (hw-models/parse.ts): one pass giving the FCS and the RFC 1071 sum of a frame image, against crc32 and
// sumBytesSimple on the same bytes, over every alignment, short and jumbo lengths.
import { describe, expect, it } from 'vitest';
import { FrameDigest, crc32 } from './parse.ts';
import { sumBytesSimple } from '../wire/checksum.ts';

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; b[i] = x >>> 24; }
  return b;
}

describe('FrameDigest', () => {
  it('equals crc32 and the word sum from sumFrom, for every offset mod 16 and lengths around the block edges', () => {
    const mem = bytes(20_000, 7);
    const d = new FrameDigest();
    for (const len of [0, 1, 13, 14, 15, 16, 17, 31, 60, 64, 511, 512, 513, 527, 528, 1514, 1518, 4095, 9018]) {
      for (let off = 0; off < 16; off++) {
        for (const sumFrom of [0, 14, 18]) {
          d.compute(mem, 100 + off, len, sumFrom);
          expect(d.fcs).toBe(crc32(mem, 100 + off, len));
          expect(d.sum).toBe(len > sumFrom ? sumBytesSimple(mem, 100 + off + sumFrom, len - sumFrom) : 0);
        }
      }
    }
  });

  it('handles all-0xff jumbo images (the largest sums) and a view into a larger buffer', () => {
    const big = new Uint8Array(10_000).fill(0xff);
    const view = big.subarray(3, 9500);
    const d = new FrameDigest();
    d.compute(view, 1, 9018, 14);
    expect(d.fcs).toBe(crc32(view, 1, 9018));
    expect(d.sum).toBe(sumBytesSimple(view, 15, 9004));
    expect(d.sum).toBe(4502 * 0xffff);
    expect(new FrameDigest().fcs).toBe(0);
  });

  it('refuses ranges outside the buffer and odd sum starts', () => {
    const d = new FrameDigest();
    expect(() => d.compute(new Uint8Array(10), 5, 6, 0)).toThrow(/not inside a buffer of 10/);
    expect(() => d.compute(new Uint8Array(10), 0, 10, 3)).toThrow(/even offset, got \+3/);
  });
});
