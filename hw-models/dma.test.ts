import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../sim/clock.ts';
import { DMA_NULL_GUARD, DmaMemory, getAddr64, setAddr64 } from './dma.ts';
import { IrqLine } from './irq.ts';
import { Ring } from './ring.ts';

describe('DmaMemory', () => {
  it('hands out slots from the smallest class that fits, O(1), and counts bytes and failures', () => {
    const dma = new DmaMemory({
      staticBytes: 1000,
      slabs: [
        { size: 4096, count: 2 },
        { size: 256, count: 3 },
      ],
    });
    const a = dma.alloc(100),
      b = dma.alloc(256),
      c = dma.alloc(257);
    expect([dma.classFor(100), dma.classFor(257), dma.classFor(5000)]).toEqual([256, 4096, -1]);
    expect(a).toBeGreaterThanOrEqual(DMA_NULL_GUARD);
    expect(b - a).toBe(256);
    expect(dma.bufferBase(c)).toBe(c);
    expect(dma.counters.bytesInUse).toBe(256 + 256 + 4096);
    dma.alloc(1);
    dma.alloc(1); // third 256 slot, then it spills into the last 4096
    expect(dma.alloc(1)).toBe(-1);
    expect(dma.counters.failedAllocations).toBe(1);
    expect(dma.counters.peakBytesInUse).toBe(3 * 256 + 2 * 4096);
    dma.free(a);
    expect(dma.alloc(10)).toBe(a); // last freed, first reused
    expect(() => dma.alloc(1e9)).not.toThrow();
  });

  it('pages are refcounted: each fragment reference is released once; the last returns the page', () => {
    const dma = new DmaMemory({ staticBytes: 0, slabs: [{ size: 4096, count: 1 }] });
    const p = dma.alloc(4096);
    dma.ref(p + 128);
    dma.ref(p + 256);
    expect(dma.refcount(p)).toBe(3);
    dma.release(dma.bytes, p + 256);
    dma.release(dma.bytes, p);
    expect(dma.freeSlots(4096)).toBe(0);
    dma.release(dma.bytes, p + 128);
    expect(dma.freeSlots(4096)).toBe(1);
    expect(() => dma.free(p)).toThrow(`DMA double free of buffer at ${p}`);
    expect(() => dma.free(3)).toThrow('DMA address 3 is not in any buffer class');
  });

  it('carves static ring memory with alignment and refuses to overrun it', () => {
    const dma = new DmaMemory({ staticBytes: 200, slabs: [] });
    expect(dma.carve(10, 128)).toBe(128);
    expect(() => dma.carve(10000)).toThrow(/DMA static area exhausted/);
  });

  it('isMapped accepts only ranges inside one allocated buffer', () => {
    const dma = new DmaMemory({ staticBytes: 0, slabs: [{ size: 256, count: 2 }] });
    const a = dma.alloc(1);
    expect(dma.isMapped(a, 256)).toBe(true);
    expect(dma.isMapped(a, 257)).toBe(false);
    expect(dma.isMapped(a + 256, 1)).toBe(false); // the neighbour is free
    expect(dma.isMapped(0, 1)).toBe(false);
  });

  it('64-bit address fields round-trip in both byte orders', () => {
    const v = new DataView(new ArrayBuffer(16));
    setAddr64(v, 0, 0x1_0000_0042, true);
    expect([v.getUint32(0, true), v.getUint32(4, true)]).toEqual([0x42, 1]);
    expect(getAddr64(v, 0, true)).toBe(0x1_0000_0042);
    setAddr64(v, 8, 0x1_0000_0042, false);
    expect([v.getUint32(8), v.getUint32(12)]).toEqual([1, 0x42]);
    expect(getAddr64(v, 8, false)).toBe(0x1_0000_0042);
  });
});

describe('Ring', () => {
  it('one slot stays empty: available, space and phase follow head/tail', () => {
    const r = new Ring({ queue: 0, name: 'x', role: 'rx', base: 1000, entries: 4, entrySize: 16, bufferBytes: 0 });
    expect(r.addr(3)).toBe(1048);
    r.writeTail(3, 'test');
    expect(r.available).toBe(3);
    expect(() => r.writeTail(4, 'q0 rx doorbell')).toThrow(
      'q0 rx doorbell: doorbell value 4 is not a ring index (0..3)',
    );
    r.advanceHead();
    r.advanceHead();
    r.advanceHead();
    expect(r.available).toBe(0);
    expect(r.phase).toBe(1);
    r.advanceHead();
    expect(r.head).toBe(0);
    expect(r.phase).toBe(0);
    const cq = new Ring({
      queue: 0,
      name: 'cq',
      role: 'completion',
      base: 0,
      entries: 4,
      entrySize: 64,
      bufferBytes: 0,
    });
    expect(cq.space).toBe(3);
    cq.advanceHead();
    cq.advanceHead();
    cq.advanceHead();
    expect(cq.space).toBe(0);
    cq.writeTail(2, 'cq');
    expect(cq.space).toBe(2);
  });
});

describe('IrqLine', () => {
  it('count threshold, delay timer, absolute timer, mask latch', () => {
    const clock = new VirtualClock();
    const line = new IrqLine(clock, 3, { packets: 2, delayNs: 1000, absoluteNs: 0 });
    const calls: [number, number][] = [];
    line.handler = (q) => calls.push([q, clock.now]);
    line.event();
    line.event();
    expect(calls).toEqual([[3, 0]]);
    expect(line.masked).toBe(true);
    line.unmask();
    line.event();
    clock.run();
    expect(calls).toEqual([
      [3, 0],
      [3, 1000],
    ]);
    expect(line.counters).toEqual({ irqs: 2, irq_by_count: 1, irq_by_delay: 1, irq_by_absolute: 0, irq_by_unmask: 0 });
    line.event();
    clock.run(); // masked: the timer latches the cause
    expect(calls).toHaveLength(2);
    expect(line.asserted).toBe(true);
    line.unmask();
    clock.run();
    expect(calls).toEqual([
      [3, 0],
      [3, 1000],
      [3, 2000],
    ]);
    expect(line.counters.irq_by_unmask).toBe(1);
  });
});

import fc from 'fast-check';

describe('DmaMemory property', () => {
  it('any sequence of alloc/ref/release keeps bytesInUse equal to the live slots and never hands out a live slot', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 5000 })), { maxLength: 200 }),
        (ops) => {
          const dma = new DmaMemory({
            staticBytes: 0,
            slabs: [
              { size: 256, count: 4 },
              { size: 4096, count: 3 },
            ],
          });
          const live = new Map<number, number>(); // addr → refs
          for (const [op, n] of ops) {
            const addrs = [...live.keys()];
            if (op === 0 || addrs.length === 0) {
              const a = dma.alloc(n);
              if (a >= 0) {
                expect(live.has(a)).toBe(false);
                live.set(a, 1);
              }
            } else {
              const a = addrs[n % addrs.length]!;
              if (op === 1) {
                dma.ref(a);
                live.set(a, live.get(a)! + 1);
              } else {
                dma.free(a);
                const r = live.get(a)! - 1;
                if (r === 0) live.delete(a);
                else live.set(a, r);
              }
            }
            const bytes = [...live.keys()].reduce((s, a) => s + (a < 8192 ? 256 : 4096), 0); // 256-byte class at 4096.., 4096-byte class from 8192
            expect(dma.counters.bytesInUse).toBe(bytes);
            for (const [a, r] of live) expect(dma.refcount(a)).toBe(r);
          }
        },
      ),
    );
  });
});
