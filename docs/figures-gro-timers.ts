// The GRO-timer figure of docs/lro.md: segments per GRO packet and p99 latency against NAPI's gro_flush_timeout
// (with napi_defer_hard_irqs 10, the kernel's GRO selftest setting), for 1 bulk flow and for 200 flows whose
// senders use TSO, as in the test of the kernel commit that brought the timer; made by running the lab
// (docs/figures.ts calls it; `npm run docs:figures` writes it, `npm run docs:check` holds it to a fresh run).
import { runLab, type RunResult } from '../lab/run.ts';
import { lineChart } from '../report/svg.ts';

/** 2 µs is the timer the kernel commit measured with 200 flows. */
const TIMEOUTS_US = [0, 2, 20, 50, 100, 200] as const;
const DEFER_HARD_IRQS = 10;
/** The two traffic shapes: one bulk flow on one queue; 200 TSO senders over 8 receive queues (RSS). */
const SERIES = [
  { name: '1 flow', flows: 1, queues: 1, tso: false, bytesPerFlow: 4 << 20 },
  { name: '200 flows, TSO', flows: 200, queues: 8, tso: true, bytesPerFlow: 192 << 10 },
] as const;
type Series = (typeof SERIES)[number];

function timerRun(s: Series, timeoutUs: number): RunResult {
  const r = runLab({
    label: `gro-timers-${s.flows}/${timeoutUs}`,
    model: 'mq',
    engine: 'gro',
    queues: s.queues,
    groFlushTimeoutUs: timeoutUs,
    deferHardIrqs: timeoutUs > 0 ? DEFER_HARD_IRQS : 0,
    traffic: { rateGbps: 10, tso: s.tso, bytesPerFlow: s.bytesPerFlow, flows: [{ kind: 'bulk', count: s.flows }] },
  });
  if (!r.conservation.ok || !r.report.allStreamsOk) throw new Error(`figures: run ${r.report.label} lost data`);
  return r;
}

/** Wire segments per packet GRO passed up (merged and held, over flushed and passed). */
function segmentsPerGroPacket(r: RunResult): number {
  const g = r.report.gro.reasons;
  const up = (g['flushed'] ?? 0) + (g['passed'] ?? 0);
  return up > 0 ? (g['received'] ?? 0) / up : 0;
}

export function groTimerFigures(): Record<string, string> {
  const rows: string[] = [];
  const seg = new Map<string, [number, number][]>(),
    p99 = new Map<string, [number, number][]>();
  for (const sr of SERIES) {
    seg.set(sr.name, []);
    p99.set(sr.name, []);
  }
  const tso = SERIES[1];
  /** For the 200 TSO flows: the share of GRO packets a poll's end closed (flush_napi) and the share a train's last segment closed (flush_psh), per timeout. */
  const ends = new Map<number, { poll: number; train: number }>();
  for (const t of TIMEOUTS_US) {
    const cells = [t === 0 ? '0 (off)' : String(t)];
    for (const sr of SERIES) {
      const r = timerRun(sr, t);
      const s = segmentsPerGroPacket(r);
      const lat = r.report.latency.p99Us;
      seg.get(sr.name)!.push([t, Number(s.toFixed(3))]);
      p99.get(sr.name)!.push([t, Number(lat.toFixed(1))]);
      const st = r.report.counters['stack']!;
      cells.push(s.toFixed(2), lat.toFixed(0), String(st['interrupts']), String(st['groTimerFired']));
      if (sr === tso) {
        const g = r.report.gro.reasons;
        const flushed = g['flushed'] ?? 0;
        ends.set(t, { poll: (g['flush_napi'] ?? 0) / flushed, train: (g['flush_psh'] ?? 0) / flushed });
      }
    }
    rows.push(`| ${cells.join(' | ')} |`);
  }
  const segsPerFlow = Math.ceil(tso.bytesPerFlow / 1448);
  const pct = (x: number | undefined) => `${Math.round((x ?? 0) * 100)} %`;
  const md = [
    '| gro_flush_timeout µs | 1 flow: segments per GRO packet | p99 latency µs | interrupts | timer polls | 200 flows, TSO: segments per GRO packet | p99 latency µs | interrupts | timer polls |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `mq with GRO at 10 Gb/s, napi_defer_hard_irqs ${DEFER_HARD_IRQS} whenever the timeout is set; latency from wire arrival to the socket, per segment. 1 flow: 4 MiB on one receive queue. 200 flows: ${tso.bytesPerFlow >> 10} KiB each (${segsPerFlow} segments of 1448 bytes) over 8 receive queues, each sender handing its NIC 64 KB TSO super-segments that arrive as trains of up to 45 segments back to back, the last with PSH. The kernel commit that brought gro_flush_timeout (3b47d30396ba, Linux 3.19) measured 200 TCP_STREAM flows over 8 receive queues at 10 Gb/s going from 2.65 to 42 segments per GRO packet with a 2 µs timer. The lab shows the same mechanism: without the timer a poll's end closed ${pct(ends.get(0)?.poll)} of the GRO packets (a train's last segment ${pct(ends.get(0)?.train)}); with the 2 µs timer packets are held across polls and a train's end closed ${pct(ends.get(2)?.train)}, so a GRO packet is a whole train (${Math.floor(segsPerFlow / 45)} trains of 45 segments and one short one per flow here, hence the ceiling below 45). Without the timer its polls are larger than that host's were (here one simulated CPU serves all 8 queues at line rate), so it starts higher than 2.65.`,
    '',
    'Reproduce: `npx vnic run --scenario bulk-1flow --model mq --engine gro --queues 1 --gro-flush-timeout-us 200 --defer-hard-irqs 10`',
    '',
  ].join('\n');
  const chart = (id: string, title: string, yTitle: string, data: Map<string, [number, number][]>) =>
    lineChart({
      id,
      title,
      xTitle: 'gro_flush_timeout (µs), napi_defer_hard_irqs 10',
      yTitle,
      series: SERIES.map((sr) => ({ name: sr.name, points: data.get(sr.name)! })),
    });
  return {
    'gro-timers.md': md,
    'gro-timers-segments.svg': chart(
      'gro-timers-segments',
      'Segments per GRO packet vs gro_flush_timeout',
      'segments per GRO packet',
      seg,
    ),
    'gro-timers-p99.svg': chart('gro-timers-p99', 'p99 latency vs gro_flush_timeout', 'p99 latency (µs)', p99),
  };
}
