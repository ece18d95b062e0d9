// The report's data comes from real lab runs: quick mode, checked for shape and for what the runs
// show (LRO saves cycles at MSS 1448, aggregation falls past max_desc flows, histograms add up).
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AGGREGATE_BINS,
  aggregateHistogram,
  collectReport,
  planReport,
  reportEngines,
  type CollectedReport,
  type LabRunSummary,
} from './collect.ts';
import { runTasks } from '../cli/pool/pool.ts';
import { parseReportData } from './html.ts';
import { comparisonRows, spreadRows } from '../cli/format.ts';
import { LabError } from '../lab/run.ts';
import type { RunReport } from '../lab/run-report.ts';

let c: CollectedReport;
beforeAll(() => {
  c = collectReport({ quick: true });
}, 60_000);

const ratio = (r: RunReport) => r.wireFramesToStack / r.framesToStack;
const sum = (a: readonly number[]) => a.reduce((x, y) => x + y, 0);

describe('collectReport (quick)', () => {
  it('runs every engine the eHEA driver supports, every run intact, and the data fits the page contract', () => {
    expect(c.engines).toEqual(['off', 'lro', 'gro']);
    expect(c.failures).toEqual([]);
    expect(c.runCount).toBe(3 + 3 * 3 + 3 * 5);
    expect(c.comparison.map((r) => r.report.label)).toEqual(['LRO/GRO off', 'inet_lro', 'GRO']);
    expect(() => parseReportData(c.data)).not.toThrow();
    expect(c.data.title).toBe('LRO report: ehea with driver ehea, traffic bulk-4flows');
    expect(c.data.generatedBy).toBe('vnic report (seed 1)');
  });

  it('names the model, driver, cost profile, seed and traffic in the notes', () => {
    const notes = c.data.notes!.join('\n');
    expect(notes).toContain('NIC model ehea, driver ehea');
    expect(notes).toContain('CPU cost profile x86-3GHz-2008 at 3.00 GHz');
    expect(notes).toContain('Traffic: scenario bulk-4flows');
    expect(notes).toContain('seed 1');
    expect(notes).toContain('LRO max_desc 8');
    expect(notes).toContain('27 lab runs; every run accounted for every frame');
  });

  it('puts the comparison runs side by side in the summary, as the CLI tables do', () => {
    const reports = c.comparison.map((r) => r.report);
    expect(c.data.summary.columns).toEqual(['LRO/GRO off', 'inet_lro', 'GRO']);
    expect(c.data.summary.rows).toEqual(comparisonRows(reports).map((r) => ({ label: r.label, cells: r.cells })));
    expect(c.data.summary.rows.every((r) => r.cells.length === 3)).toBe(true);
  });

  it('histogram: skbs add up to packets to the stack, wire packets to the wire frames delivered, shares to 100 %', () => {
    expect(c.histogram.bins).toEqual([...AGGREGATE_BINS]);
    expect(c.data.charts.aggregateSizes.bins).toEqual(['1', '2–3', '4–7', '8–15', '16–31', '32–63', '64+']);
    c.histogram.counts.forEach((h, i) => {
      const r = c.comparison[i]!.report;
      expect(h.engine).toBe(c.engines[i]);
      expect(sum(h.skbs)).toBe(r.framesToStack);
      expect(sum(h.wirePackets)).toBe(r.wireFramesToStack);
      const shares = c.data.charts.aggregateSizes.series[i]!.counts;
      expect(shares).toHaveLength(7);
      expect(Math.abs(sum(shares) - 100)).toBeLessThan(0.05);
    });
    // with aggregation off every skb is one wire packet
    const off = c.histogram.counts[0]!;
    expect(off.skbs[0]).toBe(c.comparison[0]!.report.framesToStack);
    expect(c.data.charts.aggregateSizes.series[0]!.counts).toEqual([100, 0, 0, 0, 0, 0, 0]);
    // inet_lro put most wire packets into aggregates
    expect(c.data.charts.aggregateSizes.series[1]!.counts[0]!).toBeLessThan(50);
  });

  it('histogram bins: sizes fold into powers of two; 64+ gets the packets the others leave over', () => {
    const report = {
      framesToStack: 6,
      wireFramesToStack: 1 + 2 + 3 + 8 + 70 + 64,
      counters: { aggregateSizes: { '1': 1, '2': 1, '3': 1, '8': 1, '64+': 2 } },
    } as unknown as RunReport;
    const h = aggregateHistogram([{ engine: 'lro', report }]);
    expect(h.counts[0]!.skbs).toEqual([1, 2, 0, 1, 0, 0, 2]);
    expect(h.counts[0]!.wirePackets).toEqual([1, 5, 0, 8, 0, 0, 134]);
  });

  it('cycles per KB against segment size: real values, LRO and GRO below LRO off at MSS 1448', () => {
    const ch = c.data.charts.cyclesPerKbBySegmentSize;
    expect(ch.series.map((s) => s.name)).toEqual(['LRO/GRO off', 'inet_lro', 'GRO']);
    for (const s of ch.series) expect(s.points.map((p) => p[0])).toEqual([256, 1448, 8948]);
    const at = (engine: string, mss: number) => c.segmentSweep.find((p) => p.engine === engine && p.mss === mss)!;
    expect(at('off', 8948).mtu).toBe(9000);
    expect(at('off', 1448).mtu).toBe(1500);
    const y = (si: number, mss: number) => ch.series[si]!.points.find((p) => p[0] === mss)![1]!;
    expect(y(0, 1448)).toBe(Math.round(at('off', 1448).report.cpu.cyclesPerKB! * 10) / 10);
    expect(y(1, 1448)).toBeLessThan(y(0, 1448));
    expect(y(2, 1448)).toBeLessThan(y(0, 1448));
    expect(y(1, 256)).toBeLessThan(y(0, 256));
    // per-packet cost dominates small segments
    expect(y(0, 256)).toBeGreaterThan(y(0, 1448));
    expect(at('lro', 1448).report.lro.aggregated).toBeGreaterThan(0);
  });

  it('flow sweep: inet_lro aggregation falls once flows exceed the 8 descriptors, marked at max_desc', () => {
    const ch = c.data.charts.throughputByFlows;
    expect(c.maxDesc).toBe(8);
    expect(ch.xRefs).toEqual([{ value: 8, label: 'max_desc = 8' }]);
    for (const s of ch.series) expect(s.points.map((p) => p[0])).toEqual([1, 4, 8, 12, 32]);
    const lro = (n: number) => c.flowSweep.find((p) => p.engine === 'lro' && p.flows === n)!.report;
    for (const n of [1, 4, 8]) expect(lro(n).lro.noDesc).toBe(0);
    for (const n of [12, 32]) expect(lro(n).lro.noDesc).toBeGreaterThan(0);
    expect(ratio(lro(12))).toBeLessThan(ratio(lro(8)));
    expect(ratio(lro(32))).toBeLessThan(ratio(lro(12)));
    expect(lro(32).cpu.cyclesPerKB!).toBeGreaterThan(lro(8).cpu.cyclesPerKB!);
    const tput = (n: number) => ch.series[1]!.points.find((p) => p[0] === n)![1]!;
    expect(tput(32)).toBeLessThan(tput(8));
    expect(tput(8)).toBe(Math.round(lro(8).cpu.sustainableGbps! * 1000) / 1000);
    // every flow is one queue's
    expect(Object.keys(lro(32).ringOccupancy)).toEqual(['0']);
    expect(Object.keys(lro(32).flows)).toHaveLength(32);
  });

  it('latency per engine is the comparison runs’ p50 and p99', () => {
    const ch = c.data.charts.latencyByEngine;
    expect(ch.groups).toEqual(['LRO/GRO off', 'inet_lro', 'GRO']);
    expect(ch.series.map((s) => s.name)).toEqual(['p50', 'p99']);
    expect(ch.series[0]!.values).toEqual(c.comparison.map((r) => Math.round(r.report.latency.p50Us * 100) / 100));
    expect(ch.series[1]!.values).toEqual(c.comparison.map((r) => Math.round(r.report.latency.p99Us * 100) / 100));
    for (const v of ch.series.flatMap((s) => s.values)) expect(v!).toBeGreaterThan(0);
  });

  it('ring occupancy comes from the inet_lro run, in µs', () => {
    const ch = c.data.charts.ringOccupancy;
    const r = c.comparison[1]!.report;
    expect(ch.series.map((s) => s.name)).toEqual(Object.keys(r.ringOccupancy).map((q) => `queue ${q}`));
    const pts = r.ringOccupancy['0']!.points;
    expect(ch.series[0]!.points).toHaveLength(pts.length);
    expect(ch.series[0]!.points[5]).toEqual([Math.round(pts[5]![0]) / 1000, pts[5]![1]]);
    expect(ch.xEnd).toBe(Math.round(r.durationNs) / 1000);
    expect(Math.max(...ch.series[0]!.points.map((p) => p[1]!))).toBe(r.ringOccupancy['0']!.peak);
    expect(ch.note).toContain('rq1 1024, rq2 1024, rq3 128, cq 2176');
  });

  it('is deterministic: the same options give the same data, run here or over a pool of two worker threads', async () => {
    const plan = planReport({ quick: true });
    const summaries = await runTasks<LabRunSummary>(
      plan.tasks.map((task) => ({ kind: 'lab-run', task })),
      { jobs: 2 },
    );
    expect(JSON.stringify(plan.assemble(summaries).data)).toBe(JSON.stringify(c.data));
  }, 120_000);
});

describe('collectReport with 2 seeds (quick)', () => {
  let m: CollectedReport;
  beforeAll(() => {
    m = collectReport({ quick: true, seeds: 2 });
  }, 120_000);

  it('runs every configuration with seeds 1 and 2; the first seed is the 1-seed run', () => {
    expect(m.runCount).toBe(2 * 27);
    expect(m.failures).toEqual([]);
    expect(() => parseReportData(m.data)).not.toThrow();
    expect(m.data.generatedBy).toBe('vnic report (seeds 1–2)');
    expect(m.data.seedRuns!.seeds).toEqual([1, 2]);
    expect(JSON.stringify(m.comparison.map((r) => r.report))).toBe(JSON.stringify(c.comparison.map((r) => r.report)));
  });

  it('each figure: perSeed holds both seeds, the spread is their min, max and mean of the two', () => {
    for (const s of [...m.data.seedRuns!.comparison, ...m.data.seedRuns!.segmentSweep, ...m.data.seedRuns!.flowSweep]) {
      for (const [name, f] of Object.entries(s.figures)) {
        const [a, b] = s.perSeed[name]!;
        expect(f).toEqual({ median: (a! + b!) / 2, min: Math.min(a!, b!), max: Math.max(a!, b!) });
      }
    }
    // seed 1's values are the 1-seed report's
    expect(m.data.seedRuns!.comparison[1]!.perSeed['acksSent']![0]).toBe(c.comparison[1]!.report.acksSent);
    expect(m.data.seedRuns!.flowSweep).toHaveLength(15);
  });

  it('table and charts show the median with min–max beside it', () => {
    expect(m.data.summary.labelHeader).toBe('bulk-4flows (seeds 1–2: median (min–max))');
    expect(m.data.summary.rows).toEqual(spreadRows(m.comparison.map((r) => r.summary)));
    const p99 = m.comparison.map((r) => r.summary.figures['latencyP99Us']!);
    expect(m.data.charts.latencyByEngine.series[1]!.values).toEqual(p99.map((f) => Math.round(f.median * 100) / 100));
    expect(m.data.charts.latencyByEngine.note).toContain('Median of 2 seeds; min–max (µs): LRO/GRO off p50 ');
    const lro8 = m.flowSweep.find((p) => p.engine === 'lro' && p.flows === 8)!.summary.figures['sustainableGbps']!;
    expect(m.data.charts.throughputByFlows.series[1]!.points.find((p) => p[0] === 8)![1]).toBe(
      Math.round(lro8.median * 1000) / 1000,
    );
    expect(m.data.charts.throughputByFlows.note).toContain(`inet_lro: 1 `);
    expect(m.data.charts.throughputByFlows.note).toContain(
      `8 ${Math.round(lro8.min * 1000) / 1000}–${Math.round(lro8.max * 1000) / 1000}`,
    );
    expect(m.data.notes!.join('\n')).toContain('Every configuration ran with 2 traffic seeds (1, 2)');
  });
});

describe('reportEngines and bad input', () => {
  it('--engine limits the comparison to off and that engine', () => {
    expect(reportEngines({})).toEqual(['off', 'lro', 'gro']);
    expect(reportEngines({ engine: 'gro' })).toEqual(['off', 'gro']);
    expect(reportEngines({ engine: 'off' })).toEqual(['off']);
    expect(reportEngines({ model: 'e1000' })).toEqual(['off', 'gro']);
    expect(reportEngines({ model: 'e1000', softwareChecksum: true })).toEqual(['off', 'lro', 'gro']);
  });

  it('throws LabError naming the problem', () => {
    expect(() => reportEngines({ model: 'e1000', engine: 'lro' })).toThrow(/engine lro cannot run with driver e1000/);
    expect(() => collectReport({ quick: true, base: { model: 'nope' } })).toThrow(LabError);
    expect(() => collectReport({ quick: true, traffic: 'nope' })).toThrow(
      "traffic 'nope' is not a scenario (scenarios: bulk-1flow",
    );
  });
});
