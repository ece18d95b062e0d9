// The per-byte passes every received frame goes through: the Internet checksum (wire/checksum.ts sumBytes, and
// sumBytesFolded for callers that fold at once), the Ethernet FCS (hw-models/frame-checks.ts crc32) and the byte-stream
// fingerprint (wire/stream-hash.ts StreamHash). One "packet" is one 1500-byte buffer, taken in turn from a ring of 2 KiB
// slots in a DMA-like memory; ns per buffer = 1000 / Mpkt/s (Mpkt/cpu-s when other work shares the machine).
// The `frame-*` cases are the per-frame byte work a 1514-byte frame costs on the pipeline's path, each on its own:
// their summed ns per frame is a floor under the pipeline's ns per frame (docs/performance.md, "the byte budget").
import { fold, sumBytes, sumBytesFolded } from '../wire/checksum.ts';
import { crc32, FrameDigest } from '../hw-models/frame-checks.ts';
import { bytePassesFor, wasmBytes } from '../wire/byte-passes.ts';
import { PATTERN_PERIOD, PayloadPattern } from '../traffic/payload.ts';
import { StreamHash } from '../wire/stream-hash.ts';
import type { BenchCase } from './run.ts';

const SLOTS = 64;
const SLOT = 2048;
const LEN = 1500;
/** A full-size frame at MTU 1500 and its TCP payload (MSS 1448 with timestamps). */
const FRAME = 1514;
const MSS = 1448;
const frameHash = new StreamHash();
const frameHashJs = new StreamHash();
/** The link partner's payload pattern, which a socket compares what it receives with (wire/stream-check.ts). */
const senderPattern = new PayloadPattern(1, MSS);
let streamAt = 0;

/** Frame-like contents (a byte pattern that is not periodic in 2, 4 or 16), filled once per case. */
function memory(alloc: (n: number) => Uint8Array = (n) => new Uint8Array(n)): Uint8Array {
  const m = alloc(SLOTS * SLOT);
  for (let i = 0; i < m.length; i++) m[i] = (Math.imul(i, 0x9e3779b1) >>> 24) ^ (i & 0xff);
  return m;
}

/**
 * `pass(mem, at)` on the 1500 bytes at offset `at` of each slot in turn; `at` places the range's alignment. With
 * `memories` > 1 the slots alternate between that many separate memories (say DMA memory and a sender's buffers).
 */
function passCase(
  name: string,
  at: number,
  pass: (mem: Uint8Array, off: number) => number,
  memories = 1,
  len = LEN,
  alloc = (n: number) => new Uint8Array(n),
): BenchCase {
  let mems: Uint8Array[] = [];
  let k = 0;
  return {
    name,
    packets: 2_000_000,
    warmup: 200_000,
    run(n) {
      if (mems.length === 0) mems = Array.from({ length: memories }, () => memory(alloc));
      let x = 0;
      for (let i = 0; i < n; i++, k++) x = (x + pass(mems[k % memories]!, (k & (SLOTS - 1)) * SLOT + at)) | 0;
      // printed so the work cannot be optimised away
      return { packets: n, bytes: n * len, total: x >>> 0 };
    },
  };
}

/** One StreamHash per case, fed 1500 bytes per packet: one long stream, billions of bytes by the end. */
function hashCase(name: string, at: number): BenchCase {
  const hash = new StreamHash();
  return passCase(name, at, (m, off) => {
    hash.update(m, off, LEN);
    return hash.length & 0xffff;
  });
}

/** What the eHEA model does to every frame's bytes: copy it from the wire into a DMA buffer, then one fused pass for the FCS and the checksum sum. */
const wireFrame = memory().subarray(0, FRAME);
const digest = new FrameDigest();

export const cases: BenchCase[] = [
  passCase(
    'frame-dma-copy-1514',
    0,
    (m, off) => {
      m.set(wireFrame, off);
      return m[off + 100]!;
    },
    1,
    FRAME,
  ),
  // in a DMA memory (WebAssembly-backed, as the models' are) and in a plain Uint8Array (the JavaScript path)
  passCase(
    'frame-fcs-csum-1514',
    0,
    (m, off) => {
      digest.compute(m, off, FRAME, 14);
      return digest.fcs ^ digest.sum;
    },
    1,
    FRAME,
    wasmBytes,
  ),
  passCase(
    'frame-fcs-csum-1514-js',
    0,
    (m, off) => {
      digest.compute(m, off, FRAME, 14);
      return digest.fcs ^ digest.sum;
    },
    1,
    FRAME,
  ),
  // the 1448 payload bytes of a frame, hashed once by the receiving socket and once for the sender's expectation
  passCase(
    'frame-stream-hash-1448',
    66,
    (m, off) => {
      frameHash.update(m, off, MSS);
      return frameHash.length & 0xffff;
    },
    1,
    MSS,
    wasmBytes,
  ),
  // what the socket does instead when the sender's pattern is known (shortcuts, wire/stream-check.ts): compare the 1448
  // bytes with the pattern's copy in the same WebAssembly memory (one pass whatever the bytes; the sender's hash goes)
  passCase(
    'frame-stream-compare-1448',
    66,
    (m, off) => {
      const k = bytePassesFor(m.buffer)!;
      const ref = k.referenceAt(senderPattern.bytes);
      streamAt = (streamAt + MSS) % PATTERN_PERIOD;
      return k.same(m.byteOffset + off, ref + streamAt, MSS);
    },
    1,
    MSS,
    wasmBytes,
  ),
  passCase(
    'frame-stream-hash-1448-js',
    66,
    (m, off) => {
      frameHashJs.update(m, off, MSS);
      return frameHashJs.length & 0xffff;
    },
    1,
    MSS,
  ),
  // IPv4 header + payload of a 1514-byte frame: byte 14 of a slot, 2 mod 4
  passCase('csum-1500', 14, (m, off) => fold(sumBytes(m, off, LEN))),
  passCase('csum-1500-odd', 15, (m, off) => fold(sumBytes(m, off, LEN))),
  passCase('csum-1500-3mem', 14, (m, off) => fold(sumBytes(m, off, LEN)), 3),
  passCase('csum-folded-1500', 14, (m, off) => sumBytesFolded(m, off, LEN)),
  passCase('crc32-1500', 0, (m, off) => crc32(m, off, LEN)),
  // TCP payload after Ethernet + IPv4 + TCP with timestamps: byte 66, 2 mod 4
  hashCase('hash-1500', 66),
  hashCase('hash-1500-aligned', 64),
];
