// The link partner: TCP senders (bulk, small messages, request/response) and non-TCP background
// traffic, sending on the virtual clock through a FrameTx (the Link, or impairments in front of it),
// window-limited and loss-aware from the host's ACKs (`receiveFromHost`). Payload bytes come from a
// seeded PRNG per flow and are fingerprinted as they are generated (`expectedFlows`).

import { Prng } from '../sim/prng.ts';
import { StreamHash } from '../sim/hash.ts';
import type { VirtualClock } from '../sim/clock.ts';
import { NO_TRACE, type Tracer } from '../sim/trace.ts';
import type { FlowExpectation, FlowKey } from '../sim/flows.ts';
import { flowName } from '../sim/flows.ts';
import {
  frame, parseIpv4, IPV4, IPV4_FRAG, TCP, UDP, TCP_FLAG, IPPROTO, ARPOP,
  sumBytes, finish, pseudoHeaderSumAddrs,
} from '../wire/index.ts';
import type { FrameTx, FrameSink } from './link.ts';
import { Link } from './link.ts';
import { Impairments } from './impair.ts';
import { FrameLayout, read16, read32, write16, write32, findTimestampOption, copyBytes } from './headers.ts';
import {
  parseTrafficConfig, type TrafficConfig, type BulkFlowConfig, type MessageFlowConfig,
  type RequestResponseFlowConfig, type BackgroundConfig,
} from './config.ts';

const TWO32 = 4294967296;
/** Frames the partner keeps waiting in the transmit queue: enough to keep the wire busy, few enough to react to ACKs at once. */
const LOW_WATER = 2;
const MAX_BACKOFF = 6;

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
}

type Kind = 'bulk' | 'messages' | 'rr';
type AnyTcpConfig = BulkFlowConfig | MessageFlowConfig | RequestResponseFlowConfig;

/** One TCP sender: a retransmit ring of payload, snd_una/snd_nxt/snd_max, a lazy RTO timer. */
class TcpFlow {
  readonly stats: TcpFlowStats = {
    segmentsSent: 0, bytesSent: 0, retransmits: 0, fastRetransmits: 0, timeouts: 0, acksReceived: 0, dupAcks: 0, staleAcks: 0, windowLimited: 0,
  };
  readonly key: FlowKey;
  readonly isn: number;
  readonly kind: Kind;
  /** Stream length; Infinity until a duration-limited flow stops writing. */
  total: number;
  /** Bytes the application has written so far (messages and requests arrive over time). */
  writeLimit: number;
  sndUna = 0; sndNxt = 0; sndMax = 0;
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

  private readonly payloadSeed: number;
  private readonly payloadRng: Prng;
  private readonly ipIdRng: Prng;
  private ipIdNext: number;
  private word = 0;
  generated = 0;
  readonly hash = new StreamHash();
  private readonly ring: Uint8Array;
  private readonly mask: number;
  private readonly template: Uint8Array;
  private readonly l3: number; private readonly l4: number; private readonly hdrLen: number; private readonly tsOff: number;
  private readonly unit: number;
  private readonly mss: number;
  private readonly psh: 'never' | { every: number } | { burst: number };

  constructor(readonly cfg: AnyTcpConfig, index: number, rng: Prng, private readonly p: LinkPartner) {
    this.kind = cfg.kind;
    const sport = cfg.sport + index;
    if (sport > 65535) throw new Error(`flow ${cfg.kind}: sport ${cfg.sport} + count ${cfg.count} runs past port 65535`);
    this.key = { saddr: parseIpv4(cfg.src), daddr: parseIpv4(cfg.dst), sport, dport: cfg.dport };
    this.payloadSeed = rng.nextU32();
    this.payloadRng = new Prng(this.payloadSeed);
    this.ipIdRng = rng.fork();
    const isnDraw = rng.nextU32();
    this.isn = cfg.isn ?? isnDraw;
    this.ipIdNext = cfg.ipIdStart;
    this.mss = cfg.mss;
    this.tsRecent = cfg.tsecrInitial;
    this.psh = cfg.kind === 'bulk' ? cfg.psh : 'never';
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
    let cap = 1;
    while (cap < Math.max(cfg.sendWindow, cfg.mss * 2)) cap *= 2;
    this.ring = new Uint8Array(cap);
    this.mask = cap - 1;

    const b = frame().eth({ src: c.partnerMac, dst: c.nicMac });
    if (cfg.vlan !== undefined) b.vlan({ vid: cfg.vlan.vid, pcp: cfg.vlan.pcp });
    b.ipv4({ src: cfg.src, dst: cfg.dst, tos: cfg.tos, ttl: cfg.ttl, df: cfg.df || cfg.ipId === 'zero' })
      .tcp({ sport, dport: cfg.dport, ack: cfg.ack, window: cfg.window, flags: 'A', ...(cfg.timestamps ? { ts: [0, 0] as [number, number] } : {}) });
    this.template = b.build();
    this.hdrLen = this.template.length;
    this.l3 = cfg.vlan !== undefined ? 18 : 14;
    this.l4 = this.l3 + IPV4.HLEN;
    this.tsOff = cfg.timestamps ? findTimestampOption(this.template, this.l4, this.hdrLen) : -1;
  }

  seqOf(off: number): number { return (this.isn + off) % TWO32; }

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
  }

  /** Duration over: the stream ends with what has been written (bulk: what has been sent). */
  stopWriting(): void {
    if (this.kind === 'bulk') this.total = Math.min(this.total, this.sndMax);
    else this.total = Math.min(this.total, this.writeLimit);
  }

  private scheduleWrite(): void {
    if (this.writeTimerPending || this.p.writesStopped || this.writeLimit >= this.total) return;
    const think = (this.cfg as MessageFlowConfig | RequestResponseFlowConfig).thinkNs;
    if (think === 0) { this.write(); return; }
    this.writeTimerPending = true;
    this.p.clock.after(think, this.onWriteTimer);
  }

  private readonly onWriteTimer = (): void => { this.write(); this.p.pump(); };

  /** Bytes from `off` to the next segment boundary (MSS, message, request). */
  private segLen(off: number): number {
    if (this.kind === 'rr') {
      const rel = off % this.unit;
      return Math.min(this.mss - (rel % this.mss), this.unit - rel);
    }
    return this.unit - (off % this.unit);
  }

  private window(): number {
    return this.cfg.useReceiverWindow ? Math.min(this.cfg.sendWindow, this.rwnd) : this.cfg.sendWindow;
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
    this.sndNxt = off + len;
    if (this.sndNxt > this.sndMax) {
      this.sndMax = this.sndNxt;
      if (this.kind === 'messages' || (this.kind === 'rr' && open)) { if (this.sndMax === this.writeLimit) this.scheduleWrite(); }
    }
    if (!open && this.rtoDeadline < 0) this.armRto();
    return true;
  }

  private pshFor(off: number, len: number): boolean {
    const end = off + len;
    if (this.kind === 'messages') return true;
    if (this.kind === 'rr') return end % this.unit === 0 || end === this.total;
    const psh = this.psh;
    if (psh === 'never') return false;
    if (end % this.unit !== 0) return end === this.total && 'burst' in psh;
    const idx = end / this.unit; // 1-based index of the segment ending here
    if ('every' in psh) return idx % psh.every === 0;
    return idx % psh.burst === 0 || end === this.total;
  }

  private generate(end: number): void {
    const ring = this.ring, mask = this.mask, rng = this.payloadRng;
    const start = this.generated;
    let w = this.word;
    let i = start;
    // Byte i of the stream is byte (i & 3) of the (i >> 2)th draw, however the stream is cut into segments.
    for (; i < end && (i & 3) !== 0; i++) ring[i & mask] = (w >>> ((i & 3) * 8)) & 0xff;
    for (; i + 4 <= end; i += 4) {
      w = rng.nextU32();
      const p = i & mask; // 4-aligned in a power-of-two ring: the four bytes never wrap
      ring[p] = w & 0xff; ring[p + 1] = (w >>> 8) & 0xff; ring[p + 2] = (w >>> 16) & 0xff; ring[p + 3] = w >>> 24;
    }
    if (i < end) {
      w = rng.nextU32();
      for (; i < end; i++) ring[i & mask] = (w >>> ((i & 3) * 8)) & 0xff;
    }
    this.word = w;
    const a = start & mask;
    const n = end - start;
    if (a + n <= ring.length) this.hash.update(ring, a, n);
    else { this.hash.update(ring, a, ring.length - a); this.hash.update(ring, 0, n - (ring.length - a)); }
    this.generated = end;
  }

  private sendSegment(off: number, len: number): void {
    if (off + len > this.generated) this.generate(off + len);
    const cfg = this.cfg;
    const f = this.p.scratch;
    const l3 = this.l3, l4 = this.l4, h = this.hdrLen;
    f.set(this.template);
    const ipLen = h - l3 + len;
    write16(f, l3 + IPV4.TOT_LEN, ipLen);
    let id = 0;
    if (cfg.ipId === 'increment') { id = this.ipIdNext; this.ipIdNext = (this.ipIdNext + 1) & 0xffff; }
    else if (cfg.ipId === 'random') id = this.ipIdRng.nextU32() & 0xffff;
    write16(f, l3 + IPV4.ID, id);
    write16(f, l3 + IPV4.CSUM, 0);
    write16(f, l3 + IPV4.CSUM, finish(sumBytes(f, l3, IPV4.HLEN)));
    write32(f, l4 + TCP.SEQ, this.seqOf(off));
    f[l4 + TCP.FLAGS] = TCP_FLAG.ACK | (this.pshFor(off, len) ? TCP_FLAG.PSH : 0);
    if (this.tsOff >= 0) {
      const now = this.p.clock.now;
      write32(f, this.tsOff + 2, (cfg.tsvalStart + Math.floor(now / cfg.tsTickNs)) % TWO32);
      write32(f, this.tsOff + 6, cfg.tsecr === 'echo' ? this.tsRecent : cfg.tsecr);
    }
    const a = off & this.mask;
    if (a + len <= this.ring.length) copyBytes(f, h, this.ring, a, len);
    else {
      const first = this.ring.length - a;
      copyBytes(f, h, this.ring, a, first);
      copyBytes(f, h + first, this.ring, 0, len - first);
    }
    const l4Len = h - l4 + len;
    write16(f, l4 + TCP.CSUM, 0);
    const sum = sumBytes(f, l4, l4Len, pseudoHeaderSumAddrs(this.key.saddr, this.key.daddr, IPPROTO.TCP, l4Len));
    write16(f, l4 + TCP.CSUM, finish(sum));
    this.stats.segmentsSent++;
    this.stats.bytesSent += len;
    if (off < this.sndMax) this.stats.retransmits++;
    this.p.emit(f, h + len, true);
  }

  armRto(): void {
    this.rtoDeadline = this.p.clock.now + this.p.config.rtoNs * (1 << this.backoff);
    if (!this.rtoScheduled) { this.rtoScheduled = true; this.p.clock.at(this.rtoDeadline, this.onRtoEvent); }
  }

  private readonly onRtoEvent = (): void => {
    this.rtoScheduled = false;
    if (this.rtoDeadline < 0) return;
    const now = this.p.clock.now;
    if (now < this.rtoDeadline) { this.rtoScheduled = true; this.p.clock.at(this.rtoDeadline, this.onRtoEvent); return; }
    this.rtoDeadline = -1;
    if (this.sndUna >= Math.min(this.total, this.writeLimit) && this.sndUna >= this.sndMax) return;
    this.stats.timeouts++;
    if (this.p.tracer.enabled) this.p.trace('timeout', 'rto', `${flowName(this.key)}: retransmission timeout, resending from seq ${this.seqOf(this.sndUna)}`);
    if (this.backoff < MAX_BACKOFF) this.backoff++;
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
    if (tsval >= 0) this.tsRecent = tsval;
    if (this.p.config.openLoop) return;
    const d = (ack - this.seqOf(this.sndUna)) | 0;
    const winChanged = win !== this.lastWin;
    this.rwnd = win;
    this.lastWin = win;
    if (d > 0 && this.sndUna + d <= this.sndMax) {
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
      if (this.kind === 'rr' && this.sndUna >= this.writeLimit) this.scheduleWrite();
      if (this.sndUna >= this.total) this.p.flowDone(this);
    } else if (d === 0 && this.sndMax > this.sndUna && !hasData && !winChanged) {
      this.dupAcks++;
      this.stats.dupAcks++;
      if (this.dupAcks === 3 && !this.inRecovery) {
        this.inRecovery = true;
        this.recover = this.sndMax;
        this.retransmitPending = true;
        this.stats.fastRetransmits++;
        if (this.p.tracer.enabled) this.p.trace('retransmit', 'fast_retransmit', `${flowName(this.key)}: 3 duplicate ACKs, resending seq ${this.seqOf(this.sndUna)}`);
      }
    } else if (d !== 0) {
      this.stats.staleAcks++;
    }
  }

  get acked(): boolean { return this.total !== Infinity && this.sndUna >= this.total; }
  get sent(): boolean { return this.total !== Infinity && this.sndMax >= this.total; }

  expectation(): FlowExpectation {
    const bytes = this.total === Infinity ? this.generated : this.total;
    let digest: string;
    if (this.generated === bytes) digest = this.hash.digest();
    else {
      // Not all generated yet: regenerate the stream from the flow's payload seed.
      const rng = new Prng(this.payloadSeed);
      const h = new StreamHash();
      const chunk = new Uint8Array(4096);
      for (let done = 0; done < bytes;) {
        const n = Math.min(chunk.length, bytes - done);
        for (let i = 0; i < n; i += 4) {
          const w = rng.nextU32();
          chunk[i] = w & 0xff; chunk[i + 1] = (w >>> 8) & 0xff; chunk[i + 2] = (w >>> 16) & 0xff; chunk[i + 3] = (w >>> 24) & 0xff;
        }
        h.update(chunk, 0, n);
        done += n;
      }
      digest = h.digest();
    }
    return { key: { ...this.key }, isn: this.isn, bytes, digest };
  }
}

/** Non-TCP frames interleaved with the TCP ones at a configured share. */
class Background {
  credit = 0;
  private readonly perTcpFrame: number;
  private readonly rng: Prng;
  private readonly udp: Uint8Array; private readonly arp: Uint8Array; private readonly icmp: Uint8Array;
  private readonly l3: number;
  private ipId = 0;
  private icmpSeq = 0;

  constructor(private readonly cfg: BackgroundConfig, rng: Prng, private readonly p: LinkPartner) {
    this.perTcpFrame = cfg.share / (1 - cfg.share);
    this.rng = rng;
    const c = p.config;
    const base = () => {
      const b = frame().eth({ src: c.partnerMac, dst: c.nicMac });
      if (cfg.vlan !== undefined) b.vlan({ vid: cfg.vlan.vid, pcp: cfg.vlan.pcp });
      return b;
    };
    this.l3 = cfg.vlan !== undefined ? 18 : 14;
    this.udp = base().ipv4({ src: cfg.src, dst: cfg.dst }).udp({ sport: 53000, dport: 53 }).payload(cfg.udpBytes).build();
    this.arp = base().eth({ dst: 'ff:ff:ff:ff:ff:ff' }).arp({ op: ARPOP.REQUEST, senderMac: c.partnerMac, senderIp: cfg.src, targetIp: cfg.dst }).build();
    // ICMP echo request: type 8, code 0, checksum, id, seq, then data.
    const icmpLen = 8 + cfg.icmpBytes;
    this.icmp = base().ipv4({ src: cfg.src, dst: cfg.dst, protocol: IPPROTO.ICMP }).payload(icmpLen).build();
    const o = this.l3 + IPV4.HLEN;
    this.icmp[o] = 8; this.icmp[o + 1] = 0; write16(this.icmp, o + 2, 0); write16(this.icmp, o + 4, 0x7a11); write16(this.icmp, o + 6, 0);
  }

  /** Credit for one TCP frame sent. */
  onTcpFrame(): void { this.credit += this.perTcpFrame; }

  send(): void {
    this.credit -= 1;
    const m = this.cfg.mix;
    const x = this.rng.next() * (m.udp + m.arp + m.icmp);
    const f = this.p.scratch;
    const l3 = this.l3;
    if (x < m.udp) {
      f.set(this.udp);
      write16(f, l3 + IPV4.ID, this.ipId);
      this.ipId = (this.ipId + 1) & 0xffff;
      write16(f, l3 + IPV4.CSUM, 0);
      write16(f, l3 + IPV4.CSUM, finish(sumBytes(f, l3, IPV4.HLEN)));
      const l4 = l3 + IPV4.HLEN, l4Len = this.udp.length - l4;
      write16(f, l4 + UDP.CSUM, 0);
      const s = finish(sumBytes(f, l4, l4Len, pseudoHeaderSumAddrs(read32(f, l3 + IPV4.SRC), read32(f, l3 + IPV4.DST), IPPROTO.UDP, l4Len)));
      write16(f, l4 + UDP.CSUM, s === 0 ? 0xffff : s);
      this.p.stats.udpFrames++;
      this.p.emit(f, this.udp.length, false);
    } else if (x < m.udp + m.arp) {
      f.set(this.arp);
      this.p.stats.arpFrames++;
      this.p.emit(f, this.arp.length, false);
    } else {
      f.set(this.icmp);
      write16(f, l3 + IPV4.ID, this.ipId);
      this.ipId = (this.ipId + 1) & 0xffff;
      write16(f, l3 + IPV4.CSUM, 0);
      write16(f, l3 + IPV4.CSUM, finish(sumBytes(f, l3, IPV4.HLEN)));
      const o = l3 + IPV4.HLEN;
      write16(f, o + 6, this.icmpSeq);
      this.icmpSeq = (this.icmpSeq + 1) & 0xffff;
      write16(f, o + 2, 0);
      write16(f, o + 2, finish(sumBytes(f, o, this.icmp.length - o)));
      this.p.stats.icmpFrames++;
      this.p.emit(f, this.icmp.length, false);
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
}

/** Owns several flows; sends through `tx`; answers the host's ACKs. */
export class LinkPartner {
  readonly config: TrafficConfig;
  readonly stats: PartnerStats = {
    framesSent: 0, tcpSegments: 0, udpFrames: 0, arpFrames: 0, icmpFrames: 0, hostFrames: 0, hostNotTcpAck: 0, hostUnknownFlow: 0,
  };
  /** Called once when every flow's whole stream is acknowledged. */
  onAllAcked: (() => void) | undefined;
  writesStopped = false;
  /** The one frame buffer segments are built in (the transmit path copies it). */
  readonly scratch = new Uint8Array(16384);

  private readonly flows: TcpFlow[] = [];
  private readonly bg: Background[] = [];
  private readonly byPorts = new Map<number, TcpFlow[]>();
  private readonly layout = new FrameLayout();
  private rr = 0;
  private pumping = false;
  private pumpAgain = false;
  private doneCount = 0;
  private started = false;

  constructor(readonly clock: VirtualClock, private readonly tx: FrameTx, config: unknown, readonly tracer: Tracer = NO_TRACE) {
    this.config = parseTrafficConfig(config);
    const root = new Prng(this.config.seed);
    for (const fc of this.config.flows) {
      if (fc.kind === 'background') { this.bg.push(new Background(fc, root.fork(), this)); continue; }
      for (let i = 0; i < fc.count; i++) {
        const flow = new TcpFlow(fc, i, root.fork(), this);
        this.flows.push(flow);
        const k = flow.key.sport * 65536 + flow.key.dport;
        const list = this.byPorts.get(k);
        if (list === undefined) this.byPorts.set(k, [flow]); else list.push(flow);
      }
    }
    tx.addReadyListener(() => this.pump());
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
        for (const f of this.flows) { f.stopWriting(); if (f.acked) this.flowDone(f); }
      });
    }
    this.pump();
  }

  /** Fills the transmit queue up to its low-water mark, round robin over the flows. */
  pump(): void {
    if (this.pumping) { this.pumpAgain = true; return; }
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
    for (const b of this.bg) if (b.credit >= 1) { b.send(); return true; }
    const n = this.flows.length;
    for (let i = 0; i < n; i++) {
      const f = this.flows[(this.rr + i) % n]!;
      if (f.trySend()) { this.rr = (this.rr + i + 1) % n; return true; }
    }
    return false;
  }

  trace(what: string, reason: string, text: string): void {
    this.tracer.emit({ t: this.clock.now, layer: 'traffic', what, reason, text });
  }

  /** Called by flows for every frame they build. */
  emit(f: Uint8Array, len: number, tcp: boolean): void {
    this.stats.framesSent++;
    if (tcp) { this.stats.tcpSegments++; for (const b of this.bg) b.onTcpFrame(); }
    this.tx.transmit(f, len);
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
    const L = this.layout;
    L.parse(frame, length);
    if (!L.isTcp || (frame[L.l4Offset + TCP.FLAGS]! & TCP_FLAG.ACK) === 0 || (read16(frame, L.l3Offset + IPV4.FRAG) & (IPV4_FRAG.MF | IPV4_FRAG.OFFSET_MASK)) !== 0) {
      this.stats.hostNotTcpAck++;
      return;
    }
    const l3 = L.l3Offset, l4 = L.l4Offset;
    // The host's source port is the flow's destination port.
    const list = this.byPorts.get(read16(frame, l4 + TCP.DPORT) * 65536 + read16(frame, l4 + TCP.SPORT));
    const src = read32(frame, l3 + IPV4.SRC), dst = read32(frame, l3 + IPV4.DST);
    let flow: TcpFlow | undefined;
    if (list !== undefined) for (const f of list) if (f.key.daddr === src && f.key.saddr === dst) { flow = f; break; }
    if (flow === undefined) { this.stats.hostUnknownFlow++; return; }
    const ts = findTimestampOption(frame, l4, L.payloadOffset);
    const tsval = ts >= 0 ? read32(frame, ts + 2) : -1;
    const hasData = Math.min(L.ipEnd, length) > L.payloadOffset;
    flow.onAck(read32(frame, l4 + TCP.ACK), read16(frame, l4 + TCP.WINDOW) << flow.cfg.receiverWindowShift, hasData, tsval);
    this.pump();
  }

  /** What each TCP flow's socket must end up with (receive-direction keys: saddr is this sender). */
  expectedFlows(): FlowExpectation[] { return this.flows.map((f) => f.expectation()); }

  /** Per-flow state and counters. */
  flowReports(): FlowReport[] {
    return this.flows.map((f) => ({
      ...f.stats, key: { ...f.key }, name: flowName(f.key), kind: f.kind, isn: f.isn,
      bytes: f.total === Infinity ? -1 : f.total, ackedBytes: f.sndUna,
    }));
  }

  /** Every flow's whole stream acknowledged. */
  allAcked(): boolean { return this.flows.every((f) => f.acked); }
  /** Every flow's whole stream sent at least once (open loop). */
  allSent(): boolean { return this.flows.every((f) => f.sent); }
}

export interface PartnerSetup {
  partner: LinkPartner;
  link: Link;
  /** Present when the config has any impairment switched on. */
  impairments: Impairments | undefined;
}

/** Builds the usual chain: partner → impairments (if any) → link at config.rateGbps → `sink` (the NIC). */
export function createLinkPartner(clock: VirtualClock, sink: FrameSink, config: unknown, tracer: Tracer = NO_TRACE): PartnerSetup {
  const cfg = parseTrafficConfig(config);
  const link = new Link(clock, sink, cfg.rateGbps, { padShortFrames: cfg.padShortFrames });
  const imp = new Impairments(link, cfg.impairments, clock, cfg.seed, tracer);
  const impairments = imp.passThrough ? undefined : imp;
  const partner = new LinkPartner(clock, impairments ?? link, cfg, tracer);
  return { partner, link, impairments };
}
