// The Internet checksum (RFC 1071): full sums, the RFC 1624 incremental update, and the IPv4
// pseudo-header sum. Sums are kept unfolded as plain numbers until `fold`, so callers can chain them.

/** Adds `len` bytes of `buf` from `off` to the running 1's-complement sum `sum` (unfolded). An odd length pads with a zero byte. */
export function sumBytes(buf: Uint8Array, off: number, len: number, sum = 0): number {
  let i = off;
  const end = off + len;
  const evenEnd = end - ((end - off) & 1);
  for (; i < evenEnd; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) sum += buf[i]! << 8;
  // keep the accumulator small enough that later additions stay exact in a double
  if (sum > 0x7fffffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** Folds a running sum to 16 bits (not complemented). */
export function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
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
export function pseudoHeaderSum(buf: Uint8Array, srcOff: number, dstOff: number, protocol: number, l4Len: number): number {
  return sumBytes(buf, srcOff, 4) + sumBytes(buf, dstOff, 4) + protocol + l4Len;
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
