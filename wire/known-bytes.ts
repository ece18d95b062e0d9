// Bytes a frame carries that the lab generated itself from a source whose CRC-32 and Internet-checksum sums are known
// without reading them (the link partner's payload pattern): a NIC model may take the FCS and the checksum sum of such a
// frame from the source instead of passing over every byte, and gets the same values. The CRC part is CRC-32's
// linearity: the register after a run of bytes is the register before it shifted over the run (multiplied by
// x^(8·length) modulo the polynomial) xor the run's own contribution, which two prefix registers of the source give.
import { CRC16_T } from './byte-passes.ts';

/** A source of bytes whose CRC-32 register and checksum sums over any run of them are known without reading them. */
export interface KnownBytes {
  /** The CRC-32 register (reflected, not inverted) after feeding the source's bytes [start, start + length) to `reg`. */
  crcThrough(reg: number, start: number, length: number): number;
  /** The unfolded 1's-complement sum (as `sumBytes` gives it) of bytes [start, start + length), placed at an even offset. */
  sum(start: number, length: number): number;
}

/**
 * The claim a sender attaches to a frame it hands on: its bytes [at, at + length) are `source`'s bytes [start, start +
 * length). Reused (mutable) so the hot path allocates nothing; `source` null means no claim. A stage that may change a
 * frame's bytes (an impairment) does not pass the claim on.
 */
export class KnownRun {
  source: KnownBytes | null = null;
  at = 0;
  start = 0;
  length = 0;

  set(source: KnownBytes | null, at: number, start: number, length: number): void {
    this.source = source;
    this.at = at;
    this.start = start;
    this.length = length;
  }
}

const POLY = 0xedb88320 | 0;
const T = CRC16_T;

/** The CRC-32 register (reflected, from `reg`, not inverted) after bytes [off, off + len) of `b`. */
export function crc32Update(reg: number, b: Uint8Array, off: number, len: number): number {
  let c = reg | 0,
    i = off;
  const end = off + len,
    end8 = off + (len & ~7);
  for (; i < end8; i += 8) {
    c ^= b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
    c =
      T[1792 + (c & 0xff)]! ^
      T[1536 + ((c >>> 8) & 0xff)]! ^
      T[1280 + ((c >>> 16) & 0xff)]! ^
      T[1024 + (c >>> 24)]! ^
      T[768 + b[i + 4]!]! ^
      T[512 + b[i + 5]!]! ^
      T[256 + b[i + 6]!]! ^
      T[b[i + 7]!]!;
  }
  for (; i < end; i++) c = T[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return c;
}

/** a·b modulo the CRC-32 polynomial, both reflected (x^0 at bit 31). */
function multModP(a: number, b: number): number {
  if (a === 0) return 0;
  let m = 0x80000000 | 0,
    p = 0;
  for (;;) {
    if ((a & m) !== 0) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p;
}

/** x^(2^k) modulo the polynomial, k = 0..31: enough for shifts over fewer than 2^29 bytes. */
const X2N = (() => {
  const t = new Int32Array(32);
  let p = 0x40000000; // x^1
  for (let k = 0; k < 32; k++) {
    t[k] = p;
    p = multModP(p, p);
  }
  return t;
})();

/** x^(8·n) modulo the polynomial: the multiplier that shifts a register over n bytes (n < 2^29). */
function xPow8n(n: number): number {
  if (!(Number.isInteger(n) && n >= 0 && n < 2 ** 29))
    throw new RangeError(`crc32Shift: ${n} bytes is not a length below 2^29`);
  let p = 0x80000000 | 0, // x^0
    k = 3;
  for (; n > 0; n >>>= 1, k++) if (n & 1) p = multModP(X2N[k]!, p);
  return p;
}

/**
 * Shift tables by byte count: entry 256·k + v is (v << 8k) shifted over n bytes, so a shift is four lookups (the
 * multiplication is linear in the register). A run length repeats (a flow's MSS), so a few tables serve nearly every frame;
 * past SHIFT_TABLES_MAX lengths the multiplication runs bit by bit.
 */
const SHIFT_TABLES_MAX = 64;
const shiftTables = new Map<number, Int32Array>();
let lastN = -1;
let lastTable: Int32Array | null = null;

function shiftTable(n: number): Int32Array {
  const x = xPow8n(n);
  const t = new Int32Array(1024);
  for (let k = 0; k < 4; k++)
    for (let v = 1; v < 256; v++) {
      const low = v & -v; // the lowest set bit: t[v] = t[v without it] xor t[that bit alone]
      t[256 * k + v] = v === low ? multModP(x, v << (8 * k)) : t[256 * k + (v ^ low)]! ^ t[256 * k + low]!;
    }
  return t;
}

/** The register `reg` after n zero bytes: reg · x^(8n) modulo the polynomial. */
export function crc32Shift(reg: number, n: number): number {
  let t = n === lastN ? lastTable : (shiftTables.get(n) ?? null);
  if (t === null) {
    if (shiftTables.size >= SHIFT_TABLES_MAX) return multModP(xPow8n(n), reg | 0);
    t = shiftTable(n);
    shiftTables.set(n, t);
  }
  lastN = n;
  lastTable = t;
  return t[reg & 0xff]! ^ t[256 + ((reg >>> 8) & 0xff)]! ^ t[512 + ((reg >>> 16) & 0xff)]! ^ t[768 + (reg >>> 24)]!;
}

/** prefix[k]: the CRC-32 register from 0 after bytes [0, k) of `b` (k = 0 … b.length). */
export function crc32Prefix(b: Uint8Array): Int32Array {
  const prefix = new Int32Array(b.length + 1);
  let c = 0;
  for (let k = 0; k < b.length; k++) {
    c = T[(c ^ b[k]!) & 0xff]! ^ (c >>> 8);
    prefix[k + 1] = c;
  }
  return prefix;
}

/** The register after feeding bytes [start, start + length) of the bytes `prefix` was made from (crc32Prefix) to `reg`. */
export function crc32Across(prefix: Int32Array, reg: number, start: number, length: number): number {
  return crc32Shift(reg ^ prefix[start]!, length) ^ prefix[start + length]!;
}
