// The Linux GRO selftest catalogue (tools/testing/selftests/net/gro.c: data, ack, flags, tcp, ip,
// large) rebuilt as frames with the lab's own builder, for IPv4, IPv6 and 802.1Q-tagged IPv4, plus
// the tag cases vlan_gro_receive decides. Each case is one burst: the selftest's frames in its order,
// closed by its FIN, so every case can be put to this machine's kernel (ask-kernel.ts) and to the lab
// (gro-catalogue.test.ts) on its own. The selftest's addresses, ports, lengths and sequence numbers
// are kept, so its expected geometry reads across.
import { readCapture, type CaptureRecord } from '../../tap/index.ts';
import {
  decodeFrame,
  frame,
  parseL2,
  WireError,
  type FrameBuilder,
  type Ipv4Spec,
  type Ipv6Spec,
  type TcpSpec,
  type VlanSpec,
} from '../../wire/index.ts';

export type Family = 'ipv4' | 'ipv6' | 'vlan';

export interface CatalogueCase {
  /** family/test/variant, e.g. ipv4/ip/flush-id-df1-fixed. */
  id: string;
  family: Family;
  frames: Uint8Array[];
  /** The selftest's expected payload lengths (its correct_payload), for cases it checks; the FIN closes each. */
  selftest?: number[];
  /** For tag cases the kernel here cannot be asked (no CONFIG_VLAN_8021Q): why, and the expectation from vlan_gro_receive's rules. */
  fromSource?: { why: string; payloads: number[] };
}

const PAYLOAD_LEN = 100;
const START_SEQ = 100;
const START_ACK = 100;
/** The selftest's MSS: 4096 minus the TCP and IPv6 headers, so "large" needs few segments. */
export const LARGE_MSS = 4096 - 20 - 40;
/** IP_MAXPACKET minus the TCP and IPv6 headers. */
const MAX_PAYLOAD = 65535 - 20 - 40;
const NUM_LARGE_PKT = Math.floor(MAX_PAYLOAD / LARGE_MSS);
export const CATALOGUE_VLAN: VlanSpec = { vid: 100 };

interface Seg {
  seqOff: number;
  len: number;
  ackOff?: number;
  flags?: string;
  ip?: Partial<Ipv4Spec>;
  ip6?: Partial<Ipv6Spec>;
  tcp?: Partial<TcpSpec>;
  vlans?: VlanSpec[];
  /** Zero bytes after the packet up to this frame length (Ethernet's 60-byte minimum). */
  padTo?: number;
  /** Added to the TCP checksum the builder computes (a wrong checksum). */
  csumDelta?: number;
  /** Bytes of payload in the frame when it is shorter than the length the headers claim (IPv4 fragment). */
  tcpLen?: number;
}

function build(family: Family, s: Seg): Uint8Array {
  const b: FrameBuilder = frame().eth({ src: 'aa:00:00:00:00:02', dst: 'aa:00:00:00:00:01' });
  for (const v of s.vlans ?? (family === 'vlan' ? [CATALOGUE_VLAN] : [])) b.vlan(v);
  if (family === 'ipv6') b.ipv6({ src: 'fdaa::2', dst: 'fdaa::1', hopLimit: 8, ...s.ip6 });
  // a frame shorter than its TCP checksum covers (the selftest's fragment) claims only what it carries
  else
    b.ipv4({
      src: '192.168.1.200',
      dst: '192.168.1.100',
      ttl: 8,
      df: true,
      id: 0,
      ...(s.tcpLen !== undefined ? { totalLength: 40 + s.len } : {}),
      ...s.ip,
    });
  const tcp: TcpSpec = {
    sport: 1500,
    dport: 8000,
    seq: START_SEQ + s.seqOff,
    ack: START_ACK + (s.ackOff ?? 0),
    flags: s.flags ?? 'A',
    window: 65535,
    ...s.tcp,
  };
  b.tcp(tcp).payload(new Uint8Array(s.tcpLen ?? s.len).fill(0x61));
  if (s.padTo !== undefined) b.pad(s.padTo);
  let f = b.build();
  if (s.tcpLen !== undefined) f = f.slice(0, f.length - (s.tcpLen - s.len));
  if (s.csumDelta !== undefined) {
    const at = l4Start(f) + 16;
    const c = ((f[at]! << 8) | f[at + 1]!) + s.csumDelta;
    f[at] = (c >>> 8) & 0xff;
    f[at + 1] = c & 0xff;
  }
  return f;
}

/** Start of the TCP header of a frame `build` made. */
function l4Start(f: Uint8Array): number {
  const d = decodeFrame(f);
  if (d instanceof WireError || d.l4Offset === undefined)
    throw new Error(`catalogue frame does not decode: ${String(d)}`);
  return d.l4Offset;
}

const FIN: Seg = { seqOff: PAYLOAD_LEN * 2, len: 0, flags: 'FA' };

function one(
  family: Family,
  test: string,
  variant: string,
  segs: Seg[],
  selftest?: number[],
  fromSource?: CatalogueCase['fromSource'],
): CatalogueCase {
  return {
    id: `${family}/${test}/${variant}`,
    family,
    frames: [...segs, FIN].map((s) => build(family, s)),
    ...(selftest !== undefined ? { selftest } : {}),
    ...(fromSource !== undefined ? { fromSource } : {}),
  };
}

function data(_f: Family, a: number, b: number): Seg[] {
  return [
    { seqOff: 0, len: a },
    { seqOff: a, len: b },
  ];
}

/** One flag in the third of five segments (send_flags). PSH carries data; SYN, RST and URG segments are empty. */
function flagged(flag: string): Seg[] {
  const psh = flag === 'P';
  const len = psh ? PAYLOAD_LEN : 0;
  return [0, 1, 2, 3, 4].map((i) =>
    i === 2
      ? { seqOff: 2 * len, len, flags: `A${flag}`, ...(flag === 'U' ? { tcp: { urgent: 0 } } : {}) }
      : { seqOff: i * PAYLOAD_LEN, len: PAYLOAD_LEN },
  );
}

/** {NOP, NOP, TS} in one of three orders, the timestamp value given (add_standard_tcp_options). */
function tsOpts(tsval: number, order: 0 | 1 | 2): Partial<TcpSpec> {
  const ts = { kind: 'timestamp' as const, tsval, tsecr: 0 },
    nop = { kind: 'nop' as const };
  return { options: order === 0 ? [nop, nop, ts] : order === 1 ? [nop, ts, nop] : [ts, nop, nop] };
}

function familyCases(f: Family): CatalogueCase[] {
  const P = PAYLOAD_LEN;
  const out: CatalogueCase[] = [
    one(f, 'data', 'same-size', data(f, P, P), [2 * P]),
    one(f, 'data', 'larger-then-smaller', data(f, P, P / 2), [1.5 * P]),
    one(f, 'data', 'smaller-then-larger', data(f, P / 2, P), [P / 2, P]),
    one(
      f,
      'ack',
      'pure-and-duplicate',
      [
        { seqOff: 0, len: 0 },
        { seqOff: 0, len: 0 },
        { seqOff: 0, len: 0, ackOff: 1 },
      ],
      [0, 0, 0],
    ),
    one(f, 'flags', 'psh', flagged('P'), [3 * P, 2 * P]),
    one(f, 'flags', 'syn', flagged('S'), [2 * P, 0, 2 * P]),
    one(f, 'flags', 'rst', flagged('R'), [2 * P, 0, 2 * P]),
    one(f, 'flags', 'urg', flagged('U'), [2 * P, 0, 2 * P]),
    one(
      f,
      'tcp',
      'bad-checksum',
      [
        { seqOff: 0, len: P },
        { seqOff: P, len: P, csumDelta: -1 },
      ],
      [P, P],
    ),
    one(
      f,
      'tcp',
      'seq-gap',
      [
        { seqOff: 0, len: P },
        { seqOff: P + 1, len: P },
      ],
      [P, P],
    ),
    one(
      f,
      'tcp',
      'timestamps',
      [
        { seqOff: 0, len: P, tcp: tsOpts(0, 0) },
        { seqOff: P, len: P, tcp: tsOpts(0, 0) },
        { seqOff: 2 * P, len: P, tcp: tsOpts(100, 0) },
        { seqOff: 3 * P, len: P, tcp: tsOpts(100, 1) },
        { seqOff: 4 * P, len: P, tcp: tsOpts(100, 2) },
      ],
      [2 * P, P, P, P],
    ),
    one(
      f,
      'tcp',
      'options-differ',
      [
        { seqOff: 0, len: P, tcp: tsOpts(0, 0) },
        { seqOff: P, len: P, tcp: tsOpts(0, 0) },
        { seqOff: 2 * P, len: P, tcp: { options: [{ kind: 'nop' }, { kind: 'wscale', shift: 0 }] } },
      ],
      [2 * P, P],
    ),
    one(
      f,
      'ip',
      'ecn-differs',
      [
        { seqOff: 0, len: P },
        { seqOff: P, len: P, ip: { tos: 0x02 }, ip6: { trafficClass: 0x02 } },
      ],
      [P, P],
    ),
    one(
      f,
      'ip',
      'tos-differs',
      [
        { seqOff: 0, len: P },
        { seqOff: P, len: P, ip: { tos: 0x01 }, ip6: { trafficClass: 0xf0 } },
      ],
      [P, P],
    ),
  ];
  if (f === 'ipv6') {
    out.push(
      // the selftest does not check these two: the IPv6 fields besides the traffic class
      one(f, 'ip', 'hop-limit-differs', [
        { seqOff: 0, len: P },
        { seqOff: P, len: P, ip6: { hopLimit: 7 } },
      ]),
      one(f, 'ip', 'flow-label-differs', [
        { seqOff: 0, len: P },
        { seqOff: P, len: P, ip6: { flowLabel: 1 } },
      ]),
      one(
        f,
        'ip',
        'fragment-header',
        [
          { seqOff: 0, len: P },
          { seqOff: P, len: P },
          { seqOff: 2 * P, len: P, ip6: { ext: [{ kind: 'fragment' }] } },
          { seqOff: 3 * P, len: P },
        ],
        [2 * P, P, P],
      ),
      one(
        f,
        'ip',
        'ext-header-same',
        [0, 1].map((i) => ({
          seqOff: i * P,
          len: P,
          ip6: { ext: [{ kind: 'hopByHop', options: new Uint8Array(6) }] },
        })),
        [2 * P],
      ),
      one(
        f,
        'ip',
        'ext-header-differs',
        [0, 1].map((i) => ({
          seqOff: i * P,
          len: P,
          ip6: { ext: [{ kind: 'hopByHop', options: new Uint8Array(6).fill(i === 0 ? 0 : 0x11) }] },
        })),
        [P, P],
      ),
    );
  } else {
    // IPv4 timestamp option as the selftest sends it: struct ip_timestamp is 40 bytes (code, length, pointer 5, flags 0, nine zero words)
    const tsOption = new Uint8Array(40);
    tsOption.set([68, 40, 5, 0]);
    out.push(
      // not in the selftest: a frame padded to Ethernet's minimum (what a NIC hands up for a short frame) joins no packet
      one(f, 'ip', 'padded-fin', [
        { seqOff: 0, len: P },
        { seqOff: P, len: P },
        { ...FIN, padTo: 60 },
      ]),
      one(
        f,
        'ip',
        'ttl-differs',
        [
          { seqOff: 0, len: P },
          { seqOff: P, len: P, ip: { ttl: 7 } },
        ],
        [P, P],
      ),
      one(
        f,
        'ip',
        'ip-options',
        [
          { seqOff: 0, len: P },
          { seqOff: P, len: P, ip: { options: tsOption } },
          { seqOff: 2 * P, len: P },
        ],
        [P, P, P],
      ),
      one(
        f,
        'ip',
        'fragment',
        [
          { seqOff: 0, len: P },
          { seqOff: P, len: P, tcpLen: 2 * P, ip: { mf: true } },
        ],
        [P, P],
      ),
    );
    // the is_atomic cases: DF on/off, IP IDs incrementing or fixed (send_flush_id_case)
    const idCase = (variant: string, df: boolean, ids: number[], selftest: number[]): CatalogueCase =>
      one(
        f,
        'ip',
        `flush-id-${variant}`,
        ids.map((id, i) => ({ seqOff: i * P, len: P, ip: { df, id } })),
        selftest,
      );
    out.push(
      idCase('df1-incrementing', true, [8, 9], [2 * P]),
      idCase('df1-fixed', true, [8, 8], [2 * P]),
      idCase('df0-incrementing', false, [8, 9], [2 * P]),
      idCase('df0-fixed', false, [8, 8], [2 * P]),
      idCase('df1-incrementing-then-fixed', true, [8, 9, 9], [2 * P, P]),
      idCase('df1-fixed-then-incrementing', true, [8, 8, 9], [2 * P, P]),
      // not in the selftest: a DF change inside a flow, and an ID that jumps
      one(f, 'ip', 'flush-id-df-changes', [
        { seqOff: 0, len: P, ip: { df: true, id: 8 } },
        { seqOff: P, len: P, ip: { df: false, id: 9 } },
      ]),
      idCase('df0-id-jumps', false, [8, 10], [P, P]),
    );
  }
  // large: segments up to the IP limit (send_large), then the same with one byte more in the last two
  const offset = f === 'ipv6' ? 0 : 20;
  const remainder = (MAX_PAYLOAD + offset) % LARGE_MSS;
  const large = (last: number): Seg[] => [
    ...Array.from({ length: NUM_LARGE_PKT }, (_, i) => ({ seqOff: i * LARGE_MSS, len: LARGE_MSS })),
    { seqOff: NUM_LARGE_PKT * LARGE_MSS, len: last },
    { seqOff: (NUM_LARGE_PKT + 1) * LARGE_MSS, len: last },
  ];
  const fit = MAX_PAYLOAD + offset;
  // in-band, the 4-byte tag counts toward the 64 KB limit (the held skb's length starts at the tag)
  const inBand =
    f === 'vlan'
      ? {
          why: "in-band tag: the held packet's length includes the 4-byte tag, so the 17th segment no longer fits",
          payloads: [fit - remainder, remainder, remainder],
        }
      : undefined;
  out.push(one(f, 'large', 'fits', large(remainder), [fit, remainder], inBand));
  out.push(one(f, 'large', 'one-byte-over', large(remainder + 1), [fit - remainder, remainder + 1, remainder + 1]));
  return out;
}

/** Tag cases: which tags must match (vlan_gro_receive compares the whole tag; 802.1ad outer tags stack). */
function vlanCases(): CatalogueCase[] {
  const P = PAYLOAD_LEN;
  const why =
    "tags in the frame: this kernel has no CONFIG_VLAN_8021Q, so the answer is vlan_gro_receive's rule (a different tag is another flow)";
  const c = (variant: string, tags: VlanSpec[][], payloads: number[]): CatalogueCase =>
    one(
      'vlan',
      'tag',
      variant,
      tags.map((vlans, i) => ({ seqOff: i * P, len: P, vlans })),
      undefined,
      { why, payloads },
    );
  return [
    c('vid-differs', [[{ vid: 100 }], [{ vid: 200 }]], [P, P]),
    c('pcp-differs', [[{ vid: 100 }], [{ vid: 100, pcp: 5 }]], [P, P]),
    c(
      'qinq-same',
      [
        [{ vid: 10, tpid: 0x88a8 }, { vid: 100 }],
        [{ vid: 10, tpid: 0x88a8 }, { vid: 100 }],
      ],
      [2 * P],
    ),
    c(
      'qinq-outer-differs',
      [
        [{ vid: 10, tpid: 0x88a8 }, { vid: 100 }],
        [{ vid: 11, tpid: 0x88a8 }, { vid: 100 }],
      ],
      [P, P],
    ),
  ];
}

/** Every case, IPv4 then IPv6 then tagged IPv4. */
export function catalogue(): CatalogueCase[] {
  return [...familyCases('ipv4'), ...familyCases('ipv6'), ...familyCases('vlan'), ...vlanCases()];
}

export { summarize, type PacketSummary } from '../../lab/kernel-gro.ts';

/** The frame with its VLAN tags taken out (what a tag-stripping NIC hands the stack, the tags going to packet metadata). */
export function stripTags(f: Uint8Array): Uint8Array {
  const d = parseL2(f, 0, f.length);
  if (d instanceof WireError) throw new Error(`catalogue frame does not decode: ${d.message}`);
  const tagBytes = 4 * d.vlans.length;
  if (tagBytes === 0) return f;
  const out = new Uint8Array(f.length - tagBytes);
  out.set(f.subarray(0, 12));
  out.set(f.subarray(12 + tagBytes), 12);
  return out;
}

/** A case's frames as the capture records `runLab` replays (`records`), at time 0 and in order. */
export function frameRecords(frames: readonly Uint8Array[]): CaptureRecord[] {
  return frames.map(
    (data, index) =>
      ({
        index,
        offset: 0,
        tsSec: 0,
        tsNsec: 0,
        data,
        origLen: data.length,
        interfaceId: 0,
        linktype: 1,
      }) as CaptureRecord,
  );
}

/** The frames of a capture file, each its own copy (readCapture's views are reused from record to record). */
export function readFrames(path: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const r of readCapture(path)) out.push(r.data.slice());
  return out;
}
