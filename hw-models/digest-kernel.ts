// The NIC's per-frame byte pass (Ethernet FCS + checksum sum, `FrameDigest` in parse.ts) as WebAssembly, for DMA
// memories that live in a WebAssembly.Memory. A real NIC does this pass in silicon; the lab does it in software for
// every frame, and in JavaScript it was the single largest cost of the whole pipeline (bench `frame-fcs-csum-1514`).
// WebAssembly runs the same slicing-by-16 CRC without a bounds check per table lookup and sums the bytes 16 at a time
// with SIMD: about twice as fast (docs/performance.md). Results are bit-identical to the JavaScript path, which stays
// for any other memory and wherever WebAssembly SIMD is missing (parse.test.ts checks the two agree).
//
// The module is assembled below from its instructions, so the repository holds no binary and needs no toolchain. Its
// one function, over the 16-byte groups of [at, end):
//
//   digest16(at, end, crc, tables) -> crc'   (i32 each)
//     crc' = the CRC-32 register after those bytes, starting from `crc` (un-inverted: -1 at the start of a frame)
//     memory[tables + 16384] (i32) = Σ of the bytes at even offsets from `at`, memory[tables + 16388] = at odd offsets
//   `tables`: 16 × 256 i32 CRC tables (CRC16_T) at a 4-aligned address of the same memory.
//
// Memory layout of a kernel memory: [0, size) the DMA bytes (a Uint8Array of exactly that length, byteOffset 0),
// then, 64 KiB aligned, the tables and the two result words. Nothing else addresses the area past `size`.

/** CRC-32 tables for slicing-by-16, flat: entry 256·k + n is the CRC of byte n followed by k zero bytes. */
export const CRC16_T = (() => {
  const t = new Int32Array(256 * 16);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let k = 1; k < 16; k++) for (let n = 0; n < 256; n++) { const p = t[256 * (k - 1) + n]!; t[256 * k + n] = (p >>> 8) ^ t[p & 0xff]!; }
  return t;
})();

/** Offsets of the results from the tables' address. */
const EVEN_SUM = CRC16_T.byteLength;
const ODD_SUM = EVEN_SUM + 4;
const KERNEL_AREA = 65536;
const PAGE = 65536;
/** Larger memories stay plain Uint8Arrays (a WebAssembly memory has 65536 pages at most). */
const MAX_KERNEL_MEMORY = 1 << 30;

// ---- a minimal WebAssembly encoder: just what digest16 needs -------------------------------------------------------

function uleb(n: number): number[] {
  const out: number[] = [];
  do { let b = n & 0x7f; n >>>= 7; if (n !== 0) b |= 0x80; out.push(b); } while (n !== 0);
  return out;
}
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) { out.push(b); return out; }
    out.push(b | 0x80);
  }
}
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => vec([...new TextEncoder().encode(s)].map((b) => [b]));

const T_I32 = 0x7f, T_V128 = 0x7b;
const get = (i: number): number[] => [0x20, ...uleb(i)];
const set = (i: number): number[] => [0x21, ...uleb(i)];
const tee = (i: number): number[] => [0x22, ...uleb(i)];
const i32 = (n: number): number[] => [0x41, ...sleb(n | 0)];
const load32 = (offset: number): number[] => [0x28, 2, ...uleb(offset)];     // align 2^2, then the offset
const store32 = (offset: number): number[] => [0x36, 2, ...uleb(offset)];
const ADD = 0x6a, AND = 0x71, XOR = 0x73, SHL = 0x74, SHR_U = 0x76, LT_U = 0x49, GE_U = 0x4f;
const BLOCK = [0x02, 0x40], LOOP = [0x03, 0x40], END = 0x0b, BR_IF_0 = [0x0d, 0];
const simd = (op: number): number[] => [0xfd, ...uleb(op)];
const V128_LOAD = [...simd(0), 4, 0];                                             // align 2^4, offset 0
const V128_CONST_I16X8_00FF = [...simd(12), ...new Array<number[]>(8).fill([0xff, 0x00]).flat()];
const V128_AND = simd(78), I16X8_SHR_U = simd(141), I32X4_ADD = simd(174), I32X4_EXTADD_PAIRWISE_I16X8_U = simd(127);
const lane = (l: number): number[] => [...simd(27), l];                          // i32x4.extract_lane

// digest16's parameters and locals
const AT = 0, END_AT = 1, CRC_IN = 2, TABLES = 3, W0 = 4, W1 = 5, W2 = 6, W3 = 7, C = 8, ACC_E = 9, ACC_O = 10, V = 11;

/** CRC16_T[256·k + byte `shift` of word `w`], as a load from the tables. */
function lookup(k: number, w: number, shift: number): number[] {
  const byte = shift === 0 ? [...get(w), ...i32(0xff), AND] : shift === 24 ? [...get(w), ...i32(24), SHR_U] : [...get(w), ...i32(shift), SHR_U, ...i32(0xff), AND];
  return [...byte, ...i32(2), SHL, ...get(TABLES), ADD, ...load32(1024 * k)];
}
/** The four lookups of word `w` (table numbers k0 … k0-3 for its bytes 0 … 3), xor'd as a tree. */
const word = (w: number, k0: number): number[] =>
  [...lookup(k0, w, 0), ...lookup(k0 - 1, w, 8), XOR, ...lookup(k0 - 2, w, 16), ...lookup(k0 - 3, w, 24), XOR, XOR];
const sumLanes = (acc: number): number[] => [...get(acc), ...lane(0), ...get(acc), ...lane(1), ADD, ...get(acc), ...lane(2), ADD, ...get(acc), ...lane(3), ADD];

function digestModule(): Uint8Array<ArrayBuffer> {
  const body = [
    ...get(CRC_IN), ...set(C),
    ...BLOCK,
    ...get(AT), ...get(END_AT), GE_U, ...BR_IF_0,
    ...LOOP,
    // the sums: 16-bit lanes hold (byte at an even offset) | (byte at an odd offset) << 8; widen and add pairwise
    ...get(AT), ...V128_LOAD, ...set(V),
    ...get(ACC_E), ...get(V), ...V128_CONST_I16X8_00FF, ...V128_AND, ...I32X4_EXTADD_PAIRWISE_I16X8_U, ...I32X4_ADD, ...set(ACC_E),
    ...get(ACC_O), ...get(V), ...i32(8), ...I16X8_SHR_U, ...I32X4_EXTADD_PAIRWISE_I16X8_U, ...I32X4_ADD, ...set(ACC_O),
    // the CRC: slicing-by-16; the twelve lookups that do not wait for the CRC so far first, then the four that do
    ...get(AT), ...load32(0), ...get(C), XOR, ...set(W0),
    ...get(AT), ...load32(4), ...set(W1),
    ...get(AT), ...load32(8), ...set(W2),
    ...get(AT), ...load32(12), ...set(W3),
    ...word(W1, 11), ...word(W2, 7), XOR, ...word(W3, 3), XOR, ...word(W0, 15), XOR, ...set(C),
    ...get(AT), ...i32(16), ADD, ...tee(AT), ...get(END_AT), LT_U, ...BR_IF_0,
    END,
    END,
    ...get(TABLES), ...sumLanes(ACC_E), ...store32(EVEN_SUM),
    ...get(TABLES), ...sumLanes(ACC_O), ...store32(ODD_SUM),
    ...get(C),
    END,
  ];
  const code = [...vec([[...uleb(5), T_I32], [...uleb(3), T_V128]]), ...body];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[T_I32], [T_I32], [T_I32], [T_I32]]), ...vec([[T_I32]])]])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(1)]])),     // memory, min 1 page
    ...section(3, vec([uleb(0)])),
    ...section(7, vec([[...name('digest16'), 0x00, ...uleb(0)]])),
    ...section(10, vec([[...uleb(code.length), ...code]])),
  ]);
}

/** The compiled module, or null where WebAssembly (with SIMD) is unavailable. */
const MODULE: WebAssembly.Module | null = (() => {
  try {
    const bytes = digestModule();
    return typeof WebAssembly === 'object' && WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    return null;
  }
})();

/** digest16 bound to one memory, and where its tables and results are. */
export interface DigestKernel {
  readonly digest16: (at: number, end: number, crc: number, tables: number) => number;
  readonly tables: number;
  /** The even and odd byte sums of the last call: getInt32(0, true) and getInt32(4, true). */
  readonly results: DataView;
}

/** Longest run digest16 is used for: its i32 sums cannot overflow below 16 MiB. */
export const DIGEST_KERNEL_MAX_BYTES = 1 << 20;

const kernels = new WeakMap<ArrayBufferLike, DigestKernel>();

/** The kernel that runs over `buffer`, when it is a kernel memory. */
export function digestKernelFor(buffer: ArrayBufferLike): DigestKernel | undefined {
  return kernels.get(buffer);
}

/**
 * `size` zeroed bytes for a DMA memory: backed by a WebAssembly.Memory with the digest kernel when WebAssembly SIMD is
 * available (and the size is below 1 GiB), else a plain Uint8Array. Either way byteOffset is 0 and length `size`.
 */
export function kernelMemory(size: number): Uint8Array<ArrayBuffer> {
  if (MODULE === null || size > MAX_KERNEL_MEMORY) return new Uint8Array(size);
  const tables = Math.ceil(size / PAGE) * PAGE;
  const pages = (tables + KERNEL_AREA) / PAGE;
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const instance = new WebAssembly.Instance(MODULE, { env: { memory } });
  const dv = new DataView(memory.buffer);
  for (let i = 0; i < CRC16_T.length; i++) dv.setInt32(tables + 4 * i, CRC16_T[i]!, true);   // WebAssembly memory is little-endian
  const digest16 = instance.exports['digest16'] as DigestKernel['digest16'];
  kernels.set(memory.buffer, { digest16, tables, results: new DataView(memory.buffer, tables + EVEN_SUM, 8) });
  return new Uint8Array(memory.buffer, 0, size);
}

/** True when kernelMemory hands out WebAssembly-backed memories here. */
export const digestKernelAvailable = MODULE !== null;
