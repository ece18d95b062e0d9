// Big-endian reads and writes of 16- and 32-bit fields at byte offsets: the one copy every layer uses
// on its hot path (no DataView to find, nothing allocated). Reads past the end give 0 bytes' worth of garbage, never throw.

/** The big-endian 16-bit field at `o`. */
export function r16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

/** The big-endian 32-bit field at `o`, unsigned. */
export function r32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** Writes the low 16 bits of `v` big-endian at `o`. */
export function w16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v;
}

/** Writes `v` as a big-endian 32-bit field at `o`. */
export function w32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

/** Copies `n` bytes from `src` at `srcOff` to `dst` at `dstOff` without creating a subarray view (per-frame paths). */
export function copyBytes(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, n: number): void {
  if (srcOff === 0 && n === src.length) {
    dst.set(src, dstOff);
    return;
  }
  for (let i = 0; i < n; i++) dst[dstOff + i] = src[srcOff + i]!;
}

/** Byte-range equality, four bytes per step (MAC headers, TCP options, IPv6 extension headers compared in place). */
export function bytesEqual(a: Uint8Array, ao: number, b: Uint8Array, bo: number, n: number): boolean {
  let i = 0;
  // int32 words (no >>> 0): V8 keeps them small integers, where r32's unsigned value past 2^31 is a double
  for (; i + 4 <= n; i += 4) {
    const x = (a[ao + i]! << 24) | (a[ao + i + 1]! << 16) | (a[ao + i + 2]! << 8) | a[ao + i + 3]!;
    const y = (b[bo + i]! << 24) | (b[bo + i + 1]! << 16) | (b[bo + i + 2]! << 8) | b[bo + i + 3]!;
    if (x !== y) return false;
  }
  for (; i < n; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}
