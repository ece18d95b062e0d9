// The mock stack's IPv6 input, read through wire's layout: TCP behind extension headers (linear skbs and skbs whose
// headers lie in page fragments, a chain too long for the small header window included), checksums per ip_summed,
// ACKs built as Ethernet/IPv6/TCP with a valid checksum, and a named drop for each malformed packet.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../sim/clock.ts';
import { Cpu, ZERO_COST_PROFILE } from '../sim/cost.ts';
import { Stack } from '../stack/stack.ts';
import { segmentFrames } from '../stack/gso.ts';
import { GroEngine } from '../lro/gro.ts';
import { RecordingSink, skbOf } from './support/lro.ts';
import { CHECKSUM_COMPLETE, CHECKSUM_NONE, CHECKSUM_UNNECESSARY } from '../stack/skb.ts';
import {
  ETHERTYPE,
  flowKey,
  fold,
  frame,
  IPPROTO,
  IPV6,
  ipv6PseudoHeaderSum,
  type Ipv6ExtSpec,
  r16,
  r32,
  sumBytes,
} from '../wire/index.ts';
import { expectationOf, skbFromFrame, testStream, type SkbFromFrameOptions } from './support/skb.ts';

const ISN = 7_000_000;
const KEY = flowKey('2001:db8::1', '2001:db8::2', 40000, 5001);

function setup() {
  const clock = new VirtualClock();
  const acks: Uint8Array[] = [];
  const stack = new Stack({
    clock,
    cpu: new Cpu(clock, ZERO_COST_PROFILE),
    sendToWire: (f, len) => acks.push(f.slice(0, len)),
    quickAcks: 64,
  });
  return { clock, stack, acks };
}

function seg(stream: Uint8Array, off: number, len: number, ext: Ipv6ExtSpec[] = []): Uint8Array {
  return frame()
    .ipv6({ src: '2001:db8::1', dst: '2001:db8::2', ext })
    .tcp({ sport: 40000, dport: 5001, seq: ISN + off, ack: 1, flags: 'A', ts: [500, 9] })
    .payload(stream.subarray(off, off + len))
    .build();
}

describe('the stack receives IPv6/TCP', () => {
  const cases: { title: string; ext: Ipv6ExtSpec[]; skb: SkbFromFrameOptions }[] = [
    { title: 'linear, no extension headers, CHECKSUM_NONE', ext: [], skb: {} },
    {
      title: 'hop-by-hop + destination options, CHECKSUM_COMPLETE',
      ext: [{ kind: 'hopByHop' }, { kind: 'destination', length: 16 }],
      skb: { ipSummed: CHECKSUM_COMPLETE },
    },
    { title: 'headers in page fragments (64-byte linear copy)', ext: [{ kind: 'routing' }], skb: { headLen: 64 } },
    {
      title: 'a 600-byte header chain past the small header window, in 100-byte fragments',
      ext: [
        { kind: 'hopByHop', length: 200 },
        { kind: 'destination', length: 400 },
      ],
      skb: { headLen: 64, fragSize: 100 },
    },
    { title: 'CHECKSUM_UNNECESSARY (a NIC verified it)', ext: [], skb: { ipSummed: CHECKSUM_UNNECESSARY } },
  ];
  for (const c of cases)
    it(`${c.title}: every byte, ACKed over IPv6 with a valid checksum`, () => {
      const { clock, stack, acks } = setup();
      const stream = testStream(4 * 1000, 3);
      for (let i = 0; i < 4; i++) stack.netifReceiveSkb(skbFromFrame(seg(stream, i * 1000, 1000, c.ext), c.skb));
      clock.run();
      expect(stack.verify([expectationOf(KEY, ISN, stream)]).allOk).toBe(true);
      const st = stack.stats;
      expect([st.ipIn, st.ipv6In, st.tcpIn, st.tcpDataDelivered, st.dropped]).toEqual([4, 4, 4, 4, 0]);
      expect(st.swCsumSkbs).toBe(c.skb.ipSummed === undefined ? 4 : 0);
      expect(acks.length).toBe(4); // quick-ack mode: one per segment
      const a = acks[3]!;
      const ip = 14,
        tcp = ip + IPV6.HLEN,
        tcpLen = a.length - tcp;
      expect(r16(a, 12)).toBe(ETHERTYPE.IPV6);
      expect([a[ip]! >>> 4, r16(a, ip + IPV6.PAYLOAD_LEN), a[ip + IPV6.NEXT_HDR], a[ip + IPV6.HOP_LIMIT]]).toEqual([
        6,
        tcpLen,
        IPPROTO.TCP,
        64,
      ]);
      // from the flow's destination back to its source
      expect(a.subarray(ip + IPV6.SRC, ip + IPV6.SRC + 16)).toEqual(KEY.addrs.subarray(16));
      expect(a.subarray(ip + IPV6.DST, ip + IPV6.DST + 16)).toEqual(KEY.addrs.subarray(0, 16));
      expect([r16(a, tcp), r16(a, tcp + 2), r32(a, tcp + 8)]).toEqual([5001, 40000, (ISN + 4000) >>> 0]);
      const sum = sumBytes(a, tcp, tcpLen, ipv6PseudoHeaderSum(a, ip + IPV6.SRC, ip + IPV6.DST, IPPROTO.TCP, tcpLen));
      expect(fold(sum)).toBe(0xffff);
    });

  it('drops what is wrong, each under its name', () => {
    const { clock, stack } = setup();
    const stream = testStream(1000);
    const good = seg(stream, 0, 1000);
    const badSum = good.slice();
    badSum[badSum.length - 1]! ^= 1;
    const version = good.slice();
    version[14] = 0x45; // an IPv4 version nibble under EtherType 0x86dd
    const truncated = good.slice(0, 14 + 40 + 20);
    const hbhLate = seg(stream, 0, 1000, [{ kind: 'destination' }, { kind: 'hopByHop' }]);
    const fragment = seg(stream, 0, 1000, [{ kind: 'fragment', more: true, id: 1 }]);
    for (const f of [badSum, version, truncated, hbhLate, fragment])
      stack.netifReceiveSkb(skbFromFrame(f, { ipSummed: CHECKSUM_NONE }));
    clock.run();
    const d = stack.stats.drops;
    expect([d.tcp_csum_errors, d.ip_bad_version, d.ip_truncated, d.ipv6_ext_hdr_bad, d.ip_frag_dropped]).toEqual([
      1, 1, 1, 1, 1,
    ]);
    expect(stack.stats.dropped).toBe(5);
  });
  it('a payload length past 65,495 that the field still says (not BIG TCP) is received, not taken for a length of 0', () => {
    const { clock, stack } = setup();
    const stream = testStream(65_480, 5);
    const big = seg(stream, 0, 65_480); // payload length 65,512: 32 TCP header bytes + data, 40 + 65,512 past 65,535
    expect(r16(big, 14 + IPV6.PAYLOAD_LEN)).toBe(65_512);
    stack.netifReceiveSkb(skbFromFrame(big, {}));
    clock.run();
    expect(stack.verify([expectationOf(KEY, ISN, stream)]).allOk).toBe(true);
    expect([stack.stats.tcpDataDelivered, stack.stats.ipBigTcp, stack.stats.dropped]).toEqual([1, 0, 0]);
  });
});

describe('GSO over IPv6 (stack/gso.ts)', () => {
  it('segment(gro(segments)) gives back the IPv6 segments byte for byte, extension header included', () => {
    const sink = new RecordingSink();
    const g = new GroEngine({ sink });
    const stream = testStream(5 * 1200, 9);
    const ext: Ipv6ExtSpec[] = [{ kind: 'destination', length: 8 }];
    const input = [0, 1, 2, 3, 4].map((i) => seg(stream, i * 1200, 1200, ext));
    for (const f of input) g.groReceive(skbOf(f));
    g.flush();
    expect(sink.got.length).toBe(1); // one aggregate of five segments
    const out = segmentFrames(sink.got[0]!.skb);
    expect(out.map((s) => [s.frame.length, s.ipOffset, s.tcpOffset])).toEqual(input.map((f) => [f.length, 14, 62]));
    for (let i = 0; i < input.length; i++) expect(out[i]!.frame).toEqual(input[i]);
  });
});
