// The lab's per-byte passes as WebAssembly, for memories that live in a WebAssembly.Memory (wasmBytes(): the
// NICs' DMA memories and the link partner's payload pattern):
//   - digest: the Ethernet FCS (CRC-32) and checksum byte sums of a received frame, one pass (hw-models/parse.ts
//     FrameDigest). A real NIC does this in silicon; the lab does it in software for every frame.
//   - hash16: StreamHash's four multiply chains over whole 16-byte groups (wire/stream-hash.ts), which every received and
//     every expected byte goes through.
//   - sum: the Internet checksum's byte sums over a range (bytesSum below): the other models' checksum offloads and
//     the drivers' software checksums.
// In JavaScript these two were most of the pipeline's time; WebAssembly runs them without a bounds check per load
// and sums bytes 16 at a time with SIMD (docs/performance.md has the figures). Callers keep their JavaScript path for
// any other memory and wherever WebAssembly SIMD is missing, and the results are bit-identical (tests check both
// paths against each other).
//
// The module is assembled below from its instructions, so the repository holds no binary and needs no toolchain.
//
//   digest(at, len, sumFrom, tables) -> fcs          (i32 each)
//     fcs = CRC-32 of memory[at, at + len) (final, inverted: crc32()'s value as an i32)
//     memory[tables + EVEN_SUM] (i32) = Σ of the bytes at even offsets k (from `at`) with sumFrom ≤ k < len,
//     memory[tables + ODD_SUM] (i32)  = the same at odd offsets; sumFrom must be even
//   sum(at, len, sumFrom, tables)                    digest's two sums, without the CRC
//   hash16(at, end, v0, v1, v2, v3, tables)          lanes out at memory[tables + LANES + 4·i]
//     for each 16-byte group at g in [at, end): v_i = imul(v_i ^ word_i, 0x9e3779b1); v_i ^= v_i >>> 15, i = 0..3,
//     word_i = the little-endian i32 at g + 4·i
//   copy(dst, src, len)                              memory[dst, dst + len) = memory[src, src + len) (memory.copy)
//   same(a, b, len) -> 1 when memory[a, a + len) equals memory[b, b + len), else 0: a socket comparing the bytes it
//     received with a copy of the sender's generator (referenceAt) placed in the same memory, wire/stream-check.ts
//
import { sumBytes } from './checksum.ts';

// Memory layout of a WebAssembly memory: [0, size) the caller's bytes (a Uint8Array of exactly that length, byteOffset 0),
// then, 64 KiB aligned, the CRC tables and the result words, then REFERENCE_AREA bytes for a copy of one reference
// source (referenceAt). Nothing else addresses the area past `size`.

/** CRC-32 tables for slicing-by-16, flat: entry 256·k + n is the CRC of byte n followed by k zero bytes. */
export const CRC16_T = (() => {
  const t = new Int32Array(256 * 16);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let k = 1; k < 16; k++)
    for (let n = 0; n < 256; n++) {
      const p = t[256 * (k - 1) + n]!;
      t[256 * k + n] = (p >>> 8) ^ t[p & 0xff]!;
    }
  return t;
})();

/** Offsets of the results from the tables' address. */
const EVEN_SUM = CRC16_T.byteLength;
const ODD_SUM = EVEN_SUM + 4;
const LANES = EVEN_SUM + 16;
const KERNEL_AREA = 65536;
const PAGE = 65536;
/** Room for a copy of one reference source (a payload pattern of 65521 bytes plus a segment of up to 64 KiB). */
export const REFERENCE_AREA = 2 * PAGE;
/** Larger memories stay plain Uint8Arrays (a WebAssembly memory has 65536 pages at most). */
const MAX_KERNEL_MEMORY = 1 << 30;
/** StreamHash's multiplier. */
export const HASH_PRIME = 0x9e3779b1 | 0;

// ---- a minimal WebAssembly encoder: just what the two functions need ------------------------------------------------

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => vec([...new TextEncoder().encode(s)].map((b) => [b]));

const T_I32 = 0x7f,
  T_V128 = 0x7b;
const get = (i: number): number[] => [0x20, ...uleb(i)];
const set = (i: number): number[] => [0x21, ...uleb(i)];
const tee = (i: number): number[] => [0x22, ...uleb(i)];
const i32 = (n: number): number[] => [0x41, ...sleb(n | 0)];
const load32 = (offset: number): number[] => [0x28, 2, ...uleb(offset)]; // align 2^2, then the offset
const load8u = [0x2d, 0, 0];
const store32 = (offset: number): number[] => [0x36, 2, ...uleb(offset)];
const ADD = 0x6a,
  SUB = 0x6b,
  MUL = 0x6c,
  AND = 0x71,
  OR = 0x72,
  XOR = 0x73,
  EQZ = 0x45,
  SHL = 0x74,
  SHR_U = 0x76,
  LT_U = 0x49,
  GE_U = 0x4f;
const BLOCK = [0x02, 0x40],
  LOOP = [0x03, 0x40],
  IF = [0x04, 0x40],
  ELSE = 0x05,
  END = 0x0b;
const BR_IF = (depth: number): number[] => [0x0d, depth];
const BR = (depth: number): number[] => [0x0c, depth];
const simd = (op: number): number[] => [0xfd, ...uleb(op)];
const V128_LOAD = [...simd(0), 4, 0]; // align 2^4, offset 0
const V128_CONST_I16X8_00FF = [...simd(12), ...new Array<number[]>(8).fill([0xff, 0x00]).flat()];
const V128_AND = simd(78),
  V128_OR = simd(80),
  V128_XOR = simd(81),
  V128_ANY_TRUE = simd(83),
  I16X8_SHR_U = simd(141),
  I32X4_ADD = simd(174),
  I32X4_EXTADD_PAIRWISE_I16X8_U = simd(127);
const lane = (l: number): number[] => [...simd(27), l]; // i32x4.extract_lane
/** `while (cond) { body }` */
const whileLoop = (cond: number[], body: number[]): number[] => [
  ...BLOCK,
  ...LOOP,
  ...cond,
  ...BR_IF(1),
  ...body,
  ...BR(0),
  END,
  END,
];

// ---- digest ----------------------------------------------------------------------------------------------------------

// parameters, then locals
const D_AT = 0,
  D_LEN = 1,
  D_SUM_FROM = 2,
  D_TABLES = 3;
const D_W0 = 4,
  D_W1 = 5,
  D_W2 = 6,
  D_W3 = 7,
  D_C = 8,
  D_P = 9,
  D_END = 10,
  D_EVEN = 11,
  D_ODD = 12,
  D_X = 13;
const D_ACC_E = 14,
  D_ACC_O = 15,
  D_V = 16;

/** CRC16_T[256·k + byte `shift` of local `w`], as a load from the tables. */
function lookup(k: number, w: number, shift: number): number[] {
  const byte =
    shift === 0
      ? [...get(w), ...i32(0xff), AND]
      : shift === 24
        ? [...get(w), ...i32(24), SHR_U]
        : [...get(w), ...i32(shift), SHR_U, ...i32(0xff), AND];
  return [...byte, ...i32(2), SHL, ...get(D_TABLES), ADD, ...load32(1024 * k)];
}
/** The four lookups of word `w` (tables k0 … k0-3 for its bytes 0 … 3), xor'd as a tree. */
const word = (w: number, k0: number): number[] => [
  ...lookup(k0, w, 0),
  ...lookup(k0 - 1, w, 8),
  XOR,
  ...lookup(k0 - 2, w, 16),
  ...lookup(k0 - 3, w, 24),
  XOR,
  XOR,
];
const sumLanes = (acc: number): number[] => [
  ...get(acc),
  ...lane(0),
  ...get(acc),
  ...lane(1),
  ADD,
  ...get(acc),
  ...lane(2),
  ADD,
  ...get(acc),
  ...lane(3),
  ADD,
];
/** local += or -= the byte in D_X, into D_EVEN or D_ODD by the parity of D_P − D_AT. */
const byParity = (op: number): number[] => [
  ...get(D_P),
  ...get(D_AT),
  SUB,
  ...i32(1),
  AND,
  ...IF,
  ...get(D_ODD),
  ...get(D_X),
  op,
  ...set(D_ODD),
  ELSE,
  ...get(D_EVEN),
  ...get(D_X),
  op,
  ...set(D_EVEN),
  END,
];

/**
 * digest's body; without the CRC (`withCrc` false), sum's: the same loops, locals and results. Both take
 * (at, len, sumFrom, tables); only digest returns a value.
 */
function passBody(withCrc: boolean): number[] {
  const crc = (code: number[]): number[] => (withCrc ? code : []);
  return [
    ...crc([...i32(-1), ...set(D_C)]),
    // the 16-byte groups
    ...get(D_AT),
    ...set(D_P),
    ...get(D_AT),
    ...get(D_LEN),
    ...i32(-16),
    AND,
    ADD,
    ...set(D_END),
    ...whileLoop(
      [...get(D_P), ...get(D_END), GE_U],
      [
        // the sums: 16-bit lanes hold (byte at an even offset) | (byte at an odd offset) << 8; widen and add pairwise
        ...get(D_P),
        ...V128_LOAD,
        ...set(D_V),
        ...get(D_ACC_E),
        ...get(D_V),
        ...V128_CONST_I16X8_00FF,
        ...V128_AND,
        ...I32X4_EXTADD_PAIRWISE_I16X8_U,
        ...I32X4_ADD,
        ...set(D_ACC_E),
        ...get(D_ACC_O),
        ...get(D_V),
        ...i32(8),
        ...I16X8_SHR_U,
        ...I32X4_EXTADD_PAIRWISE_I16X8_U,
        ...I32X4_ADD,
        ...set(D_ACC_O),
        // the CRC, slicing-by-16: the twelve lookups that do not wait for the CRC so far first, then the four that do
        ...crc([
          ...get(D_P),
          ...load32(0),
          ...get(D_C),
          XOR,
          ...set(D_W0),
          ...get(D_P),
          ...load32(4),
          ...set(D_W1),
          ...get(D_P),
          ...load32(8),
          ...set(D_W2),
          ...get(D_P),
          ...load32(12),
          ...set(D_W3),
          ...word(D_W1, 11),
          ...word(D_W2, 7),
          XOR,
          ...word(D_W3, 3),
          XOR,
          ...word(D_W0, 15),
          XOR,
          ...set(D_C),
        ]),
        ...get(D_P),
        ...i32(16),
        ADD,
        ...set(D_P),
      ],
    ),
    ...sumLanes(D_ACC_E),
    ...set(D_EVEN),
    ...sumLanes(D_ACC_O),
    ...set(D_ODD),
    // the last 0-15 bytes one at a time
    ...get(D_AT),
    ...get(D_LEN),
    ADD,
    ...set(D_END),
    ...whileLoop(
      [...get(D_P), ...get(D_END), GE_U],
      [
        ...get(D_P),
        ...load8u,
        ...set(D_X),
        ...crc([
          ...get(D_C),
          ...get(D_X),
          XOR,
          ...i32(0xff),
          AND,
          ...i32(2),
          SHL,
          ...get(D_TABLES),
          ADD,
          ...load32(0),
          ...get(D_C),
          ...i32(8),
          SHR_U,
          XOR,
          ...set(D_C),
        ]),
        ...byParity(ADD),
        ...get(D_P),
        ...i32(1),
        ADD,
        ...set(D_P),
      ],
    ),
    // the bytes before sumFrom are not part of the sums
    ...get(D_AT),
    ...get(D_SUM_FROM),
    ...get(D_LEN),
    ...get(D_SUM_FROM),
    ...get(D_LEN),
    LT_U,
    0x1b /* select: min */,
    ADD,
    ...set(D_END),
    ...get(D_AT),
    ...set(D_P),
    ...whileLoop(
      [...get(D_P), ...get(D_END), GE_U],
      [...get(D_P), ...load8u, ...set(D_X), ...byParity(SUB), ...get(D_P), ...i32(1), ADD, ...set(D_P)],
    ),
    ...get(D_TABLES),
    ...get(D_EVEN),
    ...store32(EVEN_SUM),
    ...get(D_TABLES),
    ...get(D_ODD),
    ...store32(ODD_SUM),
    ...crc([...get(D_C), ...i32(-1), XOR]),
    END,
  ];
}
const passLocals = vec([
  [...uleb(10), T_I32],
  [...uleb(3), T_V128],
]);
const digestCode = [...passLocals, ...passBody(true)];
const sumCode = [...passLocals, ...passBody(false)];

// ---- hash16 ----------------------------------------------------------------------------------------------------------

const H_AT = 0,
  H_END = 1,
  H_V0 = 2,
  H_TABLES = 6;
const absorb = (lane: number): number[] => [
  ...get(H_V0 + lane),
  ...get(H_AT),
  ...load32(4 * lane),
  XOR,
  ...i32(HASH_PRIME),
  MUL,
  ...tee(H_V0 + lane),
  ...get(H_V0 + lane),
  ...i32(15),
  SHR_U,
  XOR,
  ...set(H_V0 + lane),
];
const hashBody = [
  ...whileLoop(
    [...get(H_AT), ...get(H_END), GE_U],
    [...absorb(0), ...absorb(1), ...absorb(2), ...absorb(3), ...get(H_AT), ...i32(16), ADD, ...set(H_AT)],
  ),
  ...[0, 1, 2, 3].flatMap((l) => [...get(H_TABLES), ...get(H_V0 + l), ...store32(LANES + 4 * l)]),
  END,
];
const hashCode = [...vec([]), ...hashBody];

// ---- same ------------------------------------------------------------------------------------------------------------

const S_A = 0,
  S_B = 1,
  S_LEN = 2,
  S_END = 3,
  S_X = 4,
  S_ACC = 5;
/** `p += step` */
const advance = (p: number, step: number): number[] => [...get(p), ...i32(step), ADD, ...set(p)];
const sameBody = [
  // 16-byte groups: or together the xor of each pair, so any differing bit stays set
  ...get(S_A),
  ...get(S_LEN),
  ...i32(-16),
  AND,
  ADD,
  ...set(S_END),
  ...whileLoop(
    [...get(S_A), ...get(S_END), GE_U],
    [
      ...get(S_ACC),
      ...get(S_A),
      ...V128_LOAD,
      ...get(S_B),
      ...V128_LOAD,
      ...V128_XOR,
      ...V128_OR,
      ...set(S_ACC),
      ...advance(S_A, 16),
      ...advance(S_B, 16),
    ],
  ),
  // the last 0-15 bytes one at a time
  ...get(S_A),
  ...get(S_LEN),
  ...i32(15),
  AND,
  ADD,
  ...set(S_END),
  ...whileLoop(
    [...get(S_A), ...get(S_END), GE_U],
    [
      ...get(S_X),
      ...get(S_A),
      ...load8u,
      ...get(S_B),
      ...load8u,
      XOR,
      OR,
      ...set(S_X),
      ...advance(S_A, 1),
      ...advance(S_B, 1),
    ],
  ),
  ...get(S_ACC),
  ...V128_ANY_TRUE,
  ...get(S_X),
  OR,
  EQZ,
  END,
];
const sameCode = [
  ...vec([
    [...uleb(2), T_I32],
    [...uleb(1), T_V128],
  ]),
  ...sameBody,
];

// ---- copy ------------------------------------------------------------------------------------------------------------

const MEMORY_COPY = [0xfc, ...uleb(10), 0x00, 0x00];
const copyCode = [...vec([]), ...get(0), ...get(1), ...get(2), ...MEMORY_COPY, END];

function bytePassesModule(): Uint8Array<ArrayBuffer> {
  const i32s = (n: number): number[][] => new Array<number[]>(n).fill([T_I32]);
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(
      1,
      vec([
        [0x60, ...vec(i32s(4)), ...vec(i32s(1))], // digest
        [0x60, ...vec(i32s(7)), ...vec([])], // hash16
        [0x60, ...vec(i32s(4)), ...vec([])], // sum
        [0x60, ...vec(i32s(3)), ...vec(i32s(1))], // same
        [0x60, ...vec(i32s(3)), ...vec([])], // copy
      ]),
    ),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(1)]])), // memory, min 1 page
    ...section(3, vec([uleb(0), uleb(1), uleb(2), uleb(3), uleb(4)])),
    ...section(
      7,
      vec([
        [...name('digest'), 0x00, ...uleb(0)],
        [...name('hash16'), 0x00, ...uleb(1)],
        [...name('sum'), 0x00, ...uleb(2)],
        [...name('same'), 0x00, ...uleb(3)],
        [...name('copy'), 0x00, ...uleb(4)],
      ]),
    ),
    ...section(
      10,
      vec([
        [...uleb(digestCode.length), ...digestCode],
        [...uleb(hashCode.length), ...hashCode],
        [...uleb(sumCode.length), ...sumCode],
        [...uleb(sameCode.length), ...sameCode],
        [...uleb(copyCode.length), ...copyCode],
      ]),
    ),
  ]);
}

/** The compiled module, or null where WebAssembly (with SIMD) is unavailable. */
const MODULE: WebAssembly.Module | null = (() => {
  try {
    const bytes = bytePassesModule();
    return typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    return null;
  }
})();

/**
 * What a worker thread needs to run the passes over a memory of its own (tap/digest-ahead.ts): the compiled module (it
 * travels to a thread as workerData), the CRC tables to put at `tables` = `size` rounded up to `page`, the memory's
 * pages ((tables + kernelArea) / page) and where the sums land from `tables`. Null where WebAssembly is unavailable.
 */
export const BYTE_PASSES_LAYOUT =
  MODULE === null
    ? null
    : {
        module: MODULE,
        crcTables: CRC16_T,
        page: PAGE,
        kernelArea: KERNEL_AREA,
        evenSumAt: EVEN_SUM,
        oddSumAt: ODD_SUM,
      };

/** The passes bound to one memory, and where their tables and results are. */
export interface BytePasses {
  readonly digest: (at: number, len: number, sumFrom: number, tables: number) => number;
  readonly hash16: (at: number, end: number, v0: number, v1: number, v2: number, v3: number, tables: number) => void;
  readonly sum: (at: number, len: number, sumFrom: number, tables: number) => void;
  /** 1 when the `len` bytes at `a` equal those at `b` (addresses in this memory), else 0. */
  readonly same: (a: number, b: number, len: number) => number;
  /** Copies the `len` bytes at `src` to `dst` (addresses in this memory; the ranges may overlap): copyWithin's result,
   *  without its runtime call (copyWithin costs 60-110 ns for 1448 bytes, this about a quarter of that). */
  readonly copy: (dst: number, src: number, len: number) => void;
  /**
   * The address in this memory of a copy of `source` (at most REFERENCE_AREA bytes, never changed after it is first
   * asked for: the copy is made once and kept while the same array is asked for), or -1 when it does not fit.
   */
  readonly referenceAt: (source: Uint8Array) => number;
  readonly tables: number;
  /** Results of the last call: getInt32(0, true) even sum, (4) odd sum; (16 + 4·i) hash lane i. */
  readonly results: DataView;
}

/** Longest run `digest` is used for: its i32 sums cannot overflow below 16 MiB. */
export const DIGEST_PASS_MAX_BYTES = 1 << 20;
/** Offset of hash lane 0 in BytePasses.results. */
export const RESULT_LANES = LANES - EVEN_SUM;

const passes = new WeakMap<ArrayBufferLike, BytePasses>();
/** The last buffer asked about and its passes: hot callers alternate between few buffers, mostly one. */
let lastBuffer: ArrayBufferLike | null = null;
let lastPasses: BytePasses | undefined;

/** The passes that run over `buffer`, when it is a WebAssembly memory. */
export function bytePassesFor(buffer: ArrayBufferLike): BytePasses | undefined {
  if (buffer !== lastBuffer) {
    lastBuffer = buffer;
    lastPasses = passes.get(buffer);
  }
  return lastPasses;
}

/**
 * `size` zeroed bytes, backed by a WebAssembly.Memory with the passes when WebAssembly SIMD is available (and the size
 * is below 1 GiB), else a plain Uint8Array. Either way byteOffset is 0 and length `size`.
 */
export function wasmBytes(size: number): Uint8Array<ArrayBuffer> {
  if (MODULE === null || size > MAX_KERNEL_MEMORY) return new Uint8Array(size);
  const tables = Math.ceil(size / PAGE) * PAGE;
  const referenceArea = tables + KERNEL_AREA;
  const pages = (referenceArea + REFERENCE_AREA) / PAGE;
  let memory: WebAssembly.Memory, instance: WebAssembly.Instance;
  try {
    memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    instance = new WebAssembly.Instance(MODULE, { env: { memory } });
  } catch {
    return new Uint8Array(size); // no room for another WebAssembly memory here: the JavaScript paths serve it
  }
  const dv = new DataView(memory.buffer);
  for (let i = 0; i < CRC16_T.length; i++) dv.setInt32(tables + 4 * i, CRC16_T[i]!, true); // WebAssembly memory is little-endian
  const buffer = memory.buffer;
  let referenced: Uint8Array | null = null;
  passes.set(buffer, {
    digest: instance.exports['digest'] as BytePasses['digest'],
    hash16: instance.exports['hash16'] as BytePasses['hash16'],
    sum: instance.exports['sum'] as BytePasses['sum'],
    same: instance.exports['same'] as BytePasses['same'],
    copy: instance.exports['copy'] as BytePasses['copy'],
    referenceAt(source: Uint8Array): number {
      if (source === referenced) return referenceArea;
      if (source.length > REFERENCE_AREA) return -1;
      new Uint8Array(buffer, referenceArea, source.length).set(source);
      referenced = source;
      return referenceArea;
    },
    tables,
    results: new DataView(memory.buffer, tables + EVEN_SUM, LANES - EVEN_SUM + 16),
  });
  return new Uint8Array(memory.buffer, 0, size);
}

/** True when wasmBytes hands out WebAssembly-backed memories here. */
export const bytePassesAvailable = MODULE !== null;

/**
 * The RFC 1071 sum of b[off, off + len) as big-endian 16-bit words (an odd last byte padded with zero), unfolded:
 * fold() it as you would sumBytes' (wire/checksum.ts). In WebAssembly when `b` is a WebAssembly memory (a DMA memory),
 * else sumBytes. Exact (never partly folded) on the WebAssembly path, for lengths up to DIGEST_PASS_MAX_BYTES.
 */
export function bytesSum(b: Uint8Array, off: number, len: number): number {
  const k = bytePassesFor(b.buffer);
  if (k === undefined || len > DIGEST_PASS_MAX_BYTES || len < 64) return sumBytes(b, off, len);
  if (!(Number.isInteger(off) && off >= 0 && off + len <= b.length)) {
    throw new RangeError(`bytesSum: bytes ${off}..${off + len} are not inside a buffer of ${b.length}`);
  }
  k.sum(b.byteOffset + off, len, 0, k.tables);
  return k.results.getInt32(0, true) * 256 + k.results.getInt32(4, true);
}
