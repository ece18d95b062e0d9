// mq driver setup: per receive queue a ring with shadow arrays (packet and header buffers), one NAPI
// context, one interrupt and one engine (GroEngine by default, LroManager in skb mode, or none).
// Checksum verdicts come from the descriptor; header split puts headers linear, payload in fragments.
// Datasheet: docs/hw-models/mq.md.
import { deliverToStack, groReceive, lroReceive } from '../deliver.ts';
import { linearTcpSkbHeader } from '../skb-header.ts';
import type { Driver, DriverEnv, Engine } from '../driver.ts';
import type { NicModel } from '../../hw-models/model.ts';
import { HDR_INFO, MQ_ERRORS, MQ_HDR_BUFFER_BYTES, MQ_STATUS, RX_DESC_SIZE, RX_READ, RX_WB } from '../../hw-models/mq.ts';
import type { Stack } from '../../stack/stack.ts';
import type { NapiStruct } from '../../stack/napi.ts';
import { NETIF_F_GRO, NETIF_F_HW_VLAN_RX, NETIF_F_LRO, NETIF_F_RXCSUM, type NetDevice, ethtoolStats } from '../../stack/netdev.ts';
import {
  CHECKSUM_NONE, CHECKSUM_UNNECESSARY, MAX_SKB_FRAGS, SKB_OVERHEAD, SkbPool, ethTypeTrans, type SkBuff,
} from '../../stack/skb.ts';
import { GroEngine, LroManager, sumGroStats, sumLroStats, type GroStats, type LroStats } from '../../lro/index.ts';
import type { Tracer } from '../../observe/trace.ts';
import { poll } from './poll.ts';

export const MQ_DEFAULT_MAX_AGGR = 64;
export const MQ_DEFAULT_MAX_DESC = 8;

/** Checksum verdict of the frame `receive` returned. */
export const CSUM_NONE = 0;
export const CSUM_GOOD = 1;
export const CSUM_BAD = 2;

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
  /** Refill could not get a DMA buffer. */
  alloc_rx_buff_failed: number;
  /** Drop: more buffers than an skb has fragments. */
  rx_too_many_frags: number;
}

export const MQ_DROP_COUNTERS = ['rx_too_many_frags'] as const;

/** IPv4/TCP headers for LRO from the skb's linear part (skb.data at the network header or an in-band tag). */
export const mqGetSkbHeader = linearTcpSkbHeader;

/** One receive queue; `poll.ts` drives it. */
export class MqQueue {
  readonly counters: MqQueueCounters = { packets: 0, bytes: 0, csum_good: 0, rx_csum_error: 0, header_split: 0, multi_buffer: 0, alloc_rx_buff_failed: 0, rx_too_many_frags: 0 };
  readonly lro: LroManager<null> | null = null;
  readonly gro: GroEngine | null = null;
  napi: NapiStruct | null = null;
  /** VLAN TCI and checksum verdict of the frame `receive` returned. */
  frameVlan = -1;
  frameCsum = CSUM_NONE;
  readonly entries: number;
  private readonly base: number;
  private readonly bufferBytes: number;
  private readonly headerSplit: boolean;
  private readonly view: DataView;
  private readonly mem: Uint8Array;
  /** Ring slot → packet buffer / header buffer address (0: none). Write-back overwrites the descriptor's copies. */
  private readonly pkt: Int32Array;
  private readonly hdr: Int32Array;
  /** Ring slot → when the driver first saw the completion (the write-back has no time stamp). */
  private readonly arrival: Float64Array;
  private ntc = 0;
  private tail = 0;
  private stamped = 0;
  private readonly pool = new SkbPool(64);
  /** Tracing only: the arrival index at the NIC of the frame being received (-1 untraced). */
  private traceFrame = -1;

  constructor(readonly q: number, readonly nic: NicModel, readonly stack: Stack, readonly tracer: Tracer, readonly dev: NetDevice,
    readonly nonNapi: boolean, env: DriverEnv) {
    const rx = nic.ring(q, 'rx');
    this.entries = rx.entries; this.base = rx.base; this.bufferBytes = rx.bufferBytes;
    this.headerSplit = nic.capabilities.headerSplit;
    this.view = nic.dma.view; this.mem = nic.dma.bytes;
    this.pkt = new Int32Array(rx.entries); this.hdr = new Int32Array(rx.entries);
    this.arrival = new Float64Array(rx.entries);
    const o = env.options;
    if (o.engine === 'lro') {
      this.lro = new LroManager<null>({
        maxDesc: o.maxDesc ?? MQ_DEFAULT_MAX_DESC, maxAggr: o.maxAggr ?? MQ_DEFAULT_MAX_AGGR, mtu: nic.mtu,
        features: { napi: !nonNapi, extractVlanId: false },      // a stripped tag is really gone from the frame
        ipSummed: CHECKSUM_UNNECESSARY, ipSummedAggr: CHECKSUM_UNNECESSARY,   // only hardware-verified frames get here
        sink: stack, skbPool: this.pool, tracer, cpu: stack.cpu, getSkbHeader: mqGetSkbHeader, queue: q,
        ...(o.lroQuirks !== undefined ? { quirks: o.lroQuirks } : {}),
      });
    } else if (o.engine === 'gro') this.gro = new GroEngine({ sink: stack, tracer, queue: q, cpu: stack.cpu });
  }

  noteArrivals(): void {
    const head = this.nic.readHead(this.q, 'rx'), now = this.nic.clock.now;
    for (let s = this.stamped; s !== head; s = s + 1 === this.entries ? 0 : s + 1) this.arrival[s] = now;
    this.stamped = head;
  }

  sampleOccupancy(): void {
    this.stack.occupancy.record(this.q, this.stack.cpu.now, (this.nic.readHead(this.q, 'rx') - this.ntc + this.entries) % this.entries);
  }

  /** Descriptors of the next complete frame at next_to_clean (DD on each, EOP on the last), or 0. */
  completedFrame(): number {
    const v = this.view;
    for (let k = 0, s = this.ntc; k < this.entries - 1; k++, s = s + 1 === this.entries ? 0 : s + 1) {
      const st = v.getUint16(this.base + s * RX_DESC_SIZE + RX_WB.STATUS, true);
      if ((st & MQ_STATUS.DD) === 0) return 0;
      if ((st & MQ_STATUS.EOP) !== 0) return k + 1;
    }
    return 0;
  }

  /**
   * The `n` descriptors at next_to_clean as one skb after eth_type_trans: with SPH the header buffer is
   * the linear part and every packet buffer a fragment; without, the first packet buffer is linear.
   * Sets frameVlan/frameCsum and ipSummed. Null after a counted drop.
   */
  receive(n: number): SkBuff | null {
    const v = this.view, dma = this.nic.dma, first = this.ntc, e = this.entries, c = this.counters;
    const d0 = this.base + first * RX_DESC_SIZE, last = this.base + ((first + n - 1) % e) * RX_DESC_SIZE;
    const hdrInfo = v.getUint16(d0 + RX_WB.HDR_INFO, true);
    const status = v.getUint16(last + RX_WB.STATUS, true), errors = v.getUint16(last + RX_WB.ERRORS, true);
    const split = (hdrInfo & HDR_INFO.SPH) !== 0;
    this.stack.cpu.charge('descriptor', n);
    this.ntc = (first + n) % e;
    if (this.tracer.enabled) this.traceFrame = this.nic.takeCompletedFrame?.(this.q) ?? -1;
    if (n - (split ? 0 : 1) > MAX_SKB_FRAGS) {
      for (let k = 0, s = first; k < n; k++, s = (s + 1) % e) { dma.free(this.pkt[s]!); this.pkt[s] = 0; v.setUint16(this.base + s * RX_DESC_SIZE + RX_WB.STATUS, 0, true); }
      c.rx_too_many_frags++;
      if (this.tracer.enabled) this.trace(first, n, status, errors, 0, 'rx_too_many_frags');
      return null;
    }
    this.stack.cpu.charge('skb_alloc');
    const skb = this.pool.get();
    let truesize = SKB_OVERHEAD + n * this.bufferBytes;
    if (split) {                                                   // header buffer → linear part (it is consumed: refill posts a new one)
      const h = this.hdr[first]!;
      skb.setLinear(this.mem, h, hdrInfo & HDR_INFO.LEN_MASK); skb.headOwner = dma; skb.headOwnerAddr = h;
      this.hdr[first] = 0;
      truesize += MQ_HDR_BUFFER_BYTES;
    }
    for (let k = 0, s = first; k < n; k++, s = s + 1 === e ? 0 : s + 1) {
      const d = this.base + s * RX_DESC_SIZE, addr = this.pkt[s]!, len = v.getUint16(d + RX_WB.LENGTH, true);
      if (k === 0 && !split) { skb.setLinear(this.mem, addr, len); skb.headOwner = dma; skb.headOwnerAddr = addr; }
      else skb.addFrag(this.mem, addr, len, dma, addr);
      this.pkt[s] = 0;
      v.setUint16(d + RX_WB.STATUS, 0, true);                      // cleaned: no stale DD a lap later
    }
    skb.truesize = truesize;
    skb.queue = this.q; skb.arrivalNs = this.arrival[first]!; skb.wireFrames = 1; skb.frameId = this.traceFrame;
    this.frameVlan = (status & MQ_STATUS.VP) !== 0 ? v.getUint16(last + RX_WB.VLAN, true) : -1;
    if ((errors & (MQ_ERRORS.IPE | MQ_ERRORS.L4E)) !== 0) { this.frameCsum = CSUM_BAD; skb.ipSummed = CHECKSUM_NONE; c.rx_csum_error++; }
    else if ((status & (MQ_STATUS.L4CS | MQ_STATUS.IPCS)) === (MQ_STATUS.L4CS | MQ_STATUS.IPCS)) { this.frameCsum = CSUM_GOOD; skb.ipSummed = CHECKSUM_UNNECESSARY; c.csum_good++; }
    else { this.frameCsum = CSUM_NONE; skb.ipSummed = CHECKSUM_NONE; }
    c.packets++; c.bytes += skb.len;
    if (split) c.header_split++;
    if (n > 1) c.multi_buffer++;
    this.dev.stats.rx_packets++; this.dev.stats.rx_bytes += skb.len;
    if (this.tracer.enabled) this.trace(first, n, status, errors, skb.len, '', split ? hdrInfo & HDR_INFO.LEN_MASK : 0, v.getUint32(d0 + RX_WB.RSS_HASH, true));
    ethTypeTrans(skb);
    return skb;
  }

  toLro(skb: SkBuff): void { lroReceive(this.lro!, skb, this.frameVlan, null); }

  /** napi_gro_receive (GRO validates CHECKSUM_NONE frames in software and charges that itself). */
  toGro(skb: SkBuff): void { groReceive(this.gro!, skb, this.frameVlan); }

  toStack(skb: SkBuff): void { deliverToStack(this.stack, skb, this.frameVlan, !this.nonNapi); }

  /** Posts buffers in every empty slot (header buffers only where the old one was consumed) and rings the doorbell once. */
  refill(): void {
    const v = this.view, e = this.entries, dma = this.nic.dma;
    let posted = 0;
    while ((this.tail + 1) % e !== this.ntc) {
      const t = this.tail;
      if (this.headerSplit && this.hdr[t] === 0) {
        const h = dma.alloc(MQ_HDR_BUFFER_BYTES);
        if (h < 0) { this.counters.alloc_rx_buff_failed++; break; }
        this.hdr[t] = h;
      }
      const p = dma.alloc(this.bufferBytes);
      if (p < 0) { this.counters.alloc_rx_buff_failed++; break; }
      this.pkt[t] = p;
      const d = this.base + t * RX_DESC_SIZE;                      // read format; the write-back will overwrite it
      v.setUint32(d + RX_READ.PKT_ADDR, p, true); v.setUint32(d + RX_READ.PKT_ADDR + 4, 0, true);
      v.setUint32(d + RX_READ.HDR_ADDR, this.hdr[t]!, true); v.setUint32(d + RX_READ.HDR_ADDR + 4, 0, true);
      this.tail = t + 1 === e ? 0 : t + 1;
      posted++;
    }
    if (posted > 0) this.nic.doorbell(this.q, 'rx', this.tail);
  }

  /** Packet buffers posted on the ring (entries - 1 when full). */
  get postedPacketBuffers(): number { let n = 0; for (let s = 0; s < this.entries; s++) if (this.pkt[s] !== 0) n++; return n; }

  /** Bytes of DMA buffers the ring holds (posted packet buffers plus header buffers kept for reuse). */
  get postedBytes(): number {
    let n = 0;
    for (let s = 0; s < this.entries; s++) n += (this.pkt[s] !== 0 ? this.bufferBytes : 0) + (this.hdr[s] !== 0 ? MQ_HDR_BUFFER_BYTES : 0);
    return n;
  }

  private trace(slot: number, n: number, status: number, errors: number, bytes: number, drop: string, hdrLen = 0, rss = 0): void {
    const text = drop !== ''
      ? `queue ${this.q} slot ${slot}: ${n} descriptor(s), status 0x${status.toString(16)}: dropped (${drop})`
      : `queue ${this.q} slot ${slot}: ${bytes} bytes in ${n} descriptor(s)${hdrLen > 0 ? ` (${hdrLen}-byte header split)` : ''}, status 0x${status.toString(16)}, errors 0x${errors.toString(16)}, RSS 0x${(rss >>> 0).toString(16)}${this.frameVlan >= 0 ? `, VLAN tag ${this.frameVlan}` : ''}`;
    this.tracer.emit({ t: this.nic.clock.now, layer: 'driver', what: drop !== '' ? 'drop' : 'completion', text, queue: this.q, ring: 'rx', slot, ...(n > 1 ? { slots: n } : {}), ...(drop !== '' ? { reason: drop } : {}), ...(this.traceFrame >= 0 ? { frame: this.traceFrame } : {}) });
  }
}

export class MqDriver implements Driver {
  readonly name = 'mq';
  readonly engine: Engine;
  readonly queues: MqQueue[] = [];
  readonly dev: NetDevice;
  private readonly env: DriverEnv;

  constructor(env: DriverEnv) {
    const { model: nic, stack, tracer, options: o } = env;
    if (nic.name !== 'mq') throw new Error(`mq driver: model "${nic.name}" is not an mq NIC (the driver reads mq descriptors)`);
    this.env = env;
    this.engine = o.engine;
    const caps = nic.capabilities;
    this.dev = stack.registerNetdev({ name: 'eth0', mtu: nic.mtu, mac: nic.macAddress,
      features: (caps.vlan === 'strip' ? NETIF_F_HW_VLAN_RX : 0) | (caps.rxChecksum === 'verified' ? NETIF_F_RXCSUM : 0)
        | (o.engine === 'lro' ? NETIF_F_LRO : o.engine === 'gro' ? NETIF_F_GRO : 0) });
    for (let q = 0; q < nic.queueCount; q++) this.queues.push(new MqQueue(q, nic, stack, tracer, this.dev, o.nonNapi === true, env));
    this.dev.registerStatsProvider(() => this.driverStats());
  }

  open(): void {
    const { model: nic, stack, options } = this.env;
    for (const q of this.queues) {
      const napi = stack.napiAdd(`eth0-rx${q.q}`, (_n, budget) => poll(q, budget), options.pollBudget, q.q);
      q.napi = napi;
      if (q.gro !== null) napi.attachGro(q.gro);
      const irq = stack.requestIrq(`eth0-rx${q.q}`, () => { q.noteArrivals(); nic.maskIrq(q.q); stack.napiSchedule(napi); });
      nic.onInterrupt(q.q, irq);
      q.refill();
      nic.unmaskIrq(q.q);
    }
  }

  lroStats(): LroStats | null { return this.engine === 'lro' ? sumLroStats(this.queues.map((q) => q.lro!.stats)) : null; }
  groStats(): GroStats | null { return this.engine === 'gro' ? sumGroStats(this.queues.map((q) => q.gro!.stats)) : null; }

  drops(): Record<string, number> {
    let tooMany = 0;
    for (const q of this.queues) tooMany += q.counters.rx_too_many_frags;
    return { rx_too_many_frags: tooMany };
  }

  ethtoolStats(): Record<string, number> { return ethtoolStats(this.dev); }

  get held(): number {
    let n = 0;
    for (const q of this.queues) n += (q.lro?.activeSessions ?? 0) + (q.gro?.heldPackets ?? 0);
    return n;
  }

  private driverStats(): Record<string, number> {
    const out: Record<string, number> = {};
    let good = 0, bad = 0, split = 0, allocFail = 0;
    for (const q of this.queues) {
      const c = q.counters;
      out[`rx_queue_${q.q}_packets`] = c.packets; out[`rx_queue_${q.q}_bytes`] = c.bytes; out[`rx_queue_${q.q}_csum_err`] = c.rx_csum_error;
      good += c.csum_good; bad += c.rx_csum_error; split += c.header_split; allocFail += c.alloc_rx_buff_failed;
    }
    out['hw_csum_rx_good'] = good; out['hw_csum_rx_error'] = bad; out['rx_hdr_split'] = split; out['alloc_rx_buff_failed'] = allocFail;
    const lro = this.lroStats();
    if (lro !== null) { out['lro_aggregated'] = lro.aggregated; out['lro_flushed'] = lro.flushed; out['lro_no_desc'] = lro.no_desc; }
    const gro = this.groStats();
    if (gro !== null) { out['gro_merged'] = gro.merged; out['gro_flushed'] = gro.flushed; }
    return out;
  }
}
