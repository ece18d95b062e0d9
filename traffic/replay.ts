// Capture replay as a frame source: a pcap/pcapng's frames at their recorded times (relative to the
// first record) or as fast as the target takes them, optionally only those to one address. Frames cut
// by the capture's snaplen are rebuilt to their original length with made-up payload that keeps the
// captured checksums valid (wire/cut-frame.ts); those it cannot keep valid are flagged
// FRAME_FLAG.CSUM_UNVERIFIABLE (the Link reports those by arrival index). Each TCP flow's expected
// byte stream is assembled by sequence number from the frames sent, independently of the receive path.

import type { CaptureRecord } from '../tap/index.ts';
import type { VirtualClock } from '../sim/clock.ts';
import { StreamHash } from '../wire/stream-hash.ts';
import { flowHash, flowKeyAt, flowMatches, flowName, type FlowExpectation, type FlowKey } from '../wire/flow.ts';
import { TCP, TCP_FLAG, rebuildCutFrame, FrameLayout as WireLayout } from '../wire/index.ts';
import { FRAME_FLAG, type FrameTx } from './link.ts';
import { FrameLayout, layoutFrame, r32 } from '../wire/index.ts';
import { parseReplayConfig, type ReplayConfig } from './config.ts';
import { KnownRun } from '../wire/known-bytes.ts';
import { DestinationFilter } from './destination-filter.ts';

const LINKTYPE_ETHERNET = 1;
const LOW_WATER = 2;

/** How an assembled stream ended. `holeAt` is set when a gap stopped it: the expectation ends there. */
export interface StreamNote {
  name: string;
  key: FlowKey;
  isn: number;
  bytes: number;
  /** Sequence number of the first missing byte, when segments beyond a gap were seen. */
  holeAt?: number;
  /** Bytes seen beyond the hole (not part of the expectation). */
  bytesBeyondHole: number;
  /** Payload bytes seen again (retransmissions, duplicates, overlaps). */
  duplicateBytes: number;
  /** Payload bytes before the first segment's sequence number (ignored). */
  bytesBeforeIsn: number;
  segments: number;
}

/**
 * Reassembles one direction of a TCP flow by sequence number. The first segment sets the ISN (the
 * sequence number of the first payload byte: SYN + 1 when a SYN comes first); duplicates and overlaps
 * are counted once; out-of-order data waits until the gap fills; a gap never filled ends the stream.
 */
export class StreamAssembler {
  isn = -1;
  private next = 0;
  private readonly pending = new Map<number, Uint8Array>();
  private readonly hash = new StreamHash();
  duplicateBytes = 0;
  bytesBeforeIsn = 0;
  segments = 0;

  constructor(readonly key: FlowKey) {}

  /** Adds a segment: `len` payload bytes of `buf` at `off`, carried by a segment with sequence number `seq`. */
  add(seq: number, syn: boolean, buf: Uint8Array, off: number, len: number): void {
    const dataSeq = syn ? (seq + 1) >>> 0 : seq;
    if (this.isn < 0) {
      if (len === 0 && !syn) return;
      this.isn = dataSeq;
    }
    if (len === 0) return;
    this.segments++;
    let rel = (dataSeq - this.isn) | 0;
    if (rel < 0) {
      const skip = Math.min(-rel, len);
      this.bytesBeforeIsn += skip;
      off += skip;
      len -= skip;
      rel = 0;
      if (len === 0) return;
    }
    const end = rel + len;
    if (end <= this.next) {
      this.duplicateBytes += len;
      return;
    }
    if (rel > this.next) {
      const have = this.pending.get(rel);
      if (have === undefined || have.length < len) {
        if (have !== undefined) this.duplicateBytes += have.length;
        this.pending.set(rel, buf.slice(off, off + len));
      } else this.duplicateBytes += len;
      return;
    }
    this.append(rel, buf, off, len);
    this.drain();
  }

  private append(rel: number, buf: Uint8Array, off: number, len: number): void {
    const skip = this.next - rel;
    this.duplicateBytes += skip;
    this.hash.update(buf, off + skip, len - skip);
    this.next = rel + len;
  }

  private drain(): void {
    for (let progress = true; progress && this.pending.size > 0; ) {
      progress = false;
      for (const [rel, data] of this.pending) {
        if (rel > this.next) continue;
        this.pending.delete(rel);
        if (rel + data.length <= this.next) this.duplicateBytes += data.length;
        else this.append(rel, data, 0, data.length);
        progress = true;
      }
    }
  }

  expectation(): FlowExpectation {
    return { key: { ...this.key }, isn: Math.max(this.isn, 0), bytes: this.next, digest: this.hash.digest() };
  }

  note(): StreamNote {
    let beyond = 0;
    for (const d of this.pending.values()) beyond += d.length;
    const n: StreamNote = {
      name: flowName(this.key),
      key: { ...this.key },
      isn: Math.max(this.isn, 0),
      bytes: this.next,
      bytesBeyondHole: beyond,
      duplicateBytes: this.duplicateBytes,
      bytesBeforeIsn: this.bytesBeforeIsn,
      segments: this.segments,
    };
    if (this.pending.size > 0) n.holeAt = (this.isn + this.next) >>> 0;
    return n;
  }
}

/** The TCP streams carried by a set of frames, keyed in the receive direction (saddr = the sender). */
export class CaptureStreams {
  /** flowHash of the 4-tuple → the assemblers in that bucket: a lookup that builds no key per frame. */
  private readonly byHash = new Map<number, StreamAssembler[]>();
  private readonly inOrder: StreamAssembler[] = [];
  private readonly layout = new FrameLayout();

  /** Adds one frame; frames other than TCP over IPv4 or IPv6 and IP fragments (they carry no whole segment) are ignored. */
  addFrame(frame: Uint8Array, length: number): void {
    const L = layoutFrame(frame, 0, length, this.layout);
    if (!L.isTcp) return;
    const l4 = L.l4;
    const h = flowHash(frame, L.srcOff, L.addrLen, L.sport, L.dport);
    let bucket = this.byHash.get(h);
    if (bucket === undefined) {
      bucket = [];
      this.byHash.set(h, bucket);
    }
    let a: StreamAssembler | undefined;
    for (const x of bucket)
      if (flowMatches(x.key, frame, L.srcOff, L.addrLen, L.sport, L.dport)) {
        a = x;
        break;
      }
    if (a === undefined) {
      a = new StreamAssembler(flowKeyAt(frame, L.srcOff, L.addrLen, L.sport, L.dport));
      bucket.push(a);
      this.inOrder.push(a);
    }
    const flags = frame[l4 + TCP.FLAGS]!;
    a.add(r32(frame, l4 + TCP.SEQ), (flags & TCP_FLAG.SYN) !== 0, frame, L.payload, L.payloadLen);
  }

  /** Flows that carried payload (pure-ACK directions are left out), in order of first appearance. */
  expectedFlows(): FlowExpectation[] {
    return this.inOrder.filter((a) => a.segments > 0).map((a) => a.expectation());
  }

  notes(): StreamNote[] {
    return this.inOrder.filter((a) => a.segments > 0).map((a) => a.note());
  }
}

export interface ReplayStats {
  /** Capture records read. */
  records: number;
  /** Frames handed to the transmit path. */
  sent: number;
  /** Records dropped by `onlyTo`. */
  filteredOut: number;
  /** Records shorter than their original length (snaplen), rebuilt to it with made-up payload (wire/cut-frame.ts). */
  extended: number;
  /** Of those, frames whose L4 checksum the made-up payload cannot make verify (cut inside a header, fragments, not TCP/UDP): flagged CSUM_UNVERIFIABLE. */
  unverifiable: number;
  /** Records whose link type is not Ethernet (skipped). */
  notEthernet: number;
}

/** Claims about records' bytes (tap/digest-ahead.ts RecordDigests): sets `into` to one for record `r`, or clears it. */
export interface RecordClaims {
  claim(r: CaptureRecord, into: KnownRun): void;
}

/**
 * Replays capture records into a FrameTx. Frames cut by the snaplen go out extended (zeros) with
 * FRAME_FLAG.CSUM_UNVERIFIABLE; `extendedRecords` holds their record indexes and `onExtended` hears
 * of each (record index, index among the frames this source sent).
 */
export class ReplaySource {
  readonly stats: ReplayStats = { records: 0, sent: 0, filteredOut: 0, extended: 0, unverifiable: 0, notEthernet: 0 };
  readonly config: ReplayConfig;
  /** Capture record indexes of the frames that were extended to their original length. */
  readonly extendedRecords = new Set<number>();
  onExtended: ((recordIndex: number, sentIndex: number) => void) | undefined;
  /** Called once after the last record has been sent. */
  onDone: (() => void) | undefined;
  /** Where the bytes of the frame being transmitted are known (a record sent as read, `claims` given), else null. */
  deliveringKnown: KnownRun | null = null;

  private readonly known = new KnownRun();
  private readonly iter: Iterator<CaptureRecord>;
  private current: CaptureRecord | undefined;
  private readonly filter: DestinationFilter | undefined;
  private readonly streams = new CaptureStreams();
  private scratch = new Uint8Array(65536 + 64);
  private readonly cutLayout = new WireLayout();
  private baseNs = 0;
  private t0Sec = 0;
  private t0Nsec = 0;
  private started = false;
  private finished = false;
  private pumping = false;
  private readonly onTimer = (): void => this.timedStep();

  constructor(
    private readonly clock: VirtualClock,
    private readonly tx: FrameTx,
    records: Iterable<CaptureRecord>,
    config: unknown = {},
    /** With `burstGapNs`: what one burst may take of the receiving ring (a frame costs ⌈length / bufferBytes⌉ entries); the rest of a longer burst comes at its own times. */
    private readonly burstRoom: { entries: number; bufferBytes: number } = { entries: Infinity, bufferBytes: 0 },
    /** The FCS and sums of the records, computed elsewhere (tap/digest-ahead.ts): passed on with a record sent as read. */
    private readonly claims: RecordClaims | undefined = undefined,
  ) {
    this.config = parseReplayConfig(config);
    this.filter = this.config.onlyTo !== undefined ? new DestinationFilter(this.config.onlyTo) : undefined;
    this.iter = records[Symbol.iterator]();
    if (this.config.timing === 'asap') tx.addReadyListener(() => this.pump());
  }

  get done(): boolean {
    return this.finished;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.baseNs = this.clock.now;
    this.advance();
    if (this.current !== undefined) {
      this.t0Sec = this.current.tsSec;
      this.t0Nsec = this.current.tsNsec;
    }
    if (this.config.timing === 'asap') this.pump();
    else this.scheduleCurrent();
  }

  /** Expected byte streams of the TCP flows sent so far (all of them once `done`). */
  expectedFlows(): FlowExpectation[] {
    return this.streams.expectedFlows();
  }
  /** How each stream's assembly went (holes, duplicates). */
  streamNotes(): StreamNote[] {
    return this.streams.notes();
  }

  private advance(): void {
    const r = this.iter.next();
    this.current = r.done === true ? undefined : r.value;
    if (this.current === undefined && !this.finished) {
      this.finished = true;
      if (this.onDone !== undefined) this.onDone();
    }
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.current !== undefined && this.tx.backlog() < LOW_WATER) {
        this.sendRecord(this.current);
        this.advance();
      }
    } finally {
      this.pumping = false;
    }
  }

  /** A record's time relative to the capture's first. */
  private relNs(r: CaptureRecord): number {
    return (r.tsSec - this.t0Sec) * 1e9 + (r.tsNsec - this.t0Nsec);
  }

  private scheduleCurrent(): void {
    const r = this.current;
    if (r === undefined) return;
    this.clock.at(this.baseNs + Math.max(0, this.relNs(r)), this.onTimer);
  }

  /**
   * Sends the record due now; with `burstGapNs`, also every following one that comes less than the gap
   * after the previous frame sent (records `onlyTo` filters out neither start nor end a burst).
   */
  private timedStep(): void {
    const gap = this.config.burstGapNs;
    const first = this.current;
    if (first === undefined) return;
    const dueRel = this.relNs(first);
    const room = this.burstRoom;
    let lastSentRel = Number.NaN,
      used = 0;
    // (records are compared by position: a reader may hand every record in the same object)
    for (let r: CaptureRecord | undefined = first, isFirst = true; r !== undefined; r = this.current, isFirst = false) {
      const t = this.relNs(r);
      if (!isFirst) {
        if (gap === undefined || (Number.isNaN(lastSentRel) ? t > dueRel : t - lastSentRel >= gap)) break;
        if (used + (room.bufferBytes > 0 ? Math.ceil(r.origLen / room.bufferBytes) : 1) > room.entries) break;
      }
      if (this.sendRecord(r)) {
        lastSentRel = t;
        used += room.bufferBytes > 0 ? Math.ceil(r.origLen / room.bufferBytes) : 1;
      }
      this.advance();
    }
    this.scheduleCurrent();
  }

  /** Hands one record to the transmit path; false when it was skipped (not Ethernet, or filtered out). */
  private sendRecord(r: CaptureRecord): boolean {
    this.stats.records++;
    if (r.linktype !== LINKTYPE_ETHERNET) {
      this.stats.notEthernet++;
      return false;
    }
    let buf = r.data;
    let len = r.data.length;
    if (this.filter !== undefined && !this.filter.accepts(buf, len)) {
      this.stats.filteredOut++;
      return false;
    }
    let flags = 0;
    if (r.origLen > len) {
      if (this.scratch.length < r.origLen) this.scratch = new Uint8Array(r.origLen);
      this.scratch.set(r.data);
      if (rebuildCutFrame(this.scratch, len, r.origLen, this.cutLayout) === 'unverifiable') {
        flags = FRAME_FLAG.CSUM_UNVERIFIABLE;
        this.stats.unverifiable++;
      }
      buf = this.scratch;
      len = r.origLen;
      this.stats.extended++;
      this.extendedRecords.add(r.index);
      if (this.onExtended !== undefined) this.onExtended(r.index, this.stats.sent);
    }
    this.streams.addFrame(buf, len);
    this.stats.sent++;
    if (this.claims !== undefined && buf === r.data) {
      this.claims.claim(r, this.known);
      this.deliveringKnown = this.known.source !== null ? this.known : null;
    }
    this.tx.transmit(buf, len, flags);
    this.deliveringKnown = null;
    return true;
  }
}

/** The expected streams of a capture without replaying it (a pre-pass over the records). */
export function captureExpectations(
  records: Iterable<CaptureRecord>,
  onlyTo?: string,
): { flows: FlowExpectation[]; notes: StreamNote[] } {
  const filter = onlyTo !== undefined ? new DestinationFilter(onlyTo) : undefined;
  const streams = new CaptureStreams();
  let scratch = new Uint8Array(65536 + 64);
  const cutLayout = new WireLayout();
  for (const r of records) {
    if (r.linktype !== LINKTYPE_ETHERNET) continue;
    if (filter !== undefined && !filter.accepts(r.data, r.data.length)) continue;
    let buf = r.data,
      len = r.data.length;
    if (r.origLen > len) {
      if (scratch.length < r.origLen) scratch = new Uint8Array(r.origLen);
      scratch.set(r.data);
      rebuildCutFrame(scratch, len, r.origLen, cutLayout);
      buf = scratch;
      len = r.origLen;
    }
    streams.addFrame(buf, len);
  }
  return { flows: streams.expectedFlows(), notes: streams.notes() };
}
