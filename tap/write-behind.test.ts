// The writer thread changes no byte: a capture written through CaptureWriter.open (first batch synchronous, the rest
// through the thread) equals the same records encoded in memory, for pcap and pcapng, across many batches; a write
// the thread cannot do surfaces as an error in the writing thread.
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureWriter, type CaptureWriterOptions, type CaptureWriteRecord } from './writer.ts';
import { WriteBehindSink } from './write-behind.ts';

const dir = mkdtempSync(join(tmpdir(), 'vnic-write-behind-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Records of 60..9018 bytes (their bytes from a seeded PRNG), some with comments: ~`mb` MB in all. */
function records(seed: number, mb: number): CaptureWriteRecord[] {
  // a 32-bit LCG: tap/ imports only wire/, so not sim/'s PRNG
  let x = seed >>> 0;
  const rng = {
    int: (n: number) => {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      return Math.floor((x / 2 ** 32) * n);
    },
  };
  const out: CaptureWriteRecord[] = [];
  for (let total = 0, i = 0; total < mb * 1024 * 1024; i++) {
    const len = 60 + rng.int(8959);
    const data = new Uint8Array(len);
    for (let k = 0; k < len; k++) data[k] = rng.int(256);
    const r: CaptureWriteRecord = { tsSec: 1_700_000_000 + (i >> 10), tsNsec: (i * 997) % 1e9, data };
    if (i % 501 === 0) r.comment = `record ${i}`;
    out.push(r);
    total += len;
  }
  return out;
}

/** Waits (up to 30 s) until the sink's thread runs. */
function untilThreaded(sink: WriteBehindSink): void {
  const nap = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < 3000 && !sink.writesInThread; i++) Atomics.wait(nap, 0, 0, 10);
  expect(sink.writesInThread).toBe(true);
}

/**
 * The records written to a file through a WriteBehindSink (the first ~3 MB before its thread runs, the rest once it
 * does), and encoded in memory.
 */
function both(
  opts: CaptureWriterOptions,
  recs: CaptureWriteRecord[],
  name: string,
): { file: Uint8Array; memory: Uint8Array } {
  const path = join(dir, name);
  const sink = new WriteBehindSink(openSync(path, 'w'), 1024 * 1024);
  const w = CaptureWriter.toSink(sink, opts);
  let bytes = 0,
    waited = false;
  for (const r of recs) {
    w.write(r);
    bytes += r.data.length;
    if (!waited && bytes > 3 * 1024 * 1024) {
      untilThreaded(sink);
      waited = true;
    }
  }
  w.close();
  const m = CaptureWriter.toMemory(opts);
  for (const r of recs) m.write(r);
  m.close();
  return { file: new Uint8Array(readFileSync(path)), memory: m.bytes() };
}

/** The first offset where the two differ (a length difference counts at the shorter's end), or -1. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

describe('captures written through the writer thread', () => {
  it('pcap: 20 MB (the thread writes the batches past the first 3 MB) byte-equal to the same records encoded in memory', () => {
    const { file, memory } = both({ format: 'pcap', nanosecond: true }, records(1, 20), 'a.pcap');
    expect(file.length).toBe(memory.length);
    expect(file.length).toBeGreaterThan(20 * 1024 * 1024);
    expect(firstDifference(file, memory)).toBe(-1);
  });

  it('pcapng with comments and two interfaces: byte-equal too', () => {
    const recs = records(2, 12).map((r, i) => ({ ...r, interfaceId: i % 2 }));
    const { file, memory } = both({ format: 'pcapng', interfaces: 2 }, recs, 'b.pcapng');
    expect(firstDifference(file, memory)).toBe(-1);
  });

  it('CaptureWriter.open: a small capture (one batch) is written without the thread, and equal as well', () => {
    const recs = records(3, 0.2);
    const path = join(dir, 'c.pcap');
    const w = CaptureWriter.open(path, { format: 'pcap' });
    for (const r of recs) w.write(r);
    w.close();
    const m = CaptureWriter.toMemory({ format: 'pcap' });
    for (const r of recs) m.write(r);
    m.close();
    expect(firstDifference(new Uint8Array(readFileSync(path)), m.bytes())).toBe(-1);
  });

  it("a write the thread cannot do is the writer's error, not a silent short file", () => {
    const path = join(dir, 'read-only.bin');
    writeFileSync(path, '');
    const sink = new WriteBehindSink(openSync(path, 'r'), 1024);
    // empty batches (nothing to write, so nothing fails) until the thread runs: the first is written here, the
    // thread starts at the second, and batches are written here until it says it runs
    let batch = sink.hand(new Uint8Array(1024), 0);
    const nap = new Int32Array(new SharedArrayBuffer(4));
    for (let i = 0; i < 3000 && !sink.writesInThread; i++) {
      batch = sink.hand(batch, 0);
      Atomics.wait(nap, 0, 0, 10);
    }
    expect(sink.writesInThread).toBe(true);
    batch.fill(1);
    // to the thread, which fails; its answer is taken in by the next call that collects answers: this hand-over
    // when the thread was quick, else close (the error is kept, so close reports it either way and shuts the file)
    let handError: unknown;
    try {
      sink.hand(batch, 1024);
    } catch (e) {
      handError = e;
    }
    expect(() => sink.close()).toThrow(/writing the capture failed: EBADF/);
    if (handError !== undefined) expect(String(handError)).toMatch(/writing the capture failed: EBADF/);
  });
});
