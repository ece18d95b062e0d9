// A forwarding host (lab/forward.ts, stack/forward.ts): one test per kernel policy row of the forward
// scenario with the values its run gives, and ip_forward's checks one by one on packets built here.
import { describe, expect, it } from 'vitest';
import { runLab } from '../lab/run.ts';
import { getScenario } from '../lab/scenarios.ts';
import type { ForwardReport } from '../lab/forward.ts';
import { VirtualClock } from '../sim/clock.ts';
import { Stack } from '../stack/stack.ts';
import { XmitPath } from '../stack/xmit.ts';
import { IpForwarder, type ForwardKernel } from '../stack/forward.ts';
import { GroEngine } from '../lro/gro.ts';
import { seg, skbOf, RecordingSink, makeLro } from './support/lro.ts';
import { mqTransmitter } from '../drivers/mq/xmit.ts';
import { parseIpv4, parseMac } from '../wire/address.ts';
import { decodeFrame } from '../wire/decode.ts';
import { QuotedTooBig, readTooBig } from '../wire/icmp-error.ts';
import { FrameLayout, layoutFrame } from '../wire/layout.ts';
import { IPV4, TCP, TCP_FLAG } from '../wire/constants.ts';
import type { SkBuff } from '../stack/skb.ts';
import { vnic } from './support/cli.ts';

const scenario = getScenario('forward')!;
function forwardRun(engine: 'off' | 'lro' | 'gro', kernel: ForwardKernel) {
  const r = runLab({ ...scenario.lab, engine, forward: { ...scenario.lab.forward, kernel } });
  return { r, f: r.report.forward as ForwardReport };
}

describe('vnic run --scenario forward, one policy row each', () => {
  it('LRO/GRO off: every frame leaves as it came (TTL − 1), every stream intact', () => {
    const { r, f } = forwardRun('off', 'modern');
    expect(r.report.allStreamsOk).toBe(true);
    expect(r.conservation.ok).toBe(true);
    expect([f.ingressFrames, f.egressFrames, f.egressIdentical, f.forwarded, f.forwardedAggregates]).toEqual([
      2450, 2450, 2450, 2450, 0,
    ]);
    expect(f.egressIdenticalToIngress).toBe(true);
  });

  it('LRO on 2.6.24: aggregates forwarded as they are; egress frames differ (PSH lost, options), counted by reason', () => {
    const { r, f } = forwardRun('lro', '2.6.24');
    expect(r.report.allStreamsOk).toBe(true);
    expect(f.lroDisabledByForwarding).toBe(0);
    expect([f.ingressFrames, f.egressFrames, f.forwarded, f.forwardedAggregates, f.tsoPackets]).toEqual([
      2450, 2450, 709, 700, 700,
    ]);
    expect(f.egressDiffering).toBe(819);
    expect(f.differsBy).toEqual({ tcpFlags: 787, tcpOptions: 32 });
    expect(f.egressIdenticalToIngress).toBe(false);
    expect(f.skbWarnIfLro).toBe(0);
  });

  it('LRO on 2.6.27: dev_disable_lro turns LRO off on the ingress device; egress equals ingress', () => {
    const { r, f } = forwardRun('lro', '2.6.27');
    expect(r.report.allStreamsOk).toBe(true);
    expect(f.lroDisabledByForwarding).toBe(1);
    expect(r.report.lro.enabled).toBe(false);
    expect([f.forwarded, f.forwardedAggregates, f.egressDiffering, f.skbWarnIfLro]).toEqual([2450, 0, 0, 0]);
    expect(f.egressIdenticalToIngress).toBe(true);
  });

  it('GRO on a modern kernel: aggregates cut again by the egress TSO, egress equals ingress byte for byte', () => {
    const { r, f } = forwardRun('gro', 'modern');
    expect(r.report.allStreamsOk).toBe(true);
    expect([f.forwarded, f.forwardedAggregates, f.tsoPackets, f.egressFrames, f.egressDiffering]).toEqual([
      1358, 335, 335, 2450, 0,
    ]);
    expect(f.egressIdenticalToIngress).toBe(true);
  });

  it('vnic run --scenario forward --engine gro --json carries forward', async () => {
    const out = await vnic(['run', '--scenario', 'forward', '--engine', 'gro', '--json']);
    expect(out.code).toBe(0);
    const f = JSON.parse(out.stdout).runs[0].forward;
    expect([
      f.ingressFrames,
      f.egressFrames,
      f.egressIdenticalToIngress,
      f.lroDisabledByForwarding,
      f.icmpFragNeeded,
    ]).toEqual([2450, 2450, true, 0, 0]);
  });

  it('vnic trace --scenario forward narrates an aggregate from the ingress ring to the egress wire', async () => {
    const out = await vnic([
      'trace',
      '--scenario',
      'forward',
      '--engine',
      'lro',
      '--kernel',
      '2.6.24',
      '--packets',
      '6',
    ]);
    expect(out.code).toBe(0);
    const frame3 = out.stdout.slice(out.stdout.indexOf('frame 3 '), out.stdout.indexOf('frame 4 '));
    expect(frame3).toContain('eHEA RQ2 entry 3');
    expect(frame3).toContain('ip_forward: 4396 bytes (3 wire frames, gso_size 1448, gso_type 0) out of mq, TTL 63');
    expect(frame3).toContain('1514-byte frame onto the egress wire (TSO segment 3 of 3, flags 0x10)');
    expect(out.stdout).toContain('forwarding (kernel 2.6.24): 709 packets forwarded (700 aggregates)');
  });

  it('--kernel outside a forwarding run is a usage error', async () => {
    const out = await vnic(['run', '--scenario', 'bulk-1flow', '--kernel', '2.6.27']);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('--kernel applies to a forwarding run');
  });
});

describe('vnic run --scenario forward --egress-mtu 1400: ICMP fragmentation needed in a run', () => {
  function smallEgress(engine: 'off' | 'lro' | 'gro', kernel: ForwardKernel) {
    const r = runLab({ ...scenario.lab, engine, forward: { ...scenario.lab.forward, kernel, egressMtu: 1400 } });
    const flows = r.partner!.flowReports();
    return { r, f: r.report.forward as ForwardReport, flows };
  }

  it('LRO/GRO off and GRO: the first full-size segments are dropped with ICMP, the senders lower their MSS to 1348 and resend; egress equals ingress', () => {
    for (const [engine, forwarded] of [
      ['off', 2556],
      ['gro', 1361],
    ] as const) {
      const { r, f, flows } = smallEgress(engine, 'modern');
      expect(r.report.allStreamsOk).toBe(true);
      expect([f.ingressFrames, f.egressFrames, f.ingressDroppedWithIcmp, f.icmpFragNeeded, f.forwarded]).toEqual([
        2559,
        2556,
        3,
        3,
        forwarded,
      ]);
      expect(f.drops).toEqual({ forward_frag_needed: 3 });
      expect(f.egressIdenticalToIngress).toBe(true);
      expect(r.report.counters['traffic']!['hostTooBig']).toBe(3);
      // the bulk flows lowered their MSS once each; the 1000-byte messages fit and never did
      expect(flows.map((x) => x.pmtuReductions)).toEqual([1, 1, 0]);
    }
  });

  it('LRO on 2.6.24: every LRO packet carries gso_size, so ip_forward skips the MTU check, no ICMP is sent and the path is a black hole', () => {
    const { r, f } = smallEgress('lro', '2.6.24');
    expect(r.report.allStreamsOk).toBe(false);
    expect([f.icmpFragNeeded, f.ingressDroppedWithIcmp, f.farNicDrops]).toEqual([0, 0, 29]);
    expect(f.drops['tx_bad_packet']).toBeGreaterThan(0);
    expect(f.egressIdenticalToIngress).toBe(false);
    expect(r.report.counters['traffic']!['hostTooBig']).toBe(0);
  });

  it('LRO on 2.6.27: LRO off, so the sender learns the path MTU as with LRO off', () => {
    const { r, f } = smallEgress('lro', '2.6.27');
    expect(r.report.allStreamsOk).toBe(true);
    expect([f.lroDisabledByForwarding, f.icmpFragNeeded, f.egressFrames]).toEqual([1, 3, 2556]);
    expect(f.egressIdenticalToIngress).toBe(true);
  });

  it('--egress-mtu outside a forwarding run is a usage error; out of range is one too', async () => {
    const a = await vnic(['run', '--scenario', 'bulk-1flow', '--egress-mtu', '1400']);
    expect([a.code, a.stderr.includes('--egress-mtu applies to a forwarding run')]).toEqual([2, true]);
    const b = await vnic(['run', '--scenario', 'forward', '--egress-mtu', '40']);
    expect([b.code, b.stderr.includes('--egress-mtu must be between 68 and 9000, not 40')]).toEqual([2, true]);
  });
});

/** A router with an mq egress (MTU `mtu`) whose wire and ICMP output are recorded. */
function router(kernel: ForwardKernel, mtu = 1500, tso = true) {
  const clock = new VirtualClock();
  const stack = new Stack({ clock });
  const t = mqTransmitter({ clock, stack, mac: parseMac('02:00:00:00:01:fe'), mtu, tso });
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
    cpu: stack.cpu,
  });
  const send = (skb: SkBuff): boolean => {
    const ihl = (skb.buf[skb.data]! & 0x0f) << 2;
    const tot = (skb.buf[skb.data + IPV4.TOT_LEN]! << 8) | skb.buf[skb.data + IPV4.TOT_LEN + 1]!;
    const d = skb.buf.subarray(skb.data + IPV4.DST, skb.data + IPV4.DST + 4);
    return fw.forward(skb, ihl, tot, ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0);
  };
  return { clock, fw, wire, icmp, send };
}

const FAR = '10.0.1.2';
const train = (n: number, flags = (_i: number) => 'A') =>
  Array.from({ length: n }, (_, i) => seg({ seq: 1000 + i * 1448, id: 7 + i, dst: FAR, flags: flags(i) }));

describe('ip_forward (stack/forward.ts)', () => {
  it('a packet for the host itself is not forwarded; one for an unrouted subnet is dropped as forward_no_route', () => {
    const x = router('modern');
    expect(x.send(skbOf(seg({ dst: '10.0.0.254' })))).toBe(false);
    expect(x.send(skbOf(seg({ dst: '192.168.1.1' })))).toBe(true);
    expect(x.fw.stats.forward_no_route).toBe(1);
    expect(x.fw.stats.forwarded).toBe(0);
  });

  it('TTL 1: dropped, ICMP time exceeded back to the sender', () => {
    const x = router('modern');
    x.send(skbOf(seg({ dst: FAR, ttl: 1 })));
    expect(x.fw.stats.forward_ttl_exceeded).toBe(1);
    expect(x.icmp).toHaveLength(1);
    const d = decodeFrame(x.icmp[0]!);
    expect('error' in d).toBe(false);
    expect(x.icmp[0]![14 + 20]).toBe(11);
  });

  it('TTL − 1 with the header checksum updated, MAC header of the egress', () => {
    const x = router('modern');
    const f = seg({ dst: FAR, ttl: 64 });
    x.send(skbOf(f));
    x.clock.run();
    expect(x.wire).toHaveLength(1);
    const out = x.wire[0]!;
    expect(out[14 + IPV4.TTL]).toBe(63);
    const want = f.slice();
    want[14 + IPV4.TTL] = 63;
    want.set(parseMac('02:00:00:00:01:02'), 0);
    want.set(parseMac('02:00:00:00:01:fe'), 6);
    // the whole frame but the IP checksum equals; the checksum is valid (decodeFrame checks it)
    want[14 + IPV4.CSUM] = out[14 + IPV4.CSUM]!;
    want[14 + IPV4.CSUM + 1] = out[14 + IPV4.CSUM + 1]!;
    expect(out).toEqual(want);
    const d = decodeFrame(out) as { ipv4?: { checksumOk?: boolean } };
    expect('error' in d).toBe(false);
  });

  it('larger than the next hop MTU with DF: dropped, ICMP fragmentation needed carrying the MTU; without DF: forward_would_fragment', () => {
    const x = router('modern', 1400);
    x.send(skbOf(seg({ dst: FAR })));
    x.send(skbOf(seg({ dst: FAR, df: false })));
    expect(x.fw.stats.forward_frag_needed).toBe(1);
    expect(x.fw.stats.icmpFragNeeded).toBe(1);
    expect(x.fw.stats.forward_would_fragment).toBe(1);
    const ic = x.icmp[0]!;
    expect([ic[34], ic[35], (ic[40]! << 8) | ic[41]!]).toEqual([3, 4, 1400]);
    // quoted: the dropped packet's IP header and first 8 bytes
    expect(ic.subarray(42, 42 + 28)).toEqual(seg({ dst: FAR }).subarray(14, 42));
    // what the sender reads from it (wire/icmp-error.ts)
    const q = new QuotedTooBig();
    expect(readTooBig(ic, layoutFrame(ic, 0, ic.length, new FrameLayout()), q)).toBe(true);
    expect([q.mtu, q.sport, q.dport, q.seq, q.addrLen]).toEqual([1400, 40000, 5001, 1000, 4]);
  });

  it('a GRO aggregate whose segments exceed the MTU: modern kernels answer ICMP, 2.6.24 forwards it (no GSO MTU check)', () => {
    for (const kernel of ['modern', '2.6.24'] as const) {
      const x = router(kernel, 1400);
      const sink = new RecordingSink();
      const g = new GroEngine({ sink });
      for (const f of train(4)) g.groReceive(skbOf(f));
      g.flush();
      x.send(sink.got[0]!.skb);
      expect([x.fw.stats.icmpFragNeeded, x.fw.stats.forwarded], JSON.stringify(x.fw.stats)).toEqual(
        kernel === 'modern' ? [1, 0] : [0, 1],
      );
    }
  });

  it('an LRO aggregate: 2.6.24 forwards it with its PSHs lost; 2.6.27 drops it (skb_warn_if_lro)', () => {
    const input = train(4, (i) => (i === 1 || i === 3 ? 'AP' : 'A'));
    for (const kernel of ['2.6.24', '2.6.27'] as const) {
      const { lro, sink } = makeLro();
      for (const f of input) lro.receiveSkb(skbOf(f), undefined);
      lro.flushAll();
      expect(sink.got).toHaveLength(1);
      const x = router(kernel);
      x.send(sink.got[0]!.skb);
      x.clock.run();
      if (kernel === '2.6.27') {
        expect(x.fw.stats.forward_lro_aggregate).toBe(1);
        expect(x.wire).toHaveLength(0);
      } else {
        expect(x.wire).toHaveLength(4);
        const psh = x.wire.map((f) => (f[14 + 20 + TCP.FLAGS]! & TCP_FLAG.PSH) !== 0);
        expect(psh).toEqual([false, false, false, false]); // inet_lro kept the first segment's flags: both PSHs are gone
        expect(input.map((f) => (f[14 + 20 + TCP.FLAGS]! & TCP_FLAG.PSH) !== 0)).toEqual([false, true, false, true]);
      }
    }
  });
});
