// wire/byte-passes.ts: WebAssembly memories, and bytesSum against wire/checksum.ts's sums on any bytes, offset and length.
// (The digest and the hash are checked against their JavaScript paths in hw-models/frame-digest.test.ts and
// wire/stream-hash.test.ts.)
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { REFERENCE_AREA, bytePassesAvailable, bytesSum, wasmBytes, bytePassesFor } from './byte-passes.ts';
import { fold, sumBytes, sumBytesSimple } from './checksum.ts';

describe('wasmBytes', () => {
  it('hands out zeroed WebAssembly-backed bytes of the exact size at byteOffset 0', () => {
    expect(bytePassesAvailable).toBe(true);
    const m = wasmBytes(100_000);
    expect(m.length).toBe(100_000);
    expect(m.byteOffset).toBe(0);
    expect(m.every((x) => x === 0)).toBe(true);
    expect(bytePassesFor(m.buffer)).toBeDefined();
    expect(m.buffer.byteLength).toBeGreaterThanOrEqual(100_000 + 16384);
  });
});

describe('bytesSum', () => {
  it('equals the exact word sum in a WebAssembly memory and folds like sumBytes anywhere (property)', () => {
    const mem = wasmBytes(12_000);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 9100 }), fc.nat(2000), (data, off) => {
        mem.fill(0);
        mem.set(data, off);
        const plain = mem.slice();
        const exact = sumBytesSimple(plain, off, data.length);
        expect(bytesSum(mem, off, data.length)).toBe(exact);
        expect(fold(bytesSum(plain, off, data.length))).toBe(fold(sumBytes(plain, off, data.length)));
      }),
      { numRuns: 300 },
    );
  });

  it('takes an odd offset and an odd length, and the largest sums', () => {
    const mem = wasmBytes(10_000).fill(0xff);
    expect(bytesSum(mem, 1, 9001)).toBe(4500 * 0xffff + 0xff00);
    expect(() => bytesSum(mem, 9000, 1001)).toThrow(/not inside a buffer of 10000/);
  });
});

describe('same and copy', () => {
  it('same says whether two ranges are equal, as a byte loop does; copy gives copyWithin’s bytes (property)', () => {
    const mem = wasmBytes(8192);
    const k = bytePassesFor(mem.buffer)!;
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 8192, maxLength: 8192 }),
        fc.nat(4000),
        fc.nat(4000),
        fc.nat(4000),
        fc.option(fc.nat(3999)),
        (data, a, b, len, flip) => {
          mem.set(data);
          mem.copyWithin(b, a, a + len);
          if (flip !== null && flip < len) mem[b + flip]! ^= 0x10;
          let equal = true;
          for (let i = 0; i < len; i++) if (mem[a + i] !== mem[b + i]) equal = false;
          expect(k.same(a, b, len)).toBe(equal ? 1 : 0);
          const plain = data.slice();
          plain.copyWithin(b, a, a + len);
          mem.set(data);
          k.copy(b, a, len);
          // one byte comparison, not a deep equality of 8192 elements (about 15 ms each)
          expect(Buffer.compare(mem, plain)).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps one copy of a reference source and refuses one larger than its area', () => {
    const k = bytePassesFor(wasmBytes(64).buffer)!;
    const src = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
    const at = k.referenceAt(src);
    expect(at).toBeGreaterThanOrEqual(64);
    expect(k.referenceAt(src)).toBe(at);
    expect(k.referenceAt(new Uint8Array(REFERENCE_AREA + 1))).toBe(-1);
  });
});
