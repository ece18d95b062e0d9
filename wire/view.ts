// What every typed view shares: the bytes, where the header starts, and one DataView over the bytes.

/** A DataView over exactly the bytes of `buf` (offsets into `buf` are offsets into the view). */
export function dataViewOf(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * How many of a header's `len` bytes `buf` really holds from `off`. `len` may exceed it when a
 * capture was cut at a snap length: headers must then lie in the bytes held, lengths are checked against `len`.
 */
export function captured(buf: Uint8Array, off: number, len: number): number {
  return Math.max(0, Math.min(len, buf.length - off));
}

export abstract class HeaderView {
  /** `dv` may be passed in to share one DataView over `buf` between several views. */
  constructor(
    readonly buf: Uint8Array,
    readonly off = 0,
    readonly dv: DataView = dataViewOf(buf),
  ) {}
}
