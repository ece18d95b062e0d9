// A file sink that hands full batches to a writer thread: the capture writer fills a batch and goes on with the next
// while the thread write(2)s the last one. Writing a new file costs the kernel far more than reading one (page
// allocation, block reservation, dirty-page throttling: up to a microsecond per 1,514-byte frame here), and on a
// machine with two cores that cost need not stall the thread running the lab. Node only.
//
// Batches travel as transferred ArrayBuffers (moved, never copied: a copy, or writing frames into shared memory,
// costs as much as the write itself) and come back once written; Atomics on a small shared block let the writer
// sleep until one is back without an event loop. The thread takes batches off its port between short naps rather
// than being woken by each one (a wake-up lets the woken thread take the writer's core on a busy machine). The bytes and their order are exactly those the writer produced:
// batches go out whole, in the order they were handed over. The first batch is written synchronously and the thread
// starts only at the second, so a small capture (most tests, most runs) never starts one; batches are written
// synchronously too until the thread says it runs, so nothing waits for its start-up.
import { closeSync, writeSync } from 'node:fs';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { ByteSink } from './writer.ts';

/** Batches in all: the writer fills one while the thread writes up to SLOTS - 1 others. */
const SLOTS = 8;
/** Words of the control block (Int32Array over a SharedArrayBuffer). */
const CTRL = {
  /** Batches the thread has posted back (written, or not written after a failure). */
  RETURNED: 0,
  /** 1 once a write failed (the thread posted the error before the batch). */
  FAILED: 1,
  /** 1 once the thread runs: until then batches are written here, so its start-up (0.1–0.3 s) stalls nothing. */
  READY: 2,
  /** Batches handed over: the thread naps on this word; the writer bumps it without a wake-up, or wakes the thread
   *  when it must wait for it (a batch to fill, close). */
  HANDED: 3,
  SIZE: 4,
} as const;
/** The thread's nap between looks at its port: NAP_MIN_MS while batches come (a batch of MTU frames is 2-5 ms of a
 *  replay, so one nap never lets them pile up), NAP_MAX_MS once none came for IDLE_NAPS naps (a writer left open, idle).
 *  Woken by each message, the thread took the writer's core for itself on a busy machine (the wake-up hands the woken
 *  thread the core): a hand-over cost tens to hundreds of microseconds. */
const NAP_MIN_MS = 1;
const NAP_MAX_MS = 1000;
const IDLE_NAPS = 1000;
/** Seconds the writer waits for a batch without the thread returning any before it gives up (a thread that died). */
const STALL_SECONDS = 120;

// The thread's code, evaluated as a script: no module to resolve in a built package, under tsx or under vitest.
const THREAD_SOURCE = `
const { writeSync } = require('node:fs');
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const { fd, ctrl: ctrlBuf, port } = workerData;
const ctrl = new Int32Array(ctrlBuf);
Atomics.store(ctrl, ${CTRL.READY}, 1);
for (let empty = 0; ; ) {
  const seen = Atomics.load(ctrl, ${CTRL.HANDED});
  const got = receiveMessageOnPort(port);
  if (got === undefined) {
    Atomics.wait(ctrl, ${CTRL.HANDED}, seen, empty < ${IDLE_NAPS} ? ${NAP_MIN_MS} : ${NAP_MAX_MS});
    empty++;
    continue;
  }
  empty = 0;
  const m = got.message;
  if (m.close === true) {
    port.close();
    break;
  }
  if (Atomics.load(ctrl, ${CTRL.FAILED}) === 0) {
    try {
      const bytes = new Uint8Array(m.buf);
      let off = 0;
      while (off < m.len) off += writeSync(fd, bytes, off, m.len - off);
    } catch (e) {
      port.postMessage({ error: String(e && e.message ? e.message : e) });
      Atomics.store(ctrl, ${CTRL.FAILED}, 1);
    }
  }
  port.postMessage({ buf: m.buf }, [m.buf]);
  Atomics.add(ctrl, ${CTRL.RETURNED}, 1);
  Atomics.notify(ctrl, ${CTRL.RETURNED});
}
`;

interface ThreadAnswer {
  buf?: ArrayBuffer;
  error?: string;
}

/** Writes to a file descriptor (closed by `close()`), batches after the first through a writer thread. */
export class WriteBehindSink implements ByteSink {
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(CTRL.SIZE * 4));
  private readonly channel = new MessageChannel();
  private worker: Worker | undefined;
  /** Written batches back from the thread, ready to fill. */
  private readonly free: ArrayBuffer[] = [];
  /** Batches at the thread; batches made so far. */
  private atThread = 0;
  private made = 1;
  private error: string | undefined;
  private wroteFirst = false;
  private closed = false;

  constructor(
    private readonly fd: number,
    private readonly slotBytes: number,
  ) {}

  /** Takes the first `len` bytes of `bytes` (the writer's batch) and returns the batch to fill next. */
  hand(bytes: Uint8Array, len: number): Uint8Array {
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    if (this.wroteFirst && this.worker === undefined) this.start();
    if (!this.wroteFirst || !whole || !(bytes.buffer instanceof ArrayBuffer) || !this.threadReady()) {
      // the writer's first batch (a small file needs no thread), one written while the thread starts, or one that
      // cannot travel: written now, and the same buffer filled next
      this.write(bytes, len);
      this.wroteFirst = true;
      return bytes;
    }
    this.channel.port1.postMessage({ buf: bytes.buffer, len }, [bytes.buffer]);
    Atomics.add(this.ctrl, CTRL.HANDED, 1);
    this.atThread++;
    return new Uint8Array(this.nextFree());
  }

  /** Writes `len` bytes of `bytes` after everything handed over before. */
  write(bytes: Uint8Array, len: number): void {
    this.waitFor(0);
    let off = 0;
    while (off < len) off += writeSync(this.fd, bytes, off, len - off);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.worker !== undefined) {
        this.waitFor(0);
        this.channel.port1.postMessage({ close: true });
        this.wakeThread();
      }
    } finally {
      this.channel.port1.close();
      closeSync(this.fd);
    }
  }

  /** True once batches go to the writer thread (it started and runs). */
  get writesInThread(): boolean {
    return this.worker !== undefined && this.threadReady();
  }

  /** The thread is up; once it is, it stays up until close. */
  private threadReady(): boolean {
    return Atomics.load(this.ctrl, CTRL.READY) === 1;
  }

  private start(): void {
    const port = this.channel.port2;
    this.worker = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: { fd: this.fd, ctrl: this.ctrl.buffer, port },
      transferList: [port],
    });
    // the thread ends on its own once its port closes; it never keeps the process alive
    this.worker.unref();
  }

  /** A batch to fill: one the thread gave back, a new one while fewer than SLOTS exist, else the next one back. */
  private nextFree(): ArrayBuffer {
    this.collect();
    const back = this.free.pop();
    if (back !== undefined) return back;
    if (this.made < SLOTS) {
      this.made++;
      return new ArrayBuffer(this.slotBytes);
    }
    this.waitFor(this.atThread - 1);
    return this.free.pop()!;
  }

  /** Takes in what the thread posted back; throws the thread's error once a write failed. */
  private collect(): void {
    for (
      let m = receiveMessageOnPort(this.channel.port1);
      m !== undefined;
      m = receiveMessageOnPort(this.channel.port1)
    ) {
      const a = m.message as ThreadAnswer;
      if (a.error !== undefined) this.error ??= a.error;
      if (a.buf !== undefined) {
        this.free.push(a.buf);
        this.atThread--;
      }
    }
    if (this.error !== undefined) throw new Error(`writing the capture failed: ${this.error}`);
  }

  /** Ends the thread's nap now: this thread is about to wait for it. */
  private wakeThread(): void {
    Atomics.add(this.ctrl, CTRL.HANDED, 1);
    Atomics.notify(this.ctrl, CTRL.HANDED);
  }

  /** Waits until at most `left` batches are still at the thread. */
  private waitFor(left: number): void {
    if (this.worker === undefined) return;
    let idleSeconds = 0;
    for (;;) {
      const seen = Atomics.load(this.ctrl, CTRL.RETURNED);
      this.collect();
      if (this.atThread <= left) return;
      this.wakeThread();
      if (Atomics.wait(this.ctrl, CTRL.RETURNED, seen, 1000) !== 'timed-out') idleSeconds = 0;
      else if (++idleSeconds > STALL_SECONDS)
        throw new Error(`writing the capture: the writer thread wrote nothing for ${STALL_SECONDS} s`);
    }
  }
}
