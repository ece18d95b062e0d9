// Byte sources the capture reader pulls from: a window over memory (whole input at hand) or over a
// file read in chunks (tap/file.ts). The reader asks for [pos, pos+len) and reads via `buf`/`dv` at `at`.

export interface ByteSource {
  /** File name used in error messages, when known. */
  readonly name: string | undefined;
  /** Total bytes in the input. */
  readonly size: number;
  /** The bytes asked for by the last `fetch` start at `buf[at]`; `dv` views the same bytes as `buf`. */
  readonly buf: Uint8Array;
  readonly dv: DataView;
  readonly at: number;
  /** True when views into `buf` stay valid after later fetches (memory input). */
  readonly stableViews: boolean;
  /**
   * Makes bytes [pos, pos+len) readable at `buf[at]`. Returns how many of them exist (fewer than
   * `len` only at the end of the input). May invalidate views handed out before.
   */
  fetch(pos: number, len: number): number;
  close(): void;
}

/** The whole input is in memory: fetching is pointer arithmetic and record views never move. */
export class MemorySource implements ByteSource {
  readonly size: number;
  readonly dv: DataView;
  readonly stableViews = true;
  at = 0;

  constructor(
    readonly buf: Uint8Array,
    readonly name: string | undefined,
  ) {
    this.size = buf.length;
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  fetch(pos: number, len: number): number {
    this.at = pos;
    return Math.max(0, Math.min(len, this.size - pos));
  }

  close(): void {}
}
