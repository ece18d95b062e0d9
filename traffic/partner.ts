// The link partner: TCP senders (bulk, small messages, request/response) and non-TCP background
// traffic, sending on the virtual clock through a FrameTx (the Link, or impairments in front of it),
// window-limited and loss-aware from the host's ACKs (`receiveFromHost`). Payload bytes come from a
// seeded pattern each flow reads from its own salt (`payload.ts`), fingerprinted on demand (`expectedFlows`).

import { Prng } from '../sim/prng.ts';
import { attachReference, lazyProperty, type StreamReference } from '../wire/stream-check.ts';
import { LatencyRecorder } from '../observe/recorders.ts';
import { bytePassesFor, wasmBytes, type BytePasses } from '../wire/byte-passes.ts';
import { KnownRun } from '../wire/known-bytes.ts';
import type { VirtualClock } from '../sim/clock.ts';
import { NO_TRACE, type Tracer } from '../observe/trace.ts';
import {
  type FlowExpectation,
  type FlowKey,
  flowKey,
  flowMatches,
  flowMatchesReversed,
  flowName,
} from '../wire/flow.ts';
import { QuotedTooBig, readTooBig } from '../wire/icmp-error.ts';
import {
  frame,
  IPV4,
  IPV6,
  TCP,
  UDP,
  TCP_FLAG,
  IPPROTO,
  ARPOP,
  sumBytes,
  finish,
  pseudoHeaderSumAddrs,
} from '../wire/index.ts';
import { PayloadPattern, PATTERN_PERIOD } from './payload.ts';
import type { FrameTx, FrameSink } from './link.ts';
import { Link } from './link.ts';
import { Impairments } from './impair.ts';
import { CongestionControl, type CongestionStats } from './congestion.ts';
import { AckDelayLine } from './ack-delay.ts';
import { TsoNic, TSO_MAX_BYTES } from './tso.ts';
import { FrameLayout, layoutFrame, r16, r32, w16, w32 } from '../wire/index.ts';
import {
  parseTrafficConfig,
  type TrafficConfig,
  type BulkFlowConfig,
  type MessageFlowConfig,
  type RequestResponseFlowConfig,
  type BackgroundConfig,
  DEFAULT_FLOW_ADDRESSES,
} from './config.ts';

/** Frames the partner keeps waiting in the transmit queue: enough to keep the wire busy, few enough to react to ACKs at once. */
const LOW_WATER = 2;
const MAX_BACKOFF = 6;
/** Bytes of the frame buffer background frames are built in; the payload pattern follows it in the same ArrayBuffer. */
const SCRATCH_BYTES = 16384;
/** Room for a flow's headers in its own frame buffer (Ethernet, VLAN, IPv4, TCP with timestamps: at most 70). */
const FLOW_HEADER_ROOM = 128;
/** Mixed into the config seed for the payload pattern's PRNG (so it is not the flows' fork sequence). */
const PATTERN_SEED_MIX = 0x70617474;
/** Step between salts when a flow's drawn salt is taken (coprime with the prime period: every salt is reachable). */
const SALT_STRIDE = 4099;
const IP_ID_INCREMENT = 0,
  IP_ID_ZERO = 1,
  IP_ID_RANDOM = 2;

export interface TcpFlowStats {
  /** Data segments sent, retransmissions included. */
  segmentsSent: number;
  /** Payload bytes sent, retransmissions included. */
  bytesSent: number;
  /** Segments sent again (fast retransmit, partial-ACK retransmit or go-back-N after a timeout). */
  retransmits: number;
  fastRetransmits: number;
  timeouts: number;
  /** ACK segments received from the host for this flow. */
  acksReceived: number;
  dupAcks: number;
  /** ACKs that acknowledged nothing new and were not duplicates (old, or beyond what was sent). */
  staleAcks: number;
  /** Times the flow had data but the window was full. */
  windowLimited: number;
  /** Request/response flows: requests whose last byte was acknowledged. */
  transactions: number;
  /** ICMP "fragmentation needed" / "packet too big" that lowered the MSS (path MTU discovery). */
  pmtuReductions: number;
}

export interface PartnerStats {
  /** Frames handed to the transmit path. */
  framesSent: number;
  tcpSegments: number;
  udpFrames: number;
  arpFrames: number;
  icmpFrames: number;
  /** Frames received from the host. */
  hostFrames: number;
  /** Host frames that are not IPv4/TCP with ACK (ignored). */
  hostNotTcpAck: number;
  /** Host TCP frames that belong to no flow of this partner. */
  hostUnknownFlow: number;
  /** ICMP "fragmentation needed" / ICMPv6 "packet too big" about one of this partner's flows (path MTU discovery). */
  hostTooBig: number;
}

type Kind = 'bulk' | 'messages' | 'rr';
type AnyTcpConfig = BulkFlowConfig | MessageFlowConfig | RequestResponseFlowConfig;

/** Payload room of a flow's frame buffer: one segment, or with TSO a bulk flow's 64 KB super-segment. */
function flowSegmentRoom(c: TrafficConfig, fc: AnyTcpConfig): number {
  return c.tso && fc.kind === 'bulk' ? TSO_MAX_BYTES : fc.mss;
}

/** `x % m` for integers x ≥ 0, m ≥ 1: an int32 remainder while x fits (stream offsets pass 2^31 only on long runs). */
function modulo(x: number, m: number): number {
  return x <= 0x7fffffff ? (x | 0) % m : x % m;
}

/** One TCP sender: a retransmit ring of payload, snd_una/snd_nxt/snd_max, a lazy RTO timer. */
class TcpFlow {
  readonly stats: TcpFlowStats = {
    segmentsSent: 0,
    bytesSent: 0,
    retransmits: 0,
    fastRetransmits: 0,
    timeouts: 0,
    acksReceived: 0,
    dupAcks: 0,
    staleAcks: 0,
    windowLimited: 0,
    transactions: 0,
    pmtuReductions: 0,
  };
  /** When the current request was written (request/response flows). */
  private requestAt = 0;
  readonly key: FlowKey;
  /** The flow goes over IPv6 (no IP ID, no IP header checksum). */
  readonly v6: boolean;
  readonly isn: number;
  readonly kind: Kind;
  /** Stream length; Infinity until a duration-limited flow stops writing. */
  total: number;
  /** Bytes the application has written so far (messages and requests arrive over time). */
  writeLimit: number;
  sndUna = 0;
  sndNxt = 0;
  sndMax = 0;
  rwnd: number;
  lastWin = -1;
  dupAcks = 0;
  inRecovery = false;
  recover = 0;
  retransmitPending = false;
  forceOne = false;
  backoff = 0;
  rtoDeadline = -1;
  rtoScheduled = false;
  tsRecent: number;
  writesDone = 0;
  writeTimerPending = false;
  /** Already counted as done by the partner. */
  counted = false;
  /** Index in the partner's flow list. */
  slot = 0;
  /** Congestion control of a closed-loop sender ('2.6.24', 'modern'); null for a fixed-window sender. */
  readonly cc: CongestionControl | null;
  /** RTT timing (Karn): the segment ending at `timedEnd` was sent at `timedAt` (-1: none timed). */
  private timedEnd = -1;
  private timedAt = 0;

  /** Where this flow's stream starts in the partner's payload pattern (distinct per flow). */
  readonly salt: number;
  private readonly ipIdRng: Prng;
  private readonly ipIdMode: number;
  private ipIdNext: number;
  /** The flow's own frame buffer, at `frameAt` of the partner's `frameArea`: headers written once, per-segment fields patched. */
  private readonly frameAt: number;
  private readonly buf: Uint8Array;
  /** Exact-length views of `buf`, made once per segment length: the link copies a whole view with one `set`. */
  private readonly views: (Uint8Array | undefined)[] = [];
  private readonly l3: number;
  private readonly l4: number;
  private readonly hdrLen: number;
  private readonly tsOff: number;
  /** Unfolded sums of the template's IP header and of its TCP header plus the pseudo-header without the length. */
  private readonly ipSum0: number;
  private readonly tcpSum0: number;
  private readonly tsvalStart: number;
  private readonly tsTickNs: number;
  private readonly tsecrFixed: number;
  /** Segment unit: a bulk flow's MSS, a message's or request's size. Path MTU discovery may lower a bulk flow's. */
  private unit: number;
  private mss: number;
  /** A bulk flow's segments start at multiples of `unit` counted from here (moved when path MTU discovery lowers it). */
  private segBase = 0;
  /** With TSO (bulk flows): the most payload one super-segment carries, whole segments (0: no TSO). */
  private superMax: number;
  /** PSH on every Nth segment / at the end of each burst of N (0: not that pattern). */
  private readonly pshEvery: number;
  private readonly pshBurst: number;

  constructor(
    readonly cfg: AnyTcpConfig,
    index: number,
    rng: Prng,
    private readonly p: LinkPartner,
  ) {
    this.kind = cfg.kind;
    const sport = cfg.sport + index;
    if (sport > 65535)
      throw new Error(`flow ${cfg.kind}: sport ${cfg.sport} + count ${cfg.count} runs past port 65535`);
    this.v6 = cfg.ipv6 ?? p.config.ipv6;
    const src = cfg.src ?? DEFAULT_FLOW_ADDRESSES[this.v6 ? 6 : 4].src,
      dst = cfg.dst ?? DEFAULT_FLOW_ADDRESSES[this.v6 ? 6 : 4].dst;
    this.key = flowKey(src, dst, sport, cfg.dport);
    this.salt = p.claimSalt(rng.nextU32());
    this.ipIdRng = rng.fork();
    this.ipIdMode = cfg.ipId === 'increment' ? IP_ID_INCREMENT : cfg.ipId === 'zero' ? IP_ID_ZERO : IP_ID_RANDOM;
    const isnDraw = rng.nextU32();
    this.isn = cfg.isn ?? isnDraw;
    this.ipIdNext = cfg.ipIdStart;
    this.mss = cfg.mss;
    this.tsRecent = cfg.tsecrInitial;
    const psh = cfg.kind === 'bulk' ? cfg.psh : 'never';
    this.pshEvery = psh !== 'never' && 'every' in psh ? psh.every : 0;
    this.pshBurst = psh !== 'never' && 'burst' in psh ? psh.burst : 0;
    this.tsvalStart = cfg.tsvalStart;
    this.tsTickNs = cfg.tsTickNs;
    this.tsecrFixed = cfg.tsecr === 'echo' ? -1 : cfg.tsecr;
    const c = p.config;
    if (cfg.kind === 'bulk') {
      this.unit = cfg.mss;
      this.total = cfg.bytes ?? c.bytesPerFlow ?? Infinity;
      this.writeLimit = Infinity;
    } else if (cfg.kind === 'messages') {
      this.unit = cfg.messageBytes;
      this.total = cfg.messages !== undefined ? cfg.messages * cfg.messageBytes : Infinity;
      this.writeLimit = 0;
    } else {
      this.unit = cfg.requestBytes;
      this.total = cfg.requests !== undefined ? cfg.requests * cfg.requestBytes : Infinity;
      this.writeLimit = 0;
    }
    this.rwnd = cfg.sendWindow;
    this.cc =
      c.sender === 'fixed-window' || c.openLoop
        ? null
        : new CongestionControl({
            algorithm: c.congestion.algorithm,
            growth: c.sender === '2.6.24' ? 'per-ack' : 'per-segment',
            initialWindow: c.congestion.initialWindow,
            minRtoNs: c.rtoNs,
            clamp: Math.max(1, Math.floor(cfg.sendWindow / cfg.mss)),
            cubicBeta: c.sender === '2.6.24' ? 819 : 717,
          });

    const b = frame().eth({ src: c.partnerMac, dst: c.nicMac });
    if (cfg.vlan !== undefined) b.vlan({ vid: cfg.vlan.vid, pcp: cfg.vlan.pcp });
    if (this.v6) b.ipv6({ src, dst, trafficClass: cfg.tos, hopLimit: cfg.ttl });
    else b.ipv4({ src, dst, tos: cfg.tos, ttl: cfg.ttl, df: cfg.df || cfg.ipId === 'zero' });
    b.tcp({
      sport,
      dport: cfg.dport,
      seq: 0,
      ack: cfg.ack,
      window: cfg.window,
      flags: 'A',
      ...(cfg.timestamps ? { ts: [0, 0] as [number, number] } : {}),
    });
    const t = b.build();
    this.hdrLen = t.length;
    if (this.hdrLen > FLOW_HEADER_ROOM)
      throw new Error(`flow ${cfg.kind}: ${this.hdrLen} bytes of headers do not fit the ${FLOW_HEADER_ROOM} reserved`);
    this.l3 = cfg.vlan !== undefined ? 18 : 14;
    this.l4 = this.l3 + (this.v6 ? IPV6.HLEN : IPV4.HLEN);
    this.tsOff = cfg.timestamps ? layoutFrame(t, 0, t.length, new FrameLayout()).tsOff : -1;
    // The per-segment sums below add 16-bit words: the TS values and the payload must start at even offsets of the TCP header.
    if ((this.hdrLen - this.l4) % 2 !== 0 || (this.tsOff >= 0 && (this.tsOff + 2 - this.l4) % 2 !== 0)) {
      throw new Error(`flow ${cfg.kind}: TCP header layout puts the timestamps or the payload at an odd offset`);
    }
    if (this.v6) w16(t, this.l3 + IPV6.PAYLOAD_LEN, 0);
    else {
      w16(t, this.l3 + IPV4.TOT_LEN, 0);
      w16(t, this.l3 + IPV4.CSUM, 0);
    }
    w16(t, this.l4 + TCP.CSUM, 0);
    // Headers as sent with seq, IP length, IP ID, TSval/TSecr and both checksums zero: the base of the per-segment sums
    // (the pseudo-header's addresses and protocol included; its length is added per segment, below 64 KiB in both families).
    this.ipSum0 = this.v6 ? 0 : sumBytes(t, this.l3, IPV4.HLEN);
    this.tcpSum0 = sumBytes(
      t,
      this.l4,
      this.hdrLen - this.l4,
      sumBytes(this.key.addrs, 0, this.key.addrs.length, IPPROTO.TCP),
    );
    const room = FLOW_HEADER_ROOM + flowSegmentRoom(c, cfg);
    this.frameAt = p.claimFrame(room);
    this.buf = p.frameArea.subarray(this.frameAt, this.frameAt + room);
    this.superMax =
      c.tso && cfg.kind === 'bulk' ? Math.floor((TSO_MAX_BYTES - (this.hdrLen - this.l3)) / cfg.mss) * cfg.mss : 0;
    this.buf.set(t);
  }

  seqOf(off: number): number {
    return (this.isn + off) >>> 0;
  } // ToUint32 is exact modulo 2^32 for integers

  /** The application writes its first message/request. */
  start(): void {
    if (this.kind !== 'bulk') this.write();
  }

  /** One more message or request becomes available to send. */
  write(): void {
    this.writeTimerPending = false;
    if (this.p.writesStopped) return;
    const next = this.writeLimit + this.unit;
    if (next > this.total) return;
    this.writeLimit = next;
    this.writesDone++;
    this.requestAt = this.p.clock.now;
  }

  /** Duration over: the stream ends with what has been written (bulk: what has been sent). */
  stopWriting(): void {
    if (this.kind === 'bulk') this.total = Math.min(this.total, this.sndMax);
    else this.total = Math.min(this.total, this.writeLimit);
  }

  private scheduleWrite(): void {
    if (this.writeTimerPending || this.p.writesStopped || this.writeLimit >= this.total) return;
    const think = (this.cfg as MessageFlowConfig | RequestResponseFlowConfig).thinkNs;
    if (think === 0) {
      this.write();
      return;
    }
    this.writeTimerPending = true;
    this.p.clock.after(think, this.onWriteTimer);
  }

  private readonly onWriteTimer = (): void => {
    this.write();
    this.p.pump();
  };

  /** Bytes from `off` to the next segment boundary (MSS, message, request; a message or request larger than the MSS in MSS pieces). */
  private segLen(off: number): number {
    if (this.kind !== 'bulk') {
      const rel = modulo(off, this.unit);
      return Math.min(this.mss - (rel % this.mss), this.unit - rel);
    }
    return this.unit - modulo(off - this.segBase, this.unit);
  }

  /**
   * ICMP "fragmentation needed" (or ICMPv6 "packet too big") about this flow, as tcp_v4_err and tcp_mtu_reduced take it:
   * an MTU below the current one lowers the MSS to what fits it (headers and options subtracted), and everything in
   * flight is sent again at the new size (tcp_simple_retransmit: no backoff, no window reduction). An MTU that would not
   * lower the MSS is ignored (RFC 1191: a router never raises it).
   */
  onTooBig(mtu: number): void {
    const mss = mtu - (this.hdrLen - this.l3);
    if (mss >= this.mss || mss < 8) return;
    this.stats.pmtuReductions++;
    if (this.p.tracer.enabled)
      this.p.trace(
        'pmtu',
        'frag_needed',
        `${flowName(this.key)}: ICMP says the path MTU is ${mtu}: MSS ${this.mss} → ${mss}, resending from seq ${this.seqOf(this.sndUna)}`,
      );
    this.mss = mss;
    if (this.kind === 'bulk') {
      this.unit = mss;
      this.segBase = this.sndUna;
      if (this.superMax > 0) this.superMax = Math.floor((TSO_MAX_BYTES - (this.hdrLen - this.l3)) / mss) * mss;
    }
    if (this.sndNxt > this.sndUna) {
      this.sndNxt = this.sndUna;
      this.timedEnd = -1;
      this.forceOne = true;
    }
    this.p.pump();
  }

  private window(): number {
    const w = this.cfg.useReceiverWindow ? Math.min(this.cfg.sendWindow, this.rwnd) : this.cfg.sendWindow;
    return this.cc === null ? w : Math.min(w, this.cc.cwnd * this.mss);
  }

  /** The congestion window, not the receiver's or the send buffer, is what holds the flow back. */
  private cwndLimited(inFlight: number): boolean {
    const cc = this.cc!;
    const other = this.cfg.useReceiverWindow ? Math.min(this.cfg.sendWindow, this.rwnd) : this.cfg.sendWindow;
    if (cc.cwnd * this.mss >= other) return false;
    // Linux's tcp_is_cwnd_limited: in slow start, growth continues while half the window is in use
    return cc.inSlowStart ? 2 * inFlight >= cc.cwnd * this.mss : inFlight + this.mss >= cc.cwnd * this.mss;
  }

  /** Sends one segment if anything may go now; false when the flow has nothing to send. */
  trySend(): boolean {
    const open = this.p.config.openLoop;
    if (this.retransmitPending) {
      this.retransmitPending = false;
      if (this.sndUna < this.sndMax) {
        const len = Math.min(this.segLen(this.sndUna), this.sndMax - this.sndUna);
        this.sendSegment(this.sndUna, len);
        return true;
      }
    }
    const off = this.sndNxt;
    const limit = Math.min(this.writeLimit, this.total);
    if (off >= limit) return false;
    if (this.superMax > 0 && this.trySuperSegment(off, limit, open)) return true;
    const len = Math.min(this.segLen(off), limit - off);
    if (!open && off + len > this.sndUna + this.window()) {
      if (!this.forceOne) {
        this.stats.windowLimited++;
        if (this.rtoDeadline < 0) this.armRto(); // a closed window with nothing in flight: probe on the timer
        return false;
      }
    }
    this.forceOne = false;
    this.sendSegment(off, len);
    if (this.cc !== null && this.timedEnd < 0 && off >= this.sndMax) {
      this.timedEnd = off + len;
      this.timedAt = this.p.clock.now;
    }
    this.sndNxt = off + len;
    if (this.sndNxt > this.sndMax) {
      this.sndMax = this.sndNxt;
      if (this.kind === 'messages' || (this.kind === 'rr' && open)) {
        if (this.sndMax === this.writeLimit) this.scheduleWrite();
      }
    }
    if (!open && this.rtoDeadline < 0) this.armRto();
    return true;
  }

  /** TSO: as many whole segments as the window and 64 KB allow, in one super-segment (false: less than two fit). */
  private trySuperSegment(off: number, limit: number, open: boolean): boolean {
    const room = open ? Infinity : this.sndUna + this.window() - off;
    let len = Math.min(this.superMax, Math.floor(room / this.mss) * this.mss);
    if (limit - off <= len) len = limit - off; // the stream's tail, short segment included
    if (len <= this.mss) return false;
    this.forceOne = false;
    this.sendSuperSegment(off, len);
    if (this.cc !== null && this.timedEnd < 0 && off >= this.sndMax) {
      this.timedEnd = off + len;
      this.timedAt = this.p.clock.now;
    }
    this.sndNxt = off + len;
    if (this.sndNxt > this.sndMax) this.sndMax = this.sndNxt;
    if (!open && this.rtoDeadline < 0) this.armRto();
    return true;
  }

  /** Builds the super-segment of stream bytes [off, off + len) (headers as for one segment; the NIC sets lengths and checksums) and hands it to the TSO NIC. */
  private sendSuperSegment(off: number, len: number): void {
    const p = this.p,
      f = this.buf,
      l3 = this.l3,
      l4 = this.l4,
      h = this.hdrLen;
    const frames = TsoNic.framesFor(len, this.mss);
    if (!this.v6) {
      let id = 0;
      if (this.ipIdMode === IP_ID_INCREMENT) {
        id = this.ipIdNext;
        this.ipIdNext = (this.ipIdNext + frames) & 0xffff;
      } else if (this.ipIdMode === IP_ID_RANDOM) id = this.ipIdRng.nextU32() & 0xffff;
      w16(f, l3 + IPV4.ID, id);
    }
    w32(f, l4 + TCP.SEQ, this.seqOf(off));
    f[l4 + TCP.FLAGS] = this.pshFor(off, len) ? TCP_FLAG.ACK | TCP_FLAG.PSH : TCP_FLAG.ACK;
    if (this.tsOff >= 0) {
      w32(f, this.tsOff + 2, (this.tsvalStart + Math.floor(p.clock.now / this.tsTickNs)) >>> 0);
      w32(f, this.tsOff + 6, this.tsecrFixed >= 0 ? this.tsecrFixed : this.tsRecent);
    }
    const a = PayloadPattern.start(off, this.salt);
    p.copyPattern(this.frameAt + h, a, len);
    this.stats.segmentsSent += frames;
    this.stats.bytesSent += len;
    if (off < this.sndMax) {
      this.stats.retransmits += frames;
      this.timedEnd = -1;
    }
    p.tso.transmit(f, l3, l4, len, this.mss);
  }

  private pshFor(off: number, len: number): boolean {
    const end = off + len;
    if (this.kind === 'messages') return true;
    if (this.kind === 'rr') return modulo(end, this.unit) === 0 || end === this.total;
    const every = this.pshEvery,
      burst = this.pshBurst;
    if (every === 0 && burst === 0) return false;
    const rel = end - this.segBase;
    if (modulo(rel, this.unit) !== 0) return end === this.total && burst !== 0;
    const idx = rel / this.unit; // 1-based index of the segment ending here (since the last MSS change)
    if (every !== 0) return modulo(idx, every) === 0;
    return modulo(idx, burst) === 0 || end === this.total;
  }

  /** Builds the segment carrying stream bytes [off, off + len) in the partner's frame buffer and sends it. */
  private sendSegment(off: number, len: number): void {
    const p = this.p;
    const f = this.buf;
    const l3 = this.l3,
      l4 = this.l4,
      h = this.hdrLen;
    if (this.v6) w16(f, l3 + IPV6.PAYLOAD_LEN, h - l4 + len);
    else {
      const ipLen = h - l3 + len;
      w16(f, l3 + IPV4.TOT_LEN, ipLen);
      let id = 0;
      if (this.ipIdMode === IP_ID_INCREMENT) {
        id = this.ipIdNext;
        this.ipIdNext = (this.ipIdNext + 1) & 0xffff;
      } else if (this.ipIdMode === IP_ID_RANDOM) id = this.ipIdRng.nextU32() & 0xffff;
      w16(f, l3 + IPV4.ID, id);
      w16(f, l3 + IPV4.CSUM, finish(this.ipSum0 + ipLen + id));
    }
    const seq = this.seqOf(off);
    w32(f, l4 + TCP.SEQ, seq);
    const l4Len = h - l4 + len;
    let sum = this.tcpSum0 + l4Len + (seq >>> 16) + (seq & 0xffff);
    if (this.pshFor(off, len)) {
      f[l4 + TCP.FLAGS] = TCP_FLAG.ACK | TCP_FLAG.PSH;
      sum += TCP_FLAG.PSH;
    } // FLAGS is the low byte of its word
    else f[l4 + TCP.FLAGS] = TCP_FLAG.ACK;
    if (this.tsOff >= 0) {
      const tsval = (this.tsvalStart + Math.floor(p.clock.now / this.tsTickNs)) >>> 0;
      const tsecr = this.tsecrFixed >= 0 ? this.tsecrFixed : this.tsRecent;
      w32(f, this.tsOff + 2, tsval);
      w32(f, this.tsOff + 6, tsecr);
      sum += (tsval >>> 16) + (tsval & 0xffff) + (tsecr >>> 16) + (tsecr & 0xffff);
    }
    const a = PayloadPattern.start(off, this.salt);
    p.copyPattern(this.frameAt + h, a, len);
    sum += p.pattern.sum(a, len);
    w16(f, l4 + TCP.CSUM, finish(sum));
    this.stats.segmentsSent++;
    this.stats.bytesSent += len;
    if (off < this.sndMax) {
      this.stats.retransmits++;
      this.timedEnd = -1;
    } // Karn: no sample across a retransmission
    const n = h + len;
    let view = this.views[n];
    if (view === undefined) {
      view = f.subarray(0, n);
      this.views[n] = view;
    }
    p.known.set(p.pattern, h, a, len); // the payload is the pattern's bytes [a, a + len): the NIC may take its sums from there
    p.emit(view, n, true, p.known);
  }

  armRto(): void {
    this.rtoDeadline =
      this.p.clock.now +
      (this.cc !== null ? this.cc.timeoutNs(this.backoff) : this.p.config.rtoNs * (1 << this.backoff));
    if (!this.rtoScheduled) {
      this.rtoScheduled = true;
      this.p.clock.at(this.rtoDeadline, this.onRtoEvent);
    }
  }

  private readonly onRtoEvent = (): void => {
    this.rtoScheduled = false;
    if (this.rtoDeadline < 0) return;
    const now = this.p.clock.now;
    if (now < this.rtoDeadline) {
      this.rtoScheduled = true;
      this.p.clock.at(this.rtoDeadline, this.onRtoEvent);
      return;
    }
    this.rtoDeadline = -1;
    if (this.sndUna >= Math.min(this.total, this.writeLimit) && this.sndUna >= this.sndMax) return;
    this.stats.timeouts++;
    if (this.p.tracer.enabled)
      this.p.trace(
        'timeout',
        'rto',
        `${flowName(this.key)}: retransmission timeout, resending from seq ${this.seqOf(this.sndUna)}`,
      );
    if (this.backoff < MAX_BACKOFF) this.backoff++;
    this.cc?.onTimeout(now);
    // Go-back-N: everything unacknowledged is sent again.
    this.sndNxt = this.sndUna;
    this.dupAcks = 0;
    this.inRecovery = false;
    this.retransmitPending = false;
    this.forceOne = true;
    this.armRto();
    this.p.pump();
  };

  /** An ACK for this flow from the host. */
  onAck(ack: number, win: number, hasData: boolean, tsval: number): void {
    this.stats.acksReceived++;
    // open loop: nothing the host sends changes the wire, not even the TSecr echoed (lab/multicore.ts relies on it)
    if (this.p.config.openLoop) return;
    if (tsval >= 0) this.tsRecent = tsval;
    const d = (ack - this.seqOf(this.sndUna)) | 0;
    const winChanged = win !== this.lastWin;
    this.rwnd = win;
    this.lastWin = win;
    if (d > 0 && this.sndUna + d <= this.sndMax) {
      const cc = this.cc;
      if (cc !== null) this.ccOnNewAck(cc, d);
      this.sndUna += d;
      this.dupAcks = 0;
      this.backoff = 0;
      this.forceOne = false;
      if (this.sndNxt < this.sndUna) this.sndNxt = this.sndUna;
      if (this.inRecovery) {
        if (this.sndUna >= this.recover) this.inRecovery = false;
        else this.retransmitPending = true; // partial ACK: the next hole goes at once
      }
      if (this.sndUna === this.sndMax) this.rtoDeadline = -1;
      else this.armRto();
      if (this.kind === 'rr' && this.sndUna >= this.writeLimit) {
        if (this.sndUna - d < this.writeLimit) {
          this.stats.transactions++;
          this.p.transactionTimes.record(this.p.clock.now - this.requestAt);
        }
        this.scheduleWrite();
      }
      if (this.sndUna >= this.total) this.p.flowDone(this);
    } else if (d === 0 && this.sndMax > this.sndUna && !hasData && !winChanged) {
      this.dupAcks++;
      this.stats.dupAcks++;
      if (this.inRecovery) this.cc?.inflate();
      if (this.dupAcks === 3 && !this.inRecovery) {
        this.cc?.enterRecovery(this.p.clock.now);
        this.inRecovery = true;
        this.recover = this.sndMax;
        this.retransmitPending = true;
        this.stats.fastRetransmits++;
        if (this.p.tracer.enabled)
          this.p.trace(
            'retransmit',
            'fast_retransmit',
            `${flowName(this.key)}: 3 duplicate ACKs, resending seq ${this.seqOf(this.sndUna)}`,
          );
      }
    } else if (d !== 0) {
      this.stats.staleAcks++;
    }
    this.cc?.note(this.p.clock.now, this.stats.acksReceived);
  }

  /** Congestion bookkeeping for an ACK of `d` new bytes, before snd_una moves. */
  private ccOnNewAck(cc: CongestionControl, d: number): void {
    const now = this.p.clock.now;
    const end = this.sndUna + d;
    if (this.timedEnd >= 0 && end >= this.timedEnd) {
      cc.sample(now - this.timedAt);
      this.timedEnd = -1;
    }
    const segments = Math.ceil(d / this.mss);
    if (this.inRecovery) {
      if (end >= this.recover) cc.exitRecovery();
      else cc.partialAck(segments);
    } else {
      cc.onAck(segments, now, this.cwndLimited(this.sndMax - this.sndUna));
    }
  }

  get acked(): boolean {
    return this.total !== Infinity && this.sndUna >= this.total;
  }
  get sent(): boolean {
    return this.total !== Infinity && this.sndMax >= this.total;
  }

  /** The stream so far (a duration-limited flow: what has been sent) or the whole stream, fingerprinted from the pattern. */
  expectation(): FlowExpectation {
    const bytes = this.total === Infinity ? this.sndMax : this.total;
    const pattern = this.p.pattern,
      salt = this.salt;
    // the fingerprint is hashed from the pattern when first read: a socket that compared every byte with the same
    // pattern is verified without it (Stack.verify)
    const e = lazyProperty({ key: { ...this.key }, isn: this.isn, bytes, digest: '' }, 'digest', () =>
      pattern.streamDigest(salt, bytes),
    );
    attachReference(e, pattern.reference(salt));
    return e;
  }
}

/** Non-TCP frames interleaved with the TCP ones at a configured share. */
class Background {
  credit = 0;
  private readonly perTcpFrame: number;
  private readonly rng: Prng;
  private readonly udp: Uint8Array;
  private readonly arp: Uint8Array;
  private readonly icmp: Uint8Array;
  /** Exact-length views of the partner's scratch buffer the frames are built in. */
  private readonly udpView: Uint8Array;
  private readonly arpView: Uint8Array;
  private readonly icmpView: Uint8Array;
  private readonly l3: number;
  private ipId = 0;
  private icmpSeq = 0;

  constructor(
    private readonly cfg: BackgroundConfig,
    rng: Prng,
    private readonly p: LinkPartner,
  ) {
    this.perTcpFrame = cfg.share / (1 - cfg.share);
    this.rng = rng;
    const c = p.config;
    const base = () => {
      const b = frame().eth({ src: c.partnerMac, dst: c.nicMac });
      if (cfg.vlan !== undefined) b.vlan({ vid: cfg.vlan.vid, pcp: cfg.vlan.pcp });
      return b;
    };
    this.l3 = cfg.vlan !== undefined ? 18 : 14;
    this.udp = base()
      .ipv4({ src: cfg.src, dst: cfg.dst })
      .udp({ sport: 53000, dport: 53 })
      .payload(cfg.udpBytes)
      .build();
    this.arp = base()
      .eth({ dst: 'ff:ff:ff:ff:ff:ff' })
      .arp({ op: ARPOP.REQUEST, senderMac: c.partnerMac, senderIp: cfg.src, targetIp: cfg.dst })
      .build();
    // ICMP echo request: type 8, code 0, checksum, id, seq, then data.
    const icmpLen = 8 + cfg.icmpBytes;
    this.icmp = base().ipv4({ src: cfg.src, dst: cfg.dst, protocol: IPPROTO.ICMP }).payload(icmpLen).build();
    const o = this.l3 + IPV4.HLEN;
    this.icmp[o] = 8;
    this.icmp[o + 1] = 0;
    w16(this.icmp, o + 2, 0);
    w16(this.icmp, o + 4, 0x7a11);
    w16(this.icmp, o + 6, 0);
    this.udpView = p.scratch.subarray(0, this.udp.length);
    this.arpView = p.scratch.subarray(0, this.arp.length);
    this.icmpView = p.scratch.subarray(0, this.icmp.length);
  }

  /** Credit for one TCP frame sent. */
  onTcpFrame(): void {
    this.credit += this.perTcpFrame;
  }

  send(): void {
    this.credit -= 1;
    const m = this.cfg.mix;
    const x = this.rng.next() * (m.udp + m.arp + m.icmp);
    const f = this.p.scratch;
    const l3 = this.l3;
    if (x < m.udp) {
      f.set(this.udp);
      w16(f, l3 + IPV4.ID, this.ipId);
      this.ipId = (this.ipId + 1) & 0xffff;
      w16(f, l3 + IPV4.CSUM, 0);
      w16(f, l3 + IPV4.CSUM, finish(sumBytes(f, l3, IPV4.HLEN)));
      const l4 = l3 + IPV4.HLEN,
        l4Len = this.udp.length - l4;
      w16(f, l4 + UDP.CSUM, 0);
      const s = finish(
        sumBytes(f, l4, l4Len, pseudoHeaderSumAddrs(r32(f, l3 + IPV4.SRC), r32(f, l3 + IPV4.DST), IPPROTO.UDP, l4Len)),
      );
      w16(f, l4 + UDP.CSUM, s === 0 ? 0xffff : s);
      this.p.stats.udpFrames++;
      this.p.emit(this.udpView, this.udp.length, false);
    } else if (x < m.udp + m.arp) {
      f.set(this.arp);
      this.p.stats.arpFrames++;
      this.p.emit(this.arpView, this.arp.length, false);
    } else {
      f.set(this.icmp);
      w16(f, l3 + IPV4.ID, this.ipId);
      this.ipId = (this.ipId + 1) & 0xffff;
      w16(f, l3 + IPV4.CSUM, 0);
      w16(f, l3 + IPV4.CSUM, finish(sumBytes(f, l3, IPV4.HLEN)));
      const o = l3 + IPV4.HLEN;
      w16(f, o + 6, this.icmpSeq);
      this.icmpSeq = (this.icmpSeq + 1) & 0xffff;
      w16(f, o + 2, 0);
      w16(f, o + 2, finish(sumBytes(f, o, this.icmp.length - o)));
      this.p.stats.icmpFrames++;
      this.p.emit(this.icmpView, this.icmp.length, false);
    }
  }
}

export interface FlowReport extends TcpFlowStats {
  key: FlowKey;
  name: string;
  kind: Kind;
  isn: number;
  /** Stream length (-1 while a duration-limited flow is still writing). */
  bytes: number;
  /** Bytes acknowledged by the host. */
  ackedBytes: number;
  /** A closed-loop sender's congestion state at the end (absent for a fixed-window sender). */
  congestion?: CongestionStats & { cwnd: number; ssthresh: number; srttUs: number; rtoMs: number };
}

/** Owns several flows; sends through `tx`; answers the host's ACKs. */
export class LinkPartner {
  readonly config: TrafficConfig;
  readonly stats: PartnerStats = {
    framesSent: 0,
    tcpSegments: 0,
    udpFrames: 0,
    arpFrames: 0,
    icmpFrames: 0,
    hostFrames: 0,
    hostNotTcpAck: 0,
    hostUnknownFlow: 0,
    hostTooBig: 0,
  };
  /** Called once when every flow's whole stream is acknowledged. */
  onAllAcked: (() => void) | undefined;
  writesStopped = false;
  /** The frame buffer background frames are built in (the transmit path copies it). */
  readonly scratch: Uint8Array;
  /**
   * One ArrayBuffer: `scratch`, the payload pattern from `patternAt`, then each TCP flow's own frame buffer,
   * so a segment's payload is one `copyWithin` from the pattern into the flow's frame.
   */
  readonly frameArea: Uint8Array;
  /** The WebAssembly passes of `frameArea` (its byteOffset is 0), when it is a WebAssembly memory. */
  private readonly areaPasses: BytePasses | undefined;
  readonly patternAt = SCRATCH_BYTES;
  /** The claim a TCP flow attaches to the segment it sends (reused: the link copies it). */
  readonly known = new KnownRun();
  readonly pattern: PayloadPattern;
  /** The partner's TSO NIC (used by bulk flows when config.tso is on). */
  readonly tso: TsoNic;
  /** Request/response flows: from writing a request to the ACK covering it, ns. */
  readonly transactionTimes = new LatencyRecorder();
  private readonly salts = new Set<number>();
  private nextFrameAt: number;

  private readonly flows: TcpFlow[] = [];
  private readonly bg: Background[] = [];
  private readonly byPorts = new Map<number, TcpFlow[]>();
  private readonly layout = new FrameLayout();
  private readonly tooBig = new QuotedTooBig();
  private rr = 0;
  private pumping = false;
  private pumpAgain = false;
  private doneCount = 0;
  private started = false;
  /** The return path's delay (config.pathDelayNs > 0). */
  private readonly ackLine: AckDelayLine | undefined;

  constructor(
    readonly clock: VirtualClock,
    private readonly tx: FrameTx,
    config: unknown,
    readonly tracer: Tracer = NO_TRACE,
  ) {
    this.config = parseTrafficConfig(config);
    let maxSegment = 1,
      flowFrames = 0,
      maxMss = 1;
    for (const fc of this.config.flows) {
      if (fc.kind === 'background') continue;
      maxSegment = Math.max(maxSegment, flowSegmentRoom(this.config, fc));
      maxMss = Math.max(maxMss, fc.mss);
      flowFrames += fc.count * (FLOW_HEADER_ROOM + flowSegmentRoom(this.config, fc));
    }
    this.tso = new TsoNic(FLOW_HEADER_ROOM + maxMss, (frame, len) => this.emit(frame, len, true));
    this.nextFrameAt = SCRATCH_BYTES + PATTERN_PERIOD + maxSegment;
    // a WebAssembly memory: the expected streams are hashed from the pattern in WebAssembly (wire/byte-passes.ts)
    this.frameArea = wasmBytes(this.nextFrameAt + flowFrames);
    this.areaPasses = bytePassesFor(this.frameArea.buffer);
    this.scratch = this.frameArea.subarray(0, SCRATCH_BYTES);
    this.pattern = new PayloadPattern(
      (this.config.seed ^ PATTERN_SEED_MIX) >>> 0,
      maxSegment,
      this.frameArea.subarray(SCRATCH_BYTES),
    );
    const root = new Prng(this.config.seed);
    for (const fc of this.config.flows) {
      if (fc.kind === 'background') {
        this.bg.push(new Background(fc, root.fork(), this));
        continue;
      }
      for (let i = 0; i < fc.count; i++) {
        const flow = new TcpFlow(fc, i, root.fork(), this);
        flow.slot = this.flows.length;
        this.flows.push(flow);
        const k = flow.key.sport * 65536 + flow.key.dport;
        const list = this.byPorts.get(k);
        if (list === undefined) this.byPorts.set(k, [flow]);
        else list.push(flow);
      }
    }
    tx.addReadyListener(() => this.pump());
    if (this.config.pathDelayNs > 0) {
      this.ackLine = new AckDelayLine(clock, this.config.pathDelayNs, (i, ack, win, hasData, tsval) => {
        this.flows[i]!.onAck(ack, win, hasData, tsval);
        this.pump();
      });
    }
  }

  /** Starts sending (at the clock's current time). */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const f of this.flows) f.start();
    const d = this.config.durationNs;
    if (d !== undefined) {
      this.clock.at(d, () => {
        this.writesStopped = true;
        for (const f of this.flows) {
          f.stopWriting();
          if (f.acked) this.flowDone(f);
        }
      });
    }
    this.pump();
  }

  /** Fills the transmit queue up to its low-water mark, round robin over the flows. */
  pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        while (this.tx.backlog() < LOW_WATER && this.sendOne());
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
  }

  private sendOne(): boolean {
    const bg = this.bg;
    for (let i = 0; i < bg.length; i++)
      if (bg[i]!.credit >= 1) {
        bg[i]!.send();
        return true;
      }
    const n = this.flows.length;
    for (let i = 0; i < n; i++) {
      const f = this.flows[(this.rr + i) % n]!;
      if (f.trySend()) {
        this.rr = (this.rr + i + 1) % n;
        return true;
      }
    }
    return false;
  }

  trace(what: string, reason: string, text: string): void {
    this.tracer.emit({ t: this.clock.now, layer: 'traffic', what, reason, text });
  }

  /** A flow's salt from its draw: distinct per flow, so no two flows carry the same bytes. */
  claimSalt(draw: number): number {
    let salt = draw % PATTERN_PERIOD;
    while (this.salts.has(salt)) salt = (salt + SALT_STRIDE) % PATTERN_PERIOD;
    this.salts.add(salt);
    return salt;
  }

  /** Copies pattern bytes [a, a + len) to `frameArea[at]`: one WebAssembly memory.copy when the area is a WebAssembly
   *  memory (copyWithin is a runtime call costing about half as much again for a segment), else copyWithin; the same
   *  ArrayBuffer either way, so no view and no allocation. */
  copyPattern(at: number, a: number, len: number): void {
    const src = this.patternAt + a;
    if (this.areaPasses !== undefined) this.areaPasses.copy(at, src, len);
    else this.frameArea.copyWithin(at, src, src + len);
  }

  /** Reserves `bytes` of `frameArea` for a flow's frame buffer (sized up front in the constructor). */
  claimFrame(bytes: number): number {
    const at = this.nextFrameAt;
    this.nextFrameAt += bytes;
    return at;
  }

  /** Called by flows for every frame they build; `frame` is exactly `len` bytes long; `known`: which of its bytes are the pattern's. */
  emit(frame: Uint8Array, len: number, tcp: boolean, known: KnownRun | null = null): void {
    this.stats.framesSent++;
    if (tcp) {
      this.stats.tcpSegments++;
      const bg = this.bg;
      for (let i = 0; i < bg.length; i++) bg[i]!.onTcpFrame();
    }
    this.tx.transmit(frame, len, 0, known);
  }

  flowDone(f: TcpFlow): void {
    if (!f.acked) return;
    if (f.counted) return;
    f.counted = true;
    this.doneCount++;
    if (this.doneCount === this.flows.length && this.onAllAcked !== undefined) this.onAllAcked();
  }

  /** A frame from the host (its ACKs). Anything else is counted and ignored. */
  receiveFromHost(frame: Uint8Array, length: number, _nowNs: number): void {
    this.stats.hostFrames++;
    const L = layoutFrame(frame, 0, length, this.layout);
    if (!L.isTcp && readTooBig(frame, L, this.tooBig)) {
      this.onTooBig(frame);
      return;
    }
    if (!L.isTcp || (frame[L.l4 + TCP.FLAGS]! & TCP_FLAG.ACK) === 0) {
      // isTcp: not a fragment
      this.stats.hostNotTcpAck++;
      return;
    }
    const l4 = L.l4;
    // The host's source port is the flow's destination port.
    const list = this.byPorts.get(L.dport * 65536 + L.sport);
    let flow: TcpFlow | undefined;
    if (list !== undefined)
      for (const f of list)
        if (flowMatchesReversed(f.key, frame, L.srcOff, L.addrLen, L.sport, L.dport)) {
          flow = f;
          break;
        }
    if (flow === undefined) {
      this.stats.hostUnknownFlow++;
      return;
    }
    const tsval = L.tsOff >= 0 ? r32(frame, L.tsOff + 2) : -1;
    const hasData = L.payloadLen > 0;
    if (this.ackLine !== undefined) {
      this.ackLine.push(
        flow.slot,
        r32(frame, l4 + TCP.ACK),
        r16(frame, l4 + TCP.WINDOW) << flow.cfg.receiverWindowShift,
        hasData,
        tsval,
      );
      return;
    }
    flow.onAck(r32(frame, l4 + TCP.ACK), r16(frame, l4 + TCP.WINDOW) << flow.cfg.receiverWindowShift, hasData, tsval);
    this.pump();
  }

  /** An ICMP "too big" error read into `tooBig`: the flow whose packet it quotes lowers its MSS. */
  private onTooBig(frame: Uint8Array): void {
    const q = this.tooBig;
    const list = this.byPorts.get(q.sport * 65536 + q.dport);
    const flow = list?.find((f) => flowMatches(f.key, frame, q.srcOff, q.addrLen, q.sport, q.dport));
    if (flow === undefined) {
      this.stats.hostUnknownFlow++;
      return;
    }
    this.stats.hostTooBig++;
    flow.onTooBig(q.mtu);
  }

  /** What each TCP flow's socket must end up with (receive-direction keys: saddr is this sender). */
  expectedFlows(): FlowExpectation[] {
    return this.flows.map((f) => f.expectation());
  }

  /** Each TCP flow's stream as its generator: a socket may compare what it receives with it (wire/stream-check.ts). */
  streamReferences(): { key: FlowKey; reference: StreamReference }[] {
    return this.flows.map((f) => ({ key: { ...f.key }, reference: this.pattern.reference(f.salt) }));
  }

  /** Per-flow state and counters. */
  flowReports(): FlowReport[] {
    return this.flows.map((f) => ({
      ...f.stats,
      key: { ...f.key },
      name: flowName(f.key),
      kind: f.kind,
      isn: f.isn,
      bytes: f.total === Infinity ? -1 : f.total,
      ackedBytes: f.sndUna,
      ...(f.cc !== null
        ? {
            congestion: {
              ...f.cc.stats,
              cwnd: f.cc.cwnd,
              ssthresh: f.cc.ssthresh === Infinity ? -1 : f.cc.ssthresh,
              srttUs: f.cc.srtt / 1000,
              rtoMs: f.cc.rto / 1e6,
            },
          }
        : {}),
    }));
  }

  /** A closed-loop flow's window against time: [ns, cwnd, ACKs received so far] (empty for a fixed-window sender). */
  windowHistory(flow: number): [number, number, number][] {
    const h = this.flows[flow]?.cc?.history ?? [];
    const out: [number, number, number][] = [];
    for (let i = 0; i + 2 < h.length; i += 3) out.push([h[i]!, h[i + 1]!, h[i + 2]!]);
    return out;
  }

  /** Every flow's whole stream acknowledged. */
  allAcked(): boolean {
    return this.flows.every((f) => f.acked);
  }
  /** Every flow's whole stream sent at least once (open loop). */
  allSent(): boolean {
    return this.flows.every((f) => f.sent);
  }
}

export interface PartnerSetup {
  partner: LinkPartner;
  link: Link;
  /** Present when the config has any impairment switched on. */
  impairments: Impairments | undefined;
}

/** Builds the usual chain: partner → impairments (if any) → link at config.rateGbps → `sink` (the NIC). */
export function createLinkPartner(
  clock: VirtualClock,
  sink: FrameSink,
  config: unknown,
  tracer: Tracer = NO_TRACE,
): PartnerSetup {
  const cfg = parseTrafficConfig(config);
  const link = new Link(clock, sink, cfg.rateGbps, { padShortFrames: cfg.padShortFrames });
  const imp = new Impairments(link, cfg.impairments, clock, cfg.seed, tracer);
  const impairments = imp.passThrough ? undefined : imp;
  const partner = new LinkPartner(clock, impairments ?? link, cfg, tracer);
  return { partner, link, impairments };
}
