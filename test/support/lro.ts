// Shared helpers for the lro/ tests: segment frames, skbs from frames, a recording RxSink, a
// get_skb_header like eHEA's, checksum verification of delivered packets.
import { frame, checksum, sumBytes, fold } from '../../wire/index.ts';
import {
  SkBuff,
  SkbPool,
  ethTypeTrans,
  freeSkb,
  ETH_P_8021Q,
  ETH_P_IP,
  CHECKSUM_UNNECESSARY,
} from '../../stack/skb.ts';
import type { BufferOwner } from '../../stack/skb.ts';
import type { RxSink } from '../../stack/rx-sink.ts';
import { type LroHeader, LRO_IPV4, LRO_TCP, LroManager } from '../../lro/inet-lro.ts';
import type { LroConfig } from '../../lro/inet-lro.ts';
import type { LroFragList } from '../../lro/frag-list.ts';

export interface SegSpec {
  seq?: number;
  payload?: number;
  flags?: string;
  ack?: number;
  window?: number;
  ts?: [number, number] | null;
  sport?: number;
  dport?: number;
  src?: string;
  dst?: string;
  id?: number;
  ttl?: number;
  tos?: number;
  vlan?: number;
  options?: Uint8Array;
  ipOptions?: Uint8Array;
  pad?: number;
  totalLength?: number;
  tcpChecksum?: number;
  df?: boolean;
  srcMac?: string;
}

/** The payload byte at stream offset `seq` (so reassembled streams can be checked). */
export function streamByte(seq: number, sport = 40000): number {
  return (seq * 7 + (seq >>> 8) + sport) & 0xff;
}

export function seg(s: SegSpec = {}): Uint8Array {
  const seq = s.seq ?? 1000;
  const n = s.payload ?? 1448;
  const data = new Uint8Array(n);
  const sport = s.sport ?? 40000;
  for (let i = 0; i < n; i++) data[i] = streamByte((seq + i) >>> 0, sport);
  let f = frame();
  if (s.srcMac !== undefined) f = f.eth({ src: s.srcMac });
  if (s.vlan !== undefined) f = f.vlan(s.vlan);
  f = f.ipv4({
    src: s.src ?? '10.0.0.1',
    dst: s.dst ?? '10.0.0.2',
    id: s.id ?? 1,
    ttl: s.ttl ?? 64,
    tos: s.tos ?? 0,
    df: s.df ?? true,
    ...(s.ipOptions !== undefined ? { options: s.ipOptions } : {}),
    ...(s.totalLength !== undefined ? { totalLength: s.totalLength } : {}),
  });
  const ts = s.ts === undefined ? ([100, 50] as [number, number]) : s.ts;
  f = f.tcp({
    sport,
    dport: s.dport ?? 5001,
    seq,
    ack: s.ack ?? 7777,
    flags: s.flags ?? 'A',
    window: s.window ?? 1000,
    ...(ts !== null ? { ts } : {}),
    ...(s.options !== undefined ? { options: s.options } : {}),
    ...(s.tcpChecksum !== undefined ? { checksum: s.tcpChecksum } : {}),
  });
  f = f.payload(data);
  if (s.pad !== undefined) f = f.pad(s.pad);
  return f.build();
}

/** A linear skb holding a copy of `fr`, after eth_type_trans. */
export function skbOf(fr: Uint8Array, pool?: SkbPool, arrivalNs = 0): SkBuff {
  const skb = pool ? pool.get() : new SkBuff();
  const buf = new Uint8Array(fr.length + 16);
  buf.set(fr, 16);
  skb.setLinear(buf, 16, fr.length, 16);
  skb.truesize = buf.length + 256;
  skb.ipSummed = CHECKSUM_UNNECESSARY;
  skb.arrivalNs = arrivalNs;
  ethTypeTrans(skb);
  return skb;
}

/** Like eHEA's get_skb_hdr: IP at skb.data (after an in-band tag unless the NIC extracted it), TCP after IHL. */
export function makeGetSkbHeader(extractVlanId = false) {
  return (skb: SkBuff, out: LroHeader): boolean => {
    let iph = skb.data;
    if (skb.protocol === ETH_P_8021Q) {
      if (!extractVlanId) {
        if (((skb.buf[iph + 2]! << 8) | skb.buf[iph + 3]!) !== ETH_P_IP) return false;
        iph += 4;
      }
    } else if (skb.protocol !== ETH_P_IP) return false;
    out.buf = skb.buf;
    out.iphOff = iph;
    out.tcphOff = iph + ((skb.buf[iph]! & 0x0f) << 2);
    out.flags = LRO_IPV4 | (skb.buf[iph + 9] === 6 ? LRO_TCP : 0);
    return true;
  };
}

/** Frags mode header callback: MAC header at fragment 0's start, in-band 802.1Q allowed. */
export function getFragHeader(frags: LroFragList, out: LroHeader): boolean {
  const f = frags.frags[0]!;
  const b = f.mem,
    mac = f.off;
  let type = (b[mac + 12]! << 8) | b[mac + 13]!;
  let iph = mac + 14;
  if (type === ETH_P_8021Q) {
    type = (b[mac + 16]! << 8) | b[mac + 17]!;
    iph += 4;
  }
  if (type !== ETH_P_IP) return false;
  out.buf = b;
  out.macOff = mac;
  out.iphOff = iph;
  out.tcphOff = iph + ((b[iph]! & 0x0f) << 2);
  out.flags = LRO_IPV4 | (b[iph + 9] === 6 ? LRO_TCP : 0);
  return true;
}

/** Page owner that counts releases. */
export class CountingOwner implements BufferOwner {
  released = 0;
  release(): void {
    this.released++;
  }
}

/** Fills `list` with `fr` split into fragments of at most `fragSize` bytes (each its own copy). */
export function fragsOf(fr: Uint8Array, list: LroFragList, owner: BufferOwner, fragSize = 4096): LroFragList {
  list.clear();
  for (let off = 0; off < fr.length; off += fragSize) {
    const n = Math.min(fragSize, fr.length - off);
    const mem = new Uint8Array(n + 8);
    mem.set(fr.subarray(off, off + n), 8);
    list.add(mem, 8, n, owner, 8);
  }
  return list;
}

export interface Delivery {
  path: 'netifReceiveSkb' | 'netifRx' | 'vlanHwaccelReceiveSkb' | 'vlanHwaccelRx';
  tag: number;
  skb: SkBuff;
  bytes: Uint8Array;
}

/** Records every delivery with a copy of the skb's data (network header onwards, or from the VLAN tag for in-band). */
export class RecordingSink implements RxSink {
  readonly got: Delivery[] = [];
  constructor(private readonly free = false) {}
  private rec(path: Delivery['path'], skb: SkBuff, tag: number): void {
    this.got.push({ path, tag, skb, bytes: skb.toBytes() });
    if (this.free) freeSkb(skb);
  }
  netifReceiveSkb(skb: SkBuff): void {
    this.rec('netifReceiveSkb', skb, -1);
  }
  netifRx(skb: SkBuff): void {
    this.rec('netifRx', skb, -1);
  }
  vlanHwaccelReceiveSkb(skb: SkBuff, tag: number): void {
    this.rec('vlanHwaccelReceiveSkb', skb, tag);
  }
  vlanHwaccelRx(skb: SkBuff, tag: number): void {
    this.rec('vlanHwaccelRx', skb, tag);
  }
}

/** Offset of the IPv4 header in delivered bytes (4 when an in-band tag precedes it). */
export function ipOffset(d: Delivery): number {
  return d.skb.protocol === ETH_P_8021Q ? 4 : 0;
}

export function ipChecksumOk(b: Uint8Array, iph = 0): boolean {
  return checksum(b, iph, (b[iph]! & 0x0f) * 4) === 0;
}

/** Full TCP checksum over pseudo-header + segment verifies. */
export function tcpChecksumOk(b: Uint8Array, iph = 0): boolean {
  const ihl = (b[iph]! & 0x0f) * 4;
  const tot = (b[iph + 2]! << 8) | b[iph + 3]!;
  const s = sumBytes(b, iph + 12, 8) + 6 + (tot - ihl) + sumBytes(b, iph + ihl, tot - ihl);
  return fold(s) === 0xffff;
}

/** The tests read header fields with wire's one pair of big-endian readers. */
export { r16 as field16, r32 as field32 } from '../../wire/bytes.ts';

/** An skb-mode manager with eHEA-like defaults and a recording sink. */
export function makeLro(over: Partial<LroConfig> = {}, extract = false): { lro: LroManager; sink: RecordingSink } {
  const sink = new RecordingSink();
  const lro = new LroManager({
    maxDesc: 8,
    maxAggr: 64,
    mtu: 1500,
    sink,
    getSkbHeader: makeGetSkbHeader(extract),
    features: { napi: true, extractVlanId: extract },
    skbPool: new SkbPool(),
    ...over,
  });
  return { lro, sink };
}
