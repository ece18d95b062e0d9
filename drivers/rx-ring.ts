// The driver's half of a receive ring, written once for every sample driver: next_to_use / next_to_clean,
// buffer_info (the shadow array: the descriptor's own copy of the address is overwritten by the device's
// write-back, so the driver keeps where each posted buffer is), alloc_rx_buffers with a counted failure, and
// a completion read by DD bit (descriptor done, EOP on a frame's last descriptor) or by phase bit (a
// completion queue whose valid bit flips each lap). The names are the Linux drivers' (e1000, igb, ehea).
import type { NicModel } from '../hw-models/model.ts';

/** buffer_info of an empty slot: no buffer posted there. */
export const NO_BUFFER = -1;

/** Where a ring's buffers come from and how a posted descriptor is written: the model-specific half of alloc_rx_buffers. */
export interface RxBufferSource {
  /** A fresh buffer for `slot` (its DMA address, or another handle ≥ 0), or a negative number when memory is short. */
  allocRxBuffer(ring: RxRing, slot: number): number;
  /** Writes the descriptor at `slot` as the device reads it, pointing at `buffer`. */
  writeRxDesc(ring: RxRing, slot: number, buffer: number): void;
}

/** One driver-produced receive ring (rx, RQ1-3, small/big) of one queue. */
export class RxRing {
  readonly name: string;
  readonly base: number;
  readonly entries: number;
  readonly descSize: number;
  readonly bufferBytes: number;
  /** buffer_info: ring slot → the buffer posted there (NO_BUFFER: empty). */
  readonly bufferInfo: Int32Array;
  /** next_to_use: the slot the driver posts next; next_to_clean: the slot the device completes next. */
  nextToUse = 0;
  nextToClean = 0;
  /** Descriptors posted and not yet cleaned. */
  posted = 0;
  /** Ring slot → when the driver first saw it completed (for a write-back with no time stamp; see noteArrivals). */
  private arrival: Float64Array | null = null;
  private stamped = 0;

  constructor(
    readonly nic: NicModel,
    readonly queue: number,
    name: string,
  ) {
    const info = nic.ring(queue, name);
    this.name = name;
    this.base = info.base;
    this.entries = info.entries;
    this.descSize = info.entrySize;
    this.bufferBytes = info.bufferBytes;
    this.bufferInfo = new Int32Array(info.entries).fill(NO_BUFFER);
  }

  /** The DMA address of the descriptor at `slot`. */
  desc(slot: number): number {
    return this.base + slot * this.descSize;
  }

  /** The slot after `slot`, wrapping. */
  next(slot: number): number {
    return slot + 1 === this.entries ? 0 : slot + 1;
  }

  /** E1000_DESC_UNUSED: slots the driver may post now (one always stays empty, so full and empty differ). */
  get unused(): number {
    return this.entries - 1 - this.posted;
  }

  /** Completions the device has written and the driver not yet cleaned (the occupancy sampled at poll time). */
  get waiting(): number {
    return (this.nic.readHead(this.queue, this.name) - this.nextToClean + this.entries) % this.entries;
  }

  /** Buffers the ring holds (posted, or kept in buffer_info for reuse). */
  get buffers(): number {
    let n = 0;
    for (let s = 0; s < this.entries; s++) if (this.bufferInfo[s] !== NO_BUFFER) n++;
    return n;
  }

  /**
   * alloc_rx_buffers: posts a buffer in every unused slot (one a slot still holds is posted again: a recycled
   * buffer), then writes the doorbell once. False when an allocation failed: the caller counts it under its
   * driver's name, and the slots stay empty until the next poll retries.
   */
  allocRxBuffers(source: RxBufferSource): boolean {
    let n = 0,
      ok = true;
    while (this.posted < this.entries - 1) {
      const slot = this.nextToUse;
      let buffer = this.bufferInfo[slot]!;
      if (buffer === NO_BUFFER) {
        buffer = source.allocRxBuffer(this, slot);
        if (buffer < 0) {
          ok = false;
          break;
        }
        this.bufferInfo[slot] = buffer;
      }
      source.writeRxDesc(this, slot, buffer);
      this.nextToUse = this.next(slot);
      this.posted++;
      n++;
    }
    if (n > 0) this.nic.doorbell(this.queue, this.name, this.nextToUse);
    return ok;
  }

  /**
   * Takes the buffer at `slot` (next_to_clean, or the slot a completion names: eHEA's wr_id) out of buffer_info
   * (the slot is empty until refilled); next_to_clean moves past it.
   */
  clean(slot = this.nextToClean): number {
    const buffer = this.bufferInfo[slot]!;
    this.bufferInfo[slot] = NO_BUFFER;
    this.nextToClean = this.next(slot);
    this.posted--;
    return buffer;
  }

  /** Cleans `slot` but leaves its buffer in buffer_info: the next refill posts it again (an error completion's buffer is recycled). */
  recycle(slot = this.nextToClean): void {
    this.nextToClean = this.next(slot);
    this.posted--;
  }

  /**
   * The DD-bit completion: how many descriptors from next_to_clean make the next complete frame (DD set on
   * each, EOP on the last), 0 when it is not all written back yet. `statusBytes` is the STATUS field's width.
   */
  ddFrame(statusOffset: number, statusBytes: 1 | 2, dd: number, eop: number): number {
    const v = this.nic.dma.view;
    for (let k = 0, s = this.nextToClean; k < this.entries - 1; k++, s = this.next(s)) {
      const at = this.desc(s) + statusOffset;
      const status = statusBytes === 1 ? v.getUint8(at) : v.getUint16(at, this.nic.littleEndian);
      if ((status & dd) === 0) return 0;
      if ((status & eop) !== 0) return k + 1;
    }
    return 0;
  }

  /** Stamps every slot the device completed since the driver last looked with the current time (the write-back has no time stamp). */
  noteArrivals(): void {
    if (this.arrival === null) this.arrival = new Float64Array(this.entries);
    const head = this.nic.readHead(this.queue, this.name),
      now = this.nic.clock.now;
    for (let s = this.stamped; s !== head; s = this.next(s)) this.arrival[s] = now;
    this.stamped = head;
  }

  /** When the driver first saw `slot` completed (noteArrivals). */
  arrivalOf(slot: number): number {
    return this.arrival?.[slot] ?? this.nic.clock.now;
  }

  /** Driver unload with the device idle: hands every buffer in buffer_info to `free`. */
  freeRxResources(free: (buffer: number, slot: number) => void): void {
    for (let s = 0; s < this.entries; s++) {
      const buffer = this.bufferInfo[s]!;
      if (buffer !== NO_BUFFER) {
        free(buffer, s);
        this.bufferInfo[s] = NO_BUFFER;
      }
    }
    this.posted = 0;
  }
}

/**
 * A completion ring the device writes and the driver reads in order: eHEA's CQ, read by phase bit (an entry
 * is new while its valid bit equals the driver's phase, which flips each time the index wraps), or
 * myri10ge's rx_done, whose entries the driver hands back by zeroing them. The doorbell tells the device how
 * far the driver has read.
 */
export class CompletionQueue {
  readonly base: number;
  readonly entries: number;
  readonly entrySize: number;
  /** The next entry to read, and the phase an entry written on this lap carries. */
  index = 0;
  phase = 1;

  constructor(
    readonly nic: NicModel,
    readonly queue: number,
    readonly name: string,
  ) {
    const info = nic.ring(queue, name);
    this.base = info.base;
    this.entries = info.entries;
    this.entrySize = info.entrySize;
  }

  /** The DMA address of the entry at the read index. */
  entry(): number {
    return this.base + this.index * this.entrySize;
  }

  /** The phase-bit completion: the next entry's address when the device has written it (its valid byte's `phaseBit` equals our phase), else -1. */
  peekByPhase(validOffset: number, phaseBit: number): number {
    const at = this.entry();
    return ((this.nic.dma.view.getUint8(at + validOffset) & phaseBit) !== 0 ? 1 : 0) === this.phase ? at : -1;
  }

  /** Consumes the entry at the read index: the index advances, and the phase flips on a wrap. */
  consume(): void {
    if (++this.index === this.entries) {
      this.index = 0;
      this.phase ^= 1;
    }
  }

  /** The slot last consumed (for traces). */
  get lastSlot(): number {
    return (this.index + this.entries - 1) % this.entries;
  }

  /** Entries the device has written and the driver not yet read. */
  get waiting(): number {
    return (this.nic.readHead(this.queue, this.name) - this.index + this.entries) % this.entries;
  }

  /** Tells the device how far the driver has read: it may reuse those entries. */
  doorbell(): void {
    this.nic.doorbell(this.queue, this.name, this.index);
  }
}
