// The eHEA sample driver driven directly: model + stack + driver, frames fed from clock events.
import { describe, it, expect } from 'vitest';
import '../../hw-models/index.ts';
import { createModel } from '../../hw-models/registry.ts';
import { RX_FLAG, type NicModel } from '../../hw-models/model.ts';
import { VirtualClock } from '../../sim/clock.ts';
import { NO_TRACE, TraceLog, type Tracer } from '../../observe/trace.ts';
import type { FlowExpectation, FlowKey } from '../../sim/flows.ts';
import { Stack } from '../../stack/stack.ts';
import { CHECKSUM_PARTIAL, CHECKSUM_UNNECESSARY, ETH_P_8021Q, ETH_P_IP, SkBuff, ethTypeTrans } from '../../stack/skb.ts';
import { expectationOf, testStream } from '../../test/support/skb.ts';
import { LroHeader } from '../../lro/index.ts';
import { frame, parseIpv4 } from '../../wire/index.ts';
import { DriverOptionsSchema, type DriverOptions, type Engine, type ResolvedDriverOptions } from '../driver.ts';
import { EHEA_DRIVER, EheaCqe, type EheaDriver } from './index.ts';

const MSS = 1448;

/** The lab's option parsing (the cast: zod's output types lroQuirks as Record<string, boolean>, see the report). */
function resolve(o: DriverOptions): ResolvedDriverOptions { return DriverOptionsSchema.parse(o) as ResolvedDriverOptions; }
const ISN = 1_000_000;

interface Delivery { len: number; wire: number; vlan: number; protocol: number; ipSummed: number; path: 'napi' | 'rx' }

function setup(engine: Engine, model: Record<string, unknown> = {}, opts: Partial<DriverOptions> = {}, tracer: Tracer = NO_TRACE) {
  const clock = new VirtualClock();
  const nic: NicModel = createModel('ehea', model, { clock });
  const stack = new Stack({ clock });
  const options = resolve({ engine, ...opts });
  const drv = EHEA_DRIVER.create({ model: nic, stack, tracer, options }) as EheaDriver;
  const got: Delivery[] = [];
  const rec = (skb: SkBuff, path: 'napi' | 'rx'): void => {
    got.push({ len: skb.len, wire: skb.wireFrames, vlan: skb.vlanPresent ? skb.vlanTci : -1, protocol: skb.protocol, ipSummed: skb.ipSummed, path });
  };
  const nrs = stack.netifReceiveSkb.bind(stack), nrx = stack.netifRx.bind(stack);
  stack.netifReceiveSkb = (skb) => { rec(skb, 'napi'); nrs(skb); };
  stack.netifRx = (skb) => { rec(skb, 'rx'); nrx(skb); };
  drv.open();
  const baseline = nic.dma.counters.bytesInUse;
  const send = (f: Uint8Array, at = 0, flags = 0): void => { clock.at(at, () => nic.receiveFrame(f, f.length, clock.now, flags)); };
  return { clock, nic, stack, drv, got, send, baseline };
}

function key(sport = 40000, saddr = '10.0.0.1'): FlowKey {
  return { saddr: parseIpv4(saddr), daddr: parseIpv4('10.0.0.2'), sport, dport: 5001 };
}

/** `n` in-order segments of `size` bytes with timestamps, and the expectation for their stream. */
function flow(n: number, size = MSS, sport = 40000, o: { vlan?: number; saddr?: string; seed?: number; fixedTs?: boolean } = {}): { frames: Uint8Array[]; exp: FlowExpectation } {
  const stream = testStream(n * size, o.seed ?? sport);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    let b = frame();
    if (o.vlan !== undefined) b = b.vlan(o.vlan);
    frames.push(b.ipv4({ id: i, src: o.saddr ?? '10.0.0.1' }).tcp({ sport, seq: ISN + i * size, ack: 1, flags: 'A', ts: [o.fixedTs === true ? 1000 : 1000 + i, 7] })
      .payload(stream.subarray(i * size, (i + 1) * size)).build());
  }
  return { frames, exp: expectationOf(key(sport, o.saddr), ISN, stream) };
}

function conservation(nic: NicModel, stack: Stack, drv: EheaDriver): void {
  const drops = Object.values(drv.drops()).reduce((a, b) => a + b, 0);
  expect(nic.totals().rx_packets).toBe(stack.stats.wireFramesIn + drops + drv.held);
}

/** Posted-buffer baseline: every RQ2/RQ3 WQE holds one buffer (1536 / 9216-byte DMA classes). */
function postedBytes(rq2: number, rq3: number, queues = 1): number { return queues * ((rq2 - 1) * 1536 + (rq3 - 1) * 9216); }

describe('ehea driver, engine lro (spec §3.1)', () => {
  it('45 in-order 1448-byte TS segments make one 65212-byte aggregate via netifReceiveSkb (flush at > 65535 − MTU)', () => {
    const t = setup('lro');
    const { frames, exp } = flow(45);
    frames.forEach((f) => t.send(f));
    t.clock.run();
    expect(t.got).toEqual([{ len: 65212, wire: 45, vlan: -1, protocol: ETH_P_IP, ipSummed: CHECKSUM_UNNECESSARY, path: 'napi' }]);
    const lro = t.drv.lroStats()!;
    expect([lro.aggregated, lro.flushed, lro.no_desc, lro.flush_64k, lro.flush_all, lro.bypassed]).toEqual([45, 1, 0, 1, 0, 0]);
    expect(t.drv.ethtoolStats()).toMatchObject({ 'LRO aggregated': 45, 'LRO flushed': 1, 'LRO no_desc': 0, 'PR0 rx_packets': 45, 'PR0 rx_rq2': 45, 'PR0 rx_bytes': 45 * 1514 });
    expect(t.stack.verify([exp]).allOk).toBe(true);
    expect(t.stack.stats.netifReceiveSkb).toBe(1);
    expect(t.stack.stats.tcpDataDelivered).toBe(1);
    expect(t.nic.totals().rx_rq2).toBe(45);
    conservation(t.nic, t.stack, t.drv);
    expect(t.drv.held).toBe(0);
    expect(t.nic.dma.counters.bytesInUse).toBe(t.baseline);
    expect(t.baseline).toBe(postedBytes(1024, 128));
  });

  it('flushes at the end of every batch: a 10-segment burst is one aggregate of 10 (flush_all)', () => {
    const t = setup('lro');
    const { frames, exp } = flow(10);
    frames.forEach((f) => t.send(f));
    t.clock.run();
    expect(t.got.map((d) => [d.len, d.wire])).toEqual([[52 + 10 * MSS, 10]]);
    expect(t.drv.lroStats()!.flush_all).toBe(1);
    expect(t.stack.verify([exp]).allOk).toBe(true);
  });

  it('VLAN-tagged flow: the model extracts the tag (LRO_F_EXTRACT_VLAN_ID), the flow aggregates, the stack sees tag 42', () => {
    const t = setup('lro');
    const { frames, exp } = flow(10, MSS, 40000, { vlan: 42 });
    frames.forEach((f) => t.send(f));
    t.clock.run();
    expect(t.got).toEqual([{ len: 52 + 10 * MSS, wire: 10, vlan: 42, protocol: ETH_P_IP, ipSummed: CHECKSUM_UNNECESSARY, path: 'napi' }]);
    expect(t.nic.totals().rx_vlan_stripped).toBe(10);
    expect(t.stack.stats.vlanHwaccel).toBe(1);
    expect(t.stack.stats.vlanUntagged).toBe(0);
    expect(t.stack.tcp.lookup(parseIpv4('10.0.0.1'), parseIpv4('10.0.0.2'), 40000, 5001)!.vlanTci).toBe(42);
    const lro = t.drv.lroStats()!;
    expect([lro.aggregated, lro.flushed, lro.bypassed]).toEqual([10, 1, 0]);
    expect(t.stack.verify([exp]).allOk).toBe(true);
  });

  it('RQ1: pure ACKs (60-byte padded frames) and small segments are copied from the inline CQE into 256-byte skb buffers', () => {
    const t = setup('lro');
    const stream = testStream(10 * 100, 5);
    for (let i = 0; i < 10; i++) {
      // 14 + 20 + 32 + 100 + 4 FCS = 170 bytes: inline in RQ1, aggregated as one session
      t.send(frame().ipv4({ id: i }).tcp({ seq: ISN + i * 100, ack: 1, flags: 'A', ts: [50 + i, 3] }).payload(stream.subarray(i * 100, (i + 1) * 100)).build());
    }
    for (let i = 0; i < 4; i++) t.send(frame().ipv4({ src: '10.0.0.9' }).tcp({ sport: 999, seq: 5, ack: 100 + i, flags: 'A' }).build(), 1_000_000 + i * 10_000);
    t.clock.run();
    expect(t.nic.totals().rx_rq1).toBe(14);
    expect(t.nic.totals().rx_runts_padded).toBe(4);
    expect(t.drv.ethtoolStats()['PR0 rx_rq1']).toBe(14);
    expect(t.got.map((d) => [d.len, d.wire])).toEqual([[52 + 1000, 10], [46, 1], [46, 1], [46, 1], [46, 1]]);
    const lro = t.drv.lroStats()!;
    expect([lro.aggregated, lro.bypass_length_mismatch]).toEqual([10, 4]);   // padded: tot_len 40 != 46 (rule 1)
    expect(t.stack.stats.tcpPureAcks).toBe(4);
    expect(t.stack.verify([expectationOf(key(), ISN, stream)]).allOk).toBe(true);
    expect(t.drv.queues[0]!.rq1Slab.inUse).toBe(1023);               // every RQ1 slot holds its preallocated buffer again
    conservation(t.nic, t.stack, t.drv);
  });

  it('error completions (bad FCS, bad IP / TCP checksum) are counted once and their buffers recycled; non-TCP/UDP frames pass', () => {
    const t = setup('lro');
    const { frames, exp } = flow(6);
    frames.forEach((f, i) => t.send(f, i * 100_000));
    t.send(frames[2]!, 50_000, RX_FLAG.BAD_FCS);                                       // CRC_ERR
    t.send(frame().ipv4({ checksum: 0x1234 }).tcp({ sport: 7 }).payload(10).build(), 60_000); // IP_CSUM_ERR (+ TCP ok)
    t.send(frame().tcp({ sport: 8, checksum: 0x4321 }).payload(1000).build(), 70_000);      // TCP_CSUM_ERR, header_length > 0
    t.send(frame().arp({}).build(), 80_000);                                                // TCP_CSUM_ERR with header_length 0: accepted
    t.send(frame().udp({ sport: 9 }).payload(20).build(), 90_000);                          // UDP: no error, not TCP → bypass
    t.clock.run();
    expect(t.drv.drops()).toEqual({ rx_error_completion: 3 });
    expect(t.drv.ethtoolStats()).toMatchObject({ 'PR0 rx_errors': 3, 'PR0 rx_err_crc': 1, 'PR0 rx_err_ip_csum': 1, 'PR0 rx_err_tcp_csum': 1, 'PR0 lro_hdr_no_l4': 1, 'PR0 lro_hdr_not_tcp': 1 });
    expect(t.drv.dev.stats).toMatchObject({ rx_errors: 3, rx_crc_errors: 1, rx_packets: 8 });
    expect(t.nic.totals().rx_packets).toBe(11);
    expect(t.stack.stats.otherL3).toBe(1);       // the ARP frame
    expect(t.stack.stats.udpDelivered).toBe(1);
    expect(t.stack.verify([exp]).allOk).toBe(true);
    conservation(t.nic, t.stack, t.drv);
    expect(t.nic.dma.counters.bytesInUse).toBe(t.baseline);
  });

  it('more than 8 flows in one batch: flows 9 and 10 find no descriptor (no_desc) and go up alone', () => {
    const t = setup('lro');
    const flows = Array.from({ length: 10 }, (_, k) => flow(3, MSS, 41000 + k));
    for (let i = 0; i < 3; i++) for (const f of flows) t.send(f.frames[i]!);
    t.clock.run();
    const lro = t.drv.lroStats()!;
    expect([lro.no_desc, lro.bypass_no_desc, lro.aggregated, lro.flushed]).toEqual([6, 6, 24, 8]);
    expect(t.drv.ethtoolStats()['LRO no_desc']).toBe(6);
    expect(t.got.length).toBe(8 + 6);
    expect(t.stack.verify(flows.map((f) => f.exp)).allOk).toBe(true);
    conservation(t.nic, t.stack, t.drv);
  });

  it('ethtool LRO counters are summed across port resources (not V24\'s bitwise OR)', () => {
    const t = setup('lro', { queues: 4 });
    const flows = Array.from({ length: 8 }, (_, k) => flow(5, MSS, 42000 + k));
    for (let i = 0; i < 5; i++) for (const f of flows) t.send(f.frames[i]!);
    t.clock.run();
    const per = t.drv.queues.map((pr) => pr.lro!.stats.aggregated);
    expect(per.reduce((a, b) => a + b, 0)).toBe(40);
    expect(per.filter((n) => n > 0).length).toBeGreaterThan(1);
    expect(t.drv.ethtoolStats()['LRO aggregated']).toBe(40);
    expect(t.drv.ethtoolStats()['LRO flushed']).toBe(t.drv.queues.reduce((a, pr) => a + pr.lro!.stats.flushed, 0));
    expect(t.stack.verify(flows.map((f) => f.exp)).allOk).toBe(true);
    expect(t.nic.dma.counters.bytesInUse).toBe(postedBytes(1024, 128, 4));
    conservation(t.nic, t.stack, t.drv);
  });

  it('is deterministic: the same frames give the same counters and deliveries', () => {
    const runOnce = () => {
      const t = setup('lro', { queues: 2, moderation: { packets: 4, delayUs: 20 } });
      const flows = Array.from({ length: 12 }, (_, k) => flow(20, MSS, 43000 + k));
      for (let i = 0; i < 20; i++) flows.forEach((f, k) => t.send(f.frames[i]!, i * 15_000 + k * 1000));
      t.clock.run();
      expect(t.stack.verify(flows.map((f) => f.exp)).allOk).toBe(true);
      return JSON.stringify([t.drv.ethtoolStats(), t.drv.lroStats(), t.got, t.stack.stats.interrupts, t.clock.now]);
    };
    expect(runOnce()).toBe(runOnce());
  });

  it('nonNapi: LRO_F_NAPI clear, aggregates go through netif_rx', () => {
    const t = setup('lro', {}, { nonNapi: true });
    const { frames, exp } = flow(5);
    frames.forEach((f) => t.send(f));
    t.clock.run();
    expect(t.got.map((d) => [d.path, d.wire])).toEqual([['rx', 5]]);
    expect(t.stack.verify([exp]).allOk).toBe(true);
  });

  it('sustained load with small rings: refill after every batch keeps RQ2 fed, the stream arrives intact, no DMA leak', () => {
    const t = setup('lro', { rq1Entries: 16, rq2Entries: 32, rq3Entries: 16 });
    const { frames, exp } = flow(2000);
    frames.forEach((f, i) => t.send(f, i * 1300));       // ~9 Gb/s of 1514-byte frames
    t.clock.run();
    expect(t.nic.totals().rx_missed).toBe(0);
    expect(t.stack.verify([exp]).allOk).toBe(true);
    expect(t.stack.stats.wireFramesIn).toBe(2000);
    expect(t.stack.stats.skbsIn).toBeLessThan(2000);
    conservation(t.nic, t.stack, t.drv);
    expect(t.nic.dma.counters.bytesInUse).toBe(postedBytes(32, 16));
    t.drv.close();
    expect(t.nic.dma.counters.bytesInUse).toBe(0);
    expect(t.drv.queues[0]!.rq1Slab.inUse).toBe(0);
    expect(t.drv.queues[0]!.pool.inUse).toBe(0);
  });

  it('jumbo frames (MTU 9000) use RQ3 buffers and aggregate like RQ2 frames', () => {
    const t = setup('lro', { mtu: 9000 });
    const { frames, exp } = flow(8, 8948);
    frames.forEach((f) => t.send(f));
    t.clock.run();
    expect(t.nic.totals().rx_rq3).toBe(8);
    expect(t.drv.ethtoolStats()['PR0 rx_rq3']).toBe(8);
    // 52 + 7 × 8948 = 62688 > 65535 − 9000 (the device MTU): the seventh segment flushes the session
    expect(t.got.map((d) => [d.len, d.wire])).toEqual([[52 + 7 * 8948, 7], [52 + 8948, 1]]);
    expect(t.drv.lroStats()!.flush_64k).toBe(1);
    expect(t.stack.verify([exp]).allOk).toBe(true);
    expect(t.nic.dma.counters.bytesInUse).toBe(t.baseline);
  });

  it('traces every completion it reads', () => {
    const log = new TraceLog();
    const t = setup('lro', {}, {}, log);
    t.send(flow(1).frames[0]!);
    t.clock.run();
    expect(log.events.filter((e) => e.layer === 'driver').map((e) => e.text)).toEqual(['ehea: RQ2 completion, wr_id 0, 1514 bytes, status 0x0']);
  });
});

describe('ehea get_skb_hdr', () => {
  const t = setup('lro');
  const pr = t.drv.queues[0]!;
  const skbOf = (f: Uint8Array): SkBuff => { const s = new SkBuff().setLinear(f, 0, f.length); ethTypeTrans(s); return s; };
  const cqe = (hl: number): EheaCqe => { const c = new EheaCqe(); c.headerLength = hl; return c; };

  it('uses the header length; rejects 0, non-TCP, and tot_len shorter than the headers (ntohs: the E-mid fix)', () => {
    const out = new LroHeader();
    const seg = frame().tcp({ ts: [1, 2] }).payload(100).build();
    expect(pr.getSkbHeader(skbOf(seg), out, cqe(66))).toBe(true);
    expect([out.iphOff, out.tcphOff]).toEqual([14, 34]);
    expect(pr.getSkbHeader(skbOf(seg), out, cqe(0))).toBe(false);
    expect(pr.getSkbHeader(skbOf(frame().udp({}).payload(10).build()), out, cqe(42))).toBe(false);
    // tot_len 40 < 20 + 32 header bytes. V24 compared the network-order value (0x2800 = 10240 on a
    // little-endian host) and would have accepted it; with ntohs it is refused.
    const short = frame().ipv4({ totalLength: 40 }).tcp({ ts: [1, 2] }).build();
    expect(pr.getSkbHeader(skbOf(short), out, cqe(66))).toBe(false);
    expect(pr.stats.lro_hdr_short_tot_len).toBe(1);
  });

  it('protocol of an extracted-tag skb reads 0x8100 until delivery restores IPv4', () => {
    const skb = skbOf(frame().tcp({}).build());
    skb.protocol = ETH_P_8021Q;
    expect(pr.getSkbHeader(skb, new LroHeader(), cqe(54))).toBe(true);
  });
});

describe('ehea driver, engines gro and off', () => {
  it('gro: 45 segments merge into one (hw VLAN tag on the skb, CHECKSUM_UNNECESSARY trusted), stream intact', () => {
    const t = setup('gro');
    const { frames, exp } = flow(45, MSS, 40000, { vlan: 7, fixedTs: true });
    frames.forEach((f) => t.send(f));
    t.clock.run();
    const gro = t.drv.groStats()!;
    expect([gro.received, gro.merged, gro.flushed, gro.passed, gro.csum_trusted]).toEqual([45, 44, 1, 0, 45]);
    expect(t.drv.lroStats()).toBeNull();
    expect(t.got).toEqual([{ len: 52 + 45 * MSS, wire: 45, vlan: 7, protocol: ETH_P_IP, ipSummed: CHECKSUM_PARTIAL, path: 'napi' }]);
    expect(t.stack.verify([exp]).allOk).toBe(true);
    expect(t.drv.held).toBe(0);
    conservation(t.nic, t.stack, t.drv);
    expect(t.nic.dma.counters.bytesInUse).toBe(t.baseline);
  });

  it('off: every frame goes up alone, VLAN through vlan_hwaccel_receive_skb', () => {
    const t = setup('off');
    const a = flow(5), b = flow(5, MSS, 40001, { vlan: 3 });
    for (let i = 0; i < 5; i++) { t.send(a.frames[i]!); t.send(b.frames[i]!); }
    t.clock.run();
    expect(t.got.length).toBe(10);
    expect(t.got.filter((d) => d.vlan === 3).length).toBe(5);
    expect(t.drv.lroStats()).toBeNull();
    expect(t.drv.ethtoolStats()['LRO aggregated']).toBe(0);
    expect(t.stack.verify([a.exp, b.exp]).allOk).toBe(true);
    conservation(t.nic, t.stack, t.drv);
  });

  it('off with the NIC\'s checksum verification disabled: CHECKSUM_NONE, the stack verifies', () => {
    const t = setup('off', { rxChecksum: false });
    const { frames, exp } = flow(3);
    frames.forEach((f) => t.send(f));
    t.clock.run();
    expect(t.got.map((d) => d.ipSummed)).toEqual([0, 0, 0]);
    expect(t.stack.stats.swCsumSkbs).toBe(3);
    expect(t.stack.verify([exp]).allOk).toBe(true);
  });
});

describe('ehea support()', () => {
  const caps = (cfg: Record<string, unknown>) => createModel('ehea', cfg).capabilities;
  const opts = (o: Partial<DriverOptions> = {}) => resolve({ engine: 'lro', ...o });

  it('LRO needs the NIC to verify checksums; GRO needs NAPI; off always works', () => {
    expect(EHEA_DRIVER.support('lro', caps({}), opts()).ok).toBe(true);
    const noCsum = EHEA_DRIVER.support('lro', caps({ rxChecksum: false }), opts());
    expect(noCsum.ok).toBe(false);
    expect(noCsum.why).toMatch(/valid-looking aggregate/);
    expect(EHEA_DRIVER.support('gro', caps({ rxChecksum: false }), opts({ engine: 'gro' })).ok).toBe(true);
    expect(EHEA_DRIVER.support('gro', caps({}), opts({ engine: 'gro', nonNapi: true })).ok).toBe(false);
    expect(EHEA_DRIVER.support('off', caps({}), opts({ engine: 'off' })).ok).toBe(true);
    expect(EHEA_DRIVER.support('lro', createModel('myri10ge').capabilities, opts()).ok).toBe(false);
    expect(EHEA_DRIVER.defaultEngine).toBe('lro');
  });

  it('create refuses an unsupported engine with the reason', () => {
    const clock = new VirtualClock();
    const model = createModel('ehea', { rxChecksum: false }, { clock });
    expect(() => EHEA_DRIVER.create({ model, stack: new Stack({ clock }), tracer: NO_TRACE, options: opts() }))
      .toThrow(/ehea driver: engine 'lro' cannot run on this ehea model: LRO needs checksums verified/);
  });
});
