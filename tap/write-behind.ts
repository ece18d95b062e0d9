// A file sink that hands full batches to a writer thread: the capture writer fills a batch in shared memory and goes
// on with the next while the thread write(2)s the last one. Writing a new file costs the kernel far more than reading
// one (page allocation, block reservation, dirty-page throttling: up to a microsecond per 1,514-byte frame here), and
// on a machine with two cores that cost need not stall the thread running the lab. Node only.
//
// The bytes and their order are exactly those the writer produced: batches go out whole, one after the other, in the
// order they were handed over. The first batch is written synchronously and the thread starts only at the second,
// so a small capture (most tests, most runs) never starts one.
import { closeSync, writeSync } from 'node:fs';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { ByteSink } from './writer.ts';

/** Batches in flight: the writer fills one while the thread writes up to SLOTS - 1 others. */
const SLOTS = 8;
/** Words of the control block (Int32Array over a SharedArrayBuffer). */
const CTRL = {
  /** Batches handed over so far. */
  HEAD: 0,
  /** Batches written so far (bumped once more when the thread fails, to wake a writer waiting for room). */
  TAIL: 1,
  /** Bumped with every hand-over and at close: what the thread sleeps on. */
  SIGNAL: 2,
  /** 1 once close() was called: the thread writes what is left and ends. */
  CLOSING: 3,
  /** 1 when a write failed: the thread posted the error's message on its port and ended. */
  FAILED: 4,
  SIZE: 5,
} as const;
/** Seconds the writer waits for room without the thread writing anything before it gives up (a thread that died). */
const STALL_SECONDS = 120;

// The thread's code, evaluated as a script: no module to resolve in a built package, under tsx or under vitest.
const THREAD_SOURCE = `
const { writeSync } = require('node:fs');
const { workerData } = require('node:worker_threads');
const { fd, ctrl: ctrlBuf, lengths: lengthsBuf, data, slots, slotBytes, port } = workerData;
const ctrl = new Int32Array(ctrlBuf);
const lengths = new Int32Array(lengthsBuf);
const bytes = new Uint8Array(data);
let tail = 0;
try {
  for (;;) {
    const signal = Atomics.load(ctrl, ${CTRL.SIGNAL});
    if (tail < Atomics.load(ctrl, ${CTRL.HEAD})) {
      const slot = tail % slots;
      const len = lengths[slot];
      let off = 0;
      while (off < len) off += writeSync(fd, bytes, slot * slotBytes + off, len - off);
      tail++;
      Atomics.store(ctrl, ${CTRL.TAIL}, tail);
      Atomics.notify(ctrl, ${CTRL.TAIL});
      continue;
    }
    if (Atomics.load(ctrl, ${CTRL.CLOSING}) === 1) break;
    Atomics.wait(ctrl, ${CTRL.SIGNAL}, signal);
  }
} catch (e) {
  port.postMessage(String(e && e.message ? e.message : e));
  Atomics.store(ctrl, ${CTRL.FAILED}, 1);
  Atomics.add(ctrl, ${CTRL.TAIL}, 1);
  Atomics.notify(ctrl, ${CTRL.TAIL});
}
port.close();
`;

/** Writes to a file descriptor (closed by `close()`), batches after the first through a writer thread. */
export class WriteBehindSink implements ByteSink {
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(CTRL.SIZE * 4));
  private readonly lengths = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
  private readonly data: SharedArrayBuffer;
  private readonly channel = new MessageChannel();
  private worker: Worker | undefined;
  /** Batches handed to the thread. */
  private head = 0;
  /** The first batch was written here, synchronously; the next one is a slot. */
  private wroteFirst = false;
  private closed = false;

  constructor(
    private readonly fd: number,
    private readonly slotBytes: number,
  ) {
    this.data = new SharedArrayBuffer(SLOTS * slotBytes);
  }

  /** Takes the first `len` bytes of `bytes` (the writer's batch) and returns the batch to fill next. */
  hand(bytes: Uint8Array, len: number): Uint8Array {
    if (!this.wroteFirst) {
      // the writer's own first batch: written now, so a small file needs no thread
      this.writeNow(bytes, len);
      this.wroteFirst = true;
      return this.slot(0);
    }
    if (this.worker === undefined) this.start();
    this.lengths[this.head % SLOTS] = len;
    this.head++;
    Atomics.store(this.ctrl, CTRL.HEAD, this.head);
    Atomics.add(this.ctrl, CTRL.SIGNAL, 1);
    Atomics.notify(this.ctrl, CTRL.SIGNAL);
    this.waitUntil(SLOTS - 1);
    return this.slot(this.head % SLOTS);
  }

  /** Writes `len` bytes of `bytes` after everything handed over before. */
  write(bytes: Uint8Array, len: number): void {
    this.waitUntil(0);
    this.writeNow(bytes, len);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.worker !== undefined) {
        Atomics.store(this.ctrl, CTRL.CLOSING, 1);
        Atomics.add(this.ctrl, CTRL.SIGNAL, 1);
        Atomics.notify(this.ctrl, CTRL.SIGNAL);
        this.waitUntil(0);
      }
    } finally {
      this.channel.port1.close();
      closeSync(this.fd);
    }
  }

  private slot(k: number): Uint8Array {
    return new Uint8Array(this.data, k * this.slotBytes, this.slotBytes);
  }

  private writeNow(bytes: Uint8Array, len: number): void {
    let off = 0;
    while (off < len) off += writeSync(this.fd, bytes, off, len - off);
  }

  private start(): void {
    const port = this.channel.port2;
    this.worker = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: {
        fd: this.fd,
        ctrl: this.ctrl.buffer,
        lengths: this.lengths.buffer,
        data: this.data,
        slots: SLOTS,
        slotBytes: this.slotBytes,
        port,
      },
      transferList: [port],
    });
    // the thread ends on its own once closing and drained; it never keeps the process alive
    this.worker.unref();
  }

  /** Waits until at most `inFlight` batches are still unwritten; throws the thread's error if a write failed. */
  private waitUntil(inFlight: number): void {
    if (this.worker === undefined) return;
    let idleSeconds = 0;
    for (;;) {
      const tail = Atomics.load(this.ctrl, CTRL.TAIL);
      if (Atomics.load(this.ctrl, CTRL.FAILED) === 1) {
        const why = receiveMessageOnPort(this.channel.port1)?.message as string | undefined;
        throw new Error(`writing the capture failed: ${why ?? 'the writer thread stopped'}`);
      }
      if (this.head - tail <= inFlight) return;
      if (Atomics.wait(this.ctrl, CTRL.TAIL, tail, 1000) !== 'timed-out') idleSeconds = 0;
      else if (++idleSeconds > STALL_SECONDS)
        throw new Error(`writing the capture: the writer thread wrote nothing for ${STALL_SECONDS} s`);
    }
  }
}
