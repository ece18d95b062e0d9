// Reads classic pcap and pcapng from a ByteSource, one record at a time, never holding more than the
// largest record. Format and byte order come from the magic; every malformed byte becomes a
// CaptureError that names the file, the record, the offset and what was expected.

import { CaptureError } from './errors.ts';
import { MemorySource, type ByteSource } from './source.ts';

/** Largest record we accept, whatever a file's snaplen claims (Wireshark's limit for Ethernet). */
export const MAX_RECORD_BYTES = 262144;
/** The longest frame a record may say was on the wire (its original length). No link carries a frame past a
 *  megabyte (the largest packet Linux's GRO builds, BIG TCP at gro_max_size 524,280, is half that), and a replay
 *  rebuilds a header-only record to its original length, so a damaged length field would cost gigabytes. */
export const MAX_ORIG_LEN = 1 << 20;
/** Default snaplen of our writers: a 64 KiB aggregate plus headers stays whole. */
export const DEFAULT_SNAPLEN = 262144;
export const LINKTYPE_ETHERNET = 1;

export const PCAP_MAGIC = { MICRO: 0xa1b2c3d4, NANO: 0xa1b23c4d } as const;
export const PCAP_HDR = {
  MAGIC: 0,
  VERSION_MAJOR: 4,
  VERSION_MINOR: 6,
  THISZONE: 8,
  SIGFIGS: 12,
  SNAPLEN: 16,
  LINKTYPE: 20,
  SIZE: 24,
} as const;
export const PCAP_REC = { TS_SEC: 0, TS_FRAC: 4, INCL_LEN: 8, ORIG_LEN: 12, SIZE: 16 } as const;

export const PCAPNG_BLOCK = { SHB: 0x0a0d0d0a, IDB: 1, OPB: 2, SPB: 3, NRB: 4, ISB: 5, EPB: 6, DSB: 0x0a } as const;
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
export const PCAPNG_OPT = { ENDOFOPT: 0, COMMENT: 1, IF_NAME: 2, IF_TSRESOL: 9, IF_TSOFFSET: 14 } as const;
/** Offsets inside blocks, from the block start. */
export const SHB = {
  TYPE: 0,
  TOTAL_LEN: 4,
  BOM: 8,
  MAJOR: 12,
  MINOR: 14,
  SECTION_LEN: 16,
  OPTIONS: 24,
  MIN_SIZE: 28,
} as const;
export const IDB = { LINKTYPE: 8, RESERVED: 10, SNAPLEN: 12, OPTIONS: 16, MIN_SIZE: 20 } as const;
export const EPB = { IFACE: 8, TS_HIGH: 12, TS_LOW: 16, CAP_LEN: 20, ORIG_LEN: 24, DATA: 28, MIN_SIZE: 32 } as const;
export const OPB = {
  IFACE: 8,
  DROPS: 10,
  TS_HIGH: 12,
  TS_LOW: 16,
  CAP_LEN: 20,
  ORIG_LEN: 24,
  DATA: 28,
  MIN_SIZE: 32,
} as const;
export const SPB = { ORIG_LEN: 8, DATA: 12, MIN_SIZE: 16 } as const;
/** Room for options (comments) beyond the packet bytes in one block we read whole. */
const MAX_OPTIONS_BYTES = 65536;
const MAX_BLOCK_BYTES = EPB.DATA + MAX_RECORD_BYTES + MAX_OPTIONS_BYTES + 4;

export interface CaptureRecord {
  /** Position among the packet records of the file, from 0. */
  index: number;
  /** Byte offset of the record (pcap record header or pcapng block) in the file. */
  offset: number;
  tsSec: number;
  tsNsec: number;
  /** The captured bytes. From readCapture: a view valid until the next record is read. */
  data: Uint8Array;
  /** Length of the frame on the wire (≥ data.length when the capture was cut at snaplen). */
  origLen: number;
  /**
   * Index of the interface in CaptureReader.interfaces: the pcapng interface id, numbered on across
   * sections (capinfos counts them the same way; tshark 4.0's frame.interface_id restarts at 0 in
   * every section, see CaptureInterface.localId). 0 for classic pcap.
   */
  interfaceId: number;
  linktype: number;
  /** pcapng opt_comment of the packet (the first one when there are several). */
  comment?: string;
}

/** Timestamp unit of an interface: 10^-exp s (base 10) or 2^-exp s (base 2). */
export interface TsResolution {
  base: 10 | 2;
  exp: number;
}

export interface CaptureInterface {
  /** Id as reported in CaptureRecord.interfaceId. */
  id: number;
  /** pcapng section (from 0) that defined it. */
  section: number;
  /** The id packets of its section use for it (the pcapng interface id as written in the file). */
  localId: number;
  linktype: number;
  /** 0 means "no limit" in pcapng. */
  snaplen: number;
  name?: string;
  resolution: TsResolution;
  /** if_tsoffset: seconds added to every timestamp. */
  tsOffsetSec: number;
}

export type CaptureFormat = 'pcap' | 'pcapng';

const MICRO: TsResolution = { base: 10, exp: 6 };
const NANO: TsResolution = { base: 10, exp: 9 };
const utf8 = new TextDecoder('utf-8');

function hex32(v: number): string {
  return '0x' + (v >>> 0).toString(16).padStart(8, '0');
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** Human form of a resolution: 'us', 'ns', '1e-3', '2^-20'. */
export function formatResolution(r: TsResolution): string {
  if (r.base === 10 && r.exp === 6) return 'us';
  if (r.base === 10 && r.exp === 9) return 'ns';
  return r.base === 10 ? `1e-${r.exp}` : `2^-${r.exp}`;
}

/**
 * A pull parser over one capture. The header is read in the constructor (errors are thrown there);
 * `next()` yields records. It is its own iterator, so it can be iterated once.
 */
export class CaptureReader implements IterableIterator<CaptureRecord> {
  readonly format: CaptureFormat;
  /** Byte order of the (first) section. */
  readonly littleEndian: boolean;
  /** Classic pcap: the header's snaplen. pcapng: the first interface's, 0 if none. */
  snaplen = 0;
  /** Every interface seen so far (classic pcap: one, id 0). Grows while reading pcapng. */
  readonly interfaces: CaptureInterface[] = [];
  /** Records read so far. */
  records = 0;
  /** pcapng sections seen so far. */
  sections = 0;

  private pos = 0;
  private le: boolean;
  private done = false;
  // classic pcap
  private nano = false;
  private linktype = LINKTYPE_ETHERNET;
  // pcapng: interfaces of the current section start at this index of `interfaces`
  private sectionBase = 0;
  // timestamp conversion results (kept here so the hot path allocates nothing)
  private tsSec = 0;
  private tsNsec = 0;

  /** With `reuseRecords`: the one record object classic pcap records are read into, and the one iterator result. */
  private readonly shared: CaptureRecord | undefined;
  private readonly result: { done: false; value: CaptureRecord } | undefined;

  /**
   * `reuseRecords`: every classic pcap record is the same object, rewritten by the next read, and so is the iterator's
   * result (a replay reads a million records; none keeps one past the next). pcapng records are new objects either way.
   */
  constructor(
    private readonly src: ByteSource,
    opts: { reuseRecords?: boolean } = {},
  ) {
    if (opts.reuseRecords === true) {
      this.shared = {
        index: 0,
        offset: 0,
        tsSec: 0,
        tsNsec: 0,
        data: src.buf,
        origLen: 0,
        interfaceId: 0,
        linktype: 0,
      };
      this.result = { done: false, value: this.shared };
    }
    const name = src.name;
    const n = src.fetch(0, 4);
    if (n === 0)
      throw new CaptureError(`${name ?? 'capture'}: empty file (expected a pcap or pcapng header)`, 0, { file: name });
    if (n < 4) throw this.fail(0, `truncated file header (4-byte magic expected, ${n} present)`);
    const be = src.dv.getUint32(src.at, false);
    const le = src.dv.getUint32(src.at, true);
    if (be === PCAPNG_BLOCK.SHB) {
      this.format = 'pcapng';
      this.le = this.readSectionHeader(0);
      this.littleEndian = this.le;
      return;
    }
    this.format = 'pcap';
    if (le === PCAP_MAGIC.MICRO || le === PCAP_MAGIC.NANO) this.le = true;
    else if (be === PCAP_MAGIC.MICRO || be === PCAP_MAGIC.NANO) this.le = false;
    else {
      throw this.fail(
        0,
        `bad magic ${hex32(be)} (expected pcap ${hex32(PCAP_MAGIC.MICRO)}/${hex32(PCAP_MAGIC.NANO)} in either byte order, or pcapng ${hex32(PCAPNG_BLOCK.SHB)})`,
      );
    }
    this.littleEndian = this.le;
    this.nano = (this.le ? le : be) === PCAP_MAGIC.NANO;
    this.readPcapHeader();
  }

  /** The input's name, for messages. */
  get name(): string | undefined {
    return this.src.name;
  }

  /** The byte offset the next record would start at. */
  get position(): number {
    return this.pos;
  }

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<CaptureRecord, undefined> {
    if (this.done) return { done: true, value: undefined };
    let rec: CaptureRecord | undefined;
    try {
      rec = this.format === 'pcap' ? this.nextPcap() : this.nextPcapng();
    } catch (e) {
      this.close();
      throw e;
    }
    if (rec === undefined) {
      this.close();
      return { done: true, value: undefined };
    }
    const result = this.result;
    if (result === undefined) return { done: false, value: rec };
    result.value = rec;
    return result;
  }

  return(): IteratorResult<CaptureRecord, undefined> {
    this.close();
    return { done: true, value: undefined };
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    this.src.close();
  }

  // ---- errors -------------------------------------------------------------------------------

  private fail(offset: number, what: string): CaptureError {
    const name = this.src.name ?? 'capture';
    return new CaptureError(`${name}: byte ${offset}: ${what}`, offset, { file: this.src.name });
  }

  private failRecord(offset: number, what: string): CaptureError {
    const name = this.src.name ?? 'capture';
    const record = this.records + 1;
    return new CaptureError(`${name}: record ${record} at byte ${offset} ${what}`, offset, {
      file: this.src.name,
      record,
    });
  }

  /** A framing error in a pcapng block; packet blocks are named by their record number too. */
  private failBlock(offset: number, type: number | undefined, what: string): CaptureError {
    const name = this.src.name ?? 'capture';
    if (type === PCAPNG_BLOCK.EPB || type === PCAPNG_BLOCK.SPB || type === PCAPNG_BLOCK.OPB) {
      const record = this.records + 1;
      return new CaptureError(
        `${name}: record ${record} (${blockName(type)} block) at byte ${offset} ${what}`,
        offset,
        { file: this.src.name, record },
      );
    }
    const kind = type === undefined ? 'block' : `${blockName(type)} block`;
    return new CaptureError(`${name}: ${kind} at byte ${offset} ${what}`, offset, { file: this.src.name });
  }

  // ---- classic pcap ---------------------------------------------------------------------------

  private readPcapHeader(): void {
    const src = this.src;
    const n = src.fetch(0, PCAP_HDR.SIZE);
    if (n < PCAP_HDR.SIZE)
      throw this.fail(0, `truncated pcap global header (${PCAP_HDR.SIZE} bytes expected, ${n} present)`);
    const dv = src.dv;
    const at = src.at;
    const major = dv.getUint16(at + PCAP_HDR.VERSION_MAJOR, this.le);
    if (major !== 2) throw this.fail(PCAP_HDR.VERSION_MAJOR, `unsupported pcap version ${major} (expected 2)`);
    this.snaplen = dv.getUint32(at + PCAP_HDR.SNAPLEN, this.le);
    this.linktype = dv.getUint32(at + PCAP_HDR.LINKTYPE, this.le);
    if (this.linktype !== LINKTYPE_ETHERNET) {
      throw this.fail(
        PCAP_HDR.LINKTYPE,
        `unsupported linktype ${this.linktype} (only Ethernet = ${LINKTYPE_ETHERNET} is supported)`,
      );
    }
    this.interfaces.push({
      id: 0,
      section: 0,
      localId: 0,
      linktype: this.linktype,
      snaplen: this.snaplen,
      resolution: this.nano ? NANO : MICRO,
      tsOffsetSec: 0,
    });
    this.pos = PCAP_HDR.SIZE;
  }

  private nextPcap(): CaptureRecord | undefined {
    const src = this.src;
    const pos = this.pos;
    const got = src.fetch(pos, PCAP_REC.SIZE);
    if (got === 0) return undefined;
    if (got < PCAP_REC.SIZE)
      throw this.failRecord(
        pos,
        `is cut short: truncated record header (${PCAP_REC.SIZE} bytes expected, ${got} present)`,
      );
    const dv = src.dv;
    const at = src.at;
    const tsSec = dv.getUint32(at + PCAP_REC.TS_SEC, this.le);
    const frac = dv.getUint32(at + PCAP_REC.TS_FRAC, this.le);
    const inclLen = dv.getUint32(at + PCAP_REC.INCL_LEN, this.le);
    const origLen = dv.getUint32(at + PCAP_REC.ORIG_LEN, this.le);
    this.checkLength(pos, inclLen, this.snaplen);
    this.checkOrigLen(pos, origLen);
    const total = PCAP_REC.SIZE + inclLen;
    const have = src.fetch(pos, total);
    if (have < total) {
      throw this.failRecord(
        pos,
        `is cut short: truncated record body (${inclLen} bytes expected, ${have - PCAP_REC.SIZE} present)`,
      );
    }
    const start = src.at + PCAP_REC.SIZE;
    const data = src.buf.subarray(start, start + inclLen);
    const tsNsec = this.nano ? frac : frac * 1000;
    let rec = this.shared;
    if (rec === undefined)
      rec = { index: this.records, offset: pos, tsSec, tsNsec, data, origLen, interfaceId: 0, linktype: this.linktype };
    else {
      rec.index = this.records;
      rec.offset = pos;
      rec.tsSec = tsSec;
      rec.tsNsec = tsNsec;
      rec.data = data;
      rec.origLen = origLen;
      rec.linktype = this.linktype;
    }
    this.records++;
    this.pos = pos + total;
    return rec;
  }

  /** The size limit for one record: the snaplen (0 = none), never above MAX_RECORD_BYTES. */
  private checkOrigLen(pos: number, origLen: number): void {
    if (origLen > MAX_ORIG_LEN)
      throw this.failRecord(
        pos,
        `says ${origLen} bytes were on the wire (limit ${MAX_ORIG_LEN}): its length field is damaged`,
      );
  }

  private checkLength(pos: number, capLen: number, snaplen: number): void {
    if (capLen <= MAX_RECORD_BYTES && (snaplen === 0 || capLen <= snaplen)) return;
    const bySnaplen = snaplen !== 0 && snaplen < MAX_RECORD_BYTES;
    const limit = bySnaplen ? `${snaplen}, the snaplen` : `${MAX_RECORD_BYTES}`;
    throw this.failRecord(pos, `claims ${capLen} bytes (limit ${limit})`);
  }

  // ---- pcapng ---------------------------------------------------------------------------------

  /** Reads the block type at `pos`; undefined at a clean end. The total length is read by the caller (an SHB may switch byte order). */
  private blockType(pos: number): number | undefined {
    const src = this.src;
    const got = src.fetch(pos, 8);
    if (got === 0) return undefined;
    if (got < 8)
      throw this.failBlock(pos, undefined, `is cut short: truncated block header (8 bytes expected, ${got} present)`);
    return src.dv.getUint32(src.at, this.le);
  }

  private checkBlockLength(pos: number, type: number, total: number, min: number): void {
    if (total < min) throw this.failBlock(pos, type, `has total length ${total} (at least ${min} expected)`);
    if (total % 4 !== 0) throw this.failBlock(pos, type, `has total length ${total}, not a multiple of 4`);
    const left = this.src.size - pos;
    if (total > left)
      throw this.failBlock(pos, type, `claims ${total} bytes, past the end of the file (${left} bytes left)`);
  }

  /** Fetches a whole block we interpret and checks its trailing length copy. */
  private fetchBlock(pos: number, type: number, total: number): void {
    if (total > MAX_BLOCK_BYTES) throw this.failBlock(pos, type, `claims ${total} bytes (limit ${MAX_BLOCK_BYTES})`);
    const have = this.src.fetch(pos, total);
    if (have < total) throw this.failBlock(pos, type, `is cut short (${total} bytes expected, ${have} present)`);
    this.checkTrailer(pos, type, total, this.src.at + total - 4);
  }

  private checkTrailer(pos: number, type: number, total: number, trailerAt: number): void {
    const trailer = this.src.dv.getUint32(trailerAt, this.le);
    if (trailer !== total) {
      throw this.failBlock(
        pos,
        type,
        `ends with total length ${trailer} at byte ${pos + total - 4} (expected ${total}, as at its start)`,
      );
    }
  }

  /** Reads an SHB at `pos` and starts a new section. Returns the section's byte order (true = little). */
  private readSectionHeader(pos: number): boolean {
    const src = this.src;
    const got = src.fetch(pos, 12);
    if (got < 12) throw this.failBlock(pos, PCAPNG_BLOCK.SHB, `is cut short (12 bytes expected, ${got} present)`);
    const bom = src.dv.getUint32(src.at + SHB.BOM, true);
    let le: boolean;
    if (bom === PCAPNG_BYTE_ORDER_MAGIC) le = true;
    else if (src.dv.getUint32(src.at + SHB.BOM, false) === PCAPNG_BYTE_ORDER_MAGIC) le = false;
    else
      throw this.failBlock(
        pos,
        PCAPNG_BLOCK.SHB,
        `has byte-order magic ${hex32(bom)} at byte ${pos + SHB.BOM} (expected ${hex32(PCAPNG_BYTE_ORDER_MAGIC)})`,
      );
    this.le = le;
    const total = src.dv.getUint32(src.at + SHB.TOTAL_LEN, le);
    this.checkBlockLength(pos, PCAPNG_BLOCK.SHB, total, SHB.MIN_SIZE);
    this.fetchBlock(pos, PCAPNG_BLOCK.SHB, total);
    const major = src.dv.getUint16(src.at + SHB.MAJOR, le);
    if (major !== 1) throw this.failBlock(pos, PCAPNG_BLOCK.SHB, `has version ${major}.x (expected 1.x)`);
    // options (shb_hardware, shb_os, shb_userappl, comments) carry nothing we need: skipped
    this.sectionBase = this.interfaces.length;
    this.sections++;
    this.pos = pos + total;
    return le;
  }

  private readInterface(pos: number, total: number): void {
    const src = this.src;
    if (total < IDB.MIN_SIZE)
      throw this.failBlock(pos, PCAPNG_BLOCK.IDB, `has total length ${total} (at least ${IDB.MIN_SIZE} expected)`);
    this.fetchBlock(pos, PCAPNG_BLOCK.IDB, total);
    const dv = src.dv;
    const at = src.at;
    const linktype = dv.getUint16(at + IDB.LINKTYPE, this.le);
    const snaplen = dv.getUint32(at + IDB.SNAPLEN, this.le);
    const id = this.interfaces.length;
    if (linktype !== LINKTYPE_ETHERNET) {
      throw this.failBlock(
        pos,
        PCAPNG_BLOCK.IDB,
        `defines interface ${id - this.sectionBase} with unsupported linktype ${linktype} (only Ethernet = ${LINKTYPE_ETHERNET} is supported)`,
      );
    }
    const iface: CaptureInterface = {
      id,
      section: this.sections - 1,
      localId: id - this.sectionBase,
      linktype,
      snaplen,
      resolution: MICRO,
      tsOffsetSec: 0,
    };
    this.forEachOption(pos, PCAPNG_BLOCK.IDB, at + IDB.OPTIONS, at + total - 4, (code, o, len) => {
      if (code === PCAPNG_OPT.IF_NAME) iface.name = utf8.decode(src.buf.subarray(o, o + len));
      else if (code === PCAPNG_OPT.IF_TSRESOL && len >= 1) {
        const v = src.buf[o]!;
        iface.resolution = (v & 0x80) !== 0 ? { base: 2, exp: v & 0x7f } : { base: 10, exp: v };
      } else if (code === PCAPNG_OPT.IF_TSOFFSET && len >= 8) {
        iface.tsOffsetSec = Number(dv.getBigInt64(o, this.le));
      }
    });
    if (this.interfaces.length === 0) this.snaplen = snaplen;
    this.interfaces.push(iface);
  }

  /**
   * Walks the options in [start, end) calling `fn(code, offset, length)` for each; stops at
   * opt_endofopt. An option running past the block is an error.
   */
  private forEachOption(
    pos: number,
    type: number,
    start: number,
    end: number,
    fn: (code: number, at: number, len: number) => void,
  ): void {
    const dv = this.src.dv;
    let o = start;
    while (o + 4 <= end) {
      const code = dv.getUint16(o, this.le);
      const len = dv.getUint16(o + 2, this.le);
      if (code === PCAPNG_OPT.ENDOFOPT) return;
      if (o + 4 + len > end) {
        const fileOff = pos + (o - this.src.at);
        throw this.failBlock(
          pos,
          type,
          `has option ${code} at byte ${fileOff} of ${len} bytes running past the block's end`,
        );
      }
      fn(code, o + 4, len);
      o += 4 + pad4(len);
    }
  }

  private nextPcapng(): CaptureRecord | undefined {
    for (;;) {
      const pos = this.pos;
      const type = this.blockType(pos);
      if (type === undefined) return undefined;
      if (type === PCAPNG_BLOCK.SHB) {
        this.readSectionHeader(pos);
        continue;
      }
      const total = this.src.dv.getUint32(this.src.at + 4, this.le);
      this.checkBlockLength(pos, type, total, 12);
      switch (type) {
        case PCAPNG_BLOCK.IDB:
          this.readInterface(pos, total);
          break;
        case PCAPNG_BLOCK.EPB:
        case PCAPNG_BLOCK.OPB:
          return this.readPacketBlock(pos, type, total);
        case PCAPNG_BLOCK.SPB:
          return this.readSimplePacket(pos, total);
        default: {
          // NRB, ISB, DSB, custom and unknown blocks: check the framing, skip the body unread
          const got = this.src.fetch(pos + total - 4, 4);
          if (got < 4) throw this.failBlock(pos, type, `is cut short (${total} bytes expected)`);
          this.checkTrailer(pos, type, total, this.src.at);
        }
      }
      this.pos = pos + total;
    }
  }

  private iface(pos: number, local: number): CaptureInterface {
    const count = this.interfaces.length - this.sectionBase;
    if (local >= count) {
      throw this.failRecord(
        pos,
        `references interface ${local}, but ${count === 0 ? 'no interface is' : count === 1 ? 'only interface 0 is' : `only interfaces 0..${count - 1} are`} defined in its section`,
      );
    }
    return this.interfaces[this.sectionBase + local]!;
  }

  /** EPB (and the obsolete OPB, whose interface id is 16 bits). */
  private readPacketBlock(pos: number, type: number, total: number): CaptureRecord {
    const src = this.src;
    if (total < EPB.MIN_SIZE)
      throw this.failRecord(
        pos,
        `is an ${blockName(type)} block of ${total} bytes (at least ${EPB.MIN_SIZE} expected)`,
      );
    if (total > MAX_BLOCK_BYTES)
      throw this.failRecord(pos, `claims ${total} bytes (limit ${MAX_BLOCK_BYTES} for a block)`);
    this.fetchBlock(pos, type, total);
    const dv = src.dv;
    const at = src.at;
    const local =
      type === PCAPNG_BLOCK.EPB ? dv.getUint32(at + EPB.IFACE, this.le) : dv.getUint16(at + OPB.IFACE, this.le);
    const iface = this.iface(pos, local);
    const capLen = dv.getUint32(at + EPB.CAP_LEN, this.le);
    const origLen = dv.getUint32(at + EPB.ORIG_LEN, this.le);
    this.checkLength(pos, capLen, iface.snaplen);
    this.checkOrigLen(pos, origLen);
    const optStart = EPB.DATA + pad4(capLen);
    if (optStart > total - 4) {
      throw this.failRecord(pos, `claims ${capLen} captured bytes, more than its block of ${total} bytes holds`);
    }
    this.timestamp(iface, dv.getUint32(at + EPB.TS_HIGH, this.le), dv.getUint32(at + EPB.TS_LOW, this.le));
    const data = src.buf.subarray(at + EPB.DATA, at + EPB.DATA + capLen);
    let comment: string | undefined;
    if (optStart < total - 4) {
      this.forEachOption(pos, type, at + optStart, at + total - 4, (code, o, len) => {
        if (code === PCAPNG_OPT.COMMENT && comment === undefined) comment = utf8.decode(src.buf.subarray(o, o + len));
      });
    }
    const rec: CaptureRecord = {
      index: this.records,
      offset: pos,
      tsSec: this.tsSec,
      tsNsec: this.tsNsec,
      data,
      origLen,
      interfaceId: iface.id,
      linktype: iface.linktype,
    };
    if (comment !== undefined) rec.comment = comment;
    this.records++;
    this.pos = pos + total;
    return rec;
  }

  /** SPB: no timestamp, interface 0, captured length = min(original length, snaplen, block room). */
  private readSimplePacket(pos: number, total: number): CaptureRecord {
    const src = this.src;
    if (total < SPB.MIN_SIZE)
      throw this.failRecord(pos, `is an SPB block of ${total} bytes (at least ${SPB.MIN_SIZE} expected)`);
    if (total > MAX_BLOCK_BYTES)
      throw this.failRecord(pos, `claims ${total} bytes (limit ${MAX_BLOCK_BYTES} for a block)`);
    this.fetchBlock(pos, PCAPNG_BLOCK.SPB, total);
    const iface = this.iface(pos, 0);
    const origLen = src.dv.getUint32(src.at + SPB.ORIG_LEN, this.le);
    let capLen = Math.min(origLen, total - SPB.MIN_SIZE);
    if (iface.snaplen !== 0) capLen = Math.min(capLen, iface.snaplen);
    this.checkLength(pos, capLen, iface.snaplen);
    this.checkOrigLen(pos, origLen);
    const start = src.at + SPB.DATA;
    const rec: CaptureRecord = {
      index: this.records,
      offset: pos,
      tsSec: 0,
      tsNsec: 0,
      data: src.buf.subarray(start, start + capLen),
      origLen,
      interfaceId: iface.id,
      linktype: iface.linktype,
    };
    this.records++;
    this.pos = pos + total;
    return rec;
  }

  /** Converts a 64-bit count of the interface's time units into tsSec/tsNsec. */
  private timestamp(iface: CaptureInterface, hi: number, lo: number): void {
    const r = iface.resolution;
    if (r.base === 10 && r.exp <= 11) {
      // exact long division by 10^exp over 16-bit limbs: remainders stay below 2^37
      const d = 10 ** r.exp;
      let cur = hi >>> 16;
      const q3 = Math.floor(cur / d);
      cur = (cur - q3 * d) * 65536 + (hi & 0xffff);
      const q2 = Math.floor(cur / d);
      cur = (cur - q2 * d) * 65536 + (lo >>> 16);
      const q1 = Math.floor(cur / d);
      cur = (cur - q1 * d) * 65536 + (lo & 0xffff);
      const q0 = Math.floor(cur / d);
      const rem = cur - q0 * d;
      const sec = ((q3 * 65536 + q2) * 65536 + q1) * 65536 + q0;
      this.tsSec = sec + iface.tsOffsetSec;
      this.tsNsec = r.exp <= 9 ? rem * 10 ** (9 - r.exp) : Math.floor(rem / 10 ** (r.exp - 9));
      return;
    }
    const units = (BigInt(hi) << 32n) | BigInt(lo);
    const perSec = r.base === 10 ? 10n ** BigInt(r.exp) : 1n << BigInt(r.exp);
    this.tsSec = Number(units / perSec) + iface.tsOffsetSec;
    this.tsNsec = Number(((units % perSec) * 1_000_000_000n) / perSec);
  }
}

function blockName(type: number): string {
  switch (type) {
    case PCAPNG_BLOCK.SHB:
      return 'SHB';
    case PCAPNG_BLOCK.IDB:
      return 'IDB';
    case PCAPNG_BLOCK.OPB:
      return 'OPB';
    case PCAPNG_BLOCK.SPB:
      return 'SPB';
    case PCAPNG_BLOCK.NRB:
      return 'NRB';
    case PCAPNG_BLOCK.ISB:
      return 'ISB';
    case PCAPNG_BLOCK.EPB:
      return 'EPB';
    case PCAPNG_BLOCK.DSB:
      return 'DSB';
    default:
      return `type ${hex32(type)}`;
  }
}

/** Records of an in-memory capture (pcap or pcapng by magic). Record views point into `bytes`. */
export function parseCapture(bytes: Uint8Array, name?: string): Iterable<CaptureRecord> {
  return { [Symbol.iterator]: () => new CaptureReader(new MemorySource(bytes, name)) };
}
