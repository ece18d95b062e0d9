// A forwarding host: the run's NIC is the ingress interface (10.0.0.254 and 2001:db8::254, facing the
// link partner), a second NIC's transmit side is the egress interface (10.0.1.254 and 2001:db8:1::254,
// facing 10.0.1.0/24 and 2001:db8:1::/64), and either ip_forward or ip6_forward routes between them
// (stack/forward.ts, mode 'route') or a learning bridge joins them
// (stack/bridge.ts, mode 'bridge': the NIC turned promiscuous, frames sent on by MAC with nothing in
// them changed). One class serves both: everything but the forwarding decision (the egress NIC, the
// far host, the comparison, the report) is the same, so the report keeps one shape. On the far side a host with an mq NIC (LRO and GRO off)
// receives every frame, checks every byte and ACKs to the sender, so a forwarded flow is end to end.
// The kernel policy decides what happens to LRO: 2.6.24 forwards aggregates as they are; 2.6.27 and
// later turn LRO off on the ingress device when forwarding is enabled (dev_disable_lro) and drop any
// aggregate that still arrives (skb_warn_if_lro); GRO stays on everywhere. A comparison counts every
// frame entering the ingress wire and leaving the egress wire, and says whether egress equals ingress
// from the IP header on (a router rewrites the MAC header and takes one off the TTL), and how not.
//
// The reverse path crosses the host too: the far host's ACKs are routed back (TTL − 1, MAC header
// rewritten) or bridged (the FDB learns the far host's address from them) before they reach the
// sender; the router's ICMP errors leave by the ingress interface, which faces the sender. The
// reverse direction is forwarded frame by frame: the egress NIC's receive ring and the ingress NIC's
// transmit ring are not modelled.
import { z } from 'zod';
import { parseIpv4, parseIpv6, parseMac } from '../wire/address.ts';
import { r16, r32 } from '../wire/bytes.ts';
import { IPPROTO, IPV4, IPV6, TCP } from '../wire/constants.ts';
import { fillIpv4HeaderChecksum, tcpHeaderLength } from '../wire/fields.ts';
import { FrameLayout, layoutFrame } from '../wire/layout.ts';
import type { VirtualClock } from '../sim/clock.ts';
import { NO_TRACE, type Tracer } from '../observe/trace.ts';
import type { FlowExpectation } from '../wire/flow.ts';
import { createModel } from '../hw-models/registry.ts';
import type { NicModel } from '../hw-models/model.ts';
import type { TxQueueDevice } from '../hw-models/tx-queue.ts';
import { E1000_LINE_GBPS } from '../hw-models/e1000-tx.ts';
import { MQ_LINE_GBPS } from '../hw-models/mq-tx.ts';
import { Stack } from '../stack/stack.ts';
import { XmitPath } from '../stack/xmit.ts';
import { FORWARD_DROP_REASONS, IpForwarder, type ForwardKernel } from '../stack/forward.ts';
import { BRIDGE_DROP_REASONS, Bridge } from '../stack/bridge.ts';
import { DriverOptionsSchema, getDriver, type Driver, type Engine } from '../drivers/index.ts';
import { e1000Transmitter } from '../drivers/e1000/xmit.ts';
import { mqTransmitter } from '../drivers/mq/xmit.ts';
import type { TxRingDriver } from '../drivers/xmit-ring.ts';
import type { FrameSink } from '../traffic/index.ts';
import { CaptureWriter } from '../tap/index.ts';
import { FORWARD_NET } from './forward-net.ts';

export { FORWARD_NET };

export const ForwardConfigSchema = z.strictObject({
  /** 'route': ip_forward between two subnets; 'bridge': a learning bridge between the two NICs. */
  mode: z.enum(['route', 'bridge']).default('route'),
  /** Whose forwarding rules: 2.6.24 (aggregates forwarded as they are), 2.6.27 (dev_disable_lro, skb_warn_if_lro), modern. */
  kernel: z.enum(['2.6.24', '2.6.27', 'modern']).default('modern'),
  /** The egress NIC (its transmit ring and driver). */
  egressModel: z.enum(['mq', 'e1000']).default('mq'),
  /** The egress link's MTU; default: the ingress MTU. */
  egressMtu: z.number().int().min(68).max(9000).optional(),
  /** The egress NIC cuts GSO packets itself (TSO); false: the stack segments in software. */
  egressTso: z.boolean().default(true),
  /** The egress line rate, Gb/s; default the model's (mq 10, e1000 1). */
  egressGbps: z.number().positive().max(400).optional(),
  /** A bridge's FDB ageing time, ms (Linux's default ageing_time: 300 s). */
  ageingMs: z.number().positive().optional(),
});
export type ForwardConfig = z.input<typeof ForwardConfigSchema>;

/** What `forward` in a run's report says. */
export const ForwardReportSchema = z.object({
  mode: z.enum(['route', 'bridge']),
  kernel: z.enum(['2.6.24', '2.6.27', 'modern']),
  egressModel: z.string(),
  egressMtu: z.number().int(),
  /** TCP frames (IPv4 or IPv6) for the far subnet that entered the ingress wire, and frames that left the egress wire. */
  ingressFrames: z.number().int().nonnegative(),
  egressFrames: z.number().int().nonnegative(),
  /** Egress frames equal to an ingress frame from the IP header on (TTL one less and IPv4's header checksum updated, or IPv6's hop limit one less). */
  egressIdentical: z.number().int().nonnegative(),
  egressDiffering: z.number().int().nonnegative(),
  /** Ingress frames the router dropped and answered with an ICMP error (fragmentation needed, time exceeded): what it may do instead of sending them on. */
  ingressDroppedWithIcmp: z.number().int().nonnegative(),
  /** Every ingress frame left as itself, or was dropped with an ICMP error, and nothing else left: what a router must do. */
  egressIdenticalToIngress: z.boolean(),
  /** TCP payload sizes (bytes → frames) of the frames compared on each side: a router or bridge must not change them. */
  payloadSizes: z.object({
    ingress: z.record(z.string(), z.number().int().nonnegative()),
    egress: z.record(z.string(), z.number().int().nonnegative()),
  }),
  /** How differing egress frames differ from the ingress frame at the same sequence number (first difference found). */
  differsBy: z.record(z.string(), z.number().int().nonnegative()),
  /** Packets ip_forward took, how many were aggregates, and the wire frames they carried. */
  forwarded: z.number().int().nonnegative(),
  forwardedAggregates: z.number().int().nonnegative(),
  /** ip_forward's drops by reason. */
  drops: z.record(z.string(), z.number().int().nonnegative()),
  icmpFragNeeded: z.number().int().nonnegative(),
  /** IPv6: ICMPv6 "packet too big" sent back (a router never fragments IPv6). */
  icmpv6PacketTooBig: z.number().int().nonnegative(),
  /** 1 when dev_disable_lro turned LRO off on the ingress device (LRO asked for, kernel 2.6.27 or later). */
  lroDisabledByForwarding: z.number().int().nonnegative(),
  /** skb_warn_if_lro fired (an LRO aggregate reached ip_forward on 2.6.27 or later). */
  skbWarnIfLro: z.number().int().nonnegative(),
  /** Transmit side: packets the device cut (TSO), software GSO segments, frames on the egress wire. */
  tsoPackets: z.number().int().nonnegative(),
  gsoSoftwareSegments: z.number().int().nonnegative(),
  txQueueFull: z.number().int().nonnegative(),
  /** The far host: frames its NIC dropped. */
  farNicDrops: z.number().int().nonnegative(),
  /** The reverse direction: the far host's frames the host routed or bridged back to the sender. */
  reverseFrames: z.number().int().nonnegative(),
  /** A bridge's forwarding database: what it learned and how it sent frames on (mode 'bridge' only). */
  bridge: z
    .object({
      fdbEntries: z.number().int().nonnegative(),
      fdbLearned: z.number().int().nonnegative(),
      fdbAged: z.number().int().nonnegative(),
      floodedUnknown: z.number().int().nonnegative(),
      forwardedKnown: z.number().int().nonnegative(),
      deliveredLocal: z.number().int().nonnegative(),
    })
    .optional(),
});
export type ForwardReport = z.infer<typeof ForwardReportSchema>;

/** The engine the ingress driver runs: dev_disable_lro turns LRO off when the kernel has it. */
export function ingressEngine(kernel: ForwardKernel, engine: Engine): Engine {
  return engine === 'lro' && kernel !== '2.6.24' ? 'off' : engine;
}

/** Egress frames against ingress frames, from the IP header on (a router's TTL step taken into account). Instrumentation: it keeps copies. */
export class ForwardComparison {
  ingressFrames = 0;
  egressFrames = 0;
  identical = 0;
  readonly differsBy: Record<string, number> = {
    segmentBoundary: 0,
    length: 0,
    tcpFlags: 0,
    ipId: 0,
    tcpOptions: 0,
    ackOrWindow: 0,
    other: 0,
  };
  /** TCP payload sizes of the compared frames: how many ingress and egress frames carried each size. */
  readonly ingressSizes = new Map<number, number>();
  readonly egressSizes = new Map<number, number>();
  private readonly waiting = new Map<string, Uint8Array[]>();
  private readonly L = new FrameLayout();

  constructor(
    private readonly net: number,
    private readonly mask: number,
    /** 1 for a router (ip_decrease_ttl), 0 for a bridge. */
    private readonly ttlStep: number,
    /** The far subnet over IPv6 (absent: every IPv6 frame counts, as a bridge's mask 0 does for IPv4). */
    private readonly net6?: { net: Uint8Array; prefix: number },
  ) {}

  /** A frame on the ingress wire: what the host must send on for it (a router: TTL or hop limit − 1, IPv4's header checksum recomputed). */
  ingress(frame: Uint8Array, len: number): void {
    const L = layoutFrame(frame, 0, len, this.L);
    if (!L.isTcp || !this.toFarSubnet(L, frame)) return;
    this.ingressFrames++;
    this.ingressSizes.set(L.payloadLen, (this.ingressSizes.get(L.payloadLen) ?? 0) + 1);
    const ip = frame.slice(L.l3, L.ipEnd);
    if (this.ttlStep > 0 && L.ipVersion === 6) ip[IPV6.HOP_LIMIT] = ip[IPV6.HOP_LIMIT]! - this.ttlStep;
    else if (this.ttlStep > 0) {
      ip[IPV4.TTL] = ip[IPV4.TTL]! - this.ttlStep;
      fillIpv4HeaderChecksum(ip, 0);
    }
    const key = this.key(L, frame);
    const list = this.waiting.get(key);
    if (list === undefined) this.waiting.set(key, [ip]);
    else list.push(ip);
  }

  /** Whether an IPv4 or IPv6 frame is for the far subnet. */
  private toFarSubnet(L: FrameLayout, frame: Uint8Array): boolean {
    if (L.ipVersion === 4) return (L.daddr & this.mask) >>> 0 === this.net;
    if (L.ipVersion !== 6) return false;
    const n = this.net6;
    if (n === undefined) return true;
    for (let i = 0, p = n.prefix; i < 16 && p > 0; i++, p -= 8) {
      const m = p >= 8 ? 0xff : (0xff << (8 - p)) & 0xff;
      if (((frame[L.srcOff + 16 + i]! ^ n.net[i]!) & m) !== 0) return false;
    }
    return true;
  }

  /** A frame on the egress wire: TCP ones are compared (the ingress side keeps only those), others pass uncounted. */
  egress(frame: Uint8Array, len: number): void {
    const L = layoutFrame(frame, 0, len, this.L);
    if (L.l3 < 0 || L.ipVersion === 0 || L.l4Proto !== IPPROTO.TCP) return;
    this.egressFrames++;
    const ipLen = Math.min(
      len - L.l3,
      L.ipVersion === 4 ? r16(frame, L.l3 + IPV4.TOT_LEN) : IPV6.HLEN + r16(frame, L.l3 + IPV6.PAYLOAD_LEN),
    );
    if (L.isTcp) this.egressSizes.set(L.payloadLen, (this.egressSizes.get(L.payloadLen) ?? 0) + 1);
    const list = L.isTcp ? this.waiting.get(this.key(L, frame)) : undefined;
    if (list === undefined || list.length === 0) {
      this.differsBy['segmentBoundary']!++;
      return;
    }
    for (let i = 0; i < list.length; i++) {
      if (sameBytes(list[i]!, frame, L.l3, ipLen)) {
        this.identical++;
        list.splice(i, 1);
        return;
      }
    }
    this.differsBy[firstDifference(list[0]!, frame, L.l3, ipLen, L.l4 - L.l3, L.ipVersion === 4)]!++;
  }

  private key(L: FrameLayout, frame: Uint8Array): string {
    const ports = `${L.sport}>${L.dport}@${r32(frame, L.l4 + TCP.SEQ)}`;
    if (L.ipVersion === 4) return `${L.saddr}>${L.daddr}:${ports}`;
    let a = '';
    for (let i = 0; i < 32; i++) a += frame[L.srcOff + i]!.toString(16).padStart(2, '0');
    return `${a}:${ports}`;
  }
}

function sameBytes(a: Uint8Array, f: Uint8Array, off: number, len: number): boolean {
  if (a.length !== len) return false;
  for (let i = 0; i < len; i++) if (a[i] !== f[off + i]) return false;
  return true;
}

/** The first way an egress packet differs from the ingress packet with the same flow and sequence number. */
function firstDifference(want: Uint8Array, f: Uint8Array, ip: number, len: number, ihl: number, v4: boolean): string {
  if (want.length !== len) return 'length';
  const th = ip + ihl;
  if (want[ihl + TCP.FLAGS] !== f[th + TCP.FLAGS]) return 'tcpFlags';
  if (v4 && r16(want, IPV4.ID) !== r16(f, ip + IPV4.ID)) return 'ipId';
  if (r32(want, ihl + TCP.ACK) !== r32(f, th + TCP.ACK) || r16(want, ihl + TCP.WINDOW) !== r16(f, th + TCP.WINDOW))
    return 'ackOrWindow';
  const doff = tcpHeaderLength(want, ihl);
  for (let i = ihl + TCP.HLEN; i < ihl + doff; i++) if (want[i] !== f[ip + i]) return 'tcpOptions';
  return 'other';
}

export interface ForwardParts {
  clock: VirtualClock;
  tracer: Tracer;
  /** The host's stack and its ingress NIC (the run's; a bridge port turns it promiscuous). */
  stack: Stack;
  model: NicModel;
  ingressMtu: number;
  /** The engine asked for (LRO may have been disabled by forwarding). */
  engine: Engine;
  /** Write every egress frame here (`--out-egress`). */
  egressOut?: { path: string; format?: 'pcap' | 'pcapng' };
}

/** The egress interface, ip_forward or a bridge, and the far host, attached to a run's stack. */
export class ForwardingHost {
  readonly config: z.output<typeof ForwardConfigSchema>;
  /** Mode 'route': ip_forward; mode 'bridge': the bridge. */
  readonly forwarder: IpForwarder | null = null;
  readonly bridge: Bridge | null = null;
  readonly xmit: XmitPath;
  readonly txDriver: TxRingDriver;
  readonly txNics: readonly TxQueueDevice[];
  readonly far: { stack: Stack; model: NicModel; driver: Driver };
  readonly comparison: ForwardComparison;
  readonly lroDisabledByForwarding: boolean;
  readonly egressMtu: number;
  private readonly egressWriter: CaptureWriter | undefined;
  /** The link partner's receive side: what leaves the ingress interface towards the sender. */
  private toSender: FrameSink['receiveFrame'] | null = null;

  constructor(config: ForwardConfig, p: ForwardParts) {
    const c = ForwardConfigSchema.parse(config);
    this.config = c;
    const { clock, tracer, stack } = p;
    this.egressMtu = c.egressMtu ?? p.ingressMtu;
    this.lroDisabledByForwarding = ingressEngine(c.kernel, p.engine) !== p.engine;
    if (this.lroDisabledByForwarding && tracer.enabled)
      tracer.emit({
        t: clock.now,
        layer: 'stack',
        what: 'forward',
        reason: 'dev_disable_lro',
        text:
          c.mode === 'bridge'
            ? `br_add_if: dev_disable_lro turned LRO off on the ingress device as it joined the bridge (kernel ${c.kernel})`
            : `ip_forward enabled: dev_disable_lro turned LRO off on the ingress device (kernel ${c.kernel})`,
      });
    const mac = parseMac(FORWARD_NET.routerEgressMac);
    const gbps = c.egressGbps ?? (c.egressModel === 'mq' ? MQ_LINE_GBPS : E1000_LINE_GBPS);
    const o = { clock, stack, mac, mtu: this.egressMtu, tso: c.egressTso, gbps };
    if (c.egressModel === 'mq') {
      const t = mqTransmitter(o);
      this.txNics = t.nics;
      this.txDriver = t.driver;
    } else {
      const t = e1000Transmitter(o);
      this.txNics = [t.nic];
      this.txDriver = t.driver;
    }
    this.xmit = new XmitPath(this.txDriver, stack.cpu, tracer);
    const toSender = (f: Uint8Array, len: number, now: number) => this.toSender?.(f, len, now);
    if (c.mode === 'bridge') {
      // br_add_if: the port listens to every address (dev_set_promiscuity); the bridge sees frames before IP
      p.model.promiscuous = true;
      const bridge = new Bridge({
        kernel: c.kernel,
        toIngressWire: toSender,
        egress: this.xmit,
        localMacs: [parseMac(FORWARD_NET.routerIngressMac), mac],
        ...(c.ageingMs !== undefined ? { ageingNs: c.ageingMs * 1e6 } : {}),
        cpu: stack.cpu,
        tracer,
      });
      this.bridge = bridge;
      stack.rxHandler = (skb) => bridge.handleSkb(skb);
      this.comparison = new ForwardComparison(0, 0, 0);
    } else {
      const egressNet = parseIpv4(FORWARD_NET.egressNet);
      const mask = (0xffffffff << (32 - FORWARD_NET.egressPrefix)) >>> 0;
      const egressNet6 = parseIpv6(FORWARD_NET.egressNet6);
      this.comparison = new ForwardComparison(egressNet, mask, 1, {
        net: egressNet6,
        prefix: FORWARD_NET.egressPrefix6,
      });
      const forwarder = new IpForwarder({
        kernel: c.kernel,
        localAddrs: [parseIpv4(FORWARD_NET.ingressAddr), parseIpv4(FORWARD_NET.egressAddr)],
        egressNet,
        egressPrefix: FORWARD_NET.egressPrefix,
        egress: this.xmit,
        nextHopMac: parseMac(FORWARD_NET.farHostMac),
        ingressMac: parseMac(FORWARD_NET.routerIngressMac),
        ingressAddr: parseIpv4(FORWARD_NET.ingressAddr),
        toIngressWire: toSender,
        ipv6: {
          localAddrs: [parseIpv6(FORWARD_NET.ingressAddr6), parseIpv6(FORWARD_NET.egressAddr6)],
          egressNet: egressNet6,
          egressPrefix: FORWARD_NET.egressPrefix6,
          ingressAddr: parseIpv6(FORWARD_NET.ingressAddr6),
        },
        cpu: stack.cpu,
        tracer,
      });
      this.forwarder = forwarder;
      stack.ipForward = (skb, ihl, totLen, daddr) => forwarder.forward(skb, ihl, totLen, daddr);
      stack.ip6Forward = (skb, hdrLen, pktLen) => forwarder.forward6(skb, hdrLen, pktLen);
    }
    // the far host: an mq NIC without LRO or GRO, its own CPU, sockets that check every byte
    const farStack = new Stack({ clock, hostMac: FORWARD_NET.farHostMac });
    const farModel = createModel(
      'mq',
      { promiscuous: true, mtu: this.egressMtu, queues: 1, mac: FORWARD_NET.farHostMac },
      { clock, tracer: NO_TRACE },
    );
    const farDriver = getDriver('mq')!.create({
      model: farModel,
      stack: farStack,
      tracer: NO_TRACE,
      options: DriverOptionsSchema.parse({ engine: 'off', pollBudget: 64 }),
    });
    farDriver.open();
    this.far = { stack: farStack, model: farModel, driver: farDriver };
    this.egressWriter =
      p.egressOut !== undefined
        ? CaptureWriter.open(p.egressOut.path, {
            format: p.egressOut.format ?? (p.egressOut.path.toLowerCase().endsWith('.pcapng') ? 'pcapng' : 'pcap'),
            nanosecond: true,
          })
        : undefined;
    for (const nic of this.txNics)
      nic.wire = (f, len, now) => {
        this.comparison.egress(f, len);
        this.egressWriter?.write({
          tsSec: Math.floor(now / 1e9),
          tsNsec: Math.floor(now % 1e9),
          data: f,
          length: len,
          origLen: len,
        });
        farModel.receiveFrame(f, len, now);
      };
  }

  /** The link partner's frames pass the comparison on their way into the ingress NIC. */
  ingressTap(sink: FrameSink): FrameSink {
    return {
      receiveFrame: (frame, len, now) => {
        this.comparison.ingress(frame, len);
        sink.receiveFrame(frame, len, now);
      },
    };
  }

  /**
   * The sender (MAC `partnerMac`): the far host's ACKs reach it routed or bridged back through this host, the router's
   * ICMP errors from its ingress interface; the far host expects its flows.
   */
  connect(partner: FrameSink, partnerMac: string, expectations: readonly FlowExpectation[]): void {
    this.toSender = (f, len, now) => partner.receiveFrame(f, len, now);
    const bridge = this.bridge,
      forwarder = this.forwarder;
    if (bridge !== null) this.far.stack.sendToWire = (f, len, now) => bridge.handleFrame(f, len, now);
    else if (forwarder !== null) {
      forwarder.setPreviousHop(parseMac(partnerMac));
      this.far.stack.sendToWire = (f, len, now) => forwarder.routeBack(f, len, now);
    }
    this.far.stack.expectFlows(expectations);
  }

  close(): void {
    this.egressWriter?.close();
  }

  report(): ForwardReport {
    const cmp = this.comparison,
      x = this.xmit.stats,
      fs = this.forwarder?.stats,
      bs = this.bridge?.stats;
    const drops: Record<string, number> = {};
    if (fs !== undefined) for (const k of FORWARD_DROP_REASONS) if (fs[k] > 0) drops[k] = fs[k];
    if (bs !== undefined) for (const k of BRIDGE_DROP_REASONS) if (bs[k] > 0) drops[k] = bs[k];
    if (x.tx_queue_full > 0) drops['tx_queue_full'] = x.tx_queue_full;
    // the egress device refused the packet (a TSO segment larger than its largest frame: a 2.6.24 aggregate whose
    // segment size is over the egress MTU)
    let txBad = 0;
    for (const nic of this.txNics) txBad += nic.counters.tx_bad_packet;
    if (txBad > 0) drops['tx_bad_packet'] = txBad;
    const differsBy: Record<string, number> = {};
    for (const [k, v] of Object.entries(cmp.differsBy)) if (v > 0) differsBy[k] = v;
    const farTotals = this.far.model.totals();
    let farNicDrops = 0;
    for (const k of this.far.model.dropCounters) farNicDrops += farTotals[k] ?? 0;
    const differing = cmp.egressFrames - cmp.identical;
    const withIcmp = fs?.droppedWithIcmpWireFrames ?? 0;
    return {
      mode: this.config.mode,
      kernel: this.config.kernel,
      egressModel: this.config.egressModel,
      egressMtu: this.egressMtu,
      ingressFrames: cmp.ingressFrames,
      egressFrames: cmp.egressFrames,
      egressIdentical: cmp.identical,
      egressDiffering: differing,
      ingressDroppedWithIcmp: withIcmp,
      egressIdenticalToIngress: cmp.ingressFrames === cmp.egressFrames + withIcmp && differing === 0,
      differsBy,
      payloadSizes: { ingress: sizeTable(cmp.ingressSizes), egress: sizeTable(cmp.egressSizes) },
      forwarded: fs?.forwarded ?? bs?.bridged ?? 0,
      forwardedAggregates: fs?.forwardedAggregates ?? bs?.bridgedAggregates ?? 0,
      drops,
      icmpFragNeeded: fs?.icmpFragNeeded ?? 0,
      icmpv6PacketTooBig: fs?.icmpv6PacketTooBig ?? 0,
      lroDisabledByForwarding: this.lroDisabledByForwarding ? 1 : 0,
      skbWarnIfLro: fs?.forward_lro_aggregate ?? bs?.bridge_lro_aggregate ?? 0,
      tsoPackets: x.tsoPackets,
      gsoSoftwareSegments: x.gsoSoftwareSegments,
      txQueueFull: x.tx_queue_full,
      farNicDrops,
      reverseFrames: fs?.reverseForwarded ?? bs?.reverseFrames ?? 0,
      ...(bs !== undefined
        ? {
            bridge: {
              fdbEntries: this.bridge!.fdbSize,
              fdbLearned: bs.fdbLearned,
              fdbAged: bs.fdbAged,
              floodedUnknown: bs.floodedUnknown,
              forwardedKnown: bs.forwardedKnown,
              deliveredLocal: bs.deliveredLocal,
            },
          }
        : {}),
    };
  }
}

/** A size histogram as a record, sizes ascending. */
function sizeTable(m: ReadonlyMap<number, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of [...m.keys()].sort((a, b) => a - b)) out[String(k)] = m.get(k)!;
  return out;
}
