import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { StreamHash } from '../wire/stream-hash.ts';
import { sumBytes, sumBytesSimple, fold } from '../wire/index.ts';
import { crc32Update } from '../wire/known-bytes.ts';
import { PayloadPattern, PATTERN_PERIOD } from './payload.ts';

describe('PayloadPattern', () => {
  const pat = new PayloadPattern(77, 1448);

  it('repeats its first maxSegment bytes after the period, so any segment is one run', () => {
    expect(pat.bytes.length).toBe(PATTERN_PERIOD + 1448);
    expect(pat.bytes.subarray(PATTERN_PERIOD)).toEqual(pat.bytes.subarray(0, 1448));
    expect(PayloadPattern.start(PATTERN_PERIOD - 5, 5)).toBe(0);
    expect(PayloadPattern.start(2 ** 40 + 3, 11)).toBe((2 ** 40 + 14) % PATTERN_PERIOD);
  });

  it('is a function of the seed: same seed same bytes, another seed other bytes', () => {
    expect(new PayloadPattern(77, 1448).bytes).toEqual(pat.bytes);
    const other = new PayloadPattern(78, 1448).bytes;
    let same = 0;
    for (let i = 0; i < PATTERN_PERIOD; i++) if (other[i] === pat.bytes[i]) same++;
    expect(same).toBeLessThan(PATTERN_PERIOD / 128); // ≈ 1/256 of bytes agree by chance
  });

  it('sum(start, len) folds to what sumBytes gives for the same bytes (odd starts and lengths included)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: PATTERN_PERIOD - 1 }), fc.integer({ min: 0, max: 1448 }), (start, len) => {
        expect(fold(pat.sum(start, len))).toBe(fold(sumBytes(pat.bytes, start, len)));
      }),
      { numRuns: 2000 },
    );
    expect(fold(pat.sum(PATTERN_PERIOD - 1, 1448))).toBe(fold(sumBytes(pat.bytes, PATTERN_PERIOD - 1, 1448)));
    expect(pat.sum(1234, 0)).toBe(0);
  });

  it('sum is the exact word sum, and crcThrough the CRC register a byte loop gives, for any run (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: PATTERN_PERIOD + 1447 }),
        fc.integer({ min: 0, max: 1448 }),
        fc.integer(),
        (start, len, reg) => {
          len = Math.min(len, pat.bytes.length - start);
          expect(pat.crcThrough(reg | 0, start, len)).toBe(crc32Update(reg | 0, pat.bytes, start, len));
          if ((start & 1) === 0) expect(pat.sum(start, len)).toBe(sumBytesSimple(pat.bytes, start, len));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('hashStream gives the StreamHash of the materialized stream, across the period and in pieces', () => {
    const salt = 60_000,
      n = 150_001;
    const stream = new Uint8Array(n);
    for (let o = 0; o < n; o++) stream[o] = pat.bytes[PayloadPattern.start(o, salt)]!;
    const want = new StreamHash();
    want.update(stream, 0, n);
    const whole = new StreamHash();
    pat.hashStream(whole, salt, 0, n);
    const pieces = new StreamHash();
    pat.hashStream(pieces, salt, 0, 7);
    pat.hashStream(pieces, salt, 7, 70_000);
    pat.hashStream(pieces, salt, 70_000, n);
    expect(whole.digest()).toBe(want.digest());
    expect(pieces.digest()).toBe(want.digest());
  });
});
