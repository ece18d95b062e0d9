// myri10ge sample driver setup (spec/inet_lro.md §3.2, datasheet docs/hw-models/myri10ge.md): per slice
// a small and a big ring of page chunks (one page reference per chunk), the rx_done ring, one NAPI
// context, one interrupt and one LroManager in frags mode (or GroEngine). The poll is in poll.ts.
import { r16 } from '../../wire/bytes.ts';
import { MXGEFW_PAD, MYRI_PAGE, RECV_DESC, RECV_DESC_SIZE, RX_DONE, RX_DONE_SIZE, csumWithoutVlan } from '../../hw-models/myri10ge.ts';
import { copyBytes } from '../../hw-models/dma.ts';
import type { NicModel } from '../../hw-models/model.ts';
import type { Stack } from '../../stack/stack.ts';
import type { NapiStruct } from '../../stack/napi.ts';
import { NetDevice } from '../../stack/netdev.ts';
import {
  CHECKSUM_COMPLETE, CHECKSUM_NONE, CHECKSUM_UNNECESSARY, ETH_HLEN, ETH_P_8021Q, ETH_P_IP, MAX_SKB_FRAGS, SKB_OVERHEAD,
  SkbPool, VLAN_HLEN, ethTypeTrans, type SkBuff,
} from '../../stack/skb.ts';
import {
  GroEngine, HeaderSlab, LRO_IPV4, LRO_TCP, LroFragList, LroManager, sumGroStats, sumLroStats,
  type GroStats, type LroHeader, type LroStats,
} from '../../lro/index.ts';
import type { Tracer } from '../../observe/trace.ts';
import { IPPROTO, IPV4, TCP } from '../../wire/constants.ts';
import { fold, pseudoHeaderSum, sumBytes } from '../../wire/checksum.ts';
import type { Driver, DriverEnv, Engine, ResolvedDriverOptions } from '../driver.ts';
import { myri10gePoll } from './poll.ts';

/** Module parameter myri10ge_lro_max_pkts (MYRI10GE_LRO_MAX_PKTS). */
export const MYRI10GE_LRO_MAX_PKTS = 64;
/** MYRI10GE_MAX_LRO_DESCRIPTORS. */
export const MYRI10GE_MAX_LRO_DESCRIPTORS = 8;
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
  /** A page could not be allocated; the ring is topped up after the next batch. */
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

/** One receive ring of page chunks: the shadow array (ring index → chunk address) and the page being carved. */
class ChunkRing {
  readonly shadow: Int32Array;
  tail = 0;
  /** Next ring index the device completes (the chunks are used in posting order). */
  clean = 0;
  posted = 0;
  page = -1;
  pageOff = 0;
  constructor(readonly name: 'small' | 'big', readonly base: number, readonly entries: number, readonly chunk: number) {
    this.shadow = new Int32Array(entries).fill(-1);
  }
}

/** One slice: rings, NAPI, interrupt, LRO/GRO, counters. */
export class MyriSlice {
  readonly stats = newSliceStats();
  readonly pool = new SkbPool(64);
  /** The frame being processed, as page fragments (reused for every frame). */
  readonly frags = new LroFragList();
  /** Linear buffers of the skbs the driver builds itself (header copies). */
  readonly hdrSlab = new HeaderSlab(HEADER_SLOT, 128);
  readonly lro: LroManager<number> | null = null;
  readonly gro: GroEngine | null = null;
  napi!: NapiStruct;
  readonly small: ChunkRing;
  readonly big: ChunkRing;
  readonly napiMode: boolean;
  /** Rx checksums on: the NIC's partial sum is there to verify TCP checksums with (LRO needs it). */
  readonly csumOn: boolean;
  /** The later myri10ge's get_frag_header also refuses IP fragments (MF or offset); on by default. */
  rejectIpFragments = true;
  /** The current completion: frame length (pad stripped) and the NIC's partial checksum. */
  len = 0;
  csum = 0;
  private readonly v: DataView;
  private readonly mem: Uint8Array;
  private readonly doneBase: number;
  private readonly doneEntries: number;
  private doneIdx = 0;

  constructor(readonly q: number, readonly nic: NicModel, readonly stack: Stack, readonly dev: NetDevice,
    private readonly tracer: Tracer, readonly engine: Engine, opts: ResolvedDriverOptions) {
    this.v = nic.dma.view; this.mem = nic.dma.bytes;
    const s = nic.ring(q, 'small'), b = nic.ring(q, 'big'), d = nic.ring(q, 'rx_done');
    this.small = new ChunkRing('small', s.base, s.entries, s.bufferBytes);
    this.big = new ChunkRing('big', b.base, b.entries, b.bufferBytes);
    this.doneBase = d.base; this.doneEntries = d.entries;
    this.napiMode = opts.nonNapi !== true;
    this.csumOn = nic.capabilities.rxChecksum === 'partial';
    this.frags.queue = q;
    if (engine === 'lro') {
      this.lro = new LroManager<number>({
        maxDesc: opts.maxDesc ?? MYRI10GE_MAX_LRO_DESCRIPTORS,
        maxAggr: Math.min(opts.maxAggr ?? MYRI10GE_LRO_MAX_PKTS, MAX_SKB_FRAGS), mtu: nic.mtu,
        features: { napi: this.napiMode, extractVlanId: false },
        ipSummed: CHECKSUM_COMPLETE, ipSummedAggr: CHECKSUM_UNNECESSARY, fragAlignPad: MYRI10GE_ALIGN_PAD,
        sink: stack, skbPool: this.pool, tracer, cpu: stack.cpu, queue: q,
        getFragHeader: (frags, out, csum) => this.getFragHeader(frags, out, csum),
        ...(opts.lroQuirks !== undefined ? { quirks: opts.lroQuirks } : {}),
      });
    } else if (engine === 'gro') {
      this.gro = new GroEngine({ sink: stack, tracer, queue: q, cpu: stack.cpu });
    }
  }

  open(weight: number): void {
    this.napi = this.stack.napiAdd(`${this.dev.name}-slice${this.q}`, (napi, budget) => myri10gePoll(this, napi, budget), weight, this.q);
    if (this.gro !== null) this.napi.attachGro(this.gro);
    this.nic.onInterrupt(this.q, this.stack.requestIrq(`${this.dev.name}-slice${this.q}`, () => { this.stack.napiSchedule(this.napi); }));
    this.restock();
  }

  /** Completions waiting in rx_done (for the occupancy sampler). */
  get pending(): number { return (this.nic.readHead(this.q, 'rx_done') - this.doneIdx + this.doneEntries) % this.doneEntries; }

  /**
   * Reads the next rx_done slot: the frame's chunks become `frags` (fragment 0 advanced past the 2-byte
   * firmware pad), `len` and `csum` are set, the slot is handed back (LENGTH = 0). False when empty.
   */
  nextCompletion(): boolean {
    const v = this.v, at = this.doneBase + this.doneIdx * RX_DONE_SIZE;
    const total = v.getUint16(at + RX_DONE.LENGTH);
    if (total === 0) return false;
    this.stack.cpu.charge('descriptor');
    this.csum = v.getUint16(at + RX_DONE.CSUM);
    v.setUint16(at + RX_DONE.LENGTH, 0);
    if (++this.doneIdx === this.doneEntries) this.doneIdx = 0;
    const isSmall = total <= this.small.chunk;
    const ring = isSmall ? this.small : this.big;
    const f = this.frags.clear();
    f.arrivalNs = this.nic.clock.now; f.queue = this.q;
    for (let left = total; left > 0; left -= ring.chunk) {
      const addr = ring.shadow[ring.clean]!;
      ring.shadow[ring.clean] = -1;
      ring.clean = ring.clean + 1 === ring.entries ? 0 : ring.clean + 1;
      ring.posted--;
      f.add(this.mem, addr, Math.min(ring.chunk, left), this.nic.dma, addr);
    }
    const f0 = f.frags[0]!;
    f0.off += MXGEFW_PAD; f0.size -= MXGEFW_PAD;
    this.len = total - MXGEFW_PAD;
    if (isSmall) this.stats.rx_small_cnt++; else this.stats.rx_big_cnt++;
    if (this.tracer.enabled) {
      f.frameId = this.nic.takeCompletedFrame?.(this.q) ?? -1;
      this.tracer.emit({ t: this.stack.cpu.now, layer: 'driver', what: 'completion', queue: this.q, ring: 'rx_done', slot: (this.doneIdx + this.doneEntries - 1) % this.doneEntries,
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
    for (let k = 0; k < f.count; k++) this.nic.dma.release(this.mem, f.frags[k]!.ownerAddr);
    f.count = 0;
  }

  countRx(): void {
    this.stats.rx_packets++; this.stats.rx_bytes += this.len;
    this.dev.stats.rx_packets++; this.dev.stats.rx_bytes += this.len;
  }

  /** lro_receive_frags(mgr, frags, len, true_size = len, priv = csum, sum = csum); LRO builds (and charges) the skbs. */
  lroReceive(): void {
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

  /** Engine 'off' (or LRO with rx checksums off): netif_receive_skb. */
  deliver(skb: SkBuff): void {
    if (this.napiMode) this.stack.netifReceiveSkb(skb); else this.stack.netifRx(skb);
  }

  /** Engine 'gro': napi_gro_receive with CHECKSUM_COMPLETE; in-band 802.1Q frames merge under their tag. */
  groReceive(skb: SkBuff): void {
    this.gro!.groReceive(skb);
  }

  /** Bytes from the MAC header to the end of the TCP header, 0 when not TCP/IPv4 (for the GRO header copy). */
  private headerLength(b: Uint8Array, mac: number, avail: number): number {
    let iph = mac + ETH_HLEN;
    let type = r16(b, mac + 12);
    if (type === ETH_P_8021Q) { type = r16(b, mac + 16); iph += VLAN_HLEN; }
    if (type !== ETH_P_IP || iph + IPV4.HLEN > mac + avail) return 0;
    const ihl = (b[iph]! & 0x0f) * 4;
    if (b[iph + IPV4.PROTO] !== IPPROTO.TCP || iph + ihl + TCP.HLEN > mac + avail) return 0;
    return iph + ihl + (b[iph + ihl + TCP.DOFF]! >> 4) * 4 - mac;
  }

  /**
   * myri10ge_get_frag_header: the MAC header starts fragment 0; Ethernet IPv4, or 802.1Q carrying IPv4
   * (then the tag's 4 bytes come out of the NIC's sum, which starts at byte 14); TCP only; no IP fragment
   * (the later variant); the IP header checksum and the full TCP checksum (pseudo-header + NIC sum) must be right.
   */
  getFragHeader(frags: LroFragList, out: LroHeader, nicCsum: number): boolean {
    const s = this.stats, f0 = frags.frags[0]!, b = f0.mem, mac = f0.off;
    let iph = mac + ETH_HLEN, type = r16(b, mac + 12), csum = nicCsum;
    if (type === ETH_P_8021Q) {
      const tci = r16(b, mac + 14);
      type = r16(b, mac + 16);
      iph += VLAN_HLEN;
      if (type === ETH_P_IP) csum = csumWithoutVlan(csum, tci, type);
    }
    if (type !== ETH_P_IP) { s.lro_hdr_not_ipv4++; return false; }
    out.buf = b; out.macOff = mac; out.iphOff = iph; out.flags = LRO_IPV4;
    if (b[iph + IPV4.PROTO] !== IPPROTO.TCP) { s.lro_hdr_not_tcp++; return false; }
    if (this.rejectIpFragments && (r16(b, iph + IPV4.FRAG) & 0x3fff) !== 0) { s.lro_hdr_ip_fragment++; return false; }
    const ihl = (b[iph]! & 0x0f) * 4, tcph = iph + ihl;
    if (tcph + TCP.HLEN > mac + f0.size || tcph + (b[tcph + TCP.DOFF]! >> 4) * 4 > mac + f0.size) { s.lro_hdr_split++; return false; }
    out.tcphOff = tcph; out.flags = LRO_IPV4 | LRO_TCP;
    this.stack.cpu.charge('csum_byte', ihl);
    if (fold(sumBytes(b, iph, ihl)) !== 0xffff) { s.lro_hdr_ip_csum_bad++; return false; }
    const tcpLen = r16(b, iph + IPV4.TOT_LEN) - ihl;
    if (fold(csum + pseudoHeaderSum(b, iph + IPV4.SRC, iph + IPV4.DST, IPPROTO.TCP, tcpLen)) !== 0xffff) { s.lro_hdr_tcp_csum_bad++; return false; }
    return true;
  }

  /** myri10ge_alloc_rx_pages for both rings: carve pages into chunks, one page reference per chunk posted. */
  restock(): void {
    this.fill(this.small);
    this.fill(this.big);
  }

  private fill(r: ChunkRing): void {
    const v = this.v, dma = this.nic.dma;
    let n = 0;
    while (r.posted < r.entries - 1) {
      if (r.page < 0) {
        r.page = dma.alloc(MYRI_PAGE);
        if (r.page < 0) { this.stats.refill_failed++; break; }
        r.pageOff = 0;
      }
      const addr = r.page + r.pageOff;
      dma.ref(addr);                                                   // this chunk's reference
      r.pageOff += r.chunk;
      if (r.pageOff + r.chunk > MYRI_PAGE) { dma.free(r.page); r.page = -1; }   // page used up: drop the carving reference
      const d = r.base + r.tail * RECV_DESC_SIZE;
      v.setUint32(d + RECV_DESC.ADDR_HIGH, 0);
      v.setUint32(d + RECV_DESC.ADDR_LOW, addr);
      r.shadow[r.tail] = addr;
      r.tail = r.tail + 1 === r.entries ? 0 : r.tail + 1;
      r.posted++; n++;
    }
    if (n > 0) this.nic.doorbell(this.q, r.name, r.tail);
  }

  /** Unload with the device idle: every posted chunk's reference and the carving references go back. */
  close(): void {
    for (const r of [this.small, this.big]) {
      for (let i = 0; i < r.entries; i++) if (r.shadow[i]! >= 0) { this.nic.dma.free(r.shadow[i]!); r.shadow[i] = -1; }
      if (r.page >= 0) { this.nic.dma.free(r.page); r.page = -1; }
      r.posted = 0;
    }
  }
}

export class Myri10geDriver implements Driver {
  readonly name = 'myri10ge';
  readonly slices: MyriSlice[] = [];
  readonly dev: NetDevice;
  private readonly stack: Stack;
  private readonly options: ResolvedDriverOptions;

  constructor(env: DriverEnv, readonly engine: Engine) {
    const { model, stack, tracer, options } = env;
    this.stack = stack;
    this.options = options;
    this.dev = new NetDevice({ name: 'eth0', mtu: model.mtu, mac: model.macAddress });
    for (let q = 0; q < model.queueCount; q++) this.slices.push(new MyriSlice(q, model, stack, this.dev, tracer, engine, options));
  }

  open(): void {
    this.stack.registerNetdev(this.dev);
    this.dev.registerStatsProvider(() => this.ethtoolStats());
    for (const ss of this.slices) ss.open(this.options.pollBudget);
  }

  lroStats(): LroStats | null { return this.engine === 'lro' ? sumLroStats(this.slices.map((s) => s.lro!.stats)) : null; }

  groStats(): GroStats | null { return this.engine === 'gro' ? sumGroStats(this.slices.map((s) => s.gro!.stats)) : null; }

  drops(): Record<string, number> {
    let runts = 0;
    for (const s of this.slices) runts += s.stats.rx_runt_completion;
    return { rx_runt_completion: runts };
  }

  /** ethtool -S: the four LRO lines of myri10ge (summed over slices; avg aggr as the integer quotient), then per slice. */
  ethtoolStats(): Record<string, number> {
    const lro = this.lroStats();
    const agg = lro?.aggregated ?? 0, fl = lro?.flushed ?? 0;
    const out: Record<string, number> = {
      'LRO aggregated': agg, 'LRO flushed': fl, 'LRO avg aggr': fl > 0 ? Math.floor(agg / fl) : 0, 'LRO no_desc': lro?.no_desc ?? 0,
    };
    for (const ss of this.slices) {
      const s = ss.stats as unknown as Record<string, number>;
      for (const k of Object.keys(s)) out[`slice${ss.q} ${k}`] = s[k]!;
    }
    return out;
  }

  get held(): number {
    let n = 0;
    for (const s of this.slices) n += s.lro !== null ? s.lro.activeSessions : s.gro !== null ? s.gro.heldPackets : 0;
    return n;
  }

  /** Unload (tests): gives every posted chunk back; call with the device idle and the stack drained. */
  close(): void { for (const s of this.slices) s.close(); }
}
