// GroEngine: modern Linux GRO (6.18) for TCP over IPv4 and IPv6, under in-band 802.1Q/802.1ad tags
// (spec/gro.md, inet_lro.md §5). Held packets sit in a bucketed flow table (8 × 8); merging is
// lossless so GSO (stack/gso.ts) can recreate the segments. Input: an skb after eth_type_trans (data
// at the IP header, or at an in-band tag; macHeader set); a tag the NIC extracted is in skb.vlanTci.
// Held to this machine's kernel by test/gro-catalogue.test.ts.
import { fold32, sum16 } from '../wire/checksum.ts';
import { bytesEqual, r16, r32, w16 } from '../wire/bytes.ts';
import { ipv6ExtensionHeaderLength, tcpHeaderLength } from '../wire/fields.ts';
import { z } from 'zod';
import { IPV4, IPV6, IPPROTO, TCP, TCP_FLAG, isVlanTpid } from '../wire/index.ts';
import {
  CHECKSUM_COMPLETE,
  CHECKSUM_PARTIAL,
  CHECKSUM_UNNECESSARY,
  ETH_P_IP,
  ETH_P_IPV6,
  SKB_GSO_TCPV4,
  SKB_GSO_TCPV6,
  SKB_GSO_TCP_FIXEDID,
} from '../stack/skb.ts';
import {
  GRO_FLUSH_REASONS,
  GRO_NOT_ELIGIBLE_REASONS,
  GRO_PASS_REASONS,
  addZeroCounters,
  counterKeys,
  reasonTexts,
  type GroFlushReason,
  type GroNotEligibleReason,
  type GroPassReason,
  type ReasonCounters,
} from './reasons.ts';
import type { SkBuff } from '../stack/skb.ts';
import type { RxSink } from '../stack/rx-sink.ts';
import { NO_TRACE } from '../observe/trace.ts';
import type { Tracer } from '../observe/trace.ts';
import type { Cpu } from '../sim/cost.ts';
import { configError } from './inet-lro.ts';

export const GRO_HASH_BUCKETS = 8;
export const MAX_GRO_SKBS = 8;
/** The 64 KB an IP length field can say; a GRO packet past it is BIG TCP (IPv4 tot_len 0, IPv6 payload length 0). */
export const GRO_LEGACY_MAX_SIZE = 65536;
/** The largest gro_max_size / gro_ipv4_max_size `ip link` accepts (GRO_MAX_SIZE, 8 × 65535). */
export const GRO_MAX_SIZE = 8 * 65535;
/** The largest value an IP length field holds (IP_MAX_MTU, IPV6_MAXPLEN): past it the field is written as 0. */
const IP_LENGTH_FIELD_MAX = 65535;

/** One counter per reason of lro/reasons.ts's GRO lists: `not_eligible_<name>`, `pass_<name>`, `flush_<name>`. */
export type GroReasonCounters = ReasonCounters<typeof GRO_NOT_ELIGIBLE_REASONS, 'not_eligible_'> &
  ReasonCounters<typeof GRO_PASS_REASONS, 'pass_'> &
  ReasonCounters<typeof GRO_FLUSH_REASONS, 'flush_'>;

export interface GroStats extends GroReasonCounters {
  received: number;
  /** Segments appended to a held packet. */
  merged: number;
  /** Segments that started a held packet. */
  held: number;
  /** Segments passed up on their own (= sum of pass_* and not_eligible_*). */
  passed: number;
  /** Held packets delivered (= sum of flush_*). */
  flushed: number;
  /** Held packets flushed because their bucket was full (also counted in flush_evict). */
  evicted: number;
  csum_trusted: number;
  csum_complete: number;
  csum_software: number;
}

export function newGroStats(): GroStats {
  const st = { received: 0, merged: 0, held: 0, passed: 0, flushed: 0, evicted: 0 };
  const passing = addZeroCounters(
    addZeroCounters(st, GRO_NOT_ELIGIBLE_REASONS, 'not_eligible_'),
    GRO_PASS_REASONS,
    'pass_',
  );
  const csum = Object.assign(passing, { csum_trusted: 0, csum_complete: 0, csum_software: 0 });
  // a copy with fast properties (counters added by computed name leave the object a dictionary: a hash lookup per increment)
  return { ...addZeroCounters(csum, GRO_FLUSH_REASONS, 'flush_') };
}

export function sumGroStats(all: readonly GroStats[]): GroStats {
  const t = newGroStats();
  for (const s of all) for (const k of Object.keys(t) as (keyof GroStats)[]) t[k] += s[k];
  return t;
}

type FlushReason = GroFlushReason;
type NotEligible = GroNotEligibleReason;
const FLUSH_KEY = counterKeys(GRO_FLUSH_REASONS, 'flush_');
const FLUSH_TEXT = reasonTexts(GRO_FLUSH_REASONS);
const NOT_ELIGIBLE_KEY = counterKeys(GRO_NOT_ELIGIBLE_REASONS, 'not_eligible_');
const NOT_ELIGIBLE_TEXT = reasonTexts(GRO_NOT_ELIGIBLE_REASONS);
const PASS_TEXT = reasonTexts(GRO_PASS_REASONS);

export const groConfigSchema = z
  .object({
    cpu: z
      .custom<Cpu>((v) => typeof v === 'object' && v !== null && typeof (v as Cpu).charge === 'function', {
        message: 'cpu must be a Cpu (sim/cost.ts)',
      })
      .optional(),
    sink: z.custom<RxSink>(
      (v) => typeof v === 'object' && v !== null && typeof (v as RxSink).netifReceiveSkb === 'function',
      { message: 'sink must be an RxSink' },
    ),
    tracer: z
      .custom<Tracer>((v) => typeof v === 'object' && v !== null && typeof (v as Tracer).emit === 'function', {
        message: 'tracer must be a Tracer',
      })
      .optional(),
    queue: z.number().int().min(0).default(0),
    /** dev->gro_max_size (IPv6): the held packet's length (from its in-band tag or IP header) + the new payload must stay below it; above 64 KB is BIG TCP. */
    maxSize: z.number().int().min(0).max(GRO_MAX_SIZE).default(GRO_LEGACY_MAX_SIZE),
    /** dev->gro_ipv4_max_size: the same limit for IPv4 (Linux 6.3 on). */
    ipv4MaxSize: z.number().int().min(0).max(GRO_MAX_SIZE).default(GRO_LEGACY_MAX_SIZE),
  })
  .strict();

/** `cpu`: the core GRO's work is charged to — a `gro_merge` per packet, `csum_byte` per byte it checksums in software. */
export interface GroConfig {
  sink: RxSink;
  tracer?: Tracer;
  queue?: number;
  maxSize?: number;
  ipv4MaxSize?: number;
  cpu?: Cpu;
}

const END_FLAGS = TCP_FLAG.PSH | TCP_FLAG.FIN | TCP_FLAG.URG | TCP_FLAG.RST | TCP_FLAG.SYN;
/** Bits of the doff/flags/window word that may differ: CWR, FIN, PSH (in the flags byte). */
const WORD_MASK = ~((TCP_FLAG.CWR | TCP_FLAG.FIN | TCP_FLAG.PSH) << 16) >>> 0;

class GroFlow {
  parent: SkBuff | null = null;
  last: SkBuff | null = null;
  bucket = 0;
  b: Uint8Array = new Uint8Array(0);
  mac = -1;
  iph = 0;
  tcph = 0;
  doff = 0;
  /** 4 or 6. */
  family = 4;
  /** Bytes of in-band tags between the MAC header and the IP header (compared whole, counted in the length limit). */
  tags = 0;
  // big-endian words as int32 (`| 0`): a small integer V8 keeps in the field itself (a u32 past 2^31 would be a boxed double)
  saddr = 0;
  daddr = 0;
  ports = 0;
  nextSeq = 0;
  gsoSize = 0;
  count = 0;
  /** The held packet's IP length (IPv4 total length; IPv6 40 + payload length). */
  ipTotLen = 0;
  firstId = 0;
  /** -1 undecided (one segment), 0 IP ID increments, 1 fixed. */
  idMode = -1;
  /** Insertion order, for "oldest" (eviction, flush order). */
  age = 0;
  arrivalNs = 0;
}

export class GroEngine {
  readonly stats: GroStats = newGroStats();
  readonly queue: number;
  readonly maxSize: number;
  readonly ipv4MaxSize: number;
  private readonly sink: RxSink;
  private readonly tracer: Tracer;
  private readonly table: GroFlow[][];
  private readonly counts: number[];
  private readonly spare: GroFlow[] = [];
  private ageCounter = 0;
  private nowNs = 0;
  /** Wire frame index of the packet being received, for traces (-1: unknown). */
  private frameId = -1;

  private readonly cpu: Cpu | null;

  constructor(config: GroConfig) {
    const parsed = groConfigSchema.safeParse(config);
    if (!parsed.success) throw configError('GroEngine', parsed.error);
    this.sink = config.sink;
    this.tracer = config.tracer ?? NO_TRACE;
    this.cpu = config.cpu ?? null;
    this.queue = parsed.data.queue;
    this.maxSize = parsed.data.maxSize;
    this.ipv4MaxSize = parsed.data.ipv4MaxSize;
    this.table = Array.from({ length: GRO_HASH_BUCKETS }, () => new Array<GroFlow>(MAX_GRO_SKBS));
    this.counts = new Array<number>(GRO_HASH_BUCKETS).fill(0);
    for (let i = 0; i < GRO_HASH_BUCKETS * MAX_GRO_SKBS; i++) this.spare.push(new GroFlow());
  }

  /** Packets currently held. */
  get heldPackets(): number {
    let n = 0;
    for (const c of this.counts) n += c;
    return n;
  }

  /** napi_gro_receive: in-band tags (vlan_gro_receive), then inet_gro_receive or ipv6_gro_receive, then tcp_gro_receive. */
  groReceive(skb: SkBuff): void {
    const st = this.stats;
    st.received++;
    this.nowNs = skb.arrivalNs;
    this.frameId = skb.frameId;
    if (this.cpu !== null) this.cpu.charge('gro_merge');
    const b = skb.buf;
    // vlan_gro_receive: the tag is pulled and the inner protocol's gro_receive runs; the tag stack
    // is part of the flow's identity (lookup compares the MAC header through the tags)
    let iph = skb.data,
      proto = skb.protocol;
    const end = skb.data + skb.headLen;
    while (isVlanTpid(proto)) {
      if (iph + 4 > end) return this.notEligible(skb, 'vlan');
      proto = r16(b, iph + 2);
      iph += 4;
    }
    const tags = iph - skb.data;
    if (proto === ETH_P_IP) return this.receive4(skb, b, iph, tags, end);
    if (proto === ETH_P_IPV6) return this.receive6(skb, b, iph, tags, end);
    return this.notEligible(skb, 'not_ip');
  }

  /** inet_gro_receive + tcp4_gro_receive. */
  private receive4(skb: SkBuff, b: Uint8Array, iph: number, tags: number, end: number): void {
    if (iph + 20 > end) return this.notEligible(skb, 'ihl');
    if (b[iph] !== 0x45) return this.notEligible(skb, 'ihl');
    if ((r16(b, iph + IPV4.FRAG) & 0x3fff) !== 0) return this.notEligible(skb, 'fragment');
    const totLen = r16(b, iph + IPV4.TOT_LEN);
    if (b[iph + IPV4.PROTO] !== IPPROTO.TCP) return this.notEligible(skb, 'not_tcp');
    const tcph = iph + 20;
    const doff = tcpHeaderLength(b, tcph);
    if (doff < 20 || 20 + doff > totLen || end < tcph + doff) return this.notEligible(skb, 'bad_doff');

    const saddr = r32(b, iph + IPV4.SRC) | 0,
      daddr = r32(b, iph + IPV4.DST) | 0,
      ports = r32(b, tcph + TCP.SPORT) | 0;
    const bucket = groBucket(saddr, daddr, ports);
    const p = this.lookup(skb, bucket, 4, saddr, daddr, ports, iph, 20);
    if (totLen !== skb.len - tags) return this.lengthMismatch(skb, p);
    if (fold32(sum16(b, iph, 20)) !== 0xffff) return this.notEligible(skb, 'bad_csum');
    if (!this.tcpChecksumOk(skb, b, iph + IPV4.SRC, 8, tcph, totLen - 20, 20 + tags))
      return this.notEligible(skb, 'bad_csum');
    this.receiveTcp(skb, p, bucket, b, 4, iph, 20, tcph, doff, saddr, daddr, ports, totLen, tags);
  }

  /** ipv6_gro_receive + tcp6_gro_receive: hop-by-hop, routing and destination options headers are skipped (and must match byte for byte); anything else before TCP, a fragment header included, is not merged. */
  private receive6(skb: SkBuff, b: Uint8Array, iph: number, tags: number, end: number): void {
    if (iph + IPV6.HLEN > end) return this.notEligible(skb, 'ihl');
    const ipLen = IPV6.HLEN + r16(b, iph + IPV6.PAYLOAD_LEN);
    const frameIpLen = skb.len - tags;
    // a padded frame is parsed as far as its own length says; a truncated one not at all
    if (ipLen > frameIpLen) return this.notEligible(skb, 'length');
    let next = b[iph + IPV6.NEXT_HDR]!,
      nlen = IPV6.HLEN;
    while (next === IPPROTO.HOPOPTS || next === IPPROTO.ROUTING || next === IPPROTO.DSTOPTS) {
      if (iph + nlen + 8 > end) return this.notEligible(skb, 'ihl');
      const size = ipv6ExtensionHeaderLength(b, iph + nlen);
      next = b[iph + nlen]!;
      nlen += size;
      if (nlen > ipLen || iph + nlen > end) return this.notEligible(skb, 'ihl');
    }
    if (next === IPPROTO.FRAGMENT) return this.notEligible(skb, 'fragment');
    if (next !== IPPROTO.TCP) return this.notEligible(skb, 'not_tcp');
    const tcph = iph + nlen;
    const doff = tcpHeaderLength(b, tcph);
    if (doff < 20 || nlen + doff > ipLen || end < tcph + doff) return this.notEligible(skb, 'bad_doff');
    // the flow key folds each address to 32 bits; lookup compares the whole header
    const saddr = addressKey(b, iph + IPV6.SRC),
      daddr = addressKey(b, iph + IPV6.DST),
      ports = r32(b, tcph + TCP.SPORT) | 0;
    const bucket = groBucket(saddr, daddr, ports);
    const p = this.lookup(skb, bucket, 6, saddr, daddr, ports, iph, nlen);
    if (ipLen !== frameIpLen) return this.lengthMismatch(skb, p);
    if (!this.tcpChecksumOk(skb, b, iph + IPV6.SRC, 32, tcph, ipLen - nlen, nlen + tags))
      return this.notEligible(skb, 'bad_csum');
    this.receiveTcp(skb, p, bucket, b, 6, iph, nlen, tcph, doff, saddr, daddr, ports, ipLen, tags);
  }

  /** tcp_gro_receive, once the network layer found the flow's held packet `p` (or none). */
  private receiveTcp(
    skb: SkBuff,
    p: GroFlow | null,
    bucket: number,
    b: Uint8Array,
    family: number,
    iph: number,
    nlen: number,
    tcph: number,
    doff: number,
    saddr: number,
    daddr: number,
    ports: number,
    ipLen: number,
    tags: number,
  ): void {
    const payload = ipLen - nlen - doff;
    const flags = b[tcph + TCP.FLAGS]!;
    if (p !== null) {
      const why = this.cannotMerge(p, b, iph, tcph, doff, payload, flags);
      if (why === null) {
        this.merge(p, skb, tcph + doff, payload, flags);
        return;
      }
      this.complete(p, why);
    }
    // start a new held packet, or pass up alone
    if (payload === 0) return this.pass(skb, 'pass_no_payload');
    if ((flags & TCP_FLAG.CWR) !== 0) return this.pass(skb, 'pass_cwr');
    if ((flags & END_FLAGS) !== 0) return this.pass(skb, 'pass_flags');
    this.hold(skb, bucket, b, family, iph, nlen, tcph, doff, saddr, daddr, ports, payload, ipLen, tags);
  }

  /** napi_gro_flush: deliver held packets, bucket by bucket, oldest first; with `olderThanNs` only those that arrived before it. */
  flush(olderThanNs?: number): void {
    const a = olderThanNs;
    for (let bkt = 0; bkt < GRO_HASH_BUCKETS; bkt++) {
      for (;;) {
        const p = this.oldest(bkt, a);
        if (p === null) break;
        this.complete(p, a === undefined ? 'napi' : 'old');
      }
    }
  }

  private oldest(bkt: number, olderThanNs: number | undefined): GroFlow | null {
    const list = this.table[bkt]!,
      n = this.counts[bkt]!;
    let best: GroFlow | null = null;
    for (let i = 0; i < n; i++) {
      const f = list[i]!;
      if (olderThanNs !== undefined && f.arrivalNs >= olderThanNs) continue;
      if (best === null || f.age < best.age) best = f;
    }
    return best;
  }

  /**
   * The held packet of the same flow: same addresses and ports, same NIC-extracted tag, same MAC
   * header through the in-band tags (gro_list_prepare, vlan_gro_receive); for IPv6 also the same flow
   * label, next header and extension headers (ipv6_gro_receive).
   */
  private lookup(
    skb: SkBuff,
    bucket: number,
    family: number,
    saddr: number,
    daddr: number,
    ports: number,
    iph: number,
    nlen: number,
  ): GroFlow | null {
    const list = this.table[bucket]!,
      n = this.counts[bucket]!;
    const b = skb.buf;
    const tags = iph - skb.data;
    for (let i = 0; i < n; i++) {
      const f = list[i]!;
      if (f.saddr !== saddr || f.daddr !== daddr || f.ports !== ports || f.family !== family || f.tags !== tags)
        continue;
      const q = f.parent!;
      if (q.vlanPresent !== skb.vlanPresent || (skb.vlanPresent && q.vlanTci !== skb.vlanTci)) continue;
      if (f.mac >= 0 && skb.macHeader >= 0 && !bytesEqual(f.b, f.mac, b, skb.macHeader, 14 + tags)) continue;
      if (family === 6) {
        // version and flow label must match (traffic class and hop limit flush instead), then addresses and extension headers
        if (((r32(f.b, f.iph) ^ r32(b, iph)) & 0xf00fffff) !== 0) continue;
        if (
          f.b[f.iph + IPV6.NEXT_HDR] !== b[iph + IPV6.NEXT_HDR] ||
          !bytesEqual(f.b, f.iph + IPV6.SRC, b, iph + IPV6.SRC, 32)
        )
          continue;
        if (f.tcph - f.iph !== nlen || !bytesEqual(f.b, f.iph + IPV6.HLEN, b, iph + IPV6.HLEN, nlen - IPV6.HLEN))
          continue;
      }
      return f;
    }
    return null;
  }

  private csAcc = 0;
  private csPos = 0;
  /** forEachChunk visitor for the software checksum: a chunk at an odd stream position adds its sum byte-swapped. */
  private readonly csChunk = (mem: Uint8Array, start: number, n: number): void => {
    const c = fold32(sum16(mem, start, n));
    this.csAcc = fold32(this.csAcc + ((this.csPos & 1) !== 0 ? ((c & 0xff) << 8) | (c >>> 8) : c));
    this.csPos += n;
  };

  /**
   * The TCP checksum over `tcpLen` bytes from `tcph`, with the pseudo-header whose addresses are the `addrLen`
   * bytes at `addrOff` (summed only when the checksum is not already trusted); `l4Start` is where TCP starts
   * counted from skb.data (for the software sum).
   */
  private tcpChecksumOk(
    skb: SkBuff,
    b: Uint8Array,
    addrOff: number,
    addrLen: number,
    tcph: number,
    tcpLen: number,
    l4Start: number,
  ): boolean {
    const st = this.stats;
    if (skb.ipSummed === CHECKSUM_UNNECESSARY) {
      st.csum_trusted++;
      return true;
    }
    const ps = sum16(b, addrOff, addrLen) + IPPROTO.TCP + tcpLen;
    let ok: boolean;
    if (skb.ipSummed === CHECKSUM_COMPLETE) {
      // skb.csum: folded sum of everything from skb.data on; take the bytes before TCP back out
      st.csum_complete++;
      ok = fold32(skb.csum + (~fold32(sum16(b, skb.data, tcph - skb.data)) & 0xffff) + ps) === 0xffff;
    } else {
      st.csum_software++;
      if (this.cpu !== null) this.cpu.charge('csum_byte', tcpLen);
      this.csAcc = ps;
      this.csPos = 0;
      skb.forEachChunk(l4Start, tcpLen, this.csChunk);
      ok = fold32(this.csAcc) === 0xffff;
    }
    if (ok) skb.ipSummed = CHECKSUM_UNNECESSARY;
    return ok;
  }

  /** Why `skb` may not join `p`, or null (spec/gro.md "When an arriving segment may join"). */
  private cannotMerge(
    p: GroFlow,
    b: Uint8Array,
    iph: number,
    tcph: number,
    doff: number,
    payload: number,
    flags: number,
  ): FlushReason | null {
    const pb = p.b,
      piph = p.iph,
      ptcph = p.tcph;
    if (p.family === 4) {
      // inet_gro_flush: TTL, TOS (ECN included) and DF must match
      if (
        pb[piph + IPV4.TTL] !== b[iph + IPV4.TTL] ||
        pb[piph + IPV4.TOS] !== b[iph + IPV4.TOS] ||
        (pb[piph + IPV4.FRAG]! & 0x40) !== (b[iph + IPV4.FRAG]! & 0x40)
      )
        return 'ip_header';
      // the second segment decides: the same ID as the first makes the flow fixed-ID, with or without
      // DF (Linux 6.18); otherwise every ID must be the first one's plus the segment's place
      const id = r16(b, iph + IPV4.ID);
      const offset = (id - p.firstId) & 0xffff;
      const fixed = p.idMode === 1 || (p.idMode === -1 && offset === 0);
      if (offset !== (fixed ? 0 : p.count & 0xffff)) return 'ip_id';
    } else if (
      ((r32(pb, piph) ^ r32(b, iph)) & 0x0ff00000) !== 0 ||
      pb[piph + IPV6.HOP_LIMIT] !== b[iph + IPV6.HOP_LIMIT]
    ) {
      return 'ip_header'; // ipv6_gro_flush: traffic class and hop limit must match
    }
    if ((flags & TCP_FLAG.CWR) !== 0) return 'cwr';
    if (((r32(pb, ptcph + TCP.DOFF) ^ r32(b, tcph + TCP.DOFF)) & WORD_MASK) !== 0) return 'tcp_word';
    if (r32(pb, ptcph + TCP.ACK) !== r32(b, tcph + TCP.ACK)) return 'ack';
    if (!bytesEqual(pb, ptcph + 20, b, tcph + 20, doff - 20)) return 'options';
    if (payload === 0) return 'no_payload';
    if (payload > p.gsoSize) return 'larger';
    if ((r32(b, tcph + TCP.SEQ) | 0) !== p.nextSeq) return 'seq';
    // skb_gro_receive: the held skb's length counts from its data, so an in-band tag counts too; the
    // device's limit for the family (gro_ipv4_max_size or gro_max_size) may pass 64 KB (BIG TCP)
    if (p.tags + p.ipTotLen + payload >= (p.family === 4 ? this.ipv4MaxSize : this.maxSize)) return 'max_size';
    return null;
  }

  private merge(p: GroFlow, skb: SkBuff, payloadOff: number, payload: number, flags: number): void {
    const parent = p.parent!;
    if (p.idMode === -1 && p.family === 4)
      p.idMode = r16(skb.buf, payloadOff - p.doff - 20 + IPV4.ID) === p.firstId ? 1 : 0;
    skb.pull(payloadOff - skb.data);
    if (p.last === null) parent.fragList = skb;
    else p.last.next = skb;
    p.last = skb;
    skb.next = null;
    parent.len += payload;
    parent.dataLen += payload;
    parent.truesize += skb.truesize;
    p.count++;
    p.ipTotLen += payload;
    p.nextSeq = (p.nextSeq + payload) | 0;
    p.b[p.tcph + TCP.FLAGS] = p.b[p.tcph + TCP.FLAGS]! | (flags & (TCP_FLAG.PSH | TCP_FLAG.FIN));
    this.stats.merged++;
    if (this.tracer.enabled)
      this.trace('merged', `merged into held packet, ${p.count} segments, ${parent.len} bytes`, undefined, p);
    if ((flags & TCP_FLAG.FIN) !== 0) this.complete(p, 'fin');
    else if ((flags & TCP_FLAG.PSH) !== 0) this.complete(p, 'psh');
    else if (payload < p.gsoSize) this.complete(p, 'short');
  }

  private hold(
    skb: SkBuff,
    bucket: number,
    b: Uint8Array,
    family: number,
    iph: number,
    nlen: number,
    tcph: number,
    doff: number,
    saddr: number,
    daddr: number,
    ports: number,
    payload: number,
    ipLen: number,
    tags: number,
  ): void {
    if (this.counts[bucket]! >= MAX_GRO_SKBS) {
      this.stats.evicted++;
      this.complete(this.oldest(bucket, undefined)!, 'evict');
    }
    const f = this.spare.pop()!;
    f.parent = skb;
    f.last = null;
    f.bucket = bucket;
    f.b = b;
    f.mac = skb.macHeader;
    f.iph = iph;
    f.tcph = tcph;
    f.doff = doff;
    f.family = family;
    f.tags = tags;
    f.saddr = saddr;
    f.daddr = daddr;
    f.ports = ports;
    f.nextSeq = (r32(b, tcph + TCP.SEQ) + payload) | 0;
    f.gsoSize = payload;
    f.count = 1;
    f.ipTotLen = ipLen;
    f.firstId = family === 4 ? r16(b, iph + IPV4.ID) : 0;
    f.idMode = -1;
    f.age = this.ageCounter++;
    f.arrivalNs = skb.arrivalNs;
    this.table[bucket]![this.counts[bucket]!++] = f;
    this.stats.held++;
    if (this.tracer.enabled)
      this.trace(
        'held',
        `held as a new packet in bucket ${bucket}, ${payload} bytes${nlen > 20 && family === 6 ? `, ${nlen - IPV6.HLEN} bytes of extension headers` : ''}`,
        undefined,
        f,
      );
  }

  /** napi_gro_complete: finish the GSO packet (or pass a single segment unchanged) and deliver it. */
  private complete(p: GroFlow, reason: FlushReason): void {
    const list = this.table[p.bucket]!;
    const n = --this.counts[p.bucket]!;
    const i = list.indexOf(p);
    list[i] = list[n]!;
    const parent = p.parent!;
    if (p.count > 1) {
      const b = p.b,
        iph = p.iph,
        nlen = p.tcph - iph;
      if (p.family === 4) {
        // iph_set_totlen: a packet past 64 KB (BIG TCP) says 0; its length is the skb's
        w16(b, iph + IPV4.TOT_LEN, p.ipTotLen > IP_LENGTH_FIELD_MAX ? 0 : p.ipTotLen);
        w16(b, iph + IPV4.CSUM, 0);
        w16(b, iph + IPV4.CSUM, ~fold32(sum16(b, iph, 20)) & 0xffff);
        // CHECKSUM_PARTIAL: the field holds the (uncomplemented) pseudo-header sum
        w16(b, p.tcph + TCP.CSUM, fold32(sum16(b, iph + IPV4.SRC, 8) + IPPROTO.TCP + (p.ipTotLen - nlen)));
        parent.gsoType = SKB_GSO_TCPV4 | (p.idMode === 1 ? SKB_GSO_TCP_FIXEDID : 0);
      } else {
        // past 64 KB (BIG TCP) the payload length says 0, with no hop-by-hop jumbo option
        const plen = p.ipTotLen - IPV6.HLEN;
        w16(b, iph + IPV6.PAYLOAD_LEN, plen > IP_LENGTH_FIELD_MAX ? 0 : plen);
        w16(b, p.tcph + TCP.CSUM, fold32(sum16(b, iph + IPV6.SRC, 32) + IPPROTO.TCP + (p.ipTotLen - nlen)));
        parent.gsoType = SKB_GSO_TCPV6;
      }
      parent.ipSummed = CHECKSUM_PARTIAL;
      parent.gsoSize = p.gsoSize;
      parent.gsoSegs = p.count;
    }
    parent.wireFrames = p.count;
    const st = this.stats;
    st.flushed++;
    st[FLUSH_KEY[reason]]++;
    if (this.tracer.enabled)
      this.trace(
        'flushed',
        `flushed (${FLUSH_TEXT[reason]}): ${p.count} segment${p.count === 1 ? '' : 's'}, ${parent.len} bytes`,
        reason,
        p,
      );
    p.parent = null;
    p.last = null;
    this.spare.push(p);
    this.deliver(parent);
  }

  /** A frame longer than its IP packet (padding): it goes up alone, and flushes its flow's held packet first (as Linux 6.18 does: the flush mark reaches the flow). */
  private lengthMismatch(skb: SkBuff, p: GroFlow | null): void {
    if (p !== null) this.complete(p, 'padded');
    this.notEligible(skb, 'length');
  }

  /** The segment goes up alone; a held packet of its flow stays held (the kernel returns no packet to flush: IP options, fragments and bad checksums overtake it). */
  private notEligible(skb: SkBuff, why: NotEligible): void {
    this.stats[NOT_ELIGIBLE_KEY[why]]++;
    this.stats.passed++;
    if (this.tracer.enabled) this.trace('pass', `passed up alone: not eligible (${NOT_ELIGIBLE_TEXT[why]})`, why);
    this.deliver(skb);
  }

  private pass(skb: SkBuff, why: `pass_${GroPassReason}`): void {
    this.stats[why]++;
    this.stats.passed++;
    if (this.tracer.enabled) this.trace('pass', `passed up alone (${PASS_TEXT[why.slice(5) as GroPassReason]})`, why);
    this.deliver(skb);
  }

  private deliver(skb: SkBuff): void {
    if (skb.vlanPresent) this.sink.vlanHwaccelReceiveSkb(skb, skb.vlanTci);
    else this.sink.netifReceiveSkb(skb);
  }

  /** `held` names the packet a held/merged/flushed event is about (its age is its identity in the trace). */
  private trace(what: string, text: string, reason?: string, held?: GroFlow): void {
    this.tracer.emit({
      t: this.nowNs,
      layer: 'gro',
      what,
      text,
      queue: this.queue,
      ...(reason !== undefined ? { reason } : {}),
      ...(this.frameId >= 0 ? { frame: this.frameId } : {}),
      ...(held !== undefined ? { desc: held.age, segs: held.count, bytes: held.ipTotLen } : {}),
    });
  }
}

/** An IPv6 address folded to 32 bits (its four words XORed, as int32), for the flow key and bucket. */
function addressKey(b: Uint8Array, o: number): number {
  return r32(b, o) ^ r32(b, o + 4) ^ r32(b, o + 8) ^ r32(b, o + 12);
}

/** The flow-table bucket of a 4-tuple (a stand-in for skb_get_hash_raw & (GRO_HASH_BUCKETS - 1)). */
export function groBucket(saddr: number, daddr: number, ports: number): number {
  return (Math.imul(saddr ^ daddr ^ ports ^ (ports >>> 16), 0x9e3779b1) >>> 29) & (GRO_HASH_BUCKETS - 1);
}
