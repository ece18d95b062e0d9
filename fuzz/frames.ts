// Frames for the fuzzer: valid TCP flows whose byte streams the stack must deliver intact, and
// hostile frames of named kinds (truncations at header boundaries, bad lengths, bad options, bad
// checksums, QinQ, runts, giants, fragments, random mutations) kept off the valid flows' 4-tuples.
import type { Prng } from '../sim/prng.ts';
import {
  frame,
  ETH,
  IPV4,
  TCP,
  IPPROTO,
  ETHERTYPE,
  IPV6,
  checksum,
  fillL4Checksum,
  l4ChecksumField,
  layoutPacket,
  FrameLayout,
  ipv4HeaderLength,
  tcpHeaderLength,
  type TcpOption,
  type Ipv6ExtSpec,
  r16,
  w16,
} from '../wire/index.ts';

/** The valid flows' addresses: hostile frames never carry the valid (sport, dport) byte pair anywhere. */
export const VALID_SRC = '10.0.0.1';
export const VALID_DST = '10.0.0.2';
export const VALID_DPORT = 5001;
export const VALID_SPORT0 = 40000;

/** Every kind of hostile frame the fuzzer makes, in the order the summary lists them. */
export const HOSTILE_KINDS = [
  'truncated',
  'ihl-short',
  'ihl-past-frame',
  'totlen-long',
  'totlen-short',
  'doff-short',
  'doff-past-packet',
  'bad-option',
  'bad-ip-csum',
  'bad-tcp-csum',
  'ip-version',
  'qinq',
  'runt',
  'giant',
  'fragment',
  'mutated',
  'random-bytes',
  'tcp-flags',
  'non-tcp',
  'vlan-short',
  'deep-vlan',
  'tagged-non-ip',
] as const;
export type HostileKind = (typeof HOSTILE_KINDS)[number];

/** One valid flow's segments, built in sequence order. */
export interface ValidFlow {
  sport: number;
  vlan: number;
  mss: number;
  ts: boolean;
  isn: number;
  frames: Uint8Array[];
}

function randomBytes(rng: Prng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 4) {
    const v = rng.nextU32();
    b[i] = v & 0xff;
    if (i + 1 < n) b[i + 1] = (v >>> 8) & 0xff;
    if (i + 2 < n) b[i + 2] = (v >>> 16) & 0xff;
    if (i + 3 < n) b[i + 3] = v >>> 24;
  }
  return b;
}

/** `count` valid flows of `total` full or partial segments in all (MSS ≤ 1460: fits MTU 1500). */
export function validFlows(rng: Prng, count: number, total: number): ValidFlow[] {
  const flows: ValidFlow[] = [];
  for (let f = 0; f < count; f++) {
    const segments = Math.floor(total / count) + (f < total % count ? 1 : 0);
    const ts = rng.chance(0.7);
    const mss = ts ? 1448 - rng.int(3) * 500 : 1460 - rng.int(3) * 500;
    const vlan = rng.chance(0.25) ? 100 + rng.int(10) : -1;
    const isn = rng.nextU32();
    const sport = VALID_SPORT0 + f;
    const frames: Uint8Array[] = [];
    let seq = isn;
    for (let s = 0; s < segments; s++) {
      const len = rng.chance(0.8) ? mss : 1 + rng.int(mss);
      const b = frame().eth({});
      if (vlan >= 0) b.vlan(vlan);
      b.ipv4({ src: VALID_SRC, dst: VALID_DST, id: s & 0xffff })
        .tcp({
          sport,
          dport: VALID_DPORT,
          seq,
          ack: 1,
          flags: s === segments - 1 || rng.chance(0.05) ? 'PA' : 'A',
          ...(ts ? { ts: [1000 + s, 7] as [number, number] } : {}),
        })
        .payload(randomBytes(rng, len));
      frames.push(b.build());
      seq = (seq + len) >>> 0;
    }
    // a little reordering (never of the first segment: without a SYN, the first segment seen sets the ISN):
    // the out-of-order paths of LRO, GRO and the stack see valid data too
    for (let s = 1; s + 1 < frames.length; s++)
      if (rng.chance(0.03)) {
        const t = frames[s]!;
        frames[s] = frames[s + 1]!;
        frames[s + 1] = t;
        s++;
      }
    flows.push({ sport, vlan, mss, ts, isn, frames });
  }
  return flows;
}

/** Offsets inside a hostile base frame, for the mutators. */
interface Base {
  bytes: Uint8Array;
  l3: number;
  l4: number;
  ihl: number;
  doff: number;
  end: number;
}

function hostileBase(
  rng: Prng,
  opts: { vlans?: number; ipOptions?: boolean; tcpOptions?: boolean; payload?: number } = {},
): Base {
  const b = frame().eth({});
  const vlans = opts.vlans ?? (rng.chance(0.2) ? 1 : 0);
  for (let i = 0; i < vlans; i++)
    b.vlan({ vid: 1 + rng.int(4094), ...(i === 0 && vlans > 1 ? { tpid: ETHERTYPE.QINQ } : {}) });
  const ipOpts = opts.ipOptions ?? rng.chance(0.2);
  b.ipv4({
    src: `172.31.${rng.int(256)}.${1 + rng.int(254)}`,
    dst: VALID_DST,
    id: rng.int(65536),
    ...(ipOpts ? { options: new Uint8Array([1, 1, 1, 0]) } : {}),
  });
  const tcpOpts = opts.tcpOptions ?? rng.chance(0.5);
  const options: TcpOption[] = [
    { kind: 'mss', value: 1460 },
    { kind: 'nop' },
    { kind: 'wscale', shift: 7 },
    { kind: 'sackPermitted' },
    { kind: 'nop' },
    { kind: 'nop' },
  ];
  b.tcp({
    sport: 50000 + rng.int(10000),
    dport: 7000 + rng.int(1000),
    seq: rng.nextU32(),
    ack: rng.nextU32(),
    flags: 'A',
    ...(tcpOpts ? (rng.chance(0.5) ? { ts: [rng.nextU32(), rng.nextU32()] as [number, number] } : { options }) : {}),
  });
  b.payload(randomBytes(rng, opts.payload ?? rng.int(1400)));
  const bytes = b.build();
  const l3 = ETH.HLEN + 4 * vlans;
  const ihl = ipv4HeaderLength(bytes, l3);
  const l4 = l3 + ihl;
  return { bytes, l3, l4, ihl, doff: tcpHeaderLength(bytes, l4), end: bytes.length };
}

/** w16 where the field lies inside the (possibly cut) frame; nothing otherwise. */
function put16IfInside(b: Uint8Array, off: number, v: number): void {
  if (off + 1 < b.length) w16(b, off, v);
}

/** Recomputes the IP header checksum (over the claimed header length, clipped) so the frame reaches deeper checks. */
function fixIpCsum(b: Uint8Array, l3: number): void {
  if (l3 + IPV4.HLEN > b.length) return;
  const ihl = Math.max(IPV4.HLEN, ipv4HeaderLength(b, l3));
  if (l3 + ihl > b.length) return;
  put16IfInside(b, l3 + IPV4.CSUM, 0);
  put16IfInside(b, l3 + IPV4.CSUM, checksum(b, l3, ihl));
}

const fixLayout = new FrameLayout();

/** Recomputes the TCP checksum when the IPv4 header's lengths fit in the frame and leave room for a TCP header. */
function fixTcpCsum(b: Uint8Array, l3: number): void {
  const L = layoutPacket(b, l3, b.length - l3, ETHERTYPE.IPV4, fixLayout);
  if (l4ChecksumField(L) < 0 || L.l4Proto !== IPPROTO.TCP || L.ipEnd - L.l4 < TCP.HLEN) return;
  fillL4Checksum(b, l3);
}

function fixBoth(b: Uint8Array, l3: number): void {
  fixTcpCsum(b, l3);
  fixIpCsum(b, l3);
}

/** One hostile frame of `kind`. */
export function hostileFrame(rng: Prng, kind: HostileKind): Uint8Array {
  switch (kind) {
    case 'truncated': {
      const B = hostileBase(rng, { payload: 1 + rng.int(64) });
      const cuts = [
        0,
        1,
        6,
        12,
        13,
        ETH.HLEN,
        B.l3 - 2,
        B.l3,
        B.l3 + 1,
        B.l3 + 3,
        B.l3 + 9,
        B.l3 + 12,
        B.l3 + 19,
        B.l3 + IPV4.HLEN,
        B.l4 - 1,
        B.l4,
        B.l4 + 1,
        B.l4 + 12,
        B.l4 + 13,
        B.l4 + 17,
        B.l4 + TCP.HLEN - 1,
        B.l4 + TCP.HLEN,
        B.l4 + B.doff - 1,
        B.l4 + B.doff,
        B.end - 1,
      ];
      const at = Math.max(0, Math.min(B.end, cuts[rng.int(cuts.length)]! + (rng.chance(0.2) ? rng.int(3) - 1 : 0)));
      return B.bytes.slice(0, at);
    }
    case 'ihl-short': {
      const B = hostileBase(rng);
      B.bytes[B.l3] = 0x40 | rng.int(5);
      if (rng.chance(0.5)) fixIpCsum(B.bytes, B.l3);
      return B.bytes;
    }
    case 'ihl-past-frame': {
      const B = hostileBase(rng, { payload: rng.int(8) });
      B.bytes[B.l3] = 0x40 | (6 + rng.int(10));
      const cut = B.l3 + IPV4.HLEN + rng.int(Math.max(1, B.end - B.l3 - IPV4.HLEN));
      const out = B.bytes.slice(0, Math.min(B.end, Math.max(cut, B.l3 + IPV4.HLEN)));
      if (rng.chance(0.5)) {
        const t = out.length - B.l3;
        put16IfInside(out, B.l3 + IPV4.TOT_LEN, t);
      }
      return out;
    }
    case 'totlen-long': {
      const B = hostileBase(rng);
      const tot = B.end - B.l3 + 1 + rng.int(rng.chance(0.5) ? 16 : 65535 - (B.end - B.l3));
      put16IfInside(B.bytes, B.l3 + IPV4.TOT_LEN, Math.min(65535, tot));
      if (rng.chance(0.7)) fixIpCsum(B.bytes, B.l3);
      return B.bytes;
    }
    case 'totlen-short': {
      const B = hostileBase(rng);
      put16IfInside(B.bytes, B.l3 + IPV4.TOT_LEN, rng.int(B.ihl + B.doff + 1));
      if (rng.chance(0.7)) fixIpCsum(B.bytes, B.l3);
      return B.bytes;
    }
    case 'doff-short': {
      const B = hostileBase(rng);
      B.bytes[B.l4 + TCP.DOFF] = (rng.int(5) << 4) | (B.bytes[B.l4 + TCP.DOFF]! & 15);
      if (rng.chance(0.7)) fixBoth(B.bytes, B.l3);
      return B.bytes;
    }
    case 'doff-past-packet': {
      const B = hostileBase(rng, { payload: rng.int(20) });
      B.bytes[B.l4 + TCP.DOFF] = (15 << 4) | (B.bytes[B.l4 + TCP.DOFF]! & 15);
      if (rng.chance(0.7)) fixBoth(B.bytes, B.l3);
      return B.bytes;
    }
    case 'bad-option': {
      const B = hostileBase(rng, { tcpOptions: true });
      const o = B.l4 + TCP.HLEN;
      const room = B.doff - TCP.HLEN;
      if (room >= 2) {
        const at = o + rng.int(room - 1);
        B.bytes[at] = [2, 3, 4, 5, 8, 30, 254][rng.int(7)]!;
        B.bytes[at + 1] = [0, 1, 2, room + 1, 40, 255][rng.int(6)]!;
      }
      if (rng.chance(0.8)) fixBoth(B.bytes, B.l3);
      return B.bytes;
    }
    case 'bad-ip-csum': {
      const B = hostileBase(rng);
      B.bytes[B.l3 + IPV4.CSUM] = B.bytes[B.l3 + IPV4.CSUM]! ^ (1 + rng.int(255));
      return B.bytes;
    }
    case 'bad-tcp-csum': {
      const B = hostileBase(rng);
      B.bytes[B.l4 + TCP.CSUM + 1] = B.bytes[B.l4 + TCP.CSUM + 1]! ^ (1 + rng.int(255));
      return B.bytes;
    }
    case 'ip-version': {
      const B = hostileBase(rng);
      B.bytes[B.l3] = ([0, 1, 5, 6, 15][rng.int(5)]! << 4) | (B.bytes[B.l3]! & 15);
      if (rng.chance(0.7)) fixIpCsum(B.bytes, B.l3);
      return B.bytes;
    }
    case 'qinq': {
      const B = hostileBase(rng, { vlans: 2 + (rng.chance(0.2) ? 1 : 0) });
      if (rng.chance(0.3)) put16IfInside(B.bytes, ETH.TYPE, ETHERTYPE.VLAN);
      return B.bytes;
    }
    case 'runt': {
      const n = rng.int(60);
      const B = hostileBase(rng, { payload: 0, vlans: 0 });
      const out = B.bytes.slice(0, Math.min(n, B.end));
      return out;
    }
    case 'giant': {
      const n = rng.chance(0.5) ? 1515 + rng.int(40) : 1500 + rng.int(65536 - 1500);
      return hostileBase(rng, { payload: n }).bytes;
    }
    case 'fragment': {
      const b = frame()
        .eth({})
        .ipv4({
          src: `172.30.${rng.int(256)}.9`,
          dst: VALID_DST,
          df: false,
          mf: rng.chance(0.6),
          fragOffset: rng.chance(0.5) ? 0 : 1 + rng.int(8000),
        })
        .tcp({ sport: 50000 + rng.int(10000), dport: 7000, seq: rng.nextU32(), flags: 'A' })
        .payload(randomBytes(rng, rng.int(1400)));
      const out = b.build();
      if (out[ETH.HLEN + IPV4.FRAG]! === 0x40 && out[ETH.HLEN + IPV4.FRAG + 1] === 0) out[ETH.HLEN + IPV4.FRAG] = 0x20; // keep it a fragment
      fixIpCsum(out, ETH.HLEN);
      return out;
    }
    case 'mutated': {
      const B = hostileBase(rng);
      const flips = 1 + rng.int(4);
      for (let i = 0; i < flips; i++) {
        const at = rng.int(Math.min(B.end, B.l4 + B.doff + 8));
        B.bytes[at] = rng.int(256);
      }
      if (rng.chance(0.6)) fixBoth(B.bytes, B.l3);
      return B.bytes;
    }
    case 'random-bytes': {
      const b = randomBytes(rng, rng.int(1600));
      if (b.length >= 14 && rng.chance(0.6)) {
        b[12] = 0x08;
        b[13] = 0x00;
        if (b.length > 14) b[14] = 0x45;
      }
      return b;
    }
    case 'tcp-flags': {
      const B = hostileBase(rng);
      B.bytes[B.l4 + TCP.FLAGS] = rng.int(256);
      fixBoth(B.bytes, B.l3);
      return B.bytes;
    }
    case 'non-tcp': {
      const k = rng.int(4);
      if (k === 0)
        return frame()
          .eth({})
          .ipv4({ src: '172.29.0.1', dst: VALID_DST })
          .udp({ sport: 53, dport: 5353 })
          .payload(rng.int(200))
          .build();
      if (k === 1) return frame().eth({}).arp({}).build();
      if (k === 2)
        return frame()
          .eth({})
          .ipv4({ src: '172.29.0.2', dst: VALID_DST, protocol: IPPROTO.ICMP })
          .payload(rng.int(100))
          .build();
      return frame()
        .eth({ type: [ETHERTYPE.IPV6, 0x88cc, 0x0000, 0xffff][rng.int(4)]! })
        .payload(46 + rng.int(200))
        .build();
    }
    case 'deep-vlan': {
      // 3 to 40 stacked tags: more than a short linear header copy holds (myri10ge copies 64 bytes)
      return hostileBase(rng, { vlans: 3 + rng.int(38), payload: rng.int(400) }).bytes;
    }
    case 'tagged-non-ip': {
      const k = rng.int(4);
      const b = frame().eth(k === 3 ? { type: [ETHERTYPE.IPV6, 0x88cc, 0x0000, 0xffff][rng.int(4)]! } : {});
      const tags = 1 + (rng.chance(0.3) ? 1 + rng.int(2) : 0);
      for (let i = 0; i < tags; i++)
        b.vlan({ vid: 1 + rng.int(4094), ...(i === 0 && tags > 1 && rng.chance(0.5) ? { tpid: ETHERTYPE.QINQ } : {}) });
      if (k === 0) return b.arp({ op: rng.chance(0.5) ? 1 : 2 }).build();
      if (k === 1)
        return b
          .ipv4({ src: '172.28.0.1', dst: VALID_DST })
          .udp({ sport: 53, dport: 5353 })
          .payload(rng.int(200))
          .build();
      if (k === 2)
        return b.ipv4({ src: '172.28.0.2', dst: VALID_DST, protocol: IPPROTO.ICMP }).payload(rng.int(100)).build();
      return b.payload(46 + rng.int(200)).build();
    }
    case 'vlan-short': {
      const n = ETH.HLEN + rng.int(4);
      const b = new Uint8Array(n);
      b.set(frame().eth({}).build().subarray(0, 12));
      b[12] = 0x81;
      b[13] = 0x00;
      return b;
    }
  }
}

/** True when `b` holds the 4-byte (sport, dport) pair of one of the valid flows anywhere. */
export function touchesValidFlow(b: Uint8Array, flows: number): boolean {
  const dHi = VALID_DPORT >>> 8,
    dLo = VALID_DPORT & 0xff;
  for (let i = 0; i + 4 <= b.length; i++) {
    if (b[i + 2] !== dHi || b[i + 3] !== dLo) continue;
    const sport = r16(b, i);
    if (sport >= VALID_SPORT0 && sport < VALID_SPORT0 + flows) return true;
  }
  return false;
}

const IPV6_EXT_KINDS = ['hopByHop', 'routing', 'destination', 'fragment', 'ah'] as const;

/**
 * An IPv6 frame for the layout property test and the IPv6 fuzz runs: a random chain of extension headers (hop-by-hop
 * sometimes out of place, fragments first or not), TCP with or without options, UDP or another protocol, then with
 * probability `hostileShare` one mutation: a cut at a random byte, a wrong payload length, an extension length or
 * next-header byte changed, or random bytes flipped in the headers.
 */
export function ipv6Frame(rng: Prng, hostileShare = 0.5): Uint8Array {
  const b = frame().eth({});
  const vlans = rng.chance(0.2) ? 1 + rng.int(2) : 0;
  for (let i = 0; i < vlans; i++) b.vlan(1 + rng.int(4094));
  const ext: Ipv6ExtSpec[] = [];
  const n = rng.chance(0.5) ? 0 : 1 + rng.int(rng.chance(0.1) ? 10 : 4);
  for (let i = 0; i < n; i++) {
    const kind = IPV6_EXT_KINDS[rng.int(IPV6_EXT_KINDS.length)]!;
    if (kind === 'fragment')
      ext.push({
        kind,
        offset: rng.chance(0.6) ? 0 : 8 * (1 + rng.int(100)),
        more: rng.chance(0.5),
        id: rng.nextU32(),
      });
    else ext.push({ kind, length: kind === 'ah' ? 4 * (3 + rng.int(4)) : 8 * (1 + rng.int(3)) });
  }
  b.ipv6({
    src: `fd00::${(1 + rng.int(0xfffe)).toString(16)}`,
    dst: `2001:db8::${rng.int(0x10000).toString(16)}`,
    hopLimit: rng.int(256),
    flowLabel: rng.int(1 << 20),
    ext,
  });
  const l4 = rng.int(4);
  if (l4 <= 1) {
    b.tcp({
      sport: 50000 + rng.int(10000),
      dport: 7000 + rng.int(1000),
      seq: rng.nextU32(),
      ack: rng.nextU32(),
      flags: 'A',
      ...(l4 === 1 ? { ts: [rng.nextU32(), rng.nextU32()] as [number, number] } : {}),
    });
  } else if (l4 === 2) b.udp({ sport: 53, dport: 5353 });
  b.payload(randomBytes(rng, rng.int(300)));
  const out = b.build();
  if (!rng.chance(hostileShare)) return out;
  const l3 = ETH.HLEN + 4 * vlans;
  switch (rng.int(5)) {
    case 0:
      return out.slice(0, rng.int(out.length));
    case 1:
      put16IfInside(out, l3 + IPV6.PAYLOAD_LEN, rng.int(65536));
      return out;
    case 2: {
      const at = l3 + IPV6.HLEN + rng.int(Math.max(1, Math.min(out.length - l3 - IPV6.HLEN, 64)));
      if (at < out.length) out[at] = rng.int(256);
      return out;
    }
    case 3:
      if (l3 + IPV6.NEXT_HDR < out.length) out[l3 + IPV6.NEXT_HDR] = [0, 43, 44, 51, 60, 6, 17, 59][rng.int(8)]!;
      return out;
    default: {
      const flips = 1 + rng.int(4);
      for (let i = 0; i < flips; i++) {
        const at = rng.int(Math.min(out.length, l3 + 120));
        out[at] = rng.int(256);
      }
      return out;
    }
  }
}
