// eHEA sample driver setup (spec/inet_lro.md §3.1, datasheet docs/hw-models/ehea.md): per port
// resource (queue) RQ1/RQ2/RQ3 (drivers/rx-ring.ts: next_to_use, buffer_info), the completion queue read by
// phase bit, one NAPI context, one interrupt and one LroManager (skb mode, EXTRACT_VLAN_ID) or GroEngine
// (drivers/rx-queue.ts). The poll is in poll.ts.
import { CompletionQueue, RxRing, type RxBufferSource } from '../rx-ring.ts';
import { LRO_MAX_AGGR, LRO_MAX_DESC, RxDriver, RxQueue, perQueueStats } from '../rx-queue.ts';
import { CQE, CQE_TYPE_RQ_MASK, CQE_VALID_PHASE, FCS_LEN, RQ2_BUFFER_BYTES, RQ3_BUFFER_BYTES, RWQE, RWQE_SIZE, STATUS } from '../../hw-models/ehea.ts';
import { copyBytes } from '../../hw-models/dma.ts';
import type { NicModel } from '../../hw-models/model.ts';
import type { Stack } from '../../stack/stack.ts';
import { NetDevice } from '../../stack/netdev.ts';
import { restoreExtractedProtocol } from '../../stack/skb-util.ts';
import { CHECKSUM_NONE, CHECKSUM_UNNECESSARY, ETH_HLEN, SKB_OVERHEAD, ethTypeTrans, type IpSummed, type SkBuff } from '../../stack/skb.ts';
import { HeaderSlab, LRO_IPV4, LRO_TCP, type LroHeader } from '../../lro/index.ts';
import type { Tracer } from '../../observe/trace.ts';
import { ETHERTYPE, IPPROTO } from '../../wire/constants.ts';
import { FrameLayout, layoutPacket } from '../../wire/layout.ts';
import type { Driver, DriverEnv, Engine, ResolvedDriverOptions } from '../driver.ts';
import { poll } from './poll.ts';

/** Module parameter lro_max_aggr (EHEA_LRO_MAX_AGGR). */
export const EHEA_LRO_MAX_AGGR = LRO_MAX_AGGR;
/** MAX_LRO_DESCRIPTORS: sessions per queue. */
export const EHEA_MAX_LRO_DESCRIPTORS = LRO_MAX_DESC;
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
  /** alloc_rx_buffers (ehea_refill_rq) could not get a buffer (DMA memory exhausted); retried after the next batch. */
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
export class EheaRxQueue extends RxQueue<EheaCqe> implements RxBufferSource {
  readonly stats = newQueueStats();
  readonly cqe = new EheaCqe();
  /** RQ1..RQ3 (index 0 unused: the CQE's type field names them 1-3); buffer_info holds RQ2/RQ3 DMA addresses, RQ1 slab offsets. */
  readonly rq: readonly RxRing[];
  readonly cq: CompletionQueue;
  /** RQ1's skb buffers: ring slot → the slab chunk its offset (in buffer_info) lies in. */
  private readonly rq1Mem: (Uint8Array | null)[];
  readonly rq1Slab: HeaderSlab;
  private readonly ipSummed: IpSummed;
  /** get_skb_hdr's reading of the frame (reused: nothing is allocated per frame). */
  private readonly layout = new FrameLayout();

  constructor(q: number, nic: NicModel, stack: Stack, dev: NetDevice, tracer: Tracer, readonly engine: Engine, opts: ResolvedDriverOptions) {
    super(q, nic, stack, tracer, dev, opts, (pr) => ({
      extractVlanId: true, ipSummed: CHECKSUM_UNNECESSARY, ipSummedAggr: CHECKSUM_UNNECESSARY,
      getSkbHeader: (skb, out, cqe) => (pr as EheaRxQueue).getSkbHeader(skb, out, cqe),
    }));
    this.cq = new CompletionQueue(nic, q, 'cq');
    const rq1 = new RxRing(nic, q, 'rq1');
    this.rq = [rq1, rq1, new RxRing(nic, q, 'rq2'), new RxRing(nic, q, 'rq3')];
    this.rq1Mem = new Array<Uint8Array | null>(rq1.entries).fill(null);
    this.rq1Slab = new HeaderSlab(RQ1_SKB_BYTES, rq1.entries);
    this.ipSummed = nic.capabilities.rxChecksum === 'verified' ? CHECKSUM_UNNECESSARY : CHECKSUM_NONE;
  }

  /** Registers NAPI and the interrupt, posts every receive queue. */
  open(weight: number): void {
    this.registerNapi(`${this.dev.name}-pr${this.q}`, weight, (budget) => poll(this, budget), () => {});
    this.allocRxBuffers();
  }

  /** The phase-bit completion: reads the next published CQE into `this.cqe` and consumes it; false when the CQ is empty. */
  nextCompletion(): boolean {
    const v = this.nic.dma.view, slot = this.cq.peekByPhase(CQE.VALID, CQE_VALID_PHASE);
    if (slot < 0) return false;
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
    this.cq.consume();
    if (this.tracer.enabled) {
      c.frame = this.nic.takeCompletedFrame?.(this.q) ?? -1;
      this.tracer.emit({ t: this.stack.cpu.now, layer: 'driver', what: 'completion', queue: this.q, ring: 'cq', slot: this.cq.lastSlot,
        text: `ehea: ${RQ_NAMES[c.rq]!.toUpperCase()} completion, wr_id ${c.wrId}, ${c.numBytes - FCS_LEN} bytes, status 0x${c.status.toString(16)}${c.vlanExtracted ? `, vlan tag ${c.vlanTag}` : ''}`,
        ...(c.frame >= 0 ? { frame: c.frame } : {}) });
    }
    return true;
  }

  /** An error completion: count it once; its buffer stays in buffer_info and is posted again (recycled). */
  dropError(): void {
    const s = this.stats, st = this.cqe.status;
    this.rq[this.cqe.rq]!.recycle(this.cqe.wrId);
    s.rx_errors++;
    if (st & STATUS.CRC_ERR) s.rx_err_crc++; else if (st & STATUS.IP_CSUM_ERR) s.rx_err_ip_csum++; else s.rx_err_tcp_csum++;
    this.dev.stats.rx_errors++;
    if (st & STATUS.CRC_ERR) this.dev.stats.rx_crc_errors++;
    if (this.tracer.enabled) this.tracer.emit({ t: this.stack.cpu.now, layer: 'driver', what: 'drop', reason: 'rx_error_completion', queue: this.q, text: `ehea: error completion (status 0x${st.toString(16)}), buffer recycled`, ...(this.cqe.frame >= 0 ? { frame: this.cqe.frame } : {}) });
  }

  /** ehea_fill_skb: the skb for the current CQE — RQ1 copied out of the CQ slot, RQ2/RQ3 pointing at the posted buffer. */
  buildSkb(): SkBuff {
    const c = this.cqe, len = c.numBytes - FCS_LEN, idx = c.wrId, buffer = this.rq[c.rq]!.clean(idx);
    this.stack.cpu.charge('skb_alloc');
    const skb = this.pool.get();
    if (c.rq === 1) {
      const mem = this.rq1Mem[idx]!;
      copyBytes(this.nic.dma.bytes, c.slot + CQE.INLINE_DATA, mem, buffer, len);   // the CQ slot is reused on the device's next lap
      this.stack.cpu.charge('copy_byte', len);
      skb.setLinear(mem, buffer, len);
      skb.headOwner = this.rq1Slab; skb.headOwnerAddr = buffer;
      skb.truesize = SKB_OVERHEAD + RQ1_SKB_BYTES;
      this.rq1Mem[idx] = null;
      this.stats.rx_rq1++;
    } else {
      skb.setLinear(this.nic.dma.bytes, buffer, len);
      skb.headOwner = this.nic.dma; skb.headOwnerAddr = buffer;
      skb.truesize = SKB_OVERHEAD + RQ_BUF[c.rq]!;
      if (c.rq === 2) this.stats.rx_rq2++; else this.stats.rx_rq3++;
    }
    skb.ipSummed = this.ipSummed;
    skb.queue = this.q; skb.arrivalNs = c.timestamp; skb.wireFrames = 1; skb.frameId = c.frame;
    ethTypeTrans(skb);
    this.stats.rx_packets++; this.stats.rx_bytes += len;
    this.dev.stats.rx_packets++; this.dev.stats.rx_bytes += len;
    return skb;
  }

  /** The VLAN tag the NIC extracted from the current frame, -1 when none. */
  get vlanTag(): number { return this.cqe.vlanExtracted ? this.cqe.vlanTag : -1; }

  /** Engine 'gro' (modern eHEA): the extraction left 0x8100 in the protocol, which GRO must not see; then napi_gro_receive. */
  override napiGroReceive(skb: SkBuff, vlanTag: number): void {
    if (vlanTag >= 0) restoreExtractedProtocol(skb);
    super.napiGroReceive(skb, vlanTag);
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
    // skb.protocol may read 0x8100 (extracted tag) and IPv6 (the HW finds its TCP header too) stays out, inet_lro
    // being IPv4-only: the header itself is asked, laid out as IPv4 from skb.data
    const L = layoutPacket(skb.buf, skb.data, skb.len, ETHERTYPE.IPV4, this.layout);
    if (L.refusal === 'ipv4_total_length_short') { s.lro_hdr_short_tot_len++; return false; }
    if (!L.isIpv4) { s.lro_hdr_not_ipv4++; return false; }
    if (L.l4Proto !== IPPROTO.TCP) { s.lro_hdr_not_tcp++; return false; }
    if (!L.isTcp) { s.lro_hdr_short_tot_len++; return false; }
    if (cqe.headerLength !== ETH_HLEN + L.headerLength) { s.lro_hdr_mismatch++; return false; }
    out.buf = skb.buf; out.iphOff = skb.data; out.tcphOff = skb.data + L.l4; out.flags = LRO_IPV4 | LRO_TCP;
    return true;
  }

  /** ehea_refill_rq1/2/3: post fresh WQEs on each RQ (a recycled buffer is posted again); a failure is counted and retried after the next batch. */
  allocRxBuffers(): void {
    for (let r = 1; r <= 3; r++) if (!this.rq[r]!.allocRxBuffers(this)) this.stats.refill_failed++;
  }

  /** RQ1: a slot of the skb slab (never fails); RQ2/RQ3: a DMA buffer. */
  allocRxBuffer(ring: RxRing, slot: number): number {
    if (ring === this.rq[1]) { this.rq1Mem[slot] = this.rq1Slab.alloc(); return this.rq1Slab.lastOff; }
    return this.nic.dma.alloc(ring.bufferBytes);
  }

  writeRxDesc(ring: RxRing, slot: number, buffer: number): void {
    const v = this.nic.dma.view, w = ring.desc(slot), rq1 = ring === this.rq[1];
    for (let i = 0; i < RWQE_SIZE; i += 4) v.setUint32(w + i, 0);
    v.setUint32(w + RWQE.WR_ID + 4, slot);                        // our cookie: the ring index
    v.setUint8(w + RWQE.NUM_SEGS, rq1 ? 0 : 1);                   // RQ1: the frame comes inline in the CQE
    v.setUint32(w + RWQE.SG_ADDR + 4, rq1 ? 0 : buffer);
    v.setUint32(w + RWQE.SG_LEN, ring.bufferBytes);
  }

  /** Driver unload with the device idle: every posted buffer goes back (RQ1 slab slots, RQ2/RQ3 DMA buffers). */
  close(): void {
    this.rq[1]!.freeRxResources((off, slot) => { this.rq1Slab.release(this.rq1Mem[slot]!, off); this.rq1Mem[slot] = null; });
    for (let r = 2; r <= 3; r++) this.rq[r]!.freeRxResources((addr) => this.nic.dma.free(addr));
  }
}

/** The eHEA driver instance: one EheaRxQueue per port resource. */
export class EheaDriver extends RxDriver<EheaRxQueue> implements Driver {
  readonly name = 'ehea';

  constructor(env: DriverEnv, engine: Engine) {
    const { model, stack, tracer, options } = env, dev = new NetDevice({ name: 'eth0', mtu: model.mtu, mac: model.macAddress });
    super(env, dev, (q) => new EheaRxQueue(q, model, stack, dev, tracer, engine, options));
  }

  override open(): void {
    this.env.stack.registerNetdev(this.dev);
    this.dev.registerStatsProvider(() => this.ethtoolStats());
    super.open();
  }

  drops(): Record<string, number> { return { rx_error_completion: this.sum((pr) => pr.stats.rx_errors) }; }

  /** ethtool -S: LRO counters summed across queues (V24 OR-ed them), then per-queue rx counters. */
  override ethtoolStats(): Record<string, number> {
    const lro = this.lroStats();
    const out = { 'LRO aggregated': lro?.aggregated ?? 0, 'LRO flushed': lro?.flushed ?? 0, 'LRO no_desc': lro?.no_desc ?? 0 };
    return perQueueStats(out, 'PR', this.queues);
  }

  /** Unload (tests): gives every posted buffer back; call with the device idle and the stack drained. */
  close(): void { for (const pr of this.queues) pr.close(); }
}
