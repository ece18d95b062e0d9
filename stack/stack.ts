// The mock kernel's receive side: NAPI scheduling and the NET_RX softirq, the netif_rx backlog,
// the four RxSink entry points (with software VLAN untagging), IPv4 input, and the hand-off to TCP.
// All work is charged to the CPU cost model, so it happens at virtual times the CPU's speed allows.
import { IPPROTO, IPV6, VLAN } from '../wire/constants.ts';
import type { LayoutRefusal } from '../wire/layout.ts';
import { sumBytes, fold, csumSub } from '../wire/checksum.ts';
import { parseMac } from '../wire/address.ts';
import { IP_LENGTH_FIELD_MAX } from '../wire/big-tcp.ts';
import type { VirtualClock } from '../sim/clock.ts';
import { Cpu, DEFAULT_COST_PROFILE } from '../sim/cost.ts';
import { NO_TRACE, type Tracer } from '../observe/trace.ts';
import { LatencyRecorder, OccupancySampler } from '../observe/recorders.ts';
import type { FlowExpectation, FlowKey } from '../wire/flow.ts';
import { flowName } from '../wire/flow.ts';
import { StreamHash } from '../wire/stream-hash.ts';
import { lazyProperty, referenceOf, type StreamReference } from '../wire/stream-check.ts';
import {
  type SkBuff,
  freeSkb,
  ethTypeTrans,
  CHECKSUM_NONE,
  CHECKSUM_COMPLETE,
  CHECKSUM_UNNECESSARY,
  CHECKSUM_PARTIAL,
  ETH_P_IP,
  ETH_P_IPV6,
  ETH_P_8021Q,
  ETH_P_8021AD,
  SKB_GSO_TCPV4,
  SKB_GSO_TCPV6,
} from './skb.ts';
import type { EngineWatch, RxSink } from './rx-sink.ts';
import { HeaderAccess, restoreExtractedProtocol, skbTrim } from './skb-util.ts';
import { SkbLayout } from './packet-layout.ts';
import { JIFFY_NS, NapiStruct, NAPI_WEIGHT, type NapiPollFn, type NapiWatch } from './napi.ts';
import { NetDevice, type NetDeviceOptions } from './netdev.ts';
import { StackStats, type StackDropReason } from './stats.ts';
import { TcpLayer, type AckCounting, type SendToWire, type TcpFlow } from './tcp.ts';

export interface StackOptions {
  clock: VirtualClock;
  /** The core everything is charged to (default: a new Cpu with DEFAULT_COST_PROFILE). */
  cpu?: Cpu;
  tracer?: Tracer;
  /** Where ACK frames go (the link partner's receiveFromHost). May also be set later with `stack.sendToWire = …`. */
  sendToWire?: SendToWire;
  /** net_rx_action's packet budget per run (netdev_budget, 300). */
  netdevBudget?: number;
  /**
   * gro_flush_timeout, ns (0: off): a completion that did work arms the NAPI hrtimer instead of flushing GRO (only
   * packets older than a jiffy go up); the timer re-polls.
   */
  groFlushTimeoutNs?: number;
  /** napi_defer_hard_irqs (0: off): with a gro_flush_timeout, this many completions in a row leave the interrupt masked. */
  deferHardIrqs?: number;
  /** net_rx_action's time limit per run, ns (2.6.24: 2 jiffies; default 2 ms = netdev_budget_usecs). */
  softirqTimeLimitNs?: number;
  /** Backlog queue limit (netdev_max_backlog, 1000). As in 2.6.24, a packet is queued while qlen ≤ this. */
  netdevMaxBacklog?: number;
  /** process_backlog's weight (weight_p, 64). */
  backlogWeight?: number;
  ackCounting?: AckCounting;
  /** Delayed-ACK timeout, ns (40 ms). */
  delayedAckNs?: number;
  /** Quick ACKs at a flow's start and after out-of-order data (default 16, Linux TCP_MAX_QUICKACKS). */
  quickAcks?: number;
  /** The application answers each PSH-terminated request at once (its answer carries the ACK). */
  answerRequests?: boolean;
  /** Window field of ACKs (65535). */
  rcvWindow?: number;
  /** Out-of-order queue limit per flow, skbs (10000). */
  maxOfoSkbs?: number;
  /** Flow table limit (262144, ~1.1 KB each): segments of further 4-tuples are dropped as tcp_flow_table_full. */
  maxFlows?: number;
  /** Source MAC of ACKs when no device is registered (02:00:00:00:00:02). */
  hostMac?: string;
  /** Latency samples kept exactly before decimation (2^21). */
  latencyMaxEntries?: number;
  /** Ring occupancy points per queue (1024). */
  occupancyMaxPoints?: number;
}

/** Per-flow result of a run (what the socket got). */
export interface FlowResult {
  key: FlowKey;
  name: string;
  bytesDelivered: number;
  digest: string;
  /** Wire segments that reached TCP (sum of wireFrames). */
  segmentsIn: number;
  /** Skbs that reached TCP. */
  packetsToStack: number;
  acksSent: number;
}

export interface FlowVerdict extends FlowResult {
  expectedBytes: number;
  expectedDigest: string;
  byteStreamOk: boolean;
  /** When the stream fell short: the stream offset (from the ISN) of the first byte that never arrived, and how many bytes from there are missing before the next data the socket holds (or the stream's end). */
  missing?: { at: number; bytes: number };
}

export interface VerifyResult {
  /** One per expectation, in expectation order (missing flows have bytesDelivered 0 and byteStreamOk false). */
  flows: FlowVerdict[];
  /** Expected flows the stack never saw. */
  missingFlows: string[];
  /** Flows that reached TCP with data but were not expected. */
  unexpectedFlows: string[];
  bytesDelivered: number;
  /** Bytes delivered on flows whose stream verified. */
  bytesVerified: number;
  allOk: boolean;
}

/** Hard IRQ entry point handed to a NIC model: charges the interrupt and runs the driver's handler. */
export type IrqEntry = (queue?: number) => void;

export class Stack implements RxSink {
  readonly clock: VirtualClock;
  readonly cpu: Cpu;
  readonly tracer: Tracer;
  readonly stats = new StackStats();
  readonly latency: LatencyRecorder;
  readonly occupancy: OccupancySampler;
  readonly tcp: TcpLayer;
  readonly devices: NetDevice[] = [];
  readonly napis: NapiStruct[] = [];
  readonly netdevBudget: number;
  readonly groFlushTimeoutNs: number;
  readonly deferHardIrqs: number;
  readonly softirqTimeLimitNs: number;
  readonly netdevMaxBacklog: number;
  /** Watches every driver poll and completion (`vnic test-driver`); null: nobody watches. */
  napiWatch: NapiWatch | null = null;
  /** Watches what LRO accepts (`vnic test-driver`); null: nobody watches. */
  engineWatch: EngineWatch | null = null;

  private readonly pollList: NapiStruct[] = [];
  private softirqPending = false;
  private inSoftirq = false;
  private budgetLeft = 0;
  private softirqStart = 0;
  private readonly continueSoftirq = (): void => this.netRxLoop();
  private readonly runSoftirq = (): void => this.netRxAction();

  private readonly backlog: (SkBuff | null)[];
  private backlogHead = 0;
  private backlogLen = 0;
  /** The per-CPU backlog's pseudo-NAPI context (process_backlog). */
  readonly backlogNapi: NapiStruct;

  private readonly iph = new HeaderAccess(64);
  private readonly pkt = new SkbLayout();

  constructor(opts: StackOptions) {
    this.clock = opts.clock;
    this.cpu = opts.cpu ?? new Cpu(opts.clock, DEFAULT_COST_PROFILE);
    this.tracer = opts.tracer ?? NO_TRACE;
    this.netdevBudget = positiveInt(opts.netdevBudget ?? 300, 'netdevBudget');
    this.groFlushTimeoutNs = nonNegativeInt(opts.groFlushTimeoutNs ?? 0, 'groFlushTimeoutNs');
    this.deferHardIrqs = nonNegativeInt(opts.deferHardIrqs ?? 0, 'deferHardIrqs');
    this.softirqTimeLimitNs = opts.softirqTimeLimitNs ?? 2_000_000;
    this.netdevMaxBacklog = positiveInt(opts.netdevMaxBacklog ?? 1000, 'netdevMaxBacklog');
    this.latency = new LatencyRecorder(opts.latencyMaxEntries);
    this.occupancy = new OccupancySampler(opts.occupancyMaxPoints);
    this.backlog = new Array<SkBuff | null>(this.netdevMaxBacklog + 1).fill(null);
    this.backlogNapi = new NapiStruct(
      'process_backlog',
      (n, budget) => this.processBacklog(n, budget),
      positiveInt(opts.backlogWeight ?? NAPI_WEIGHT, 'backlogWeight'),
    );
    this.tcp = new TcpLayer(this.clock, this.cpu, this.stats, this.tracer, this.latency, {
      ackCounting: opts.ackCounting ?? 'gso_segs',
      delayedAckNs: opts.delayedAckNs ?? 40_000_000,
      quickAcks: opts.quickAcks ?? 16,
      answerRequests: opts.answerRequests ?? false,
      rcvWindow: opts.rcvWindow ?? 65535,
      maxOfoSkbs: opts.maxOfoSkbs ?? 10_000,
      maxFlows: positiveInt(opts.maxFlows ?? 262_144, 'maxFlows'),
      hostMac: parseMac(opts.hostMac ?? '02:00:00:00:00:02'),
    });
    if (opts.sendToWire) this.tcp.sendToWire = opts.sendToWire;
  }

  get sendToWire(): SendToWire | null {
    return this.tcp.sendToWire;
  }
  set sendToWire(fn: SendToWire | null) {
    this.tcp.sendToWire = fn;
  }

  // ───────────── devices, IRQs, NAPI ─────────────

  /** register_netdev: adds a device (the first one's MAC becomes the source MAC of ACKs). */
  registerNetdev(dev: NetDevice | NetDeviceOptions): NetDevice {
    const d = dev instanceof NetDevice ? dev : new NetDevice(dev);
    if (this.devices.length === 0) this.tcp.opts.hostMac.set(d.mac);
    this.devices.push(d);
    return d;
  }

  /** netif_napi_add: a NAPI context whose `poll(napi, budget)` the softirq will call. */
  napiAdd(name: string, poll: NapiPollFn, weight = NAPI_WEIGHT, queue = 0): NapiStruct {
    const n = new NapiStruct(name, poll, weight, queue);
    this.napis.push(n);
    return n;
  }

  /**
   * request_irq: returns the function the device calls to raise the interrupt. Each call charges an
   * `interrupt` to the CPU, counts it, and runs the driver's handler (which typically masks the
   * device's interrupt and calls napiSchedule). Fits hw-models' IrqHandler: `line.handler = stack.requestIrq(…)`.
   */
  requestIrq(name: string, handler: (queue: number) => void): IrqEntry {
    return (queue = 0) => {
      this.cpu.charge('interrupt');
      this.stats.interrupts++;
      if (this.tracer.enabled)
        this.tracer.emit({ t: this.clock.now, layer: 'napi', what: 'irq', text: `interrupt ${name}`, queue });
      handler(queue);
    };
  }

  /** napi_schedule: puts the context on the poll list and raises NET_RX_SOFTIRQ. False if it was already scheduled. */
  napiSchedule(napi: NapiStruct): boolean {
    if (napi.scheduled) return false;
    napi.scheduled = true;
    this.pollList.push(napi);
    this.raiseSoftirq();
    return true;
  }

  /**
   * napi_complete_done: flushes the context's GRO hooks and takes it off the poll list. Returns whether the driver
   * may re-enable its interrupt (it does so itself). Given the poll's `work`, it applies gro_flush_timeout and
   * napi_defer_hard_irqs as Linux 6.x does: work done resets the deferral count; while the count lasts (and a timeout
   * is set) the completion returns false, the interrupt stays masked and the hrtimer re-polls; with a timeout GRO
   * flushes only packets older than a jiffy, the rest stay held across the poll. Without `work` (older drivers):
   * a full flush, and true.
   */
  napiComplete(napi: NapiStruct, work?: number): boolean {
    if (!napi.scheduled) return true;
    let timeout = 0,
      irqOk = true;
    if (work !== undefined && napi !== this.backlogNapi) {
      if (work > 0) {
        if (napi.gro !== null) timeout = this.groFlushTimeoutNs;
        napi.deferHardIrqsCount = this.deferHardIrqs;
      }
      if (napi.deferHardIrqsCount > 0) {
        napi.deferHardIrqsCount--;
        timeout = this.groFlushTimeoutNs;
        if (timeout > 0) irqOk = false;
      }
    }
    // napi_gro_flush(napi, flush_old = timeout != 0): "old" is held since an earlier jiffy
    napi.runCompleteHooks(timeout > 0 ? Math.floor(this.clock.now / JIFFY_NS) * JIFFY_NS : undefined);
    napi.heldAcrossComplete = timeout > 0 && napi.gro !== null ? napi.gro.heldPackets : 0;
    napi.irqDeferred = !irqOk;
    if (this.napiWatch !== null && napi !== this.backlogNapi) this.napiWatch.completing(napi);
    const i = this.pollList.indexOf(napi);
    if (i >= 0) this.pollList.splice(i, 1);
    napi.scheduled = false;
    napi.completions++;
    this.stats.napiCompletions++;
    if (timeout > 0) this.armNapiTimer(napi, timeout);
    return irqOk;
  }

  /** hrtimer_start of the NAPI timer (napi_watchdog): at expiry the context is scheduled again, without an interrupt. */
  private armNapiTimer(napi: NapiStruct, timeoutNs: number): void {
    const st = this.stats;
    st.groTimerArmed++;
    st.groHeldAcrossPoll += napi.heldAcrossComplete;
    if (napi.irqDeferred) st.irqDeferred++;
    const gen = ++napi.timerGeneration;
    if (this.tracer.enabled)
      this.tracer.emit({
        t: this.clock.now,
        layer: 'napi',
        what: 'gro-timer',
        text: `${napi.name} completed: gro_flush_timeout timer armed for ${timeoutNs / 1000} µs, ${napi.heldAcrossComplete} GRO packet(s) held across the poll, ${napi.irqDeferred ? `interrupt left masked (napi_defer_hard_irqs: ${napi.deferHardIrqsCount} more)` : 'interrupt re-enabled'}`,
        queue: napi.queue,
      });
    this.clock.at(this.clock.now + timeoutNs, () => {
      if (gen !== napi.timerGeneration || napi.scheduled) return;
      st.groTimerFired++;
      if (this.tracer.enabled)
        this.tracer.emit({
          t: this.clock.now,
          layer: 'napi',
          what: 'gro-timer',
          text: `${napi.name}: gro_flush_timeout timer fired, polled again without an interrupt`,
          queue: napi.queue,
        });
      this.napiSchedule(napi);
    });
  }

  /** True while a softirq run is in progress (between polls it may be waiting for the CPU). */
  get softirqActive(): boolean {
    return this.inSoftirq || this.softirqPending;
  }

  private raiseSoftirq(): void {
    if (this.inSoftirq || this.softirqPending) return;
    this.softirqPending = true;
    this.clock.at(Math.ceil(this.cpu.now), this.runSoftirq);
  }

  /** net_rx_action: one softirq run with a fresh budget. */
  private netRxAction(): void {
    this.softirqPending = false;
    this.inSoftirq = true;
    this.budgetLeft = this.netdevBudget;
    this.cpu.charge('softirq');
    this.softirqStart = this.cpu.now;
    this.stats.softirqRuns++;
    this.netRxLoop();
  }

  /**
   * The body of net_rx_action. After each poll that took CPU time the loop yields to the clock and
   * continues when the CPU has done that work, so devices see the passage of time between polls.
   */
  private netRxLoop(): void {
    const list = this.pollList;
    while (list.length > 0) {
      if (this.budgetLeft <= 0 || this.cpu.now - this.softirqStart > this.softirqTimeLimitNs) {
        // softnet_break: out of budget or time; run again later (ksoftirqd)
        this.stats.timeSqueeze++;
        this.inSoftirq = false;
        if (this.tracer.enabled)
          this.tracer.emit({
            t: this.cpu.now,
            layer: 'napi',
            what: 'squeeze',
            reason: 'time_squeeze',
            text: `net_rx_action re-raised with ${list.length} contexts listed`,
          });
        this.raiseSoftirq();
        return;
      }
      const n = list[0]!;
      this.cpu.charge('napi_poll');
      const weight = n.weight;
      const watch = n === this.backlogNapi ? null : this.napiWatch;
      if (watch !== null) watch.beforePoll(n, weight);
      const work = n.poll(n, weight);
      if (watch !== null) watch.afterPoll(n, weight, work);
      n.polls++;
      n.work += work;
      this.stats.napiPolls++;
      this.stats.napiWork += work;
      this.budgetLeft -= work;
      if (this.tracer.enabled)
        this.tracer.emit({
          t: this.cpu.now,
          layer: 'napi',
          what: 'poll',
          text: `${n.name} polled: ${work}/${weight}`,
          queue: n.queue,
          work,
          budget: weight,
        });
      if (work > weight) this.stats.napiWorkOverWeight++;
      if (work >= weight) {
        if (n.scheduled) {
          // still has work: to the tail, polled again in this run if budget allows
          n.runRepollHooks();
          const i = list.indexOf(n);
          if (i >= 0) {
            list.splice(i, 1);
            list.push(n);
          }
        } else this.stats.napiCompleteAtWeight++;
      }
      // a context that returned less than its weight without completing stays at the head (as in 2.6.24)
      if (this.cpu.busyUntil > this.clock.now) {
        this.clock.at(Math.ceil(this.cpu.busyUntil), this.continueSoftirq);
        return;
      }
    }
    this.inSoftirq = false;
  }

  // ───────────── RxSink entry points ─────────────

  netifReceiveSkb(skb: SkBuff): void {
    this.stats.netifReceiveSkb++;
    this.countIn(skb);
    this.receive(skb);
  }

  netifRx(skb: SkBuff): void {
    this.stats.netifRx++;
    this.countIn(skb);
    this.enqueueBacklog(skb);
  }

  vlanHwaccelReceiveSkb(skb: SkBuff, vlanTag: number): void {
    this.hwaccelTag(skb, vlanTag);
    this.netifReceiveSkb(skb);
  }

  vlanHwaccelRx(skb: SkBuff, vlanTag: number): void {
    this.hwaccelTag(skb, vlanTag);
    this.netifRx(skb);
  }

  /**
   * Records a tag the NIC took out of the frame. A NIC that extracts the tag but leaves the
   * EtherType reading 0x8100 (eHEA, the LRO_F_EXTRACT_VLAN_ID case) has no in-band tag left to
   * strip: the network header follows the MAC header, so the protocol is read from it.
   */
  private hwaccelTag(skb: SkBuff, vlanTag: number): void {
    this.stats.vlanHwaccel++;
    skb.vlanPresent = true;
    skb.vlanTci = vlanTag & 0xffff;
    if (restoreExtractedProtocol(skb)) this.stats.vlanExtractedInPlace++;
  }

  /**
   * A receive hook, where tcpdump's packet socket sits (ptype_all): sees every skb as __netif_receive_skb gets it (after
   * NAPI/backlog, before IP), MAC header included. It must not keep or change the skb.
   */
  onNetifReceive: ((skb: SkBuff) => void) | null = null;

  /**
   * rx_handler, when the device is a bridge port (stack/bridge.ts): sees every skb after the taps, before VLAN and IP,
   * and returns true when it took it (bridged or dropped), false to pass it up to the host's own stack.
   */
  rxHandler: ((skb: SkBuff) => boolean) | null = null;

  /**
   * ip_forward, when the host routes (stack/forward.ts): sees every valid IPv4 packet after ip_rcv's
   * checks and returns true when it took it (forwarded or dropped), false to deliver it locally.
   */
  ipForward: ((skb: SkBuff, ihl: number, totLen: number, daddr: number) => boolean) | null = null;

  /** ip6_forward, the same for IPv6: `hdrLen` covers the fixed header and its extension headers, `pktLen` the packet. */
  ip6Forward: ((skb: SkBuff, hdrLen: number, pktLen: number) => boolean) | null = null;

  /** netif_rx: queue on the backlog (dropping past netdev_max_backlog) and schedule process_backlog. */
  private enqueueBacklog(skb: SkBuff): void {
    this.cpu.charge('netif_rx');
    if (this.backlogLen > this.netdevMaxBacklog) {
      this.drop(skb, 'backlog_drop', 'napi');
      return;
    }
    const cap = this.backlog.length;
    this.backlog[(this.backlogHead + this.backlogLen) % cap] = skb;
    this.backlogLen++;
    this.napiSchedule(this.backlogNapi);
  }

  /** Skbs waiting in the backlog. */
  get backlogQueued(): number {
    return this.backlogLen;
  }

  private processBacklog(napi: NapiStruct, budget: number): number {
    let work = 0;
    const cap = this.backlog.length;
    while (work < budget && this.backlogLen > 0) {
      const skb = this.backlog[this.backlogHead]!;
      this.backlog[this.backlogHead] = null;
      this.backlogHead = (this.backlogHead + 1) % cap;
      this.backlogLen--;
      this.receive(skb);
      work++;
    }
    if (this.backlogLen === 0) this.napiComplete(napi);
    return work;
  }

  private countIn(skb: SkBuff): void {
    this.stats.skbsIn++;
    this.stats.wireFramesIn += skb.wireFrames;
  }

  /** __netif_receive_skb: software VLAN untag, then by protocol. */
  private receive(skb: SkBuff): void {
    if (skb.macHeader < 0) ethTypeTrans(skb);
    if (this.onNetifReceive !== null) this.onNetifReceive(skb);
    if (this.rxHandler?.(skb)) return;
    // in-band tags: strip them (the outermost becomes the skb's tag unless the NIC already gave one)
    while (skb.protocol === ETH_P_8021Q || skb.protocol === ETH_P_8021AD) {
      if (!this.iph.peek(skb, 0, VLAN.HLEN)) return this.drop(skb, 'vlan_hdr_short', 'stack');
      // eth_type_trans consumed the TPID as the EtherType: the data starts at the TCI
      const tci = this.iph.u16(VLAN.TCI - VLAN.TCI),
        inner = this.iph.u16(VLAN.TYPE - VLAN.TCI);
      if (skb.ipSummed === CHECKSUM_COMPLETE)
        skb.csum = csumSub(fold(skb.csum), fold(sumBytes(this.iph.buf, this.iph.base, VLAN.HLEN)));
      if (!skb.vlanPresent) {
        skb.vlanPresent = true;
        skb.vlanTci = tci;
      }
      skb.protocol = inner;
      // the tag may lie past a short linear header copy (myri10ge copies 64 bytes): pskb_may_pull first
      if (!skb.pullTail(VLAN.HLEN)) return this.drop(skb, 'vlan_hdr_short', 'stack');
      skb.pull(VLAN.HLEN);
      skb.networkHeader = skb.data;
      this.stats.vlanUntagged++;
    }
    if (skb.protocol === ETH_P_IP || skb.protocol === ETH_P_IPV6) this.ipRcv(skb, skb.protocol);
    else {
      this.stats.otherL3++;
      if (this.tracer.enabled)
        this.tracer.emit({
          t: this.cpu.now,
          layer: 'stack',
          what: 'deliver',
          text: `ethertype 0x${skb.protocol.toString(16).padStart(4, '0')} handed to its protocol (not IP)`,
          queue: skb.queue,
          frame: skb.frameId,
        });
      freeSkb(skb);
    }
  }

  /**
   * ip_rcv / ipv6_rcv + ip_local_deliver: the packet laid out through wire's one layout, then validated, its padding
   * trimmed, the IPv4 header checksum verified, fragments dropped, and handed to the protocol. Consumes the skb.
   */
  private ipRcv(skb: SkBuff, etherType: number): void {
    const st = this.stats;
    st.ipIn++;
    if (etherType === ETH_P_IPV6) st.ipv6In++;
    this.cpu.charge('ip_rcv');
    const L = this.pkt.lay(skb, etherType);
    const bad = ipDropReason(L.refusal);
    if (bad !== null) return this.drop(skb, bad, 'stack');
    // iph_totlen / BIG TCP: a length field of 0 (the layout took the skb's length) is only a GSO TCP packet's, from GRO;
    // the field is IPv4's total length but IPv6's payload length (the 40-byte fixed header not counted)
    if (L.ipEnd - L.l3 - (L.isIpv4 ? 0 : IPV6.HLEN) > IP_LENGTH_FIELD_MAX) {
      if (skb.gsoSize === 0 || (skb.gsoType & (L.isIpv4 ? SKB_GSO_TCPV4 : SKB_GSO_TCPV6)) === 0)
        return this.drop(skb, 'ip_bad_tot_len', 'stack');
      st.ipBigTcp++;
    }
    const b = this.pkt.buf,
      base = this.pkt.base;
    // the sum of the network headers: IPv4's must verify; CHECKSUM_COMPLETE takes it (and IPv6's chain) back out
    let hdrSum = 0;
    if (L.isIpv4) {
      hdrSum = fold(sumBytes(b, base, L.ipHdrLen));
      if (skb.ipSummed !== CHECKSUM_UNNECESSARY && skb.ipSummed !== CHECKSUM_PARTIAL) {
        this.cpu.charge('csum_byte', L.ipHdrLen);
        if (hdrSum !== 0xffff) return this.drop(skb, 'ip_csum_errors', 'stack');
      }
    } else if (skb.ipSummed === CHECKSUM_COMPLETE) hdrSum = fold(sumBytes(b, base, L.l4));
    if (skb.len > L.ipEnd) {
      // pskb_trim_rcsum: Ethernet padding; 2.6.24 gives up a CHECKSUM_COMPLETE sum that covered it
      skbTrim(skb, L.ipEnd, freeSkb);
      st.ipPaddingTrimmed++;
      if (skb.ipSummed === CHECKSUM_COMPLETE) {
        skb.ipSummed = CHECKSUM_NONE;
        st.csumCompleteDowngraded++;
      }
    }
    if (
      L.isIpv4
        ? this.ipForward?.(skb, L.ipHdrLen, L.ipEnd - L.l3, L.daddr)
        : this.ip6Forward?.(skb, L.ipHdrLen, L.ipEnd - L.l3)
    )
      return;
    if (L.fragment) return this.drop(skb, 'ip_frag_dropped', 'stack');
    const proto = L.l4Proto;
    switch (proto) {
      case IPPROTO.TCP:
        this.tcp.rcv(skb, L, b, base, hdrSum);
        return;
      case IPPROTO.UDP:
        st.udpDelivered++;
        break;
      case IPPROTO.ICMP:
      case IPPROTO.ICMPV6:
        st.icmpDelivered++;
        break;
      default:
        st.otherProto++;
    }
    if (this.tracer.enabled)
      this.tracer.emit({
        t: this.cpu.now,
        layer: 'stack',
        what: 'deliver',
        text: `IPv${L.ipVersion} protocol ${proto} delivered (${L.ipEnd} bytes)`,
        queue: skb.queue,
        frame: skb.frameId,
      });
    freeSkb(skb);
  }

  private drop(skb: SkBuff, reason: StackDropReason, layer: 'stack' | 'napi'): void {
    this.stats.drops[reason]++;
    if (this.tracer.enabled)
      this.tracer.emit({
        t: this.cpu.now,
        layer,
        what: 'drop',
        reason,
        text: `stack drop: ${reason}`,
        queue: skb.queue,
        frame: skb.frameId,
      });
    freeSkb(skb);
  }

  // ───────────── sockets, verification ─────────────

  /** Creates the flows the link partner will send, so each stream starts at its ISN even if its first segment arrives late. */
  expectFlows(expectations: readonly Pick<FlowExpectation, 'key' | 'isn'>[]): void {
    for (const e of expectations) this.tcp.expectFlow(e.key, e.isn);
  }

  /**
   * The sender's generator of each stream (link partner flows): the socket compares what it receives with it instead of
   * hashing, and shares the sender's fingerprint while every byte is equal (wire/stream-check.ts). Call after
   * `expectFlows`, before traffic; the fingerprints are the same with or without it.
   */
  compareStreams(references: readonly { key: FlowKey; reference: StreamReference }[]): void {
    for (const r of references) this.tcp.lookup(r.key)?.stream.compareWith(r.reference);
  }

  /** Received bytes the sockets compared with the sender's generator instead of hashing them. */
  get bytesComparedWithSender(): number {
    let n = 0;
    for (const f of this.tcp.flowList) n += f.stream.bytesCompared;
    return n;
  }

  /** Every flow the stack knows, in creation order. */
  flows(): FlowResult[] {
    return this.tcp.flowList.map(flowResult);
  }

  /** Compares each expected stream with what its socket received. */
  verify(expectations: readonly FlowExpectation[]): VerifyResult {
    const seen = new Set<TcpFlow>();
    const flows: FlowVerdict[] = [];
    const missingFlows: string[] = [];
    let bytesVerified = 0;
    for (const e of expectations) {
      const k = e.key;
      const f = this.tcp.lookup(k);
      if (f === null || (f.packetsToStack === 0 && e.bytes > 0)) missingFlows.push(flowName(k));
      if (f !== null) seen.add(f);
      const r: FlowResult =
        f !== null
          ? flowResult(f)
          : {
              key: k,
              name: flowName(k),
              bytesDelivered: 0,
              digest: emptyDigest(),
              segmentsIn: 0,
              packetsToStack: 0,
              acksSent: 0,
            };
      // a socket that compared every byte it received with the generator the sender's expectation was made from, and
      // received as many, holds exactly the expected stream: equal fingerprints, computed only if someone reads them
      const reference = referenceOf(e);
      const ok =
        (f !== null && reference !== undefined && f.stream.equalsStream(reference, e.bytes)) || r.digest === e.digest;
      if (ok) bytesVerified += r.bytesDelivered;
      const v: FlowVerdict = lazyProperty(
        lazyProperty(
          {
            key: r.key,
            name: r.name,
            bytesDelivered: r.bytesDelivered,
            digest: '',
            segmentsIn: r.segmentsIn,
            packetsToStack: r.packetsToStack,
            acksSent: r.acksSent,
            expectedBytes: e.bytes,
            expectedDigest: '',
            byteStreamOk: ok,
          },
          'digest',
          () => r.digest,
        ),
        'expectedDigest',
        () => e.digest,
      );
      if (!ok && r.bytesDelivered < e.bytes) v.missing = missingRange(f, e);
      flows.push(v);
    }
    const unexpectedFlows = this.tcp.flowList
      .filter((f) => !seen.has(f) && (f.bytesDelivered > 0 || f.ofo.length > 0))
      .map((f) => f.name);
    const bytesDelivered = this.stats.bytesDelivered;
    return {
      flows,
      missingFlows,
      unexpectedFlows,
      bytesDelivered,
      bytesVerified,
      allOk: missingFlows.length === 0 && unexpectedFlows.length === 0 && flows.every((f) => f.byteStreamOk),
    };
  }

  /**
   * Skbs the stack holds right now (backlog + out-of-order queues). With `stats`, conservation reads:
   * skbsIn = delivered-or-consumed + dropped + held.
   */
  get held(): number {
    return this.backlogLen + this.tcp.ofoHeld;
  }

  /** Memory pressure: drops every skb parked in an out-of-order queue (counted as tcp_ofo_pruned); returns how many. */
  pruneOutOfOrder(): number {
    return this.tcp.pruneOfo();
  }
}

function flowResult(f: TcpFlow): FlowResult {
  // the fingerprint of the stream as it is now, computed when first read (a verified flow's may never be)
  const digest = f.stream.digestLater();
  return lazyProperty(
    {
      key: f.key,
      name: f.name,
      bytesDelivered: f.bytesDelivered,
      digest: '',
      segmentsIn: f.segmentsIn,
      packetsToStack: f.packetsToStack,
      acksSent: f.acksSent,
    },
    'digest',
    digest,
  );
}

const EMPTY_DIGEST = new StreamHash().digest();
function emptyDigest(): string {
  return EMPTY_DIGEST;
}

function positiveInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`stack option ${name} must be a positive integer (got ${v})`);
  return v;
}

/** The first hole in a short stream: in-order delivery stopped at `bytesDelivered`; the hole ends at the first out-of-order segment held, else at the expected end. */
function missingRange(f: TcpFlow | null, e: FlowExpectation): { at: number; bytes: number } {
  const at = f?.bytesDelivered ?? 0;
  let end = e.bytes;
  if (f !== null) for (const o of f.ofo) end = Math.min(end, Math.max(at, (o.seq - e.isn) >>> 0));
  return { at, bytes: end - at };
}

/** The IP-level refusals of the layout as ip_rcv / ipv6_rcv count them; null lets the packet on (bad IPv4 option bytes pass, as they always did here; TCP's refusals are TCP's to count). */
function ipDropReason(r: LayoutRefusal | null): StackDropReason | null {
  switch (r) {
    case 'ipv4_truncated':
    case 'ipv4_ihl_past_frame':
    case 'ipv6_truncated':
      return 'ip_hdr_short';
    case 'ipv4_version':
    case 'ipv6_version':
      return 'ip_bad_version';
    case 'ipv4_ihl_short':
      return 'ip_bad_ihl';
    case 'ipv4_total_length_short':
      return 'ip_bad_tot_len';
    case 'ipv4_total_length_past_frame':
    case 'ipv6_payload_length_past_frame':
      return 'ip_truncated';
    case 'ipv6_ext_header_truncated':
    case 'ipv6_hop_by_hop_not_first':
    case 'ipv6_too_many_ext_headers':
      return 'ipv6_ext_hdr_bad';
    default:
      return null;
  }
}

function nonNegativeInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 0)
    throw new RangeError(`stack option ${name} must be a non-negative integer (got ${v})`);
  return v;
}
