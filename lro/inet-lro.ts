// LroManager: Linux 2.6.24 inet_lro (spec/inet_lro.md §1–§2), one per receive queue. skb mode chains
// packets on the head skb's frag_list; frags mode builds the head skb itself from page fragments.
// The original's quirks (§2.10) are kept by default, each behind a named switch in `quirks`.
import { fold32, sum16 } from '../wire/checksum.ts';
import { r16, r32, w16, w32 } from '../wire/bytes.ts';
import { z } from 'zod';
import { IPV4, TCP, TCP_FLAG, TCPOPT } from '../wire/index.ts';
import { ipv4HeaderLength, tcpHeaderLength } from '../wire/fields.ts';
import {
  CHECKSUM_NONE,
  CHECKSUM_UNNECESSARY,
  ETH_P_8021Q,
  MAX_SKB_FRAGS,
  SKB_GSO_TCPV4,
  SKB_OVERHEAD,
  ethTypeTrans,
} from '../stack/skb.ts';
import type { IpSummed, SkBuff, SkbPool } from '../stack/skb.ts';
import type { RxSink } from '../stack/rx-sink.ts';
import { NO_TRACE } from '../observe/trace.ts';
import type { Tracer } from '../observe/trace.ts';
import type { Cpu } from '../sim/cost.ts';
import { newLroStats } from './stats.ts';
import type { LroStats } from './stats.ts';
import {
  LRO_BYPASS_REASONS,
  LRO_FLUSH_REASONS,
  counterNames,
  type LroBypassReason,
  type LroFlushReason,
} from './reasons.ts';
import type { LroFragList } from './frag-list.ts';
import { HeaderSlab } from './header-slab.ts';

/** `flags` a header callback sets: the network header is IPv4 / the transport header is TCP. Both are needed. */
export const LRO_IPV4 = 1;
export const LRO_TCP = 2;
/** `features`: deliver in NAPI context (netif_receive_skb) rather than netif_rx. */
export const LRO_F_NAPI = 1;
/** `features`: the NIC stripped the 802.1Q tag although skb.protocol still says ETH_P_8021Q. */
export const LRO_F_EXTRACT_VLAN_ID = 2;
/** Bytes copied into a generated skb when a frame bypasses LRO in frags mode (LRO_MAX_PG_HLEN). */
export const LRO_MAX_PG_HLEN = 64;

/** What a header callback fills: header offsets in `buf` (the skb's `buf`, or the first fragment's `mem`). */
export class LroHeader {
  buf: Uint8Array = new Uint8Array(0);
  /** Frags mode: offset of the MAC header; it must be where fragment 0 starts (`frags.frags[0].off`), as in the original. */
  macOff = 0;
  iphOff = 0;
  tcphOff = 0;
  /** LRO_IPV4 | LRO_TCP when the packet may be aggregated. */
  flags = 0;
}

/** get_skb_header: fill `out` and return true, or return false for "not for LRO". */
export type GetSkbHeader<P> = (skb: SkBuff, out: LroHeader, priv: P) => boolean;
/** get_frag_header: same for a frame in page fragments (the first must hold all headers). */
export type GetFragHeader<P> = (frags: LroFragList, out: LroHeader, priv: P) => boolean;

const fn = (name: string) =>
  z.custom<(...a: never[]) => unknown>((v) => typeof v === 'function', { message: `${name} must be a function` });

export const lroQuirksSchema = z
  .object({
    /** Q1: an in-band-tagged continuation packet is measured without subtracting the 4-byte tag. */
    inbandVlanLength: z.boolean().default(true),
    /** Q2: frags-mode sessions forget the hw-accel VLAN tag (the aggregate goes up untagged). */
    fragsDropVlanTag: z.boolean().default(true),
    /** Q3: the flow key is the 4-tuple only; the VLAN tag is ignored. */
    flowKeyIgnoresVlan: z.boolean().default(true),
    /** Q5: max_aggr is only tested after an append, so max_aggr = 1 still merges two packets. */
    maxAggrAfterAppend: z.boolean().default(true),
    /** Q6: gso_size is set on every delivered session (even one packet); gso_type/gso_segs never. */
    gsoSizeOnly: z.boolean().default(true),
    /** Q7: later segments' PSH, IP ID/TTL/TOS, TSval and intermediate ack/window are discarded. */
    lossyMerge: z.boolean().default(true),
    /** V24: a bypassed skb gets ip_summed = mgr.ipSummed in skb mode too (VL left the driver's value). */
    bypassSetsIpSummed: z.boolean().default(true),
  })
  .strict();

const ipSummed = z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]);

export const lroConfigSchema = z
  .object({
    maxDesc: z.number().int().min(1).max(1024),
    maxAggr: z.number().int().min(1).max(65535),
    features: z
      .object({ napi: z.boolean().default(true), extractVlanId: z.boolean().default(false) })
      .strict()
      .default({ napi: true, extractVlanId: false }),
    ipSummed: ipSummed.default(CHECKSUM_UNNECESSARY),
    ipSummedAggr: ipSummed.default(CHECKSUM_UNNECESSARY),
    fragAlignPad: z.number().int().min(0).max(64).default(0),
    mtu: z.number().int().min(68).max(65535),
    sink: z.custom<RxSink>(
      (v) => typeof v === 'object' && v !== null && typeof (v as RxSink).netifReceiveSkb === 'function',
      { message: 'sink must be an RxSink' },
    ),
    skbPool: z
      .custom<SkbPool>((v) => typeof v === 'object' && v !== null && typeof (v as SkbPool).get === 'function', {
        message: 'skbPool must be an SkbPool',
      })
      .optional(),
    tracer: z
      .custom<Tracer>((v) => typeof v === 'object' && v !== null && typeof (v as Tracer).emit === 'function', {
        message: 'tracer must be a Tracer',
      })
      .optional(),
    cpu: z
      .custom<Cpu>((v) => typeof v === 'object' && v !== null && typeof (v as Cpu).charge === 'function', {
        message: 'cpu must be a Cpu (sim/cost.ts)',
      })
      .optional(),
    getSkbHeader: fn('getSkbHeader').optional(),
    getFragHeader: fn('getFragHeader').optional(),
    queue: z.number().int().min(0).default(0),
    quirks: lroQuirksSchema.default({
      inbandVlanLength: true,
      fragsDropVlanTag: true,
      flowKeyIgnoresVlan: true,
      maxAggrAfterAppend: true,
      gsoSizeOnly: true,
      lossyMerge: true,
      bypassSetsIpSummed: true,
    }),
  })
  .strict();

export type LroQuirks = z.output<typeof lroQuirksSchema>;

export interface LroConfig<P = unknown> {
  maxDesc: number;
  maxAggr: number;
  features?: { napi?: boolean; extractVlanId?: boolean };
  ipSummed?: IpSummed;
  ipSummedAggr?: IpSummed;
  fragAlignPad?: number;
  mtu: number;
  sink: RxSink;
  skbPool?: SkbPool;
  tracer?: Tracer;
  /** The core LRO's work is charged to: an `lro_merge` per packet offered, an `skb_alloc` per skb it builds (frags mode). */
  cpu?: Cpu;
  getSkbHeader?: GetSkbHeader<P>;
  getFragHeader?: GetFragHeader<P>;
  queue?: number;
  quirks?: { [K in keyof LroQuirks]?: boolean | undefined };
}

/** Turns a zod failure into one line that names the field. */
export function configError(what: string, err: z.ZodError): Error {
  const lines = err.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  return new Error(`${what} config: ${lines.join('; ')}`);
}

// Eligibility verdicts (§2.2), in evaluation order; 0 = eligible, else 1 + the reason's place in LRO_BYPASS_REASONS.
const bypassCode = (name: LroBypassReason): number => LRO_BYPASS_REASONS.findIndex((r) => r.name === name) + 1;
const OK = 0,
  R_LENGTH = bypassCode('length_mismatch'),
  R_NO_PAYLOAD = bypassCode('no_payload'),
  R_IP_OPTIONS = bypassCode('ip_options'),
  R_TCP_FLAGS = bypassCode('tcp_flags'),
  R_ECN_CE = bypassCode('ecn_ce'),
  R_TCP_OPTIONS = bypassCode('tcp_options'),
  R_TSVAL = bypassCode('tsval_backwards'),
  R_TSECR = bypassCode('tsecr_zero'),
  R_NOT_LRO = bypassCode('not_lro'),
  R_NOT_TCP = bypassCode('not_tcp'),
  R_NO_DESC = bypassCode('no_desc'),
  R_OUT_OF_ORDER = bypassCode('out_of_order');
/** Counter of each bypass code (index 0, eligible, has none). */
const BYPASS_COUNTER = counterNames(LRO_BYPASS_REASONS, 'bypass_');

// Flush reasons: the reason's place in LRO_FLUSH_REASONS.
const flushCode = (name: LroFlushReason): number => LRO_FLUSH_REASONS.findIndex((r) => r.name === name);
const F_OUT_OF_ORDER = flushCode('out_of_order'),
  F_INELIGIBLE = flushCode('ineligible'),
  F_MAX_AGGR = flushCode('max_aggr'),
  F_64K = flushCode('64k'),
  F_ALL = flushCode('all'),
  F_PKT = flushCode('pkt'),
  F_FRAGS_FULL = flushCode('frags_full'),
  F_HEADER_CHANGED = flushCode('header_changed'),
  F_PSH = flushCode('psh');
const FLUSH_COUNTER = counterNames(LRO_FLUSH_REASONS, 'flush_');

const DISALLOWED_FLAGS = TCP_FLAG.CWR | TCP_FLAG.ECE | TCP_FLAG.URG | TCP_FLAG.RST | TCP_FLAG.SYN | TCP_FLAG.FIN;
/** NOP, NOP, TIMESTAMP, length 10 as one big-endian word. */
const TS_WORD = (TCPOPT.NOP << 24) | (TCPOPT.NOP << 16) | (TCPOPT.TIMESTAMP << 8) | 10;

/** The header fields of the packet being processed, read once. Big-endian words are kept as int32 (`| 0`): V8
 *  stores a small integer in the field itself, where a u32 past 2^31 would need a double (a box to load and
 *  convert on every use). Comparisons, masks and shifts read them the same; a trace prints them `>>> 0`. */
class Pkt {
  saddr = 0;
  daddr = 0;
  ports = 0;
  seq = 0;
  ack = 0;
  /** TCP bytes 12..15 (doff, flags, window) and 16..19 (check, urgent pointer). */
  w12 = 0;
  w16 = 0;
  /** Option word 0 and the timestamp values (0 unless doff is 8). */
  opt0 = 0;
  tsval = 0;
  tsecr = 0;
  totLen = 0;
  ihl = 0;
  doff = 0;
  tos = 0;
  ttl = 0;
  ipId = 0;
  get flags(): number {
    return (this.w12 >>> 16) & 0xff;
  }
  get window(): number {
    return this.w12 & 0xffff;
  }
  get payload(): number {
    return this.totLen - this.ihl - this.doff;
  }

  read(b: Uint8Array, iph: number, tcph: number): void {
    this.ihl = ipv4HeaderLength(b, iph);
    this.tos = b[iph + IPV4.TOS]!;
    this.totLen = r16(b, iph + IPV4.TOT_LEN);
    this.ipId = r16(b, iph + IPV4.ID);
    this.ttl = b[iph + IPV4.TTL]!;
    this.saddr = r32(b, iph + IPV4.SRC) | 0;
    this.daddr = r32(b, iph + IPV4.DST) | 0;
    this.ports = r32(b, tcph + TCP.SPORT) | 0;
    this.seq = r32(b, tcph + TCP.SEQ) | 0;
    this.ack = r32(b, tcph + TCP.ACK) | 0;
    this.w12 = r32(b, tcph + TCP.DOFF) | 0;
    this.w16 = r32(b, tcph + TCP.CSUM) | 0;
    this.doff = (this.w12 >>> 28) << 2;
    if (this.doff === 32) {
      this.opt0 = r32(b, tcph + 20) | 0;
      this.tsval = r32(b, tcph + 24) | 0;
      this.tsecr = r32(b, tcph + 28) | 0;
    } else {
      this.opt0 = 0;
      this.tsval = 0;
      this.tsecr = 0;
    }
  }

  /** Only the flow key (flushPkt). */
  readKey(b: Uint8Array, iph: number, tcph: number): void {
    this.saddr = r32(b, iph + IPV4.SRC) | 0;
    this.daddr = r32(b, iph + IPV4.DST) | 0;
    this.ports = r32(b, tcph + TCP.SPORT) | 0;
  }

  /**
   * The payload's 1's-complement sum, derived from the TCP checksum field as inet_lro does: the whole
   * segment (header incl. its check field, payload, pseudo-header) sums to 0xffff, so payload = ~(rest).
   * No payload byte is read, so a wrong checksum field yields a wrong (valid-looking) aggregate checksum.
   * Valid for doff 5 or 8 (the only ones §2.2 lets through).
   */
  payloadCsum(): number {
    let s =
      (this.saddr >>> 16) +
      (this.saddr & 0xffff) +
      (this.daddr >>> 16) +
      (this.daddr & 0xffff) +
      6 +
      (this.totLen - this.ihl) +
      (this.ports >>> 16) +
      (this.ports & 0xffff) +
      (this.seq >>> 16) +
      (this.seq & 0xffff) +
      (this.ack >>> 16) +
      (this.ack & 0xffff) +
      (this.w12 >>> 16) +
      (this.w12 & 0xffff) +
      (this.w16 >>> 16) +
      (this.w16 & 0xffff);
    if (this.doff === 32)
      s +=
        (this.opt0 >>> 16) +
        (this.opt0 & 0xffff) +
        (this.tsval >>> 16) +
        (this.tsval & 0xffff) +
        (this.tsecr >>> 16) +
        (this.tsecr & 0xffff);
    return ~fold32(s) & 0xffff;
  }
}

/** One open session (struct net_lro_desc). */
class LroDesc {
  active = false;
  parent: SkBuff | null = null;
  last: SkBuff | null = null;
  /** The buffer and offsets of the parent's IP/TCP headers. */
  hbuf: Uint8Array = new Uint8Array(0);
  iph = 0;
  tcph = 0;
  saddr = 0;
  daddr = 0;
  ports = 0;
  /** Flow key VLAN (-1: none or ignored) and the hw-accel tag to deliver with (-1: plain path). */
  vlanKey = -1;
  vlanTag = -1;
  dataCsum = 0;
  tsval = 0;
  tsecr = 0;
  sawTstamp = false;
  ack = 0;
  window = 0;
  nextSeq = 0;
  ipTotLen = 0;
  pktCount = 0;
  mss = 0;
  /** For quirks.lossyMerge = false: the previous packet's IP ID, TTL and TOS. */
  ipId = 0;
  ttlTos = 0;
  constructor(readonly index: number) {}
  clear(): void {
    this.active = false;
    this.parent = null;
    this.last = null;
    this.pktCount = 0;
    this.sawTstamp = false;
    this.vlanKey = -1;
    this.vlanTag = -1;
  }
}

export class LroManager<P = unknown> {
  readonly stats: LroStats = newLroStats();
  readonly maxDesc: number;
  readonly maxAggr: number;
  readonly napi: boolean;
  readonly extractVlanId: boolean;
  readonly ipSummed: IpSummed;
  readonly ipSummedAggr: IpSummed;
  readonly fragAlignPad: number;
  readonly mtu: number;
  readonly quirks: Readonly<LroQuirks>;
  readonly queue: number;
  private readonly sink: RxSink;
  private readonly pool: SkbPool | null;
  private readonly tracer: Tracer;
  private readonly getSkbHeader: GetSkbHeader<P> | null;
  private readonly getFragHeader: GetFragHeader<P> | null;
  private readonly descs: LroDesc[];
  private readonly hdr = new LroHeader();
  private readonly pk = new Pkt();
  private readonly slab: HeaderSlab;
  /** Time stamp for trace events: the arrival time of the packet being processed. */
  private nowNs = 0;
  private frameId = -1;
  private readonly cpu: Cpu | null;

  constructor(config: LroConfig<P>) {
    const parsed = lroConfigSchema.safeParse(config);
    if (!parsed.success) throw configError('LroManager', parsed.error);
    const c = parsed.data;
    this.maxDesc = c.maxDesc;
    this.maxAggr = c.maxAggr;
    this.napi = c.features.napi;
    this.extractVlanId = c.features.extractVlanId;
    this.ipSummed = c.ipSummed as IpSummed;
    this.ipSummedAggr = c.ipSummedAggr as IpSummed;
    this.fragAlignPad = c.fragAlignPad;
    this.mtu = c.mtu;
    this.queue = c.queue;
    this.quirks = c.quirks;
    this.sink = config.sink;
    this.pool = config.skbPool ?? null;
    this.tracer = config.tracer ?? NO_TRACE;
    this.cpu = config.cpu ?? null;
    this.getSkbHeader = config.getSkbHeader ?? null;
    this.getFragHeader = config.getFragHeader ?? null;
    this.descs = Array.from({ length: c.maxDesc }, (_, i) => new LroDesc(i));
    this.slab = new HeaderSlab(256);
  }

  /** Sessions currently open. */
  get activeSessions(): number {
    let n = 0;
    for (const d of this.descs) if (d.active) n++;
    return n;
  }

  // ---------------------------------------------------------------- skb mode

  /** lro_receive_skb: absorb `skb` (data at the network header, after eth_type_trans) or deliver it at once. Returns true when absorbed. */
  receiveSkb(skb: SkBuff, priv: P): boolean {
    if (this.procSkb(skb, -1, priv)) return true;
    if (this.napi) this.sink.netifReceiveSkb(skb);
    else this.sink.netifRx(skb);
    return false;
  }

  /** lro_vlan_hwaccel_receive_skb: the same for a frame whose 802.1Q tag the NIC stripped (`vlanTag` = TCI). */
  vlanHwaccelReceiveSkb(skb: SkBuff, vlanTag: number, priv: P): boolean {
    if (this.procSkb(skb, vlanTag & 0xffff, priv)) return true;
    if (this.napi) this.sink.vlanHwaccelReceiveSkb(skb, vlanTag);
    else this.sink.vlanHwaccelRx(skb, vlanTag);
    return false;
  }

  private procSkb(skb: SkBuff, vlanTag: number, priv: P): boolean {
    this.nowNs = skb.arrivalNs;
    this.frameId = skb.frameId;
    if (this.cpu !== null) this.cpu.charge('lro_merge');
    const h = this.hdr;
    if (this.getSkbHeader === null || !this.getSkbHeader(skb, h, priv)) return this.bypass(skb, R_NOT_LRO, null);
    if ((h.flags & (LRO_IPV4 | LRO_TCP)) !== (LRO_IPV4 | LRO_TCP)) return this.bypass(skb, R_NOT_TCP, null);
    const b = h.buf,
      iph = h.iphOff,
      tcph = h.tcphOff;
    const pk = this.pk;
    pk.read(b, iph, tcph);
    const inband = skb.protocol === ETH_P_8021Q && !this.extractVlanId;
    const desc = this.getDesc(this.vlanKeyOf(vlanTag, inband ? r16(skb.buf, skb.data) : -1));
    if (desc === null) {
      this.stats.no_desc++;
      return this.bypass(skb, R_NO_DESC, null);
    }
    const vlanHdrLen = inband ? 4 : 0;

    if (!desc.active) {
      const r = this.check(skb.len - vlanHdrLen, null);
      if (r !== OK) return this.bypass(skb, r, null);
      this.sink.engineWatch?.lroAccept(skb);
      skb.ipSummed = this.ipSummedAggr;
      this.initDesc(desc, skb, b, iph, tcph, vlanTag);
      return this.opened(desc, 1);
    }

    if (pk.seq !== desc.nextSeq) return this.flushThenBypass(desc, skb, F_OUT_OF_ORDER, R_OUT_OF_ORDER);
    const r = this.check(this.quirks.inbandVlanLength ? skb.len : skb.len - vlanHdrLen, desc);
    if (r !== OK) return this.flushThenBypass(desc, skb, F_INELIGIBLE, r);
    if (!this.quirks.lossyMerge && this.headerChanged(desc)) {
      this.flush(desc, F_HEADER_CHANGED);
      return this.procSkb(skb, vlanTag, priv);
    }

    this.sink.engineWatch?.lroAccept(skb);
    const payload = this.appendCommon(desc);
    skb.pull(tcph + pk.doff - skb.data);
    const parent = desc.parent!;
    parent.truesize += skb.truesize;
    if (desc.last === null) parent.fragList = skb;
    else desc.last.next = skb;
    desc.last = skb;
    skb.next = null;
    return this.appended(desc, payload, pk.flags, parent.len, desc.pktCount);
  }

  // ---------------------------------------------------------------- frags mode

  /** lro_receive_frags: `frags` hold one frame (MAC header first) of `len` bytes; `sum` is the NIC's checksum for a bypassed frame. */
  receiveFrags(frags: LroFragList, len: number, trueSize: number, priv: P, sum: number): void {
    const skb = this.procFrags(frags, len, trueSize, priv, sum, -1);
    if (skb === null) return;
    if (this.napi) this.sink.netifReceiveSkb(skb);
    else this.sink.netifRx(skb);
  }

  /** lro_vlan_hwaccel_receive_frags. */
  vlanHwaccelReceiveFrags(
    frags: LroFragList,
    len: number,
    trueSize: number,
    vlanTag: number,
    priv: P,
    sum: number,
  ): void {
    const skb = this.procFrags(frags, len, trueSize, priv, sum, vlanTag & 0xffff);
    if (skb === null) return;
    if (this.napi) this.sink.vlanHwaccelReceiveSkb(skb, vlanTag);
    else this.sink.vlanHwaccelRx(skb, vlanTag);
  }

  private procFrags(
    frags: LroFragList,
    len: number,
    trueSize: number,
    priv: P,
    sum: number,
    vlanTag: number,
  ): SkBuff | null {
    this.nowNs = frags.arrivalNs;
    this.frameId = frags.frameId;
    if (this.cpu !== null) this.cpu.charge('lro_merge');
    const h = this.hdr;
    if (this.getFragHeader === null || !this.getFragHeader(frags, h, priv))
      return this.bypassFrags(frags, len, trueSize, LRO_MAX_PG_HLEN, sum, R_NOT_LRO, null);
    if ((h.flags & (LRO_IPV4 | LRO_TCP)) !== (LRO_IPV4 | LRO_TCP))
      return this.bypassFrags(frags, len, trueSize, LRO_MAX_PG_HLEN, sum, R_NOT_TCP, null);
    const b = h.buf,
      mac = h.macOff,
      iph = h.iphOff,
      tcph = h.tcphOff;
    const pk = this.pk;
    pk.read(b, iph, tcph);
    const hdrLen = tcph + pk.doff - mac;
    const macHdrLen = iph - mac;
    const inbandTci =
      macHdrLen >= 18 && r16(b, mac + 12) === ETH_P_8021Q && !this.extractVlanId ? r16(b, mac + 14) : -1;
    const desc = this.getDesc(this.vlanKeyOf(vlanTag, inbandTci));
    if (desc === null) {
      this.stats.no_desc++;
      return this.bypassFrags(frags, len, trueSize, hdrLen, sum, R_NO_DESC, null);
    }

    if (!desc.active) {
      const r = this.check(len - macHdrLen, null);
      if (r !== OK) return this.bypassFrags(frags, len, trueSize, hdrLen, sum, r, null);
      this.sink.engineWatch?.lroAcceptFrags(frags, len);
      const skb = this.genSkb(frags, len, trueSize, hdrLen, this.ipSummedAggr, 0);
      const vlanHdrLen = skb.protocol === ETH_P_8021Q && !this.extractVlanId ? 4 : 0;
      const niph = skb.data + vlanHdrLen;
      this.initDesc(
        desc,
        skb,
        skb.buf,
        niph,
        niph + ipv4HeaderLength(skb.buf, niph),
        this.quirks.fragsDropVlanTag ? -1 : vlanTag,
      );
      this.opened(desc, skb.nrFrags);
      return null;
    }

    if (pk.seq !== desc.nextSeq) {
      this.flush(desc, F_OUT_OF_ORDER);
      return this.bypassFrags(frags, len, trueSize, hdrLen, sum, R_OUT_OF_ORDER, desc);
    }
    const r = this.check(len - macHdrLen, desc);
    if (r !== OK) {
      this.flush(desc, F_INELIGIBLE);
      return this.bypassFrags(frags, len, trueSize, hdrLen, sum, r, desc);
    }
    const parent = desc.parent!;
    if ((!this.quirks.lossyMerge && this.headerChanged(desc)) || parent.nrFrags + frags.count > MAX_SKB_FRAGS) {
      this.flush(desc, parent.nrFrags + frags.count > MAX_SKB_FRAGS ? F_FRAGS_FULL : F_HEADER_CHANGED);
      return this.procFrags(frags, len, trueSize, priv, sum, vlanTag);
    }

    this.sink.engineWatch?.lroAcceptFrags(frags, len);
    const flags = pk.flags;
    let payload = this.appendCommon(desc);
    parent.truesize += trueSize;
    const f0 = frags.frags[0]!;
    f0.off += hdrLen;
    f0.size -= hdrLen;
    // copy fragment descriptors until the payload is covered (page references move to the parent)
    let k = 0;
    while (payload > 0) {
      const f = frags.frags[k++]!;
      const d = parent.frags[parent.nrFrags++]!;
      d.mem = f.mem;
      d.off = f.off;
      d.size = f.size;
      d.owner = f.owner;
      d.ownerAddr = f.ownerAddr;
      payload -= f.size;
    }
    for (; k < frags.count; k++) {
      const f = frags.frags[k]!;
      if (f.owner !== null) f.owner.release(f.mem, f.ownerAddr);
      this.stats.frags_released_unused++;
    }
    this.appended(desc, len - hdrLen, flags, parent.len, parent.nrFrags);
    return null;
  }

  /** lro_gen_skb: a pooled skb with a copy of the first `hlen` bytes and the frame's fragments attached. */
  private genSkb(
    frags: LroFragList,
    len: number,
    trueSize: number,
    hlen: number,
    ipSummed: IpSummed,
    csum: number,
  ): SkBuff {
    if (this.pool === null) throw new Error('LroManager: frags mode needs config.skbPool');
    const skb = this.pool.get();
    if (this.cpu !== null) this.cpu.charge('skb_alloc');
    const pad = this.fragAlignPad;
    const f0 = frags.frags[0]!;
    const copy = Math.min(len, hlen, f0.size, this.slab.slotSize - pad);
    const mem = this.slab.alloc();
    const slot = this.slab.lastOff;
    mem.set(f0.mem.subarray(f0.off, f0.off + copy), slot + pad);
    skb.setLinear(mem, slot + pad, copy, pad);
    skb.headOwner = this.slab;
    skb.headOwnerAddr = slot;
    for (let k = 0; k < frags.count; k++) {
      const f = frags.frags[k]!;
      skb.addFrag(f.mem, f.off, f.size, f.owner, f.ownerAddr);
    }
    const s0 = skb.frags[0]!;
    s0.off += copy;
    s0.size -= copy;
    skb.len = len;
    skb.dataLen = len - copy;
    skb.truesize = SKB_OVERHEAD + hlen + pad + trueSize;
    skb.ipSummed = ipSummed;
    skb.csum = csum;
    skb.arrivalNs = frags.arrivalNs;
    skb.frameId = frags.frameId;
    skb.queue = frags.queue;
    ethTypeTrans(skb);
    return skb;
  }

  private bypassFrags(
    frags: LroFragList,
    len: number,
    trueSize: number,
    hlen: number,
    sum: number,
    reason: number,
    _desc: LroDesc | null,
  ): SkBuff {
    const skb = this.genSkb(frags, len, trueSize, hlen, this.ipSummed, sum);
    this.countBypass(reason);
    return skb;
  }

  // ---------------------------------------------------------------- flushing

  /** lro_flush_all: deliver every open session, in descriptor order. */
  flushAll(): void {
    const d = this.descs;
    for (let i = 0; i < d.length; i++) if (d[i]!.active) this.flush(d[i]!, F_ALL);
  }

  /** lro_flush_pkt: deliver the session of the flow whose IP/TCP headers are at `iphOff`/`tcphOff` of `buf`, if open. */
  flushPkt(buf: Uint8Array, iphOff: number, tcphOff: number, vlanTag = -1): void {
    this.pk.readKey(buf, iphOff, tcphOff);
    const desc = this.getDesc(this.vlanKeyOf(vlanTag, -1));
    if (desc === null) {
      // Q4: the original dereferenced the NULL lookup result here
      this.stats.no_desc++;
      this.stats.flush_pkt_no_desc++;
      if (this.tracer.enabled)
        this.trace('flush_pkt_no_desc', 'flush_pkt found no descriptor (all busy with other flows): nothing to flush');
      return;
    }
    if (desc.active) this.flush(desc, F_PKT);
  }

  private flush(desc: LroDesc, reason: number): void {
    const parent = desc.parent!;
    const n = desc.pktCount;
    if (n > 1) this.updateHeaders(desc);
    if (this.quirks.gsoSizeOnly) parent.gsoSize = desc.mss;
    else if (n > 1) {
      parent.gsoSize = desc.mss;
      parent.gsoSegs = n;
      parent.gsoType = SKB_GSO_TCPV4;
    }
    parent.wireFrames = n;
    const tag = desc.vlanTag;
    const st = this.stats;
    st.flushed++;
    st[FLUSH_COUNTER[reason]!]++;
    if (this.tracer.enabled) {
      const r = LRO_FLUSH_REASONS[reason]!;
      let text = `flushed descriptor ${desc.index}: ${r.text}, ${n} packet${n === 1 ? '' : 's'}, ${parent.len} bytes`;
      if (reason === F_OUT_OF_ORDER)
        text = `flushed descriptor ${desc.index}: out of order, expected seq ${desc.nextSeq >>> 0}, got ${this.pk.seq >>> 0}; ${n} packet${n === 1 ? '' : 's'}, ${parent.len} bytes`;
      this.trace('flushed', text, r.name, desc);
    }
    desc.clear();
    if (tag >= 0) {
      if (this.napi) this.sink.vlanHwaccelReceiveSkb(parent, tag);
      else this.sink.vlanHwaccelRx(parent, tag);
    } else if (this.napi) this.sink.netifReceiveSkb(parent);
    else this.sink.netifRx(parent);
  }

  /** lro_update_tcp_ip_header: latest ack/window/TSecr, IP length and checksum, TCP checksum from the accumulated payload sum. */
  private updateHeaders(desc: LroDesc): void {
    const b = desc.hbuf,
      iph = desc.iph,
      tcph = desc.tcph;
    w32(b, tcph + TCP.ACK, desc.ack);
    w16(b, tcph + TCP.WINDOW, desc.window);
    if (desc.sawTstamp) w32(b, tcph + 28, desc.tsecr);
    w16(b, iph + IPV4.TOT_LEN, desc.ipTotLen);
    const ihl = ipv4HeaderLength(b, iph);
    w16(b, iph + IPV4.CSUM, 0);
    w16(b, iph + IPV4.CSUM, ~fold32(sum16(b, iph, ihl)) & 0xffff);
    const doff = tcpHeaderLength(b, tcph);
    w16(b, tcph + TCP.CSUM, 0);
    const s = sum16(b, iph + IPV4.SRC, 8) + 6 + (desc.ipTotLen - ihl) + sum16(b, tcph, doff) + desc.dataCsum;
    w16(b, tcph + TCP.CSUM, ~fold32(s) & 0xffff);
  }

  // ---------------------------------------------------------------- the common steps

  private vlanKeyOf(hwTag: number, inbandTci: number): number {
    if (this.quirks.flowKeyIgnoresVlan) return -1;
    if (hwTag >= 0) return hwTag & 0x0fff;
    return inbandTci >= 0 ? inbandTci & 0x0fff : -1;
  }

  /** lro_get_desc: the first active descriptor of this 4-tuple, else the first free one, else null. */
  private getDesc(vlanKey: number): LroDesc | null {
    const saddr = this.pk.saddr,
      daddr = this.pk.daddr,
      ports = this.pk.ports;
    const d = this.descs;
    let free: LroDesc | null = null;
    for (let i = 0; i < d.length; i++) {
      const x = d[i]!;
      if (x.active) {
        if (x.saddr === saddr && x.daddr === daddr && x.ports === ports && x.vlanKey === vlanKey) return x;
      } else if (free === null) free = x;
    }
    if (free !== null) {
      free.saddr = saddr;
      free.daddr = daddr;
      free.ports = ports;
      free.vlanKey = vlanKey;
    }
    return free;
  }

  /** lro_tcp_ip_check (§2.2) on the current packet: 0 when eligible, else the first failing rule. */
  private check(len: number, desc: LroDesc | null): number {
    const pk = this.pk;
    if (pk.totLen !== len) return R_LENGTH;
    if (pk.totLen - pk.ihl - pk.doff === 0) return R_NO_PAYLOAD;
    if (pk.ihl !== 20) return R_IP_OPTIONS;
    const flags = (pk.w12 >>> 16) & 0xff;
    if ((flags & TCP_FLAG.ACK) === 0 || (flags & DISALLOWED_FLAGS) !== 0) return R_TCP_FLAGS;
    if ((pk.tos & 3) === 3) return R_ECN_CE;
    if (pk.doff !== 20 && pk.doff !== 32) return R_TCP_OPTIONS;
    if (pk.doff === 32) {
      if (pk.opt0 !== TS_WORD) return R_TCP_OPTIONS;
      // after(desc.tsval, tsval): serial-number compare
      if (desc !== null && ((pk.tsval - desc.tsval) | 0) < 0) return R_TSVAL;
      if (pk.tsecr === 0) return R_TSECR;
    }
    return OK;
  }

  /** lro_init_desc (§2.3): values from the current packet, header offsets `iph`/`tcph` in `b` (the parent's buffer). */
  private initDesc(desc: LroDesc, skb: SkBuff, b: Uint8Array, iph: number, tcph: number, vlanTag: number): void {
    const pk = this.pk;
    const payload = pk.totLen - pk.ihl - pk.doff;
    desc.parent = skb;
    desc.last = null;
    desc.hbuf = b;
    desc.iph = iph;
    desc.tcph = tcph;
    desc.nextSeq = (pk.seq + payload) | 0;
    desc.ack = pk.ack;
    desc.window = pk.w12 & 0xffff;
    desc.pktCount = 1;
    desc.ipTotLen = pk.totLen;
    if (pk.doff === 32) {
      desc.sawTstamp = true;
      desc.tsval = pk.tsval;
      desc.tsecr = pk.tsecr;
    }
    desc.mss = payload;
    desc.vlanTag = vlanTag;
    desc.active = true;
    desc.dataCsum = pk.payloadCsum();
    desc.ipId = pk.ipId;
    desc.ttlTos = (pk.ttl << 8) | pk.tos;
  }

  private opened(desc: LroDesc, count: number): boolean {
    this.stats.aggregated++;
    this.stats.held++;
    if (this.tracer.enabled)
      this.trace(
        'held',
        `opened descriptor ${desc.index}, 1/${this.maxAggr} packets, ${desc.parent!.len} bytes`,
        undefined,
        desc,
      );
    // Q5 fixed: a session already at max_aggr is delivered at once
    if (!this.quirks.maxAggrAfterAppend && count >= this.maxAggr) this.flush(desc, F_MAX_AGGR);
    return true;
  }

  /** The part of lro_add_packet / lro_add_frags both modes share (§2.5); returns the payload length. */
  private appendCommon(desc: LroDesc): number {
    const pk = this.pk;
    const payload = pk.totLen - pk.ihl - pk.doff;
    const parent = desc.parent!;
    desc.pktCount++;
    desc.ipTotLen += payload;
    desc.nextSeq = (desc.nextSeq + payload) | 0;
    desc.window = pk.w12 & 0xffff;
    desc.ack = pk.ack;
    if (desc.sawTstamp) desc.tsecr = pk.tsecr;
    // csum_block_add at offset parent.len: a block at an odd offset adds byte-swapped
    const c = pk.payloadCsum();
    desc.dataCsum = fold32(desc.dataCsum + ((parent.len & 1) !== 0 ? ((c & 0xff) << 8) | (c >>> 8) : c));
    parent.len += payload;
    parent.dataLen += payload;
    if (payload > desc.mss) desc.mss = payload;
    desc.ipId = pk.ipId;
    desc.ttlTos = (pk.ttl << 8) | pk.tos;
    return payload;
  }

  /** After an append: count it, then flush when max_aggr (packets or fragments) or the 64 KiB margin is reached. */
  private appended(desc: LroDesc, payload: number, flags: number, parentLen: number, count: number): boolean {
    this.stats.aggregated++;
    this.stats.appended++;
    if (this.tracer.enabled)
      this.trace(
        'appended',
        `appended to descriptor ${desc.index}, ${desc.pktCount}/${this.maxAggr} packets, ${parentLen} bytes (+${payload})`,
        undefined,
        desc,
      );
    if (count >= this.maxAggr) this.flush(desc, F_MAX_AGGR);
    else if (parentLen > 65535 - this.mtu) this.flush(desc, F_64K);
    else if (!this.quirks.lossyMerge && (flags & TCP_FLAG.PSH) !== 0) this.flush(desc, F_PSH);
    return true;
  }

  /** quirks.lossyMerge = false: would merging lose a header difference the original discards (§2.10 Q7)? */
  private headerChanged(desc: LroDesc): boolean {
    const pk = this.pk;
    if (pk.ack !== desc.ack || (pk.w12 & 0xffff) !== desc.window) return true;
    if (((pk.ttl << 8) | pk.tos) !== desc.ttlTos) return true;
    if (pk.ipId !== ((desc.ipId + 1) & 0xffff) && pk.ipId !== desc.ipId) return true;
    if (desc.sawTstamp && (pk.tsval !== desc.tsval || pk.tsecr !== desc.tsecr)) return true;
    return false;
  }

  private flushThenBypass(desc: LroDesc, skb: SkBuff, flushReason: number, reason: number): boolean {
    this.flush(desc, flushReason);
    return this.bypass(skb, reason, desc);
  }

  private bypass(skb: SkBuff, reason: number, _desc: LroDesc | null): boolean {
    if (this.quirks.bypassSetsIpSummed) skb.ipSummed = this.ipSummed;
    this.countBypass(reason);
    return false;
  }

  private countBypass(reason: number): void {
    const st = this.stats;
    st.bypassed++;
    st[BYPASS_COUNTER[reason - 1]!]++;
    if (this.tracer.enabled) {
      const r = LRO_BYPASS_REASONS[reason - 1]!;
      this.trace('bypass', `bypassed: ${r.text}`, r.name);
    }
  }

  private trace(what: string, text: string, reason?: string, desc?: LroDesc): void {
    const e = {
      t: this.nowNs,
      layer: 'lro' as const,
      what,
      text,
      queue: this.queue,
      ...(reason !== undefined ? { reason } : {}),
      ...(this.frameId >= 0 ? { frame: this.frameId } : {}),
      ...(desc !== undefined ? { desc: desc.index, segs: desc.pktCount, bytes: desc.ipTotLen } : {}),
    };
    this.tracer.emit(e);
  }
}

/** Values for config.ipSummed / ipSummedAggr, re-exported for drivers. */
export { CHECKSUM_NONE, CHECKSUM_UNNECESSARY };
