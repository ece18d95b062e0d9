// The myri10ge sample driver driven directly: model + stack + driver, frames fed from clock events.
import { describe, it, expect } from 'vitest';
import '../../hw-models/index.ts';
import { createModel } from '../../hw-models/registry.ts';
import type { NicModel } from '../../hw-models/model.ts';
import { VirtualClock } from '../../sim/clock.ts';
import { NO_TRACE, TraceLog, type Tracer } from '../../observe/trace.ts';
import type { FlowExpectation, FlowKey } from '../../sim/flows.ts';
import { Stack } from '../../stack/stack.ts';
import { CHECKSUM_COMPLETE, CHECKSUM_NONE, CHECKSUM_UNNECESSARY, ETH_P_8021Q, type SkBuff } from '../../stack/skb.ts';
import { expectationOf, testStream } from '../../test/support/skb.ts';
import { fold, frame, parseIpv4, sumBytes } from '../../wire/index.ts';
import { DriverOptionsSchema, type DriverOptions, type Engine, type ResolvedDriverOptions } from '../driver.ts';
import { MYRI10GE_DRIVER, type Myri10geDriver } from './index.ts';

const MSS = 1448;
const ISN = 2_000_000;
const PAGE = 4096;

function resolve(o: DriverOptions): ResolvedDriverOptions { return DriverOptionsSchema.parse(o) as ResolvedDriverOptions; }

interface Delivery { len: number; wire: number; protocol: number; ipSummed: number; nrFrags: number; path: 'napi' | 'rx' }

function setup(engine: Engine, model: Record<string, unknown> = {}, opts: Partial<DriverOptions> = {}, tracer: Tracer = NO_TRACE) {
  const clock = new VirtualClock();
  const nic: NicModel = createModel('myri10ge', model, { clock });
  const stack = new Stack({ clock });
  const drv = MYRI10GE_DRIVER.create({ model: nic, stack, tracer, options: resolve({ engine, ...opts }) }) as Myri10geDriver;
  const got: Delivery[] = [];
  const rec = (skb: SkBuff, path: 'napi' | 'rx'): void => {
    got.push({ len: skb.len, wire: skb.wireFrames, protocol: skb.protocol, ipSummed: skb.ipSummed, nrFrags: skb.nrFrags, path });
  };
  const nrs = stack.netifReceiveSkb.bind(stack), nrx = stack.netifRx.bind(stack);
  stack.netifReceiveSkb = (skb) => { rec(skb, 'napi'); nrs(skb); };
  stack.netifRx = (skb) => { rec(skb, 'rx'); nrx(skb); };
  drv.open();
  const baseline = nic.dma.counters.bytesInUse;
  const send = (f: Uint8Array, at = 0): void => { clock.at(at, () => nic.receiveFrame(f, f.length, clock.now)); };
  return { clock, nic, stack, drv, got, send, baseline };
}

function key(sport = 40000): FlowKey { return { saddr: parseIpv4('10.0.0.1'), daddr: parseIpv4('10.0.0.2'), sport, dport: 5001 }; }

function flow(n: number, size = MSS, sport = 40000, o: { vlan?: number; fixedTs?: boolean } = {}): { frames: Uint8Array[]; exp: FlowExpectation } {
  const stream = testStream(n * size, sport);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    let b = frame();
    if (o.vlan !== undefined) b = b.vlan(o.vlan);
    frames.push(b.ipv4({ id: i }).tcp({ sport, seq: ISN + i * size, ack: 1, flags: 'A', ts: [o.fixedTs === true ? 1000 : 1000 + i, 7] })
      .payload(stream.subarray(i * size, (i + 1) * size)).build());
  }
  return { frames, exp: expectationOf(key(sport), ISN, stream) };
}

function conservation(nic: NicModel, stack: Stack, drv: Myri10geDriver): void {
  const drops = Object.values(drv.drops()).reduce((a, b) => a + b, 0);
  expect(nic.totals().rx_packets).toBe(stack.stats.wireFramesIn + drops + drv.held);
}

/** Pages still referenced by posted chunks or being carved: after a drained run nothing else may hold a page. */
function livePages(drv: Myri10geDriver, nic: NicModel): number {
  const pages = new Set<number>();
  for (const ss of drv.slices) for (const r of [ss.small, ss.big]) {
    for (const a of r.shadow) if (a >= 0) pages.add(nic.dma.bufferBase(a));
    if (r.page >= 0) pages.add(r.page);
  }
  return pages.size;
}

/** Pages backing posted chunks: small chunks share pages (one reference each), big 4096-byte chunks are a page each. */
function postedPages(smallEntries = 512, bigEntries = 512, smallBytes = 128, bigBytes = 4096): number {
  const per = (entries: number, chunk: number) => Math.ceil((entries - 1) / Math.floor(PAGE / chunk));
  return per(smallEntries, smallBytes) + per(bigEntries, bigBytes);
}

describe('myri10ge driver, engine lro (spec §3.2)', () => {
  it('45 in-order 1448-byte segments: max_aggr = min(64, MAX_SKB_FRAGS) = 18 fragments → aggregates of 18, 18, 9', () => {
    const t = setup('lro');
    const { frames, exp } = flow(45);
    frames.forEach((f) => t.send(f));
    t.clock.run();
    expect(t.got.map((d) => [d.len, d.wire, d.nrFrags, d.ipSummed])).toEqual([
      [52 + 18 * MSS, 18, 18, CHECKSUM_UNNECESSARY], [52 + 18 * MSS, 18, 18, CHECKSUM_UNNECESSARY], [52 + 9 * MSS, 9, 9, CHECKSUM_UNNECESSARY]]);
    const lro = t.drv.lroStats()!;
    expect([lro.aggregated, lro.flushed, lro.flush_max_aggr, lro.flush_all, lro.no_desc]).toEqual([45, 3, 2, 1, 0]);
    expect(t.drv.ethtoolStats()).toMatchObject({ 'LRO aggregated': 45, 'LRO flushed': 3, 'LRO avg aggr': 15, 'LRO no_desc': 0, 'slice0 rx_big_cnt': 45, 'slice0 rx_packets': 45 });
    expect(t.drv.slices[0]!.lro!.maxAggr).toBe(18);
    expect(t.stack.verify([exp]).allOk).toBe(true);
    conservation(t.nic, t.stack, t.drv);
    expect(t.nic.dma.counters.bytesInUse).toBe(livePages(t.drv, t.nic) * PAGE);
    expect(t.baseline).toBe(postedPages() * PAGE);
  });

  it('in-band VLAN flow: get_frag_header takes the tag out of the NIC sum; the frags path measures continuations without the tag, so Q1 (skb mode) does not bite', () => {
    const t = setup('lro');
    const { frames, exp } = flow(10, MSS, 40000, { vlan: 5 });
    frames.forEach((f) => t.send(f));
    t.clock.run();
    // V24 __lro_proc_segment checks every packet with len − mac_hdr_len (18 here): the session grows
    expect(t.got.map((d) => [d.len, d.wire, d.protocol])).toEqual([[4 + 52 + 10 * MSS, 10, ETH_P_8021Q]]);
    const lro = t.drv.lroStats()!;
    expect([lro.aggregated, lro.flushed, lro.flush_ineligible, lro.bypass_length_mismatch]).toEqual([10, 1, 0, 0]);
    expect(t.drv.ethtoolStats()['slice0 lro_hdr_tcp_csum_bad']).toBe(0);
    expect(t.stack.stats.vlanUntagged).toBe(1);
    expect(t.stack.tcp.lookup(parseIpv4('10.0.0.1'), parseIpv4('10.0.0.2'), 40000, 5001)!.vlanTci).toBe(5);
    expect(t.stack.verify([exp]).allOk).toBe(true);
  });

  it('Q1 lives in skb mode: the same in-band VLAN frames fed to an skb-mode LroManager flush at every continuation', async () => {
    // for contrast with the test above (the driver itself never uses skb mode)
    const { LroManager, LRO_IPV4, LRO_TCP } = await import('../../lro/index.ts');
    const { skbFromFrame } = await import('../../test/support/skb.ts');
    const sink = { n: [] as number[], netifReceiveSkb(s: SkBuff) { this.n.push(s.wireFrames); }, netifRx() {}, vlanHwaccelReceiveSkb() {}, vlanHwaccelRx() {} };
    const lro = new LroManager<null>({ maxDesc: 8, maxAggr: 64, mtu: 1500, sink, getSkbHeader: (skb, out) => {
      out.buf = skb.buf; out.iphOff = skb.data + 4; out.tcphOff = skb.data + 24; out.flags = LRO_IPV4 | LRO_TCP; return true; } });
    for (const f of flow(4, MSS, 40000, { vlan: 5 }).frames) lro.receiveSkb(skbFromFrame(f, { ipSummed: CHECKSUM_UNNECESSARY }), null);
    lro.flushAll();
    expect(sink.n).toEqual([1, 1, 1, 1]);
    expect([lro.stats.flush_ineligible, lro.stats.bypass_length_mismatch]).toEqual([2, 2]);
  });

  it('a corrupted payload byte: get_frag_header refuses the frame (TCP checksum), it goes up alone and the stack drops it; no aggregate is poisoned', () => {
    const t = setup('lro');
    const { frames, exp } = flow(8);
    const bad = frames[3]!.slice();
    bad[100]! ^= 0x5a;                                                  // payload byte: the TCP checksum is now wrong
    frames.forEach((f, i) => t.send(i === 3 ? bad : f));
    t.send(frames[3]!, 1_000_000);                                      // the sender's retransmission
    t.clock.run();
    expect(t.drv.ethtoolStats()['slice0 lro_hdr_tcp_csum_bad']).toBe(1);
    const lro = t.drv.lroStats()!;
    expect([lro.bypass_not_lro, lro.bypass_out_of_order, lro.flush_out_of_order]).toEqual([1, 1, 1]);
    // the bad frame alone (CHECKSUM_COMPLETE, the NIC's sum), then segments 1-3, 5 alone (out of order), 6-8, the retransmission
    expect(t.got.map((d) => [d.wire, d.ipSummed])).toEqual([[1, CHECKSUM_COMPLETE], [3, CHECKSUM_UNNECESSARY], [1, CHECKSUM_COMPLETE], [3, CHECKSUM_UNNECESSARY], [1, CHECKSUM_UNNECESSARY]]);
    expect(t.stack.stats.drops.tcp_csum_errors).toBe(1);
    expect(t.stack.verify([exp]).allOk).toBe(true);
    conservation(t.nic, t.stack, t.drv);
    expect(t.nic.dma.counters.bytesInUse).toBe(livePages(t.drv, t.nic) * PAGE);
  });

  it('a bad IP header checksum and an IP fragment (MF) are refused by get_frag_header (the later fragment check is on)', () => {
    const t = setup('lro');
    t.send(frame().ipv4({ checksum: 0x1111 }).tcp({ ts: [1, 2] }).payload(100).build());
    t.send(frame().ipv4({ mf: true, df: false }).tcp({ sport: 2, ts: [1, 2] }).payload(100).build());
    t.send(frame().udp({}).payload(30).build());
    t.send(frame().arp({}).build());
    t.clock.run();
    expect(t.drv.ethtoolStats()).toMatchObject({ 'slice0 lro_hdr_ip_csum_bad': 1, 'slice0 lro_hdr_ip_fragment': 1, 'slice0 lro_hdr_not_tcp': 1, 'slice0 lro_hdr_not_ipv4': 1 });
    expect(t.drv.lroStats()!.bypass_not_lro).toBe(4);
    expect(t.stack.stats.drops.ip_csum_errors).toBe(1);
    expect(t.stack.stats.drops.ip_frag_dropped).toBe(1);
    conservation(t.nic, t.stack, t.drv);
  });

  it('more than 8 flows in one batch: flows 9 and 10 hit no_desc', () => {
    const t = setup('lro');
    const flows = Array.from({ length: 10 }, (_, k) => flow(3, MSS, 41000 + k));
    for (let i = 0; i < 3; i++) for (const f of flows) t.send(f.frames[i]!);
    t.clock.run();
    const lro = t.drv.lroStats()!;
    expect([lro.no_desc, lro.aggregated, lro.flushed]).toEqual([6, 24, 8]);
    expect(t.drv.ethtoolStats()).toMatchObject({ 'LRO no_desc': 6, 'LRO avg aggr': 3 });
    expect(t.stack.verify(flows.map((f) => f.exp)).allOk).toBe(true);
    conservation(t.nic, t.stack, t.drv);
  });

  it('small frames (pure ACKs padded to 60 bytes) land in the small ring and go up un-aggregated', () => {
    const t = setup('lro');
    for (let i = 0; i < 5; i++) t.send(frame().tcp({ seq: 9, ack: 100 + i, flags: 'A' }).build(), i * 10_000);
    t.clock.run();
    expect(t.drv.ethtoolStats()['slice0 rx_small_cnt']).toBe(5);
    expect(t.nic.totals().rx_small).toBe(5);
    expect(t.drv.lroStats()!.bypass_length_mismatch).toBe(5);    // tot_len 40, 46 bytes after the MAC header
    expect(t.stack.stats.tcpPureAcks).toBe(5);
    // the 5 chunks came back; restocking carved the rest of a page and 4 chunks of a new one
    expect(t.nic.dma.counters.bytesInUse).toBe(livePages(t.drv, t.nic) * PAGE);
    expect(t.nic.dma.counters.bytesInUse).toBe(t.baseline + PAGE);
  });

  it('jumbo frames span 3 big chunks; a session flushes when its fragments reach max_aggr (18 = 6 frames)', () => {
    const t = setup('lro', { mtu: 9000 });
    const { frames, exp } = flow(12, 8948);
    frames.forEach((f) => t.send(f));
    t.clock.run();
    // 9014 + 2 pad = 3 chunks (4096, 4096, 824): the head keeps 3 fragments, each append adds 3
    expect(t.got.map((d) => [d.wire, d.nrFrags])).toEqual([[6, 18], [6, 18]]);
    expect(t.drv.lroStats()!.flush_max_aggr).toBe(2);
    expect(t.stack.verify([exp]).allOk).toBe(true);
    expect(t.nic.dma.counters.bytesInUse).toBe(livePages(t.drv, t.nic) * PAGE);
  });

  it('sustained load on small rings: restocked after every batch, pages return when the last skb is freed', () => {
    const t = setup('lro', { smallEntries: 16, bigEntries: 32, bigBytes: 2048 });
    const { frames, exp } = flow(2000);
    frames.forEach((f, i) => t.send(f, i * 1300));
    t.clock.run();
    expect(t.nic.totals().rx_missed).toBe(0);
    expect(t.stack.verify([exp]).allOk).toBe(true);
    conservation(t.nic, t.stack, t.drv);
    expect(t.nic.dma.counters.bytesInUse).toBe(livePages(t.drv, t.nic) * PAGE);
    t.drv.close();
    expect(t.nic.dma.counters.bytesInUse).toBe(0);
    expect(t.drv.slices[0]!.pool.inUse).toBe(0);
  });

  it('several slices: one LroManager each, ethtool sums them', () => {
    const t = setup('lro', { slices: 4 });
    const flows = Array.from({ length: 8 }, (_, k) => flow(5, MSS, 42000 + k));
    for (let i = 0; i < 5; i++) for (const f of flows) t.send(f.frames[i]!);
    t.clock.run();
    expect(t.drv.slices.filter((s) => s.lro!.stats.aggregated > 0).length).toBeGreaterThan(1);
    expect(t.drv.ethtoolStats()['LRO aggregated']).toBe(40);
    expect(t.stack.verify(flows.map((f) => f.exp)).allOk).toBe(true);
  });

  it('traces every completion it reads', () => {
    const log = new TraceLog();
    const t = setup('lro', {}, {}, log);
    const f = flow(1).frames[0]!;
    t.send(f);
    t.clock.run();
    const csum = fold(sumBytes(f, 14, f.length - 14));
    expect(log.events.filter((e) => e.layer === 'driver').map((e) => e.text)).toEqual([`myri10ge: rx_done slot, 1514 bytes in 1 big chunk, csum 0x${csum.toString(16)}`]);
  });
});

describe('myri10ge driver, engines off and gro', () => {
  it('off: its own skbs — 64-byte header copy after 2 bytes of headroom, the rest page fragments, CHECKSUM_COMPLETE', () => {
    const t = setup('off');
    const { frames, exp } = flow(5);
    frames.forEach((f) => t.send(f));
    t.send(frame().tcp({ sport: 3, ack: 5 }).build());                 // a small frame: wholly copied, its chunk released
    t.clock.run();
    expect(t.got.map((d) => [d.len, d.nrFrags, d.ipSummed])).toEqual([
      ...Array.from({ length: 5 }, () => [1500, 1, CHECKSUM_COMPLETE]), [46, 0, CHECKSUM_COMPLETE]]);
    expect(t.drv.lroStats()).toBeNull();
    expect(t.drv.ethtoolStats()).toMatchObject({ 'LRO aggregated': 0, 'LRO avg aggr': 0 });
    expect(t.stack.verify([exp]).allOk).toBe(true);
    expect(t.stack.stats.drops.tcp_csum_errors).toBe(0);
    conservation(t.nic, t.stack, t.drv);
    expect(t.nic.dma.counters.bytesInUse).toBe(livePages(t.drv, t.nic) * PAGE);
    expect(t.drv.slices[0]!.hdrSlab.inUse).toBe(0);
  });

  it('gro: segments validated from the CHECKSUM_COMPLETE sum (header copy covers the TCP header) and merged into one; stream intact', () => {
    const t = setup('gro');
    const { frames, exp } = flow(45, MSS, 40000, { fixedTs: true });   // GRO merges only byte-identical options
    frames.forEach((f) => t.send(f));
    t.clock.run();
    const gro = t.drv.groStats()!;
    expect([gro.received, gro.merged, gro.held, gro.flushed, gro.passed, gro.csum_complete, gro.flush_napi]).toEqual([45, 44, 1, 1, 0, 45, 1]);
    expect(t.got.map((d) => [d.len, d.wire])).toEqual([[52 + 45 * MSS, 45]]);
    expect(t.stack.verify([exp]).allOk).toBe(true);
    expect(t.drv.held).toBe(0);
    conservation(t.nic, t.stack, t.drv);
    expect(t.nic.dma.counters.bytesInUse).toBe(livePages(t.drv, t.nic) * PAGE);
  });

  it('gro: a TSval that changes every segment flushes each one (GRO needs identical options; inet_lro did not)', () => {
    const t = setup('gro');
    const { frames, exp } = flow(5);
    frames.forEach((f) => t.send(f));
    t.clock.run();
    expect(t.drv.groStats()!.flush_options).toBe(4);
    expect(t.got.length).toBe(5);
    expect(t.stack.verify([exp]).allOk).toBe(true);
  });

  it('rx checksums off: LRO is refused, off delivers CHECKSUM_NONE and the stack sums in software', () => {
    const caps = createModel('myri10ge', { rxChecksum: false }).capabilities;
    const s = MYRI10GE_DRIVER.support('lro', caps, resolve({ engine: 'lro' }));
    expect(s.ok).toBe(false);
    expect(s.why).toMatch(/partial sum/);
    const t = setup('off', { rxChecksum: false });
    const { frames, exp } = flow(3);
    frames.forEach((f) => t.send(f));
    t.clock.run();
    expect(t.got.map((d) => d.ipSummed)).toEqual([CHECKSUM_NONE, CHECKSUM_NONE, CHECKSUM_NONE]);
    expect(t.stack.verify([exp]).allOk).toBe(true);
  });

  it('support(): frags model only; GRO needs NAPI', () => {
    const caps = createModel('myri10ge').capabilities;
    expect(MYRI10GE_DRIVER.support('lro', caps, resolve({ engine: 'lro' })).why).toMatch(/= 18 fragments/);
    expect(MYRI10GE_DRIVER.support('gro', caps, resolve({ engine: 'gro', nonNapi: true })).ok).toBe(false);
    expect(MYRI10GE_DRIVER.support('lro', createModel('ehea').capabilities, resolve({ engine: 'lro' })).ok).toBe(false);
    expect(MYRI10GE_DRIVER.defaultEngine).toBe('lro');
  });
});
