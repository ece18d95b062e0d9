// mq driver setup: per receive queue a ring (drivers/rx-ring.ts: next_to_use/next_to_clean, buffer_info for the
// packet buffers, a second array for header buffers), one NAPI context, one interrupt and one engine
// (drivers/rx-queue.ts: GroEngine by default, LroManager in skb mode, or none).
// Checksum verdicts come from the descriptor; header split puts headers linear, payload in fragments.
// Datasheet: docs/hw-models/mq.md.
import { linearTcpSkbHeader } from '../skb-header.ts';
import { RxRing, type RxBufferSource } from '../rx-ring.ts';
import { CSUM_BAD, CSUM_GOOD, CSUM_NONE, LRO_MAX_AGGR, LRO_MAX_DESC, RxDriver, RxQueue, type CsumVerdict } from '../rx-queue.ts';
import type { Driver, DriverEnv } from '../driver.ts';
import type { NicModel } from '../../hw-models/model.ts';
import { HDR_INFO, MQ_ERRORS, MQ_HDR_BUFFER_BYTES, MQ_STATUS, RX_READ, RX_WB } from '../../hw-models/mq.ts';
import type { Stack } from '../../stack/stack.ts';
import { NETIF_F_GRO, NETIF_F_HW_VLAN_RX, NETIF_F_LRO, NETIF_F_RXCSUM, type NetDevice } from '../../stack/netdev.ts';
import { CHECKSUM_NONE, CHECKSUM_UNNECESSARY, MAX_SKB_FRAGS, SKB_OVERHEAD, ethTypeTrans, type SkBuff } from '../../stack/skb.ts';
import type { Tracer } from '../../observe/trace.ts';
import { poll } from './poll.ts';

export const MQ_DEFAULT_MAX_AGGR = LRO_MAX_AGGR;
export const MQ_DEFAULT_MAX_DESC = LRO_MAX_DESC;
export { CSUM_BAD, CSUM_GOOD, CSUM_NONE };

/** Per-queue counters (ethtool -S prints them as rx_queue_<q>_<name>). */
export interface MqQueueCounters {
  packets: number;
  bytes: number;
  /** L4CS+IPCS without errors: CHECKSUM_UNNECESSARY. */
  csum_good: number;
  /** IPE or L4E set: CHECKSUM_NONE, delivered alone (never to LRO); the stack drops it. Not a driver drop. */
  rx_csum_error: number;
  /** Frames whose headers came in the header buffer (SPH). */
  header_split: number;
  /** Frames in more than one packet buffer. */
  multi_buffer: number;
  /** alloc_rx_buffers could not get a DMA buffer. */
  alloc_rx_buff_failed: number;
  /** Drop: more buffers than an skb has fragments. */
  rx_too_many_frags: number;
}

export const MQ_DROP_COUNTERS = ['rx_too_many_frags'] as const;

/** IPv4/TCP headers for LRO from the skb's linear part (skb.data at the network header or an in-band tag). */
export const mqGetSkbHeader = linearTcpSkbHeader;

/** One receive queue; `poll.ts` drives it. */
export class MqQueue extends RxQueue<null> implements RxBufferSource {
  readonly counters: MqQueueCounters = { packets: 0, bytes: 0, csum_good: 0, rx_csum_error: 0, header_split: 0, multi_buffer: 0, alloc_rx_buff_failed: 0, rx_too_many_frags: 0 };
  /** The rx ring; its buffer_info holds the packet buffers (the write-back overwrites the descriptor's copies). */
  readonly ring: RxRing;
  /** VLAN TCI and checksum verdict of the frame `buildSkb` returned. */
  frameVlan = -1;
  frameCsum: CsumVerdict = CSUM_NONE;
  private readonly headerSplit: boolean;
  /** Ring slot → header buffer address (0: none); kept for reuse while unconsumed. */
  private readonly hdr: Int32Array;
  /** Tracing only: the arrival index at the NIC of the frame being received (-1 untraced). */
  private traceFrame = -1;

  constructor(q: number, nic: NicModel, stack: Stack, tracer: Tracer, dev: NetDevice, env: DriverEnv) {
    super(q, nic, stack, tracer, dev, env.options, {
      extractVlanId: false,                                      // a stripped tag is really gone from the frame
      ipSummed: CHECKSUM_UNNECESSARY, ipSummedAggr: CHECKSUM_UNNECESSARY,   // only hardware-verified frames get here
      getSkbHeader: mqGetSkbHeader,
    });
    this.ring = new RxRing(nic, q, 'rx');
    this.headerSplit = nic.capabilities.headerSplit;
    this.hdr = new Int32Array(this.ring.entries);
  }

  /** The queue's NAPI context and MSI-X vector (its hard IRQ masks it and schedules the poll), its buffers, the interrupt enabled. */
  open(weight: number): void {
    this.registerNapi(`eth0-rx${this.q}`, weight, (budget) => poll(this, budget), () => { this.ring.noteArrivals(); this.nic.maskIrq(this.q); });
    this.allocRxBuffers();
    this.nic.unmaskIrq(this.q);
  }

  /** The DD-bit completion: descriptors of the next complete frame at next_to_clean (DD on each, EOP on the last), or 0. */
  nextCompletion(): number { return this.ring.ddFrame(RX_WB.STATUS, 2, MQ_STATUS.DD, MQ_STATUS.EOP); }

  /**
   * The `n` descriptors at next_to_clean as one skb after eth_type_trans: with SPH the header buffer is
   * the linear part and every packet buffer a fragment; without, the first packet buffer is linear.
   * Sets frameVlan and the checksum verdict (rxChecksum). Null after a counted drop.
   */
  buildSkb(n: number): SkBuff | null {
    const ring = this.ring, v = this.nic.dma.view, dma = this.nic.dma, first = ring.nextToClean, c = this.counters;
    const d0 = ring.desc(first), last = ring.desc((first + n - 1) % ring.entries);
    const hdrInfo = v.getUint16(d0 + RX_WB.HDR_INFO, true);
    const status = v.getUint16(last + RX_WB.STATUS, true), errors = v.getUint16(last + RX_WB.ERRORS, true);
    const split = (hdrInfo & HDR_INFO.SPH) !== 0;
    this.stack.cpu.charge('descriptor', n);
    if (this.tracer.enabled) this.traceFrame = this.nic.takeCompletedFrame?.(this.q) ?? -1;
    if (n - (split ? 0 : 1) > MAX_SKB_FRAGS) {
      for (let k = 0; k < n; k++) { v.setUint16(ring.desc(ring.nextToClean) + RX_WB.STATUS, 0, true); dma.free(ring.clean()); }
      c.rx_too_many_frags++;
      if (this.tracer.enabled) this.trace(first, n, status, errors, 0, 'rx_too_many_frags');
      return null;
    }
    this.stack.cpu.charge('skb_alloc');
    const skb = this.pool.get(), arrival = ring.arrivalOf(first);
    let truesize = SKB_OVERHEAD + n * ring.bufferBytes;
    if (split) {                                                   // header buffer → linear part (it is consumed: refill posts a new one)
      const h = this.hdr[first]!;
      skb.setLinear(dma.bytes, h, hdrInfo & HDR_INFO.LEN_MASK); skb.headOwner = dma; skb.headOwnerAddr = h;
      this.hdr[first] = 0;
      truesize += MQ_HDR_BUFFER_BYTES;
    }
    for (let k = 0; k < n; k++) {
      const d = ring.desc(ring.nextToClean), len = v.getUint16(d + RX_WB.LENGTH, true);
      v.setUint16(d + RX_WB.STATUS, 0, true);                      // cleaned: no stale DD a lap later
      const addr = ring.clean();
      if (k === 0 && !split) { skb.setLinear(dma.bytes, addr, len); skb.headOwner = dma; skb.headOwnerAddr = addr; }
      else skb.addFrag(dma.bytes, addr, len, dma, addr);
    }
    skb.truesize = truesize;
    skb.queue = this.q; skb.arrivalNs = arrival; skb.wireFrames = 1; skb.frameId = this.traceFrame;
    this.frameVlan = (status & MQ_STATUS.VP) !== 0 ? v.getUint16(last + RX_WB.VLAN, true) : -1;
    // L4CS without an error is a verified segment, as ixgbe_rx_checksum reads it: IPv6 has no header checksum, so no IPCS
    this.frameCsum = (errors & (MQ_ERRORS.IPE | MQ_ERRORS.L4E)) !== 0 ? CSUM_BAD
      : (status & MQ_STATUS.L4CS) !== 0 ? CSUM_GOOD : CSUM_NONE;
    c.packets++; c.bytes += skb.len;
    if (split) c.header_split++;
    if (n > 1) c.multi_buffer++;
    this.dev.stats.rx_packets++; this.dev.stats.rx_bytes += skb.len;
    if (this.tracer.enabled) this.trace(first, n, status, errors, skb.len, '', split ? hdrInfo & HDR_INFO.LEN_MASK : 0, v.getUint32(d0 + RX_WB.RSS_HASH, true));
    ethTypeTrans(skb);
    return skb;
  }

  /** igb_rx_checksum: the descriptor's verdict → ip_summed (L4CS+IPCS without errors: CHECKSUM_UNNECESSARY). */
  rxChecksum(skb: SkBuff): CsumVerdict {
    const r = this.frameCsum;
    skb.ipSummed = r === CSUM_GOOD ? CHECKSUM_UNNECESSARY : CHECKSUM_NONE;
    if (r === CSUM_GOOD) this.counters.csum_good++; else if (r === CSUM_BAD) this.counters.rx_csum_error++;
    return r;
  }

  /** igb_alloc_rx_buffers: buffers in every unused slot (header buffers only where the old one was consumed), one doorbell. */
  allocRxBuffers(): void { if (!this.ring.allocRxBuffers(this)) this.counters.alloc_rx_buff_failed++; }

  allocRxBuffer(ring: RxRing, slot: number): number {
    if (this.headerSplit && this.hdr[slot] === 0) {
      const h = this.nic.dma.alloc(MQ_HDR_BUFFER_BYTES);
      if (h < 0) return -1;
      this.hdr[slot] = h;
    }
    return this.nic.dma.alloc(ring.bufferBytes);
  }

  writeRxDesc(ring: RxRing, slot: number, buffer: number): void {
    const v = this.nic.dma.view, d = ring.desc(slot);            // read format; the write-back will overwrite it
    v.setUint32(d + RX_READ.PKT_ADDR, buffer, true); v.setUint32(d + RX_READ.PKT_ADDR + 4, 0, true);
    v.setUint32(d + RX_READ.HDR_ADDR, this.hdr[slot]!, true); v.setUint32(d + RX_READ.HDR_ADDR + 4, 0, true);
  }

  /** Packet buffers posted on the ring (entries - 1 when full). */
  get postedPacketBuffers(): number { return this.ring.buffers; }

  /** Bytes of DMA buffers the ring holds (posted packet buffers plus header buffers kept for reuse). */
  get postedBytes(): number {
    let n = this.ring.buffers * this.ring.bufferBytes;
    for (let s = 0; s < this.ring.entries; s++) if (this.hdr[s] !== 0) n += MQ_HDR_BUFFER_BYTES;
    return n;
  }

  get entries(): number { return this.ring.entries; }

  private trace(slot: number, n: number, status: number, errors: number, bytes: number, drop: string, hdrLen = 0, rss = 0): void {
    const text = drop !== ''
      ? `queue ${this.q} slot ${slot}: ${n} descriptor(s), status 0x${status.toString(16)}: dropped (${drop})`
      : `queue ${this.q} slot ${slot}: ${bytes} bytes in ${n} descriptor(s)${hdrLen > 0 ? ` (${hdrLen}-byte header split)` : ''}, status 0x${status.toString(16)}, errors 0x${errors.toString(16)}, RSS 0x${(rss >>> 0).toString(16)}${this.frameVlan >= 0 ? `, VLAN tag ${this.frameVlan}` : ''}`;
    this.tracer.emit({ t: this.nic.clock.now, layer: 'driver', what: drop !== '' ? 'drop' : 'completion', text, queue: this.q, ring: 'rx', slot, ...(n > 1 ? { slots: n } : {}), ...(drop !== '' ? { reason: drop } : {}), ...(this.traceFrame >= 0 ? { frame: this.traceFrame } : {}) });
  }
}

/** The mq driver instance: one MqQueue per receive queue. */
export class MqDriver extends RxDriver<MqQueue> implements Driver {
  readonly name = 'mq';

  constructor(env: DriverEnv) {
    const { model: nic, stack, tracer, options: o } = env, caps = nic.capabilities;
    if (nic.name !== 'mq') throw new Error(`mq driver: model "${nic.name}" is not an mq NIC (the driver reads mq descriptors)`);
    const dev = stack.registerNetdev({ name: 'eth0', mtu: nic.mtu, mac: nic.macAddress,
      features: (caps.vlan === 'strip' ? NETIF_F_HW_VLAN_RX : 0) | (caps.rxChecksum === 'verified' ? NETIF_F_RXCSUM : 0)
        | (o.engine === 'lro' ? NETIF_F_LRO : o.engine === 'gro' ? NETIF_F_GRO : 0) });
    super(env, dev, (q) => new MqQueue(q, nic, stack, tracer, dev, env));
    this.dev.registerStatsProvider(() => this.driverStats());
  }

  drops(): Record<string, number> { return { rx_too_many_frags: this.sum((q) => q.counters.rx_too_many_frags) }; }

  private driverStats(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const q of this.queues) {
      const c = q.counters;
      out[`rx_queue_${q.q}_packets`] = c.packets; out[`rx_queue_${q.q}_bytes`] = c.bytes; out[`rx_queue_${q.q}_csum_err`] = c.rx_csum_error;
    }
    out['hw_csum_rx_good'] = this.sum((q) => q.counters.csum_good); out['hw_csum_rx_error'] = this.sum((q) => q.counters.rx_csum_error);
    out['rx_hdr_split'] = this.sum((q) => q.counters.header_split); out['alloc_rx_buff_failed'] = this.sum((q) => q.counters.alloc_rx_buff_failed);
    const lro = this.lroStats();
    if (lro !== null) { out['lro_aggregated'] = lro.aggregated; out['lro_flushed'] = lro.flushed; out['lro_no_desc'] = lro.no_desc; }
    const gro = this.groStats();
    if (gro !== null) { out['gro_merged'] = gro.merged; out['gro_flushed'] = gro.flushed; }
    return out;
  }
}
