import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  sumBytes, fold, finish, checksum, csumAdd, csumSub, incrementalUpdate16, incrementalUpdate32,
  pseudoHeaderSum, pseudoHeaderSumAddrs, csumBlockAdd,
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
    h[10] = 0xb8; h[11] = 0x61;
    expect(fold(sumBytes(h, 0, 20))).toBe(0xffff);
  });

  it('equals the reference on random data', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), (b) => {
      expect(checksum(b, 0, b.length)).toBe(refChecksum(b));
    }));
  });

  it('chains: the sum of two halves equals the sum of the whole (even split)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), fc.nat(200), (b, k) => {
      const split = Math.min(b.length, k * 2);
      expect(fold(sumBytes(b, split, b.length - split, sumBytes(b, 0, split)))).toBe(fold(sumBytes(b, 0, b.length)));
    }));
  });

  it('csumBlockAdd handles a block at an odd offset (byte swapped)', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.nat(199), (b, k) => {
      const split = k % b.length;
      const whole = fold(sumBytes(b, 0, b.length));
      const head = fold(sumBytes(b, 0, split));
      const tail = fold(sumBytes(b, split, b.length - split));
      // 1's-complement sums are equal modulo the two zeros (0 and 0xffff)
      const got = csumBlockAdd(head, tail, split);
      expect(got % 0xffff).toBe(whole % 0xffff);
    }));
  });

  it('csumAdd / csumSub', () => {
    expect(csumAdd(0xffff, 0x0001)).toBe(0x0001);
    expect(csumAdd(0x1234, 0x4321)).toBe(0x5555);
    expect(csumSub(0x5555, 0x4321)).toBe(0x1234);
    expect(finish(0)).toBe(0xffff);
  });
});

describe('incremental update (RFC 1624)', () => {
  it('gives the RFC 1624 section 4 example: 0xdd2f with 0x5555 → 0x3285 is 0x0000', () => {
    expect(incrementalUpdate16(0xdd2f, 0x5555, 0x3285)).toBe(0x0000);
  });

  it('equals recomputing after a 16-bit word changes', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 2, maxLength: 200 }), fc.nat(), fc.integer({ min: 0, max: 0xffff }), (data, k, word) => {
      const b = data.length % 2 === 0 ? data : data.subarray(0, data.length - 1);
      const at = (k % (b.length / 2)) * 2;
      const before = checksum(b, 0, b.length);
      const oldWord = (b[at]! << 8) | b[at + 1]!;
      const c = b.slice();
      c[at] = word >>> 8; c[at + 1] = word & 0xff;
      fc.pre(c.some((x) => x !== 0)); // all-zero data is the one case where +0 and -0 differ
      expect(incrementalUpdate16(before, oldWord, word)).toBe(checksum(c, 0, c.length));
    }));
  });

  it('equals recomputing after a 32-bit field changes (e.g. a sequence number)', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 4, maxLength: 200 }), fc.nat(), fc.nat({ max: 0xffffffff }), (data, k, value) => {
      const b = data.subarray(0, data.length & ~3);
      const at = (k % (b.length / 4)) * 4;
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      const before = checksum(b, 0, b.length);
      const oldValue = dv.getUint32(at);
      const c = b.slice();
      new DataView(c.buffer).setUint32(at, value);
      fc.pre(c.some((x) => x !== 0));
      expect(incrementalUpdate32(before, oldValue, value)).toBe(checksum(c, 0, c.length));
    }));
  });
});

describe('pseudo-header', () => {
  it('the same sum from addresses in a buffer and from numbers', () => {
    const b = Uint8Array.of(10, 0, 0, 1, 192, 168, 1, 254);
    expect(pseudoHeaderSum(b, 0, 4, 6, 1480)).toBe(0x0a00 + 0x0001 + 0xc0a8 + 0x01fe + 6 + 1480);
    expect(fold(pseudoHeaderSumAddrs(0x0a000001, 0xc0a801fe, 6, 1480))).toBe(fold(pseudoHeaderSum(b, 0, 4, 6, 1480)));
  });
});
