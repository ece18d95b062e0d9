// e1000 driver setup: one legacy-descriptor ring, a shadow array of buffer addresses, one NAPI context
// and interrupt, and (optionally) an LroManager in skb mode or a GroEngine. The NIC verifies no
// checksums: LRO needs `softwareChecksum`, GRO checks in software itself. Datasheet: docs/hw-models/e1000.md.
import { deliverToStack, groReceive, lroReceive } from '../deliver.ts';
import { linearTcpSkbHeader } from '../skb-header.ts';
import type { Driver, DriverEnv, Engine } from '../driver.ts';
import type { NicModel } from '../../hw-models/model.ts';
import { RX_DESC, RX_DESC_SIZE, RX_ERRORS, RX_STATUS } from '../../hw-models/e1000.ts';
import type { Stack } from '../../stack/stack.ts';
import type { NapiStruct } from '../../stack/napi.ts';
import { NETIF_F_GRO, NETIF_F_HW_VLAN_RX, NETIF_F_LRO, type NetDevice, ethtoolStats } from '../../stack/netdev.ts';
import {
  CHECKSUM_NONE, CHECKSUM_UNNECESSARY, MAX_SKB_FRAGS, SKB_OVERHEAD, SkbPool, ethTypeTrans, type SkBuff,
} from '../../stack/skb.ts';
import { GroEngine, LroManager, sumGroStats, sumLroStats, type GroStats, type LroStats } from '../../lro/index.ts';
import type { Tracer } from '../../observe/trace.ts';
import { CSUM_BAD, CSUM_GOOD, CSUM_NONE, TcpChecksumVerifier, type CsumVerdict } from './sw-checksum.ts';
import { poll } from './poll.ts';

/** ERRORS bits that make a frame unusable (a real e1000 drops these; this model never sets them). */
const FRAME_ERRORS = RX_ERRORS.CE | RX_ERRORS.SE | RX_ERRORS.SEQ | RX_ERRORS.CXE | RX_ERRORS.RXE;
export const E1000_DEFAULT_MAX_AGGR = 64;
export const E1000_DEFAULT_MAX_DESC = 8;

/** The driver's own counters (ethtool -S names of the real e1000 where one existed). */
export interface E1000Counters {
  /** Frames that spanned more than one descriptor (jumbo frames in several buffers). */
  rx_long_frames: number;
  /** softwareChecksum: TCP/IPv4 frames that verified / failed. */
  rx_sw_csum_good: number;
  rx_sw_csum_bad: number;
  /** Refill could not get a DMA buffer (the slot stays empty until the next poll). */
  alloc_rx_buff_failed: number;
  /** Drops: a descriptor with a frame error bit (CE/SE/SEQ/CXE/RXE). */
  rx_error_completion: number;
  /** Drops: a frame in more buffers than an skb has fragments (1 linear + MAX_SKB_FRAGS). */
  rx_too_many_frags: number;
}

export const E1000_DROP_COUNTERS = ['rx_error_completion', 'rx_too_many_frags'] as const;

/** IPv4/TCP headers of an skb for LRO (skb.data at the network header, or at an in-band tag). */
export const e1000GetSkbHeader = linearTcpSkbHeader;

/** The receive queue: ring state, buffers, engines; `poll.ts` drives it. */
export class E1000Queue {
  readonly counters: E1000Counters = { rx_long_frames: 0, rx_sw_csum_good: 0, rx_sw_csum_bad: 0, alloc_rx_buff_failed: 0, rx_error_completion: 0, rx_too_many_frags: 0 };
  readonly lro: LroManager<null> | null = null;
  readonly gro: GroEngine | null = null;
  napi: NapiStruct | null = null;
  /** VLAN TCI of the frame `receive` returned (-1: none stripped). */
  frameVlan = -1;
  readonly entries: number;
  private readonly base: number;
  private readonly bufferBytes: number;
  private readonly view: DataView;
  private readonly mem: Uint8Array;
  /** Ring slot → DMA address of the buffer posted there (0: empty). */
  private readonly shadow: Int32Array;
  /** Ring slot → when the driver first saw the completion (the descriptor has no time stamp). */
  private readonly arrival: Float64Array;
  /** next_to_clean, the driver's tail (next slot to post), and the first slot not yet time-stamped. */
  private ntc = 0;
  private tail = 0;
  private stamped = 0;
  private readonly pool = new SkbPool(64);
  /** Tracing only: the arrival index at the NIC of the frame being received (-1 untraced). */
  private traceFrame = -1;
  private readonly verifier = new TcpChecksumVerifier();

  constructor(readonly nic: NicModel, readonly stack: Stack, readonly tracer: Tracer, readonly dev: NetDevice,
    readonly engine: Engine, readonly softwareChecksum: boolean, readonly nonNapi: boolean, env: DriverEnv) {
    const rx = nic.ring(0, 'rx');
    this.entries = rx.entries; this.base = rx.base; this.bufferBytes = rx.bufferBytes;
    this.view = nic.dma.view; this.mem = nic.dma.bytes;
    this.shadow = new Int32Array(rx.entries);
    this.arrival = new Float64Array(rx.entries);
    const o = env.options;
    if (engine === 'lro') {
      this.lro = new LroManager<null>({
        maxDesc: o.maxDesc ?? E1000_DEFAULT_MAX_DESC, maxAggr: o.maxAggr ?? E1000_DEFAULT_MAX_AGGR, mtu: nic.mtu,
        features: { napi: !nonNapi, extractVlanId: false },       // a stripped tag is really gone from the frame
        ipSummed: CHECKSUM_UNNECESSARY, ipSummedAggr: CHECKSUM_UNNECESSARY,   // only software-verified frames get here
        sink: stack, skbPool: this.pool, tracer, cpu: stack.cpu, getSkbHeader: e1000GetSkbHeader, queue: 0,
        ...(o.lroQuirks !== undefined ? { quirks: o.lroQuirks } : {}),
      });
    } else if (engine === 'gro') this.gro = new GroEngine({ sink: stack, tracer, queue: 0, cpu: stack.cpu });
  }

  /** Stamps every descriptor the device filled since we last looked with the current time. */
  noteArrivals(): void {
    const head = this.nic.readHead(0, 'rx'), now = this.nic.clock.now;
    for (let s = this.stamped; s !== head; s = s + 1 === this.entries ? 0 : s + 1) this.arrival[s] = now;
    this.stamped = head;
  }

  /** Ring occupancy at poll time: completions waiting to be cleaned. */
  sampleOccupancy(): void {
    const waiting = (this.nic.readHead(0, 'rx') - this.ntc + this.entries) % this.entries;
    this.stack.occupancy.record(0, this.stack.cpu.now, waiting);
  }

  /** Descriptors of the next complete frame at next_to_clean (DD on each, EOP on the last), or 0. */
  completedFrame(): number {
    const v = this.view;
    for (let k = 0, s = this.ntc; k < this.entries - 1; k++, s = s + 1 === this.entries ? 0 : s + 1) {
      const st = v.getUint8(this.base + s * RX_DESC_SIZE + RX_DESC.STATUS);
      if ((st & RX_STATUS.DD) === 0) return 0;
      if ((st & RX_STATUS.EOP) !== 0) return k + 1;
    }
    return 0;
  }

  /**
   * Turns the `n` descriptors at next_to_clean into one skb (first buffer linear, the others page
   * fragments: no copy) after eth_type_trans, or counts a drop and returns null. The slots are empty
   * afterwards; refill posts new buffers.
   */
  receive(n: number): SkBuff | null {
    const v = this.view, dma = this.nic.dma, first = this.ntc, e = this.entries;
    const last = this.base + ((first + n - 1) % e) * RX_DESC_SIZE;
    const status = v.getUint8(last + RX_DESC.STATUS), errors = v.getUint8(last + RX_DESC.ERRORS);
    this.stack.cpu.charge('descriptor', n);
    this.ntc = (first + n) % e;
    if (this.tracer.enabled) this.traceFrame = this.nic.takeCompletedFrame?.(0) ?? -1;
    if ((errors & FRAME_ERRORS) !== 0 || n > 1 + MAX_SKB_FRAGS) {
      for (let k = 0, s = first; k < n; k++, s = (s + 1) % e) { dma.free(this.shadow[s]!); this.shadow[s] = 0; v.setUint8(this.base + s * RX_DESC_SIZE + RX_DESC.STATUS, 0); }
      const why = (errors & FRAME_ERRORS) !== 0 ? 'rx_error_completion' : 'rx_too_many_frags';
      this.counters[why]++;
      if (this.tracer.enabled) this.trace(first, n, status, errors, why);
      return null;
    }
    this.stack.cpu.charge('skb_alloc');
    const skb = this.pool.get();
    for (let k = 0, s = first; k < n; k++, s = s + 1 === e ? 0 : s + 1) {
      const addr = this.shadow[s]!, len = v.getUint16(this.base + s * RX_DESC_SIZE + RX_DESC.LENGTH, true);
      if (k === 0) { skb.setLinear(this.mem, addr, len); skb.headOwner = dma; skb.headOwnerAddr = addr; }
      else skb.addFrag(this.mem, addr, len, dma, addr);
      this.shadow[s] = 0;
      v.setUint8(this.base + s * RX_DESC_SIZE + RX_DESC.STATUS, 0);   // cleaned: a stale DD must not be read again a lap later
    }
    skb.truesize = SKB_OVERHEAD + n * this.bufferBytes;
    skb.queue = 0; skb.arrivalNs = this.arrival[first]!; skb.wireFrames = 1; skb.frameId = this.traceFrame;
    skb.ipSummed = CHECKSUM_NONE;
    this.frameVlan = (status & RX_STATUS.VP) !== 0 ? v.getUint16(last + RX_DESC.SPECIAL, true) : -1;
    this.dev.stats.rx_packets++; this.dev.stats.rx_bytes += skb.len;
    if (n > 1) this.counters.rx_long_frames++;
    if (this.tracer.enabled) this.trace(first, n, status, errors, '', skb.len);
    ethTypeTrans(skb);
    return skb;
  }

  /** softwareChecksum: the full TCP/IPv4 checksum, csum_byte per byte; good → CHECKSUM_UNNECESSARY. */
  verifyChecksum(skb: SkBuff): CsumVerdict {
    if (!this.softwareChecksum) return CSUM_NONE;
    const r = this.verifier.verify(skb);
    if (this.verifier.bytes > 0) this.stack.cpu.charge('csum_byte', this.verifier.bytes);
    if (r === CSUM_GOOD) { skb.ipSummed = CHECKSUM_UNNECESSARY; this.counters.rx_sw_csum_good++; }
    else if (r === CSUM_BAD) this.counters.rx_sw_csum_bad++;
    return r;
  }

  toLro(skb: SkBuff): void { lroReceive(this.lro!, skb, this.frameVlan, null); }

  /** napi_gro_receive (GRO validates CHECKSUM_NONE frames in software and charges that itself). */
  toGro(skb: SkBuff): void { groReceive(this.gro!, skb, this.frameVlan); }

  /** Straight to the stack, alone (engine off, not for the engine, or a failed software checksum). */
  toStack(skb: SkBuff): void { deliverToStack(this.stack, skb, this.frameVlan, !this.nonNapi); }

  /** Posts a fresh buffer in every empty slot (one always stays empty) and writes RDT once. */
  refill(): void {
    const v = this.view, e = this.entries;
    let posted = 0;
    while ((this.tail + 1) % e !== this.ntc) {
      const addr = this.nic.dma.alloc(this.bufferBytes);
      if (addr < 0) { this.counters.alloc_rx_buff_failed++; break; }
      const d = this.base + this.tail * RX_DESC_SIZE;
      this.mem.fill(0, d, d + RX_DESC_SIZE);                       // STATUS must be 0 before the device owns it
      v.setUint32(d + RX_DESC.BUFFER_ADDR, addr, true);
      this.shadow[this.tail] = addr;
      this.tail = this.tail + 1 === e ? 0 : this.tail + 1;
      posted++;
    }
    if (posted > 0) this.nic.doorbell(0, 'rx', this.tail);
  }

  /** Buffers currently posted on the ring (the DMA baseline a drained run returns to). */
  get postedBuffers(): number { let n = 0; for (let s = 0; s < this.entries; s++) if (this.shadow[s] !== 0) n++; return n; }

  private trace(slot: number, n: number, status: number, errors: number, drop: string, bytes = 0): void {
    const text = drop !== ''
      ? `rx ring slot ${slot}: ${n} descriptor(s), status 0x${status.toString(16)}, errors 0x${errors.toString(16)}: dropped (${drop})`
      : `rx ring slot ${slot}: ${bytes} bytes in ${n} descriptor(s), status 0x${status.toString(16)}${this.frameVlan >= 0 ? `, VLAN tag ${this.frameVlan}` : ''}`;
    this.tracer.emit({ t: this.nic.clock.now, layer: 'driver', what: drop !== '' ? 'drop' : 'completion', text, queue: 0, ring: 'rx', slot, ...(n > 1 ? { slots: n } : {}), ...(drop !== '' ? { reason: drop } : {}), ...(this.traceFrame >= 0 ? { frame: this.traceFrame } : {}) });
  }
}

export class E1000Driver implements Driver {
  readonly name = 'e1000';
  readonly engine: Engine;
  readonly queue: E1000Queue;
  readonly dev: NetDevice;
  private readonly env: DriverEnv;

  constructor(env: DriverEnv) {
    const { model: nic, stack, tracer, options: o } = env;
    if (nic.name !== 'e1000') throw new Error(`e1000 driver: model "${nic.name}" is not an e1000 (the driver reads e1000 legacy descriptors)`);
    this.env = env;
    this.engine = o.engine;
    this.dev = stack.registerNetdev({ name: 'eth0', mtu: nic.mtu, mac: nic.macAddress,
      features: (nic.capabilities.vlan === 'strip' ? NETIF_F_HW_VLAN_RX : 0) | (o.engine === 'lro' ? NETIF_F_LRO : o.engine === 'gro' ? NETIF_F_GRO : 0) });
    this.queue = new E1000Queue(nic, stack, tracer, this.dev, o.engine, o.softwareChecksum === true, o.nonNapi === true, env);
    this.dev.registerStatsProvider(() => this.driverStats());
  }

  open(): void {
    const { model: nic, stack, options } = this.env, q = this.queue;
    const napi = stack.napiAdd('eth0-rx0', (_n, budget) => poll(q, budget), options.pollBudget, 0);
    q.napi = napi;
    if (q.gro !== null) napi.attachGro(q.gro);
    // hard IRQ: ICR read (the one-shot line is the ack), IMC (mask), schedule the poll
    const irq = stack.requestIrq('eth0', () => { q.noteArrivals(); nic.maskIrq(0); stack.napiSchedule(napi); });
    nic.onInterrupt(0, irq);
    q.refill();
    nic.unmaskIrq(0);
  }

  lroStats(): LroStats | null { return this.queue.lro !== null ? sumLroStats([this.queue.lro.stats]) : null; }
  groStats(): GroStats | null { return this.queue.gro !== null ? sumGroStats([this.queue.gro.stats]) : null; }

  drops(): Record<string, number> {
    const c = this.queue.counters;
    return { rx_error_completion: c.rx_error_completion, rx_too_many_frags: c.rx_too_many_frags };
  }

  ethtoolStats(): Record<string, number> { return ethtoolStats(this.dev); }

  get held(): number {
    const q = this.queue;
    return (q.lro?.activeSessions ?? 0) + (q.gro?.heldPackets ?? 0);
  }

  private driverStats(): Record<string, number> {
    const q = this.queue, out: Record<string, number> = { ...q.counters };
    if (q.lro !== null) { const s = q.lro.stats; out['LRO aggregated'] = s.aggregated; out['LRO flushed'] = s.flushed; out['LRO no_desc'] = s.no_desc; }
    if (q.gro !== null) { const s = q.gro.stats; out['GRO merged'] = s.merged; out['GRO flushed'] = s.flushed; }
    return out;
  }
}

export { CSUM_BAD, CSUM_GOOD, CSUM_NONE };
