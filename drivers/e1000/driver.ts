// e1000 driver setup: one legacy-descriptor ring (drivers/rx-ring.ts: next_to_use/next_to_clean, buffer_info),
// one NAPI context and interrupt, and (optionally) an LroManager in skb mode or a GroEngine (drivers/rx-queue.ts).
// The NIC verifies no checksums: LRO needs `softwareChecksum`, GRO checks in software itself. Datasheet: docs/hw-models/e1000.md.
import { linearTcpSkbHeader } from '../skb-header.ts';
import { RxRing, type RxBufferSource } from '../rx-ring.ts';
import { CSUM_BAD, CSUM_GOOD, CSUM_NONE, LRO_MAX_AGGR, LRO_MAX_DESC, RxDriver, RxQueue, type CsumVerdict } from '../rx-queue.ts';
import type { Driver, DriverEnv } from '../driver.ts';
import type { NicModel } from '../../hw-models/model.ts';
import { RX_DESC, RX_DESC_SIZE, RX_ERRORS, RX_STATUS } from '../../hw-models/e1000.ts';
import type { Stack } from '../../stack/stack.ts';
import { NETIF_F_GRO, NETIF_F_HW_VLAN_RX, NETIF_F_LRO, type NetDevice } from '../../stack/netdev.ts';
import { CHECKSUM_NONE, CHECKSUM_UNNECESSARY, MAX_SKB_FRAGS, SKB_OVERHEAD, ethTypeTrans, type SkBuff } from '../../stack/skb.ts';
import type { Tracer } from '../../observe/trace.ts';
import { TcpChecksumVerifier } from './sw-checksum.ts';
import { poll } from './poll.ts';

/** ERRORS bits that make a frame unusable (a real e1000 drops these; this model never sets them). */
const FRAME_ERRORS = RX_ERRORS.CE | RX_ERRORS.SE | RX_ERRORS.SEQ | RX_ERRORS.CXE | RX_ERRORS.RXE;
export const E1000_DEFAULT_MAX_AGGR = LRO_MAX_AGGR;
export const E1000_DEFAULT_MAX_DESC = LRO_MAX_DESC;

/** The driver's own counters (ethtool -S names of the real e1000 where one existed). */
export interface E1000Counters {
  /** Frames that spanned more than one descriptor (jumbo frames in several buffers). */
  rx_long_frames: number;
  /** softwareChecksum: TCP frames (over IPv4 or IPv6) that verified / failed. */
  rx_sw_csum_good: number;
  rx_sw_csum_bad: number;
  /** alloc_rx_buffers could not get a DMA buffer (the slot stays empty until the next poll). */
  alloc_rx_buff_failed: number;
  /** Drops: a descriptor with a frame error bit (CE/SE/SEQ/CXE/RXE). */
  rx_error_completion: number;
  /** Drops: a frame in more buffers than an skb has fragments (1 linear + MAX_SKB_FRAGS). */
  rx_too_many_frags: number;
}

export const E1000_DROP_COUNTERS = ['rx_error_completion', 'rx_too_many_frags'] as const;

/** IPv4/TCP headers of an skb for LRO (skb.data at the network header, or at an in-band tag). */
export const e1000GetSkbHeader = linearTcpSkbHeader;

/** The receive queue: the rx ring, its buffers and engine; `poll.ts` drives it. */
export class E1000Queue extends RxQueue<null> implements RxBufferSource {
  readonly counters: E1000Counters = { rx_long_frames: 0, rx_sw_csum_good: 0, rx_sw_csum_bad: 0, alloc_rx_buff_failed: 0, rx_error_completion: 0, rx_too_many_frags: 0 };
  readonly ring: RxRing;
  /** VLAN TCI of the frame `buildSkb` returned (-1: none stripped). */
  frameVlan = -1;
  /** Tracing only: the arrival index at the NIC of the frame being received (-1 untraced). */
  private traceFrame = -1;
  private readonly verifier = new TcpChecksumVerifier();

  constructor(nic: NicModel, stack: Stack, tracer: Tracer, dev: NetDevice, readonly softwareChecksum: boolean, env: DriverEnv) {
    super(0, nic, stack, tracer, dev, env.options, {
      extractVlanId: false,                                      // a stripped tag is really gone from the frame
      ipSummed: CHECKSUM_UNNECESSARY, ipSummedAggr: CHECKSUM_UNNECESSARY,   // only software-verified frames get here
      getSkbHeader: e1000GetSkbHeader,
    });
    this.ring = new RxRing(nic, 0, 'rx');
  }

  /** The NAPI context and interrupt (hard IRQ: ICR read, the one-shot line is the ack; IMC masks; the poll is scheduled), the ring's buffers, IMS. */
  open(weight: number): void {
    this.registerNapi('eth0-rx0', weight, (budget) => poll(this, budget), () => { this.ring.noteArrivals(); this.nic.maskIrq(0); });
    this.allocRxBuffers();
    this.nic.unmaskIrq(0);
  }

  /** The DD-bit completion: descriptors of the next complete frame at next_to_clean (DD on each, EOP on the last), or 0. */
  nextCompletion(): number { return this.ring.ddFrame(RX_DESC.STATUS, 1, RX_STATUS.DD, RX_STATUS.EOP); }

  /**
   * Turns the `n` descriptors at next_to_clean into one skb (first buffer linear, the others page
   * fragments: no copy) after eth_type_trans, or counts a drop and returns null. The slots are empty
   * afterwards; allocRxBuffers posts new buffers.
   */
  buildSkb(n: number): SkBuff | null {
    const ring = this.ring, v = this.nic.dma.view, dma = this.nic.dma, first = ring.nextToClean;
    const last = ring.desc((first + n - 1) % ring.entries);
    const status = v.getUint8(last + RX_DESC.STATUS), errors = v.getUint8(last + RX_DESC.ERRORS);
    this.stack.cpu.charge('descriptor', n);
    if (this.tracer.enabled) this.traceFrame = this.nic.takeCompletedFrame?.(0) ?? -1;
    const why = (errors & FRAME_ERRORS) !== 0 ? 'rx_error_completion' : n > 1 + MAX_SKB_FRAGS ? 'rx_too_many_frags' : null;
    if (why !== null) {
      for (let k = 0; k < n; k++) { v.setUint8(ring.desc(ring.nextToClean) + RX_DESC.STATUS, 0); dma.free(ring.clean()); }
      this.counters[why]++;
      if (this.tracer.enabled) this.trace(first, n, status, errors, why);
      return null;
    }
    this.stack.cpu.charge('skb_alloc');
    const skb = this.pool.get(), arrival = ring.arrivalOf(first);
    for (let k = 0; k < n; k++) {
      const d = ring.desc(ring.nextToClean), len = v.getUint16(d + RX_DESC.LENGTH, true);
      v.setUint8(d + RX_DESC.STATUS, 0);                          // cleaned: a stale DD must not be read again a lap later
      const addr = ring.clean();
      if (k === 0) { skb.setLinear(dma.bytes, addr, len); skb.headOwner = dma; skb.headOwnerAddr = addr; }
      else skb.addFrag(dma.bytes, addr, len, dma, addr);
    }
    skb.truesize = SKB_OVERHEAD + n * ring.bufferBytes;
    skb.queue = 0; skb.arrivalNs = arrival; skb.wireFrames = 1; skb.frameId = this.traceFrame;
    skb.ipSummed = CHECKSUM_NONE;
    this.frameVlan = (status & RX_STATUS.VP) !== 0 ? v.getUint16(last + RX_DESC.SPECIAL, true) : -1;
    this.dev.stats.rx_packets++; this.dev.stats.rx_bytes += skb.len;
    if (n > 1) this.counters.rx_long_frames++;
    if (this.tracer.enabled) this.trace(first, n, status, errors, '', skb.len);
    ethTypeTrans(skb);
    return skb;
  }

  /** e1000_rx_checksum in software (softwareChecksum): the full TCP checksum over IPv4 or IPv6, csum_byte per byte; good → CHECKSUM_UNNECESSARY. */
  rxChecksum(skb: SkBuff): CsumVerdict {
    if (!this.softwareChecksum) return CSUM_NONE;
    const r = this.verifier.verify(skb);
    if (this.verifier.bytes > 0) this.stack.cpu.charge('csum_byte', this.verifier.bytes);
    if (r === CSUM_GOOD) { skb.ipSummed = CHECKSUM_UNNECESSARY; this.counters.rx_sw_csum_good++; }
    else if (r === CSUM_BAD) this.counters.rx_sw_csum_bad++;
    return r;
  }

  /** e1000_alloc_rx_buffers: a fresh buffer in every unused slot, RDT written once; a failure is counted and retried next poll. */
  allocRxBuffers(): void { if (!this.ring.allocRxBuffers(this)) this.counters.alloc_rx_buff_failed++; }

  allocRxBuffer(ring: RxRing): number { return this.nic.dma.alloc(ring.bufferBytes); }

  writeRxDesc(ring: RxRing, slot: number, buffer: number): void {
    const d = ring.desc(slot);
    this.nic.dma.bytes.fill(0, d, d + RX_DESC_SIZE);              // STATUS must be 0 before the device owns it
    this.nic.dma.view.setUint32(d + RX_DESC.BUFFER_ADDR, buffer, true);
  }

  /** Buffers currently posted on the ring (the DMA baseline a drained run returns to). */
  get postedBuffers(): number { return this.ring.buffers; }

  private trace(slot: number, n: number, status: number, errors: number, drop: string, bytes = 0): void {
    const text = drop !== ''
      ? `rx ring slot ${slot}: ${n} descriptor(s), status 0x${status.toString(16)}, errors 0x${errors.toString(16)}: dropped (${drop})`
      : `rx ring slot ${slot}: ${bytes} bytes in ${n} descriptor(s), status 0x${status.toString(16)}${this.frameVlan >= 0 ? `, VLAN tag ${this.frameVlan}` : ''}`;
    this.tracer.emit({ t: this.nic.clock.now, layer: 'driver', what: drop !== '' ? 'drop' : 'completion', text, queue: 0, ring: 'rx', slot, ...(n > 1 ? { slots: n } : {}), ...(drop !== '' ? { reason: drop } : {}), ...(this.traceFrame >= 0 ? { frame: this.traceFrame } : {}) });
  }
}

/** The e1000 driver instance: one receive queue. */
export class E1000Driver extends RxDriver<E1000Queue> implements Driver {
  readonly name = 'e1000';

  constructor(env: DriverEnv) {
    const { model: nic, stack, tracer, options: o } = env;
    if (nic.name !== 'e1000') throw new Error(`e1000 driver: model "${nic.name}" is not an e1000 (the driver reads e1000 legacy descriptors)`);
    const dev = stack.registerNetdev({ name: 'eth0', mtu: nic.mtu, mac: nic.macAddress,
      features: (nic.capabilities.vlan === 'strip' ? NETIF_F_HW_VLAN_RX : 0) | (o.engine === 'lro' ? NETIF_F_LRO : o.engine === 'gro' ? NETIF_F_GRO : 0) });
    super(env, dev, () => new E1000Queue(nic, stack, tracer, dev, o.softwareChecksum === true, env));
    this.dev.registerStatsProvider(() => this.driverStats());
  }

  /** The one receive queue. */
  get queue(): E1000Queue { return this.queues[0]!; }

  drops(): Record<string, number> {
    const c = this.queue.counters;
    return { rx_error_completion: c.rx_error_completion, rx_too_many_frags: c.rx_too_many_frags };
  }

  private driverStats(): Record<string, number> {
    const q = this.queue, out: Record<string, number> = { ...q.counters };
    if (q.lro !== null) { const s = q.lro.stats; out['LRO aggregated'] = s.aggregated; out['LRO flushed'] = s.flushed; out['LRO no_desc'] = s.no_desc; }
    if (q.gro !== null) { const s = q.gro.stats; out['GRO merged'] = s.merged; out['GRO flushed'] = s.flushed; }
    return out;
  }
}

export { CSUM_BAD, CSUM_GOOD, CSUM_NONE };
