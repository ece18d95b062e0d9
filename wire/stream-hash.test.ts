// StreamHash: the documented algorithm, chunking and alignment independence, and the changes it must catch.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { StreamHash } from './stream-hash.ts';
import { wasmBytes, bytePassesFor } from './byte-passes.ts';

/** The algorithm in the header of wire/stream-hash.ts, one word at a time, written for clarity. */
function refDigest(b: Uint8Array): string {
  const lanes = [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344];
  for (let j = 0; j * 4 < b.length; j++) {
    let w = 0;
    for (let k = 0; k < 4; k++) w += (b[j * 4 + k] ?? 0) * 2 ** (8 * k); // little-endian, zero-padded
    let v = Math.imul(lanes[j % 4]! ^ w, 0x9e3779b1);
    v ^= v >>> 15;
    lanes[j % 4] = v;
  }
  const fmix32 = (v: number): number => {
    v = Math.imul(v ^ (v >>> 16), 0x85ebca6b);
    v = Math.imul(v ^ (v >>> 13), 0xc2b2ae35);
    return (v ^ (v >>> 16)) >>> 0;
  };
  for (let round = 0; round < 2; round++)
    for (let i = 0; i < 4; i++) lanes[i] = fmix32(lanes[i]! + lanes[(i + 3) % 4]!);
  return `${lanes.map((v) => v.toString(16).padStart(8, '0')).join('')}:${b.length}`;
}

function digestOf(b: Uint8Array, off = 0, len = b.length - off): string {
  const h = new StreamHash();
  h.update(b, off, len);
  return h.digest();
}

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const pattern = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i & 0xff);

describe('StreamHash', () => {
  it('gives fixed digests for known streams', () => {
    expect(new StreamHash().digest()).toBe('fe1177dc39e282252d5056b9e148bf88:0');
    expect(digestOf(ascii('abc'))).toBe(refDigest(ascii('abc')));
    expect(digestOf(ascii('abc'))).toBe('99fd032cb9fe72f0ab2d840aa4d0432f:3');
    expect(digestOf(pattern(1500))).toBe('d0baa0e4eb553607f685e79bdc975c09:1500');
    expect(digestOf(pattern(1500))).toBe(refDigest(pattern(1500)));
  });

  it('equals the one-word-at-a-time reference for every length, offset and buffer alignment', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(7), fc.nat(7), (data, shift, lead) => {
        const store = new Uint8Array(shift + lead + data.length);
        store.set(data, shift + lead);
        const h = new StreamHash();
        h.update(store.subarray(shift), lead, data.length);
        expect(h.digest()).toBe(refDigest(data));
        expect(h.length).toBe(data.length);
      }),
      { numRuns: 400 },
    );
  });

  it('does not depend on how the stream is split into update() calls', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.array(fc.nat(), { maxLength: 12 }), (data, cuts) => {
        const points = [...new Set(cuts.map((c) => (data.length === 0 ? 0 : c % (data.length + 1))))].sort(
          (a, b) => a - b,
        );
        const h = new StreamHash();
        let at = 0;
        for (const p of [...points, data.length]) {
          h.update(data, at, p - at);
          at = p;
        }
        expect(h.digest()).toBe(digestOf(data));
      }),
      { numRuns: 300 },
    );
    // every split point of a stream that crosses several 16-byte groups, pieces from different buffers
    const data = pattern(77);
    for (let split = 0; split <= data.length; split++) {
      const h = new StreamHash();
      h.update(data.slice(0, split), 0, split);
      h.update(Uint8Array.of(0, ...data.subarray(split)), 1, data.length - split);
      expect(h.digest()).toBe(digestOf(data));
    }
    // one byte at a time
    const h = new StreamHash();
    for (let i = 0; i < data.length; i++) h.update(data, i, 1);
    expect(h.digest()).toBe(digestOf(data));
  });

  it('catches every single-byte change', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 2000 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (data, at, delta) => {
          const changed = data.slice();
          const i = at % data.length;
          changed[i] = (changed[i]! + delta) & 0xff;
          expect(digestOf(changed)).not.toBe(digestOf(data));
        },
      ),
      { numRuns: 500 },
    );
    // exhaustively: every flipped bit of a 64-byte stream gives its own digest
    const base = pattern(64);
    const seen = new Set([digestOf(base)]);
    for (let i = 0; i < 64 * 8; i++) {
      const c = base.slice();
      c[i >>> 3]! ^= 1 << (i & 7);
      seen.add(digestOf(c));
    }
    expect(seen.size).toBe(64 * 8 + 1);
  });

  it('catches swapped bytes', () => {
    const base = Uint8Array.from({ length: 48 }, (_, i) => (i * 97 + 13) & 0xff); // all different
    const original = digestOf(base);
    const seen = new Set<string>();
    for (let i = 0; i < base.length; i++) {
      for (let j = i + 1; j < base.length; j++) {
        const c = base.slice();
        c[i] = base[j]!;
        c[j] = base[i]!;
        seen.add(digestOf(c));
      }
    }
    expect(seen.has(original)).toBe(false);
    expect(seen.size).toBe((48 * 47) / 2);
  });

  it('catches swapped blocks, including words of one lane that differ only in their top bit', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 2, maxLength: 1500 }), fc.nat(), fc.nat(), fc.nat(), (data, x, y, z) => {
        const n = 1 + (z % Math.floor(data.length / 2));
        const a = x % (data.length - 2 * n + 1);
        const b = a + n + (y % (data.length - a - 2 * n + 1));
        const c = data.slice();
        c.set(data.subarray(b, b + n), a);
        c.set(data.subarray(a, a + n), b);
        fc.pre(c.some((v, i) => v !== data[i]));
        expect(digestOf(c)).not.toBe(digestOf(data));
      }),
      { numRuns: 500 },
    );
    const s = pattern(32);
    s[3] = 0x12;
    s[19] = 0x92; // words 0 and 4 (both lane 0) differ only in bit 31
    const t = s.slice();
    t.set(s.subarray(0, 4), 16);
    t.set(s.subarray(16, 20), 0);
    expect(digestOf(t)).not.toBe(digestOf(s));
  });

  it('catches a shifted stream of the same length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 2, maxLength: 1500 }), fc.nat(), (data, k) => {
        const by = 1 + (k % (data.length - 1));
        const rotated = new Uint8Array(data.length);
        rotated.set(data.subarray(by));
        rotated.set(data.subarray(0, by), data.length - by);
        fc.pre(rotated.some((v, i) => v !== data[i]));
        expect(digestOf(rotated)).not.toBe(digestOf(data));
      }),
      { numRuns: 300 },
    );
    // a lost byte padded at the end, as a receiver that skipped one would see it
    const data = pattern(1448);
    const lost = new Uint8Array(1448);
    lost.set(data.subarray(1));
    expect(digestOf(lost)).not.toBe(digestOf(data));
  });

  it('tells streams of zeros of different lengths apart (the padding of an unfinished word)', () => {
    const digests = new Set<string>();
    for (let n = 0; n < 20; n++) digests.add(digestOf(new Uint8Array(n)));
    expect(digests.size).toBe(20);
    expect(digestOf(new Uint8Array(5))).toMatch(/^[0-9a-f]{32}:5$/);
  });

  it('rejects a range outside the buffer', () => {
    const h = new StreamHash();
    expect(() => h.update(new Uint8Array(10), 8, 4)).toThrow(
      'StreamHash.update: bytes 8..12 are not inside a buffer of 10',
    );
    expect(() => h.update(new Uint8Array(10), -1, 2)).toThrow(RangeError);
    expect(h.length).toBe(0);
  });
});

describe('StreamHash over a WebAssembly memory (WebAssembly hash16)', () => {
  it('gives the same digests as over a plain Uint8Array, however the stream is split (property)', () => {
    const mem = wasmBytes(8192);
    expect(bytePassesFor(mem.buffer)).toBeDefined();
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 6000 }),
        fc.nat(64),
        fc.array(fc.nat(6000), { maxLength: 6 }),
        (data, off, cuts) => {
          mem.set(data, off);
          const plain = mem.slice();
          const points = [0, ...cuts.map((c) => c % (data.length + 1)).sort((a, b) => a - b), data.length];
          const k = new StreamHash(),
            js = new StreamHash();
          for (let i = 1; i < points.length; i++) {
            k.update(mem, off + points[i - 1]!, points[i]! - points[i - 1]!);
            js.update(plain, off + points[i - 1]!, points[i]! - points[i - 1]!);
          }
          expect(k.digest()).toBe(js.digest());
          expect(k.digest()).toBe(refDigest(data));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps the fixed digests', () => {
    const m = wasmBytes(1500);
    m.set(pattern(1500));
    expect(digestOf(m)).toBe('d0baa0e4eb553607f685e79bdc975c09:1500');
  });
});
