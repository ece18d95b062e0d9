// ip_forward for a host with two interfaces: a packet whose destination is not one of the host's
// addresses but lies in the egress interface's subnet leaves by that interface's transmit path
// (stack/xmit.ts) with its TTL one less and its header checksum updated (ip_decrease_ttl), after the
// checks Linux makes in this order: skb_warn_if_lro (from 2.6.27: an LRO aggregate — gso_size set
// without a gso_type — cannot be forwarded and is dropped with a warning), TTL (≤ 1: ICMP time
// exceeded), the route, and the next hop's MTU (a packet larger than the MTU with DF set is dropped
// and answered with ICMP "fragmentation needed" carrying the MTU). 2.6.24 and 2.6.27 skip the MTU
// check for any GSO packet; modern kernels check that its segments fit (ip_exceeds_mtu). Every
// decision is counted by reason and traced.
//
// IPv6 (ip6_forward) takes the same steps with its own rules: the hop limit (≤ 1: ICMPv6 time exceeded),
// no header checksum to update, and never a fragment: a packet larger than the next hop's MTU (at least
// 1280) is dropped and answered with ICMPv6 "packet too big"; a GSO packet is judged by its segments
// (skb_gso_validate_network_len). inet_lro never aggregates IPv6, so the LRO policies meet only single frames.
import { r16, w16, w32 } from '../wire/bytes.ts';
import { ETH, ETHERTYPE, ICMP, IPV4, IPV6, IPPROTO, TCP } from '../wire/constants.ts';
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
  /** IPv6 larger than the next hop's MTU (routers never fragment IPv6): dropped, ICMPv6 packet too big sent. */
  forward_pkt_too_big: number;
  icmpFragNeeded: number;
  icmpTimeExceeded: number;
  /** IPv6: ICMPv6 "packet too big" and "time exceeded" (hop limit) sent back. */
  icmpv6PacketTooBig: number;
  icmpv6TimeExceeded: number;
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
  'forward_pkt_too_big',
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
  /** IPv6 routing (ip6_forward): the host's addresses, the egress subnet and the ingress address (ICMPv6's source). */
  ipv6?: ForwarderIpv6;
  cpu: Cpu;
  tracer?: Tracer;
}

export interface ForwarderIpv6 {
  localAddrs: readonly Uint8Array[];
  egressNet: Uint8Array;
  egressPrefix: number;
  ingressAddr: Uint8Array;
}

/** IPV6_MIN_MTU: ip6_forward never takes a next-hop MTU below it. */
export const IPV6_MIN_MTU = 1280;

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
    forward_pkt_too_big: 0,
    icmpFragNeeded: 0,
    icmpTimeExceeded: 0,
    icmpv6PacketTooBig: 0,
    icmpv6TimeExceeded: 0,
    droppedWireFrames: 0,
    droppedWithIcmpWireFrames: 0,
    reverseForwarded: 0,
  };
  /** Called with every skb about to be transmitted (the trace narrator and tests listen). */
  onForward: ((skb: SkBuff) => void) | null = null;
  private readonly l2 = new Uint8Array(ETH.HLEN);
  private readonly l2v6 = new Uint8Array(ETH.HLEN);
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
    this.l2v6.set(this.l2);
    w16(this.l2v6, ETH.TYPE, ETHERTYPE.IPV6);
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
    const v6 = this.o.ipv6;
    const toIngress =
      L.l3 === ETH.HLEN &&
      (L.ipVersion === 4
        ? (L.daddr & this.mask) >>> 0 !== (this.o.egressNet & this.mask) >>> 0
        : L.ipVersion === 6 && v6 !== undefined && !inPrefix(frame, L.srcOff + 16, v6.egressNet, v6.egressPrefix));
    if (!toIngress) {
      this.stats.forward_no_route++;
      return;
    }
    this.o.cpu.charge('ip_forward');
    if (frame[L.l3 + (L.ipVersion === 4 ? IPV4.TTL : IPV6.HOP_LIMIT)]! <= 1) {
      this.stats.forward_ttl_exceeded++;
      return;
    }
    const b = this.back;
    b.set(frame.subarray(ETH.TYPE, len), ETH.TYPE);
    if (L.ipVersion === 4) ipDecreaseTtl(b, ETH.HLEN);
    else b[ETH.HLEN + IPV6.HOP_LIMIT] = b[ETH.HLEN + IPV6.HOP_LIMIT]! - 1;
    this.stats.reverseForwarded++;
    this.o.toIngressWire(b.subarray(0, len), len, nowNs);
  }

  /**
   * ip6_forward for a received IPv6 packet (data at its header, validated and trimmed; `hdrLen` the fixed header and
   * its extension headers, `pktLen` the whole packet): false when it is for this host; true when forwarded or dropped.
   */
  forward6(skb: SkBuff, hdrLen: number, pktLen: number): boolean {
    const o = this.o,
      st = this.stats,
      v6 = o.ipv6,
      h = this.hdr;
    if (v6 === undefined) return false;
    skb.copyBits(0, h, 0, IPV6.HLEN);
    for (const a of v6.localAddrs) if (inPrefix(h, IPV6.DST, a, 128)) return false;
    o.cpu.charge('ip_forward');
    if (o.kernel !== '2.6.24' && skb.gsoSize > 0 && skb.gsoType === 0)
      return this.drop(
        skb,
        'forward_lro_aggregate',
        'skb_warn_if_lro: received packets cannot be forwarded while LRO is enabled',
      );
    if (h[IPV6.HOP_LIMIT]! <= 1) {
      this.icmp6(skb, h, pktLen, 3, 0, 0);
      st.icmpv6TimeExceeded++;
      st.droppedWithIcmpWireFrames += skb.wireFrames;
      return this.drop(skb, 'forward_ttl_exceeded', 'hop limit exceeded in transit: ICMPv6 time exceeded sent back');
    }
    if (!inPrefix(h, IPV6.DST, v6.egressNet, v6.egressPrefix))
      return this.drop(skb, 'forward_no_route', 'no route to the destination');
    const mtu = Math.max(o.egress.dev.mtu, IPV6_MIN_MTU);
    if (this.tooBig6(skb, hdrLen, pktLen, mtu)) {
      this.icmp6(skb, h, pktLen, 2, 0, mtu);
      st.icmpv6PacketTooBig++;
      st.droppedWithIcmpWireFrames += skb.wireFrames;
      return this.drop(
        skb,
        'forward_pkt_too_big',
        `${pktLen} bytes exceed the next hop's MTU ${mtu}: ICMPv6 packet too big sent back`,
      );
    }
    if (!skb.pullTail(IPV6.HLEN)) return this.drop(skb, 'forward_no_route', 'IPv6 header not reachable');
    const b = skb.buf,
      at = skb.data;
    b[at + IPV6.HOP_LIMIT] = b[at + IPV6.HOP_LIMIT]! - 1; // no header checksum to follow it
    return this.send(skb, this.l2v6, 'ip6_forward', pktLen, 'hop limit', b[at + IPV6.HOP_LIMIT]!);
  }

  /** ip6_pkt_too_big: a GSO packet is too big when one of its segments is (skb_gso_validate_network_len), in every kernel. */
  private tooBig6(skb: SkBuff, hdrLen: number, pktLen: number, mtu: number): boolean {
    if (pktLen <= mtu) return false;
    if (skb.gsoSize === 0) return true;
    skb.copyBits(hdrLen, this.tcpHdr, 0, TCP.HLEN);
    return hdrLen + tcpHeaderLength(this.tcpHdr, 0) + skb.gsoSize > mtu;
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
    return this.send(skb, this.l2, 'ip_forward', totLen, 'TTL', b[at + IPV4.TTL]!);
  }

  /** The packet leaves by the egress device (either family): counted, traced, handed to dev_queue_xmit. */
  private send(skb: SkBuff, l2: Uint8Array, fn: string, len: number, hopName: string, hop: number): true {
    const o = this.o,
      st = this.stats;
    st.forwarded++;
    st.forwardedWireFrames += skb.wireFrames;
    if (skb.wireFrames > 1) st.forwardedAggregates++;
    if (this.tracer.enabled)
      this.tracer.emit({
        t: o.cpu.now,
        layer: 'stack',
        what: 'forward',
        text: `${fn}: ${len} bytes (${skb.wireFrames} wire frame${skb.wireFrames === 1 ? '' : 's'}, gso_size ${skb.gsoSize}, gso_type ${skb.gsoType}) out of ${o.egress.dev.name}, ${hopName} ${hop}`,
        queue: skb.queue,
        frame: skb.frameId,
      });
    this.onForward?.(skb);
    o.egress.xmit(skb, l2);
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

  /**
   * An ICMPv6 error about the IPv6 packet whose fixed header is in `h`: as much of it as keeps the error within the
   * minimum MTU (RFC 4443), back to its source from the ingress address; `mtu` fills the second word (packet too big).
   */
  private icmp6(skb: SkBuff, h: Uint8Array, pktLen: number, type: number, code: number, mtu: number): void {
    const quoted = Math.min(pktLen, skb.len, IPV6_MIN_MTU - IPV6.HLEN - ICMP.HLEN);
    const icmpLen = ICMP.HLEN + quoted;
    const f = new Uint8Array(ETH.HLEN + IPV6.HLEN + icmpLen); // rare: allocating is fine here
    if (skb.macHeader >= 0) f.set(skb.buf.subarray(skb.macHeader + ETH.SRC, skb.macHeader + ETH.SRC + 6), ETH.DST);
    f.set(this.o.ingressMac, ETH.SRC);
    w16(f, ETH.TYPE, ETHERTYPE.IPV6);
    const ip = ETH.HLEN;
    f[ip + IPV6.VER_TC_FL] = 0x60;
    w16(f, ip + IPV6.PAYLOAD_LEN, icmpLen);
    f[ip + IPV6.NEXT_HDR] = IPPROTO.ICMPV6;
    f[ip + IPV6.HOP_LIMIT] = 64;
    f.set(this.o.ipv6!.ingressAddr, ip + IPV6.SRC);
    f.set(h.subarray(IPV6.SRC, IPV6.SRC + 16), ip + IPV6.DST);
    const ic = ip + IPV6.HLEN;
    f[ic + ICMP.TYPE] = type;
    f[ic + ICMP.CODE] = code;
    w32(f, ic + ICMP.ID, mtu);
    skb.copyBits(0, f, ic + ICMP.HLEN, quoted);
    // the pseudo-header: both addresses, the upper-layer length and next header 58
    const pseudo = sumBytes(f, ip + IPV6.SRC, 32) + icmpLen + IPPROTO.ICMPV6;
    w16(f, ic + ICMP.CSUM, finish(sumBytes(f, ic, icmpLen, pseudo)));
    this.o.toIngressWire(f, f.length, this.o.cpu.now);
  }
}

/** Whether the 16-byte address at `b[off]` lies in `net`/`prefix`. */
function inPrefix(b: Uint8Array, off: number, net: Uint8Array, prefix: number): boolean {
  for (let i = 0; i < 16 && prefix > 0; i++, prefix -= 8) {
    const m = prefix >= 8 ? 0xff : (0xff << (8 - prefix)) & 0xff;
    if (((b[off + i]! ^ net[i]!) & m) !== 0) return false;
  }
  return true;
}

/** ip_decrease_ttl: the IPv4 header at `at` gets its TTL one less and its checksum adjusted by the same step (RFC 1624). */
export function ipDecreaseTtl(b: Uint8Array, at: number): void {
  b[at + IPV4.TTL] = b[at + IPV4.TTL]! - 1;
  const sum = r16(b, at + IPV4.CSUM) + 0x0100;
  w16(b, at + IPV4.CSUM, (sum + (sum >= 0xffff ? 1 : 0)) & 0xffff);
}
