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
