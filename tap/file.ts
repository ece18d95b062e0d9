// Node file access for captures: a chunked ByteSource over a file descriptor (one reusable
// Uint8Array, grown only to the largest record), `readCapture`, and the `captureInfo` summary.
// The buffer is a WebAssembly memory (wire/byte-passes.ts wasmBytes) where WebAssembly runs: a replay fingerprints
// every payload byte of the records it sends straight from it (traffic/replay.ts), and over such a memory that pass
// runs as WebAssembly, about twice as fast as the JavaScript one (the digest is the same, wire/stream-hash.ts).

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { wasmBytes } from '../wire/byte-passes.ts';
import { CaptureError } from './errors.ts';
import {
  CaptureReader,
  formatResolution,
  type CaptureFormat,
  type CaptureInterface,
  type CaptureRecord,
} from './reader.ts';
import type { ByteSource } from './source.ts';

/** Initial chunk: about 690 MTU frames per read(2) (128 KiB, 85 frames, cost the replay 3 % more of its thread). */
const CHUNK_BYTES = 1024 * 1024;

/** A sliding window over a file: `fetch` keeps the requested range in one reusable buffer. */
export class FileSource implements ByteSource {
  readonly size: number;
  readonly stableViews = false;
  buf: Uint8Array;
  dv: DataView;
  at = 0;
  /** File offset of buf[0], and how many bytes of buf are valid. */
  private winStart = 0;
  private winLen = 0;
  private closed = false;

  constructor(
    private readonly fd: number,
    readonly name: string | undefined,
    chunkBytes = CHUNK_BYTES,
  ) {
    this.size = fstatSync(fd).size;
    this.buf = wasmBytes(Math.min(chunkBytes, Math.max(this.size, 16)));
    this.dv = new DataView(this.buf.buffer);
  }

  static open(path: string): FileSource {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw new CaptureError(`${path}: cannot open (${(e as Error).message})`, 0, { file: path, cause: e });
    }
    try {
      return new FileSource(fd, path);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  fetch(pos: number, len: number): number {
    const winEnd = this.winStart + this.winLen;
    if (pos >= this.winStart && pos + len <= winEnd) {
      this.at = pos - this.winStart;
      return len;
    }
    // keep what we already hold of [pos, …), then fill the rest of the buffer from the file
    const keep = pos >= this.winStart && pos < winEnd ? winEnd - pos : 0;
    if (len > this.buf.length) {
      const grown = wasmBytes(len);
      if (keep > 0) grown.set(this.buf.subarray(pos - this.winStart, this.winLen));
      this.buf = grown;
      this.dv = new DataView(grown.buffer);
    } else if (keep > 0) {
      this.buf.copyWithin(0, pos - this.winStart, this.winLen);
    }
    this.winStart = pos;
    this.winLen = keep;
    while (this.winLen < this.buf.length) {
      const n = readSync(this.fd, this.buf, this.winLen, this.buf.length - this.winLen, pos + this.winLen);
      if (n === 0) break;
      this.winLen += n;
    }
    this.at = 0;
    return Math.min(len, this.winLen);
  }

  /** Size of the reusable buffer (it grows only to the largest record). */
  get bufferBytes(): number {
    return this.buf.length;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

/** Opens a capture file and reads its header; iterate it for the records, close it when done early. `reuseRecords`:
 *  see CaptureReader (one record object for every classic pcap record, for a reader that keeps none). */
export function openCapture(path: string, opts: { reuseRecords?: boolean } = {}): CaptureReader {
  const src = FileSource.open(path);
  try {
    return new CaptureReader(src, opts);
  } catch (e) {
    src.close();
    throw e;
  }
}

/**
 * Records of a capture file (pcap or pcapng by magic), read synchronously in chunks. Each iteration
 * opens the file anew; `data` of a record is valid until the next record is read.
 */
export function readCapture(path: string, opts: { reuseRecords?: boolean } = {}): Iterable<CaptureRecord> {
  return { [Symbol.iterator]: () => openCapture(path, opts) };
}

export interface CaptureInfo {
  path: string;
  format: CaptureFormat;
  byteOrder: 'little-endian' | 'big-endian';
  /** Timestamp resolution of the first interface: 'us', 'ns', '1e-3', '2^-20', … */
  resolution: string;
  /** Of the first interface; null for a pcapng file without any. */
  linktype: number | null;
  /** Of the first interface (0 = no limit in pcapng); null for a pcapng file without any. */
  snaplen: number | null;
  records: number;
  /** Total bytes of captured packet data. */
  capturedBytes: number;
  /** pcapng sections (1 for classic pcap). */
  sections: number;
  interfaces: CaptureInterface[];
  fileBytes: number;
}

/** Reads a whole capture file and summarises it (throws CaptureError as reading does). */
export function captureInfo(path: string): CaptureInfo {
  const reader = openCapture(path);
  let capturedBytes = 0;
  for (const r of reader) capturedBytes += r.data.length;
  const first = reader.interfaces[0];
  return {
    path,
    format: reader.format,
    byteOrder: reader.littleEndian ? 'little-endian' : 'big-endian',
    resolution: first === undefined ? 'us' : formatResolution(first.resolution),
    linktype: first === undefined ? null : first.linktype,
    snaplen: first === undefined ? null : first.snaplen,
    records: reader.records,
    capturedBytes,
    sections: reader.format === 'pcap' ? 1 : reader.sections,
    interfaces: reader.interfaces,
    fileBytes: reader.position,
  };
}
