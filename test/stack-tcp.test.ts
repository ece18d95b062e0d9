// TCP receive in the mock stack: in-order, out-of-order, duplicates, overlaps, retransmissions,
// aggregates (frag_list and page frags), checksums per ip_summed, ACK counts under both counting
// rules, and the ACK frames themselves. Every stream is checked against a StreamHash.
import { describe, it, expect } from 'vitest';
import { VirtualClock } from '../sim/clock.ts';
import { Cpu, ZERO_COST_PROFILE } from '../sim/cost.ts';
import type { FlowKey } from '../sim/flows.ts';
import { Stack, type StackOptions } from '../stack/stack.ts';
import { skbFromFrame, expectationOf, testStream, type SkbFromFrameOptions } from './support/skb.ts';
import { CHECKSUM_NONE, CHECKSUM_UNNECESSARY, CHECKSUM_COMPLETE, CHECKSUM_PARTIAL } from '../stack/skb.ts';
import {
  frame,
  decodeFrame,
  WireError,
  parseIpv4,
  checksum,
  sumBytes,
  fold,
  pseudoHeaderSum,
  type DecodedFrame,
} from '../wire/index.ts';

const ISN = 1_000_000;
const KEY: FlowKey = { saddr: parseIpv4('10.0.0.1'), daddr: parseIpv4('10.0.0.2'), sport: 40000, dport: 5001 };

interface SentAck {
  t: number;
  f: DecodedFrame;
  bytes: Uint8Array;
}

/** A stack whose flows are past their quick-ack start (quickAcks 0) unless `opts` says otherwise: these tests are about the steady-state rule. */
function setup(opts: Partial<StackOptions> = {}) {
  const clock = new VirtualClock();
  const acks: SentAck[] = [];
  const stack = new Stack({
    clock,
    cpu: new Cpu(clock, ZERO_COST_PROFILE),
    sendToWire: (fr, len, t) => {
      const bytes = fr.slice(0, len);
      const f = decodeFrame(bytes);
      if (f instanceof WireError) throw f;
      acks.push({ t, f, bytes });
    },
    quickAcks: 0,
    ...opts,
  });
  return { clock, stack, acks };
}

/** A segment of `stream` at byte offset `off`. */
function seg(
  stream: Uint8Array,
  off: number,
  len: number,
  o: { flags?: string; ts?: [number, number]; vlan?: number } = {},
): Uint8Array {
  let b = frame();
  if (o.vlan !== undefined) b = b.vlan(o.vlan);
  return b
    .ipv4({})
    .tcp({ seq: ISN + off, ack: 777, flags: o.flags ?? 'A', ...(o.ts ? { ts: o.ts } : {}) })
    .payload(stream.subarray(off, off + len))
    .build();
}

const ackNos = (acks: SentAck[]): number[] => acks.map((a) => a.f.tcp!.ack - ISN);

function deliver(stack: Stack, fr: Uint8Array, o: SkbFromFrameOptions = {}): void {
  stack.netifReceiveSkb(skbFromFrame(fr, { ipSummed: CHECKSUM_NONE, ...o }));
}

describe('TCP receive: ordering', () => {
  it('in order: every byte delivered, ACK every second segment', () => {
    const { stack, acks } = setup({ ackCounting: 'per-packet' });
    const s = testStream(10_000);
    for (let i = 0; i < 10; i++) deliver(stack, seg(s, i * 1000, 1000));
    expect(ackNos(acks)).toEqual([2000, 4000, 6000, 8000, 10000]);
    const v = stack.verify([expectationOf(KEY, ISN, s)]);
    expect(v.allOk).toBe(true);
    expect(v.flows[0]).toMatchObject({
      bytesDelivered: 10_000,
      segmentsIn: 10,
      packetsToStack: 10,
      acksSent: 5,
      byteStreamOk: true,
    });
    expect(stack.stats.consumed).toBe(10);
  });

  it('an odd segment is ACKed by the 40 ms delayed-ACK timer', () => {
    const { clock, stack, acks } = setup();
    const s = testStream(3000);
    for (let i = 0; i < 3; i++) deliver(stack, seg(s, i * 1000, 1000));
    expect(ackNos(acks)).toEqual([2000]);
    clock.run();
    expect(ackNos(acks)).toEqual([2000, 3000]);
    expect(acks[1]!.t).toBe(40_000_000);
    expect(stack.stats.delayedAcksSent).toBe(1);
  });

  it('out of order: dup ACK at once, immediate ACK when the hole fills', () => {
    const { clock, stack, acks } = setup();
    const s = testStream(4000);
    for (const i of [0, 2, 1, 3]) deliver(stack, seg(s, i * 1000, 1000));
    // 0: delack armed; 2: dup ACK 1000; 1: fills the hole → ACK 3000; 3: delack → 4000 at 40 ms
    expect(ackNos(acks)).toEqual([1000, 3000]);
    clock.run();
    expect(ackNos(acks)).toEqual([1000, 3000, 4000]);
    expect(stack.stats.dupAcksSent).toBe(1);
    expect(stack.stats.tcpOutOfOrder).toBe(1);
    expect(stack.verify([expectationOf(KEY, ISN, s)]).allOk).toBe(true);
  });

  it('duplicates and retransmissions are dropped as tcp_duplicate and answered by a dup ACK', () => {
    const { clock, stack, acks } = setup();
    const s = testStream(3000);
    for (const i of [0, 1, 1, 2, 0]) deliver(stack, seg(s, i * 1000, 1000));
    clock.run();
    // the last duplicate (segment 0 again) arrives after segment 2: its dup ACK carries 3000 and replaces the delayed ACK
    expect(ackNos(acks)).toEqual([2000, 2000, 3000]);
    expect(stack.stats.drops.tcp_duplicate).toBe(2);
    expect(stack.verify([expectationOf(KEY, ISN, s)]).allOk).toBe(true);
  });

  it('loss then retransmission of the hole (several segments queued out of order)', () => {
    const { clock, stack, acks } = setup();
    const s = testStream(5000);
    for (const i of [0, 2, 3, 4, 1]) deliver(stack, seg(s, i * 1000, 1000));
    clock.run();
    expect(ackNos(acks)).toEqual([1000, 1000, 1000, 5000]);
    expect(stack.verify([expectationOf(KEY, ISN, s)]).allOk).toBe(true);
    expect(stack.held).toBe(0);
  });

  it('overlapping segments, in order and in the out-of-order queue, are trimmed', () => {
    const { clock, stack } = setup();
    const s = testStream(5000);
    deliver(stack, seg(s, 0, 1000));
    deliver(stack, seg(s, 500, 1000)); // partial overlap, in order
    deliver(stack, seg(s, 3000, 1000)); // out of order
    deliver(stack, seg(s, 2000, 1500)); // out of order, overlaps the queued one
    deliver(stack, seg(s, 3200, 300)); // inside a queued one: ofo duplicate
    deliver(stack, seg(s, 1200, 1000)); // overlaps delivered data, fills the hole
    deliver(stack, seg(s, 4000, 1000));
    clock.run();
    expect(stack.stats.tcpPartialOverlap).toBe(2);
    expect(stack.stats.drops.tcp_ofo_duplicate).toBe(1);
    const v = stack.verify([expectationOf(KEY, ISN, s)]);
    expect(v.flows[0]!.bytesDelivered).toBe(5000);
    expect(v.allOk).toBe(true);
    expect(stack.stats.consumed + stack.stats.dropped + stack.held).toBe(stack.stats.skbsIn);
  });

  it('a flow may begin mid-stream (first segment sets rcv_nxt) or with a SYN', () => {
    const { stack } = setup();
    const s = testStream(2000);
    deliver(
      stack,
      frame()
        .ipv4({})
        .tcp({ seq: ISN - 1, flags: 'S' })
        .build(),
    );
    deliver(stack, seg(s, 0, 1000));
    deliver(stack, seg(s, 1000, 1000));
    const other: FlowKey = { ...KEY, sport: 40001 };
    deliver(stack, frame().ipv4({}).tcp({ sport: 40001, seq: 5555 }).payload(s.subarray(0, 700)).build());
    const v = stack.verify([expectationOf(KEY, ISN, s), expectationOf(other, 5555, s.subarray(0, 700))]);
    expect(v.allOk).toBe(true);
    expect(stack.stats.tcpSyn).toBe(1);
  });

  it('expectFlows makes a stream start at its ISN even when a later segment arrives first', () => {
    const { stack } = setup();
    const s = testStream(2000);
    const e = expectationOf(KEY, ISN, s);
    stack.expectFlows([e]);
    deliver(stack, seg(s, 1000, 1000));
    deliver(stack, seg(s, 0, 1000));
    expect(stack.verify([e]).allOk).toBe(true);
  });

  it('verify reports missing and unexpected flows and a wrong stream', () => {
    const { stack } = setup();
    const s = testStream(1000);
    deliver(stack, seg(s, 0, 1000));
    const wrong = testStream(1000, 9);
    const v = stack.verify([expectationOf(KEY, ISN, wrong), expectationOf({ ...KEY, sport: 1 }, 0, s)]);
    expect(v.flows.map((f) => f.byteStreamOk)).toEqual([false, false]);
    expect(v.missingFlows).toEqual(['10.0.0.1:1>10.0.0.2:5001']);
    expect(v.unexpectedFlows).toEqual([]);
    const v2 = stack.verify([]);
    expect(v2.unexpectedFlows).toEqual(['10.0.0.1:40000>10.0.0.2:5001']);
    expect(v2.allOk).toBe(false);
    expect(v.bytesVerified).toBe(0);
  });
});

describe('TCP receive: quick-ack mode', () => {
  it('a new flow ACKs its first quickAcks segments at once, then every second one', () => {
    const { stack, acks } = setup({ ackCounting: 'gso_segs', quickAcks: 3 });
    const s = testStream(9000);
    for (let i = 0; i < 9; i++) deliver(stack, seg(s, i * 1000, 1000));
    expect(ackNos(acks)).toEqual([1000, 2000, 3000, 5000, 7000, 9000]);
    expect(stack.stats.quickAcksSent).toBe(3);
  });

  it('out-of-order data puts the flow back in quick-ack mode', () => {
    const { stack, acks } = setup({ ackCounting: 'gso_segs', quickAcks: 2 });
    const s = testStream(8000);
    for (let i = 0; i < 4; i++) deliver(stack, seg(s, i * 1000, 1000)); // quick, quick, -, ACK 4000
    deliver(stack, seg(s, 5000, 1000)); // hole at 4000: dup ACK, quick mode again
    deliver(stack, seg(s, 4000, 1000)); // fills the hole: ACK 6000 at once
    deliver(stack, seg(s, 6000, 1000)); // quick
    deliver(stack, seg(s, 7000, 1000)); // quick
    expect(ackNos(acks)).toEqual([1000, 2000, 4000, 4000, 6000, 7000, 8000]);
  });
});

describe('TCP receive: aggregates and ACK counting', () => {
  /** One 5-segment aggregate (as LRO would build it) covering stream[off, off+5000). */
  const agg = (s: Uint8Array, off: number) => seg(s, off, 5000);

  for (const [mode, expected] of [
    ['gso_segs', [5000, 10000, 15000, 20000]],
    ['per-packet', [10000, 20000]],
  ] as const) {
    it(`4 aggregates of 5 segments, ackCounting ${mode}: ACKs ${expected.join(',')}`, () => {
      const { clock, stack, acks } = setup({ ackCounting: mode });
      const s = testStream(20_000);
      for (let i = 0; i < 4; i++) {
        // alternate frag_list chains (skb mode) and page frags (frags mode); software checksum over both
        const o: SkbFromFrameOptions =
          i % 2 === 0
            ? { headLen: 66 + 1000, chainSize: 1000, wireFrames: 5 }
            : { headLen: 66, fragSize: 1000, wireFrames: 5 };
        deliver(stack, agg(s, i * 5000), o);
      }
      clock.run();
      expect(ackNos(acks)).toEqual(expected);
      const v = stack.verify([expectationOf(KEY, ISN, s)]);
      expect(v.allOk).toBe(true);
      expect(v.flows[0]).toMatchObject({ segmentsIn: 20, packetsToStack: 4 });
      expect(stack.stats.swCsumSkbs).toBe(4);
      expect(stack.stats.swCsumBytes).toBe(4 * 5020);
    });
  }

  it('GRO aggregates (CHECKSUM_PARTIAL, gso_segs) count gso_segs', () => {
    const { stack, acks } = setup({ ackCounting: 'gso_segs' });
    const s = testStream(3000);
    deliver(stack, seg(s, 0, 3000), {
      ipSummed: CHECKSUM_PARTIAL,
      gsoSegs: 3,
      gsoSize: 1000,
      headLen: 66,
      fragSize: 700,
    });
    expect(ackNos(acks)).toEqual([3000]);
    expect(stack.stats.swCsumSkbs).toBe(0);
    expect(stack.verify([expectationOf(KEY, ISN, s)]).allOk).toBe(true);
  });

  it('an aggregate whose headers straddle the linear part and the frags is still parsed', () => {
    const { stack } = setup();
    const s = testStream(4000);
    deliver(stack, seg(s, 0, 4000, { ts: [1, 2] }), { headLen: 30, fragSize: 1000, wireFrames: 4 });
    expect(stack.verify([expectationOf(KEY, ISN, s)]).allOk).toBe(true);
  });
});

describe('checksums per ip_summed', () => {
  const s = testStream(1000);
  const corrupt = (): Uint8Array => {
    const f = seg(s, 0, 1000);
    f[100]! ^= 0xff;
    return f;
  };

  it('CHECKSUM_NONE: a bad TCP checksum is dropped (tcp_csum_errors)', () => {
    const { stack, acks } = setup();
    deliver(stack, corrupt());
    expect(stack.stats.drops.tcp_csum_errors).toBe(1);
    expect(stack.stats.bytesDelivered).toBe(0);
    expect(acks.length).toBe(0);
  });

  it('CHECKSUM_UNNECESSARY: trusted (the corrupt payload reaches the socket; the stream check catches it)', () => {
    const { stack } = setup();
    deliver(stack, corrupt(), { ipSummed: CHECKSUM_UNNECESSARY });
    expect(stack.stats.drops.tcp_csum_errors).toBe(0);
    const v = stack.verify([expectationOf(KEY, ISN, s)]);
    expect(v.flows[0]!.bytesDelivered).toBe(1000);
    expect(v.flows[0]!.byteStreamOk).toBe(false);
  });

  it('CHECKSUM_COMPLETE: the hardware sum validates a good segment and rejects a wrong one', () => {
    const { stack } = setup();
    deliver(stack, seg(s, 0, 1000), { ipSummed: CHECKSUM_COMPLETE });
    expect(stack.stats.bytesDelivered).toBe(1000);
    const f = seg(s, 1000 - 1000, 1000);
    const good = fold(sumBytes(f, 14, f.length - 14));
    deliver(stack, f, { ipSummed: CHECKSUM_COMPLETE, csum: good ^ 0x10 });
    expect(stack.stats.drops.tcp_csum_errors).toBe(1);
    // the NIC sums what it received: corrupted data gives a sum that does not validate
    deliver(stack, corrupt(), { ipSummed: CHECKSUM_COMPLETE });
    expect(stack.stats.drops.tcp_csum_errors).toBe(2);
    expect(stack.stats.swCsumSkbs).toBe(0);
  });

  it('IPv4 header checksum is checked unless CHECKSUM_UNNECESSARY', () => {
    const { stack } = setup();
    const bad = frame().ipv4({ checksum: 0x1234 }).tcp({ seq: ISN }).payload(s.subarray(0, 1000)).build();
    deliver(stack, bad);
    expect(stack.stats.drops.ip_csum_errors).toBe(1);
    deliver(stack, bad, { ipSummed: CHECKSUM_UNNECESSARY });
    expect(stack.stats.drops.ip_csum_errors).toBe(1);
    expect(stack.stats.bytesDelivered).toBe(1000);
  });
});

describe('IPv4 input and VLAN', () => {
  it('trims Ethernet padding (pskb_trim_rcsum); CHECKSUM_COMPLETE over padding falls back to software (2.6.24)', () => {
    const { stack } = setup();
    const s = testStream(8);
    const f1 = frame().ipv4({}).tcp({ seq: ISN }).payload(s.subarray(0, 4)).pad(60).build();
    const f2 = frame()
      .ipv4({})
      .tcp({ seq: ISN + 4 })
      .payload(s.subarray(4, 8))
      .pad(60)
      .build();
    expect(f1.length).toBe(60);
    deliver(stack, f1);
    deliver(stack, f2, { ipSummed: CHECKSUM_COMPLETE });
    expect(stack.stats.ipPaddingTrimmed).toBe(2);
    expect(stack.stats.csumCompleteDowngraded).toBe(1);
    expect(stack.stats.swCsumSkbs).toBe(2);
    expect(stack.verify([expectationOf(KEY, ISN, s)]).allOk).toBe(true);
  });

  it('drops truncated packets, bad versions, bad ihl, fragments; counts UDP, ICMP, other protocols and non-IP', () => {
    const { stack } = setup();
    const tcp = frame().ipv4({}).tcp({ seq: ISN }).payload(100).build();
    deliver(stack, tcp.subarray(0, tcp.length - 10)); // shorter than tot_len
    deliver(stack, frame().ipv4({ version: 6 }).tcp({}).payload(10).build());
    deliver(stack, frame().ipv4({ ihl: 4 }).tcp({}).payload(10).build());
    deliver(stack, frame().ipv4({ mf: true }).tcp({}).payload(10).build());
    deliver(stack, frame().ipv4({ fragOffset: 100 }).udp({}).payload(10).build());
    deliver(stack, frame().ipv4({}).udp({}).payload(10).build());
    deliver(stack, frame().ipv4({ protocol: 1 }).payload(10).build());
    deliver(stack, frame().ipv4({ protocol: 47 }).payload(10).build());
    deliver(stack, frame().arp({}).build());
    deliver(
      stack,
      frame()
        .ipv4({})
        .tcp({})
        .build()
        .subarray(0, 14 + 20 + 10),
    ); // TCP header cut short (tot_len says 40)
    const d = stack.stats.drops;
    expect([d.ip_truncated, d.ip_bad_version, d.ip_bad_ihl, d.ip_frag_dropped]).toEqual([2, 1, 1, 2]);
    expect([stack.stats.udpDelivered, stack.stats.icmpDelivered, stack.stats.otherProto, stack.stats.otherL3]).toEqual([
      1, 1, 1, 1,
    ]);
    expect(stack.stats.consumed + stack.stats.dropped).toBe(10);
  });

  it('in-band 802.1Q tags are removed in software (also with CHECKSUM_COMPLETE), and ACKs carry the tag back', () => {
    const { stack, acks } = setup();
    const s = testStream(2000);
    deliver(stack, seg(s, 0, 1000, { vlan: 7 }), { ipSummed: CHECKSUM_COMPLETE });
    deliver(stack, seg(s, 1000, 1000, { vlan: 7 }));
    expect(stack.stats.vlanUntagged).toBe(2);
    expect(acks.length).toBe(1);
    expect(acks[0]!.f.vlans.map((v) => v.vid)).toEqual([7]);
    expect(stack.verify([expectationOf(KEY, ISN, s)]).allOk).toBe(true);
  });

  it('vlanHwaccelReceiveSkb: the tag comes from the NIC', () => {
    const { stack, acks } = setup();
    const s = testStream(2000);
    for (let i = 0; i < 2; i++) stack.vlanHwaccelReceiveSkb(skbFromFrame(seg(s, i * 1000, 1000)), 9);
    expect(stack.stats.vlanHwaccel).toBe(2);
    expect(acks[0]!.f.vlans.map((v) => v.vid)).toEqual([9]);
  });
});

describe('ACK frames', () => {
  it('are valid Ethernet/IPv4/TCP frames to the sender, echoing the timestamp of the last in-order segment', () => {
    const { stack, acks } = setup();
    const s = testStream(2000);
    deliver(stack, seg(s, 0, 1000, { ts: [500, 9] }));
    deliver(stack, seg(s, 1000, 1000, { ts: [501, 9] }));
    expect(acks.length).toBe(1);
    const a = acks[0]!;
    expect(a.f.eth.dst).toBe('02:00:00:00:00:01');
    expect(a.f.eth.src).toBe('02:00:00:00:00:02');
    expect(a.f.ipv4).toMatchObject({ src: '10.0.0.2', dst: '10.0.0.1', protocol: 6, totalLength: 52, df: true });
    expect(a.f.tcp).toMatchObject({
      sport: 5001,
      dport: 40000,
      seq: 777,
      ack: ISN + 2000,
      flags: 0x10,
      window: 65535,
      dataOffset: 8,
    });
    // TSval: the host's jiffies, which start 300 s (at HZ 1000) before they wrap, as Linux's do
    expect(a.f.tcp!.options).toContainEqual({ kind: 'timestamp', tsval: 0x100000000 - 300_000, tsecr: 501 });
    const ip = a.f.l3Offset,
      l4 = a.f.l4Offset!;
    expect(checksum(a.bytes, ip, 20)).toBe(0);
    expect(fold(sumBytes(a.bytes, l4, 32, pseudoHeaderSum(a.bytes, ip + 12, ip + 16, 6, 32)))).toBe(0xffff);
    expect(a.bytes.length).toBe(66);
  });
});
