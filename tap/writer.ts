// Writes classic pcap or pcapng: records are encoded into one batching Uint8Array and handed to a
// sink (a file descriptor via fs.writeSync, or memory) when it fills. pcapng gets one interface per
// receive queue (rx0, rx1, …), optional per-packet comments and, on request, nanosecond timestamps.

import { closeSync, openSync, writeSync } from 'node:fs';
import { WriteBehindSink } from './write-behind.ts';
import {
  DEFAULT_SNAPLEN,
  EPB,
  IDB,
  LINKTYPE_ETHERNET,
  MAX_RECORD_BYTES,
  PCAP_HDR,
  PCAP_MAGIC,
  PCAP_REC,
  PCAPNG_BLOCK,
  PCAPNG_BYTE_ORDER_MAGIC,
  PCAPNG_OPT,
  SHB,
} from './reader.ts';

export interface CaptureWriterOptions {
  format: 'pcap' | 'pcapng';
  /** Bytes kept of each frame, 1..262144 (default 262144). */
  snaplen?: number | undefined;
  /** Nanosecond timestamps (pcap magic 0xa1b23c4d; pcapng if_tsresol = 9). Default: microseconds. */
  nanosecond?: boolean | undefined;
  /** pcapng: number of interfaces, one per RX queue (default: interfaceNames.length, or 1). */
  interfaces?: number | undefined;
  /** pcapng: interface names (default rx0, rx1, …). */
  interfaceNames?: string[] | undefined;
  /** Write big-endian instead of little-endian (for tests of readers). */
  bigEndian?: boolean | undefined;
  /** pcapng: the shb_userappl option (default 'vnic-lab'). */
  application?: string | undefined;
}

export interface CaptureWriteRecord {
  tsSec: number;
  tsNsec: number;
  data: Uint8Array;
  /** Bytes of `data` that are the frame (default data.length); more than snaplen are cut. */
  length?: number | undefined;
  /** Length on the wire (default `length`). */
  origLen?: number | undefined;
  /** pcapng interface (RX queue); classic pcap has one interface and ignores it. */
  interfaceId?: number | undefined;
  /** pcapng packet comment; classic pcap cannot store it and ignores it. */
  comment?: string | undefined;
}

/** A record whose frame bytes the caller puts in place (CaptureWriter.writeFrom): everything but the data. */
export type CaptureFrameRecord = CaptureRecordFields & { length: number };
/** What a record is besides its bytes. */
export type CaptureRecordFields = Omit<CaptureWriteRecord, 'data' | 'length'>;

/** Puts a frame's bytes in place: its first `len` bytes at `dst[at]`. */
export interface FrameSource {
  copyFrame(dst: Uint8Array, at: number, len: number): void;
}

/** Where encoded bytes go. */
export interface ByteSink {
  write(bytes: Uint8Array, len: number): void;
  /**
   * Optional, instead of `write` for full batches: takes the first `len` bytes of `bytes` and returns the buffer to
   * fill next (at least as large), so a sink that writes later keeps the batch instead of copying it.
   */
  hand?(bytes: Uint8Array, len: number): Uint8Array;
  close(): void;
}

class FileSink implements ByteSink {
  constructor(private readonly fd: number) {}
  write(bytes: Uint8Array, len: number): void {
    let off = 0;
    while (off < len) off += writeSync(this.fd, bytes, off, len - off);
  }
  close(): void {
    closeSync(this.fd);
  }
}

class MemorySink implements ByteSink {
  private readonly chunks: Uint8Array[] = [];
  private total = 0;
  write(bytes: Uint8Array, len: number): void {
    this.chunks.push(bytes.slice(0, len));
    this.total += len;
  }
  close(): void {}
  bytes(): Uint8Array {
    const out = new Uint8Array(this.total);
    let off = 0;
    for (const c of this.chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }
}

/** Batching buffer: holds the largest block we can emit (a full record plus a 64 KiB comment). */
const BATCH_BYTES = 1024 * 1024;
const MAX_COMMENT_BYTES = 0xffff;
const utf8 = new TextEncoder();

function pad4(n: number): number {
  return (n + 3) & ~3;
}

export class CaptureWriter {
  readonly format: 'pcap' | 'pcapng';
  readonly snaplen: number;
  readonly nanosecond: boolean;
  readonly interfaces: number;
  /** Records written so far. */
  records = 0;

  private readonly le: boolean;
  /** The batch being filled: the writer's own, or a buffer a write-behind sink handed back (shared memory). */
  private batch: Uint8Array<ArrayBufferLike> = new Uint8Array(BATCH_BYTES);
  private dv: DataView<ArrayBufferLike> = new DataView(this.batch.buffer);
  private fill = 0;
  private closed = false;

  /** Creates (truncates) `path` and writes the file header. Past its first batch a writer thread writes the file (tap/write-behind.ts). */
  static open(path: string, opts: CaptureWriterOptions): CaptureWriter {
    validate(opts);
    return new CaptureWriter(new WriteBehindSink(openSync(path, 'w'), BATCH_BYTES), opts);
  }

  /** Writes to an already open file descriptor (closed by `close()`). */
  static openFd(fd: number, opts: CaptureWriterOptions): CaptureWriter {
    return new CaptureWriter(new FileSink(fd), opts);
  }

  /** Writes to any sink. */
  static toSink(sink: ByteSink, opts: CaptureWriterOptions): CaptureWriter {
    return new CaptureWriter(sink, opts);
  }

  /** Writes into memory; `bytes()` returns the file after `close()`. */
  static toMemory(opts: CaptureWriterOptions): CaptureWriter & { bytes(): Uint8Array } {
    const sink = new MemorySink();
    const w = new CaptureWriter(sink, opts) as CaptureWriter & { bytes(): Uint8Array };
    w.bytes = () => {
      w.flush();
      return sink.bytes();
    };
    return w;
  }

  private constructor(
    private readonly sink: ByteSink,
    opts: CaptureWriterOptions,
  ) {
    validate(opts);
    this.format = opts.format;
    this.snaplen = opts.snaplen ?? DEFAULT_SNAPLEN;
    this.nanosecond = opts.nanosecond ?? false;
    this.interfaces = opts.format === 'pcap' ? 1 : (opts.interfaces ?? opts.interfaceNames?.length ?? 1);
    this.le = !(opts.bigEndian ?? false);
    if (opts.format === 'pcap') this.writePcapHeader();
    else this.writePcapngHeader(opts.interfaceNames ?? [], opts.application ?? 'vnic-lab');
  }

  write(r: CaptureWriteRecord): void {
    const length = r.length ?? r.data.length;
    if (!Number.isInteger(length) || length < 0 || length > r.data.length) {
      throw new RangeError(`CaptureWriter.write: length ${length} outside the data (${r.data.length} bytes)`);
    }
    this.put(r, length, r.data);
  }

  /**
   * As write(), with the frame's bytes put straight into the file's batch by `source` rather than copied from a
   * buffer: one copy for a frame assembled from pieces (the lab's --out writes an skb's header, tag and data so).
   */
  writeFrom(r: CaptureFrameRecord, source: FrameSource): void {
    if (!Number.isInteger(r.length) || r.length < 0)
      throw new RangeError(`CaptureWriter.writeFrom: length ${r.length} is not a byte count`);
    this.put(r, r.length, source);
  }

  private put(r: CaptureRecordFields, length: number, bytes: Uint8Array | FrameSource): void {
    if (this.closed) throw new Error('CaptureWriter.write after close()');
    const origLen = r.origLen ?? length;
    if (!Number.isInteger(origLen) || origLen < 0 || origLen > 0xffffffff)
      throw new RangeError(`CaptureWriter.write: origLen ${origLen} is not a u32`);
    if (!Number.isInteger(r.tsSec) || r.tsSec < 0 || r.tsSec > 0xffffffff)
      throw new RangeError(`CaptureWriter.write: tsSec ${r.tsSec} is not a u32`);
    if (!Number.isInteger(r.tsNsec) || r.tsNsec < 0 || r.tsNsec >= 1e9)
      throw new RangeError(`CaptureWriter.write: tsNsec ${r.tsNsec} outside [0, 1e9)`);
    const capLen = Math.min(length, this.snaplen);
    if (this.format === 'pcap') this.writePcapRecord(r, capLen, origLen, bytes);
    else this.writeEpb(r, capLen, origLen, bytes);
    this.records++;
  }

  /** The first `capLen` bytes of the frame at batch[at]. */
  private frameBytes(bytes: Uint8Array | FrameSource, capLen: number, at: number): void {
    if (bytes instanceof Uint8Array) this.batch.set(bytes.subarray(0, capLen), at);
    else bytes.copyFrame(this.batch, at, capLen);
  }

  /** Hands the buffered bytes to the sink. */
  flush(): void {
    if (this.fill === 0) return;
    if (this.sink.hand === undefined) this.sink.write(this.batch, this.fill);
    else {
      const next = this.sink.hand(this.batch, this.fill);
      if (next.length < BATCH_BYTES)
        throw new Error(`ByteSink.hand returned ${next.length} bytes (${BATCH_BYTES} needed)`);
      this.batch = next;
      this.dv = new DataView(next.buffer, next.byteOffset, next.byteLength);
    }
    this.fill = 0;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.sink.close();
  }

  /** Makes room for `n` bytes in the batch; returns where they start. */
  private reserve(n: number): number {
    if (this.fill + n > this.batch.length) this.flush();
    const at = this.fill;
    this.fill += n;
    return at;
  }

  private writePcapHeader(): void {
    const at = this.reserve(PCAP_HDR.SIZE);
    const dv = this.dv;
    dv.setUint32(at + PCAP_HDR.MAGIC, this.nanosecond ? PCAP_MAGIC.NANO : PCAP_MAGIC.MICRO, this.le);
    dv.setUint16(at + PCAP_HDR.VERSION_MAJOR, 2, this.le);
    dv.setUint16(at + PCAP_HDR.VERSION_MINOR, 4, this.le);
    dv.setInt32(at + PCAP_HDR.THISZONE, 0, this.le);
    dv.setUint32(at + PCAP_HDR.SIGFIGS, 0, this.le);
    dv.setUint32(at + PCAP_HDR.SNAPLEN, this.snaplen, this.le);
    dv.setUint32(at + PCAP_HDR.LINKTYPE, LINKTYPE_ETHERNET, this.le);
  }

  private writePcapRecord(
    r: CaptureRecordFields,
    capLen: number,
    origLen: number,
    bytes: Uint8Array | FrameSource,
  ): void {
    const at = this.reserve(PCAP_REC.SIZE + capLen);
    const dv = this.dv;
    dv.setUint32(at + PCAP_REC.TS_SEC, r.tsSec, this.le);
    dv.setUint32(at + PCAP_REC.TS_FRAC, this.nanosecond ? r.tsNsec : Math.floor(r.tsNsec / 1000), this.le);
    dv.setUint32(at + PCAP_REC.INCL_LEN, capLen, this.le);
    dv.setUint32(at + PCAP_REC.ORIG_LEN, origLen, this.le);
    this.frameBytes(bytes, capLen, at + PCAP_REC.SIZE);
  }

  /** Writes one option (code, length, value, zero padding) at `at`; returns the next offset. */
  private option(at: number, code: number, value: Uint8Array): number {
    this.dv.setUint16(at, code, this.le);
    this.dv.setUint16(at + 2, value.length, this.le);
    this.batch.set(value, at + 4);
    this.batch.fill(0, at + 4 + value.length, at + 4 + pad4(value.length));
    return at + 4 + pad4(value.length);
  }

  private endOfOptions(at: number): number {
    this.dv.setUint32(at, 0);
    return at + 4;
  }

  private writePcapngHeader(names: string[], application: string): void {
    const app = utf8.encode(application);
    let total = SHB.OPTIONS + 4 + pad4(app.length) + 4 + 4;
    let at = this.reserve(total);
    const dv = this.dv;
    const start = at;
    dv.setUint32(at + SHB.TYPE, PCAPNG_BLOCK.SHB, this.le);
    dv.setUint32(at + SHB.TOTAL_LEN, total, this.le);
    dv.setUint32(at + SHB.BOM, PCAPNG_BYTE_ORDER_MAGIC, this.le);
    dv.setUint16(at + SHB.MAJOR, 1, this.le);
    dv.setUint16(at + SHB.MINOR, 0, this.le);
    dv.setInt32(at + SHB.SECTION_LEN, -1, this.le); // section length unknown: -1 as i64
    dv.setInt32(at + SHB.SECTION_LEN + 4, -1, this.le);
    at = this.option(at + SHB.OPTIONS, 4 /* shb_userappl */, app);
    at = this.endOfOptions(at);
    dv.setUint32(at, total, this.le);
    if (at + 4 - start !== total) throw new Error('pcapng SHB size mismatch');

    const resol = new Uint8Array([9]);
    for (let i = 0; i < this.interfaces; i++) {
      const name = utf8.encode(names[i] ?? `rx${i}`);
      total = IDB.OPTIONS + 4 + pad4(name.length) + (this.nanosecond ? 8 : 0) + 4 + 4;
      at = this.reserve(total);
      dv.setUint32(at, PCAPNG_BLOCK.IDB, this.le);
      dv.setUint32(at + 4, total, this.le);
      dv.setUint16(at + IDB.LINKTYPE, LINKTYPE_ETHERNET, this.le);
      dv.setUint16(at + IDB.RESERVED, 0, this.le);
      dv.setUint32(at + IDB.SNAPLEN, this.snaplen, this.le);
      at = this.option(at + IDB.OPTIONS, PCAPNG_OPT.IF_NAME, name);
      if (this.nanosecond) at = this.option(at, PCAPNG_OPT.IF_TSRESOL, resol);
      at = this.endOfOptions(at);
      dv.setUint32(at, total, this.le);
    }
  }

  private writeEpb(r: CaptureRecordFields, capLen: number, origLen: number, bytes: Uint8Array | FrameSource): void {
    const iface = r.interfaceId ?? 0;
    if (!Number.isInteger(iface) || iface < 0 || iface >= this.interfaces) {
      throw new RangeError(
        `CaptureWriter.write: interfaceId ${iface} (the file has interfaces 0..${this.interfaces - 1})`,
      );
    }
    let comment: Uint8Array | undefined;
    if (r.comment !== undefined) {
      comment = utf8.encode(r.comment);
      if (comment.length > MAX_COMMENT_BYTES)
        throw new RangeError(`CaptureWriter.write: comment of ${comment.length} bytes (limit ${MAX_COMMENT_BYTES})`);
    }
    const options = comment === undefined ? 0 : 4 + pad4(comment.length) + 4;
    const total = EPB.DATA + pad4(capLen) + options + 4;
    let at = this.reserve(total);
    const dv = this.dv;
    dv.setUint32(at, PCAPNG_BLOCK.EPB, this.le);
    dv.setUint32(at + 4, total, this.le);
    dv.setUint32(at + EPB.IFACE, iface, this.le);
    // timestamp as a 64-bit count of µs or ns, built from 16-bit pieces so it stays exact
    const perSec = this.nanosecond ? 1e9 : 1e6;
    const frac = this.nanosecond ? r.tsNsec : Math.floor(r.tsNsec / 1000);
    const low = (r.tsSec % 65536) * perSec + frac; // < 2^47
    const high = Math.floor(r.tsSec / 65536) * perSec; // counts of 2^16
    const t = low + (high % 65536) * 65536; // < 2^48: exact
    dv.setUint32(at + EPB.TS_HIGH, Math.floor(high / 65536) + Math.floor(t / 0x100000000), this.le);
    dv.setUint32(at + EPB.TS_LOW, t % 0x100000000, this.le);
    dv.setUint32(at + EPB.CAP_LEN, capLen, this.le);
    dv.setUint32(at + EPB.ORIG_LEN, origLen, this.le);
    this.frameBytes(bytes, capLen, at + EPB.DATA);
    this.batch.fill(0, at + EPB.DATA + capLen, at + EPB.DATA + pad4(capLen));
    const end = at + total;
    at += EPB.DATA + pad4(capLen);
    if (comment !== undefined) at = this.endOfOptions(this.option(at, PCAPNG_OPT.COMMENT, comment));
    dv.setUint32(at, total, this.le);
    if (at + 4 !== end) throw new Error('pcapng EPB size mismatch');
  }
}

function validate(opts: CaptureWriterOptions): void {
  if (opts.format !== 'pcap' && opts.format !== 'pcapng')
    throw new RangeError(`CaptureWriter: format '${String(opts.format)}' (expected 'pcap' or 'pcapng')`);
  const snaplen = opts.snaplen ?? DEFAULT_SNAPLEN;
  if (!Number.isInteger(snaplen) || snaplen < 1 || snaplen > MAX_RECORD_BYTES) {
    throw new RangeError(`CaptureWriter: snaplen ${snaplen} outside 1..${MAX_RECORD_BYTES}`);
  }
  const n = opts.interfaces ?? opts.interfaceNames?.length ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > 0xffff)
    throw new RangeError(`CaptureWriter: interfaces ${n} outside 1..65535`);
}
