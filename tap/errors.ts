// The one error type for unreadable capture files. Its message is meant for the user as it stands:
// it names the file, the record (counted from 1, like Wireshark's frame numbers), the byte offset
// and what was expected there.

export class CaptureError extends Error {
  override readonly name = 'CaptureError';
  /** Byte offset in the file (or buffer) of the record, block or header that is wrong. */
  readonly offset: number;
  /** The record number (from 1) when the error concerns a packet record. */
  readonly record: number | undefined;
  /** The file name, when known. */
  readonly file: string | undefined;

  constructor(
    message: string,
    offset: number,
    opts: { record?: number | undefined; file?: string | undefined; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.offset = offset;
    this.record = opts.record;
    this.file = opts.file;
  }
}
