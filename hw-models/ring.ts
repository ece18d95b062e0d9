// Descriptor rings in DMA memory. A receive ring is driver-produced: the driver writes descriptors at
// its tail and rings the doorbell with the new tail; the device consumes from the head. A completion
// ring is device-produced: the device writes entries at its producer index and publishes each one by
// writing its valid/phase/DD field last; the driver tells the device how far it has read.

export type RingRole =
  /** Driver posts buffers; the device reports completions elsewhere. */
  | 'rx'
  /** Driver posts buffers; the device writes the completion back into the same slot (e1000/mq). */
  | 'rx-writeback'
  /** Device writes completions; the driver reads them. */
  | 'completion';

/** What a driver needs to know about one ring (the "registers" it would read at probe). */
export interface RingInfo {
  queue: number;
  name: string;
  role: RingRole;
  /** DMA address of entry 0. */
  base: number;
  entries: number;
  /** Bytes per entry. */
  entrySize: number;
  /** Bytes of buffer each posted descriptor must point at (0: none, e.g. eHEA RQ1 or a completion ring). */
  bufferBytes: number;
}

/**
 * Head/tail indices of one ring. For a driver-produced ring `tail` is the driver's (doorbell) and
 * `head` the device's; for a completion ring `head` is the device's producer index and `tail` the
 * consumer index the driver last reported. One slot always stays empty, so full = entries - 1.
 */
export class Ring {
  head = 0;
  tail = 0;
  /** Times the head has wrapped to 0 (completion rings derive their phase bit from it). */
  laps = 0;
  constructor(readonly info: RingInfo) {}

  get entries(): number {
    return this.info.entries;
  }
  addr(index: number): number {
    return this.info.base + index * this.info.entrySize;
  }

  /** Descriptors posted by the driver and not yet used by the device (driver-produced rings). */
  get available(): number {
    return (this.tail - this.head + this.info.entries) % this.info.entries;
  }

  /** Entry `k` after the head (k < available). */
  peek(k: number): number {
    return (this.head + k) % this.info.entries;
  }

  /** The device consumes the descriptor at the head. */
  advanceHead(): number {
    const i = this.head;
    this.head = i + 1 === this.info.entries ? 0 : i + 1;
    if (this.head === 0) this.laps++;
    return i;
  }

  /** Completion rings: free entries the device may still write (the driver's consumer index is `tail`). */
  get space(): number {
    return this.info.entries - 1 - ((this.head - this.tail + this.info.entries) % this.info.entries);
  }

  /** Completion rings: the phase value entries written on the current lap carry (1 on the first lap). */
  get phase(): number {
    return (this.laps & 1) === 0 ? 1 : 0;
  }

  /** Validates a doorbell value (a ring index) and stores it as the new tail. */
  writeTail(value: number, who: string): void {
    if (!Number.isInteger(value) || value < 0 || value >= this.info.entries)
      throw new RangeError(`${who}: doorbell value ${value} is not a ring index (0..${this.info.entries - 1})`);
    this.tail = value;
  }
}
