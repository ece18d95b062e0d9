// DMA memory as the stack's buffer owner: an skb built over DMA buffers (linear head and page fragments)
// gives every buffer back when it is freed. Cross-layer (hw-models/ and stack/), so it lives here.
import { describe, expect, it } from 'vitest';
import { DmaMemory } from '../hw-models/dma.ts';
import { SkbPool, freeSkb, type BufferOwner } from '../stack/skb.ts';

describe('DmaMemory under skbs', () => {
  it('is a BufferOwner: freeSkb returns the linear buffer and every page fragment', () => {
    const dma = new DmaMemory({
      staticBytes: 0,
      slabs: [
        { size: 2048, count: 2 },
        { size: 4096, count: 1 },
      ],
    });
    const owner: BufferOwner = dma;
    const pool = new SkbPool();
    const head = dma.alloc(2048),
      page = dma.alloc(4096);
    dma.ref(page);
    const skb = pool.get().setLinear(dma.bytes, head, 100);
    skb.headOwner = owner;
    skb.headOwnerAddr = head;
    skb.addFrag(dma.bytes, page + 2, 1000, owner, page);
    skb.addFrag(dma.bytes, page + 2048, 500, owner, page);
    expect(dma.counters.bytesInUse).toBe(2048 + 4096);
    freeSkb(skb);
    expect(dma.counters.bytesInUse).toBe(0);
    expect(dma.counters.allocations).toBe(dma.counters.releases);
  });
});
