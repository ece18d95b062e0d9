// The Internet checksum (RFC 1071): full sums, the RFC 1624 incremental update, and the IPv4
// pseudo-header sum. Sums are kept unfolded as plain numbers until `fold`, so callers can chain them.

/** Below this many bytes the plain loop beats setting up the word loop. */
const SHORT = 32;
// DataViews over the last four ArrayBuffers seen (DMA memory, a frame ring, a sender's buffers), so that callers
// taking turns between a few buffers allocate nothing. A DataView reads little-endian words at any address, on any
// host, as fast as an aligned Int32Array does. The cache keeps those four buffers alive.
const cachedBuffers: (ArrayBufferLike | null)[] = [null, null, null, null];
const cachedViews: DataView[] = [];
let replaceNext = 0;

/** A DataView over `ab`, reused from a four-entry cache (the stream hash shares it). */
export function cachedDataView(ab: ArrayBufferLike): DataView {
  for (let i = 0; i < 4; i++) if (cachedBuffers[i] === ab) return cachedViews[i]!;
  const view = new DataView(ab);
  cachedBuffers[replaceNext] = ab;
  cachedViews[replaceNext] = view;
  replaceNext = (replaceNext + 1) & 3;
  return view;
}

let lastArray: Uint8Array | null = null;
let lastArrayView: DataView | null = null;

/** cachedDataView(buf.buffer), remembering the last array asked about: reading an array's `buffer` is a call that
 *  costs more than summing a header, and hot callers pass the same array (a DMA memory, an ACK buffer) again and again. */
export function arrayDataView(buf: Uint8Array): DataView {
  if (buf === lastArray) return lastArrayView!;
  const view = cachedDataView(buf.buffer);
  lastArray = buf;
  lastArrayView = view;
  return view;
}

/**
 * Adds `len` bytes of `buf` from `off` to the running 1's-complement sum `sum` (unfolded). An odd length pads with a zero byte.
 *
 * The value is exactly `sum` plus the big-endian 16-bit words, partly folded only when it passes 2^31 (as the
 * one-word-at-a-time loop in `sumBytesSimple` computes it). It is found as 256·E + O, E and O being the sums of the
 * bytes at even and odd distances from `off`, read out of little-endian 32-bit words two bytes per 16-bit lane
 * (RFC 1071 §2(B): byte order only decides which lane is which).
 */
export function sumBytes(buf: Uint8Array, off: number, len: number, sum = 0): number {
  const end = off + len;
  if (len < SHORT || !(off >= 0 && end <= buf.length && Number.isInteger(off) && Number.isInteger(len))) {
    return sumBytesSimple(buf, off, len, sum);
  }
  const dv = arrayDataView(buf);
  let at = buf.byteOffset + off;
  const wordsEnd = at + (len & ~3);
  let even = 0,
    odd = 0;
  while (at < wordsEnd) {
    // 128 words per block: each 16-bit half of a and b stays below 2^15, so the int32 sums never overflow
    const blockEnd = wordsEnd - at > 512 ? at + 512 : wordsEnd;
    let a = 0,
      b = 0; // bytes 0 and 2 of each word (even distances); bytes 1 and 3 (odd)
    for (; at + 15 < blockEnd; at += 16) {
      const w0 = dv.getInt32(at, true),
        w1 = dv.getInt32(at + 4, true),
        w2 = dv.getInt32(at + 8, true),
        w3 = dv.getInt32(at + 12, true);
      a += (w0 & 0xff00ff) + (w1 & 0xff00ff) + (w2 & 0xff00ff) + (w3 & 0xff00ff);
      b += ((w0 >>> 8) & 0xff00ff) + ((w1 >>> 8) & 0xff00ff) + ((w2 >>> 8) & 0xff00ff) + ((w3 >>> 8) & 0xff00ff);
    }
    for (; at < blockEnd; at += 4) {
      const w = dv.getInt32(at, true);
      a += w & 0xff00ff;
      b += (w >>> 8) & 0xff00ff;
    }
    even += (a & 0xffff) + (a >>> 16);
    odd += (b & 0xffff) + (b >>> 16);
  }
  // the last 0–3 bytes, at even, odd and even distances
  const i = off + (len & ~3);
  if (i < end) even += buf[i]!;
  if (i + 1 < end) odd += buf[i + 1]!;
  if (i + 2 < end) even += buf[i + 2]!;
  sum += even * 256 + odd;
  // keep the accumulator small enough that later additions stay exact in a double
  if (sum > 0x7fffffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/**
 * `fold(sumBytes(buf, off, len, sum))`, the same value, about a quarter faster: for callers that fold at once (a
 * NIC's CHECKSUM_COMPLETE sum, a verify against 0xffff). Only the sum modulo 0xffff decides a folded value (and
 * whether everything was zero), and modulo 0xffff the big-endian words add up to 256 × the little-endian 32-bit words.
 */
export function sumBytesFolded(buf: Uint8Array, off: number, len: number, sum = 0): number {
  const end = off + len;
  if (
    len < SHORT ||
    !(off >= 0 && end <= buf.length && Number.isInteger(off) && Number.isInteger(len)) ||
    !(sum >= 0 && sum <= Number.MAX_SAFE_INTEGER && Number.isInteger(sum))
  ) {
    return fold(sumBytes(buf, off, len, sum));
  }
  const dv = arrayDataView(buf);
  let at = buf.byteOffset + off;
  const wordsEnd = at + (len & ~3);
  let words = 0; // the little-endian words modulo 0xffff
  let anyByte = false; // a zero total folds to 0, any other multiple of 0xffff to 0xffff
  while (at < wordsEnd) {
    // 2^16 words per block keep the double sums below 2^48, exact
    const blockEnd = wordsEnd - at > 0x40000 ? at + 0x40000 : wordsEnd;
    let a = 0,
      b = 0;
    for (; at + 15 < blockEnd; at += 16) {
      a += dv.getUint32(at, true) + dv.getUint32(at + 4, true);
      b += dv.getUint32(at + 8, true) + dv.getUint32(at + 12, true);
    }
    for (; at < blockEnd; at += 4) a += dv.getUint32(at, true);
    if (a + b !== 0) anyByte = true;
    words = (words + a + b) % 0xffff;
  }
  const i = off + (len & ~3);
  let tail = 0;
  if (i < end) tail += buf[i]! * 256;
  if (i + 1 < end) tail += buf[i + 1]!;
  if (i + 2 < end) tail += buf[i + 2]! * 256;
  const r = ((sum % 0xffff) + ((words * 256) % 0xffff) + tail) % 0xffff;
  if (r !== 0) return r;
  return sum === 0 && !anyByte && tail === 0 ? 0 : 0xffff;
}

/** `sumBytes` one 16-bit word at a time: the reference the fast path must equal, and the path for short or odd arguments. */
export function sumBytesSimple(buf: Uint8Array, off: number, len: number, sum = 0): number {
  let i = off;
  const end = off + len;
  const evenEnd = end - ((end - off) & 1);
  for (; i < evenEnd; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) sum += buf[i]! << 8;
  if (sum > 0x7fffffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** Folds a running sum to 16 bits (not complemented). */
export function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** Folds a sum below 2^32 to 16 bits with two end-around carries: `fold`'s value, for per-packet header sums. */
export function fold32(s: number): number {
  s = (s & 0xffff) + (s >>> 16);
  return (s & 0xffff) + (s >>> 16);
}

/** The unfolded sum of the 16-bit words of `len` bytes at `o` (an odd last byte padded with zero): short ranges only, it never folds. */
export function sum16(b: Uint8Array, o: number, len: number): number {
  let s = 0;
  const even = o + (len & ~1);
  for (let i = o; i < even; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (len & 1) s += b[even]! << 8;
  return s;
}

/** The checksum field value for a running sum: the complement of the folded sum. */
export function finish(sum: number): number {
  return ~fold(sum) & 0xffff;
}

/** The Internet checksum of a byte range (what goes into a header's checksum field when that field is zero). */
export function checksum(buf: Uint8Array, off: number, len: number): number {
  return finish(sumBytes(buf, off, len));
}

/** Adds two folded 16-bit 1's-complement values (csum_add). */
export function csumAdd(a: number, b: number): number {
  return fold(a + b);
}

/** Subtracts a 16-bit value from a 1's-complement sum (csum_sub): adds its complement. */
export function csumSub(a: number, b: number): number {
  return fold(a + (~b & 0xffff));
}

/** RFC 1624 eqn. 3: the new checksum field HC' after a 16-bit word changes from `oldWord` to `newWord`. */
export function incrementalUpdate16(oldCheck: number, oldWord: number, newWord: number): number {
  return ~fold((~oldCheck & 0xffff) + (~oldWord & 0xffff) + newWord) & 0xffff;
}

/** RFC 1624 for a 32-bit field (two 16-bit words). */
export function incrementalUpdate32(oldCheck: number, oldValue: number, newValue: number): number {
  const c = incrementalUpdate16(oldCheck, (oldValue >>> 16) & 0xffff, (newValue >>> 16) & 0xffff);
  return incrementalUpdate16(c, oldValue & 0xffff, newValue & 0xffff);
}

/** IPv4 pseudo-header sum (unfolded) for an L4 segment of `l4Len` bytes, addresses read from `buf` at `srcOff`/`dstOff`. */
export function pseudoHeaderSum(
  buf: Uint8Array,
  srcOff: number,
  dstOff: number,
  protocol: number,
  l4Len: number,
): number {
  return sumBytes(buf, srcOff, 4) + sumBytes(buf, dstOff, 4) + protocol + l4Len;
}

/** IPv6 pseudo-header sum (unfolded, RFC 8200 §8.1): both 16-byte addresses, the upper-layer length and next header. */
export function ipv6PseudoHeaderSum(
  buf: Uint8Array,
  srcOff: number,
  dstOff: number,
  protocol: number,
  l4Len: number,
): number {
  return sum16(buf, srcOff, 16) + sum16(buf, dstOff, 16) + protocol + (l4Len >>> 16) + (l4Len & 0xffff);
}

/** IPv4 pseudo-header sum (unfolded) from 32-bit addresses. */
export function pseudoHeaderSumAddrs(src: number, dst: number, protocol: number, l4Len: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + l4Len;
}

/**
 * Adds a folded 16-bit sum of a block that starts at byte `offset` of a longer message: a block at an
 * odd offset contributes its bytes swapped (the kernel's csum_block_add).
 */
export function csumBlockAdd(sum: number, blockSum: number, offset: number): number {
  const b = offset & 1 ? ((blockSum & 0xff) << 8) | (blockSum >>> 8) : blockSum;
  return fold(sum + b);
}
