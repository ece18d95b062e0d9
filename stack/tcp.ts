// TCP receive: per-flow state created on a flow's first segment (with or without SYN), in-order
// delivery to a socket that fingerprints the byte stream, an out-of-order queue, duplicate and
// overlap trimming, and ACK generation (delayed ACK every 2nd segment or on a timer, immediate
// ACKs for out-of-order and duplicate data) as real Ethernet/IPv4/TCP or Ethernet/IPv6/TCP frames back to the wire.
import { ETH, VLAN, IPV4, IPV6, TCP, TCP_FLAG, TCPOPT, IPPROTO, ETHERTYPE } from '../wire/constants.ts';
import { sumBytes, finish, fold, csumSub, ipv6PseudoHeaderSum, pseudoHeaderSumAddrs } from '../wire/checksum.ts';
import { r32, w16, w32 } from '../wire/bytes.ts';
import type { FrameLayout } from '../wire/layout.ts';
import type { VirtualClock, Timer } from '../sim/clock.ts';
import type { Cpu } from '../sim/cost.ts';
import { StreamCheck } from '../wire/stream-check.ts';
import { type FlowKey, flowHash, flowKeyAt, flowKeyHash, flowMatches, flowName } from '../wire/flow.ts';
import type { Tracer } from '../observe/trace.ts';
import type { LatencyRecorder } from '../observe/recorders.ts';
import { type SkBuff, freeSkb, CHECKSUM_NONE, CHECKSUM_COMPLETE } from './skb.ts';
import { skbChecksum } from './skb-util.ts';
import type { StackStats, StackDropReason } from './stats.ts';

/**
 * Linux starts jiffies 300 s before wrap (INITIAL_JIFFIES), so a host's TCP timestamps are never 0 in
 * practice; a clock starting at 0 would make senders echo TSecr 0, which inet_lro refuses (§2.2 rule 9).
 */
const INITIAL_JIFFIES = 0x100000000 - 300 * 1000;

/**
 * How an aggregate counts toward the "ACK every second segment" rule.
 * - 'gso_segs' (modern Linux): an skb counts as the segments it carries (gso_segs, else wireFrames),
 *   so any aggregate of two or more segments is ACKed at once. Linux's actual rule is "more than one
 *   rcv_mss of new data since the last ACK", which an aggregate always meets.
 * - 'per-packet' (what a 2007 stack effectively did with LRO aggregates): an skb counts as one, so
 *   two aggregates are needed before an ACK is sent; the sender sees far fewer ACKs.
 * Either way one ACK is sent per decision (never a burst for the segments inside an aggregate).
 */
export type AckCounting = 'gso_segs' | 'per-packet';

export type SendToWire = (frame: Uint8Array, length: number, nowNs: number) => void;

export interface TcpOptions {
  ackCounting: AckCounting;
  /** Delayed-ACK timeout (Linux TCP_DELACK_MIN: 40 ms). */
  delayedAckNs: number;
  /**
   * ACKs a new flow sends at once for every data segment before delaying (Linux's quick-ack mode at
   * connection start: rcv_wnd / (2 · rcv_mss), at most TCP_MAX_QUICKACKS 16). Out-of-order data
   * re-enters it, as tcp_data_queue does.
   */
  quickAcks: number;
  /**
   * The receiving application answers each request (data ending in PSH) at once, and its answer
   * carries the ACK: the request is acknowledged without waiting for the delayed-ACK timer, as in a
   * request/response exchange (netperf TCP_RR).
   */
  answerRequests: boolean;
  /** Window field of every ACK (no scaling is negotiated: flows may start mid-stream). */
  rcvWindow: number;
  /** Out-of-order queue limit per flow, in skbs. */
  maxOfoSkbs: number;
  /** Flow table limit: segments of further 4-tuples are dropped (tcp_flow_table_full). */
  maxFlows: number;
  /** Source MAC of ACKs. */
  hostMac: Uint8Array;
}

interface OfoEntry {
  skb: SkBuff;
  seq: number;
  end: number;
  payloadOff: number;
  payloadLen: number;
  fin: boolean;
  segs: number;
}

/** a < b in sequence space. */
const seqLt = (a: number, b: number): boolean => ((a - b) | 0) < 0;
const seqLeq = (a: number, b: number): boolean => ((a - b) | 0) <= 0;

/** One TCP connection as the receiver sees it, and its socket. */
export class TcpFlow {
  readonly name: string;
  rcvNxt: number;
  /** Out-of-order queue sorted by sequence number. */
  readonly ofo: OfoEntry[] = [];
  /** The received stream's fingerprint (compared with the sender's generator when the lab gave the socket one). */
  readonly stream = new StreamCheck();
  bytesDelivered = 0;
  /** Wire segments that reached TCP for this flow (sum of wireFrames). */
  segmentsIn = 0;
  /** Skbs that reached TCP for this flow. */
  packetsToStack = 0;
  acksSent = 0;
  dupAcksSent = 0;
  /** Timestamps seen on the flow; TS.Recent (RFC 7323) to echo. */
  usesTs = false;
  tsRecent = 0;
  /** The peer's latest acknowledgment number: our sequence number in ACKs. */
  sndNxt = 0;
  readonly peerMac = new Uint8Array(6);
  /** VLAN TCI the flow arrived with (-1: untagged); ACKs carry the same tag. */
  vlanTci = -1;
  segsSinceAck = 0;
  /** ACKs still to send at once (quick-ack mode). */
  quickAcks = 0;
  delack: Timer | null = null;
  finReceived = false;
  ipId = 0;
  /** Hash chain in the flow table. */
  nextInBucket: TcpFlow | null = null;

  constructor(
    readonly key: FlowKey,
    rcvNxt: number,
    readonly expectedIsn: number | null,
  ) {
    this.name = flowName(key);
    this.rcvNxt = rcvNxt >>> 0;
  }
}

const TS_OPT_LEN = 12; // NOP NOP TIMESTAMP(10)

export class TcpLayer {
  private readonly buckets = new Map<number, TcpFlow>();
  /** Flows in creation order (reports list them in this order). */
  readonly flowList: TcpFlow[] = [];
  private readonly ackBuf = new Uint8Array(ETH.HLEN + VLAN.HLEN + IPV6.HLEN + TCP.HLEN + TS_OPT_LEN);
  private readonly ofoFree: OfoEntry[] = [];
  private curStream: StreamCheck | null = null;
  private readonly checkChunk = (mem: Uint8Array, start: number, n: number): void => {
    this.curStream!.update(mem, start, n);
  };
  sendToWire: SendToWire | null = null;
  /** Latency samples of the delivery being traced ([ns, segments] pairs), only while a tracer listens. */
  private tracedLatency: number[] | undefined;

  constructor(
    private readonly clock: VirtualClock,
    private readonly cpu: Cpu,
    private readonly stats: StackStats,
    private readonly tracer: Tracer,
    private readonly latency: LatencyRecorder,
    readonly opts: TcpOptions,
  ) {}

  /** Creates a flow ahead of its first segment so that its stream starts at `isn` even if the first segment to arrive is a later one. */
  expectFlow(key: FlowKey, isn: number): TcpFlow {
    const f = this.lookup(key);
    if (f !== null) return f;
    return this.create(
      flowKeyAt(key.addrs, 0, key.addrs.length >>> 1, key.sport, key.dport),
      flowKeyHash(key),
      isn,
      isn,
    );
  }

  /** The flow of `key`, or null. */
  lookup(key: FlowKey): TcpFlow | null {
    return this.lookupAt(flowKeyHash(key), key.addrs, 0, key.addrs.length >>> 1, key.sport, key.dport);
  }

  /** The flow whose addresses lie at `b[addrs ..]` (source then destination, `addrLen` bytes each): compares in place. */
  private lookupAt(
    bucket: number,
    b: Uint8Array,
    addrs: number,
    addrLen: number,
    sport: number,
    dport: number,
  ): TcpFlow | null {
    for (let f = this.buckets.get(bucket) ?? null; f !== null; f = f.nextInBucket)
      if (flowMatches(f.key, b, addrs, addrLen, sport, dport)) return f;
    return null;
  }

  private create(key: FlowKey, bucket: number, rcvNxt: number, isn: number | null): TcpFlow {
    const f = new TcpFlow(key, rcvNxt, isn);
    f.quickAcks = this.opts.quickAcks;
    f.nextInBucket = this.buckets.get(bucket) ?? null;
    this.buckets.set(bucket, f);
    this.flowList.push(f);
    return f;
  }

  /**
   * tcp_v4_rcv / tcp_v6_rcv. `skb.data` is at the IP header; `L` is the packet's layout (wire/layout.ts), its offsets
   * relative to `b[base]`; IP validated it up to TCP. `netHdrSum` is the folded sum of the network headers (for
   * CHECKSUM_COMPLETE). Consumes the skb.
   */
  rcv(skb: SkBuff, L: FrameLayout, b: Uint8Array, base: number, netHdrSum: number): void {
    const st = this.stats;
    st.tcpIn++;
    this.cpu.charge('tcp_rcv');
    const l4 = L.l4,
      tcpLen = L.ipEnd - l4;
    if (L.l4HdrLen === 0) return this.drop(skb, tcpDropReason(b, base + l4, tcpLen));
    const hl = L.l4HdrLen;

    // checksum per ip_summed
    if (skb.ipSummed === CHECKSUM_NONE || skb.ipSummed === CHECKSUM_COMPLETE) {
      let segSum: number;
      if (skb.ipSummed === CHECKSUM_NONE) {
        segSum = skbChecksum(skb, l4, tcpLen);
        this.cpu.charge('csum_byte', tcpLen);
        st.swCsumSkbs++;
        st.swCsumBytes += tcpLen;
      } else {
        segSum = csumSub(fold(skb.csum), netHdrSum);
      }
      const src = base + L.srcOff;
      const pseudo = L.isIpv6
        ? ipv6PseudoHeaderSum(b, src, src + 16, IPPROTO.TCP, tcpLen)
        : pseudoHeaderSumAddrs(L.saddr, L.daddr, IPPROTO.TCP, tcpLen);
      if (fold(segSum + pseudo) !== 0xffff) return this.drop(skb, 'tcp_csum_errors');
    }

    const th = base + l4;
    const sport = L.sport,
      dport = L.dport;
    const seq = r32(b, th + TCP.SEQ),
      ack = r32(b, th + TCP.ACK);
    const flags = b[th + TCP.FLAGS]!;
    const syn = (flags & TCP_FLAG.SYN) !== 0;
    const addrs = base + L.srcOff,
      addrLen = L.addrLen;
    const bucket = flowHash(b, addrs, addrLen, sport, dport);
    let flow = this.lookupAt(bucket, b, addrs, addrLen, sport, dport);
    if (flow === null) {
      if (this.flowList.length >= this.opts.maxFlows) return this.drop(skb, 'tcp_flow_table_full');
      flow = this.create(flowKeyAt(b, addrs, addrLen, sport, dport), bucket, syn ? seq + 1 : seq, null);
    }
    flow.packetsToStack++;
    const segs = segsOf(skb);
    flow.segmentsIn += skb.wireFrames;
    if (skb.macHeader >= 0) for (let i = 0; i < 6; i++) flow.peerMac[i] = skb.buf[skb.macHeader + ETH.SRC + i]!;
    flow.vlanTci = skb.vlanPresent ? skb.vlanTci : -1;
    if (flags & TCP_FLAG.ACK) flow.sndNxt = ack;
    if (flags & TCP_FLAG.RST) return this.drop(skb, 'tcp_rst');
    if (syn) st.tcpSyn++;

    // timestamps, as the layout's one option walker found them (anywhere in the options); a timestamp seen before a
    // malformed option still counts, as the kernel's parser keeps it
    const tsAt = hl > TCP.HLEN ? L.tcpOptions.timestamp : -1;
    const hasTs = tsAt >= 0,
      tsval = hasTs ? r32(b, tsAt + 2) : 0;
    if (hasTs) flow.usesTs = true;

    const payloadOff = L.payload;
    const payloadLen = L.payloadLen;
    const fin = (flags & TCP_FLAG.FIN) !== 0;
    const dataSeq = (seq + (syn ? 1 : 0)) >>> 0;
    const end = (dataSeq + payloadLen + (fin ? 1 : 0)) >>> 0;

    if (payloadLen === 0 && !fin) {
      st.tcpPureAcks++;
      if (syn && seqLt(flow.rcvNxt, end)) flow.rcvNxt = end;
      freeSkb(skb);
      return;
    }
    const now = this.cpu.now;
    if (seqLeq(end, flow.rcvNxt)) {
      // nothing new: a retransmission or duplicate
      this.drop(skb, 'tcp_duplicate');
      this.sendAck(flow, 'dup');
      return;
    }
    if (seqLt(flow.rcvNxt, dataSeq)) {
      st.tcpOutOfOrder++;
      if (this.tracer.enabled)
        this.tracer.emit({
          t: now,
          layer: 'tcp',
          what: 'ofo',
          reason: 'out_of_order',
          text: `${flow.name} seq ${dataSeq} queued out of order: expected ${flow.rcvNxt} (${payloadLen} bytes, ${segs} segs)`,
          queue: skb.queue,
          frame: skb.frameId,
        });
      this.queueOfo(flow, skb, dataSeq, end, payloadOff, payloadLen, fin, segs);
      flow.quickAcks = this.opts.quickAcks;
      this.sendAck(flow, 'dup');
      return;
    }
    // in order (possibly starting before rcv_nxt: trim the overlap)
    st.tcpInOrder++;
    if (seqLt(dataSeq, flow.rcvNxt)) st.tcpPartialOverlap++;
    if (hasTs) flow.tsRecent = tsval;
    const traceFrame = skb.frameId,
      traceQueue = skb.queue,
      rcvFrom = flow.rcvNxt; // copyToSocket frees the skb
    this.copyToSocket(flow, skb, dataSeq, payloadOff, payloadLen, fin, segs);
    const drained = this.drainOfo(flow);
    flow.segsSinceAck += this.opts.ackCounting === 'gso_segs' ? segs : 1;
    if (this.tracer.enabled) {
      const latency = this.tracedLatency;
      this.tracedLatency = undefined;
      this.tracer.emit({
        t: now,
        layer: 'tcp',
        what: 'deliver',
        text: `${flow.name} rcv_nxt ${flow.rcvNxt} (${payloadLen} bytes, ${segs} segs)`,
        queue: traceQueue,
        frame: traceFrame,
        bytes: (flow.rcvNxt - rcvFrom) >>> 0,
        ...(latency !== undefined ? { latency } : {}),
      });
    }
    if (fin || drained || flow.ofo.length > 0) this.sendAck(flow, 'now');
    else if (flow.quickAcks > 0) {
      flow.quickAcks--;
      this.sendAck(flow, 'quick');
    } else if (this.opts.answerRequests && (flags & TCP_FLAG.PSH) !== 0) this.sendAck(flow, 'answer');
    else if (flow.segsSinceAck >= 2) this.sendAck(flow, 'now');
    else this.armDelack(flow);
  }

  /** Copies the new bytes of a segment to the socket, advances rcv_nxt, frees the skb. */
  private copyToSocket(
    flow: TcpFlow,
    skb: SkBuff,
    dataSeq: number,
    payloadOff: number,
    payloadLen: number,
    fin: boolean,
    segs: number,
  ): void {
    const skip = (flow.rcvNxt - dataSeq) >>> 0;
    const n = payloadLen - skip;
    if (n > 0) {
      this.curStream = flow.stream;
      skb.forEachChunk(payloadOff + skip, n, this.checkChunk);
      this.curStream = null;
      this.cpu.charge('copy_byte', n);
      flow.bytesDelivered += n;
      this.stats.bytesDelivered += n;
      flow.rcvNxt = (flow.rcvNxt + n) >>> 0;
      this.latency.record(this.cpu.now - skb.arrivalNs, segs);
      if (this.tracer.enabled) (this.tracedLatency ??= []).push(this.cpu.now - skb.arrivalNs, segs);
    }
    if (fin && !flow.finReceived) {
      flow.finReceived = true;
      flow.rcvNxt = (flow.rcvNxt + 1) >>> 0;
      this.stats.tcpFin++;
    }
    this.stats.tcpDataDelivered++;
    freeSkb(skb);
  }

  private queueOfo(
    flow: TcpFlow,
    skb: SkBuff,
    seq: number,
    end: number,
    payloadOff: number,
    payloadLen: number,
    fin: boolean,
    segs: number,
  ): void {
    const q = flow.ofo;
    let i = q.length;
    while (i > 0 && seqLt(seq, q[i - 1]!.seq)) i--;
    // already covered by a queued segment?
    for (let j = 0; j < q.length; j++) {
      const e = q[j]!;
      if (seqLeq(e.seq, seq) && seqLeq(end, e.end)) return this.drop(skb, 'tcp_ofo_duplicate');
      if (seqLt(seq, e.seq)) break;
    }
    if (q.length >= this.opts.maxOfoSkbs) return this.drop(skb, 'tcp_ofo_overflow');
    const e = this.ofoFree.pop() ?? { skb, seq: 0, end: 0, payloadOff: 0, payloadLen: 0, fin: false, segs: 0 };
    e.skb = skb;
    e.seq = seq;
    e.end = end;
    e.payloadOff = payloadOff;
    e.payloadLen = payloadLen;
    e.fin = fin;
    e.segs = segs;
    q.splice(i, 0, e);
  }

  /** Copies queued segments that have become in order to the socket; true if any carried new data. */
  private drainOfo(flow: TcpFlow): boolean {
    const q = flow.ofo;
    let delivered = false;
    while (q.length > 0 && seqLeq(q[0]!.seq, flow.rcvNxt)) {
      const e = q.shift()!;
      if (seqLeq(e.end, flow.rcvNxt)) this.drop(e.skb, 'tcp_ofo_superseded');
      else {
        this.copyToSocket(flow, e.skb, e.seq, e.payloadOff, e.payloadLen, e.fin, e.segs);
        delivered = true;
      }
      e.skb = null as unknown as SkBuff;
      this.ofoFree.push(e);
    }
    return delivered;
  }

  private armDelack(flow: TcpFlow): void {
    if (flow.delack !== null) return;
    flow.delack = this.clock.at(Math.ceil(this.cpu.now + this.opts.delayedAckNs), () => {
      flow.delack = null;
      if (flow.segsSinceAck > 0) this.sendAck(flow, 'delayed');
    });
  }

  /** Builds and sends one ACK for the flow (cumulative, rcv_nxt), echoing TS.Recent when the flow uses timestamps. */
  sendAck(flow: TcpFlow, why: 'now' | 'quick' | 'answer' | 'dup' | 'delayed'): void {
    this.cpu.charge('ack_build');
    if (flow.delack !== null) {
      flow.delack.cancel();
      flow.delack = null;
    }
    flow.segsSinceAck = 0;
    flow.acksSent++;
    this.stats.acksSent++;
    if (why === 'dup') {
      flow.dupAcksSent++;
      this.stats.dupAcksSent++;
    } else if (why === 'delayed') this.stats.delayedAcksSent++;
    else if (why === 'quick') this.stats.quickAcksSent++;
    const len = this.buildAck(flow);
    const now = this.cpu.now;
    if (this.tracer.enabled)
      this.tracer.emit({
        t: now,
        layer: 'tcp',
        what: 'ack',
        reason: why,
        text: `${flow.name} ACK ${flow.rcvNxt} (${why})`,
      });
    if (this.sendToWire !== null) this.sendToWire(this.ackBuf, len, now);
  }

  private buildAck(flow: TcpFlow): number {
    const b = this.ackBuf;
    const k = flow.key;
    b.set(flow.peerMac, ETH.DST);
    b.set(this.opts.hostMac, ETH.SRC);
    let o = ETH.TYPE;
    if (flow.vlanTci >= 0) {
      w16(b, o, ETHERTYPE.VLAN);
      w16(b, o + 2, flow.vlanTci);
      o += VLAN.HLEN;
    }
    const ip = o + 2;
    const optLen = flow.usesTs ? TS_OPT_LEN : 0;
    const tcpLen = TCP.HLEN + optLen;
    // the addresses reversed: the ACK goes from the flow's destination (this host) to its source
    const n = k.addrs.length >>> 1;
    let t: number, addrAt: number;
    if (k.family === 6) {
      w16(b, o, ETHERTYPE.IPV6);
      w32(b, ip + IPV6.VER_TC_FL, 0x60000000);
      w16(b, ip + IPV6.PAYLOAD_LEN, tcpLen);
      b[ip + IPV6.NEXT_HDR] = IPPROTO.TCP;
      b[ip + IPV6.HOP_LIMIT] = 64;
      addrAt = ip + IPV6.SRC;
      t = ip + IPV6.HLEN;
    } else {
      w16(b, o, ETHERTYPE.IPV4);
      b[ip + IPV4.VER_IHL] = 0x45;
      b[ip + IPV4.TOS] = 0;
      w16(b, ip + IPV4.TOT_LEN, IPV4.HLEN + tcpLen);
      w16(b, ip + IPV4.ID, flow.ipId);
      flow.ipId = (flow.ipId + 1) & 0xffff;
      w16(b, ip + IPV4.FRAG, 0x4000);
      b[ip + IPV4.TTL] = 64;
      b[ip + IPV4.PROTO] = IPPROTO.TCP;
      w16(b, ip + IPV4.CSUM, 0);
      addrAt = ip + IPV4.SRC;
      t = ip + IPV4.HLEN;
    }
    // the flow's addresses swapped, byte by byte: two subarray views per ACK were most of the stack's garbage
    const addrs = k.addrs;
    for (let i = 0; i < n; i++) {
      b[addrAt + i] = addrs[n + i]!;
      b[addrAt + n + i] = addrs[i]!;
    }
    if (k.family === 4) w16(b, ip + IPV4.CSUM, finish(sumBytes(b, ip, IPV4.HLEN)));
    w16(b, t + TCP.SPORT, k.dport);
    w16(b, t + TCP.DPORT, k.sport);
    w32(b, t + TCP.SEQ, flow.sndNxt);
    w32(b, t + TCP.ACK, flow.rcvNxt);
    b[t + TCP.DOFF] = (tcpLen / 4) << 4;
    b[t + TCP.FLAGS] = TCP_FLAG.ACK;
    w16(b, t + TCP.WINDOW, this.opts.rcvWindow);
    w16(b, t + TCP.CSUM, 0);
    w16(b, t + TCP.URP, 0);
    if (flow.usesTs) {
      const x = t + TCP.HLEN;
      b[x] = TCPOPT.NOP;
      b[x + 1] = TCPOPT.NOP;
      b[x + 2] = TCPOPT.TIMESTAMP;
      b[x + 3] = 10;
      w32(b, x + 4, (INITIAL_JIFFIES + Math.floor(this.cpu.now / 1e6)) >>> 0); // TSval: jiffies at HZ=1000
      w32(b, x + 8, flow.tsRecent);
    }
    // the pseudo-header: both addresses, the protocol and the TCP length (one formula for IPv4 and IPv6 below 64 KiB)
    w16(b, t + TCP.CSUM, finish(sumBytes(b, t, tcpLen, sumBytes(b, addrAt, 2 * n, IPPROTO.TCP + tcpLen))));
    return t + tcpLen;
  }

  private drop(skb: SkBuff, reason: StackDropReason): void {
    this.stats.drops[reason]++;
    if (this.tracer.enabled)
      this.tracer.emit({
        t: this.cpu.now,
        layer: 'tcp',
        what: 'drop',
        reason,
        text: `tcp drop: ${reason}`,
        queue: skb.queue,
        frame: skb.frameId,
      });
    freeSkb(skb);
  }

  /**
   * Memory pressure (tcp_prune_queue → tcp_prune_ofo_queue in Linux): purges every out-of-order queue,
   * freeing the receive buffers those skbs pin; the senders retransmit. Returns the skbs dropped.
   */
  pruneOfo(): number {
    let n = 0;
    for (const f of this.flowList) {
      while (f.ofo.length > 0) {
        const e = f.ofo.pop()!;
        this.drop(e.skb, 'tcp_ofo_pruned');
        e.skb = null as unknown as SkBuff;
        this.ofoFree.push(e);
        n++;
      }
    }
    return n;
  }

  /** Skbs held in out-of-order queues (not yet delivered nor dropped). */
  get ofoHeld(): number {
    let n = 0;
    for (const f of this.flowList) n += f.ofo.length;
    return n;
  }
}

/** Segments an skb carries: gso_segs when set (GRO), else the wire frames merged (LRO sets no gso_segs). */
export function segsOf(skb: SkBuff): number {
  return skb.gsoSegs > 0 ? skb.gsoSegs : skb.wireFrames > 0 ? skb.wireFrames : 1;
}

/** Why a TCP header the layout did not accept is dropped (its bytes at `b[th]`, `tcpLen` bytes of segment). */
function tcpDropReason(b: Uint8Array, th: number, tcpLen: number): StackDropReason {
  if (tcpLen < TCP.HLEN) return 'tcp_hdr_short';
  return b[th + TCP.DOFF]! >>> 4 < 5 ? 'tcp_bad_doff' : 'tcp_hdr_short';
}
