// The e1000 sample driver, driven directly: model + stack + driver, frames from the wire builder on
// the virtual clock, exact counts of what reaches the stack, byte streams, conservation, DMA.
import { describe, it, expect } from 'vitest';
import '../../hw-models/index.ts';
import { createModel } from '../../hw-models/registry.ts';
import type { NicModel } from '../../hw-models/model.ts';
import { VirtualClock } from '../../sim/clock.ts';
import { NO_TRACE, TraceLog, type Tracer } from '../../observe/trace.ts';
import type { FlowExpectation, FlowKey } from '../../sim/flows.ts';
import { Stack } from '../../stack/stack.ts';
import { expectationOf, testStream } from '../../test/support/skb.ts';
import { frame, parseIpv4 } from '../../wire/index.ts';
import { DriverOptionsSchema, type DriverOptions, type ResolvedDriverOptions } from '../driver.ts';
import { E1000_DRIVER } from './index.ts';
import type { E1000Driver } from './driver.ts';

const KEY: FlowKey = { saddr: parseIpv4('10.0.0.1'), daddr: parseIpv4('10.0.0.2'), sport: 40000, dport: 5001 };
const ISN = 1_000_000;

/** Parsed options (the cast: under exactOptionalPropertyTypes zod's `lroQuirks?: … | undefined` does not fit ResolvedDriverOptions). */
const resolve = (o: DriverOptions): ResolvedDriverOptions => DriverOptionsSchema.parse(o) as ResolvedDriverOptions;

interface Rig { clock: VirtualClock; nic: NicModel; stack: Stack; driver: E1000Driver; baseline: number }

function rig(model: Record<string, unknown>, opts: DriverOptions, tracer: Tracer = NO_TRACE): Rig {
  const clock = new VirtualClock();
  const nic = createModel('e1000', model, { clock });
  const stack = new Stack({ clock });
  const driver = E1000_DRIVER.create({ model: nic, stack, tracer, options: resolve(opts) }) as E1000Driver;
  driver.open();
  return { clock, nic, stack, driver, baseline: nic.dma.counters.bytesInUse };
}

/** TSval ticks once per 1000 segments (a millisecond clock at line rate): GRO needs identical options to merge. */
interface StreamOpts { segments: number; mss?: number; gapNs?: number; vlan?: number; ts?: boolean; corrupt?: number[] }

/** Sends one TCP stream (frames `corrupt` get a flipped payload byte, and a good copy is sent at the end). */
function sendStream(r: Rig, o: StreamOpts, key = KEY, start = 0): FlowExpectation {
  const mss = o.mss ?? 1448, stream = testStream(o.segments * mss, key.sport & 0xff);
  const build = (i: number): Uint8Array => {
    let f = frame();
    if (o.vlan !== undefined) f = f.vlan(o.vlan);
    return f.ipv4({ src: fmt(key.saddr), dst: fmt(key.daddr), id: i })
      .tcp({ sport: key.sport, dport: key.dport, seq: (ISN + i * mss) >>> 0, ack: 1, flags: 'A', ...(o.ts === false ? {} : { ts: [1000 + Math.floor(i / 1000), 7] as [number, number] }) })
      .payload(stream.subarray(i * mss, (i + 1) * mss)).build();
  };
  let t = start;
  for (let i = 0; i < o.segments; i++) {
    const f = build(i);
    if (o.corrupt?.includes(i)) f[f.length - 1] = f[f.length - 1]! ^ 0xff;
    r.clock.at(t, () => r.nic.receiveFrame(f, f.length, r.clock.now));
    t += o.gapNs ?? 0;
  }
  for (const i of o.corrupt ?? []) { const f = build(i); r.clock.at(t, () => r.nic.receiveFrame(f, f.length, r.clock.now)); t += o.gapNs ?? 0; }
  const exp = expectationOf(key, ISN, stream);
  r.stack.expectFlows([exp]);
  return exp;
}

function fmt(a: number): string { return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`; }

/** Conservation, empty engines and no DMA leak after the run drained. */
function checkDrained(r: Rig): void {
  const drops = Object.values(r.driver.drops()).reduce((a, b) => a + b, 0);
  expect(r.nic.totals().rx_packets).toBe(r.stack.stats.wireFramesIn + drops);
  expect(r.driver.held).toBe(0);
  expect(r.stack.held).toBe(0);
  expect(r.nic.dma.counters.bytesInUse).toBe(r.baseline);
  expect(r.driver.queue.postedBuffers).toBe(r.nic.ring(0, 'rx').entries - 1);
}

describe('e1000 support()', () => {
  const caps = createModel('e1000', {}).capabilities;
  const capsStrip = createModel('e1000', { vlanStrip: true }).capabilities;
  const opt = resolve;

  it('refuses LRO without softwareChecksum, saying why, and create() throws the same reason', () => {
    const s = E1000_DRIVER.support('lro', caps, opt({ engine: 'lro' }));
    expect(s.ok).toBe(false);
    expect(s.why).toContain('verifies no receive checksums');
    expect(s.why).toContain('softwareChecksum: true');
    expect(() => rig({}, { engine: 'lro' })).toThrow(/engine 'lro' refused: the e1000 verifies no receive checksums/);
  });

  it('accepts LRO with softwareChecksum, warning about Q1 when tags stay in-band', () => {
    expect(E1000_DRIVER.support('lro', caps, opt({ engine: 'lro', softwareChecksum: true }))).toEqual({ ok: true, why: expect.stringContaining('quirk Q1') });
    expect(E1000_DRIVER.support('lro', capsStrip, opt({ engine: 'lro', softwareChecksum: true })).why).not.toContain('Q1');
    expect(E1000_DRIVER.support('lro', caps, opt({ engine: 'lro', softwareChecksum: true, lroQuirks: { inbandVlanLength: false } })).why).not.toContain('Q1');
  });

  it('accepts GRO without the option, refuses it with nonNapi; off always works', () => {
    expect(E1000_DRIVER.support('gro', caps, opt({ engine: 'gro' })).ok).toBe(true);
    expect(E1000_DRIVER.support('gro', caps, opt({ engine: 'gro', nonNapi: true }))).toEqual({ ok: false, why: expect.stringContaining('NAPI') });
    expect(E1000_DRIVER.support('off', caps, opt({ engine: 'off' })).ok).toBe(true);
    expect(E1000_DRIVER.defaultEngine).toBe('gro');
  });
});

describe('e1000 driver', () => {
  it('engine off: every frame alone with CHECKSUM_NONE; the stack pays the checksum', () => {
    const r = rig({}, { engine: 'off' });
    const exp = sendStream(r, { segments: 90 });
    r.clock.run();
    expect(r.stack.verify([exp]).allOk).toBe(true);
    expect(r.stack.stats.skbsIn).toBe(90);
    expect(r.stack.stats.swCsumSkbs).toBe(90);
    expect(r.stack.cpu.snapshot().events.csum_byte).toBe(90 * 1500);          // 20 IP header + 1480 TCP bytes each
    expect(r.driver.lroStats()).toBeNull();
    expect(r.driver.groStats()).toBeNull();
    checkDrained(r);
  });

  it('LRO with softwareChecksum: 90 in-order 1448-byte TS segments make two 45-segment 65212-byte aggregates; the driver pays csum_byte', () => {
    const r = rig({}, { engine: 'lro', softwareChecksum: true, pollBudget: 128 });   // all 90 in one poll
    const exp = sendStream(r, { segments: 90 });
    r.clock.run();
    expect(r.stack.verify([exp]).allOk).toBe(true);
    expect(r.stack.stats.skbsIn).toBe(2);
    expect(r.stack.stats.wireFramesIn).toBe(90);
    const lro = r.driver.lroStats()!;
    expect([lro.aggregated, lro.flushed, lro.flush_64k, lro.bypassed]).toEqual([90, 2, 2, 0]);
    const cpu = r.stack.cpu.snapshot();
    expect(cpu.events.csum_byte).toBe(90 * 1500);                              // all of it in the driver…
    expect(r.stack.stats.swCsumSkbs).toBe(0);                                 // …none in the stack
    expect(cpu.events.lro_merge).toBe(90);
    expect(r.driver.ethtoolStats()).toMatchObject({ rx_packets: 90, rx_bytes: 90 * 1514, rx_sw_csum_good: 90, rx_sw_csum_bad: 0, 'LRO aggregated': 90, 'LRO flushed': 2, 'LRO no_desc': 0 });
    checkDrained(r);
  });

  it('a frame that fails the software checksum is delivered alone with CHECKSUM_NONE, never reaches LRO, and the stack drops it', () => {
    const r = rig({}, { engine: 'lro', softwareChecksum: true });
    const exp = sendStream(r, { segments: 20, corrupt: [10] });             // the good copy comes last
    r.clock.run();
    expect(r.driver.queue.counters.rx_sw_csum_bad).toBe(1);
    expect(r.stack.stats.drops.tcp_csum_errors).toBe(1);
    const lro = r.driver.lroStats()!;
    expect(lro.aggregated + lro.bypassed).toBe(20);                           // 21 frames read, 20 offered to LRO
    expect(r.stack.verify([exp]).allOk).toBe(true);
    checkDrained(r);
  });

  it('GRO works without softwareChecksum: GRO checks CHECKSUM_NONE frames itself (charged as csum_byte)', () => {
    const r = rig({}, { engine: 'gro', pollBudget: 128 });
    const exp = sendStream(r, { segments: 90 });
    r.clock.run();
    expect(r.stack.verify([exp]).allOk).toBe(true);
    expect(r.stack.stats.skbsIn).toBe(2);
    const gro = r.driver.groStats()!;
    expect([gro.received, gro.merged, gro.flushed, gro.flush_64k, gro.flush_napi, gro.csum_software]).toEqual([90, 88, 2, 1, 1, 90]);
    expect(r.stack.cpu.snapshot().events.csum_byte).toBe(90 * 1480);   // the TCP segment of each 1500-byte IP packet, charged by GRO
    expect(r.stack.stats.swCsumSkbs).toBe(0);
    checkDrained(r);
  });

  it('VLAN strip on: LRO and GRO aggregate tagged flows and deliver them through the hwaccel path', () => {
    for (const engine of ['lro', 'gro'] as const) {
      const r = rig({ vlanStrip: true }, { engine, softwareChecksum: true, pollBudget: 128 });
      const exp = sendStream(r, { segments: 90, vlan: 100 });
      r.clock.run();
      expect(r.stack.verify([exp]).allOk).toBe(true);
      expect(r.stack.stats.skbsIn).toBe(2);
      expect(r.stack.stats.vlanHwaccel).toBe(2);
      expect(r.stack.stats.vlanUntagged).toBe(0);
      expect(r.nic.totals().rx_vlan_stripped).toBe(90);
      checkDrained(r);
    }
  });

  it('VLAN strip off: in-band tags; LRO hits quirk Q1 (no aggregation past one packet) unless fixed; GRO merges them under their tag (vlan_gro_receive)', () => {
    const q1 = rig({}, { engine: 'lro', softwareChecksum: true, pollBudget: 128 });
    const e1 = sendStream(q1, { segments: 90, vlan: 100 });
    q1.clock.run();
    expect(q1.stack.verify([e1]).allOk).toBe(true);
    expect(q1.stack.stats.skbsIn).toBe(90);
    expect(q1.stack.stats.vlanUntagged).toBe(90);
    expect(q1.driver.lroStats()!.flush_ineligible).toBe(45);
    expect(q1.driver.lroStats()!.bypass_length_mismatch).toBe(45);
    checkDrained(q1);

    const fixed = rig({}, { engine: 'lro', softwareChecksum: true, pollBudget: 128, lroQuirks: { inbandVlanLength: false } });
    const e2 = sendStream(fixed, { segments: 90, vlan: 100 });
    fixed.clock.run();
    expect(fixed.stack.verify([e2]).allOk).toBe(true);
    expect(fixed.stack.stats.skbsIn).toBe(2);
    checkDrained(fixed);

    const gro = rig({}, { engine: 'gro' });
    const e3 = sendStream(gro, { segments: 30, vlan: 100 });
    gro.clock.run();
    expect(gro.stack.verify([e3]).allOk).toBe(true);
    expect([gro.stack.stats.skbsIn, gro.stack.stats.vlanUntagged]).toEqual([1, 1]);
    expect([gro.driver.groStats()!.merged, gro.driver.groStats()!.not_eligible_not_ip]).toEqual([29, 0]);
    checkDrained(gro);
  });

  it('jumbo frames span five 2048-byte descriptors and arrive intact as linear + page fragments (off, LRO, GRO)', () => {
    for (const engine of ['off', 'lro', 'gro'] as const) {
      const r = rig({ mtu: 9000 }, { engine, softwareChecksum: engine === 'lro' });
      const exp = sendStream(r, { segments: 20, mss: 8948 });               // 9014-byte frames: 2048 × 4 + 822
      r.clock.run();
      expect(r.stack.verify([exp]).allOk).toBe(true);
      expect(r.driver.queue.counters.rx_long_frames).toBe(20);
      expect(r.driver.ethtoolStats()['rx_bytes']).toBe(20 * 9014);
      if (engine === 'off') expect(r.stack.stats.skbsIn).toBe(20);
      if (engine === 'lro') expect(r.stack.stats.skbsIn).toBe(3);            // 65535 - 9000: flush after 7 segments
      if (engine === 'gro') expect(r.stack.stats.skbsIn).toBe(3);            // 64 KiB: 7 segments per packet
      checkDrained(r);
    }
  });

  it('a frame in more buffers than an skb has fragments is dropped and counted (256-byte buffers, 9000 MTU)', () => {
    const r = rig({ mtu: 9000, bufferBytes: 256, ringEntries: 256 }, { engine: 'off' });
    const exp = sendStream(r, { segments: 3, mss: 1448 });
    const big = frame().ipv4({ id: 99 }).udp({ sport: 9, dport: 9 }).payload(8000).build();   // 8042 bytes: 32 descriptors
    r.clock.at(10, () => r.nic.receiveFrame(big, big.length, r.clock.now));
    r.clock.run();
    expect(r.driver.drops()).toEqual({ rx_error_completion: 0, rx_too_many_frags: 1 });
    expect(r.driver.queue.counters.rx_long_frames).toBe(3);                  // 1514 bytes: 6 × 256-byte buffers
    expect(r.stack.verify([exp]).allOk).toBe(true);
    checkDrained(r);
  });

  it('RDTR/RADV delay interrupts: fewer interrupts, larger polls, same bytes', () => {
    const run = (rdtr: number, radv: number) => {
      const r = rig({ rdtr, radv }, { engine: 'off' });
      const exp = sendStream(r, { segments: 200, gapNs: 10_000 });
      r.clock.run();
      expect(r.stack.verify([exp]).allOk).toBe(true);
      checkDrained(r);
      const irq = r.nic.irqCounters(0);
      return { interrupts: r.stack.stats.interrupts, polls: r.stack.stats.napiPolls, work: r.stack.stats.napiWork, byDelay: irq.irq_by_delay, byAbs: irq.irq_by_absolute };
    };
    const immediate = run(0, 0);
    expect(immediate).toEqual({ interrupts: 200, polls: 200, work: 200, byDelay: 0, byAbs: 0 });
    const delayed = run(20, 100);                                             // 20.48 µs after the last frame, 102.4 µs after the first
    // RADV fires every 102.4 µs while frames keep coming (RDTR keeps restarting); RDTR ends the last burst
    expect(delayed).toEqual({ interrupts: 19, polls: 19, work: 200, byDelay: 1, byAbs: 18 });
  });

  it('keeps the ring fed under sustained load (5000 frames through a 64-entry ring): no rx_missed, no leak', () => {
    const r = rig({ ringEntries: 64 }, { engine: 'gro', pollBudget: 16 });
    const exp = sendStream(r, { segments: 5000, gapNs: 3_000 });
    r.clock.run();
    expect(r.nic.totals().rx_missed).toBe(0);
    expect(r.stack.verify([exp]).allOk).toBe(true);
    expect(r.driver.queue.counters.alloc_rx_buff_failed).toBe(0);
    checkDrained(r);
  });

  it('non-TCP frames bypass LRO (not verified, CHECKSUM_NONE), and nonNapi delivers through netif_rx', () => {
    const r = rig({}, { engine: 'lro', softwareChecksum: true, nonNapi: true });
    const exp = sendStream(r, { segments: 45 });
    const udp = frame().ipv4({ id: 5 }).udp({ sport: 53, dport: 53 }).payload(100).build();
    const arp = frame().arp({}).build();
    r.clock.at(0, () => { r.nic.receiveFrame(udp, udp.length, 0); r.nic.receiveFrame(arp, arp.length, 0); });
    r.clock.run();
    expect(r.stack.verify([exp]).allOk).toBe(true);
    expect(r.stack.stats.netifRx).toBe(3);                                    // one aggregate + UDP + ARP
    expect(r.stack.stats.netifReceiveSkb).toBe(0);
    expect(r.stack.stats.udpDelivered).toBe(1);
    expect(r.driver.lroStats()!.aggregated).toBe(45);
    expect(r.driver.lroStats()!.bypassed).toBe(0);
    checkDrained(r);
  });

  it('traces each completion it reads', () => {
    const log = new TraceLog();
    const r = rig({ vlanStrip: true }, { engine: 'off' }, log);
    sendStream(r, { segments: 2, vlan: 7 });
    r.clock.run();
    const ev = log.events.filter((e) => e.layer === 'driver');
    expect(ev.map((e) => e.text)).toEqual([
      'rx ring slot 0: 1514 bytes in 1 descriptor(s), status 0xf, VLAN tag 7',
      'rx ring slot 1: 1514 bytes in 1 descriptor(s), status 0xf, VLAN tag 7',
    ]);
    expect(ev[0]).toMatchObject({ what: 'completion', queue: 0 });
  });

  it('is deterministic: the same run twice gives identical stack, CPU and driver figures', () => {
    const once = () => {
      const r = rig({ rdtr: 8, radv: 32 }, { engine: 'lro', softwareChecksum: true });
      sendStream(r, { segments: 300, gapNs: 2_000, corrupt: [100] });
      r.clock.run();
      return JSON.stringify([r.stack.stats, r.stack.cpu.snapshot(), r.driver.ethtoolStats(), r.driver.lroStats(), r.clock.now]);
    };
    expect(once()).toBe(once());
  });
});
