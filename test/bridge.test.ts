// A learning bridge (stack/bridge.ts, lab/forward.ts mode 'bridge'): one test per kernel policy row of
// the bridge scenario with the values its run gives, then the bridge's decisions one by one on frames
// built here (learning, flooding, ageing, the same-port filter, local delivery, skb_warn_if_lro), and
// the reverse path through a router.
import { describe, expect, it } from 'vitest';
import { runLab } from '../lab/run.ts';
import { getScenario } from '../lab/scenarios.ts';
import type { ForwardReport } from '../lab/forward.ts';
import { VirtualClock } from '../sim/clock.ts';
import { Stack } from '../stack/stack.ts';
import { XmitPath } from '../stack/xmit.ts';
import { Bridge } from '../stack/bridge.ts';
import { IpForwarder, type ForwardKernel } from '../stack/forward.ts';
import { mqTransmitter } from '../drivers/mq/xmit.ts';
import { parseIpv4, parseMac } from '../wire/address.ts';
import { decodeFrame } from '../wire/decode.ts';
import { IPV4 } from '../wire/constants.ts';
import { seg, skbOf, makeLro, RecordingSink } from './support/lro.ts';
import { vnic } from './support/cli.ts';

const scenario = getScenario('bridge')!;
function bridgeRun(engine: 'off' | 'lro' | 'gro', kernel: ForwardKernel) {
  const r = runLab({ ...scenario.lab, engine, forward: { ...scenario.lab.forward, kernel } });
  return { r, f: r.report.forward as ForwardReport };
}

describe('vnic run --scenario bridge, one policy row each', () => {
  it('LRO/GRO off: every frame bridged unchanged (TTL too), both addresses learned, ACKs bridged back', () => {
    const { r, f } = bridgeRun('off', 'modern');
    expect(r.report.allStreamsOk).toBe(true);
    expect(r.conservation.ok).toBe(true);
    expect(f.mode).toBe('bridge');
    expect([f.ingressFrames, f.egressFrames, f.egressIdentical, f.forwarded, f.forwardedAggregates]).toEqual([
      2450, 2450, 2450, 2450, 0,
    ]);
    expect(f.egressIdenticalToIngress).toBe(true);
    // the first frame is flooded (the far host is not yet known); its first ACK teaches the FDB
    expect(f.bridge).toEqual({
      fdbEntries: 2,
      fdbLearned: 2,
      fdbAged: 0,
      floodedUnknown: 1,
      forwardedKnown: 3699,
      deliveredLocal: 0,
    });
    expect(f.reverseFrames).toBe(1250);
  });

  it('LRO on 2.6.24: aggregates bridged as they are; egress frames differ, counted by reason', () => {
    const { r, f } = bridgeRun('lro', '2.6.24');
    expect(r.report.allStreamsOk).toBe(true);
    expect(f.lroDisabledByForwarding).toBe(0);
    expect([f.ingressFrames, f.egressFrames, f.forwarded, f.forwardedAggregates, f.tsoPackets]).toEqual([
      2450, 2450, 999, 839, 839,
    ]);
    expect(f.egressDiffering).toBe(697);
    expect(f.differsBy).toEqual({ tcpFlags: 686, tcpOptions: 11 });
    expect(f.egressIdenticalToIngress).toBe(false);
  });

  it('LRO on 2.6.27: br_add_if turns LRO off (dev_disable_lro); egress equals ingress', () => {
    const { r, f } = bridgeRun('lro', '2.6.27');
    expect(r.report.allStreamsOk).toBe(true);
    expect(f.lroDisabledByForwarding).toBe(1);
    expect(r.report.lro.enabled).toBe(false);
    expect([f.forwarded, f.forwardedAggregates, f.egressDiffering, f.skbWarnIfLro]).toEqual([2450, 0, 0, 0]);
    expect(f.egressIdenticalToIngress).toBe(true);
  });

  it('GRO on a modern kernel: aggregates bridged, cut again by the egress TSO, egress equals ingress byte for byte', () => {
    const { r, f } = bridgeRun('gro', 'modern');
    expect(r.report.allStreamsOk).toBe(true);
    expect([f.forwarded, f.forwardedAggregates, f.tsoPackets, f.egressFrames, f.egressDiffering]).toEqual([
      1565, 450, 450, 2450, 0,
    ]);
    expect(f.egressIdenticalToIngress).toBe(true);
  });

  it('vnic run --scenario bridge --engine gro --json carries the forward block with mode bridge', async () => {
    const out = await vnic(['run', '--scenario', 'bridge', '--engine', 'gro', '--json']);
    expect(out.code).toBe(0);
    const f = JSON.parse(out.stdout).runs[0].forward;
    expect([f.mode, f.ingressFrames, f.egressFrames, f.egressIdenticalToIngress, f.bridge.fdbLearned]).toEqual([
      'bridge',
      2450,
      2450,
      true,
      2,
    ]);
  });
});

const A = '02:00:00:00:00:01',
  B = '02:00:00:00:01:02',
  BR = '02:00:00:00:00:fe';

/** A two-port bridge with an mq egress whose wire, and the ingress port's wire, are recorded. */
function bridge(kernel: ForwardKernel, ageingNs?: number) {
  const clock = new VirtualClock();
  const stack = new Stack({ clock });
  const t = mqTransmitter({ clock, stack, mac: parseMac('02:00:00:00:01:fe'), mtu: 1500, tso: true });
  const egress: Uint8Array[] = [];
  t.nics[0]!.wire = (f, len) => egress.push(f.slice(0, len));
  const ingress: Uint8Array[] = [];
  const br = new Bridge({
    kernel,
    egress: new XmitPath(t.driver, stack.cpu),
    toIngressWire: (f, len) => ingress.push(f.slice(0, len)),
    localMacs: [parseMac(BR)],
    ...(ageingNs !== undefined ? { ageingNs } : {}),
    cpu: stack.cpu,
  });
  return { clock, br, egress, ingress };
}

/** A TCP frame from `src` to `dst` (MACs). */
function frameBetween(src: string, dst: string, ttl = 64): Uint8Array {
  const f = seg({ srcMac: src, ttl });
  f.set(parseMac(dst), 0);
  return f;
}

describe('the learning bridge (stack/bridge.ts)', () => {
  it('floods an unknown destination, learns the source, then sends a known one to its port only', () => {
    const x = bridge('modern');
    expect(x.br.handleSkb(skbOf(frameBetween(A, B)))).toBe(true);
    expect(x.br.stats.floodedUnknown).toBe(1);
    expect(x.br.portOf(parseMac(A))).toBe(0);
    // B answers through the egress port: learned there, and A is known
    x.br.handleFrame(frameBetween(B, A), 66, 0);
    expect(x.br.portOf(parseMac(B))).toBe(1);
    expect(x.ingress).toHaveLength(1);
    x.br.handleSkb(skbOf(frameBetween(A, B)));
    x.clock.run();
    expect([x.br.stats.floodedUnknown, x.br.stats.forwardedKnown, x.br.stats.fdbLearned]).toEqual([1, 2, 2]);
    expect(x.egress).toHaveLength(2);
  });

  it('sends frames on unchanged: no TTL decrement, the MAC header as it came', () => {
    const x = bridge('modern');
    const f = frameBetween(A, B, 64);
    x.br.handleSkb(skbOf(f));
    x.clock.run();
    expect(x.egress[0]!).toEqual(f);
    expect(x.egress[0]![14 + IPV4.TTL]).toBe(64);
  });

  it('an address not heard from for the ageing time is forgotten: flooded again', () => {
    const x = bridge('modern', 1e6);
    x.br.handleFrame(frameBetween(B, A), 66, 0);
    x.br.handleSkb(skbOf(frameBetween(A, B)));
    expect(x.br.stats.forwardedKnown).toBe(1);
    x.clock.at(2e6, () => {
      expect(x.br.portOf(parseMac(B))).toBeUndefined();
      x.br.handleSkb(skbOf(frameBetween(A, B)));
    });
    x.clock.run();
    // B→A at 0 was flooded (A unknown then); at 2 ms both entries had expired: A's refreshed, B's forgotten
    expect([x.br.stats.fdbAged, x.br.stats.floodedUnknown, x.br.stats.forwardedKnown]).toEqual([2, 2, 1]);
  });

  it('a destination behind the port the frame came in on is filtered; the bridge’s own address goes up to the host', () => {
    const x = bridge('modern');
    x.br.handleSkb(skbOf(frameBetween('02:00:00:00:00:07', A)));
    x.br.handleSkb(skbOf(frameBetween(A, '02:00:00:00:00:07')));
    expect(x.br.stats.bridge_same_port).toBe(1);
    expect(x.br.handleSkb(skbOf(frameBetween(A, BR)))).toBe(false);
    expect(x.br.stats.deliveredLocal).toBe(1);
  });

  it('a tagged frame is dropped and counted: the transmit path has no VLAN tag insertion', () => {
    const x = bridge('modern');
    const f = seg({ srcMac: A, vlan: 100 });
    f.set(parseMac(B), 0);
    expect(x.br.handleSkb(skbOf(f))).toBe(true);
    expect([x.br.stats.bridge_vlan_tagged, x.br.stats.bridged]).toEqual([1, 0]);
  });

  it('an LRO aggregate: 2.6.24 bridges it as it is, 2.6.27 and later drop it (skb_warn_if_lro)', () => {
    for (const [kernel, bridged, warned] of [
      ['2.6.24', 1, 0],
      ['2.6.27', 0, 1],
      ['modern', 0, 1],
    ] as const) {
      const x = bridge(kernel);
      const sink = new RecordingSink();
      const { lro } = makeLro({ sink });
      for (let i = 0; i < 3; i++) lro.receiveSkb(skbOf(frameAt(i)), undefined);
      lro.flushAll();
      const agg = sink.got[0]!.skb;
      expect(agg.wireFrames).toBe(3);
      x.br.handleSkb(agg);
      expect([kernel, x.br.stats.bridgedAggregates, x.br.stats.bridge_lro_aggregate]).toEqual([
        kernel,
        bridged,
        warned,
      ]);
    }
  });
});

/** Segment `i` of a flow from A to B. */
function frameAt(i: number): Uint8Array {
  const f = seg({ srcMac: A, seq: 1000 + i * 1448, id: 7 + i });
  f.set(parseMac(B), 0);
  return f;
}

describe('the reverse path through a router', () => {
  function router() {
    const clock = new VirtualClock();
    const stack = new Stack({ clock });
    const t = mqTransmitter({ clock, stack, mac: parseMac('02:00:00:00:01:fe'), mtu: 1500, tso: true });
    const back: Uint8Array[] = [];
    const fw = new IpForwarder({
      kernel: 'modern',
      localAddrs: [parseIpv4('10.0.0.254')],
      egressNet: parseIpv4('10.0.1.0'),
      egressPrefix: 24,
      egress: new XmitPath(t.driver, stack.cpu),
      nextHopMac: parseMac('02:00:00:00:01:02'),
      ingressMac: parseMac('02:00:00:00:00:fe'),
      ingressAddr: parseIpv4('10.0.0.254'),
      toIngressWire: (f, len) => back.push(f.slice(0, len)),
      cpu: stack.cpu,
    });
    fw.setPreviousHop(parseMac(A));
    return { fw, back };
  }

  it('the far host’s ACK leaves by the ingress interface: TTL one less, checksum valid, the hop’s MAC header', () => {
    const x = router();
    const ack = seg({ src: '10.0.1.2', dst: '10.0.0.1', srcMac: B, payload: 0, ttl: 64 });
    x.fw.routeBack(ack, ack.length, 0);
    expect(x.back).toHaveLength(1);
    const out = x.back[0]!;
    const want = ack.slice();
    want.set(parseMac(A), 0);
    want.set(parseMac('02:00:00:00:00:fe'), 6);
    want[14 + IPV4.TTL] = 63;
    want[14 + IPV4.CSUM] = out[14 + IPV4.CSUM]!;
    want[14 + IPV4.CSUM + 1] = out[14 + IPV4.CSUM + 1]!;
    expect(out).toEqual(want);
    const d = decodeFrame(out);
    expect('error' in d).toBe(false);
    expect(x.fw.stats.reverseForwarded).toBe(1);
  });

  it('a frame from the far side for the far subnet has no route back: counted, not sent', () => {
    const x = router();
    const f = seg({ src: '10.0.1.2', dst: '10.0.1.3', srcMac: B, payload: 0 });
    x.fw.routeBack(f, f.length, 0);
    expect([x.back.length, x.fw.stats.forward_no_route]).toEqual([0, 1]);
  });
});
