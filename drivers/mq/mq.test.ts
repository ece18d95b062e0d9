// The mq sample driver, driven directly: RSS spreading flows over per-queue NAPI contexts and engines,
// descriptor checksum verdicts, header split, VLAN strip, byte streams, conservation, DMA.
import { describe, it, expect } from 'vitest';
import '../../hw-models/index.ts';
import { createModel } from '../../hw-models/registry.ts';
import type { MqNic } from '../../hw-models/mq.ts';
import { VirtualClock } from '../../sim/clock.ts';
import { NO_TRACE, TraceLog, type Tracer } from '../../observe/trace.ts';
import type { FlowExpectation, FlowKey } from '../../sim/flows.ts';
import { Stack } from '../../stack/stack.ts';
import type { SkBuff } from '../../stack/skb.ts';
import { expectationOf, testStream } from '../../test/support/skb.ts';
import { frame, parseIpv4 } from '../../wire/index.ts';
import { DriverOptionsSchema, type DriverOptions, type ResolvedDriverOptions } from '../driver.ts';
import { MQ_DRIVER } from './index.ts';
import type { MqDriver } from './driver.ts';

/** Parsed options (the cast: under exactOptionalPropertyTypes zod's `lroQuirks?: … | undefined` does not fit ResolvedDriverOptions). */
const resolve = (o: DriverOptions): ResolvedDriverOptions => DriverOptionsSchema.parse(o) as ResolvedDriverOptions;
const ISN = 7_000_000;

interface Rig { clock: VirtualClock; nic: MqNic; stack: Stack; driver: MqDriver; baseline: number; exps: FlowExpectation[] }

function rig(model: Record<string, unknown>, opts: DriverOptions, tracer: Tracer = NO_TRACE): Rig {
  const clock = new VirtualClock();
  const nic = createModel('mq', model, { clock }) as MqNic;
  const stack = new Stack({ clock });
  const driver = MQ_DRIVER.create({ model: nic, stack, tracer, options: resolve(opts) }) as MqDriver;
  driver.open();
  return { clock, nic, stack, driver, baseline: nic.dma.counters.bytesInUse, exps: [] };
}

function key(i: number): FlowKey { return { saddr: parseIpv4('10.0.0.1'), daddr: parseIpv4('10.0.0.2'), sport: 40000 + i, dport: 5001 }; }
function fmt(a: number): string { return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`; }

interface Traffic { flows: number; segments: number; mss?: number; gapNs?: number; vlan?: number; corrupt?: [number, number] }

/** `flows` TCP streams, interleaved round-robin; `corrupt` = [flow, segment] flips a payload byte (a good copy follows at the end). */
function send(r: Rig, t: Traffic): void {
  const mss = t.mss ?? 1448;
  const streams = Array.from({ length: t.flows }, (_, f) => testStream(t.segments * mss, f + 1));
  const build = (f: number, i: number): Uint8Array => {
    const k = key(f);
    let b = frame();
    if (t.vlan !== undefined) b = b.vlan(t.vlan);
    return b.ipv4({ src: fmt(k.saddr), dst: fmt(k.daddr), id: i })
      .tcp({ sport: k.sport, dport: k.dport, seq: (ISN + i * mss) >>> 0, ack: 1, flags: 'A', ts: [500, 9] })
      .payload(streams[f]!.subarray(i * mss, (i + 1) * mss)).build();
  };
  let at = 0;
  const emit = (bytes: Uint8Array): void => { r.clock.at(at, () => r.nic.receiveFrame(bytes, bytes.length, r.clock.now)); at += t.gapNs ?? 0; };
  for (let i = 0; i < t.segments; i++) {
    for (let f = 0; f < t.flows; f++) {
      const b = build(f, i);
      if (t.corrupt !== undefined && t.corrupt[0] === f && t.corrupt[1] === i) b[b.length - 1] = b[b.length - 1]! ^ 0x5a;
      emit(b);
    }
  }
  if (t.corrupt !== undefined) emit(build(t.corrupt[0], t.corrupt[1]));
  r.exps = streams.map((s, f) => expectationOf(key(f), ISN, s));
  r.stack.expectFlows(r.exps);
}

/** Records which queue each delivered skb came from, by TCP source port. */
function watchQueues(r: Rig): Map<number, Set<number>> {
  const seen = new Map<number, Set<number>>();
  const s = r.stack, orig = s.netifReceiveSkb.bind(s);
  s.netifReceiveSkb = (skb: SkBuff) => {
    const b = skb.buf, l4 = skb.data + (b[skb.data]! & 0x0f) * 4;
    const sport = (b[l4]! << 8) | b[l4 + 1]!;
    let set = seen.get(sport);
    if (set === undefined) { set = new Set(); seen.set(sport, set); }
    set.add(skb.queue);
    orig(skb);
  };
  return seen;
}

function checkDrained(r: Rig): void {
  const drops = Object.values(r.driver.drops()).reduce((a, b) => a + b, 0);
  expect(r.nic.totals().rx_packets).toBe(r.stack.stats.wireFramesIn + drops);
  expect(r.driver.held).toBe(0);
  expect(r.stack.held).toBe(0);
  // no leak: every DMA byte in use is a buffer the rings hold (header split keeps unused header buffers for reuse)
  expect(r.nic.dma.counters.bytesInUse).toBe(r.driver.queues.reduce((a, q) => a + q.postedBytes, 0));
  for (const q of r.driver.queues) expect(q.postedPacketBuffers).toBe(q.entries - 1);
  expect(r.nic.dma.counters.bytesInUse - r.baseline).toBeLessThanOrEqual(r.driver.queues.length * 256);
}

describe('mq support()', () => {
  const caps = createModel('mq', {}).capabilities;
  const noCsum = createModel('mq', { rxChecksum: false }).capabilities;
  const noStrip = createModel('mq', { vlanStrip: false }).capabilities;

  it('GRO by default, one per queue; refused with nonNapi', () => {
    expect(MQ_DRIVER.defaultEngine).toBe('gro');
    expect(MQ_DRIVER.support('gro', caps, resolve({ engine: 'gro' }))).toEqual({ ok: true, why: expect.stringContaining('one per queue (4)') });
    expect(MQ_DRIVER.support('gro', caps, resolve({ engine: 'gro', nonNapi: true })).ok).toBe(false);
    expect(MQ_DRIVER.support('gro', noCsum, resolve({ engine: 'gro' })).why).toContain('GRO verifies every TCP checksum in software');
  });

  it('LRO needs verified checksums (refused with rxChecksum off, even with softwareChecksum); Q1 warned with vlanStrip off', () => {
    expect(MQ_DRIVER.support('lro', caps, resolve({ engine: 'lro' })).ok).toBe(true);
    const s = MQ_DRIVER.support('lro', noCsum, resolve({ engine: 'lro', softwareChecksum: true }));
    expect(s.ok).toBe(false);
    expect(s.why).toContain('rxChecksum is off');
    expect(() => rig({ rxChecksum: false }, { engine: 'lro' })).toThrow(/engine 'lro' refused: rxChecksum is off/);
    expect(MQ_DRIVER.support('lro', noStrip, resolve({ engine: 'lro' })).why).toContain('quirk Q1');
    expect(MQ_DRIVER.support('off', noCsum, resolve({ engine: 'off' })).ok).toBe(true);
  });
});

describe('mq driver', () => {
  it('4 queues, 16 flows, GRO: every flow stays on its RSS queue, GRO aggregates per queue, per-queue counters sum to totals', () => {
    const r = rig({ queues: 4 }, { engine: 'gro', pollBudget: 64 });
    const seen = watchQueues(r);
    send(r, { flows: 16, segments: 45, gapNs: 1_000 });
    r.clock.run();
    expect(r.stack.verify(r.exps).allOk).toBe(true);
    const expectedQueue = (f: number): number => { const k = key(f); return r.nic.rssHash(k.saddr, k.daddr, k.sport, k.dport, true) & 3; };
    for (let f = 0; f < 16; f++) expect([...seen.get(40000 + f)!]).toEqual([expectedQueue(f)]);
    const perQueueFlows = [0, 1, 2, 3].map((q) => Array.from({ length: 16 }, (_, f) => f).filter((f) => expectedQueue(f) === q).length);
    expect(perQueueFlows).toEqual([4, 4, 4, 4]);                             // the default key spreads these 16 ports evenly
    const eth = r.driver.ethtoolStats();
    let sum = 0;
    for (const q of r.driver.queues) {
      expect(eth[`rx_queue_${q.q}_packets`]).toBe(perQueueFlows[q.q]! * 45);
      expect(eth[`rx_queue_${q.q}_packets`]).toBe(r.nic.counters(q.q).rx_packets);
      expect(q.gro!.stats.received).toBe(perQueueFlows[q.q]! * 45);
      expect(q.gro!.stats.merged).toBeGreaterThan(0);
      sum += eth[`rx_queue_${q.q}_packets`]!;
    }
    expect(sum).toBe(16 * 45);
    expect(eth['rx_packets']).toBe(16 * 45);
    expect(eth['hw_csum_rx_good']).toBe(16 * 45);
    const gro = r.driver.groStats()!;
    expect(gro.received).toBe(720);
    expect(gro.csum_trusted).toBe(720);
    expect(gro.merged + gro.held + gro.passed).toBe(720);
    expect(r.stack.stats.skbsIn).toBe(gro.flushed + gro.passed);
    // 1 µs between frames, 4 µs per queue: each poll finds a few segments of each of its 4 flows
    expect(r.driver.queues.map((q) => [q.gro!.stats.merged, q.gro!.stats.flushed])).toEqual([[157, 23], [155, 25], [160, 20], [160, 20]]);
    expect(r.stack.stats.skbsIn).toBe(88);
    expect(new Set(r.stack.napis.map((n) => n.name))).toEqual(new Set(['eth0-rx0', 'eth0-rx1', 'eth0-rx2', 'eth0-rx3']));
    checkDrained(r);
  });

  it('delivers every engine\'s byte streams intact, header split on and off giving identical streams', () => {
    const digests: string[][] = [];
    for (const engine of ['off', 'lro', 'gro'] as const) {
      for (const headerSplit of [false, true]) {
        const r = rig({ queues: 2, headerSplit }, { engine });
        send(r, { flows: 6, segments: 30, gapNs: 2_000 });
        r.clock.run();
        const v = r.stack.verify(r.exps);
        expect(v.allOk).toBe(true);
        expect(r.driver.ethtoolStats()['rx_hdr_split']).toBe(headerSplit ? 180 : 0);
        if (engine === 'off') expect(r.stack.stats.skbsIn).toBe(180);
        else expect(r.stack.stats.skbsIn).toBeLessThan(180);
        digests.push(v.flows.map((f) => f.digest));
        checkDrained(r);
      }
    }
    for (const d of digests) expect(d).toEqual(digests[0]);
  });

  it('LRO per queue: 45 in-order TS segments make one 65212-byte aggregate, with header split too', () => {
    for (const headerSplit of [false, true]) {
      const r = rig({ queues: 1, headerSplit }, { engine: 'lro' });
      let aggLen = 0;
      const orig = r.stack.netifReceiveSkb.bind(r.stack);
      r.stack.netifReceiveSkb = (skb: SkBuff) => { aggLen = skb.len; orig(skb); };
      send(r, { flows: 1, segments: 45 });
      r.clock.run();
      expect(r.stack.verify(r.exps).allOk).toBe(true);
      expect(r.stack.stats.skbsIn).toBe(1);
      expect(aggLen).toBe(65212);
      expect(r.driver.lroStats()).toMatchObject({ aggregated: 45, flushed: 1, flush_64k: 1, bypassed: 0 });
      expect(r.driver.ethtoolStats()).toMatchObject({ lro_aggregated: 45, lro_flushed: 1, lro_no_desc: 0 });
      expect(r.stack.cpu.snapshot().events.csum_byte).toBe(0);              // the NIC verified everything
      checkDrained(r);
    }
  });

  it('a bad-checksum frame is counted (rx_csum_error), delivered alone with CHECKSUM_NONE, never reaches LRO; the stack drops it', () => {
    for (const engine of ['lro', 'gro'] as const) {
      const r = rig({ queues: 1 }, { engine });
      send(r, { flows: 1, segments: 20, corrupt: [0, 7] });
      r.clock.run();
      expect(r.driver.queues[0]!.counters.rx_csum_error).toBe(1);
      expect(r.driver.ethtoolStats()).toMatchObject({ hw_csum_rx_error: 1, rx_queue_0_csum_err: 1, hw_csum_rx_good: 20 });
      expect(r.nic.totals().rx_csum_errors).toBe(1);
      expect(r.stack.stats.drops.tcp_csum_errors).toBe(1);
      if (engine === 'lro') { const l = r.driver.lroStats()!; expect(l.aggregated + l.bypassed).toBe(20); }
      else { const g = r.driver.groStats()!; expect([g.not_eligible_bad_csum, g.csum_software]).toEqual([1, 1]); }
      expect(r.stack.verify(r.exps).allOk).toBe(true);                       // the good copy filled the hole
      expect(r.driver.drops()).toEqual({ rx_too_many_frags: 0 });            // delivered, not a driver drop
      checkDrained(r);
    }
  });

  it('VLAN strip: the descriptor\'s tag goes up through the hwaccel path (GRO and LRO); strip off leaves it in-band and LRO hits Q1', () => {
    for (const engine of ['gro', 'lro'] as const) {
      const r = rig({ queues: 1 }, { engine });
      send(r, { flows: 1, segments: 45, vlan: 42 });
      r.clock.run();
      expect(r.stack.verify(r.exps).allOk).toBe(true);
      expect([r.stack.stats.skbsIn, r.stack.stats.vlanHwaccel, r.stack.stats.vlanUntagged]).toEqual([1, 1, 0]);
      checkDrained(r);
    }
    const q1 = rig({ queues: 1, vlanStrip: false }, { engine: 'lro' });
    send(q1, { flows: 1, segments: 44, vlan: 42 });
    q1.clock.run();
    expect(q1.stack.verify(q1.exps).allOk).toBe(true);
    expect([q1.stack.stats.skbsIn, q1.stack.stats.vlanUntagged]).toEqual([44, 44]);
    expect(q1.driver.lroStats()!.bypass_length_mismatch).toBe(22);
    checkDrained(q1);
  });

  it('jumbo frames with header split: header buffer linear, payload over five 2048-byte buffers as fragments', () => {
    for (const engine of ['off', 'lro', 'gro'] as const) {
      const r = rig({ queues: 1, mtu: 9000, headerSplit: true }, { engine });
      send(r, { flows: 1, segments: 14, mss: 8948 });                        // 66-byte headers + 8948 payload
      r.clock.run();
      expect(r.stack.verify(r.exps).allOk).toBe(true);
      const c = r.driver.queues[0]!.counters;
      expect([c.header_split, c.multi_buffer, c.bytes]).toEqual([14, 14, 14 * 9014]);
      expect(r.stack.stats.skbsIn).toBe(engine === 'off' ? 14 : 2);         // 7 jumbo segments per aggregate (LRO: 65535 - MTU; GRO: 64 KiB)
      checkDrained(r);
    }
  });

  it('rxChecksum off: frames arrive CHECKSUM_NONE; GRO checks them in software (charged as csum_byte)', () => {
    const r = rig({ queues: 1, rxChecksum: false }, { engine: 'gro' });
    send(r, { flows: 1, segments: 45 });
    r.clock.run();
    expect(r.stack.verify(r.exps).allOk).toBe(true);
    expect(r.driver.groStats()!.csum_software).toBe(45);
    expect(r.stack.cpu.snapshot().events.csum_byte).toBe(45 * 1480);   // the TCP segment of each 1500-byte IP packet, charged by GRO
    expect(r.driver.ethtoolStats()['hw_csum_rx_good']).toBe(0);
    checkDrained(r);
  });

  it('keeps small rings fed under sustained load (3000 frames over 2 × 16 entries), with header split buffers reused', () => {
    const r = rig({ queues: 2, ringEntries: 16, headerSplit: true }, { engine: 'gro', pollBudget: 8 });
    send(r, { flows: 4, segments: 750, gapNs: 2_500 });
    r.clock.run();
    expect(r.nic.totals().rx_missed).toBe(0);
    expect(r.stack.verify(r.exps).allOk).toBe(true);
    expect(r.driver.ethtoolStats()['alloc_rx_buff_failed']).toBe(0);
    checkDrained(r);
  });

  it('per-queue moderation from the model config: a packet threshold means fewer interrupts and bigger polls', () => {
    const run = (packets: number) => {
      const r = rig({ queues: 1, moderation: { packets, delayUs: 50 } }, { engine: 'off' });
      send(r, { flows: 1, segments: 160, gapNs: 5_000 });
      r.clock.run();
      expect(r.stack.verify(r.exps).allOk).toBe(true);
      checkDrained(r);
      return { interrupts: r.stack.stats.interrupts, work: r.stack.stats.napiWork, polls: r.stack.stats.napiPolls };
    };
    expect(run(1)).toEqual({ interrupts: 160, work: 160, polls: 160 });
    expect(run(16)).toEqual({ interrupts: 10, work: 160, polls: 10 });
  });

  it('non-TCP frames go to queue 0 and up alone; nonNapi uses netif_rx', () => {
    const r = rig({ queues: 4 }, { engine: 'lro', nonNapi: true });
    send(r, { flows: 2, segments: 45 });
    const arp = frame().arp({}).build();
    const udp = frame().ipv4({ id: 1 }).udp({ sport: 7, dport: 7 }).payload(64).build();
    r.clock.at(0, () => { r.nic.receiveFrame(arp, arp.length, 0); r.nic.receiveFrame(udp, udp.length, 0); });
    r.clock.run();
    expect(r.stack.verify(r.exps).allOk).toBe(true);
    expect(r.stack.stats.netifReceiveSkb).toBe(0);
    expect(r.stack.stats.netifRx).toBe(r.stack.stats.skbsIn);
    expect(r.stack.stats.udpDelivered).toBe(1);
    expect(r.driver.lroStats()!.aggregated).toBe(90);
    checkDrained(r);
  });

  it('traces each completion with its queue, split and RSS hash', () => {
    const log = new TraceLog();
    const r = rig({ queues: 1, headerSplit: true }, { engine: 'off' }, log);
    send(r, { flows: 1, segments: 1, vlan: 3 });
    r.clock.run();
    const k = key(0), rss = r.nic.rssHash(k.saddr, k.daddr, k.sport, k.dport, true);
    const ev = log.events.filter((e) => e.layer === 'driver');
    expect(ev.map((e) => e.text)).toEqual([`queue 0 slot 0: 1514 bytes in 1 descriptor(s) (66-byte header split), status 0x6b, errors 0x0, RSS 0x${rss.toString(16)}, VLAN tag 3`]);
  });
});
