// The FCS and checksum sum of a capture file's records, computed ahead of a replay on a thread of their own. A NIC
// model passes over every byte of every frame it receives for its FCS (CRC-32) and the sum behind the TCP/UDP check
// (hw-models/frame-checks.ts FrameDigest); for a replayed classic pcap those values are a function of the record's
// bytes alone, so a second core can compute them while the lab's thread runs the receive path, and the model takes
// them as a claim about the frame's bytes (wire/known-bytes.ts KnownRun) instead of its own pass: the same values, the
// same DMA memory. Node only.
//
// The thread reads the file by itself (the page cache serves both readers) and walks its records; for record i it
// writes, into slot i mod SLOTS of a shared table, the CRC-32 register from -1 through the record's bytes from `FROM`
// on and the even and odd byte sums of those bytes, then the slot's index i and the count of records done. The lab
// copies the slots out TAKE records at a time. The thread never runs more than SLOTS records ahead of the record the
// lab last said it was at, and passes over records the lab has already gone past without digesting them (a late
// start). A record the thread has not reached, a record cut by the snap length (the replay rebuilds it) or one whose
// length disagrees is simply not claimed: the model then passes over it as before. So the thread can only save work,
// never change a value, and a failure in it costs nothing but the saving.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { BYTE_PASSES_LAYOUT } from '../wire/byte-passes.ts';
import { crc32Shift, type KnownBytes, type KnownRun } from '../wire/known-bytes.ts';
import { MAX_RECORD_BYTES, PCAP_MAGIC, type CaptureRecord } from './reader.ts';

/** Where the claimed run starts in a frame: after the Ethernet header, where the models' sums start. */
const FROM = 14;
/** Records the thread may be ahead of the lab (about 30 ms of a replay). */
const SLOTS = 16384;
/** How long a thread that is SLOTS records ahead sleeps before it looks again. The lab never wakes it: a wake-up
 *  hands the woken thread the core, and on a busy machine that is often the lab's. */
const NAP_MS = 2;
/** Int32 fields of a slot: record index (-1: not digested), captured length, CRC register, even sum, odd sum. */
const SLOT = { INDEX: 0, LENGTH: 1, REG: 2, EVEN: 3, ODD: 4, SIZE: 5 } as const;
/** Words of the control block, each on its own cache line: the lab writes CONSUMED (the first record whose slot the
 *  thread may not reuse), the thread PRODUCED (records done); STOP and READY are written once. */
const CTRL = { CONSUMED: 0, PRODUCED: 32, STOP: 64, READY: 96, SIZE: 128 } as const;
/** Slots the lab copies out of the shared table at a time. */
const TAKE = 256;
/** The thread's read window: this much per read(2), plus room for the largest record. */
const CHUNK_BYTES = 1 << 20;
/** Below this size a file is read and digested on the lab's thread: the thread takes 25-35 ms to start here, which
 *  the capture scan before the run covers from about this size on (about 44,000 MTU frames, 100 ms of replay). */
export const DIGEST_AHEAD_MIN_BYTES = 64 << 20;

// The thread's code, evaluated as a script (as tap/write-behind.ts's): no module to resolve under tsx, vitest or a
// built package. It runs byte-passes' module over a WebAssembly memory of its own.
const THREAD_SOURCE = `
const { openSync, readSync, closeSync } = require('node:fs');
const { workerData } = require('node:worker_threads');
const { path, layout, ctrl: ctrlBuf, slots: slotBuf } = workerData;
const ctrl = new Int32Array(ctrlBuf);
const slot = new Int32Array(slotBuf);
const WINDOW = ${CHUNK_BYTES + MAX_RECORD_BYTES + 16};
const tables = Math.ceil(WINDOW / layout.page) * layout.page;
const pages = (tables + layout.kernelArea) / layout.page;
const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
const digest = new WebAssembly.Instance(layout.module, { env: { memory } }).exports.digest;
const dv = new DataView(memory.buffer);
for (let i = 0; i < layout.crcTables.length; i++) dv.setInt32(tables + 4 * i, layout.crcTables[i], true);
const bytes = new Uint8Array(memory.buffer, 0, WINDOW);
const fd = openSync(path, 'r');
let winStart = 0, winLen = 0;
function ready() {
  Atomics.store(ctrl, ${CTRL.READY}, 1);
  Atomics.notify(ctrl, ${CTRL.READY});
}
// [pos, pos + len) readable at bytes[returned offset], or -1 past the end of the file
function fetch(pos, len) {
  if (pos >= winStart && pos + len <= winStart + winLen) return pos - winStart;
  const keep = pos >= winStart && pos < winStart + winLen ? winStart + winLen - pos : 0;
  if (keep > 0) bytes.copyWithin(0, pos - winStart, winLen);
  winStart = pos;
  winLen = keep;
  while (winLen < WINDOW) {
    const n = readSync(fd, bytes, winLen, WINDOW - winLen, pos + winLen);
    if (n === 0) break;
    winLen += n;
  }
  return len <= winLen ? 0 : -1;
}
try {
  const h = fetch(0, 24);
  const magic = h < 0 ? 0 : dv.getUint32(h, true);
  const le = magic === ${PCAP_MAGIC.MICRO} || magic === ${PCAP_MAGIC.NANO};
  const be = dv.getUint32(h < 0 ? 0 : h, false);
  if (le || be === ${PCAP_MAGIC.MICRO} || be === ${PCAP_MAGIC.NANO}) {
    for (let pos = 24, index = 0; Atomics.load(ctrl, ${CTRL.STOP}) === 0; index++) {
      const at = fetch(pos, 16);
      if (at < 0) break;
      const incl = dv.getUint32(at + 8, le), orig = dv.getUint32(at + 12, le);
      if (incl > ${MAX_RECORD_BYTES}) break;
      for (let seen = Atomics.load(ctrl, ${CTRL.CONSUMED}); index - seen >= ${SLOTS}; seen = Atomics.load(ctrl, ${CTRL.CONSUMED})) {
        if (Atomics.load(ctrl, ${CTRL.STOP}) !== 0) break;
        Atomics.wait(ctrl, ${CTRL.CONSUMED}, seen, ${NAP_MS});
      }
      const s = (index % ${SLOTS}) * ${SLOT.SIZE};
      Atomics.store(slot, s + ${SLOT.INDEX}, -1);
      if (orig === incl && incl >= ${FROM} && index >= Atomics.load(ctrl, ${CTRL.CONSUMED})) {
        const d = fetch(pos, 16 + incl);
        if (d < 0) break;
        slot[s + ${SLOT.LENGTH}] = incl;
        slot[s + ${SLOT.REG}] = ~digest(d + 16 + ${FROM}, incl - ${FROM}, 0, tables);
        slot[s + ${SLOT.EVEN}] = dv.getInt32(tables + layout.evenSumAt, true);
        slot[s + ${SLOT.ODD}] = dv.getInt32(tables + layout.oddSumAt, true);
        Atomics.store(slot, s + ${SLOT.INDEX}, index);
      }
      Atomics.store(ctrl, ${CTRL.PRODUCED}, index + 1);
      if (index === 0) ready();
      pos += 16 + incl;
    }
  }
} finally {
  closeSync(fd);
  ready();
}
`;

/**
 * The digests of one capture file's records, from the thread; a KnownBytes whose bytes are those of the record last
 * claimed, from FROM on. `claim` before handing a record's bytes to the model unchanged, `close` when the replay ends.
 */
export class RecordDigests implements KnownBytes {
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(CTRL.SIZE * 4));
  private readonly slots = new Int32Array(new SharedArrayBuffer(SLOTS * SLOT.SIZE * 4));
  private readonly worker: Worker;
  /** The record last claimed: its run's length, its CRC register from -1 and its sum. */
  private runLength = -1;
  private reg = 0;
  private runSum = 0;
  /** The slots of records [localStart, localEnd), copied from the shared table. */
  private readonly local = new Int32Array(TAKE * SLOT.SIZE);
  private localStart = 0;
  private localEnd = 0;
  /** The record the thread was last told the lab is at. */
  private published = 0;
  /** Records claimed (their values came from the thread). */
  claimed = 0;

  /** The digests of the classic pcap at `path`; undefined when it is too small to be worth a thread, or no WebAssembly. */
  static start(path: string): RecordDigests | undefined {
    if (BYTE_PASSES_LAYOUT === null || !isLargePcap(path)) return undefined;
    return new RecordDigests(path);
  }

  private constructor(path: string) {
    this.worker = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: { path, layout: BYTE_PASSES_LAYOUT, ctrl: this.ctrl.buffer, slots: this.slots.buffer },
    });
    // a thread that fails only leaves records unclaimed; it never keeps the process alive
    this.worker.on('error', () => {});
    this.worker.unref();
  }

  /**
   * Sets `into` to the claim that bytes [FROM, length) of record `r` are this source's, when the thread digested it; else
   * clears it. Only for a record whose bytes go to the model as read (not rebuilt to its original length).
   */
  claim(r: CaptureRecord, into: KnownRun): void {
    const i = r.index,
      len = r.data.length;
    if (i < this.localStart || i >= this.localEnd) this.take(i);
    const s = (i - this.localStart) * SLOT.SIZE;
    const sl = this.local;
    if (i >= this.localEnd || sl[s + SLOT.INDEX] !== i || sl[s + SLOT.LENGTH] !== len || r.origLen !== len) {
      into.set(null, 0, 0, 0);
      return;
    }
    this.runLength = len - FROM;
    this.reg = sl[s + SLOT.REG]!;
    this.runSum = sl[s + SLOT.EVEN]! * 256 + sl[s + SLOT.ODD]!;
    into.set(this, FROM, FROM, len - FROM);
    this.claimed++;
  }

  /**
   * Copies the slots of the records the thread has done from `i` on (at most TAKE) into `local` in one go (reading
   * them one record at a time, each a cache line the other core just wrote, cost more than the digest they save), and
   * lets the thread reuse everything before them.
   */
  private take(i: number): void {
    const done = Atomics.load(this.ctrl, CTRL.PRODUCED);
    const end = Math.min(done, i + TAKE);
    this.localStart = i;
    this.localEnd = Math.max(i, end);
    for (let k = i; k < end; ) {
      const from = k % SLOTS,
        n = Math.min(end - k, SLOTS - from);
      this.local.set(this.slots.subarray(from * SLOT.SIZE, (from + n) * SLOT.SIZE), (k - i) * SLOT.SIZE);
      k += n;
    }
    // the slots before localEnd may be reused; while the thread is behind, say where the lab is now and then
    if (end > i || i - this.published >= TAKE) {
      this.published = Math.max(this.localEnd, i);
      Atomics.store(this.ctrl, CTRL.CONSUMED, this.published);
    }
  }

  crcThrough(reg: number, start: number, length: number): number {
    this.check(start, length);
    // the register is affine in its start: from reg it is (reg xor -1) shifted over the run, xor the one from -1
    return crc32Shift(reg ^ -1, length) ^ this.reg;
  }

  sum(start: number, length: number): number {
    this.check(start, length);
    return this.runSum;
  }

  /**
   * Waits until the thread has digested the first record or ended, at most `ms` milliseconds: a replay that starts
   * before the thread runs takes its first records' digests itself (the thread then skips them).
   */
  waitStarted(ms: number): void {
    Atomics.wait(this.ctrl, CTRL.READY, 0, ms);
  }

  /** Stops the thread (it ends at its next record). */
  close(): void {
    Atomics.store(this.ctrl, CTRL.STOP, 1);
    Atomics.notify(this.ctrl, CTRL.CONSUMED);
  }

  private check(start: number, length: number): void {
    if (start !== FROM || length !== this.runLength)
      throw new RangeError(
        `RecordDigests: bytes ${start}+${length} asked, the claimed record has ${FROM}+${this.runLength}`,
      );
  }
}

/** A classic pcap (either byte order) of at least DIGEST_AHEAD_MIN_BYTES. */
function isLargePcap(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return false;
  }
  try {
    const head = new Uint8Array(4);
    if (readSync(fd, head, 0, 4, 0) < 4) return false;
    const dv = new DataView(head.buffer);
    const le = dv.getUint32(0, true),
      be = dv.getUint32(0, false);
    const pcap = le === PCAP_MAGIC.MICRO || le === PCAP_MAGIC.NANO || be === PCAP_MAGIC.MICRO || be === PCAP_MAGIC.NANO;
    return pcap && fstatSync(fd).size >= DIGEST_AHEAD_MIN_BYTES;
  } finally {
    closeSync(fd);
  }
}
