// myri10ge sample driver setup (spec/inet_lro.md §3.2, datasheet docs/hw-models/myri10ge.md): per slice
// a small and a big ring of page chunks (one page reference per chunk), the rx_done ring, one NAPI
// context, one interrupt and one LroManager in frags mode (or GroEngine). The poll is in poll.ts.
import { MXGEFW_PAD, MYRI_PAGE, RECV_DESC, RX_DONE, csumWithoutVlan } from '../../hw-models/myri10ge.ts';
import { copyBytes } from '../../hw-models/dma.ts';
import type { NicModel } from '../../hw-models/model.ts';
import type { Stack } from '../../stack/stack.ts';
import { NetDevice } from '../../stack/netdev.ts';
import {
  CHECKSUM_COMPLETE, CHECKSUM_NONE, CHECKSUM_UNNECESSARY, ETH_HLEN, ETH_P_8021Q, MAX_SKB_FRAGS, SKB_OVERHEAD,ethTypeTrans, type SkBuff,
} from '../../stack/skb.ts';
import {
  HeaderSlab, LRO_IPV4, LRO_TCP, LroFragList, type LroHeader,
} from '../../lro/index.ts';
import type { Tracer } from '../../observe/trace.ts';
import { IPPROTO } from '../../wire/constants.ts';
import { FrameLayout, layoutFrame } from '../../wire/layout.ts';
import { fold, pseudoHeaderSum, sumBytes } from '../../wire/checksum.ts';
import type { Driver, DriverEnv, Engine, ResolvedDriverOptions } from '../driver.ts';
import { CompletionQueue, RxRing, type RxBufferSource } from '../rx-ring.ts';
import { LRO_MAX_AGGR, LRO_MAX_DESC, RxDriver, RxQueue, perQueueStats } from '../rx-queue.ts';
import { poll } from './poll.ts';

/** Module parameter myri10ge_lro_max_pkts (MYRI10GE_LRO_MAX_PKTS). */
export const MYRI10GE_LRO_MAX_PKTS = LRO_MAX_AGGR;
/** MYRI10GE_MAX_LRO_DESCRIPTORS. */
export const MYRI10GE_MAX_LRO_DESCRIPTORS = LRO_MAX_DESC;
/** Header bytes the driver copies into the linear part of the skbs it builds itself (MYRI10GE_HLEN). */
export const MYRI10GE_HLEN = 64;
/** frag_align_pad / the headroom of the driver's own skbs: puts the IP header on a 4-byte boundary. */
export const MYRI10GE_ALIGN_PAD = 2;
const HEADER_SLOT = 256;

/** Per-slice counters (ethtool shows them per slice). */
export interface MyriSliceStats {
  rx_packets: number; rx_bytes: number; rx_small_cnt: number; rx_big_cnt: number;
  /** Completions whose LENGTH cannot hold an Ethernet header (a drop each; never written by a sane device). */
  rx_runt_completion: number;
  /** alloc_rx_buffers (myri10ge_alloc_rx_pages) could not get a page; the ring is topped up after the next batch. */
  refill_failed: number;
  /** get_frag_header refusals (each frame still goes up, un-aggregated, with CHECKSUM_COMPLETE). */
  lro_hdr_not_ipv4: number; lro_hdr_not_tcp: number; lro_hdr_ip_fragment: number; lro_hdr_split: number;
  lro_hdr_ip_csum_bad: number; lro_hdr_tcp_csum_bad: number;
}

function newSliceStats(): MyriSliceStats {
  return {
    rx_packets: 0, rx_bytes: 0, rx_small_cnt: 0, rx_big_cnt: 0, rx_runt_completion: 0, refill_failed: 0,
    lro_hdr_not_ipv4: 0, lro_hdr_not_tcp: 0, lro_hdr_ip_fragment: 0, lro_hdr_split: 0, lro_hdr_ip_csum_bad: 0, lro_hdr_tcp_csum_bad: 0,
  };
}

/**
 * One receive ring of page chunks and its own buffer source, myri10ge_alloc_rx_pages: pages carved into the
 * ring's chunk size, one page reference per chunk posted (the carving reference goes when the page is used up).
 */
class ChunkRing extends RxRing implements RxBufferSource {
  /** The page being carved (-1: none) and where the next chunk starts in it. */
  page = -1;
  pageOff = 0;

  allocRxBuffer(): number {
    const dma = this.nic.dma;
    if (this.page < 0) {
      this.page = dma.alloc(MYRI_PAGE);
      if (this.page < 0) return -1;
      this.pageOff = 0;
    }
    const addr = this.page + this.pageOff;
    dma.ref(addr);                                                     // this chunk's reference
    this.pageOff += this.bufferBytes;
    if (this.pageOff + this.bufferBytes > MYRI_PAGE) { dma.free(this.page); this.page = -1; }   // page used up: drop the carving reference
    return addr;
  }

  writeRxDesc(ring: RxRing, slot: number, buffer: number): void {
    const v = this.nic.dma.view, d = ring.desc(slot);
    v.setUint32(d + RECV_DESC.ADDR_HIGH, 0);
    v.setUint32(d + RECV_DESC.ADDR_LOW, buffer);
  }

  /** Unload with the device idle: every posted chunk's reference and the carving reference go back. */
  close(): void {
    this.freeRxResources((addr) => this.nic.dma.free(addr));
    if (this.page >= 0) { this.nic.dma.free(this.page); this.page = -1; }
  }
}

/** One slice: rings, NAPI, interrupt, LRO/GRO, counters. */
export class MyriSlice extends RxQueue<number> {
  readonly stats = newSliceStats();
  /** The frame being processed, as page fragments (reused for every frame). */
  readonly frags = new LroFragList();
  /** Linear buffers of the skbs the driver builds itself (header copies). */
  readonly hdrSlab = new HeaderSlab(HEADER_SLOT, 128);
  readonly small: ChunkRing;
  readonly big: ChunkRing;
  readonly rxDone: CompletionQueue;
  /** Rx checksums on: the NIC's partial sum is there to verify TCP checksums with (LRO needs it). */
  readonly csumOn: boolean;
  /** The later myri10ge's get_frag_header also refuses IP fragments (MF or offset); on by default. */
  rejectIpFragments = true;
  /** The current completion: frame length (pad stripped) and the NIC's partial checksum. */
  len = 0;
  csum = 0;
  /** get_frag_header's reading of the frame (reused: nothing is allocated per frame). */
  private readonly layout = new FrameLayout();

  constructor(q: number, nic: NicModel, stack: Stack, dev: NetDevice, tracer: Tracer, readonly engine: Engine, opts: ResolvedDriverOptions) {
    super(q, nic, stack, tracer, dev, opts, (ss) => ({
      maxAggrCap: MAX_SKB_FRAGS, extractVlanId: false,                 // frags mode counts fragments
      ipSummed: CHECKSUM_COMPLETE, ipSummedAggr: CHECKSUM_UNNECESSARY, fragAlignPad: MYRI10GE_ALIGN_PAD,
      getFragHeader: (frags, out, csum) => (ss as MyriSlice).getFragHeader(frags, out, csum),
    }));
    this.small = new ChunkRing(nic, q, 'small');
    this.big = new ChunkRing(nic, q, 'big');
    this.rxDone = new CompletionQueue(nic, q, 'rx_done');
    this.csumOn = nic.capabilities.rxChecksum === 'partial';
    this.frags.queue = q;
  }

  open(weight: number): void {
    this.registerNapi(`${this.dev.name}-slice${this.q}`, weight, (budget) => poll(this, budget), () => {});
    this.allocRxBuffers();
  }

  /**
   * Reads the next rx_done slot: the frame's chunks become `frags` (fragment 0 advanced past the 2-byte
   * firmware pad), `len` and `csum` are set, the slot is handed back (LENGTH = 0). False when empty.
   */
  nextCompletion(): boolean {
    const v = this.nic.dma.view, at = this.rxDone.entry();
    const total = v.getUint16(at + RX_DONE.LENGTH);
    if (total === 0) return false;
    this.stack.cpu.charge('descriptor');
    this.csum = v.getUint16(at + RX_DONE.CSUM);
    v.setUint16(at + RX_DONE.LENGTH, 0);
    this.rxDone.consume();
    const isSmall = total <= this.small.bufferBytes;
    const ring = isSmall ? this.small : this.big;
    const f = this.frags.clear();
    f.arrivalNs = this.nic.clock.now; f.queue = this.q;
    for (let left = total; left > 0; left -= ring.bufferBytes) {
      const addr = ring.clean();                                       // the chunks are used in posting order
      f.add(this.nic.dma.bytes, addr, Math.min(ring.bufferBytes, left), this.nic.dma, addr);
    }
    const f0 = f.frags[0]!;
    f0.off += MXGEFW_PAD; f0.size -= MXGEFW_PAD;
    this.len = total - MXGEFW_PAD;
    if (isSmall) this.stats.rx_small_cnt++; else this.stats.rx_big_cnt++;
    if (this.tracer.enabled) {
      f.frameId = this.nic.takeCompletedFrame?.(this.q) ?? -1;
      this.tracer.emit({ t: this.stack.cpu.now, layer: 'driver', what: 'completion', queue: this.q, ring: 'rx_done', slot: this.rxDone.lastSlot,
        text: `myri10ge: rx_done slot, ${this.len} bytes in ${f.count} ${ring.name} chunk${f.count === 1 ? '' : 's'}, csum 0x${this.csum.toString(16)}`,
        ...(f.frameId >= 0 ? { frame: f.frameId } : {}) });
    }
    return true;
  }

  /** A completion too short to be a frame: its chunks go back, counted. */
  dropRunt(): boolean {
    if (this.len >= ETH_HLEN) return false;
    this.releaseFrags();
    this.stats.rx_runt_completion++;
    this.dev.stats.rx_length_errors++;
    return true;
  }

  private releaseFrags(): void {
    const f = this.frags;
    for (let k = 0; k < f.count; k++) this.nic.dma.release(this.nic.dma.bytes, f.frags[k]!.ownerAddr);
    f.count = 0;
  }

  countRx(): void {
    this.stats.rx_packets++; this.stats.rx_bytes += this.len;
    this.dev.stats.rx_packets++; this.dev.stats.rx_bytes += this.len;
  }

  /** lro_receive_frags(mgr, frags, len, true_size = len, priv = csum, sum = csum); LRO builds (and charges) the skbs. */
  lroReceiveFrags(): void {
    this.lro!.receiveFrags(this.frags, this.len, this.len, this.csum, this.csum);
  }

  /**
   * myri10ge's own skb (LRO off, rx checksums off, or GRO): a 64-byte header copy in a small linear
   * buffer after 2 bytes of headroom, the rest as the page fragments (a chunk wholly copied is released).
   * For GRO the copy covers the whole TCP header when it is longer (GRO reads headers from the linear part).
   */
  buildSkb(): SkBuff {
    const f = this.frags, f0 = f.frags[0]!, len = this.len;
    this.stack.cpu.charge('skb_alloc');
    const skb = this.pool.get();
    const hlen = this.gro !== null ? Math.max(MYRI10GE_HLEN, this.headerLength(f0.mem, f0.off, f0.size)) : MYRI10GE_HLEN;
    const copy = Math.min(len, hlen, f0.size);
    const mem = this.hdrSlab.alloc(), slot = this.hdrSlab.lastOff;
    copyBytes(f0.mem, f0.off, mem, slot + MYRI10GE_ALIGN_PAD, copy);
    this.stack.cpu.charge('copy_byte', copy);
    skb.setLinear(mem, slot + MYRI10GE_ALIGN_PAD, copy, MYRI10GE_ALIGN_PAD, HEADER_SLOT - MYRI10GE_ALIGN_PAD - copy);
    skb.headOwner = this.hdrSlab; skb.headOwnerAddr = slot;
    if (f0.size > copy) skb.addFrag(f0.mem, f0.off + copy, f0.size - copy, f0.owner, f0.ownerAddr);
    else this.nic.dma.release(f0.mem, f0.ownerAddr);                  // the whole chunk was copied: put_page
    for (let k = 1; k < f.count; k++) { const x = f.frags[k]!; skb.addFrag(x.mem, x.off, x.size, x.owner, x.ownerAddr); }
    f.count = 0;
    skb.truesize = SKB_OVERHEAD + HEADER_SLOT + len;
    skb.ipSummed = this.csumOn ? CHECKSUM_COMPLETE : CHECKSUM_NONE;
    skb.csum = this.csumOn ? this.csum : 0;
    skb.queue = this.q; skb.arrivalNs = f.arrivalNs; skb.wireFrames = 1; skb.frameId = f.frameId;
    ethTypeTrans(skb);
    return skb;
  }

  /** Bytes from the MAC header to the end of the TCP (or UDP) header, IPv4 or IPv6, through wire's layout; 0 when there is none or it is not all in the first fragment (for the GRO header copy). */
  private headerLength(b: Uint8Array, mac: number, avail: number): number {
    const hl = layoutFrame(b, mac, this.len, this.layout).headerLength;
    return hl <= avail ? hl : 0;
  }

  /**
   * myri10ge_get_frag_header: the MAC header starts fragment 0; Ethernet IPv4, or 802.1Q carrying IPv4
   * (then the tag's 4 bytes come out of the NIC's sum, which starts at byte 14); TCP only; no IP fragment
   * (the later variant); the IP header checksum and the full TCP checksum (pseudo-header + NIC sum) must be right.
   * The frame is read through wire/layout.ts; a malformed IPv4 header counts as not IPv4, a malformed TCP header as not TCP.
   */
  getFragHeader(frags: LroFragList, out: LroHeader, nicCsum: number): boolean {
    const s = this.stats, f0 = frags.frags[0]!, b = f0.mem, mac = f0.off;
    const L = layoutFrame(b, mac, this.len, this.layout);
    if (L.vlanCount > 1 || (L.vlanCount === 1 && L.outerTpid !== ETH_P_8021Q) || !L.isIpv4) { s.lro_hdr_not_ipv4++; return false; }
    out.buf = b; out.macOff = mac; out.iphOff = mac + L.l3; out.flags = LRO_IPV4;
    if (L.l4Proto !== IPPROTO.TCP) { s.lro_hdr_not_tcp++; return false; }
    if (this.rejectIpFragments && L.fragment) { s.lro_hdr_ip_fragment++; return false; }
    if (L.l4HdrLen === 0) { s.lro_hdr_not_tcp++; return false; }
    if (L.l4 + L.l4HdrLen > f0.size) { s.lro_hdr_split++; return false; }
    out.tcphOff = mac + L.l4; out.flags = LRO_IPV4 | LRO_TCP;
    this.stack.cpu.charge('csum_byte', L.ipHdrLen);
    if (fold(sumBytes(b, mac + L.l3, L.ipHdrLen)) !== 0xffff) { s.lro_hdr_ip_csum_bad++; return false; }
    const csum = L.vlanCount === 1 ? csumWithoutVlan(nicCsum, L.outerTci, L.etherType) : nicCsum;
    const src = mac + L.srcOff;
    if (fold(csum + pseudoHeaderSum(b, src, src + 4, IPPROTO.TCP, L.ipEnd - L.l4)) !== 0xffff) { s.lro_hdr_tcp_csum_bad++; return false; }
    return true;
  }

  /** myri10ge_alloc_rx_pages for both rings: carve pages into chunks, post them, one doorbell each; a failure is counted and retried after the next batch. */
  allocRxBuffers(): void {
    if (!this.small.allocRxBuffers(this.small)) this.stats.refill_failed++;
    if (!this.big.allocRxBuffers(this.big)) this.stats.refill_failed++;
  }

  /** Unload with the device idle: every posted chunk's reference and the carving references go back. */
  close(): void {
    this.small.close();
    this.big.close();
  }
}

/** The myri10ge driver instance: one MyriSlice per slice. */
export class Myri10geDriver extends RxDriver<MyriSlice> implements Driver {
  readonly name = 'myri10ge';

  constructor(env: DriverEnv, engine: Engine) {
    const { model, stack, tracer, options } = env, dev = new NetDevice({ name: 'eth0', mtu: model.mtu, mac: model.macAddress });
    super(env, dev, (q) => new MyriSlice(q, model, stack, dev, tracer, engine, options));
  }

  /** The queues under myri10ge's name for them. */
  get slices(): readonly MyriSlice[] { return this.queues; }

  override open(): void {
    this.env.stack.registerNetdev(this.dev);
    this.dev.registerStatsProvider(() => this.ethtoolStats());
    super.open();
  }

  drops(): Record<string, number> { return { rx_runt_completion: this.sum((s) => s.stats.rx_runt_completion) }; }

  /** ethtool -S: the four LRO lines of myri10ge (summed over slices; avg aggr as the integer quotient), then per slice. */
  override ethtoolStats(): Record<string, number> {
    const lro = this.lroStats();
    const agg = lro?.aggregated ?? 0, fl = lro?.flushed ?? 0;
    const out = { 'LRO aggregated': agg, 'LRO flushed': fl, 'LRO avg aggr': fl > 0 ? Math.floor(agg / fl) : 0, 'LRO no_desc': lro?.no_desc ?? 0 };
    return perQueueStats(out, 'slice', this.queues);
  }

  /** Unload (tests): gives every posted chunk back; call with the device idle and the stack drained. */
  close(): void { for (const s of this.queues) s.close(); }
}
