// The CPU cost model, the latency/occupancy recorders and the run report: figures add up exactly,
// percentiles follow the nearest-rank definition, the report validates against its zod schema.
import { describe, it, expect } from 'vitest';
import { VirtualClock } from '../sim/clock.ts';
import { Cpu, COST_KINDS, DEFAULT_COST_PROFILE, ZERO_COST_PROFILE, costProfile } from '../sim/cost.ts';
import { LatencyRecorder, OccupancySampler } from '../observe/recorders.ts';
import { RunReportBuilder, RunReportSchema } from '../lab/run-report.ts';

describe('Cpu', () => {
  it('total cycles are exactly the sum of the charged events, by kind', () => {
    const clock = new VirtualClock();
    const cpu = new Cpu(clock);
    cpu.charge('interrupt');
    cpu.charge('copy_byte', 1448);
    cpu.charge('tcp_rcv');
    cpu.charge('tcp_rcv');
    cpu.charge('csum_byte', 20);
    const c = DEFAULT_COST_PROFILE.cycles;
    const expected = c.interrupt + 1448 * c.copy_byte + 2 * c.tcp_rcv + 20 * c.csum_byte;
    expect(cpu.cycles).toBe(expected);
    expect(expected).toBe(3000 + 1448 + 6000 + 20);
    const snap = cpu.snapshot();
    expect(Object.values(snap.byKind).reduce((a, b) => a + b, 0)).toBe(expected);
    expect(snap.byKind.tcp_rcv).toBe(6000);
    expect(snap.events.tcp_rcv).toBe(2);
    expect(snap.events.copy_byte).toBe(1448);
    expect(snap.busyNs).toBeCloseTo(expected / 3, 9);
    expect(cpu.busyUntil).toBeCloseTo(expected / 3, 9);
  });

  it('is a work-conserving server on the virtual clock: idle gaps start at now, busy work queues behind', () => {
    const clock = new VirtualClock();
    const cpu = new Cpu(clock, costProfile({ hz: 1e9 })); // 1 cycle = 1 ns
    cpu.charge('interrupt'); // 0 → 3000
    expect(cpu.busyUntil).toBe(3000);
    clock.advanceTo(10_000);
    expect(cpu.busy).toBe(false);
    cpu.charge('softirq'); // idle: starts at 10000
    expect(cpu.busyUntil).toBe(10_300);
    cpu.charge('tcp_rcv', 10); // 30000 cycles
    clock.advanceTo(20_000);
    cpu.charge('interrupt'); // busy until 40300: queues behind
    expect(cpu.busyUntil).toBe(43_300);
    expect(cpu.now).toBe(43_300);
  });

  it('rounds each charge to whole cycles, validates overrides with field names', () => {
    const clock = new VirtualClock();
    const cpu = new Cpu(clock, costProfile({ cycles: { copy_byte: 0.5 } }, ZERO_COST_PROFILE));
    cpu.charge('copy_byte', 3);
    cpu.charge('copy_byte', 3);
    expect(cpu.cycles).toBe(4);
    expect(() => costProfile({ cycles: { tcp_rcv: -1 } })).toThrow(/tcp_rcv/);
    expect(() => costProfile({ cycles: { tcp_recv: 1 } })).toThrow(/tcp_recv/);
    expect(costProfile({ cycles: { tcp_rcv: 2500 } }).cycles.tcp_rcv).toBe(2500);
    expect(COST_KINDS.every((k) => ZERO_COST_PROFILE.cycles[k] === 0)).toBe(true);
  });
});

describe('LatencyRecorder', () => {
  it('nearest-rank percentiles on 1..100', () => {
    const r = new LatencyRecorder();
    for (let v = 100; v >= 1; v--) r.record(v);
    expect(r.percentiles([50, 99, 100, 1, 0.5])).toEqual([50, 99, 100, 1, 1]);
    expect(r.max).toBe(100);
    expect(r.count).toBe(100);
    expect(r.sum).toBe(5050);
  });

  it('weights: an aggregate counts as its segments', () => {
    const r = new LatencyRecorder();
    r.record(10, 1);
    r.record(20, 3);
    expect(r.percentiles([25, 26, 50, 100])).toEqual([10, 20, 20, 20]);
    expect(r.count).toBe(4);
  });

  it('decimates deterministically past its limit, keeping count, max and sum exact', () => {
    const r = new LatencyRecorder(8);
    for (let i = 1; i <= 20; i++) r.record(i);
    expect(r.exact).toBe(false);
    expect(r.count).toBe(20);
    expect(r.max).toBe(20);
    expect(r.sum).toBe(210);
    const again = new LatencyRecorder(8);
    for (let i = 1; i <= 20; i++) again.record(i);
    expect(again.percentiles([50, 99])).toEqual(r.percentiles([50, 99]));
  });

  it('is 0 when empty', () => {
    expect(new LatencyRecorder().percentile(99)).toBe(0);
  });

  it('the selection finds the value a sort by value does, with many ties, runs and weights', () => {
    let x = 12345;
    const next = () => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x;
    };
    for (const shape of ['random', 'ties', 'ascending', 'descending'] as const) {
      const r = new LatencyRecorder();
      const vs: number[] = [],
        ws: number[] = [];
      for (let i = 0; i < 5000; i++) {
        const v =
          shape === 'random' ? next() % 100_000 : shape === 'ties' ? next() % 7 : shape === 'ascending' ? i : 5000 - i;
        const w = 1 + (next() % 5);
        r.record(v, w);
        vs.push(v);
        ws.push(w);
      }
      const order = vs.map((_, i) => i).sort((a, b) => vs[a]! - vs[b]!);
      const total = ws.reduce((a, b) => a + b, 0);
      const bySort = (p: number) => {
        const rank = Math.max(1, Math.ceil((p / 100) * total - 1e-9));
        let acc = 0;
        for (const i of order) if ((acc += ws[i]!) >= rank) return vs[i]!;
        return vs[order[order.length - 1]!]!;
      };
      const ps = [0.1, 1, 25, 50, 90, 99, 99.9, 100];
      expect(r.percentiles(ps), shape).toEqual(ps.map(bySort));
    }
  });
});

describe('OccupancySampler', () => {
  it('bounds each series by thinning, keeps the exact peak', () => {
    const s = new OccupancySampler(4);
    for (let i = 0; i < 10; i++) s.record(0, i * 100, i === 3 ? 50 : i);
    const pts = s.points(0);
    expect(pts.length).toBeLessThanOrEqual(4);
    expect(pts[0]).toEqual({ t: 0, occupancy: 0 });
    expect(pts.map((p) => p.t)).toEqual([0, 400, 800]);
    expect(s.peak(0)).toBe(50);
    expect(s.queues()).toEqual([0]);
  });
});

describe('RunReportBuilder', () => {
  it('assembles a report whose figures add up and which validates against RunReportSchema', () => {
    const clock = new VirtualClock();
    const cpu = new Cpu(clock, costProfile({ hz: 2e9, cycles: { tcp_rcv: 1000 } }, ZERO_COST_PROFILE));
    cpu.charge('tcp_rcv', 1000); // 1e6 cycles = 0.5 ms at 2 GHz
    const lat = new LatencyRecorder();
    for (const v of [1000, 2000, 3000, 4000]) lat.record(v);
    const occ = new OccupancySampler();
    occ.record(0, 0, 3);
    occ.record(0, 10, 5);
    const r = new RunReportBuilder('unit')
      .duration(1_000_000)
      .framesIn(1000)
      .framesToStack(100, 990)
      .addDrops({ rx_missed: 10 })
      .addDrops({ rx_missed: 0, tcp_csum_errors: 0 })
      .addLro({ aggregated: 600, flushed: 20, noDesc: 1, reasons: { flush_max_aggr: 5 } })
      .addLro({ aggregated: 300, flushed: 10, noDesc: 0, reasons: { flush_max_aggr: 1 } })
      .acksSent(50)
      .flows([
        {
          name: 'a',
          bytesDelivered: 1_024_000,
          segmentsIn: 990,
          packetsToStack: 100,
          acksSent: 50,
          byteStreamOk: true,
        },
      ])
      .cpu(cpu)
      .latency(lat)
      .peakDmaBytes(4096)
      .ringOccupancy(occ)
      .counters('nic', { rx_missed: 10 })
      .build();
    expect(RunReportSchema.parse(JSON.parse(JSON.stringify(r)))).toEqual(r);
    expect(r.drops).toEqual({ rx_missed: 10, tcp_csum_errors: 0 });
    expect(r.dropsTotal).toBe(10);
    expect(r.lro).toEqual({
      enabled: true,
      aggregated: 900,
      flushed: 30,
      noDesc: 1,
      avgAggr: 30,
      reasons: { flush_max_aggr: 6 },
    });
    expect(r.gro.enabled).toBe(false);
    expect(r.bytesDelivered).toBe(1_024_000);
    expect(r.bytesVerified).toBe(1_024_000);
    expect(r.allStreamsOk).toBe(true);
    expect(r.cpu.cycles).toBe(1_000_000);
    expect(r.cpu.cyclesPerKB).toBe(1000);
    expect(r.cpu.utilisation).toBe(0.5);
    // 8,192,000 bits for 1e6 cycles; 2e9 cycles/s → 16.384 Gb/s
    expect(r.cpu.sustainableGbps).toBeCloseTo(16.384, 9);
    expect(r.latency).toEqual({ samples: 4, p50Us: 2, p99Us: 4, maxUs: 4, meanUs: 2.5, exact: true });
    expect(r.ringOccupancy).toEqual({
      '0': {
        peak: 5,
        points: [
          [0, 3],
          [10, 5],
        ],
      },
    });
    for (const k of [
      'framesIn',
      'framesToStack',
      'drops',
      'lro',
      'gro',
      'flows',
      'cpu',
      'latency',
      'acksSent',
      'bytesDelivered',
      'peakDmaBytes',
      'ringOccupancy',
    ]) {
      expect(r).toHaveProperty(k);
    }
  });

  it('a failed stream makes allStreamsOk false; missing flows too', () => {
    const r = new RunReportBuilder()
      .flows(
        [{ name: 'a', bytesDelivered: 5, segmentsIn: 1, packetsToStack: 1, acksSent: 0, byteStreamOk: false }],
        ['b'],
      )
      .build();
    expect(r.allStreamsOk).toBe(false);
    expect(r.bytesVerified).toBe(0);
    expect(r.missingFlows).toEqual(['b']);
    expect(r.cpu.sustainableGbps).toBe(null);
  });
});
