// The frames of one wire handed from the thread that generates it to a worker thread running some of the host's
// cores (lab/multicore.ts runFedCores): each frame with what its core needs to take it (arrival time, RX flags, the
// sender's claim about its bytes), in wire order. The generating thread steers every frame once, so no worker
// generates the whole wire again to keep a part of it.
//
// Batches travel as transferred ArrayBuffers (moved, never copied; writing frames into shared memory costs V8 far
// more than one memcpy) and come back once taken, as tap/write-behind.ts hands capture batches to its writer thread.
// Both ends block on Atomics over a small shared control block, never on an event loop: the worker takes batches
// with receiveMessageOnPort inside its synchronous run, and the generator waits only when all its batches are out.
// At most SLOTS batches exist per feed, so memory stays flat however long the wire.
import { MessageChannel, type MessagePort, receiveMessageOnPort } from 'node:worker_threads';
import { KnownRun, type KnownBytes } from '../wire/known-bytes.ts';

/**
 * Batches per feed: the generator fills one while the worker takes up to SLOTS - 1 others. 16 of 64 KiB (1 MiB in
 * flight per worker, within a core's L2 here) took 2–4 % less CPU per frame than 8 of 512 KiB.
 */
const SLOTS = 16;
/** Frame bytes per batch (a frame longer than this travels in a batch of its own size). */
const BATCH_BYTES = 1 << 16;
/** Frames per batch at most. */
const BATCH_FRAMES = 128;
/** Per frame in a batch's head: arrival ns, core, length, RX flags, the claim's at, start and length (-1: none). */
const FIELDS = 7;
const HEAD_BYTES = BATCH_FRAMES * FIELDS * 8;
/** Words of the control block (Int32Array over a SharedArrayBuffer). */
const CTRL = {
  /** Messages the generator has posted (batches and the end). */
  POSTED: 0,
  /** Batches the worker has posted back. */
  RETURNED: 1,
  /** 1 once the worker's run has started taking frames. */
  STARTED: 2,
  /** 1 once the worker's run failed (its error comes back with its task). */
  FAILED: 3,
  /** 1 once the generator failed: the worker stops waiting. */
  ABORTED: 4,
  SIZE: 5,
} as const;
/** Seconds either end waits for the other without progress before it gives up (a thread that died). */
const STALL_SECONDS = 120;

interface Batch {
  buf: ArrayBuffer;
  frames: number;
}
type FeedMessage = { batch: Batch } | { end: unknown } | { abort: true };

/**
 * A node:worker_threads MessagePort, named by the one method the feed's public types need, so that the lab's
 * declarations need no Node types (a TypeScript consumer without @types/node typechecks against them).
 */
export interface FeedPort {
  close(): void;
}

/** What a worker needs to read a feed: both travel with its task (the port in the transfer list). */
export interface FeedEnds {
  port: FeedPort;
  ctrl: SharedArrayBuffer;
}

/** The other end of a feed stopped (its own error, if it had one, comes from its thread). */
export class FeedStopped extends Error {}

function stalled(what: string): Error {
  return new FeedStopped(`frame feed: ${what} for ${STALL_SECONDS} s (a thread stopped)`);
}

/** The generator's end of one feed. */
export class FeedWriter {
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(CTRL.SIZE * 4));
  private readonly channel = new MessageChannel();
  private readonly free: ArrayBuffer[] = [];
  private made = 0;
  private closed = false;
  private buf!: ArrayBuffer;
  private head!: Float64Array;
  private bytes!: Uint8Array;
  private frames = 0;
  private used = 0;

  constructor() {
    this.take(this.nextFree(BATCH_BYTES));
  }

  /** The worker's end; transfer `port` with its task. */
  get ends(): FeedEnds {
    return { port: this.channel.port2, ctrl: this.ctrl.buffer as SharedArrayBuffer };
  }

  /**
   * Resolves once the worker's run has started reading (so the generator never waits on a task not yet running), or
   * once the feed is closed (a worker that failed before reading: its task says why).
   */
  async started(): Promise<void> {
    while (Atomics.load(this.ctrl, CTRL.STARTED) === 0 && !this.closed) await new Promise((r) => setTimeout(r, 1));
  }

  /** Hands on frame bytes [0, length) for core `core`, arriving at `nowNs`; `known` is copied, as the link copies it. */
  push(core: number, frame: Uint8Array, length: number, nowNs: number, flags: number, known: KnownRun | null): void {
    if (this.frames === BATCH_FRAMES || this.used + length > this.bytes.length) {
      this.flush();
      if (length > this.bytes.length) {
        this.free.push(this.buf);
        this.take(new ArrayBuffer(HEAD_BYTES + length));
      }
    }
    const h = this.head,
      i = this.frames * FIELDS;
    h[i] = nowNs;
    h[i + 1] = core;
    h[i + 2] = length;
    h[i + 3] = flags;
    if (known === null) h[i + 6] = -1;
    else {
      h[i + 4] = known.at;
      h[i + 5] = known.start;
      h[i + 6] = known.length;
    }
    this.bytes.set(frame.length === length ? frame : frame.subarray(0, length), this.used);
    this.used += length;
    this.frames++;
  }

  /** The last frames, then `tail` (plain data: what the worker needs once the wire is over). */
  end(tail: unknown): void {
    this.flush();
    this.post({ end: tail });
    this.close();
  }

  /** The generator failed: the worker stops at its next wait (nothing once the end went out). */
  abort(): void {
    if (this.closed) return;
    Atomics.store(this.ctrl, CTRL.ABORTED, 1);
    this.post({ abort: true });
    this.close();
  }

  private close(): void {
    this.closed = true;
    this.channel.port1.close();
  }

  private flush(): void {
    if (this.frames === 0) return;
    const batch: Batch = { buf: this.buf, frames: this.frames };
    this.post({ batch }, [this.buf]);
    this.take(this.nextFree(BATCH_BYTES));
  }

  private post(m: FeedMessage, transfer: ArrayBuffer[] = []): void {
    this.channel.port1.postMessage(m, transfer);
    Atomics.add(this.ctrl, CTRL.POSTED, 1);
    Atomics.notify(this.ctrl, CTRL.POSTED);
  }

  private take(buf: ArrayBuffer): void {
    this.buf = buf;
    this.head = new Float64Array(buf, 0, BATCH_FRAMES * FIELDS);
    this.bytes = new Uint8Array(buf, HEAD_BYTES);
    this.frames = 0;
    this.used = 0;
  }

  /** A batch to fill: one the worker gave back, a new one while fewer than SLOTS exist, else the next one back. */
  private nextFree(bytes: number): ArrayBuffer {
    this.collect();
    if (this.free.length === 0 && this.made < SLOTS) {
      this.made++;
      return new ArrayBuffer(HEAD_BYTES + bytes);
    }
    let idleSeconds = 0;
    while (this.free.length === 0) {
      const seen = Atomics.load(this.ctrl, CTRL.RETURNED);
      this.collect();
      if (this.free.length > 0) break;
      if (Atomics.load(this.ctrl, CTRL.FAILED) === 1) throw new FeedStopped('frame feed: the worker stopped');
      if (Atomics.wait(this.ctrl, CTRL.RETURNED, seen, 1000) !== 'timed-out') idleSeconds = 0;
      else if (++idleSeconds > STALL_SECONDS) throw stalled('the worker took no frames');
    }
    return this.free.pop()!;
  }

  private collect(): void {
    for (
      let m = receiveMessageOnPort(this.channel.port1);
      m !== undefined;
      m = receiveMessageOnPort(this.channel.port1)
    ) {
      const buf = m.message as ArrayBuffer;
      // a batch made for one long frame is not kept (nor counted in `made`)
      if (buf.byteLength === HEAD_BYTES + BATCH_BYTES) this.free.push(buf);
    }
  }
}

/** What the worker's end hands each frame to (`frame` is exactly `length` bytes; valid during the call only). */
export type FeedTaker = (
  core: number,
  frame: Uint8Array,
  length: number,
  nowNs: number,
  flags: number,
  known: KnownRun | null,
) => void;

/** The worker's end of one feed. `source`: the bytes a claim refers to (the worker's own copy of the sender's). */
export class FeedReader {
  private readonly ctrl: Int32Array;
  private readonly port: MessagePort;
  private readonly known = new KnownRun();

  constructor(
    ends: FeedEnds,
    private readonly source: KnownBytes | null,
  ) {
    this.ctrl = new Int32Array(ends.ctrl);
    this.port = ends.port as MessagePort; // FeedWriter made it: a MessagePort
    Atomics.store(this.ctrl, CTRL.STARTED, 1);
  }

  /** Takes every frame in wire order, returning each batch once taken; returns the generator's tail. */
  drain(take: FeedTaker): unknown {
    try {
      for (;;) {
        const m = this.next();
        if ('end' in m) return m.end;
        if ('abort' in m) throw new FeedStopped('frame feed: the generating thread stopped');
        this.takeBatch(m.batch, take);
      }
    } catch (e) {
      this.fail();
      throw e;
    } finally {
      this.port.close();
    }
  }

  /** Tells the generator this end takes no more frames (a failed run). */
  fail(): void {
    Atomics.store(this.ctrl, CTRL.FAILED, 1);
    Atomics.notify(this.ctrl, CTRL.RETURNED);
  }

  private takeBatch(batch: Batch, take: FeedTaker): void {
    const head = new Float64Array(batch.buf, 0, BATCH_FRAMES * FIELDS);
    const known = this.known;
    let at = HEAD_BYTES;
    for (let k = 0; k < batch.frames; k++) {
      const i = k * FIELDS;
      const length = head[i + 2]!;
      let claim: KnownRun | null = null;
      if (head[i + 6]! >= 0) {
        if (this.source === null) throw new Error('frame feed: a frame claims known bytes but this end has no source');
        known.set(this.source, head[i + 4]!, head[i + 5]!, head[i + 6]!);
        claim = known;
      }
      // the one allocation per frame here: a view of the frame where it lies in the transferred batch
      take(head[i + 1]!, new Uint8Array(batch.buf, at, length), length, head[i]!, head[i + 3]!, claim);
      at += length;
    }
    this.port.postMessage(batch.buf, [batch.buf]);
    Atomics.add(this.ctrl, CTRL.RETURNED, 1);
    Atomics.notify(this.ctrl, CTRL.RETURNED);
  }

  private next(): FeedMessage {
    let idleSeconds = 0;
    for (;;) {
      const seen = Atomics.load(this.ctrl, CTRL.POSTED);
      const m = receiveMessageOnPort(this.port);
      if (m !== undefined) return m.message as FeedMessage;
      if (Atomics.load(this.ctrl, CTRL.ABORTED) === 1)
        throw new FeedStopped('frame feed: the generating thread stopped');
      if (Atomics.wait(this.ctrl, CTRL.POSTED, seen, 1000) !== 'timed-out') idleSeconds = 0;
      else if (++idleSeconds > STALL_SECONDS) throw stalled('the generating thread sent no frames');
    }
  }
}
