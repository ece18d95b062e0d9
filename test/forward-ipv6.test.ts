// IPv6 through the forwarding host (stack/forward.ts forward6, lab/forward.ts): one test per engine and
// kernel policy row of `vnic run --scenario forward --ip 6` with the values its run gives, the path MTU
// run (--egress-mtu 1400: ICMPv6 packet too big, the senders lower their MSS), ip6_forward's checks one by
// one on packets built here, the ICMPv6 "packet too big" reader (wire/icmp-error.ts), and tshark on the
// IPv6 egress capture.
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { runLab } from '../lab/run.ts';
import { getScenario } from '../lab/scenarios.ts';
import type { ForwardReport } from '../lab/forward.ts';
import { VirtualClock } from '../sim/clock.ts';
import { Stack } from '../stack/stack.ts';
import { XmitPath } from '../stack/xmit.ts';
import { IpForwarder, type ForwardKernel } from '../stack/forward.ts';
import type { SkBuff } from '../stack/skb.ts';
import { GroEngine } from '../lro/gro.ts';
import { mqTransmitter } from '../drivers/mq/xmit.ts';
import { parseIpv4, parseIpv6, parseMac } from '../wire/address.ts';
import { frame } from '../wire/builder.ts';
import { finish, sumBytes } from '../wire/checksum.ts';
import { IPPROTO, IPV6 } from '../wire/constants.ts';
import { decodeFrame } from '../wire/decode.ts';
import { QuotedTooBig, readTooBig } from '../wire/icmp-error.ts';
import { FrameLayout, layoutFrame } from '../wire/layout.ts';
import { RecordingSink, skbOf } from './support/lro.ts';
import { vnic } from './support/cli.ts';
import { tmpDir, tsharkFields } from './support/pcap.ts';

const scenario = getScenario('forward')!;
const FAR6 = '2001:db8:1::2';
/** The forward scenario over IPv6, as `--ip 6` makes it (its 10.0.1.2 becomes 2001:db8:1::2). */
const traffic6 = {
  ...scenario.lab.traffic,
  ipv6: true,
  flows: [
    { kind: 'bulk', count: 2, dst: FAR6 },
    { kind: 'messages', sport: 42000, dst: FAR6, messageBytes: 1000, messages: 1000, thinkNs: 0 },
  ],
};

function forwardRun6(engine: 'off' | 'lro' | 'gro', kernel: ForwardKernel, egressMtu?: number) {
  const r = runLab({
    ...scenario.lab,
    traffic: traffic6,
    engine,
    forward: { ...scenario.lab.forward, kernel, ...(egressMtu !== undefined ? { egressMtu } : {}) },
  });
  return { r, f: r.report.forward as ForwardReport };
}

describe('vnic run --scenario forward --ip 6, one row per engine and policy', () => {
  it('LRO/GRO off: every frame leaves as it came (hop limit − 1), every stream intact, the ACKs routed back', () => {
    const { r, f } = forwardRun6('off', 'modern');
    expect(r.report.allStreamsOk).toBe(true);
    expect(r.conservation.ok).toBe(true);
    expect([f.ingressFrames, f.egressFrames, f.egressIdentical, f.forwarded, f.forwardedAggregates]).toEqual([
      2470, 2470, 2470, 2470, 0,
    ]);
    expect([f.reverseFrames, f.tsoPackets, f.gsoSoftwareSegments]).toEqual([1260, 0, 0]);
    expect(f.egressIdenticalToIngress).toBe(true);
  });

  it('LRO on 2.6.24: inet_lro never aggregates IPv6, so every frame is forwarded as it is and egress equals ingress', () => {
    const { r, f } = forwardRun6('lro', '2.6.24');
    expect(r.report.allStreamsOk).toBe(true);
    expect(r.report.lro.enabled).toBe(true);
    expect([f.forwarded, f.forwardedAggregates, f.egressFrames, f.egressDiffering]).toEqual([2470, 0, 2470, 0]);
    expect([f.lroDisabledByForwarding, f.skbWarnIfLro]).toEqual([0, 0]);
    expect(f.egressIdenticalToIngress).toBe(true);
  });

  it('LRO on 2.6.27: dev_disable_lro turns LRO off all the same; egress equals ingress', () => {
    const { r, f } = forwardRun6('lro', '2.6.27');
    expect(r.report.allStreamsOk).toBe(true);
    expect(r.report.lro.enabled).toBe(false);
    expect([f.lroDisabledByForwarding, f.forwarded, f.forwardedAggregates, f.egressDiffering]).toEqual([1, 2470, 0, 0]);
    expect(f.egressIdenticalToIngress).toBe(true);
  });

  it('GRO on a modern kernel: aggregates cut again by software GSO (no TSO6 on the egress), egress equals ingress byte for byte', () => {
    const { r, f } = forwardRun6('gro', 'modern');
    expect(r.report.allStreamsOk).toBe(true);
    expect([f.forwarded, f.forwardedAggregates, f.tsoPackets, f.gsoSoftwareSegments]).toEqual([1274, 252, 0, 1448]);
    expect([f.egressFrames, f.egressIdentical, f.egressDiffering]).toEqual([2470, 2470, 0]);
    expect(f.egressIdenticalToIngress).toBe(true);
  });
});

describe('vnic run --scenario forward --ip 6 --egress-mtu 1400: ICMPv6 packet too big in a run', () => {
  it('LRO/GRO off and GRO: the first full-size segments are dropped with packet too big, the senders lower their MSS to 1328 and resend; egress equals ingress', () => {
    for (const [engine, forwarded] of [
      ['off', 2580],
      ['gro', 1293],
    ] as const) {
      const { r, f } = forwardRun6(engine, 'modern', 1400);
      expect(r.report.allStreamsOk).toBe(true);
      expect([f.ingressFrames, f.egressFrames, f.ingressDroppedWithIcmp, f.icmpv6PacketTooBig, f.forwarded]).toEqual([
        2583,
        2580,
        3,
        3,
        forwarded,
      ]);
      expect([f.drops, f.icmpFragNeeded]).toEqual([{ forward_pkt_too_big: 3 }, 0]);
      expect(f.egressIdenticalToIngress).toBe(true);
      expect(r.report.counters['traffic']!['hostTooBig']).toBe(3);
      const flows = r.partner!.flowReports();
      // the bulk flows lowered their MSS once each (1400 − 40 IPv6 − 32 TCP with timestamps); the 1000-byte messages fit
      expect(flows.map((x) => x.pmtuReductions)).toEqual([1, 1, 0]);
      expect(f.payloadSizes.egress['1328']).toBeGreaterThan(0);
      expect(Object.keys(f.payloadSizes.egress).every((n) => Number(n) <= 1328)).toBe(true);
    }
  });

  it('the CLI maps the scenario to IPv6 (--ip 6) and reports packet too big under forward', async () => {
    const out = await vnic([
      'run',
      '--scenario',
      'forward',
      '--ip',
      '6',
      '--engine',
      'off',
      '--egress-mtu',
      '1400',
      '--json',
    ]);
    expect(out.code).toBe(0);
    const run = JSON.parse(out.stdout).runs[0];
    expect(run.allStreamsOk).toBe(true);
    expect([run.forward.icmpv6PacketTooBig, run.forward.egressIdenticalToIngress, run.forward.egressFrames]).toEqual([
      3,
      true,
      2580,
    ]);
  });
});

describe('a flow sent with hop limit 1 through the router', () => {
  it('every segment is dropped and answered with ICMPv6 time exceeded, counted; the other flow goes through', () => {
    const traffic = {
      ...traffic6,
      bytesPerFlow: 64 << 10,
      flows: [
        { kind: 'bulk', count: 1, dst: FAR6 },
        { kind: 'bulk', sport: 41000, dst: FAR6, ttl: 1, bytes: 4000 },
      ],
    };
    const r = runLab({ ...scenario.lab, traffic, engine: 'off' });
    const f = r.report.forward as ForwardReport;
    // the hop-limited flow never completes: its sender resends until it gives up
    expect(r.report.allStreamsOk).toBe(false);
    expect([f.ingressFrames, f.egressFrames, f.ingressDroppedWithIcmp]).toEqual([76, 46, 30]);
    expect(f.drops).toEqual({ forward_ttl_exceeded: 30 });
    expect(f.egressIdenticalToIngress).toBe(true);
    // the sender got the 30 ICMPv6 errors (not ACKs, not too big)
    expect([r.report.counters['traffic']!['hostNotTcpAck'], r.report.counters['traffic']!['hostTooBig']]).toEqual([
      30, 0,
    ]);
  });
});

describe('vnic run --scenario bridge --ip 6', () => {
  it('GRO: the bridge sends IPv6 aggregates on, cut back by software GSO; egress equals ingress, the ACKs bridged back', async () => {
    const out = await vnic(['run', '--scenario', 'bridge', '--ip', '6', '--engine', 'gro', '--json']);
    expect(out.code).toBe(0);
    const run = JSON.parse(out.stdout).runs[0];
    const f = run.forward as ForwardReport;
    expect(run.allStreamsOk).toBe(true);
    expect([f.mode, f.ingressFrames, f.egressFrames, f.egressIdentical, f.forwardedAggregates]).toEqual([
      'bridge',
      2470,
      2470,
      2470,
      315,
    ]);
    expect([f.gsoSoftwareSegments, f.reverseFrames, f.egressIdenticalToIngress]).toEqual([1394, 1260, true]);
  });
});

/** A router with an mq egress (MTU `mtu`) whose wire and ICMPv6 output are recorded. */
function router6(kernel: ForwardKernel, mtu = 1500) {
  const clock = new VirtualClock();
  const stack = new Stack({ clock });
  const t = mqTransmitter({ clock, stack, mac: parseMac('02:00:00:00:01:fe'), mtu, tso: true });
  const wire: Uint8Array[] = [];
  t.nics[0]!.wire = (f, len) => wire.push(f.slice(0, len));
  const icmp: Uint8Array[] = [];
  const fw = new IpForwarder({
    kernel,
    localAddrs: [parseIpv4('10.0.0.254')],
    egressNet: parseIpv4('10.0.1.0'),
    egressPrefix: 24,
    egress: new XmitPath(t.driver, stack.cpu),
    nextHopMac: parseMac('02:00:00:00:01:02'),
    ingressMac: parseMac('02:00:00:00:00:fe'),
    ingressAddr: parseIpv4('10.0.0.254'),
    toIngressWire: (f, len) => icmp.push(f.slice(0, len)),
    ipv6: {
      localAddrs: [parseIpv6('2001:db8::254')],
      egressNet: parseIpv6('2001:db8:1::'),
      egressPrefix: 64,
      ingressAddr: parseIpv6('2001:db8::254'),
    },
    cpu: stack.cpu,
  });
  const send = (skb: SkBuff): boolean => {
    const payloadLen = (skb.buf[skb.data + IPV6.PAYLOAD_LEN]! << 8) | skb.buf[skb.data + IPV6.PAYLOAD_LEN + 1]!;
    return fw.forward6(skb, IPV6.HLEN, IPV6.HLEN + (payloadLen || skb.len - IPV6.HLEN));
  };
  return { clock, fw, wire, icmp, send };
}

const seg6 = (o: { seq?: number; dst?: string; hopLimit?: number; payload?: number } = {}) =>
  frame()
    .eth({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:fe' })
    .ipv6({ src: '2001:db8::1', dst: o.dst ?? FAR6, hopLimit: o.hopLimit ?? 64 })
    .tcp({ sport: 40000, dport: 5001, seq: o.seq ?? 1000, ack: 1, flags: 'A', ts: [100, 50] })
    .payload(o.payload ?? 1428)
    .build();

/** An ICMPv6 message's checksum over its pseudo-header verifies. */
function icmpv6ChecksumOk(f: Uint8Array): boolean {
  const ip = 14,
    len = f.length - ip - IPV6.HLEN;
  const pseudo = sumBytes(f, ip + IPV6.SRC, 32) + len + IPPROTO.ICMPV6;
  return finish(sumBytes(f, ip + IPV6.HLEN, len, pseudo)) === 0;
}

describe('ip6_forward (stack/forward.ts forward6)', () => {
  it('a packet for the host itself is not forwarded; one for an unrouted prefix is dropped as forward_no_route', () => {
    const x = router6('modern');
    expect(x.send(skbOf(seg6({ dst: '2001:db8::254' })))).toBe(false);
    expect(x.send(skbOf(seg6({ dst: '2001:db8:2::2' })))).toBe(true);
    expect([x.fw.stats.forward_no_route, x.fw.stats.forwarded]).toEqual([1, 0]);
  });

  it('hop limit − 1 and nothing else changed (no header checksum), MAC header of the egress', () => {
    const x = router6('modern');
    const f = seg6();
    x.send(skbOf(f));
    x.clock.run();
    expect(x.wire).toHaveLength(1);
    const want = f.slice();
    want[14 + IPV6.HOP_LIMIT] = 63;
    want.set(parseMac('02:00:00:00:01:02'), 0);
    want.set(parseMac('02:00:00:00:01:fe'), 6);
    expect(x.wire[0]).toEqual(want);
  });

  it('hop limit 1: dropped and counted, ICMPv6 time exceeded (type 3 code 0) back to the sender quoting the packet', () => {
    const x = router6('modern');
    const f = seg6({ hopLimit: 1 });
    x.send(skbOf(f));
    expect([x.fw.stats.forward_ttl_exceeded, x.fw.stats.icmpv6TimeExceeded, x.fw.stats.forwarded]).toEqual([1, 1, 0]);
    expect(x.icmp).toHaveLength(1);
    const ic = x.icmp[0]!;
    expect('error' in decodeFrame(ic)).toBe(false);
    expect([ic[14 + IPV6.NEXT_HDR], ic[54], ic[55]]).toEqual([IPPROTO.ICMPV6, 3, 0]);
    expect(icmpv6ChecksumOk(ic)).toBe(true);
    // from the router's ingress address to the sender, the sender's MAC; the whole packet quoted (it fits in 1280)
    expect(ic.subarray(14 + IPV6.SRC, 14 + IPV6.SRC + 32)).toEqual(
      Uint8Array.from([...parseIpv6('2001:db8::254'), ...parseIpv6('2001:db8::1')]),
    );
    expect(ic.subarray(0, 6)).toEqual(parseMac('02:00:00:00:00:01'));
    expect(ic.length).toBe(14 + 40 + 8 + 1232);
    expect(ic.subarray(62)).toEqual(f.subarray(14, 14 + 1232));
  });

  it('larger than the next hop MTU: dropped (routers never fragment IPv6), packet too big carrying the MTU, read back by the sender', () => {
    const x = router6('modern', 1400);
    x.send(skbOf(seg6()));
    expect([x.fw.stats.forward_pkt_too_big, x.fw.stats.icmpv6PacketTooBig, x.fw.stats.forward_would_fragment]).toEqual([
      1, 1, 0,
    ]);
    const ic = x.icmp[0]!;
    expect(icmpv6ChecksumOk(ic)).toBe(true);
    expect([ic[54], ic[55]]).toEqual([2, 0]);
    const q = new QuotedTooBig();
    expect(readTooBig(ic, layoutFrame(ic, 0, ic.length, new FrameLayout()), q)).toBe(true);
    expect([q.mtu, q.sport, q.dport, q.seq, q.addrLen]).toEqual([1400, 40000, 5001, 1000, 16]);
    expect(ic.subarray(q.srcOff, q.srcOff + 16)).toEqual(parseIpv6('2001:db8::1'));
  });

  it('a GRO aggregate is judged by its segments (skb_gso_validate_network_len): too big only when a segment is', () => {
    const train = (payload: number) => Array.from({ length: 4 }, (_, i) => seg6({ seq: 1000 + i * payload, payload }));
    for (const [payload, mtu, want] of [
      [1428, 1400, [1, 0]],
      [1328, 1400, [0, 1]],
    ] as const) {
      const x = router6('modern', mtu);
      const sink = new RecordingSink();
      const g = new GroEngine({ sink });
      for (const f of train(payload)) g.groReceive(skbOf(f));
      g.flush();
      expect(sink.got).toHaveLength(1);
      x.send(sink.got[0]!.skb);
      x.clock.run();
      expect([x.fw.stats.icmpv6PacketTooBig, x.fw.stats.forwarded]).toEqual(want);
      expect(x.wire).toHaveLength(want[1] * 4);
    }
  });
});

describe('wire/icmp-error.ts readTooBig over ICMPv6', () => {
  const quoted = seg6().subarray(14, 14 + 200);
  const tooBig = (type: number, mtu: number, quote: Uint8Array = quoted) =>
    frame()
      .ipv6({ src: '2001:db8::254', dst: '2001:db8::1', nextHeader: IPPROTO.ICMPV6 })
      .payload(
        Uint8Array.from([type, 0, 0, 0, mtu >>> 24, (mtu >>> 16) & 0xff, (mtu >>> 8) & 0xff, mtu & 0xff, ...quote]),
      )
      .build();
  const read = (f: Uint8Array) => {
    const q = new QuotedTooBig();
    return { ok: readTooBig(f, layoutFrame(f, 0, f.length, new FrameLayout()), q), q };
  };

  it('takes the 32-bit MTU and the quoted TCP ports and sequence', () => {
    const { ok, q } = read(tooBig(2, 70000));
    expect([ok, q.mtu, q.sport, q.dport, q.seq, q.addrLen, q.srcOff]).toEqual([true, 70000, 40000, 5001, 1000, 16, 70]);
  });

  it('refuses another ICMPv6 type, a quote too short for the TCP sequence, a quoted packet that is not TCP', () => {
    expect(read(tooBig(1, 1400)).ok).toBe(false);
    expect(read(tooBig(2, 1400, quoted.subarray(0, 40 + 7))).ok).toBe(false);
    const udp = quoted.slice();
    udp[IPV6.NEXT_HDR] = IPPROTO.UDP;
    expect(read(tooBig(2, 1400, udp)).ok).toBe(false);
  });
});

describe('tshark reads the IPv6 egress (--out-egress)', () => {
  const { dir, cleanup } = tmpDir();
  afterAll(cleanup);
  it('every frame a valid Ethernet/IPv6/TCP frame with a good checksum, hop limit 63, no frame above the MTU; GRO equals LRO/GRO off field by field', () => {
    const fields = [
      'eth.src',
      'eth.dst',
      'frame.len',
      'ipv6.hlim',
      'ipv6.plen',
      'tcp.srcport',
      'tcp.seq_raw',
      'tcp.len',
      'tcp.flags',
      'tcp.checksum.status',
    ];
    const egress = (engine: 'off' | 'gro') => {
      const path = join(dir, `forward6-${engine}.pcap`);
      const traffic = {
        ...traffic6,
        bytesPerFlow: 256 << 10,
        flows: [
          { kind: 'bulk', count: 2, dst: FAR6 },
          { kind: 'messages', sport: 42000, dst: FAR6, messageBytes: 1000, messages: 200, thinkNs: 0 },
        ],
      };
      const r = runLab({ ...scenario.lab, traffic, engine }, { outEgress: { path, format: 'pcap' } });
      expect(r.report.allStreamsOk).toBe(true);
      return tsharkFields(path, fields, ['-o', 'tcp.check_checksum:TRUE']).sort((a, b) =>
        a.join(' ') < b.join(' ') ? -1 : 1,
      );
    };
    const off = egress('off');
    const gro = egress('gro');
    expect(off).toHaveLength(2 * Math.ceil((256 << 10) / 1428) + 200);
    for (const r of off) {
      expect([r[0], r[1], r[3], r[9]]).toEqual(['02:00:00:00:01:fe', '02:00:00:00:01:02', '63', '1']);
      expect(Number(r[2])).toBeLessThanOrEqual(1514);
    }
    expect(gro).toEqual(off);
  });
});
