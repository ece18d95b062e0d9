// FrameDigest (hw-models/parse.ts): one pass giving the FCS and the RFC 1071 sum of a frame image, against crc32 and
// sumBytesSimple on the same bytes, over every alignment, short and jumbo lengths; in a plain Uint8Array (the
// JavaScript path) and in a WebAssembly-backed DMA memory (wire/byte-passes.ts), which must agree bit for bit.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FrameDigest, crc32 } from './frame-checks.ts';
import { DIGEST_PASS_MAX_BYTES, bytePassesAvailable, bytePassesFor, wasmBytes } from '../wire/byte-passes.ts';
import { DmaMemory } from './dma.ts';
import { fold, sumBytesSimple } from '../wire/checksum.ts';

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

function inWasmMemory(b: Uint8Array): Uint8Array {
  const m = wasmBytes(b.length);
  m.set(b);
  return m;
}

describe.each([
  ['a plain Uint8Array', (b: Uint8Array): Uint8Array => b],
  ['a WebAssembly-backed memory', inWasmMemory],
])('FrameDigest in %s', (_, place) => {
  it('equals crc32 and the word sum from sumFrom, for every offset mod 16 and lengths around the block edges', () => {
    const mem = place(bytes(20_000, 7));
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
    const big = place(new Uint8Array(10_000).fill(0xff));
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

describe('the WebAssembly digest pass', () => {
  it('is available on Node 20, and DMA memories are backed by it', () => {
    expect(bytePassesAvailable).toBe(true);
    const dma = new DmaMemory({ staticBytes: 4096, slabs: [{ size: 2048, count: 4 }] });
    expect(bytePassesFor(dma.bytes.buffer)).toBeDefined();
    expect(dma.bytes.byteOffset).toBe(0);
    // the view ends where the DMA memory does: a stray write cannot reach the passes' tables past it
    expect(dma.view.byteLength).toBe(dma.size);
    expect(() => dma.view.setUint32(dma.size, 0)).toThrow(RangeError);
    expect(bytePassesFor(new Uint8Array(64).buffer)).toBeUndefined();
  });

  it('agrees with the JavaScript path on any bytes, offset, length and sum start (property)', () => {
    const wasmMem = wasmBytes(4096);
    const k = new FrameDigest(),
      js = new FrameDigest();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 3000 }), fc.nat(1000), fc.nat(100), (data, off, sumHalf) => {
        wasmMem.fill(0);
        wasmMem.set(data, off);
        const plain = wasmMem.slice();
        const sumFrom = 2 * sumHalf;
        k.compute(wasmMem, off, data.length, sumFrom);
        js.compute(plain, off, data.length, sumFrom);
        expect([k.fcs, k.sum]).toEqual([js.fcs, js.sum]);
        expect(k.fcs).toBe(crc32(plain, off, data.length));
      }),
      { numRuns: 300 },
    );
  });

  it('leaves runs longer than its limit to the JavaScript path, with the same result', () => {
    const n = DIGEST_PASS_MAX_BYTES + 48;
    const m = inWasmMemory(bytes(n, 3));
    const d = new FrameDigest();
    d.compute(m, 0, n, 14);
    expect(d.fcs).toBe(crc32(m, 0, n));
    // sumBytesSimple keeps its sum below 2^32, so compare folded values at this length
    expect(fold(d.sum)).toBe(fold(sumBytesSimple(m, 14, n - 14)));
    const js = new FrameDigest();
    js.compute(m.slice(), 0, n, 14);
    expect([d.fcs, d.sum]).toEqual([js.fcs, js.sum]);
  });
});
