// Linear buffers for skbs the LRO frags path generates (netdev_alloc_skb of a header copy). Fixed-size
// slots in chunks; a slot returns to the free stack when its skb is freed. Grows, never shrinks.
import type { BufferOwner } from '../stack/skb.ts';

export class HeaderSlab implements BufferOwner {
  private readonly freeMem: Uint8Array[] = [];
  private readonly freeOff: number[] = [];
  /** Slots created (high-water mark) and currently handed out. */
  created = 0;
  inUse = 0;

  constructor(
    readonly slotSize: number,
    private readonly slotsPerChunk = 64,
  ) {}

  /** A free slot: the chunk it lives in (`mem`) and its offset there (`lastOff`). */
  lastOff = 0;
  alloc(): Uint8Array {
    if (this.freeMem.length === 0) this.grow();
    this.inUse++;
    this.lastOff = this.freeOff.pop()!;
    return this.freeMem.pop()!;
  }

  release(mem: Uint8Array, addr: number): void {
    this.inUse--;
    this.freeMem.push(mem);
    this.freeOff.push(addr);
  }

  private grow(): void {
    const chunk = new Uint8Array(this.slotSize * this.slotsPerChunk);
    for (let i = this.slotsPerChunk - 1; i >= 0; i--) {
      this.freeMem.push(chunk);
      this.freeOff.push(i * this.slotSize);
    }
    this.created += this.slotsPerChunk;
  }
}
