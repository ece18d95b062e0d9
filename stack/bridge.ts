// A learning bridge (net/bridge) over a host's ports: every frame a port receives teaches the
// forwarding database (FDB) that its source MAC lives behind that port (br_fdb_update); its
// destination MAC then decides: the bridge's own address → up to the host's stack; a known address
// behind another port → that port only; one behind the same port → filtered (the segment already
// carried it); an unknown, expired (ageing) or group address → flooded to every other port. No IP
// processing: no TTL, no checksum, the MAC header leaves as it came. What happens to an LRO
// aggregate is the kernel's: 2.6.24 bridges it as it is (br_dev_queue_push_xmit only refuses a
// non-GSO frame larger than the MTU, and an aggregate carries gso_size), 2.6.27 turns LRO off on
// every port when it joins the bridge (dev_disable_lro from br_add_if; lab/forward.ts) and drops
// an aggregate that still arrives (skb_warn_if_lro in __br_forward); modern kernels bridge GRO
// packets, which the egress device or software GSO cuts back into the segments that arrived.
// Every decision is counted and traced.
import { macKey, formatMac } from '../wire/address.ts';
import { ETH } from '../wire/constants.ts';
import type { Cpu } from '../sim/cost.ts';
import { NO_TRACE, type Tracer } from '../observe/trace.ts';
import type { ForwardKernel } from './forward.ts';
import { ETH_P_8021AD, ETH_P_8021Q, freeSkb, type SkBuff } from './skb.ts';
import type { XmitPath } from './xmit.ts';

/** Why the bridge consumed a frame without sending it anywhere. */
export const BRIDGE_DROP_REASONS = [
  /** skb_warn_if_lro (2.6.27 and later): an LRO aggregate cannot be bridged. */
  'bridge_lro_aggregate',
  /** The destination lives behind the port the frame came in on: not sent back (should_deliver). */
  'bridge_same_port',
  /** A non-GSO frame larger than the egress port's MTU (br_dev_queue_push_xmit). */
  'bridge_mtu_exceeded',
  /** An 802.1Q/802.1ad-tagged frame: the lab's transmit path sends untagged frames only (no tag insertion). */
  'bridge_vlan_tagged',
] as const;
export type BridgeDropReason = (typeof BRIDGE_DROP_REASONS)[number];

/** The Linux default of `ageing_time`: an address not heard from for 300 s is forgotten. */
export const BRIDGE_AGEING_NS = 300e9;

export interface BridgeStats {
  /** Skbs sent on by the bridge (to one port or flooded), how many were aggregates, the wire frames they carried. */
  bridged: number;
  bridgedAggregates: number;
  bridgedWireFrames: number;
  /** Frames to a known address, sent to its port only. */
  forwardedKnown: number;
  /** Frames to an unknown (or expired) unicast address, flooded; group (broadcast, multicast) frames, flooded. */
  floodedUnknown: number;
  floodedGroup: number;
  /** Frames for the bridge's own address, passed up to the host's stack. */
  deliveredLocal: number;
  /** FDB: addresses learned, addresses that moved to another port, entries found expired. */
  fdbLearned: number;
  fdbMoved: number;
  fdbAged: number;
  /** Frames that came back from the egress side (the far host's ACKs), bridged at the frame level. */
  reverseFrames: number;
  bridge_lro_aggregate: number;
  bridge_same_port: number;
  bridge_mtu_exceeded: number;
  bridge_vlan_tagged: number;
  /** Wire frames inside the skbs dropped by any reason above. */
  droppedWireFrames: number;
}

export interface BridgeOptions {
  kernel: ForwardKernel;
  /**
   * Port 0: the run's NIC, facing the link partner; its frames reach the bridge as skbs through the stack, and what
   * the bridge sends out of it goes straight onto its wire (its transmit ring is not modelled).
   */
  toIngressWire: (frame: Uint8Array, len: number, nowNs: number) => void;
  /** Port 1: the second NIC, facing the far host; its transmit path, and the far host's frames come in as whole frames. */
  egress: XmitPath;
  /** The bridge device's own addresses (frames to these go up to the stack). */
  localMacs: readonly Uint8Array[];
  /** FDB ageing time, ns (BRIDGE_AGEING_NS). */
  ageingNs?: number;
  cpu: Cpu;
  tracer?: Tracer;
}

interface FdbEntry {
  port: number;
  updatedNs: number;
}

const INGRESS = 0,
  EGRESS = 1,
  FLOOD = -1,
  LOCAL = -2;

export class Bridge {
  readonly stats: BridgeStats = {
    bridged: 0,
    bridgedAggregates: 0,
    bridgedWireFrames: 0,
    forwardedKnown: 0,
    floodedUnknown: 0,
    floodedGroup: 0,
    deliveredLocal: 0,
    fdbLearned: 0,
    fdbMoved: 0,
    fdbAged: 0,
    reverseFrames: 0,
    bridge_lro_aggregate: 0,
    bridge_same_port: 0,
    bridge_mtu_exceeded: 0,
    bridge_vlan_tagged: 0,
    droppedWireFrames: 0,
  };
  /** Called with every skb about to leave by a port (the trace narrator and tests listen). */
  onBridge: ((skb: SkBuff) => void) | null = null;
  private readonly fdb = new Map<number, FdbEntry>();
  private readonly local: Set<number>;
  private readonly l2 = new Uint8Array(ETH.HLEN);
  private readonly tracer: Tracer;
  private readonly ageingNs: number;

  constructor(private readonly o: BridgeOptions) {
    this.tracer = o.tracer ?? NO_TRACE;
    this.ageingNs = o.ageingNs ?? BRIDGE_AGEING_NS;
    this.local = new Set(o.localMacs.map((m) => macKey(m)));
  }

  /** Entries in the forwarding database (expired ones included until a lookup finds them). */
  get fdbSize(): number {
    return this.fdb.size;
  }

  /** The port an address was learned on, or undefined (unknown or expired). */
  portOf(mac: Uint8Array): number | undefined {
    const e = this.fdb.get(macKey(mac));
    return e === undefined || this.o.cpu.now - e.updatedNs > this.ageingNs ? undefined : e.port;
  }

  /**
   * br_handle_frame for an skb the ingress port received (after eth_type_trans: data at the network header, the MAC
   * header at `macHeader`): false when it is for the host itself (deliver locally), true when the bridge took it.
   */
  handleSkb(skb: SkBuff): boolean {
    const b = skb.buf,
      mac = skb.macHeader;
    const out = this.decide(b, mac, INGRESS);
    if (out === LOCAL) {
      this.stats.deliveredLocal++;
      return false;
    }
    const o = this.o;
    o.cpu.charge('br_forward');
    // skb_warn_if_lro: gso_size without gso_type is what only inet_lro leaves behind
    if (o.kernel !== '2.6.24' && skb.gsoSize > 0 && skb.gsoType === 0)
      return this.drop(
        skb,
        'bridge_lro_aggregate',
        'skb_warn_if_lro: received packets cannot be bridged while LRO is enabled',
      );
    if (out === INGRESS) return this.drop(skb, 'bridge_same_port', 'the destination is behind the port it came in on');
    if (skb.vlanPresent || skb.protocol === ETH_P_8021Q || skb.protocol === ETH_P_8021AD)
      return this.drop(skb, 'bridge_vlan_tagged', 'a tagged frame: the transmit path has no VLAN tag insertion');
    const dev = o.egress.dev;
    if (skb.gsoSize === 0 && skb.len > dev.mtu)
      return this.drop(skb, 'bridge_mtu_exceeded', `${skb.len} bytes exceed ${dev.name}'s MTU ${dev.mtu}`);
    const st = this.stats;
    st.bridged++;
    st.bridgedWireFrames += skb.wireFrames;
    if (skb.wireFrames > 1) st.bridgedAggregates++;
    if (this.tracer.enabled)
      this.tracer.emit({
        t: o.cpu.now,
        layer: 'stack',
        what: 'forward',
        reason: out === FLOOD ? 'br_flood' : 'br_forward',
        text: `br_forward: ${skb.len} bytes (${skb.wireFrames} wire frame${skb.wireFrames === 1 ? '' : 's'}, gso_size ${skb.gsoSize}, gso_type ${skb.gsoType}) to ${formatMac(b, mac + ETH.DST)}, ${out === FLOOD ? 'not in the FDB: flooded' : 'known'}: out of ${dev.name}, MAC header unchanged`,
        queue: skb.queue,
        frame: skb.frameId,
      });
    this.onBridge?.(skb);
    this.l2.set(b.subarray(mac, mac + ETH.HLEN));
    o.egress.xmit(skb, this.l2);
    return true;
  }

  /** A whole frame from the far host on the egress port, bridged without an skb (the reverse direction: its ACKs). */
  handleFrame(frame: Uint8Array, len: number, nowNs: number): void {
    const out = this.decide(frame, 0, EGRESS);
    if (out === LOCAL) {
      this.stats.deliveredLocal++;
      return; // the lab's far host talks to the link partner only: nothing for the host itself arrives here
    }
    this.o.cpu.charge('br_forward');
    if (out === EGRESS) {
      this.stats.bridge_same_port++;
      this.stats.droppedWireFrames++;
      return;
    }
    this.stats.reverseFrames++;
    this.o.toIngressWire(frame, len, nowNs);
  }

  /** br_fdb_update for the source, then the FDB lookup for the destination: a port, FLOOD or LOCAL. */
  private decide(b: Uint8Array, mac: number, inPort: number): number {
    const st = this.stats,
      now = this.o.cpu.now;
    // a group source address is never learned (is_valid_ether_addr)
    if ((b[mac + ETH.SRC]! & 1) === 0) {
      const src = macKey(b, mac + ETH.SRC);
      const e = this.fdb.get(src);
      if (e === undefined) {
        this.fdb.set(src, { port: inPort, updatedNs: now });
        st.fdbLearned++;
      } else {
        if (now - e.updatedNs > this.ageingNs) st.fdbAged++;
        else if (e.port !== inPort) st.fdbMoved++;
        e.port = inPort;
        e.updatedNs = now;
      }
    }
    if ((b[mac + ETH.DST]! & 1) !== 0) {
      st.floodedGroup++;
      return FLOOD;
    }
    const dst = macKey(b, mac + ETH.DST);
    if (this.local.has(dst)) return LOCAL;
    const e = this.fdb.get(dst);
    if (e !== undefined && now - e.updatedNs > this.ageingNs) {
      this.fdb.delete(dst);
      st.fdbAged++;
    } else if (e !== undefined) {
      if (e.port !== inPort) st.forwardedKnown++;
      return e.port;
    }
    st.floodedUnknown++;
    return FLOOD;
  }

  private drop(skb: SkBuff, reason: BridgeDropReason, why: string): true {
    this.stats[reason]++;
    this.stats.droppedWireFrames += skb.wireFrames;
    if (this.tracer.enabled)
      this.tracer.emit({
        t: this.o.cpu.now,
        layer: 'stack',
        what: 'drop',
        reason,
        text: `bridge drop (${reason}): ${why}`,
        queue: skb.queue,
        frame: skb.frameId,
      });
    freeSkb(skb);
    return true;
  }
}
