// ip_forward for a host with two interfaces: a packet whose destination is not one of the host's
// addresses but lies in the egress interface's subnet leaves by that interface's transmit path
// (stack/xmit.ts) with its TTL one less and its header checksum updated (ip_decrease_ttl), after the
// checks Linux makes in this order: skb_warn_if_lro (from 2.6.27: an LRO aggregate — gso_size set
// without a gso_type — cannot be forwarded and is dropped with a warning), TTL (≤ 1: ICMP time
// exceeded), the route, and the next hop's MTU (a packet larger than the MTU with DF set is dropped
// and answered with ICMP "fragmentation needed" carrying the MTU). 2.6.24 and 2.6.27 skip the MTU
// check for any GSO packet; modern kernels check that its segments fit (ip_exceeds_mtu). Every
// decision is counted by reason and traced.
import { r16, w16, w32 } from '../wire/bytes.ts';
import { ETH, ETHERTYPE, ICMP, IPV4, IPPROTO, TCP } from '../wire/constants.ts';
import { finish, sumBytes } from '../wire/checksum.ts';
import { FrameLayout, layoutFrame } from '../wire/layout.ts';
import { ipv4DontFragment, tcpHeaderLength } from '../wire/fields.ts';
import type { Cpu } from '../sim/cost.ts';
import { NO_TRACE, type Tracer } from '../observe/trace.ts';
import { freeSkb, type SkBuff } from './skb.ts';
import type { XmitPath } from './xmit.ts';

/** Which kernel's forwarding rules apply. */
export type ForwardKernel = '2.6.24' | '2.6.27' | 'modern';
export const FORWARD_KERNELS: readonly ForwardKernel[] = ['2.6.24', '2.6.27', 'modern'];

export interface ForwardStats {
  /** Packets (skbs) forwarded, and how many of them were aggregates (more than one wire frame). */
  forwarded: number;
  forwardedAggregates: number;
  /** Wire frames inside the forwarded skbs. */
  forwardedWireFrames: number;
  /** skb_warn_if_lro fired: an LRO aggregate reached ip_forward (2.6.27 and later drop it). */
  forward_lro_aggregate: number;
  forward_ttl_exceeded: number;
  forward_no_route: number;
  /** Larger than the next hop's MTU with DF set: dropped, ICMP fragmentation needed sent. */
  forward_frag_needed: number;
  /** Larger than the MTU without DF: Linux would fragment; the lab does not, and counts the drop. */
  forward_would_fragment: number;
  icmpFragNeeded: number;
  icmpTimeExceeded: number;
  /** Wire frames inside the skbs dropped by any reason above, and inside those answered with an ICMP error. */
  droppedWireFrames: number;
  droppedWithIcmpWireFrames: number;
  /** The reverse direction: frames from the egress side routed back out of the ingress interface (the far host's ACKs). */
  reverseForwarded: number;
}

/** Why ip_forward consumed a packet without sending it on. */
export const FORWARD_DROP_REASONS = [
  'forward_lro_aggregate',
  'forward_ttl_exceeded',
  'forward_no_route',
  'forward_frag_needed',
  'forward_would_fragment',
] as const;
export type ForwardDropReason = (typeof FORWARD_DROP_REASONS)[number];

export interface ForwarderOptions {
  kernel: ForwardKernel;
  /** The host's own addresses (packets to these are delivered locally). */
  localAddrs: readonly number[];
  /** The egress interface's subnet (address and prefix length) and its transmit path. */
  egressNet: number;
  egressPrefix: number;
  egress: XmitPath;
  /** The next hop's MAC (the far host: the lab does not run ARP). */
  nextHopMac: Uint8Array;
  /** The ingress interface's MAC and address: source of the ICMP errors sent back. */
  ingressMac: Uint8Array;
  ingressAddr: number;
  /**
   * The ingress interface's wire, towards the sender: ICMP errors and frames routed back leave here (its transmit
   * ring is not modelled).
   */
  toIngressWire: (frame: Uint8Array, length: number, nowNs: number) => void;
  cpu: Cpu;
  tracer?: Tracer;
}

export class IpForwarder {
  readonly stats: ForwardStats = {
    forwarded: 0,
    forwardedAggregates: 0,
    forwardedWireFrames: 0,
    forward_lro_aggregate: 0,
    forward_ttl_exceeded: 0,
    forward_no_route: 0,
    forward_frag_needed: 0,
    forward_would_fragment: 0,
    icmpFragNeeded: 0,
    icmpTimeExceeded: 0,
    droppedWireFrames: 0,
    droppedWithIcmpWireFrames: 0,
    reverseForwarded: 0,
  };
  /** Called with every skb about to be transmitted (the trace narrator and tests listen). */
  onForward: ((skb: SkBuff) => void) | null = null;
  private readonly l2 = new Uint8Array(ETH.HLEN);
  private readonly hdr = new Uint8Array(60 + 8);
  private readonly tcpHdr = new Uint8Array(TCP.HLEN);
  private readonly tracer: Tracer;
  private readonly mask: number;
  /** The reverse direction: a frame routed back is rewritten here (MAC header, TTL). */
  private readonly back = new Uint8Array(65536 + ETH.HLEN);
  private readonly backLayout = new FrameLayout();

  constructor(private readonly o: ForwarderOptions) {
    this.tracer = o.tracer ?? NO_TRACE;
    this.mask = o.egressPrefix === 0 ? 0 : (0xffffffff << (32 - o.egressPrefix)) >>> 0;
    this.l2.set(o.nextHopMac, ETH.DST);
    this.l2.set(o.egress.dev.mac, ETH.SRC);
    w16(this.l2, ETH.TYPE, ETHERTYPE.IPV4);
    this.back.set(o.ingressMac, ETH.SRC);
  }

  /** The previous hop's MAC (the sender: the lab does not run ARP), where frames routed back go. */
  setPreviousHop(mac: Uint8Array): void {
    this.back.set(mac, ETH.DST);
  }

  /**
   * The reverse direction: a frame from the egress side for the ingress subnet (the far host's ACK) goes out of the
   * ingress interface with its TTL one less and the MAC header of that hop. Frames for no route are counted and dropped.
   */
  routeBack(frame: Uint8Array, len: number, nowNs: number): void {
    const L = layoutFrame(frame, 0, len, this.backLayout);
    if (
      L.ipVersion !== 4 ||
      L.l3 !== ETH.HLEN ||
      (L.daddr & this.mask) >>> 0 === (this.o.egressNet & this.mask) >>> 0
    ) {
      this.stats.forward_no_route++;
      return;
    }
    this.o.cpu.charge('ip_forward');
    if (frame[L.l3 + IPV4.TTL]! <= 1) {
      this.stats.forward_ttl_exceeded++;
      return;
    }
    const b = this.back;
    b.set(frame.subarray(ETH.TYPE, len), ETH.TYPE);
    ipDecreaseTtl(b, ETH.HLEN);
    this.stats.reverseForwarded++;
    this.o.toIngressWire(b.subarray(0, len), len, nowNs);
  }

  /**
   * The routing decision for a received IPv4 packet (data at its header, already validated and
   * trimmed): false when it is for this host (deliver locally); true when it was forwarded or dropped.
   */
  forward(skb: SkBuff, ihl: number, totLen: number, daddr: number): boolean {
    if (this.o.localAddrs.includes(daddr)) return false;
    const o = this.o,
      st = this.stats;
    o.cpu.charge('ip_forward');
    // skb_warn_if_lro: gso_size without gso_type is what only inet_lro leaves behind
    if (o.kernel !== '2.6.24' && skb.gsoSize > 0 && skb.gsoType === 0)
      return this.drop(
        skb,
        'forward_lro_aggregate',
        'skb_warn_if_lro: received packets cannot be forwarded while LRO is enabled',
      );
    const h = this.hdr;
    skb.copyBits(0, h, 0, ihl);
    if (h[IPV4.TTL]! <= 1) {
      this.icmp(skb, h, ihl, 11, 0, 0);
      st.icmpTimeExceeded++;
      st.droppedWithIcmpWireFrames += skb.wireFrames;
      return this.drop(skb, 'forward_ttl_exceeded', 'TTL exceeded in transit: ICMP time exceeded sent back');
    }
    if ((daddr & this.mask) >>> 0 !== (o.egressNet & this.mask) >>> 0)
      return this.drop(skb, 'forward_no_route', 'no route to the destination');
    const mtu = o.egress.dev.mtu;
    if (this.exceedsMtu(skb, ihl, totLen, mtu)) {
      if (ipv4DontFragment(h, 0)) {
        this.icmp(skb, h, ihl, 3, 4, mtu);
        st.icmpFragNeeded++;
        st.droppedWithIcmpWireFrames += skb.wireFrames;
        return this.drop(
          skb,
          'forward_frag_needed',
          `${totLen} bytes with DF set exceed the next hop's MTU ${mtu}: ICMP fragmentation needed sent back`,
        );
      }
      return this.drop(skb, 'forward_would_fragment', `${totLen} bytes exceed the MTU ${mtu}: would be fragmented`);
    }
    if (!skb.pullTail(ihl)) return this.drop(skb, 'forward_no_route', 'IP header not reachable');
    const b = skb.buf,
      at = skb.data;
    ipDecreaseTtl(b, at);
    st.forwarded++;
    st.forwardedWireFrames += skb.wireFrames;
    if (skb.wireFrames > 1) st.forwardedAggregates++;
    if (this.tracer.enabled)
      this.tracer.emit({
        t: o.cpu.now,
        layer: 'stack',
        what: 'forward',
        text: `ip_forward: ${totLen} bytes (${skb.wireFrames} wire frame${skb.wireFrames === 1 ? '' : 's'}, gso_size ${skb.gsoSize}, gso_type ${skb.gsoType}) out of ${o.egress.dev.name}, TTL ${b[at + IPV4.TTL]}`,
        queue: skb.queue,
        frame: skb.frameId,
      });
    this.onForward?.(skb);
    o.egress.xmit(skb, this.l2);
    return true;
  }

  /** 2.6.24/2.6.27: a GSO packet is never too big; modern (ip_exceeds_mtu): its segments must fit. */
  private exceedsMtu(skb: SkBuff, ihl: number, totLen: number, mtu: number): boolean {
    if (totLen <= mtu) return false;
    if (skb.gsoSize === 0) return true;
    if (this.o.kernel !== 'modern') return false;
    skb.copyBits(ihl, this.tcpHdr, 0, TCP.HLEN);
    const doff = tcpHeaderLength(this.tcpHdr, 0);
    return ihl + doff + skb.gsoSize > mtu;
  }

  private drop(skb: SkBuff, reason: ForwardDropReason, why: string): true {
    this.stats[reason]++;
    this.stats.droppedWireFrames += skb.wireFrames;
    if (this.tracer.enabled)
      this.tracer.emit({
        t: this.o.cpu.now,
        layer: 'stack',
        what: 'drop',
        reason,
        text: `ip_forward drop (${reason}): ${why}`,
        queue: skb.queue,
        frame: skb.frameId,
      });
    freeSkb(skb);
    return true;
  }

  /** An ICMP error about the packet whose IP header is in `h`: its header and first 8 payload bytes, back to its source. */
  private icmp(skb: SkBuff, h: Uint8Array, ihl: number, type: number, code: number, mtu: number): void {
    const quoted = Math.min(ihl + 8, skb.len);
    const ipLen = IPV4.HLEN + ICMP.HLEN + quoted;
    const f = new Uint8Array(ETH.HLEN + ipLen); // rare: allocating is fine here
    if (skb.macHeader >= 0) f.set(skb.buf.subarray(skb.macHeader + ETH.SRC, skb.macHeader + ETH.SRC + 6), ETH.DST);
    f.set(this.o.ingressMac, ETH.SRC);
    w16(f, ETH.TYPE, ETHERTYPE.IPV4);
    const ip = ETH.HLEN;
    f[ip + IPV4.VER_IHL] = 0x45;
    w16(f, ip + IPV4.TOT_LEN, ipLen);
    f[ip + IPV4.TTL] = 64;
    f[ip + IPV4.PROTO] = IPPROTO.ICMP;
    w32(f, ip + IPV4.SRC, this.o.ingressAddr);
    f.set(h.subarray(IPV4.SRC, IPV4.SRC + 4), ip + IPV4.DST);
    w16(f, ip + IPV4.CSUM, finish(sumBytes(f, ip, IPV4.HLEN)));
    const ic = ip + IPV4.HLEN;
    f[ic + ICMP.TYPE] = type;
    f[ic + ICMP.CODE] = code;
    w16(f, ic + ICMP.SEQ, mtu); // type 3 code 4: the next-hop MTU in the low half of the second word
    skb.copyBits(0, f, ic + ICMP.HLEN, quoted);
    w16(f, ic + ICMP.CSUM, finish(sumBytes(f, ic, ICMP.HLEN + quoted)));
    this.o.toIngressWire(f, f.length, this.o.cpu.now);
  }
}

/** ip_decrease_ttl: the IPv4 header at `at` gets its TTL one less and its checksum adjusted by the same step (RFC 1624). */
export function ipDecreaseTtl(b: Uint8Array, at: number): void {
  b[at + IPV4.TTL] = b[at + IPV4.TTL]! - 1;
  const sum = r16(b, at + IPV4.CSUM) + 0x0100;
  w16(b, at + IPV4.CSUM, (sum + (sum >= 0xffff ? 1 : 0)) & 0xffff);
}
