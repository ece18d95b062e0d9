// The wire between link partner and NIC: a transmit queue that serialises frames at line rate on the
// virtual clock and hands each to the NIC (`FrameSink`) when its last bit (FCS) has arrived.
// Wire time per frame = preamble 7 + SFD 1 + max(frame + FCS 4, 64) + inter-frame gap 12 bytes.

import type { VirtualClock } from '../sim/clock.ts';
import { KnownRun } from '../wire/known-bytes.ts';

/** What a NIC model implements. `frame` is the frame as on the wire without preamble and FCS; it may be reused after the call returns. */
export interface FrameSink {
  receiveFrame(frame: Uint8Array, length: number, nowNs: number): void;
}

/** Per-frame metadata bits a source attaches to a frame; the link exposes them while the frame is delivered (`Link.deliveringFlags`). */
export const FRAME_FLAG = {
  /** Replayed from a snaplen-truncated capture record and extended with zeros: its checksums cannot be verified. */
  CSUM_UNVERIFIABLE: 1 << 0,
  /** An impairment changed a byte (checksum left stale). */
  CORRUPTED: 1 << 1,
  /** An impairment altered the TCP or IP checksum field. */
  BAD_CSUM: 1 << 2,
  /** An impairment cut the frame short (header lengths are stale). */
  TRUNCATED: 1 << 3,
  /** An impairment appended zero bytes after the IP packet. */
  PADDED: 1 << 4,
  /** The second copy of a duplicated frame. */
  DUPLICATE: 1 << 5,
  /** Released late by the reorder impairment. */
  REORDERED: 1 << 6,
} as const;

/** Ethernet framing overhead in bytes. MIN_FRAME counts the FCS; MIN_DATA is the shortest frame without it. */
export const WIRE = { PREAMBLE: 7, SFD: 1, FCS: 4, IFG: 12, MIN_FRAME: 64, MIN_DATA: 60 } as const;

/** Bytes of wire time a frame of `length` bytes (without FCS) occupies, padding and inter-frame gap included. */
export function wireBytes(length: number): number {
  return WIRE.PREAMBLE + WIRE.SFD + Math.max(length + WIRE.FCS, WIRE.MIN_FRAME) + WIRE.IFG;
}

/** Nanoseconds of wire time of a frame of `length` bytes (without FCS) at `rateGbps`, inter-frame gap included. */
export function wireTimeNs(length: number, rateGbps: number): number {
  return (wireBytes(length) * 8) / rateGbps;
}

/**
 * Where a source hands frames: the link itself, or a stage (impairments) in front of it. `transmit`
 * copies the frame before returning. `backlog()` is how many frames wait for the wire; sources keep
 * it small and refill when the ready listener runs (a frame left the queue). `known` says which bytes of the frame the
 * sender generated from a source with known sums (wire/known-bytes.ts); a stage that may change bytes does not pass it on.
 */
export interface FrameTx {
  transmit(frame: Uint8Array, length: number, flags?: number, known?: KnownRun | null): void;
  backlog(): number;
  addReadyListener(fn: () => void): void;
}

/** A queued frame: `view` is `buf`'s first `len` bytes, made again only when the length changes (the sink gets an exact-length array). */
interface Slot {
  buf: Uint8Array;
  len: number;
  flags: number;
  view: Uint8Array;
  /** The sender's claim about the frame's bytes (source null: none), copied: the sender reuses its own. */
  known: KnownRun;
}

export interface LinkStats {
  /** Frames handed to the sink. */
  framesDelivered: number;
  /** Frame bytes handed to the sink (without FCS). */
  bytesDelivered: number;
  /** Bytes of wire time used (preamble, padding, FCS, gap included). */
  wireBytes: number;
  /** Most frames ever waiting in the transmit queue. */
  maxQueued: number;
  /** Frames shorter than 60 bytes delivered padded with zeros to 60 (as a sending MAC does). */
  framesPadded: number;
}

export interface LinkOptions {
  /** Deliver frames shorter than 60 bytes padded with zeros to 60, as they are on a real wire (default true). */
  padShortFrames?: boolean;
  /** Transmit queue slots allocated up front (the queue grows when full). */
  initialSlots?: number;
  /** Bytes per slot buffer (a longer frame gets its own buffer). */
  slotBytes?: number;
}

/** A full-duplex link's one direction at a fixed rate, with an unbounded (growable) transmit queue. */
export class Link implements FrameTx {
  readonly stats: LinkStats = { framesDelivered: 0, bytesDelivered: 0, wireBytes: 0, maxQueued: 0, framesPadded: 0 };
  /** Arrival indexes (order of delivery to the sink, from 0) of frames that carried `FRAME_FLAG.CSUM_UNVERIFIABLE`. */
  readonly uncheckableFrames = new Set<number>();
  /** Flags of the frame being delivered (valid inside `receiveFrame`). */
  deliveringFlags = 0;
  /** Arrival index of the frame being delivered (valid inside `receiveFrame`): the `frame` of trace events. */
  deliveringIndex = -1;
  /** The sender's claim about the bytes of the frame being delivered (valid inside `receiveFrame`), or null. */
  deliveringKnown: KnownRun | null = null;

  private readonly psPerByte: number;
  private slots: Slot[] = [];
  private head = 0;
  private count = 0;
  private busyUntilPs = 0;
  private nextArrivalPs = 0;
  private scheduled = false;
  private readonly listeners: (() => void)[] = [];
  private readonly onArrival = (): void => this.deliver();

  private readonly slotBytes: number;
  private readonly padShort: boolean;

  constructor(
    private readonly clock: VirtualClock,
    private readonly sink: FrameSink,
    readonly rateGbps: number,
    options: LinkOptions = {},
  ) {
    if (!(rateGbps > 0) || !Number.isFinite(rateGbps))
      throw new Error(`link rateGbps: ${rateGbps} is not a positive rate in Gb/s`);
    const initialSlots = options.initialSlots ?? 64;
    this.slotBytes = Math.max(options.slotBytes ?? 16384, WIRE.MIN_DATA);
    this.padShort = options.padShortFrames ?? true;
    // Picoseconds per byte: exact integers for 1/2.5/10/25/40/100 Gb/s, so arrival times do not drift.
    this.psPerByte = 8000 / rateGbps;
    for (let i = 0; i < initialSlots; i++) this.slots.push(newSlot(this.slotBytes));
  }

  backlog(): number {
    return this.count;
  }

  addReadyListener(fn: () => void): void {
    this.listeners.push(fn);
  }

  /** Queues a copy of the frame; it starts on the wire when every frame before it has left. */
  transmit(frame: Uint8Array, length: number, flags = 0, known: KnownRun | null = null): void {
    if (this.count === this.slots.length) this.grow();
    const slot = this.slots[(this.head + this.count) % this.slots.length]!;
    if (slot.buf.length < length) {
      slot.buf = new Uint8Array(Math.max(length, this.slotBytes));
      slot.view = slot.buf.subarray(0, 0);
    }
    if (length === frame.length) slot.buf.set(frame);
    else slot.buf.set(frame.subarray(0, length));
    if (this.padShort && length < WIRE.MIN_DATA) {
      slot.buf.fill(0, length, WIRE.MIN_DATA);
      length = WIRE.MIN_DATA;
      this.stats.framesPadded++;
    }
    slot.len = length;
    // the view is of this buffer (made again above when the buffer was): reading `buffer` would cost more than the checks
    if (slot.view.length !== length) slot.view = slot.buf.subarray(0, length);
    slot.flags = flags;
    if (known === null) slot.known.source = null;
    else slot.known.set(known.source, known.at, known.start, known.length);
    this.count++;
    if (this.count > this.stats.maxQueued) this.stats.maxQueued = this.count;
    if (!this.scheduled) this.scheduleHead();
  }

  /** When the frame at the head of the queue finishes arriving (ns); -1 if the queue is empty. */
  nextArrivalNs(): number {
    return this.scheduled ? this.nextArrivalPs / 1000 : -1;
  }

  private scheduleHead(): void {
    const slot = this.slots[this.head]!;
    const nowPs = Math.round(this.clock.now * 1000);
    const startPs = Math.max(nowPs, this.busyUntilPs);
    const total = wireBytes(slot.len);
    this.nextArrivalPs = startPs + (total - WIRE.IFG) * this.psPerByte;
    this.busyUntilPs = startPs + total * this.psPerByte;
    this.stats.wireBytes += total;
    this.scheduled = true;
    this.clock.post(this.nextArrivalPs / 1000, this.onArrival);
  }

  private deliver(): void {
    const slot = this.slots[this.head]!;
    const index = this.stats.framesDelivered++;
    this.stats.bytesDelivered += slot.len;
    if (slot.flags & FRAME_FLAG.CSUM_UNVERIFIABLE) this.uncheckableFrames.add(index);
    this.deliveringFlags = slot.flags;
    this.deliveringIndex = index;
    this.deliveringKnown = slot.known.source !== null ? slot.known : null;
    // The slot stays owned until the sink returns: a re-entrant transmit (an ACK answered at once) queues behind it.
    this.sink.receiveFrame(slot.view, slot.len, this.nextArrivalPs / 1000);
    this.deliveringFlags = 0;
    this.deliveringKnown = null;
    this.head = (this.head + 1) % this.slots.length;
    this.count--;
    this.scheduled = false;
    const listeners = this.listeners;
    for (let i = 0; i < listeners.length; i++) listeners[i]!();
    if (this.count > 0 && !this.scheduled) this.scheduleHead();
  }

  private grow(): void {
    const old = this.slots;
    const next: Slot[] = [];
    for (let i = 0; i < this.count; i++) next.push(old[(this.head + i) % old.length]!);
    for (let i = 0; i < old.length; i++) next.push(newSlot(this.slotBytes));
    this.slots = next;
    this.head = 0;
  }
}

function newSlot(bytes: number): Slot {
  const buf = new Uint8Array(bytes);
  return { buf, len: 0, flags: 0, view: buf.subarray(0, 0), known: new KnownRun() };
}

/** A zero-delay path: every frame reaches the sink at once, at the clock's current time ("all at time 0" replay, unit tests). */
export class DirectTx implements FrameTx {
  framesDelivered = 0;
  /** Same meaning as on Link: flags and arrival index of the frame being delivered, and the unverifiable ones. */
  deliveringFlags = 0;
  deliveringIndex = -1;
  readonly uncheckableFrames = new Set<number>();
  constructor(
    private readonly clock: VirtualClock,
    private readonly sink: FrameSink,
  ) {}
  transmit(frame: Uint8Array, length: number, flags = 0): void {
    const index = this.framesDelivered++;
    if (flags & FRAME_FLAG.CSUM_UNVERIFIABLE) this.uncheckableFrames.add(index);
    this.deliveringFlags = flags;
    this.deliveringIndex = index;
    this.sink.receiveFrame(frame, length, this.clock.now);
    this.deliveringFlags = 0;
  }
  backlog(): number {
    return 0;
  }
  addReadyListener(): void {}
}
