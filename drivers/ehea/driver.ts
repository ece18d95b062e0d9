// eHEA sample driver setup (spec/inet_lro.md §3.1, datasheet docs/hw-models/ehea.md): per port
// resource (queue) RQ1/RQ2/RQ3 with shadow arrays, the completion queue read by phase bit, one NAPI
// context, one interrupt and one LroManager (skb mode, EXTRACT_VLAN_ID) or GroEngine. The poll is in poll.ts.
import { deliverToStack, groReceive } from '../deliver.ts';
import { CQE, CQE_SLOT_SIZE, CQE_TYPE_RQ_MASK, CQE_VALID_PHASE, FCS_LEN, RQ2_BUFFER_BYTES, RQ3_BUFFER_BYTES, RWQE, RWQE_SIZE, STATUS } from '../../hw-models/ehea.ts';
import { copyBytes } from '../../hw-models/dma.ts';
import type { NicModel } from '../../hw-models/model.ts';
import type { Stack } from '../../stack/stack.ts';
import type { NapiStruct } from '../../stack/napi.ts';
import { NetDevice } from '../../stack/netdev.ts';
import type { RxSink } from '../../stack/rx-sink.ts';
import { restoreExtractedProtocol } from '../../stack/skb-util.ts';
import {
  CHECKSUM_NONE, CHECKSUM_UNNECESSARY, ETH_HLEN, SKB_OVERHEAD, SkbPool, ethTypeTrans,
  type IpSummed, type SkBuff,
} from '../../stack/skb.ts';
import { GroEngine, HeaderSlab, LRO_IPV4, LRO_TCP, LroManager, sumGroStats, sumLroStats, type GroStats, type LroHeader, type LroStats } from '../../lro/index.ts';
import type { Tracer } from '../../observe/trace.ts';
import { IPPROTO, IPV4, TCP } from '../../wire/constants.ts';
import { r16 } from '../../wire/bytes.ts';
import type { Driver, DriverEnv, Engine, ResolvedDriverOptions } from '../driver.ts';
import { eheaPoll } from './poll.ts';

/** Module parameter lro_max_aggr (EHEA_LRO_MAX_AGGR). */
export const EHEA_LRO_MAX_AGGR = 64;
/** MAX_LRO_DESCRIPTORS: sessions per queue. */
export const EHEA_MAX_LRO_DESCRIPTORS = 8;
/** EHEA_L_PKT_SIZE: the preallocated skb buffer an RQ1 (inline) frame is copied into. */
export const RQ1_SKB_BYTES = 256;
/** Error bits of the CQE status; VLAN_EXTRACTED is information, not an error. */
const ERROR_BITS = STATUS.TCP_CSUM_ERR | STATUS.IP_CSUM_ERR | STATUS.CRC_ERR;
const RQ_NAMES = ['', 'rq1', 'rq2', 'rq3'] as const;
const RQ_BUF = [0, 0, RQ2_BUFFER_BYTES, RQ3_BUFFER_BYTES] as const;

/** The completion being processed, read once from the CQE bytes; it is the `priv` eHEA hands get_skb_hdr. */
export class EheaCqe {
  slot = 0; wrId = 0; rq = 0; status = 0; numBytes = 0; vlanTag = 0; headerLength = 0; timestamp = 0;
  /** Tracing only: the wire frame's arrival index at the NIC (-1 untraced). */
  frame = -1;
  get vlanExtracted(): boolean { return (this.status & STATUS.VLAN_EXTRACTED) !== 0; }
  /** ehea_check_cqe: no error bits, or only the TCP-checksum bit on a frame the HW did not parse (not TCP/UDP). */
  get acceptable(): boolean {
    const err = this.status & ERROR_BITS;
    return err === 0 || (err === STATUS.TCP_CSUM_ERR && this.headerLength === 0);
  }
}

/** Per-queue counters (the port resource's stats; ethtool shows them per queue). */
export interface EheaQueueStats {
  rx_packets: number; rx_bytes: number; rx_rq1: number; rx_rq2: number; rx_rq3: number;
  /** Error completions (a drop each), and which error bit made them so (CRC first, then IP, then TCP). */
  rx_errors: number; rx_err_crc: number; rx_err_ip_csum: number; rx_err_tcp_csum: number;
  /** Refill could not get a buffer (DMA memory exhausted); retried after the next batch. */
  refill_failed: number;
  /** get_skb_hdr said "not for LRO": header_length 0, not TCP, headers longer than tot_len, or headers not where the CQE says. */
  lro_hdr_no_l4: number; lro_hdr_not_ipv4: number; lro_hdr_not_tcp: number; lro_hdr_short_tot_len: number; lro_hdr_mismatch: number;
}

function newQueueStats(): EheaQueueStats {
  return {
    rx_packets: 0, rx_bytes: 0, rx_rq1: 0, rx_rq2: 0, rx_rq3: 0, rx_errors: 0, rx_err_crc: 0, rx_err_ip_csum: 0, rx_err_tcp_csum: 0,
    refill_failed: 0, lro_hdr_no_l4: 0, lro_hdr_not_ipv4: 0, lro_hdr_not_tcp: 0, lro_hdr_short_tot_len: 0, lro_hdr_mismatch: 0,
  };
}

/** eHEA's extraction leaves 0x8100 with the IP header next: GRO needs the real protocol (the stack fixes its own hw-accel paths). */
export { restoreExtractedProtocol };

/** One port resource: RQ1-3, the CQ, NAPI, interrupt, LRO/GRO, counters. */
export class EheaRxQueue {
  readonly stats = newQueueStats();
  readonly cqe = new EheaCqe();
  readonly pool = new SkbPool(64);
  readonly lro: LroManager<EheaCqe> | null = null;
  readonly gro: GroEngine | null = null;
  napi!: NapiStruct;
  readonly sink: RxSink;
  readonly napiMode: boolean;
  private readonly v: DataView;
  private readonly mem: Uint8Array;
  private readonly cqBase: number;
  private readonly cqEntries: number;
  private cqIdx = 0;
  private cqPhase = 1;
  /** Per RQ (index 1..3): ring base, entries, driver tail, WQEs posted and not yet completed. */
  private readonly rqBase = [0, 0, 0, 0];
  private readonly rqEntries = [0, 0, 0, 0];
  private readonly tail = [0, 0, 0, 0];
  private readonly posted = [0, 0, 0, 0];
  /** Shadow arrays, ring index → buffer: RQ1 skb buffers (slab chunk + offset), RQ2/RQ3 DMA addresses (-1: none). */
  private readonly rq1Mem: (Uint8Array | null)[];
  private readonly rq1Off: Int32Array;
  private readonly rqAddr: Int32Array[];
  readonly rq1Slab: HeaderSlab;
  private readonly ipSummed: IpSummed;

  constructor(readonly q: number, readonly nic: NicModel, readonly stack: Stack, readonly dev: NetDevice,
    private readonly tracer: Tracer, readonly engine: Engine, opts: ResolvedDriverOptions) {
    this.v = nic.dma.view; this.mem = nic.dma.bytes;
    const cq = nic.ring(q, 'cq');
    this.cqBase = cq.base; this.cqEntries = cq.entries;
    for (let r = 1; r <= 3; r++) { const info = nic.ring(q, RQ_NAMES[r]!); this.rqBase[r] = info.base; this.rqEntries[r] = info.entries; }
    this.rq1Mem = new Array<Uint8Array | null>(this.rqEntries[1]!).fill(null);
    this.rq1Off = new Int32Array(this.rqEntries[1]!);
    this.rqAddr = [new Int32Array(0), new Int32Array(0), new Int32Array(this.rqEntries[2]!).fill(-1), new Int32Array(this.rqEntries[3]!).fill(-1)];
    this.rq1Slab = new HeaderSlab(RQ1_SKB_BYTES, this.rqEntries[1]!);
    this.ipSummed = nic.capabilities.rxChecksum === 'verified' ? CHECKSUM_UNNECESSARY : CHECKSUM_NONE;
    this.napiMode = opts.nonNapi !== true;
    this.sink = stack;
    if (engine === 'lro') {
      this.lro = new LroManager<EheaCqe>({
        maxDesc: opts.maxDesc ?? EHEA_MAX_LRO_DESCRIPTORS, maxAggr: opts.maxAggr ?? EHEA_LRO_MAX_AGGR, mtu: nic.mtu,
        features: { napi: this.napiMode, extractVlanId: true },
        ipSummed: CHECKSUM_UNNECESSARY, ipSummedAggr: CHECKSUM_UNNECESSARY,
        sink: this.sink, tracer, cpu: stack.cpu, queue: q, getSkbHeader: (skb, out, cqe) => this.getSkbHeader(skb, out, cqe),
        ...(opts.lroQuirks !== undefined ? { quirks: opts.lroQuirks } : {}),
      });
    } else if (engine === 'gro') {
      this.gro = new GroEngine({ sink: stack, tracer, queue: q, cpu: stack.cpu });
    }
  }

  /** Registers NAPI and the interrupt, posts every receive queue. */
  open(weight: number): void {
    this.napi = this.stack.napiAdd(`${this.dev.name}-pr${this.q}`, (napi, budget) => eheaPoll(this, napi, budget), weight, this.q);
    if (this.gro !== null) this.napi.attachGro(this.gro);
    this.nic.onInterrupt(this.q, this.stack.requestIrq(`${this.dev.name}-pr${this.q}`, () => { this.stack.napiSchedule(this.napi); }));
    this.refill();
  }

  /** Completions waiting in the CQ (for the occupancy sampler). */
  get pending(): number { return (this.nic.readHead(this.q, 'cq') - this.cqIdx + this.cqEntries) % this.cqEntries; }

  /** Reads the next published CQE into `this.cqe` and consumes it; false when the CQ is empty. */
  nextCompletion(): boolean {
    const v = this.v, slot = this.cqBase + this.cqIdx * CQE_SLOT_SIZE;
    if ((v.getUint8(slot + CQE.VALID) & CQE_VALID_PHASE) >> 7 !== this.cqPhase) return false;
    this.stack.cpu.charge('descriptor');
    const c = this.cqe;
    c.slot = slot;
    c.wrId = v.getUint32(slot + CQE.WR_ID + 4);
    c.rq = v.getUint8(slot + CQE.TYPE) & CQE_TYPE_RQ_MASK;
    c.status = v.getUint16(slot + CQE.STATUS);
    c.numBytes = v.getUint16(slot + CQE.NUM_BYTES);
    c.vlanTag = v.getUint16(slot + CQE.VLAN_TAG);
    c.headerLength = v.getUint8(slot + CQE.HEADER_LENGTH);
    c.timestamp = v.getUint32(slot + CQE.TIMESTAMP) * 0x100000000 + v.getUint32(slot + CQE.TIMESTAMP + 4);
    if (++this.cqIdx === this.cqEntries) { this.cqIdx = 0; this.cqPhase ^= 1; }
    this.posted[c.rq]!--;
    if (this.tracer.enabled) {
      c.frame = this.nic.takeCompletedFrame?.(this.q) ?? -1;
      this.tracer.emit({ t: this.stack.cpu.now, layer: 'driver', what: 'completion', queue: this.q, ring: 'cq', slot: (this.cqIdx + this.cqEntries - 1) % this.cqEntries,
        text: `ehea: ${RQ_NAMES[c.rq]!.toUpperCase()} completion, wr_id ${c.wrId}, ${c.numBytes - FCS_LEN} bytes, status 0x${c.status.toString(16)}${c.vlanExtracted ? `, vlan tag ${c.vlanTag}` : ''}`,
        ...(c.frame >= 0 ? { frame: c.frame } : {}) });
    }
    return true;
  }

  /** An error completion: count it once; its RQ2/RQ3 buffer stays in the shadow array and is posted again (recycled). */
  dropError(): void {
    const s = this.stats, st = this.cqe.status;
    s.rx_errors++;
    if (st & STATUS.CRC_ERR) s.rx_err_crc++; else if (st & STATUS.IP_CSUM_ERR) s.rx_err_ip_csum++; else s.rx_err_tcp_csum++;
    this.dev.stats.rx_errors++;
    if (st & STATUS.CRC_ERR) this.dev.stats.rx_crc_errors++;
    if (this.tracer.enabled) this.tracer.emit({ t: this.stack.cpu.now, layer: 'driver', what: 'drop', reason: 'rx_error_completion', queue: this.q, text: `ehea: error completion (status 0x${st.toString(16)}), buffer recycled`, ...(this.cqe.frame >= 0 ? { frame: this.cqe.frame } : {}) });
  }

  /** ehea_fill_skb: the skb for the current CQE — RQ1 copied out of the CQ slot, RQ2/RQ3 pointing at the posted buffer. */
  buildSkb(): SkBuff {
    const c = this.cqe, len = c.numBytes - FCS_LEN, idx = c.wrId;
    this.stack.cpu.charge('skb_alloc');
    const skb = this.pool.get();
    if (c.rq === 1) {
      const mem = this.rq1Mem[idx]!, off = this.rq1Off[idx]!;
      copyBytes(this.mem, c.slot + CQE.INLINE_DATA, mem, off, len);    // the CQ slot is reused on the device's next lap
      this.stack.cpu.charge('copy_byte', len);
      skb.setLinear(mem, off, len);
      skb.headOwner = this.rq1Slab; skb.headOwnerAddr = off;
      skb.truesize = SKB_OVERHEAD + RQ1_SKB_BYTES;
      this.rq1Mem[idx] = null;
      this.stats.rx_rq1++;
    } else {
      const addr = this.rqAddr[c.rq]![idx]!;
      skb.setLinear(this.mem, addr, len);
      skb.headOwner = this.nic.dma; skb.headOwnerAddr = addr;
      skb.truesize = SKB_OVERHEAD + RQ_BUF[c.rq]!;
      this.rqAddr[c.rq]![idx] = -1;
      if (c.rq === 2) this.stats.rx_rq2++; else this.stats.rx_rq3++;
    }
    skb.ipSummed = this.ipSummed;
    skb.queue = this.q; skb.arrivalNs = c.timestamp; skb.wireFrames = 1; skb.frameId = c.frame;
    ethTypeTrans(skb);
    this.stats.rx_packets++; this.stats.rx_bytes += len;
    this.dev.stats.rx_packets++; this.dev.stats.rx_bytes += len;
    return skb;
  }

  /** Engine 'gro' (modern eHEA): the hw VLAN tag goes on the skb, then napi_gro_receive. */
  toGro(skb: SkBuff): void {
    const c = this.cqe;
    if (c.vlanExtracted) restoreExtractedProtocol(skb);
    groReceive(this.gro!, skb, c.vlanExtracted ? c.vlanTag : -1);
  }

  /** Engine 'off': straight to the stack (vlan_hwaccel_receive_skb when the HW extracted the tag). */
  deliver(skb: SkBuff): void {
    const c = this.cqe;
    deliverToStack(this.sink, skb, c.vlanExtracted ? c.vlanTag : -1, this.napiMode);
  }

  /**
   * get_skb_hdr: needs the CQE's header_length (0: the HW found no TCP/UDP header); the IP header is at
   * skb.data (after eth_type_trans; the extracted tag is gone); TCP only; the headers must fit in tot_len
   * (read with ntohs — V24 compared the network-order value, the E-mid fix). Added here: the headers must
   * end where header_length says, which refuses double-tagged frames whose inner tag sits at skb.data.
   */
  getSkbHeader(skb: SkBuff, out: LroHeader, cqe: EheaCqe): boolean {
    const s = this.stats;
    if (cqe.headerLength === 0) { s.lro_hdr_no_l4++; return false; }
    const b = skb.buf, iph = skb.data;
    // IPv6 (the HW finds its TCP header too) stays out: inet_lro is IPv4-only. skb.protocol may read 0x8100 (extracted tag): ask the header
    if (b[iph]! >>> 4 !== 4) { s.lro_hdr_not_ipv4++; return false; }
    if (b[iph + IPV4.PROTO] !== IPPROTO.TCP) { s.lro_hdr_not_tcp++; return false; }
    const ihl = (b[iph]! & 0x0f) * 4;
    const tcph = iph + ihl;
    const doff = (b[tcph + TCP.DOFF]! >> 4) * 4;
    const totLen = r16(b, iph + IPV4.TOT_LEN);
    if (totLen < ihl + doff) { s.lro_hdr_short_tot_len++; return false; }
    if (cqe.headerLength !== ETH_HLEN + ihl + doff) { s.lro_hdr_mismatch++; return false; }
    out.buf = b; out.iphOff = iph; out.tcphOff = tcph; out.flags = LRO_IPV4 | LRO_TCP;
    return true;
  }

  /** End of a receive batch: report CQ consumption, then post fresh WQEs on RQ1/RQ2/RQ3. */
  endBatch(): void {
    this.nic.doorbell(this.q, 'cq', this.cqIdx);
    this.refill();
  }

  /** ehea_refill_rq1/2/3: post WQEs until each ring holds entries − 1; a buffer still in the shadow slot is reused. */
  refill(): void {
    const v = this.v;
    for (let r = 1; r <= 3; r++) {
      const entries = this.rqEntries[r]!, base = this.rqBase[r]!;
      let tail = this.tail[r]!, n = 0;
      while (this.posted[r]! < entries - 1) {
        let addr = 0;
        if (r === 1) {
          if (this.rq1Mem[tail] === null) { this.rq1Mem[tail] = this.rq1Slab.alloc(); this.rq1Off[tail] = this.rq1Slab.lastOff; }
        } else {
          addr = this.rqAddr[r]![tail]!;
          if (addr < 0) {
            addr = this.nic.dma.alloc(RQ_BUF[r]!);
            if (addr < 0) { this.stats.refill_failed++; break; }
            this.rqAddr[r]![tail] = addr;
          }
        }
        const w = base + tail * RWQE_SIZE;
        for (let i = 0; i < RWQE_SIZE; i += 4) v.setUint32(w + i, 0);
        v.setUint32(w + RWQE.WR_ID + 4, tail);
        v.setUint8(w + RWQE.NUM_SEGS, r === 1 ? 0 : 1);
        v.setUint32(w + RWQE.SG_ADDR + 4, addr);
        v.setUint32(w + RWQE.SG_LEN, RQ_BUF[r]!);
        tail = tail + 1 === entries ? 0 : tail + 1;
        this.posted[r]!++; n++;
      }
      this.tail[r] = tail;
      if (n > 0) this.nic.doorbell(this.q, RQ_NAMES[r]!, tail);
    }
  }

  /** Driver unload with the device idle: every posted buffer goes back (RQ1 slab slots, RQ2/RQ3 DMA buffers). */
  close(): void {
    for (let i = 0; i < this.rq1Mem.length; i++) {
      const m = this.rq1Mem[i];
      if (m !== null && m !== undefined) { this.rq1Slab.release(m, this.rq1Off[i]!); this.rq1Mem[i] = null; }
    }
    for (let r = 2; r <= 3; r++) {
      const a = this.rqAddr[r]!;
      for (let i = 0; i < a.length; i++) if (a[i]! >= 0) { this.nic.dma.free(a[i]!); a[i] = -1; }
      this.posted[r] = 0;
    }
    this.posted[1] = 0;
  }
}

/** The eHEA driver instance: one EheaRxQueue per port resource. */
export class EheaDriver implements Driver {
  readonly name = 'ehea';
  readonly queues: EheaRxQueue[] = [];
  readonly dev: NetDevice;
  private readonly stack: Stack;
  private readonly options: ResolvedDriverOptions;

  constructor(env: DriverEnv, readonly engine: Engine) {
    const { model, stack, tracer, options } = env;
    this.stack = stack;
    this.dev = new NetDevice({ name: 'eth0', mtu: model.mtu, mac: model.macAddress });
    this.options = options;
    for (let q = 0; q < model.queueCount; q++) this.queues.push(new EheaRxQueue(q, model, stack, this.dev, tracer, engine, options));
  }

  open(): void {
    this.stack.registerNetdev(this.dev);
    this.dev.registerStatsProvider(() => this.ethtoolStats());
    for (const pr of this.queues) pr.open(this.options.pollBudget);
  }

  lroStats(): LroStats | null {
    return this.engine === 'lro' ? sumLroStats(this.queues.map((pr) => pr.lro!.stats)) : null;
  }

  groStats(): GroStats | null {
    return this.engine === 'gro' ? sumGroStats(this.queues.map((pr) => pr.gro!.stats)) : null;
  }

  drops(): Record<string, number> {
    let errors = 0;
    for (const pr of this.queues) errors += pr.stats.rx_errors;
    return { rx_error_completion: errors };
  }

  /** ethtool -S: LRO counters summed across queues (V24 OR-ed them), then per-queue rx counters. */
  ethtoolStats(): Record<string, number> {
    const out: Record<string, number> = {};
    const lro = this.lroStats();
    out['LRO aggregated'] = lro?.aggregated ?? 0;
    out['LRO flushed'] = lro?.flushed ?? 0;
    out['LRO no_desc'] = lro?.no_desc ?? 0;
    for (const pr of this.queues) {
      const s = pr.stats as unknown as Record<string, number>;
      for (const k of Object.keys(s)) out[`PR${pr.q} ${k}`] = s[k]!;
    }
    return out;
  }

  get held(): number {
    let n = 0;
    for (const pr of this.queues) n += pr.lro !== null ? pr.lro.activeSessions : pr.gro !== null ? pr.gro.heldPackets : 0;
    return n;
  }

  /** Unload (tests): gives every posted buffer back; call with the device idle and the stack drained. */
  close(): void { for (const pr of this.queues) pr.close(); }
}
