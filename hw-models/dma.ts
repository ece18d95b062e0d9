// DMA memory: one Uint8Array shared by the device and the driver. Descriptor rings are carved from
// its front at model construction; receive buffers and pages come from fixed-size slab classes with
// O(1) alloc/free and a refcount per slot (a page can back several skb fragments). The bytes live in a WebAssembly
// memory when they can, so the model's per-frame FCS + checksum pass runs as WebAssembly (wire/byte-passes.ts).

import { wasmBytes } from '../wire/byte-passes.ts';

/** One slab class: `count` buffers of `size` bytes. */
export interface SlabClass {
  size: number;
  count: number;
}

/** Allocator counters (bytes are slot sizes, not requested sizes). */
export interface DmaCounters {
  bytesInUse: number;
  peakBytesInUse: number;
  failedAllocations: number;
  allocations: number;
  releases: number;
}

/** Addresses below this are never buffers: 0 reads as "no buffer". */
export const DMA_NULL_GUARD = 64;
const REGION_ALIGN = 4096;

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

interface Slab {
  size: number;
  count: number;
  base: number;
  end: number;
  free: Int32Array;
  freeTop: number;
  refs: Uint16Array;
}

/**
 * The device's DMA-visible memory. Structurally a `BufferOwner` (stack/skb.ts): an skb whose data or
 * fragment points into `bytes` hands its reference back with `release(mem, addr)`.
 */
export class DmaMemory {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly counters: DmaCounters = {
    bytesInUse: 0,
    peakBytesInUse: 0,
    failedAllocations: 0,
    allocations: 0,
    releases: 0,
  };
  private readonly slabs: Slab[] = [];
  private carveNext = DMA_NULL_GUARD;
  private readonly carveEnd: number;

  /** Address of the device's private staging area (-1 when none was asked for). */
  readonly scratchAt: number;
  readonly scratchBytes: number;

  /**
   * `staticBytes`: room for rings carved with `carve`; `slabs`: buffer classes (any order);
   * `scratchBytes`: a staging area the device assembles frames in (so copies into buffers are memmoves).
   */
  constructor(opts: { staticBytes: number; slabs: readonly SlabClass[]; scratchBytes?: number }) {
    this.carveEnd = alignUp(DMA_NULL_GUARD + opts.staticBytes, REGION_ALIGN);
    this.scratchBytes = opts.scratchBytes ?? 0;
    this.scratchAt = this.scratchBytes > 0 ? this.carveEnd : -1;
    let at = alignUp(this.carveEnd + this.scratchBytes, REGION_ALIGN);
    const sorted = [...opts.slabs].sort((a, b) => a.size - b.size);
    for (const c of sorted) {
      if (!Number.isInteger(c.size) || c.size <= 0 || !Number.isInteger(c.count) || c.count < 0 || c.count > 0xffffff)
        throw new RangeError(
          `DMA slab class {size: ${c.size}, count: ${c.count}}: size must be a positive integer, count 0..16777215`,
        );
      const base = at;
      const free = new Int32Array(c.count);
      for (let i = 0; i < c.count; i++) free[i] = c.count - 1 - i; // pop() yields slot 0 first
      this.slabs.push({
        size: c.size,
        count: c.count,
        base,
        end: base + c.size * c.count,
        free,
        freeTop: c.count,
        refs: new Uint16Array(c.count),
      });
      at = alignUp(base + c.size * c.count, REGION_ALIGN);
    }
    this.bytes = wasmBytes(at);
    this.view = new DataView(this.bytes.buffer, 0, this.bytes.length); // the passes' tables lie past the end
  }

  get size(): number {
    return this.bytes.length;
  }

  /** Reserves `n` bytes of static (ring) memory aligned to `align`; throws when the reservation is exhausted. */
  carve(n: number, align = 64): number {
    const at = alignUp(this.carveNext, align);
    if (at + n > this.carveEnd)
      throw new RangeError(`DMA static area exhausted: need ${n} bytes at ${at}, area ends at ${this.carveEnd}`);
    this.carveNext = at + n;
    return at;
  }

  /** The slot size `alloc(size)` would hand out (the smallest class that fits), or -1. */
  classFor(size: number): number {
    for (const s of this.slabs) if (s.size >= size) return s.size;
    return -1;
  }

  /**
   * Called when an allocation finds every fitting class empty: the lab wires the stack's memory-pressure
   * pruning here (skbs parked in out-of-order queues would otherwise pin every buffer, and with the rings
   * empty no frame could arrive to fill the holes). Returns true when it freed something; the allocation
   * is then tried once more.
   */
  onExhausted: (() => boolean) | undefined = undefined;
  private inExhausted = false;

  /** A buffer of at least `size` bytes with refcount 1 (smallest class that fits and has a free slot), or -1. */
  alloc(size: number): number {
    for (const s of this.slabs) {
      if (s.size < size || s.freeTop === 0) continue;
      const slot = s.free[--s.freeTop]!;
      s.refs[slot] = 1;
      this.counters.allocations++;
      this.counters.bytesInUse += s.size;
      if (this.counters.bytesInUse > this.counters.peakBytesInUse)
        this.counters.peakBytesInUse = this.counters.bytesInUse;
      return s.base + slot * s.size;
    }
    if (this.onExhausted !== undefined && !this.inExhausted) {
      this.inExhausted = true;
      const freed = this.onExhausted();
      this.inExhausted = false;
      if (freed) return this.alloc(size);
    }
    this.counters.failedAllocations++;
    return -1;
  }

  /** Takes one more reference on the buffer containing `addr` (get_page). */
  ref(addr: number): void {
    const s = this.slabOf(addr);
    const slot = Math.floor((addr - s.base) / s.size);
    if (s.refs[slot] === 0) throw new RangeError(`DMA ref of free buffer at ${addr}`);
    if (s.refs[slot] === 0xffff) throw new RangeError(`DMA refcount overflow at ${addr}`);
    s.refs[slot]!++;
  }

  /** Drops one reference on the buffer containing `addr`; the last one returns it to its class. */
  release(_mem: Uint8Array, addr: number): void {
    const s = this.slabOf(addr);
    const slot = Math.floor((addr - s.base) / s.size);
    const r = s.refs[slot]!;
    if (r === 0) throw new RangeError(`DMA double free of buffer at ${addr}`);
    s.refs[slot] = r - 1;
    if (r === 1) {
      s.free[s.freeTop++] = slot;
      this.counters.releases++;
      this.counters.bytesInUse -= s.size;
    }
  }

  /** Same as `release(bytes, addr)`. */
  free(addr: number): void {
    this.release(this.bytes, addr);
  }

  /** References held on the buffer containing `addr`. */
  refcount(addr: number): number {
    const s = this.slabOf(addr);
    return s.refs[Math.floor((addr - s.base) / s.size)]!;
  }

  /** Base address and size of the buffer containing `addr`. */
  bufferBase(addr: number): number {
    const s = this.slabOf(addr);
    return s.base + Math.floor((addr - s.base) / s.size) * s.size;
  }

  /** Free slots per class, for tests and reports. */
  freeSlots(size: number): number {
    for (const s of this.slabs) if (s.size === size) return s.freeTop;
    return 0;
  }

  /** True when [addr, addr+len) lies inside one allocated buffer (the device's check before DMA). */
  isMapped(addr: number, len: number): boolean {
    for (const s of this.slabs) {
      if (addr < s.base || addr >= s.end) continue;
      const slot = Math.floor((addr - s.base) / s.size);
      return s.refs[slot]! > 0 && addr + len <= s.base + (slot + 1) * s.size;
    }
    return false;
  }

  private slabOf(addr: number): Slab {
    for (const s of this.slabs) if (addr >= s.base && addr < s.end) return s;
    throw new RangeError(`DMA address ${addr} is not in any buffer class`);
  }
}

/** The one byte copy (wire/bytes.ts), re-exported where drivers have always found it. */
export { copyBytes } from '../wire/bytes.ts';

/** Writes a DMA address as a 64-bit field (high word 0) at `off`. */
export function setAddr64(view: DataView, off: number, addr: number, littleEndian: boolean): void {
  view.setUint32(off + (littleEndian ? 0 : 4), addr >>> 0, littleEndian);
  view.setUint32(off + (littleEndian ? 4 : 0), Math.floor(addr / 0x100000000), littleEndian);
}

/** Reads a 64-bit address field (must fit in 53 bits). */
export function getAddr64(view: DataView, off: number, littleEndian: boolean): number {
  const lo = view.getUint32(off + (littleEndian ? 0 : 4), littleEndian);
  const hi = view.getUint32(off + (littleEndian ? 4 : 0), littleEndian);
  return hi * 0x100000000 + lo;
}
