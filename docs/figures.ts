// The figures of docs/lro.md and docs/performance.md, made by running the lab: tables (markdown),
// charts (SVG, report/svg.ts), the receive-path picture, trace excerpts and the GRO-vs-LRO
// re-segmentation demo. `npm run docs:figures` writes them to docs/figures/ and refills the
// `<!-- figure:NAME -->` regions of the two pages; test/docs-figures.test.ts fails when they are stale.
import { r16, r32 } from '../wire/bytes.ts';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLab, type LabConfig, type RunResult } from '../lab/run.ts';
import { SCENARIOS } from '../lab/scenarios.ts';
import { createModel } from '../hw-models/registry.ts';
import { DriverOptionsSchema, getDriver, type Engine } from '../drivers/index.ts';
import { TraceLog } from '../observe/trace.ts';
import { VirtualClock } from '../sim/clock.ts';
import { COST_KINDS, DEFAULT_COST_PROFILE } from '../sim/cost.ts';
import { LroManager, GroEngine } from '../lro/index.ts';
import { SkBuff, ethTypeTrans, CHECKSUM_UNNECESSARY, segmentFrames, type RxSink } from '../stack/index.ts';
import { readCapture } from '../tap/index.ts';
import { IPV4, TCP, TCP_FLAG, TCPOPT_TS } from '../wire/index.ts';
import { FrameLayout, layoutFrame } from '../wire/layout.ts';
import { parseIpv4 } from '../wire/address.ts';
import { linearTcpSkbHeader } from '../drivers/skb-header.ts';
import { barChart, escapeXml, histogram, lineChart } from '../report/svg.ts';
import { buildMatrix, type MatrixRow } from '../cli/commands/matrix.ts';
import { tcpFigures } from './figures-tcp.ts';
import { forwardFigures } from './figures-forward.ts';
import { groTimerFigures } from './figures-gro-timers.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
export const FIGURES_DIR = join(HERE, 'figures');
/** The pages whose `<!-- figure:NAME -->` regions the script fills. */
export const PAGES = [join(HERE, 'lro.md'), join(HERE, 'performance.md')];
const CAPTURE = 'test/captures/bulk_mtu1500.tx.pcap';
/** The capture's receiver: the figures replay the data sent to it. */
const RECEIVER = parseIpv4('10.77.0.2');
const ENGINES: readonly Engine[] = ['off', 'lro', 'gro'];
const MATRIX_FLOW_KIB = 1024;

// ---------------------------------------------------------------------------------------------
// Formatting

function int(n: number): string {
  const s = String(Math.round(Math.abs(n)));
  return (n < 0 ? '−' : '') + s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
const fix = (n: number, d: number): string => n.toFixed(d);
const mib = (bytes: number): string => `${fix(bytes / 1048576, 2)} MiB`;
const gbps = (n: number | null): string => (n === null ? '—' : `${fix(n, 2)} Gb/s`);
function pct(from: number, to: number): string {
  if (from === 0) return '—';
  const p = ((to - from) / from) * 100;
  const r = Math.round(p);
  return r === 0 ? '±0 %' : r > 0 ? `+${r} %` : `−${-r} %`;
}

function table(head: readonly string[], rows: readonly (readonly string[])[], align?: string): string {
  const a = align ?? 'l' + 'r'.repeat(head.length - 1);
  const sep = head.map((_, i) => (a[i] === 'r' ? '---:' : '---'));
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(sep), ...rows.map(line)].join('\n') + '\n';
}

/** A short note under a table: how to reproduce it. */
const cmd = (s: string): string => `\nReproduce: \`${s}\`\n`;

// ---------------------------------------------------------------------------------------------
// Running the lab

const ratio = (r: RunResult): number =>
  r.report.framesToStack > 0 ? r.report.wireFramesToStack / r.report.framesToStack : 0;
const achieved = (r: RunResult): number =>
  r.report.durationNs > 0 ? (r.report.bytesDelivered * 8) / r.report.durationNs : 0;

function run(cfg: LabConfig, tracer?: TraceLog): RunResult {
  const r = runLab(cfg, tracer !== undefined ? { tracer } : {});
  if (!r.conservation.ok || !r.report.allStreamsOk)
    throw new Error(
      `figures: run ${r.report.label} lost data (conservation ${r.conservation.ok}, streams ${r.report.allStreamsOk})`,
    );
  return r;
}

function scenario(name: string) {
  const s = SCENARIOS.find((x) => x.name === name);
  if (s === undefined) throw new Error(`figures: no scenario ${name}`);
  return s;
}

// ---------------------------------------------------------------------------------------------
// The receive-path picture (drawn by hand, as SVG text)

export function receivePathSvg(): string {
  const W = 760,
    H = 580,
    L = 20,
    R = 430,
    BW = 310;
  const box = (x: number, y: number, h: number, title: string, lines: string[], fill: string) =>
    `<g><rect x="${x}" y="${y}" width="${BW}" height="${h}" rx="8" fill="${fill}" stroke="#333" stroke-width="1.2"/>` +
    `<text x="${x + 12}" y="${y + 22}" font-size="15" font-weight="bold">${escapeXml(title)}</text>` +
    lines
      .map(
        (l, i) =>
          `<text x="${x + 12}" y="${y + 42 + i * 17}" font-size="12" xml:space="preserve">${escapeXml(l)}</text>`,
      )
      .join('') +
    '</g>';
  const arrow = (x1: number, y1: number, x2: number, y2: number) =>
    `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="#333" stroke-width="1.6" marker-end="url(#arrow)"/>`;
  const label = (x: number, y: number, text: string, anchor: 'start' | 'middle' = 'start') =>
    `<text x="${x}" y="${y}" font-size="11.5" fill="#555" text-anchor="${anchor}">${escapeXml(text)}</text>`;
  const mid = (L + BW + R) / 2;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="The receive path with inet_lro" font-family="DejaVu Sans, Verdana, sans-serif" fill="#111">`,
    '<title>The receive path with inet_lro: NIC, rings, interrupt, NAPI poll, LRO, stack</title>',
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>',
    `<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`,
    box(
      L,
      20,
      110,
      'NIC (hw-models/)',
      [
        'checks length, FCS, MAC; picks a queue',
        'verifies checksums, extracts the VLAN tag',
        'DMAs the frame into a posted buffer',
      ],
      '#e8f1fa',
    ),
    box(
      R,
      20,
      110,
      'Descriptor rings (DMA memory)',
      [
        'rx ring: buffers the driver posted',
        'completion ring: length, status bits,',
        'checksum verdict, VLAN tag (bytes)',
      ],
      '#e8f1fa',
    ),
    arrow(L + BW, 75, R - 2, 75),
    label(mid, 67, 'DMA', 'middle'),
    box(L, 175, 80, 'Interrupt', ['one per queue; masks itself when it fires', 'handler: napi_schedule()'], '#fdf1e4'),
    arrow(L + 165, 130, L + 165, 173),
    label(L + 173, 156, 'completion published → IRQ'),
    box(
      R,
      175,
      210,
      'NAPI poll (drivers/*/poll.ts)',
      [
        'while done < budget (weight 64):',
        '  read a completion (DataView)',
        '  build an skb, or a page-fragment list',
        '  lro_receive_skb / lro_receive_frags',
        '  (lro_vlan_hwaccel_* if HW took the tag)',
        'lro_flush_all()  ← end of every batch',
        'refill the rings, ring the doorbell',
        'done < budget: napi_complete,',
        '  unmask the interrupt',
      ],
      '#fdf1e4',
    ),
    arrow(L + BW, 215, R - 2, 215),
    label(mid, 207, 'softirq', 'middle'),
    arrow(R + 165, 130, R + 165, 173),
    label(R + 173, 156, 'completions'),
    box(
      L,
      300,
      175,
      'inet_lro: LroManager (lro/)',
      [
        'get_skb_header / get_frag_header',
        'lro_get_desc: max_desc descriptors,',
        '  linear scan on saddr/daddr/ports',
        'eligible and in sequence → append',
        'else flush the session, pass alone',
        'flush: rewrite ack, window, TSecr,',
        '  tot_len, IP and TCP checksums',
      ],
      '#e9f6ee',
    ),
    arrow(R - 2, 320, L + BW + 2, 345),
    label(mid, 318, 'each frame', 'middle'),
    box(
      R,
      430,
      120,
      'Stack (stack/)',
      [
        'netif_receive_skb → ip_rcv → tcp_v4_rcv',
        'one skb per aggregate: one route lookup,',
        'one socket lookup, fewer ACKs',
        'sockets check every byte',
      ],
      '#f3eefa',
    ),
    arrow(L + BW + 2, 450, R - 2, 480),
    label(mid, 490, 'aggregates and', 'middle'),
    label(mid, 504, 'bypassed skbs', 'middle'),
    arrow(R + 165, 385, R + 165, 428),
    label(R + 173, 411, 'LRO off: frame by frame'),
    label(L, 535, 'Without LRO every frame climbs the stack alone.'),
    label(L, 552, 'With LRO a train of in-order segments of one flow climbs once.'),
    '</svg>',
  ];
  return parts.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// Scenarios × engines (eHEA)

function scenarioRuns(): Map<string, Map<Engine, RunResult>> {
  const out = new Map<string, Map<Engine, RunResult>>();
  // a forwarding scenario compares kernel policies, not engines alone: it has its own figure (forward.md)
  for (const s of SCENARIOS) {
    if (s.lab.forward !== undefined) continue;
    const m = new Map<Engine, RunResult>();
    for (const e of ENGINES) m.set(e, run({ ...s.lab, engine: e, label: `${s.name}/${e}` }));
    out.set(s.name, m);
  }
  return out;
}

function scenariosTable(runs: Map<string, Map<Engine, RunResult>>): string {
  const rows: string[][] = [];
  for (const [name, m] of runs) {
    for (const e of ENGINES) {
      const r = m.get(e)!,
        rep = r.report;
      rows.push([
        e === 'off' ? `**${name}**` : '',
        e,
        int(rep.framesIn),
        int(rep.framesToStack),
        `${fix(ratio(r), 2)}×`,
        int(rep.cpu.cyclesPerKB ?? 0),
        gbps(achieved(r)),
        gbps(rep.cpu.sustainableGbps),
        fix(rep.latency.p50Us, 1),
        fix(rep.latency.p99Us, 1),
        int(rep.acksSent),
        mib(rep.peakDmaBytes),
      ]);
    }
  }
  return (
    table(
      [
        'scenario',
        'engine',
        'frames in',
        'packets to stack',
        'aggregation',
        'cycles/KB',
        'throughput',
        'sustainable (1 core)',
        'latency p50 µs',
        'p99 µs',
        'ACKs',
        'peak DMA',
      ],
      rows,
      'llrrrrrrrrrr',
    ) +
    cmd('npx vnic run --scenario <name> --engine <off|lro|gro> --json') +
    '\nDriver `ehea` on model `ehea` (defaults: 1 queue, max_desc 8, max_aggr 64, NAPI weight 64). "aggregation" = wire frames ÷ packets the stack received; ' +
    '"throughput" = bytes delivered ÷ run time on the virtual clock; "sustainable" = what one simulated 3 GHz core could carry at this run\'s cycles per byte.\n'
  );
}

function gainsTable(runs: Map<string, Map<Engine, RunResult>>): string {
  const rows: string[][] = [];
  for (const [name, m] of runs) {
    const off = m.get('off')!.report;
    for (const e of ['lro', 'gro'] as const) {
      const x = m.get(e)!.report;
      rows.push([
        e === 'lro' ? `**${name}**` : '',
        e,
        pct(off.framesToStack, x.framesToStack),
        pct(off.cpu.cyclesPerKB ?? 0, x.cpu.cyclesPerKB ?? 0),
        pct(off.latency.p50Us, x.latency.p50Us),
        pct(off.latency.p99Us, x.latency.p99Us),
        pct(off.acksSent, x.acksSent),
        pct(off.peakDmaBytes, x.peakDmaBytes),
      ]);
    }
  }
  return (
    table(
      ['scenario', 'engine', 'packets to stack', 'cycles/KB', 'latency p50', 'latency p99', 'ACKs', 'peak DMA'],
      rows,
      'llrrrrrr',
    ) + '\nEach cell: change against the same scenario with aggregation off (negative = less). From the table above.\n'
  );
}

function lroReasonsTable(runs: Map<string, Map<Engine, RunResult>>): string {
  const keys = new Set<string>();
  for (const m of runs.values())
    for (const [k, v] of Object.entries(m.get('lro')!.report.lro.reasons))
      if (v > 0 && (k.startsWith('bypass_') || k.startsWith('flush_'))) keys.add(k);
  const cols = [...keys].sort();
  const rows: string[][] = [];
  for (const [name, m] of runs) {
    const l = m.get('lro')!.report.lro;
    rows.push([
      name,
      int(l.aggregated),
      int(l.flushed),
      fix(l.avgAggr, 2),
      int(l.noDesc),
      ...cols.map((k) => int(l.reasons[k] ?? 0)),
    ]);
  }
  return (
    table(['scenario', 'aggregated', 'flushed', 'avg aggr', 'no_desc', ...cols.map((c) => `\`${c}\``)], rows) +
    cmd('npx vnic run --scenario <name> --engine lro --json   # .runs[0].lro.reasons')
  );
}

function scenarioCharts(runs: Map<string, Map<Engine, RunResult>>): Record<string, string> {
  const groups = [...runs.keys()];
  const series = (f: (r: RunResult) => number) =>
    ENGINES.map((e) => ({ name: e, values: groups.map((g) => f(runs.get(g)!.get(e)!)) }));
  return {
    'cycles-per-kb.svg': barChart({
      id: 'cpk',
      title: 'Simulated CPU cycles per KB delivered, per scenario and engine (eHEA)',
      xTitle: 'scenario',
      yTitle: 'cycles per KB',
      groups,
      series: series((r) => Math.round(r.report.cpu.cyclesPerKB ?? 0)),
    }),
    'latency-p50.svg': barChart({
      id: 'p50',
      title: 'Latency p50 (µs), wire arrival to socket, per scenario and engine (eHEA)',
      xTitle: 'scenario',
      yTitle: 'µs',
      groups,
      series: series((r) => Number(fix(r.report.latency.p50Us, 1))),
    }),
    'latency-p99.svg': barChart({
      id: 'p99',
      title: 'Latency p99 (µs), wire arrival to socket, per scenario and engine (eHEA)',
      xTitle: 'scenario',
      yTitle: 'µs',
      groups,
      series: series((r) => Number(fix(r.report.latency.p99Us, 1))),
    }),
    'packets-to-stack.svg': barChart({
      id: 'pts',
      title: 'Packets the stack had to process, per scenario and engine (eHEA)',
      xTitle: 'scenario',
      yTitle: 'skbs',
      groups,
      series: series((r) => r.report.framesToStack),
    }),
  };
}

const HIST_BINS: readonly [string, number, number][] = [
  ['1', 1, 1],
  ['2–4', 2, 4],
  ['5–8', 5, 8],
  ['9–16', 9, 16],
  ['17–32', 17, 32],
  ['33–44', 33, 44],
  ['45', 45, 45],
  ['46–63', 46, 63],
  ['64+', 64, Infinity],
];

function aggregateSizes(r: RunResult): number[] {
  const h = r.report.counters['aggregateSizes'] ?? {};
  return HIST_BINS.map(([, lo, hi]) => {
    let n = 0;
    for (const [k, v] of Object.entries(h)) {
      const size = k === '64+' ? 64 : Number(k);
      if (size >= lo && size <= hi) n += v;
    }
    return n;
  });
}

function sizesFigure(runs: Map<string, Map<Engine, RunResult>>): Record<string, string> {
  const m = runs.get('bulk-1flow')!;
  const svg = histogram({
    id: 'aggsizes',
    title: 'Wire frames per skb the stack received, bulk-1flow (eHEA)',
    xTitle: 'frames per skb',
    yTitle: 'skbs',
    bins: HIST_BINS.map((b) => b[0]),
    series: (['lro', 'gro'] as const).map((e) => ({ name: e, counts: aggregateSizes(m.get(e)!) })),
  });
  const rows = (['lro', 'gro'] as const).map((e) => [e, ...aggregateSizes(m.get(e)!).map(int)]);
  return {
    'aggregate-sizes.svg': svg,
    'aggregate-sizes.md':
      table(['engine', ...HIST_BINS.map((b) => `${b[0]}`)], rows) +
      cmd('npx vnic run --scenario bulk-1flow --engine lro --json   # .runs[0].counters.aggregateSizes'),
  };
}

// ---------------------------------------------------------------------------------------------
// Sweeps: segment size, number of flows, RSS queues

const RTO_NS = 10_000_000;

function mssSweep(): Record<string, string> {
  const points = [128, 256, 536, 1024, 1448, 4096, 8948];
  const res = new Map<Engine, [number, RunResult][]>();
  for (const e of ENGINES) res.set(e, []);
  for (const mss of points) {
    const mtu = Math.max(1500, mss + 52);
    for (const e of ENGINES) {
      const r = run({
        label: `mss-${mss}/${e}`,
        engine: e,
        mtu,
        traffic: {
          rtoNs: RTO_NS,
          rateGbps: 10,
          bytesPerFlow: Math.min(2 << 20, mss * 2000),
          flows: [{ kind: 'bulk', mss }],
        },
      });
      res.get(e)!.push([mss, r]);
    }
  }
  const rows = points.map((mss, i) => [
    String(mss),
    String(Math.max(1500, mss + 52)),
    ...ENGINES.flatMap((e) => {
      const r = res.get(e)![i]![1];
      return e === 'off'
        ? [int(r.report.cpu.cyclesPerKB ?? 0)]
        : [int(r.report.cpu.cyclesPerKB ?? 0), `${fix(ratio(r), 2)}×`];
    }),
    ...ENGINES.map((e) => gbps(res.get(e)![i]![1].report.cpu.sustainableGbps)),
  ]);
  const md =
    table(
      [
        'MSS',
        'MTU',
        'off cycles/KB',
        'lro cycles/KB',
        'lro aggr',
        'gro cycles/KB',
        'gro aggr',
        'off sustainable',
        'lro sustainable',
        'gro sustainable',
      ],
      rows,
    ) +
    '\nOne bulk flow (timestamps on) at 10 Gb/s, min(2 MiB, 2000 segments), eHEA; MTU raised to MSS + 52 where needed.\n' +
    cmd(
      'npx vnic run --config cfg.json --engine lro --mtu 9000 --json   # cfg.json: {"traffic":{"rtoNs":10000000,"bytesPerFlow":2097152,"flows":[{"kind":"bulk","mss":8948}]}}',
    );
  const svg = lineChart({
    id: 'mss',
    title: 'Simulated CPU cycles per KB vs TCP segment size (one bulk flow, eHEA)',
    xTitle: 'MSS (bytes, log scale)',
    yTitle: 'cycles per KB',
    logX: true,
    series: ENGINES.map((e) => ({
      name: e,
      points: res.get(e)!.map(([x, r]) => [x, Math.round(r.report.cpu.cyclesPerKB ?? 0)] as const),
    })),
  });
  return { 'segment-size.md': md, 'segment-size.svg': svg };
}

function flowsSweep(): Record<string, string> {
  const points = [1, 2, 4, 6, 8, 10, 12, 16, 32, 64];
  const rs = points.map((n) => ({
    n,
    lro: run({
      label: `flows-${n}/lro`,
      engine: 'lro',
      traffic: {
        rtoNs: RTO_NS,
        rateGbps: 10,
        bytesPerFlow: Math.round((4 << 20) / n),
        flows: [{ kind: 'bulk', count: n, sendWindow: 16384 }],
      },
    }),
    gro: run({
      label: `flows-${n}/gro`,
      engine: 'gro',
      traffic: {
        rtoNs: RTO_NS,
        rateGbps: 10,
        bytesPerFlow: Math.round((4 << 20) / n),
        flows: [{ kind: 'bulk', count: n, sendWindow: 16384 }],
      },
    }),
  }));
  const rows = rs.map(({ n, lro, gro }) => [
    String(n),
    `${fix(ratio(lro), 2)}×`,
    int(lro.report.lro.noDesc),
    int(lro.report.cpu.cyclesPerKB ?? 0),
    `${fix(ratio(gro), 2)}×`,
    int(gro.report.gro.reasons['evicted'] ?? 0),
    int(gro.report.cpu.cyclesPerKB ?? 0),
  ]);
  const md =
    table(
      ['flows', 'lro aggregation', 'lro no_desc', 'lro cycles/KB', 'gro aggregation', 'gro evicted', 'gro cycles/KB'],
      rows,
    ) +
    '\n4 MiB in total split over N interleaved bulk flows (send window 16 KiB each), 10 Gb/s, eHEA, one queue.\n' +
    cmd(
      'npx vnic run --scenario many-flows --engine lro   # 32 flows; or --config with "flows":[{"kind":"bulk","count":N,"sendWindow":16384}]',
    );
  const svg = lineChart({
    id: 'flows',
    title: 'Aggregation (wire frames per skb) vs number of concurrent flows, one queue (eHEA)',
    xTitle: 'concurrent flows (log scale)',
    yTitle: 'wire frames per skb',
    logX: true,
    xRefs: [{ value: 8, label: 'max_desc = 8' }],
    series: [
      { name: 'lro', points: rs.map((p) => [p.n, Number(fix(ratio(p.lro), 3))] as const) },
      { name: 'gro', points: rs.map((p) => [p.n, Number(fix(ratio(p.gro), 3))] as const) },
    ],
  });
  return { 'flows.md': md, 'flows.svg': svg };
}

function rssTable(): string {
  const s = scenario('many-flows');
  const rows: string[][] = [];
  for (const queues of [1, 2, 4, 8]) {
    const lro = run({ ...s.lab, engine: 'lro', queues, label: `rss-${queues}/lro` });
    const gro = run({ ...s.lab, engine: 'gro', queues, label: `rss-${queues}/gro` });
    rows.push([
      String(queues),
      `${fix(ratio(lro), 2)}×`,
      int(lro.report.lro.noDesc),
      int(lro.report.cpu.cyclesPerKB ?? 0),
      `${fix(ratio(gro), 2)}×`,
      int(gro.report.cpu.cyclesPerKB ?? 0),
    ]);
  }
  return (
    table(['queues', 'lro aggregation', 'lro no_desc', 'lro cycles/KB', 'gro aggregation', 'gro cycles/KB'], rows) +
    '\nScenario many-flows (32 flows) on eHEA with 1–8 queues: the flow hash spreads flows over queues, each with its own LroManager and 8 descriptors.\n' +
    cmd('npx vnic run --scenario many-flows --engine lro --queues 4')
  );
}

// ---------------------------------------------------------------------------------------------
// Drivers and hardware features

interface Variant {
  label: string;
  model: string;
  modelConfig?: Record<string, unknown>;
  softwareChecksum?: boolean;
  queues?: number;
  flags: string;
}

const VARIANTS: readonly Variant[] = [
  { label: 'eHEA as shipped', model: 'ehea', flags: '--model ehea' },
  {
    label: 'eHEA, no rx checksum',
    model: 'ehea',
    modelConfig: { rxChecksum: false },
    flags: '--model ehea --config \'{"modelConfig":{"rxChecksum":false}}\'',
  },
  {
    label: 'eHEA, no VLAN extraction',
    model: 'ehea',
    modelConfig: { vlanExtract: false },
    flags: '--model ehea (modelConfig.vlanExtract false)',
  },
  { label: 'myri10ge (pages, partial sum)', model: 'myri10ge', flags: '--model myri10ge' },
  { label: 'e1000 (no checksum offload)', model: 'e1000', flags: '--model e1000' },
  { label: 'e1000 + software checksum', model: 'e1000', softwareChecksum: true, flags: '--model e1000 --sw-csum' },
  {
    label: 'e1000 + VLAN strip',
    model: 'e1000',
    modelConfig: { vlanStrip: true },
    softwareChecksum: true,
    flags: '--model e1000 --sw-csum (modelConfig.vlanStrip true)',
  },
  { label: 'mq, 1 queue', model: 'mq', queues: 1, flags: '--model mq --queues 1' },
  {
    label: 'mq, 1 queue, header split',
    model: 'mq',
    queues: 1,
    modelConfig: { headerSplit: true },
    flags: '--model mq --queues 1 (modelConfig.headerSplit true)',
  },
  {
    label: 'mq, 1 queue, no rx checksum',
    model: 'mq',
    queues: 1,
    modelConfig: { rxChecksum: false },
    flags: '--model mq --queues 1 (modelConfig.rxChecksum false)',
  },
];

function capsOf(v: Variant) {
  const cfg: Record<string, unknown> = { ...(v.modelConfig ?? {}) };
  const queueField = v.model === 'myri10ge' ? 'slices' : 'queues';
  if (v.queues !== undefined && v.model !== 'e1000') cfg[queueField] = v.queues;
  return createModel(v.model, cfg, { clock: new VirtualClock() }).capabilities;
}

function support(v: Variant, engine: Engine): { ok: boolean; why: string } {
  const info = getDriver(v.model)!;
  const opts = DriverOptionsSchema.parse({
    engine,
    ...(v.softwareChecksum !== undefined ? { softwareChecksum: v.softwareChecksum } : {}),
  });
  return info.support(engine, capsOf(v), opts);
}

function variantRun(v: Variant, engine: Engine, scenarioName: string): RunResult {
  const s = scenario(scenarioName);
  return run({
    ...s.lab,
    model: v.model,
    engine,
    label: `${v.label}/${engine}`,
    ...(v.modelConfig !== undefined ? { modelConfig: v.modelConfig } : {}),
    ...(v.softwareChecksum !== undefined ? { softwareChecksum: v.softwareChecksum } : {}),
    ...(v.queues !== undefined ? { queues: v.queues } : {}),
  });
}

function matrixFigures(): Record<string, string> {
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const v of VARIANTS) {
    const c = capsOf(v);
    const cells: string[] = [
      v.label,
      `\`${c.rxChecksum}\``,
      `\`${c.vlan}\``,
      `\`${c.delivery}\`${c.headerSplit ? ' + split' : ''}`,
    ];
    for (const e of ['lro', 'gro'] as const) {
      const s = support(v, e);
      if (!s.ok) {
        cells.push('refused', '—', '—');
        notes.push(`- **${v.label}, ${e}:** ${s.why}`);
        continue;
      }
      const r = variantRun(v, e, 'vlan-mixed');
      const tagged = Object.entries(r.report.flows).filter(([k]) => k.includes('40000') || k.includes('40001'));
      const taggedSkbs = tagged.reduce((n, [, f]) => n + f.packetsToStack, 0),
        taggedSegs = tagged.reduce((n, [, f]) => n + f.segmentsIn, 0);
      cells.push(
        `${fix(ratio(r), 2)}×`,
        taggedSkbs > 0 ? `${fix(taggedSegs / taggedSkbs, 2)}×` : '—',
        int(r.report.cpu.cyclesPerKB ?? 0),
      );
    }
    rows.push(cells);
  }
  const md =
    table(
      [
        'hardware',
        'rx checksum',
        'VLAN',
        'delivery',
        'lro: all',
        'lro: VLAN 100 flows',
        'lro cycles/KB',
        'gro: all',
        'gro: VLAN 100 flows',
        'gro cycles/KB',
      ],
      rows,
      'llllrrrrrr',
    ) +
    '\nScenario vlan-mixed: two bulk flows tagged VLAN 100 (source ports 40000, 40001), two untagged, 5 % UDP/ARP/ICMP. "all" = wire frames per skb over all traffic; "VLAN 100 flows" = segments per skb of the two tagged flows. ' +
    'Reproduce a row: `npx vnic run --scenario vlan-mixed --engine lro <flags>`; "refused" rows are what `npx vnic drivers` and the driver\'s `support()` say:\n\n' +
    notes.join('\n') +
    '\n';
  return { 'features.md': md };
}

/** `vnic matrix` (cli/commands/matrix.ts buildMatrix), one line per hardware configuration. */
function vnicMatrix(): string {
  const m = buildMatrix({ traffic: 'vlan-mixed', flowKib: MATRIX_FLOW_KIB });
  const whys: string[] = [];
  const note = (why: string): string => {
    let i = whys.indexOf(why);
    if (i < 0) {
      whys.push(why);
      i = whys.length - 1;
    }
    return `refused [${i + 1}]`;
  };
  const groups = new Map<string, MatrixRow[]>();
  for (const r of m.rows) {
    const key = `${r.model}|${JSON.stringify(r.modelConfig)}|${r.queues}|${r.softwareChecksum}`;
    (groups.get(key) ?? groups.set(key, []).get(key)!).push(r);
  }
  const rows: string[][] = [];
  for (const rs of groups.values()) {
    const r0 = rs[0]!;
    const cell = (e: Engine): string[] => {
      const r = rs.find((x) => x.engine === e);
      if (r === undefined) return ['—', '—'];
      if (r.result === null) return [note(r.why), '—'];
      return [`${fix(r.result.aggregationRatio, 2)}×`, int(r.result.cyclesPerKB ?? 0)];
    };
    const cfg =
      Object.entries(r0.modelConfig)
        .map(([k, v]) => `${k} ${v === true ? 'on' : v === false ? 'off' : v}`)
        .join(', ') + (r0.softwareChecksum ? ', --sw-csum' : '');
    rows.push([
      r0.model,
      cfg,
      `\`${r0.vlan}\``,
      `\`${r0.delivery}\``,
      `\`${r0.checksum}\``,
      String(r0.queues),
      ...cell('lro'),
      ...cell('gro'),
      cell('off')[1]!,
    ]);
  }
  const missing = m.noModel.map((c) => `${c.vlan} / ${c.delivery} / ${c.checksum} / ${c.queues}q`);
  return (
    table(
      [
        'model',
        'config',
        'VLAN',
        'delivery',
        'rx csum',
        'queues',
        'lro aggr',
        'lro cycles/KB',
        'gro aggr',
        'gro cycles/KB',
        'off cycles/KB',
      ],
      rows,
      'lllllrrrrrr',
    ) +
    `\nEvery hardware configuration the four models realise, traffic vlan-mixed with ${MATRIX_FLOW_KIB} KiB per bulk flow; "aggr" = wire frames per packet to the stack. Refusals are the drivers' \`support()\` verdicts:\n\n` +
    whys.map((w, i) => `${i + 1}. ${w}`).join('\n') +
    '\n' +
    (missing.length > 0
      ? `\n${missing.length} combinations of the axes (VLAN × delivery × checksum × queues) exist in no model; \`vnic matrix\` lists them.\n`
      : '') +
    cmd(`npx vnic matrix --flow-kib ${MATRIX_FLOW_KIB}   # --json for the full rows`)
  );
}

function driversFigures(): Record<string, string> {
  const list: { label: string; v: Variant; engine: Engine }[] = [];
  for (const v of [
    VARIANTS[0]!,
    VARIANTS[3]!,
    VARIANTS[4]!,
    VARIANTS[5]!,
    { label: 'mq (4 queues, RSS)', model: 'mq', queues: 4, flags: '--model mq --queues 4' } as Variant,
  ]) {
    for (const e of ENGINES)
      if (support(v, e).ok && !(v.label.startsWith('e1000 + software') && e !== 'lro'))
        list.push({ label: v.label, v, engine: e });
  }
  const rows: string[][] = [];
  const groups: string[] = [];
  const peak = new Map<string, Map<Engine, number>>();
  for (const { label, v, engine } of list) {
    const r = variantRun(v, engine, 'bulk-4flows');
    const rep = r.report;
    const csum = rep.cpu.byKind['csum_byte'] ?? 0;
    rows.push([
      label,
      engine,
      int(rep.framesToStack),
      `${fix(ratio(r), 2)}×`,
      int(rep.cpu.cyclesPerKB ?? 0),
      int(csum / (rep.bytesDelivered / 1024)),
      fix(rep.latency.p50Us, 1),
      fix(rep.latency.p99Us, 1),
      mib(rep.peakDmaBytes),
    ]);
    const short = label.split(' (')[0]!.replace(' + software checksum', ' +sw csum');
    if (!groups.includes(short)) groups.push(short);
    (peak.get(short) ?? peak.set(short, new Map()).get(short)!).set(engine, rep.peakDmaBytes);
  }
  const md =
    table(
      [
        'driver / hardware',
        'engine',
        'packets to stack',
        'aggregation',
        'cycles/KB',
        'of which checksum',
        'p50 µs',
        'p99 µs',
        'peak DMA',
      ],
      rows,
      'llrrrrrrr',
    ) +
    '\nScenario bulk-4flows (4 × 2 MiB at 10 Gb/s) on each sample driver with its model\'s defaults. "peak DMA" = most bytes of the NIC\'s DMA memory allocated at once (posted ring buffers plus buffers held by skbs not yet freed).\n' +
    cmd('npx vnic run --scenario bulk-4flows --model myri10ge --engine lro --json   # .runs[0].peakDmaBytes');
  const svg = barChart({
    id: 'dma',
    title: 'Peak DMA memory in use (MiB), bulk-4flows, per driver and engine',
    xTitle: 'driver / hardware',
    yTitle: 'MiB',
    groups,
    series: ENGINES.map((e) => ({
      name: e,
      values: groups.map((g) => {
        const b = peak.get(g)?.get(e);
        return b === undefined ? null : Number(fix(b / 1048576, 3));
      }),
    })),
  });
  return { 'drivers.md': md, 'dma.svg': svg };
}

// ---------------------------------------------------------------------------------------------
// CPU: where the cycles go; the cost model itself

function cpuBreakdown(runs: Map<string, Map<Engine, RunResult>>): string {
  const m = runs.get('bulk-4flows')!;
  const rows: string[][] = [];
  for (const k of COST_KINDS) {
    const vals = ENGINES.map((e) => {
      const rep = m.get(e)!.report;
      return (rep.cpu.byKind[k] ?? 0) / (rep.bytesDelivered / 1024);
    });
    if (vals.every((v) => v === 0)) continue;
    rows.push([`\`${k}\``, ...vals.map(int)]);
  }
  rows.push(['**total**', ...ENGINES.map((e) => `**${int(m.get(e)!.report.cpu.cyclesPerKB ?? 0)}**`)]);
  return (
    table(['cost kind', 'off', 'lro', 'gro'], rows) +
    '\nCycles per KB delivered, by kind, scenario bulk-4flows on eHEA (sim/cost.ts default profile).\n' +
    cmd('npx vnic run --scenario bulk-4flows --engine lro --json   # .runs[0].cpu.byKind')
  );
}

function costModelTable(): string {
  const what: Record<string, string> = {
    interrupt: 'hard IRQ entry/exit, handler, device register access',
    softirq: 'one net_rx_action run',
    napi_poll: 'one call of a NAPI poll function',
    descriptor: 'reading one completion descriptor',
    skb_alloc: 'allocating and later freeing one sk_buff',
    netif_rx: 'queueing one skb on the backlog (non-NAPI)',
    ip_rcv: 'netif_receive_skb + ip_rcv + route lookup, per skb',
    tcp_rcv: 'tcp_v4_rcv: socket lookup, sequence checks, queueing, per skb',
    copy_byte: 'copying payload to the reader, per byte',
    csum_byte: 'software checksum, per byte',
    ack_build: 'building and sending one ACK',
    lro_merge: 'one LRO attempt, per packet offered',
    gro_merge: 'one GRO attempt, per packet offered',
    ip_forward: 'ip_forward: route, TTL, header checksum, MTU check, per forwarded skb',
    br_forward: 'a bridge: FDB update and lookup, port checks, per bridged frame',
    xmit: "dev_queue_xmit + the driver's start_xmit, per packet a driver takes",
  };
  const rows = COST_KINDS.map((k) => [`\`${k}\``, int(DEFAULT_COST_PROFILE.cycles[k]), what[k] ?? '']);
  return (
    table(['kind', 'cycles', 'charged for'], rows, 'lrl') +
    `\nProfile \`${DEFAULT_COST_PROFILE.name}\`, ${fix(DEFAULT_COST_PROFILE.hz / 1e9, 1)} GHz (sim/cost.ts \`DEFAULT_COST_PROFILE\`).\n`
  );
}

// ---------------------------------------------------------------------------------------------
// Trace excerpts

/** Runs `vnic trace …` (cli/commands/trace.ts) and returns its stdout, without colour. */
function vnicTrace(args: readonly string[]): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'trace', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`figures: vnic trace ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout.replace(/\s+$/, '') + '\n';
}

function traceExcerpts(): Record<string, string> {
  // the end of the first NAPI poll after 1.2 ms that flushed sessions, and the start of the next
  const log0 = new TraceLog();
  run({ ...scenario('bulk-4flows').lab, engine: 'lro', label: 'trace' }, log0);
  let last = -1,
    pollFrames: number[] = [],
    flushed = false;
  for (const e of log0.events) {
    if (e.layer === 'driver' && e.frame !== undefined) pollFrames.push(e.frame);
    if (e.layer === 'lro' && e.what === 'flushed') flushed = true;
    if (e.layer === 'napi' && e.what === 'poll') {
      if (e.t > 1_200_000 && flushed && pollFrames.length >= 8) {
        last = Math.max(...pollFrames);
        break;
      }
      pollFrames = [];
      flushed = false;
    }
  }
  if (last < 0) throw new Error('figures: no suitable poll in the bulk-4flows trace');
  const normalArgs = ['--scenario', 'bulk-4flows', '--from', String(last - 1), '--packets', '8'];
  const normal = '```text\n$ npx vnic trace ' + normalArgs.join(' ') + '\n' + vnicTrace(normalArgs) + '```\n';

  // where the first out-of-order flush after 1.2 ms happens in lossy-link (frame index from the trace log)
  const log = new TraceLog();
  run({ ...scenario('lossy-link').lab, engine: 'lro', label: 'trace-lossy' }, log);
  const hit = log.events.find(
    (e) => e.layer === 'lro' && e.reason === 'out_of_order' && e.t > 1_200_000 && e.frame !== undefined,
  );
  if (hit === undefined) throw new Error('figures: no out-of-order flush in the lossy trace');
  const lossyArgs = ['--scenario', 'lossy-link', '--from', String(hit.frame! - 2), '--packets', '4'];
  const lossy = '```text\n$ npx vnic trace ' + lossyArgs.join(' ') + '\n' + vnicTrace(lossyArgs) + '```\n';
  return { 'trace.md': normal, 'trace-lossy.md': lossy };
}

// ---------------------------------------------------------------------------------------------
// GRO vs LRO: can the aggregates be cut back into the original segments?

class Collect implements RxSink {
  readonly got: SkBuff[] = [];
  netifReceiveSkb(skb: SkBuff): void {
    this.got.push(skb);
  }
  netifRx(skb: SkBuff): void {
    this.got.push(skb);
  }
  vlanHwaccelReceiveSkb(skb: SkBuff): void {
    this.got.push(skb);
  }
  vlanHwaccelRx(skb: SkBuff): void {
    this.got.push(skb);
  }
}

function skbFromFrame(fr: Uint8Array): SkBuff {
  const skb = new SkBuff();
  const buf = new Uint8Array(fr.length + 64);
  buf.set(fr, 64);
  skb.setLinear(buf, 64, fr.length, 64);
  skb.ipSummed = CHECKSUM_UNNECESSARY;
  ethTypeTrans(skb);
  return skb;
}

const demoLayout = new FrameLayout();

/** Which header fields of a re-made segment differ from the original (both laid out alike: same length, same headers). */
function differences(a: Uint8Array, b: Uint8Array): string[] {
  if (a.length !== b.length) return ['length'];
  const out: string[] = [];
  const L = layoutFrame(a, 0, a.length, demoLayout),
    ip = L.l3,
    tcp = L.l4,
    doff = L.l4HdrLen;
  if (r16(a, ip + IPV4.ID) !== r16(b, ip + IPV4.ID)) out.push('IP ID');
  if (r32(a, tcp + TCP.ACK) !== r32(b, tcp + TCP.ACK)) out.push('TCP ack');
  if (r16(a, tcp + TCP.WINDOW) !== r16(b, tcp + TCP.WINDOW)) out.push('window');
  if ((a[tcp + TCP.FLAGS]! & TCP_FLAG.PSH) !== (b[tcp + TCP.FLAGS]! & TCP_FLAG.PSH)) out.push('PSH');
  if (L.tsOff >= 0) {
    if (r32(a, L.tsOff + TCPOPT_TS.TSVAL) !== r32(b, L.tsOff + TCPOPT_TS.TSVAL)) out.push('TSval');
    if (r32(a, L.tsOff + TCPOPT_TS.TSECR) !== r32(b, L.tsOff + TCPOPT_TS.TSECR)) out.push('TSecr');
  }
  const payloadSame = a.subarray(tcp + doff).every((v, i) => v === b[tcp + doff + i]);
  if (!payloadSame) out.push('payload');
  if (out.length === 0 && a.some((v, i) => v !== b[i])) out.push('other');
  return out;
}

function resegmentDemo(): string {
  const frames: Uint8Array[] = [];
  for (const r of readCapture(join(ROOT, CAPTURE))) {
    const d = r.data;
    const L = layoutFrame(d, 0, d.length, demoLayout);
    if (L.vlanCount !== 0 || !L.isIpv4 || !L.isTcp || L.daddr !== RECEIVER) continue; // towards the receiver
    if (L.payloadLen <= 0) continue; // data segments only: the handshake and pure ACKs never aggregate
    frames.push(d.slice(0, L.ipEnd));
  }
  const BATCH = 64;
  const outcome = (engine: 'lro' | 'gro') => {
    const sink = new Collect();
    const lro =
      engine === 'lro'
        ? new LroManager<null>({ maxDesc: 8, maxAggr: 64, mtu: 1500, sink, getSkbHeader: linearTcpSkbHeader })
        : null;
    const gro = engine === 'gro' ? new GroEngine({ sink }) : null;
    frames.forEach((f, i) => {
      const skb = skbFromFrame(f);
      if (lro !== null) lro.receiveSkb(skb, null);
      else gro!.groReceive(skb);
      if ((i + 1) % BATCH === 0 || i === frames.length - 1) {
        lro?.flushAll();
        gro?.flush();
      }
    });
    const segs = sink.got.flatMap((skb) => segmentFrames(skb).map((s) => s.frame));
    const fields = new Map<string, number>();
    let same = 0;
    const n = Math.min(segs.length, frames.length);
    for (let i = 0; i < n; i++) {
      const d = differences(segs[i]!, frames[i]!);
      if (d.length === 0) {
        same++;
        continue;
      }
      for (const f of d) fields.set(f, (fields.get(f) ?? 0) + 1);
    }
    const aggregates = sink.got.filter((s) => s.wireFrames > 1).length;
    return { delivered: sink.got.length, aggregates, segs: segs.length, same, fields };
  };
  const lro = outcome('lro'),
    gro = outcome('gro');
  const fieldNames = [...new Set([...lro.fields.keys(), ...gro.fields.keys()])].sort();
  const rows = (
    [
      ['lro (inet_lro)', lro],
      ['gro', gro],
    ] as const
  ).map(([name, o]) => [
    name,
    int(frames.length),
    int(o.delivered),
    int(o.aggregates),
    int(o.segs),
    int(o.same),
    int(frames.length - o.same),
    ...fieldNames.map((f) => int(o.fields.get(f) ?? 0)),
  ]);
  return (
    table(
      [
        'engine',
        'segments in',
        'packets out',
        'of which aggregates',
        'segments after GSO',
        'identical to the wire',
        'different',
        ...fieldNames.map((f) => `${f} differs`),
      ],
      rows,
    ) +
    `\nInput: the ${int(frames.length)} data segments towards 10.77.0.2 in the real Linux capture \`${CAPTURE}\` (one CUBIC flow, MTU 1500, timestamps on), ` +
    `fed to \`LroManager\` (eHEA settings: 8 descriptors, max_aggr 64) and to \`GroEngine\`, flushed every ${BATCH} segments like a NAPI poll; every packet that came out was cut up again by ` +
    '`stack/gso.ts` `segmentFrames` (what a forwarding host does before transmitting) and compared byte for byte with the segment that was on the wire.\n' +
    cmd('npx vitest run stack/gso.test.ts   # the same property on random streams; this table: npm run docs:figures')
  );
}

// ---------------------------------------------------------------------------------------------
// Facts quoted in the prose (so sentences and tables never disagree)

function facts(runs: Map<string, Map<Engine, RunResult>>): Record<string, string> {
  const b = runs.get('bulk-1flow')!;
  const off = b.get('off')!.report,
    lro = b.get('lro')!.report,
    gro = b.get('gro')!.report;
  const many = runs.get('many-flows')!.get('lro')!.report;
  const small = runs.get('small-messages')!;
  return {
    'facts-bulk.md':
      `On one bulk flow (scenario \`bulk-1flow\`, eHEA) the stack received ${int(off.framesToStack)} packets with LRO off and ${int(lro.framesToStack)} with LRO on ` +
      `(${fix(ratio(b.get('lro')!), 2)} wire frames per skb; GRO: ${int(gro.framesToStack)}). The simulated CPU spent ${int(off.cpu.cyclesPerKB ?? 0)} cycles per KB without aggregation, ` +
      `${int(lro.cpu.cyclesPerKB ?? 0)} with LRO (${pct(off.cpu.cyclesPerKB ?? 0, lro.cpu.cyclesPerKB ?? 0)}) and ${int(gro.cpu.cyclesPerKB ?? 0)} with GRO; ` +
      `the host sent ${int(off.acksSent)}, ${int(lro.acksSent)} and ${int(gro.acksSent)} ACKs.\n`,
    'facts-many.md':
      `With 32 flows on one queue (\`many-flows\`) LRO found no free descriptor ${int(many.lro.noDesc)} times (\`no_desc\`); those packets went up alone, ` +
      `and aggregation fell to ${fix(ratio(runs.get('many-flows')!.get('lro')!), 2)} wire frames per skb.\n`,
    'facts-small.md':
      `With small messages (\`small-messages\`) the aggregation ratio was ${fix(ratio(small.get('lro')!), 2)} for LRO and ${fix(ratio(small.get('gro')!), 2)} for GRO, ` +
      `and the cycles per KB went from ${int(small.get('off')!.report.cpu.cyclesPerKB ?? 0)} (off) to ${int(small.get('lro')!.report.cpu.cyclesPerKB ?? 0)} (LRO): ` +
      'the per-packet LRO attempt is paid and nothing is saved.\n',
  };
}

// ---------------------------------------------------------------------------------------------
// Putting it together

/** Builds every figure (file name → content), and writes them to `outDir` when given. */
export function generateFigures(outDir?: string): Record<string, string> {
  const figs: Record<string, string> = {};
  const add = (x: Record<string, string>) => Object.assign(figs, x);
  figs['receive-path.svg'] = receivePathSvg();
  const runs = scenarioRuns();
  figs['scenarios.md'] = scenariosTable(runs);
  figs['gains.md'] = gainsTable(runs);
  figs['lro-reasons.md'] = lroReasonsTable(runs);
  add(scenarioCharts(runs));
  add(sizesFigure(runs));
  add(facts(runs));
  figs['cpu-breakdown.md'] = cpuBreakdown(runs);
  figs['cost-model.md'] = costModelTable();
  add(mssSweep());
  add(flowsSweep());
  figs['rss.md'] = rssTable();
  add(matrixFigures());
  figs['vnic-matrix.md'] = vnicMatrix();
  add(driversFigures());
  add(tcpFigures());
  add(groTimerFigures());
  add(traceExcerpts());
  figs['gro-vs-lro.md'] = resegmentDemo();
  add(forwardFigures());
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(figs).sort()) sorted[k] = figs[k]!;
  if (outDir !== undefined) {
    mkdirSync(outDir, { recursive: true });
    for (const f of readdirSync(outDir)) if (!(f in sorted)) rmSync(join(outDir, f));
    for (const [k, v] of Object.entries(sorted)) writeFileSync(join(outDir, k), v);
  }
  return sorted;
}

const MARKER = /<!-- figure:([A-Za-z0-9._-]+) -->\n[\s\S]*?<!-- \/figure:\1 -->/g;

/**
 * Replaces the body of every `<!-- figure:NAME -->` … `<!-- /figure:NAME -->` region with the figure
 * `NAME.md` (or `NAME`), so the prose around it never quotes stale numbers. An unknown NAME throws.
 */
export function fillMarkers(markdown: string, figures: Readonly<Record<string, string>>): string {
  return markdown.replace(MARKER, (_all, name: string) => {
    const body = figures[`${name}.md`] ?? figures[name];
    if (body === undefined)
      throw new Error(`docs figures: no figure named '${name}' (markers name files in docs/figures/ without .md)`);
    return `<!-- figure:${name} -->\n${body.endsWith('\n') ? body : body + '\n'}<!-- /figure:${name} -->`;
  });
}

function main(): void {
  const t0 = process.hrtime.bigint();
  const figs = generateFigures(FIGURES_DIR);
  for (const page of PAGES) {
    const text = readFileSync(page, 'utf8');
    const filled = fillMarkers(text, figs);
    if (filled !== text) writeFileSync(page, filled);
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stderr.write(
    `docs:figures: ${Object.keys(figs).length} figures in ${relative(ROOT, FIGURES_DIR)}/, ${PAGES.map((p) => relative(ROOT, p)).join(' and ')} refilled (${s.toFixed(1)} s)\n`,
  );
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main();
