// The figures of docs/lro.md that need a closed-loop sender or many seeds: slow start under per-ACK
// and per-segment window growth (window and ACKs against time), CPU and latency against offered load
// with and without interrupt moderation, the max_aggr sweep, and the lossy link's spread over seeds.
// docs/figures.ts calls `tcpFigures` and writes what it returns with the other figures.
import { runLab, type LabConfig, type RunResult } from '../lab/run.ts';
import { getScenario } from '../lab/scenarios.ts';
import { plansFor, runSeed, seedList, summarise, type Spread } from '../lab/seeds.ts';
import { lineChart } from '../report/svg.ts';

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const fix = (n: number, d: number): string => n.toFixed(d);
const gbps = (r: RunResult): number =>
  r.report.durationNs > 0 ? (r.report.bytesDelivered * 8) / r.report.durationNs : 0;
const ratio = (r: RunResult): number =>
  r.report.framesToStack > 0 ? r.report.wireFramesToStack / r.report.framesToStack : 0;

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n') + '\n';
}
const cmd = (s: string): string => `\nReproduce: \`${s}\`\n`;

function checked(r: RunResult): RunResult {
  if (!r.conservation.ok || !r.report.allStreamsOk) throw new Error(`figures: run ${r.report.label} lost data`);
  return r;
}

function scenario(name: string) {
  const s = getScenario(name);
  if (s === undefined) throw new Error(`figures: no scenario ${name}`);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Slow start: what the ACK rate does to a sender that grows per ACK

function slowStart(): Record<string, string> {
  const s = scenario('slow-start');
  const plans = plansFor(s.lab, s, undefined);
  const runs = plans.map((p) => ({ label: p.label, r: checked(runSeed(p, 1)) }));
  const base = runs[0]!.r.report.durationNs;
  const rows = runs.map(({ label, r }) => {
    const rep = r.report,
      snd = rep.counters['sender']!;
    return [
      label,
      fix(rep.durationNs / 1e6, 2),
      `${fix(rep.durationNs / base, 2)}×`,
      int(snd['acksReceived']!),
      int(snd['maxCwnd']!),
      `${fix(ratio(r), 2)}×`,
      int(rep.cpu.cyclesPerKB ?? 0),
    ];
  });
  const shown = runs.filter(({ label }) =>
    ['off, 2.6.24 sender', 'LRO per-ACK, per-packet', 'LRO per-ACK, gso_segs', 'LRO per-segment'].includes(label),
  );
  const series = (pick: (p: [number, number, number]) => number) =>
    shown.map(({ label, r }) => ({
      name: label,
      points: r.partner!.windowHistory(0).map((p) => [p[0] / 1e6, pick(p)] as const),
    }));
  const t = s.lab.traffic as { rateGbps: number; pathDelayNs: number; bytesPerFlow: number };
  return {
    'slow-start.md':
      table(
        [
          'configuration',
          'time to deliver (ms)',
          'vs off, 2.6.24',
          'ACKs the sender received',
          'largest window (segments)',
          'aggregation',
          'cycles per KB',
        ],
        rows,
      ) +
      `\nScenario slow-start: one flow of ${int(t.bytesPerFlow / 1048576)} MiB at ${t.rateGbps} Gb/s over a ${fix(t.pathDelayNs / 1000, 0)} µs round trip, initial window 10, eHEA with interrupt moderation (32 frames or 50 µs), seed 1. ` +
      '"per-ACK": the 2.6.24 sender (window + 1 per ACK in slow start, tcp_abc 0); "per-segment": a modern sender (window + the segments acknowledged). ' +
      '"per-packet" / "gso_segs": how the receiver counts an aggregate towards its ACK-every-second-segment rule.\n' +
      cmd('npx vnic run --scenario slow-start --json'),
    'slow-start-window.svg': lineChart({
      id: 'ss-win',
      title: 'Congestion window against time, scenario slow-start',
      desc: 'The sender window in segments against time for LRO off and LRO with per-ACK and per-segment growth.',
      xTitle: 'time (ms)',
      yTitle: 'congestion window (segments)',
      series: series((p) => p[1]),
    }),
    'slow-start-acks.svg': lineChart({
      id: 'ss-acks',
      title: 'ACKs received by the sender against time, scenario slow-start',
      desc: 'Cumulative ACKs the sender received: LRO cuts the ACK rate, most when an aggregate counts as one packet.',
      xTitle: 'time (ms)',
      yTitle: 'ACKs received (cumulative)',
      series: series((p) => p[2]),
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// CPU and latency against offered load, with and without interrupt moderation

const LOADS = [0.5, 1, 2, 4, 6, 8, 10] as const;
const LOAD_RUN_NS = 5_000_000;

function offeredLoad(): Record<string, string> {
  const rows: string[][] = [];
  const cpu: { name: string; points: (readonly [number, number])[] }[] = [];
  const lat: { name: string; points: (readonly [number, number])[] }[] = [];
  for (const moderated of [false, true]) {
    for (const engine of ['off', 'lro'] as const) {
      const name = `${engine === 'off' ? 'off' : 'LRO'}${moderated ? ', moderated' : ''}`;
      const c: [number, number][] = [],
        p50: [number, number][] = [];
      for (const rate of LOADS) {
        const cfg: LabConfig = {
          engine,
          label: `load-${rate}-${name}`,
          ...(moderated ? { modelConfig: { moderation: { packets: 32, delayUs: 50 } } } : {}),
          traffic: {
            rtoNs: 200e6,
            rateGbps: rate,
            sender: 'modern',
            pathDelayNs: 50_000,
            durationNs: LOAD_RUN_NS,
            flows: [{ kind: 'bulk', count: 4, sendWindow: 1 << 20, receiverWindowShift: 4 }],
          },
        };
        const r = checked(runLab(cfg)),
          rep = r.report;
        const saturated = rep.cpu.utilisation >= 0.995;
        rows.push([
          fix(rate, 1),
          moderated ? '32 frames / 50 µs' : 'none',
          engine,
          fix(gbps(r), 2),
          `${fix(rep.cpu.utilisation * 100, 1)} %${saturated ? ' (saturated)' : ''}`,
          int(rep.cpu.cyclesPerKB ?? 0),
          fix(rep.latency.p50Us, 1),
          fix(rep.latency.p99Us, 1),
        ]);
        c.push([rate, rep.cpu.utilisation * 100]);
        p50.push([rate, rep.latency.p50Us]);
      }
      cpu.push({ name, points: c });
      lat.push({ name: `${name} p50`, points: p50 });
    }
  }
  return {
    'offered-load.md':
      table(
        [
          'offered (Gb/s)',
          'interrupt moderation',
          'engine',
          'achieved (Gb/s)',
          'CPU',
          'cycles per KB',
          'p50 µs',
          'p99 µs',
        ],
        rows,
      ) +
      `\nFour closed-loop bulk flows (modern sender, 50 µs round trip) for ${LOAD_RUN_NS / 1e6} ms of sending at each link rate, eHEA, seed 1. "(saturated)": the core was busy the whole run, so the throughput is what the CPU allowed.\n` +
      cmd(
        'npx vnic run --config load.json --json   # load.json: {"modelConfig":{"moderation":{"packets":32,"delayUs":50}},"traffic":{"rateGbps":2,"sender":"modern","pathDelayNs":50000,"durationNs":5000000,"rtoNs":200000000,"flows":[{"kind":"bulk","count":4,"sendWindow":1048576,"receiverWindowShift":4}]}}',
      ),
    'offered-load-cpu.svg': lineChart({
      id: 'load-cpu',
      title: 'CPU utilisation against offered load',
      desc: 'Busy share of the one simulated core against link rate, LRO off and on, with and without interrupt moderation.',
      xTitle: 'offered load (Gb/s)',
      yTitle: 'CPU utilisation (%)',
      series: cpu,
      yRefs: [{ value: 100, label: 'one core saturated' }],
    }),
    'offered-load-latency.svg': lineChart({
      id: 'load-lat',
      title: 'p50 receive latency against offered load',
      desc: 'Median time from a segment reaching the NIC to its bytes reaching the socket.',
      xTitle: 'offered load (Gb/s)',
      yTitle: 'p50 latency (µs)',
      series: lat,
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// max_aggr: what a larger limit buys

const MAX_AGGR = [1, 2, 4, 8, 16, 32, 64] as const;

function maxAggrSweep(): Record<string, string> {
  const s = scenario('bulk-1flow');
  const rows: string[][] = [];
  const pts: [number, number][] = [];
  for (const m of MAX_AGGR) {
    const r = checked(runLab({ ...s.lab, engine: 'lro', maxAggr: m, label: `max-aggr-${m}` }));
    const rep = r.report;
    rows.push([
      String(m),
      `${fix(ratio(r), 2)}×`,
      int(rep.lro.reasons['flush_max_aggr'] ?? 0),
      int(rep.lro.reasons['flush_all'] ?? 0),
      int(rep.cpu.cyclesPerKB ?? 0),
      fix(gbps(r), 2),
    ]);
    pts.push([m, rep.cpu.cyclesPerKB ?? 0]);
  }
  return {
    'max-aggr.md':
      table(
        ['max_aggr', 'aggregation', 'flushed at max_aggr', 'flushed at the end of a poll', 'cycles per KB', 'Gb/s'],
        rows,
      ) +
      "\nScenario bulk-1flow with LRO, max_aggr set per run (eHEA's own is 64), seed 1. Once max_aggr is above what one poll finds of the flow, the poll's end flushes every session first and a larger limit buys nothing.\n" +
      cmd('npx vnic run --scenario bulk-1flow --engine lro --max-aggr 8'),
    'max-aggr.svg': lineChart({
      id: 'max-aggr',
      title: 'CPU cycles per KB against max_aggr, bulk-1flow',
      desc: 'Returns stop where a poll ends the aggregate before max_aggr does.',
      xTitle: 'max_aggr',
      yTitle: 'cycles per KB',
      logX: true,
      series: [{ name: 'LRO', points: pts }],
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// The lossy link over seeds: the spread is the message

export const FIGURE_SEEDS = 5;

function lossySeeds(): string {
  const s = scenario('lossy-link');
  const seeds = seedList(1, FIGURE_SEEDS);
  const show = (x: Spread, f: (n: number) => string) =>
    x.min === x.max ? f(x.median) : `${f(x.median)} (${f(x.min)}–${f(x.max)})`;
  const rows = plansFor(s.lab, s, ['off', 'lro', 'gro']).map((p) => {
    const sum = summarise(
      p.label,
      seeds,
      seeds.map((seed) => checked(runSeed(p, seed)).report),
    );
    const f = sum.figures;
    return [
      p.label,
      show(f['durationMs']!, (n) => fix(n, 1)),
      show(f['throughputGbps']!, (n) => fix(n, 2)),
      show(f['timeouts']!, int),
      show(f['retransmits']!, int),
      show(f['acksSent']!, int),
      show(f['latencyP99Us']!, (n) => fix(n, 0)),
    ];
  });
  const t = s.lab.traffic as {
    rtoNs: number;
    bytesPerFlow: number;
    flows: { count: number }[];
    impairments: { loss: number; reorder: { p: number; depth: number } };
  };
  return (
    table(
      ['engine', 'time to last byte (ms)', 'Gb/s', 'RTO timeouts', 'segments retransmitted', 'ACKs sent', 'p99 µs'],
      rows,
    ) +
    `\nScenario lossy-link (${t.flows[0]!.count} flows × ${int(t.bytesPerFlow / 1048576)} MiB, ${t.impairments.loss * 100} % loss, ${t.impairments.reorder.p * 100} % reordering at depth ${t.impairments.reorder.depth}, ` +
    `retransmission timeout ${int(t.rtoNs / 1e6)} ms doubling on each repeat) on eHEA, seeds ${seeds[0]}–${seeds[seeds.length - 1]}: median (min–max). ` +
    "A seed whose losses hit the last segments of a flow waits for the timeout, and that, not the engine, decides the run's length.\n" +
    cmd(`npx vnic run --scenario lossy-link --seeds ${FIGURE_SEEDS}`)
  );
}

/** Every figure of this file: name → content. */
export function tcpFigures(): Record<string, string> {
  return { ...slowStart(), ...offeredLoad(), ...maxAggrSweep(), 'lossy.md': lossySeeds() };
}
