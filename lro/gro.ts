// GroEngine: modern Linux GRO for IPv4/TCP (spec/gro.md, inet_lro.md §5). Held packets sit in a
// bucketed flow table (8 × 8); merging is lossless so GSO (stack/gso.ts) can recreate the segments.
// Input: an skb after eth_type_trans (data at the IPv4 header, macHeader set); a VLAN tag, if any, hw-extracted.
import { fold32, sum16 } from '../wire/checksum.ts';
import { r16, r32, w16 } from '../wire/bytes.ts';
import { z } from 'zod';
import { IPV4, TCP, TCP_FLAG } from '../wire/index.ts';
import {
  CHECKSUM_COMPLETE, CHECKSUM_PARTIAL, CHECKSUM_UNNECESSARY, ETH_P_IP, SKB_GSO_TCPV4, SKB_GSO_TCP_FIXEDID,
} from '../stack/skb.ts';
import type { SkBuff } from '../stack/skb.ts';
import type { RxSink } from '../stack/rx-sink.ts';
import { NO_TRACE } from '../sim/trace.ts';
import type { Tracer } from '../sim/trace.ts';
import type { Cpu } from '../sim/cost.ts';
import { configError } from './inet-lro.ts';

export const GRO_HASH_BUCKETS = 8;
export const MAX_GRO_SKBS = 8;

export interface GroStats {
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
  not_eligible_not_ipv4: number;
  not_eligible_ihl: number;
  not_eligible_fragment: number;
  not_eligible_length: number;
  not_eligible_not_tcp: number;
  not_eligible_bad_doff: number;
  not_eligible_bad_csum: number;
  pass_no_payload: number;
  pass_flags: number;
  pass_cwr: number;
  csum_trusted: number;
  csum_complete: number;
  csum_software: number;
  flush_napi: number;
  flush_old: number;
  flush_evict: number;
  flush_psh: number;
  flush_fin: number;
  flush_short: number;
  flush_64k: number;
  flush_seq: number;
  flush_ack: number;
  flush_tcp_word: number;
  flush_options: number;
  flush_ip_header: number;
  flush_ip_id: number;
  flush_larger: number;
  flush_cwr: number;
  flush_no_payload: number;
  flush_flags: number;
  flush_not_eligible: number;
}

export function newGroStats(): GroStats {
  return {
    received: 0, merged: 0, held: 0, passed: 0, flushed: 0, evicted: 0,
    not_eligible_not_ipv4: 0, not_eligible_ihl: 0, not_eligible_fragment: 0, not_eligible_length: 0, not_eligible_not_tcp: 0,
    not_eligible_bad_doff: 0, not_eligible_bad_csum: 0, pass_no_payload: 0, pass_flags: 0, pass_cwr: 0,
    csum_trusted: 0, csum_complete: 0, csum_software: 0,
    flush_napi: 0, flush_old: 0, flush_evict: 0, flush_psh: 0, flush_fin: 0, flush_short: 0, flush_64k: 0, flush_seq: 0,
    flush_ack: 0, flush_tcp_word: 0, flush_options: 0, flush_ip_header: 0, flush_ip_id: 0, flush_larger: 0, flush_cwr: 0,
    flush_no_payload: 0, flush_flags: 0, flush_not_eligible: 0,
  };
}

export function sumGroStats(all: readonly GroStats[]): GroStats {
  const t = newGroStats();
  for (const s of all) for (const k of Object.keys(t) as (keyof GroStats)[]) t[k] += s[k];
  return t;
}

type FlushReason = 'napi' | 'old' | 'evict' | 'psh' | 'fin' | 'short' | '64k' | 'seq' | 'ack' | 'tcp_word' | 'options'
  | 'ip_header' | 'ip_id' | 'larger' | 'cwr' | 'no_payload' | 'flags' | 'not_eligible';
type NotEligible = 'not_ipv4' | 'ihl' | 'fragment' | 'length' | 'not_tcp' | 'bad_doff' | 'bad_csum';

const FLUSH_KEY: Record<FlushReason, keyof GroStats> = {
  napi: 'flush_napi', old: 'flush_old', evict: 'flush_evict', psh: 'flush_psh', fin: 'flush_fin', short: 'flush_short',
  '64k': 'flush_64k', seq: 'flush_seq', ack: 'flush_ack', tcp_word: 'flush_tcp_word', options: 'flush_options',
  ip_header: 'flush_ip_header', ip_id: 'flush_ip_id', larger: 'flush_larger', cwr: 'flush_cwr', no_payload: 'flush_no_payload',
  flags: 'flush_flags', not_eligible: 'flush_not_eligible',
};
const NOT_ELIGIBLE_KEY: Record<NotEligible, keyof GroStats> = {
  not_ipv4: 'not_eligible_not_ipv4', ihl: 'not_eligible_ihl', fragment: 'not_eligible_fragment', length: 'not_eligible_length',
  not_tcp: 'not_eligible_not_tcp', bad_doff: 'not_eligible_bad_doff', bad_csum: 'not_eligible_bad_csum',
};

export const groConfigSchema = z.object({
  cpu: z.custom<Cpu>((v) => typeof v === 'object' && v !== null && typeof (v as Cpu).charge === 'function', { message: 'cpu must be a Cpu (sim/cost.ts)' }).optional(),
  sink: z.custom<RxSink>((v) => typeof v === 'object' && v !== null && typeof (v as RxSink).netifReceiveSkb === 'function', { message: 'sink must be an RxSink' }),
  tracer: z.custom<Tracer>((v) => typeof v === 'object' && v !== null && typeof (v as Tracer).emit === 'function', { message: 'tracer must be a Tracer' }).optional(),
  queue: z.number().int().min(0).default(0),
  /** dev->gro_max_size: held IP length + new payload must stay below it. */
  maxSize: z.number().int().min(1500).max(65536).default(65536),
}).strict();

/** `cpu`: the core GRO's work is charged to — a `gro_merge` per packet, `csum_byte` per byte it checksums in software. */
export interface GroConfig { sink: RxSink; tracer?: Tracer; queue?: number; maxSize?: number; cpu?: Cpu }

const END_FLAGS = TCP_FLAG.PSH | TCP_FLAG.FIN | TCP_FLAG.URG | TCP_FLAG.RST | TCP_FLAG.SYN;
/** Bits of the doff/flags/window word that may differ: CWR, FIN, PSH (in the flags byte). */
const WORD_MASK = ~(((TCP_FLAG.CWR | TCP_FLAG.FIN | TCP_FLAG.PSH) << 16)) >>> 0;

class GroFlow {
  parent: SkBuff | null = null;
  last: SkBuff | null = null;
  bucket = 0;
  b: Uint8Array = new Uint8Array(0);
  mac = -1; iph = 0; tcph = 0; doff = 0;
  // -0: a double field from the start, so u32 values past 2^31 cause no map change / deopt
  saddr = -0; daddr = -0; ports = -0;
  nextSeq = -0; gsoSize = 0; count = 0; ipTotLen = 0;
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
    this.table = Array.from({ length: GRO_HASH_BUCKETS }, () => new Array<GroFlow>(MAX_GRO_SKBS));
    this.counts = new Array<number>(GRO_HASH_BUCKETS).fill(0);
    for (let i = 0; i < GRO_HASH_BUCKETS * MAX_GRO_SKBS; i++) this.spare.push(new GroFlow());
  }

  /** Packets currently held. */
  get heldPackets(): number { let n = 0; for (const c of this.counts) n += c; return n; }

  /** napi_gro_receive. */
  groReceive(skb: SkBuff): void {
    const st = this.stats;
    st.received++;
    this.nowNs = skb.arrivalNs; this.frameId = skb.frameId;
    if (this.cpu !== null) this.cpu.charge('gro_merge');
    if (skb.protocol !== ETH_P_IP || skb.headLen < 20) return this.notEligible(skb, 'not_ipv4', null);
    const b = skb.buf, iph = skb.data;
    if (b[iph] !== 0x45) return this.notEligible(skb, 'ihl', this.heldFor(skb));
    if ((r16(b, iph + IPV4.FRAG) & 0x3fff) !== 0) return this.notEligible(skb, 'fragment', this.heldFor(skb));
    const totLen = r16(b, iph + IPV4.TOT_LEN);
    if (totLen !== skb.len) return this.notEligible(skb, 'length', this.heldFor(skb));
    if (b[iph + IPV4.PROTO] !== 6) return this.notEligible(skb, 'not_tcp', null);
    const tcph = iph + 20;
    const doff = (b[tcph + TCP.DOFF]! >>> 4) << 2;
    if (doff < 20 || 20 + doff > totLen || skb.headLen < 20 + doff) return this.notEligible(skb, 'bad_doff', this.heldFor(skb));

    const saddr = r32(b, iph + IPV4.SRC), daddr = r32(b, iph + IPV4.DST), ports = r32(b, tcph + TCP.SPORT);
    const bucket = groBucket(saddr, daddr, ports);
    const p = this.lookup(skb, bucket, saddr, daddr, ports);

    if (fold32(sum16(b, iph, 20)) !== 0xffff || !this.tcpChecksumOk(skb, b, iph, tcph, totLen)) return this.notEligible(skb, 'bad_csum', p);

    const payload = totLen - 20 - doff;
    const flags = b[tcph + TCP.FLAGS]!;
    if (p !== null) {
      const why = this.cannotMerge(p, b, iph, tcph, doff, payload, flags);
      if (why === null) { this.merge(p, skb, tcph + doff, payload, flags); return; }
      this.complete(p, why);
    }
    // start a new held packet, or pass up alone
    if (payload === 0) return this.pass(skb, 'pass_no_payload');
    if ((flags & TCP_FLAG.CWR) !== 0) return this.pass(skb, 'pass_cwr');
    if ((flags & END_FLAGS) !== 0) return this.pass(skb, 'pass_flags');
    this.hold(skb, bucket, b, iph, tcph, doff, saddr, daddr, ports, payload, totLen);
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
    const list = this.table[bkt]!, n = this.counts[bkt]!;
    let best: GroFlow | null = null;
    for (let i = 0; i < n; i++) {
      const f = list[i]!;
      if (olderThanNs !== undefined && f.arrivalNs >= olderThanNs) continue;
      if (best === null || f.age < best.age) best = f;
    }
    return best;
  }

  /** The held packet of the flow of an IPv4/TCP segment that cannot take part (options, fragment, padding…), if any. */
  private heldFor(skb: SkBuff): GroFlow | null {
    const b = skb.buf, iph = skb.data;
    if (b[iph]! >>> 4 !== 4 || b[iph + IPV4.PROTO] !== 6) return null;
    const tcph = iph + ((b[iph]! & 0x0f) << 2);
    if (tcph + 4 > skb.tail) return null;
    const saddr = r32(b, iph + IPV4.SRC), daddr = r32(b, iph + IPV4.DST), ports = r32(b, tcph + TCP.SPORT);
    return this.lookup(skb, groBucket(saddr, daddr, ports), saddr, daddr, ports);
  }

  private lookup(skb: SkBuff, bucket: number, saddr: number, daddr: number, ports: number): GroFlow | null {
    const list = this.table[bucket]!, n = this.counts[bucket]!;
    for (let i = 0; i < n; i++) {
      const f = list[i]!;
      if (f.saddr !== saddr || f.daddr !== daddr || f.ports !== ports) continue;
      const q = f.parent!;
      if (q.vlanPresent !== skb.vlanPresent || (skb.vlanPresent && q.vlanTci !== skb.vlanTci)) continue;
      if (f.mac >= 0 && skb.macHeader >= 0 && !sameBytes(f.b, f.mac, skb.buf, skb.macHeader, 14)) continue;
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

  private tcpChecksumOk(skb: SkBuff, b: Uint8Array, iph: number, tcph: number, totLen: number): boolean {
    const st = this.stats;
    if (skb.ipSummed === CHECKSUM_UNNECESSARY) { st.csum_trusted++; return true; }
    const ps = sum16(b, iph + IPV4.SRC, 8) + 6 + (totLen - 20);
    let ok: boolean;
    if (skb.ipSummed === CHECKSUM_COMPLETE) {
      // skb.csum: folded sum of everything from the IP header on; the IP header itself sums to 0xffff
      st.csum_complete++;
      ok = fold32(skb.csum + (~fold32(sum16(b, iph, 20)) & 0xffff) + ps) === 0xffff;
    } else {
      st.csum_software++;
      if (this.cpu !== null) this.cpu.charge('csum_byte', totLen - 20);
      this.csAcc = ps; this.csPos = 0;
      skb.forEachChunk(20, totLen - 20, this.csChunk);
      ok = fold32(this.csAcc) === 0xffff;
    }
    if (ok) skb.ipSummed = CHECKSUM_UNNECESSARY;
    return ok;
  }

  /** Why `skb` may not join `p`, or null (spec/gro.md "When an arriving segment may join"). */
  private cannotMerge(p: GroFlow, b: Uint8Array, iph: number, tcph: number, doff: number, payload: number, flags: number): FlushReason | null {
    const pb = p.b, piph = p.iph, ptcph = p.tcph;
    if (pb[piph + IPV4.TTL] !== b[iph + IPV4.TTL] || pb[piph + IPV4.TOS] !== b[iph + IPV4.TOS]
      || (pb[piph + IPV4.FRAG]! & 0x40) !== (b[iph + IPV4.FRAG]! & 0x40)) return 'ip_header';
    const id = r16(b, iph + IPV4.ID);
    if (p.idMode === -1) {
      if (id !== ((p.firstId + 1) & 0xffff) && !(id === p.firstId && (b[iph + IPV4.FRAG]! & 0x40) !== 0)) return 'ip_id';
    } else if (p.idMode === 0 ? id !== ((p.firstId + p.count) & 0xffff) : id !== p.firstId) return 'ip_id';
    if ((flags & TCP_FLAG.CWR) !== 0) return 'cwr';
    if (((r32(pb, ptcph + TCP.DOFF) ^ r32(b, tcph + TCP.DOFF)) & WORD_MASK) !== 0) return 'tcp_word';
    if (r32(pb, ptcph + TCP.ACK) !== r32(b, tcph + TCP.ACK)) return 'ack';
    if (!sameBytes(pb, ptcph + 20, b, tcph + 20, doff - 20)) return 'options';
    if (payload === 0) return 'no_payload';
    if (payload > p.gsoSize) return 'larger';
    if (r32(b, tcph + TCP.SEQ) !== p.nextSeq) return 'seq';
    if (p.ipTotLen + payload >= this.maxSize) return '64k';
    return null;
  }

  private merge(p: GroFlow, skb: SkBuff, payloadOff: number, payload: number, flags: number): void {
    const parent = p.parent!;
    if (p.idMode === -1) p.idMode = r16(skb.buf, skb.data + IPV4.ID) === p.firstId ? 1 : 0;
    skb.pull(payloadOff - skb.data);
    if (p.last === null) parent.fragList = skb; else p.last.next = skb;
    p.last = skb; skb.next = null;
    parent.len += payload; parent.dataLen += payload; parent.truesize += skb.truesize;
    p.count++; p.ipTotLen += payload; p.nextSeq = (p.nextSeq + payload) >>> 0;
    p.b[p.tcph + TCP.FLAGS] = p.b[p.tcph + TCP.FLAGS]! | (flags & (TCP_FLAG.PSH | TCP_FLAG.FIN));
    this.stats.merged++;
    if (this.tracer.enabled) this.trace('merged', `merged into held packet, ${p.count} segments, ${parent.len} bytes`);
    if ((flags & TCP_FLAG.FIN) !== 0) this.complete(p, 'fin');
    else if ((flags & TCP_FLAG.PSH) !== 0) this.complete(p, 'psh');
    else if (payload < p.gsoSize) this.complete(p, 'short');
  }

  private hold(skb: SkBuff, bucket: number, b: Uint8Array, iph: number, tcph: number, doff: number,
    saddr: number, daddr: number, ports: number, payload: number, totLen: number): void {
    if (this.counts[bucket]! >= MAX_GRO_SKBS) {
      this.stats.evicted++;
      this.complete(this.oldest(bucket, undefined)!, 'evict');
    }
    const f = this.spare.pop()!;
    f.parent = skb; f.last = null; f.bucket = bucket;
    f.b = b; f.mac = skb.macHeader; f.iph = iph; f.tcph = tcph; f.doff = doff;
    f.saddr = saddr; f.daddr = daddr; f.ports = ports;
    f.nextSeq = (r32(b, tcph + TCP.SEQ) + payload) >>> 0;
    f.gsoSize = payload; f.count = 1; f.ipTotLen = totLen;
    f.firstId = r16(b, iph + IPV4.ID); f.idMode = -1;
    f.age = this.ageCounter++; f.arrivalNs = skb.arrivalNs;
    this.table[bucket]![this.counts[bucket]!++] = f;
    this.stats.held++;
    if (this.tracer.enabled) this.trace('held', `held as a new packet in bucket ${bucket}, ${payload} bytes`);
  }

  /** napi_gro_complete: finish the GSO packet (or pass a single segment unchanged) and deliver it. */
  private complete(p: GroFlow, reason: FlushReason): void {
    const list = this.table[p.bucket]!;
    const n = --this.counts[p.bucket]!;
    const i = list.indexOf(p);
    list[i] = list[n]!;
    const parent = p.parent!;
    if (p.count > 1) {
      const b = p.b, iph = p.iph;
      w16(b, iph + IPV4.TOT_LEN, p.ipTotLen);
      w16(b, iph + IPV4.CSUM, 0);
      w16(b, iph + IPV4.CSUM, ~fold32(sum16(b, iph, 20)) & 0xffff);
      // CHECKSUM_PARTIAL: the field holds the (uncomplemented) pseudo-header sum
      w16(b, p.tcph + TCP.CSUM, fold32(sum16(b, iph + IPV4.SRC, 8) + 6 + (p.ipTotLen - 20)));
      parent.ipSummed = CHECKSUM_PARTIAL;
      parent.gsoSize = p.gsoSize; parent.gsoSegs = p.count;
      parent.gsoType = SKB_GSO_TCPV4 | (p.idMode === 1 ? SKB_GSO_TCP_FIXEDID : 0);
    }
    parent.wireFrames = p.count;
    const st = this.stats;
    st.flushed++;
    st[FLUSH_KEY[reason]]++;
    if (this.tracer.enabled) this.trace('flushed', `flushed (${reason}): ${p.count} segment${p.count === 1 ? '' : 's'}, ${parent.len} bytes`, reason);
    p.parent = null; p.last = null;
    this.spare.push(p);
    this.deliver(parent);
  }

  private notEligible(skb: SkBuff, why: NotEligible, p: GroFlow | null): void {
    if (p !== null) this.complete(p, 'not_eligible');
    this.stats[NOT_ELIGIBLE_KEY[why]]++;
    this.stats.passed++;
    if (this.tracer.enabled) this.trace('pass', `passed up alone: not eligible (${why})`, why);
    this.deliver(skb);
  }

  private pass(skb: SkBuff, why: 'pass_no_payload' | 'pass_flags' | 'pass_cwr'): void {
    this.stats[why]++;
    this.stats.passed++;
    if (this.tracer.enabled) this.trace('pass', `passed up alone (${why.slice(5)})`, why);
    this.deliver(skb);
  }

  private deliver(skb: SkBuff): void {
    if (skb.vlanPresent) this.sink.vlanHwaccelReceiveSkb(skb, skb.vlanTci); else this.sink.netifReceiveSkb(skb);
  }

  private trace(what: string, text: string, reason?: string): void {
    this.tracer.emit({ t: this.nowNs, layer: 'gro', what, text, queue: this.queue, ...(reason !== undefined ? { reason } : {}), ...(this.frameId >= 0 ? { frame: this.frameId } : {}) });
  }
}

/** The flow-table bucket of a 4-tuple (a stand-in for skb_get_hash_raw & (GRO_HASH_BUCKETS - 1)). */
export function groBucket(saddr: number, daddr: number, ports: number): number {
  return (Math.imul(saddr ^ daddr ^ ports ^ (ports >>> 16), 0x9e3779b1) >>> 29) & (GRO_HASH_BUCKETS - 1);
}

/** Byte-range equality, four bytes per step (MAC headers, TCP options). */
function sameBytes(a: Uint8Array, ao: number, b: Uint8Array, bo: number, n: number): boolean {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    if (((a[ao + i]! << 24) | (a[ao + i + 1]! << 16) | (a[ao + i + 2]! << 8) | a[ao + i + 3]!)
      !== ((b[bo + i]! << 24) | (b[bo + i + 1]! << 16) | (b[bo + i + 2]! << 8) | b[bo + i + 3]!)) return false;
  }
  for (; i < n; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}

