import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  sumBytes,
  fold,
  finish,
  checksum,
  csumAdd,
  csumSub,
  incrementalUpdate16,
  incrementalUpdate32,
  pseudoHeaderSum,
  pseudoHeaderSumAddrs,
  csumBlockAdd,
  sumBytesSimple,
  sumBytesFolded,
} from './checksum.ts';

/** Reference: RFC 1071 done the slow way, end-around carry after every word. */
function refChecksum(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) {
    s += (b[i]! << 8) | (b[i + 1] ?? 0);
    if (s > 0xffff) s = (s & 0xffff) + 1;
  }
  return ~s & 0xffff;
}

describe('checksum (RFC 1071)', () => {
  it('matches the RFC 1071 section 3 example', () => {
    const b = Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7);
    expect(sumBytes(b, 0, 8)).toBe(0x2ddf0);
    expect(fold(sumBytes(b, 0, 8))).toBe(0xddf2);
    expect(checksum(b, 0, 8)).toBe(0x220d);
  });

  it('pads an odd length with a zero byte and honours the offset', () => {
    const b = Uint8Array.of(0xff, 0x12, 0x34, 0x56);
    expect(sumBytes(b, 1, 3)).toBe(0x1234 + 0x5600);
    expect(checksum(b, 1, 3)).toBe(~(0x1234 + 0x5600) & 0xffff);
  });

  it('a header with its checksum filled in sums to 0xffff (a real IPv4 header)', () => {
    // 45 00 00 73 00 00 40 00 40 11 b8 61 c0 a8 00 01 c0 a8 00 c7 (checksum 0xb861, the classic example)
    const h = Uint8Array.from('450000730000400040110000c0a80001c0a800c7'.match(/../g)!, (x) => parseInt(x, 16));
    expect(checksum(h, 0, 20)).toBe(0xb861);
    h[10] = 0xb8;
    h[11] = 0x61;
    expect(fold(sumBytes(h, 0, 20))).toBe(0xffff);
  });

  it('equals the reference on random data', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (b) => {
        expect(checksum(b, 0, b.length)).toBe(refChecksum(b));
      }),
    );
  });

  it('chains: the sum of two halves equals the sum of the whole (even split)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.nat(200), (b, k) => {
        const split = Math.min(b.length, k * 2);
        expect(fold(sumBytes(b, split, b.length - split, sumBytes(b, 0, split)))).toBe(fold(sumBytes(b, 0, b.length)));
      }),
    );
  });

  it('csumBlockAdd handles a block at an odd offset (byte swapped)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.nat(199), (b, k) => {
        const split = k % b.length;
        const whole = fold(sumBytes(b, 0, b.length));
        const head = fold(sumBytes(b, 0, split));
        const tail = fold(sumBytes(b, split, b.length - split));
        // 1's-complement sums are equal modulo the two zeros (0 and 0xffff)
        const got = csumBlockAdd(head, tail, split);
        expect(got % 0xffff).toBe(whole % 0xffff);
      }),
    );
  });

  it('csumAdd / csumSub', () => {
    expect(csumAdd(0xffff, 0x0001)).toBe(0x0001);
    expect(csumAdd(0x1234, 0x4321)).toBe(0x5555);
    expect(csumSub(0x5555, 0x4321)).toBe(0x1234);
    expect(finish(0)).toBe(0xffff);
  });
});

/** Reference for the unfolded value: sum plus every big-endian word, written independently of checksum.ts. */
function refSumBytes(b: Uint8Array, off: number, len: number, sum: number): number {
  for (let i = 0; i < len; i += 2) sum += b[off + i]! * 256 + (i + 1 < len ? b[off + i + 1]! : 0);
  return sum > 0x7fffffff ? (sum % 0x10000) + Math.floor(sum / 0x10000) : sum;
}

describe('sumBytes word loop (exact unfolded value)', () => {
  it('equals the reference for any buffer placement, offset, length and running sum', () => {
    const initial = fc.oneof(
      fc.constant(0),
      fc.nat({ max: 0xffff }),
      fc.integer({ min: 0x7fff0000, max: 0x7fffffff }),
      fc.nat({ max: 2 ** 40 }),
    );
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.nat(7),
        fc.nat(),
        fc.nat(),
        initial,
        (data, shift, a, b, sum) => {
          // the same bytes at every alignment of the underlying ArrayBuffer
          const store = new Uint8Array(data.length + shift);
          store.set(data, shift);
          const buf = store.subarray(shift);
          const off = data.length === 0 ? 0 : a % data.length;
          const len = data.length === 0 ? 0 : b % (data.length - off + 1);
          const want = refSumBytes(buf, off, len, sum);
          expect(sumBytes(buf, off, len, sum)).toBe(want);
          expect(sumBytesSimple(buf, off, len, sum)).toBe(want);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('gives exact values on long runs at even and odd offsets', () => {
    const ff = new Uint8Array(1600).fill(0xff);
    for (let off = 0; off < 8; off++) expect(sumBytes(ff, off, 1500)).toBe(750 * 0xffff); // 49151250, below 2^31: not folded
    expect(sumBytes(ff, 3, 1501)).toBe(750 * 0xffff + 0xff00);
    // past 2^31 the result is partly folded, exactly as the word-at-a-time loop does it
    expect(sumBytes(ff, 1, 64, 0x7fffffff)).toBe(98302);
    const ramp = Uint8Array.from({ length: 1024 }, (_, i) => i & 0xff);
    // words 0x0001, 0x0203, …, 0xfeff four times over: 512 words averaging 0x7f80
    expect(sumBytes(ramp, 0, 1024)).toBe(512 * 0x7f80);
    expect(sumBytes(ramp, 1, 1022)).toBe(refSumBytes(ramp, 1, 1022, 0));
  });

  it('is unchanged next to the end of a buffer whose length is not a multiple of 4', () => {
    const store = new Uint8Array(1003).map((_, i) => (i * 37) & 0xff);
    for (const shift of [0, 1, 2, 3]) {
      const buf = store.subarray(shift);
      for (let back = 32; back < 40; back++) {
        expect(sumBytes(buf, buf.length - back, back, 7)).toBe(refSumBytes(buf, buf.length - back, back, 7));
      }
    }
  });

  it('keeps the old answers for ranges that leave the buffer or are not whole numbers (missing bytes count as zero)', () => {
    const b = Uint8Array.from({ length: 64 }, (_, i) => i + 1);
    expect(sumBytes(b, 40, 40)).toBe(sumBytesSimple(b, 40, 40));
    expect(sumBytes(b, 40, 40)).toBe(
      refSumBytes(
        Uint8Array.from({ length: 80 }, (_, i) => (i < 64 ? i + 1 : 0)),
        40,
        40,
        0,
      ),
    );
    expect(sumBytes(b, -2, 40)).toBe(sumBytesSimple(b, -2, 40));
    expect(sumBytes(b, 0, -5, 3)).toBe(3);
    expect(sumBytes(b, 1.5, 40)).toBe(sumBytesSimple(b, 1.5, 40));
  });

  it('the checksum of a 1514-byte frame body from the builder still verifies', () => {
    // pseudo-header + TCP header + payload chained through sumBytes, as l4checksum and the stack do
    const f = new Uint8Array(1514).map((_, i) => (i * 131) & 0xff);
    f[34 + 16] = 0;
    f[34 + 17] = 0;
    const c = finish(sumBytes(f, 34, 1480, pseudoHeaderSum(f, 26, 30, 6, 1480)));
    f[34 + 16] = c >>> 8;
    f[34 + 17] = c & 0xff;
    expect(fold(sumBytes(f, 34, 1480, pseudoHeaderSum(f, 26, 30, 6, 1480)))).toBe(0xffff);
    expect(fold(sumBytesSimple(f, 34, 1480, pseudoHeaderSum(f, 26, 30, 6, 1480)))).toBe(0xffff);
  });
});

describe('sumBytesFolded', () => {
  it('equals fold(sumBytes(…)) for any buffer placement, offset, length and running sum', () => {
    const initial = fc.oneof(
      fc.constant(0),
      fc.constant(0xffff),
      fc.constant(3 * 0xffff),
      fc.nat({ max: 0xffff }),
      fc.nat({ max: 2 ** 40 }),
    );
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 3000 }),
      fc.nat(300).map((n) => new Uint8Array(n)),
      fc.nat(300).map((n) => new Uint8Array(n).fill(0xff)),
    );
    fc.assert(
      fc.property(bytes, fc.nat(7), fc.nat(), fc.nat(), initial, (data, shift, a, b, sum) => {
        const store = new Uint8Array(data.length + shift);
        store.set(data, shift);
        const buf = store.subarray(shift);
        const off = data.length === 0 ? 0 : a % data.length;
        const len = data.length === 0 ? 0 : b % (data.length - off + 1);
        expect(sumBytesFolded(buf, off, len, sum)).toBe(fold(sumBytes(buf, off, len, sum)));
      }),
      { numRuns: 500 },
    );
  });

  it('tells the two zeros apart: 0 only when everything summed was zero', () => {
    const zeros = new Uint8Array(100);
    expect(sumBytesFolded(zeros, 1, 64)).toBe(0);
    expect(sumBytesFolded(zeros, 1, 64, 0xffff)).toBe(0xffff);
    const ff = new Uint8Array(100).fill(0xff);
    expect(sumBytesFolded(ff, 0, 64)).toBe(0xffff);
    expect(sumBytesFolded(ff, 3, 65)).toBe(fold(sumBytes(ff, 3, 65)));
    const one = new Uint8Array(100);
    one[97] = 1; // only the odd tail byte is non-zero
    expect(sumBytesFolded(one, 60, 38)).toBe(fold(sumBytes(one, 60, 38)));
  });

  it('stays exact over ranges longer than its 256 KiB blocks', () => {
    const big = new Uint8Array(600_001).fill(0xff);
    for (let i = 0; i < big.length; i += 7) big[i] = i & 0xff;
    expect(sumBytesFolded(big, 1, 600_000, 12345)).toBe(fold(sumBytes(big, 1, 600_000, 12345)));
    expect(sumBytesFolded(big, 0, 600_001)).toBe(fold(sumBytesSimple(big, 0, 600_001)));
  });
});

describe('incremental update (RFC 1624)', () => {
  it('gives the RFC 1624 section 4 example: 0xdd2f with 0x5555 → 0x3285 is 0x0000', () => {
    expect(incrementalUpdate16(0xdd2f, 0x5555, 0x3285)).toBe(0x0000);
  });

  it('equals recomputing after a 16-bit word changes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 2, maxLength: 200 }),
        fc.nat(),
        fc.integer({ min: 0, max: 0xffff }),
        (data, k, word) => {
          const b = data.length % 2 === 0 ? data : data.subarray(0, data.length - 1);
          const at = (k % (b.length / 2)) * 2;
          const before = checksum(b, 0, b.length);
          const oldWord = (b[at]! << 8) | b[at + 1]!;
          const c = b.slice();
          c[at] = word >>> 8;
          c[at + 1] = word & 0xff;
          fc.pre(c.some((x) => x !== 0)); // all-zero data is the one case where +0 and -0 differ
          expect(incrementalUpdate16(before, oldWord, word)).toBe(checksum(c, 0, c.length));
        },
      ),
    );
  });

  it('equals recomputing after a 32-bit field changes (e.g. a sequence number)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 4, maxLength: 200 }),
        fc.nat(),
        fc.nat({ max: 0xffffffff }),
        (data, k, value) => {
          const b = data.subarray(0, data.length & ~3);
          const at = (k % (b.length / 4)) * 4;
          const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
          const before = checksum(b, 0, b.length);
          const oldValue = dv.getUint32(at);
          const c = b.slice();
          new DataView(c.buffer).setUint32(at, value);
          fc.pre(c.some((x) => x !== 0));
          expect(incrementalUpdate32(before, oldValue, value)).toBe(checksum(c, 0, c.length));
        },
      ),
    );
  });
});

describe('pseudo-header', () => {
  it('the same sum from addresses in a buffer and from numbers', () => {
    const b = Uint8Array.of(10, 0, 0, 1, 192, 168, 1, 254);
    expect(pseudoHeaderSum(b, 0, 4, 6, 1480)).toBe(0x0a00 + 0x0001 + 0xc0a8 + 0x01fe + 6 + 1480);
    expect(fold(pseudoHeaderSumAddrs(0x0a000001, 0xc0a801fe, 6, 1480))).toBe(fold(pseudoHeaderSum(b, 0, 4, 6, 1480)));
  });
});
