// The HTML report: one self-contained page (inline CSS, inline SVG, no scripts, a CSP that forbids
// every load) with a summary table of runs side by side and the five LRO charts. `ReportData` is the
// input contract (TypeScript type and zod schema); every string in it is escaped before it is written.
import { z } from 'zod';
import { barChart, escapeXml, formatFull, histogram, lineChart, stepChart } from './svg.ts';

// ---------------------------------------------------------------------------------------------
// Input contract

export interface RefLineData {
  value: number;
  label: string;
}

/** Text every chart may override; defaults are in DEFAULT_CHART_TEXT. */
export interface ChartText {
  /** Section heading (and the svg's accessible name). */
  title?: string;
  /** One paragraph under the chart; replaces the default explanation. */
  caption?: string;
  /** Appended to the caption (e.g. "eHEA model, 4 queues, seed 1"). */
  note?: string;
  xTitle?: string;
  yTitle?: string;
}

export interface XySeriesData {
  name: string;
  /** [x, y]; y null = not measured (gap in the line, no mark). */
  points: [number, number | null][];
}

/** (1) Packets per delivered skb, per engine: `counts[i]` skbs carried `bins[i]` wire packets. */
export interface AggregateSizesChart extends ChartText {
  bins: string[];
  series: { name: string; counts: number[] }[];
}

/** (2), (3): named series of (x, y) points. */
export interface XyChart extends ChartText {
  series: XySeriesData[];
  logX?: boolean;
  /** Vertical reference lines, e.g. `{ value: 8, label: 'max_desc = 8' }`. */
  xRefs?: RefLineData[];
  yRefs?: RefLineData[];
}

/** (4) Grouped bars: `values[i]` belongs to `groups[i]`; null = not measured. */
export interface GroupedBarChart extends ChartText {
  groups: string[];
  series: { name: string; values: (number | null)[] }[];
}

/** (5) Time series drawn as steps, one series per queue. */
export interface StepSeriesChart extends ChartText {
  series: XySeriesData[];
  /** Where each series' last value ends (the run's duration, same unit as x). */
  xEnd?: number;
  /** Horizontal reference lines, e.g. `{ value: 256, label: 'ring size 256' }`. */
  yRefs?: RefLineData[];
}

export interface SummaryRow {
  label: string;
  /** Shown after the label, e.g. "cycles/KB". */
  unit?: string;
  /** One per column; numbers are formatted (1,234,567 / 0.8123); null shows as "—". */
  cells: (string | number | null)[];
}

export interface ReportData {
  title: string;
  /** Who made the page, e.g. "vnic report 0.1.0, seed 1". */
  generatedBy: string;
  /** Configs and captures the runs came from (file names). */
  inputs?: string[];
  notes?: string[];
  summary: {
    /** Header over the row labels (default "metric"). */
    labelHeader?: string;
    /** One header per run/scenario, side by side. */
    columns: string[];
    rows: SummaryRow[];
  };
  charts: {
    aggregateSizes: AggregateSizesChart;
    cyclesPerKbBySegmentSize: XyChart;
    throughputByFlows: XyChart;
    latencyByEngine: GroupedBarChart;
    ringOccupancy: StepSeriesChart;
  };
  /** Every configuration's figures over the traffic seeds: median, min and max, and each seed's value. */
  seedRuns?: {
    seeds: number[];
    comparison: SeedRunsData[];
    segmentSweep: (SeedRunsData & { engine: string; mss: number; mtu: number })[];
    flowSweep: (SeedRunsData & { engine: string; flows: number })[];
  };
}

/** One configuration over its seeds (lab/seeds.ts's summary, plus `perSeed[figure][i]` for `seeds[i]`). */
export interface SeedRunsData {
  label: string;
  seeds: number[];
  allOk: boolean;
  figures: Record<string, { median: number; min: number; max: number }>;
  perSeed: Record<string, number[]>;
}

const num = z.number().finite();
const text = z.string();
const refLine = z.strictObject({ value: num, label: text });
const chartText = {
  title: text.optional(),
  caption: text.optional(),
  note: text.optional(),
  xTitle: text.optional(),
  yTitle: text.optional(),
};
const xySeries = z.strictObject({ name: text, points: z.array(z.tuple([num, num.nullable()])) });

const seedRunsSchema = z.strictObject({
  label: text,
  seeds: z.array(z.number().int()),
  allOk: z.boolean(),
  figures: z.record(text, z.strictObject({ median: num, min: num, max: num })),
  perSeed: z.record(text, z.array(num)),
});

export const ReportDataSchema = z.strictObject({
  title: text,
  generatedBy: text,
  inputs: z.array(text).optional(),
  notes: z.array(text).optional(),
  summary: z
    .strictObject({
      labelHeader: text.optional(),
      columns: z.array(text),
      rows: z.array(
        z.strictObject({ label: text, unit: text.optional(), cells: z.array(z.union([text, num, z.null()])) }),
      ),
    })
    .superRefine((s, ctx) => {
      s.rows.forEach((r, i) => {
        if (r.cells.length !== s.columns.length) {
          ctx.addIssue({
            code: 'custom',
            path: ['rows', i, 'cells'],
            message: `row '${r.label}' has ${r.cells.length} cells for ${s.columns.length} columns`,
          });
        }
      });
    }),
  charts: z.strictObject({
    aggregateSizes: z
      .strictObject({
        ...chartText,
        bins: z.array(text),
        series: z.array(z.strictObject({ name: text, counts: z.array(num.nonnegative()) })),
      })
      .superRefine((c, ctx) => {
        c.series.forEach((s, i) => {
          if (s.counts.length !== c.bins.length) {
            ctx.addIssue({
              code: 'custom',
              path: ['series', i, 'counts'],
              message: `series '${s.name}' has ${s.counts.length} counts for ${c.bins.length} bins`,
            });
          }
        });
      }),
    cyclesPerKbBySegmentSize: z.strictObject({
      ...chartText,
      series: z.array(xySeries),
      logX: z.boolean().optional(),
      xRefs: z.array(refLine).optional(),
      yRefs: z.array(refLine).optional(),
    }),
    throughputByFlows: z.strictObject({
      ...chartText,
      series: z.array(xySeries),
      logX: z.boolean().optional(),
      xRefs: z.array(refLine).optional(),
      yRefs: z.array(refLine).optional(),
    }),
    latencyByEngine: z
      .strictObject({
        ...chartText,
        groups: z.array(text),
        series: z.array(z.strictObject({ name: text, values: z.array(num.nonnegative().nullable()) })),
      })
      .superRefine((c, ctx) => {
        c.series.forEach((s, i) => {
          if (s.values.length !== c.groups.length) {
            ctx.addIssue({
              code: 'custom',
              path: ['series', i, 'values'],
              message: `series '${s.name}' has ${s.values.length} values for ${c.groups.length} groups`,
            });
          }
        });
      }),
    ringOccupancy: z.strictObject({
      ...chartText,
      series: z.array(xySeries),
      xEnd: num.optional(),
      yRefs: z.array(refLine).optional(),
    }),
  }),
  seedRuns: z
    .strictObject({
      seeds: z.array(z.number().int()),
      comparison: z.array(seedRunsSchema),
      segmentSweep: z.array(seedRunsSchema.extend({ engine: text, mss: num, mtu: num })),
      flowSweep: z.array(seedRunsSchema.extend({ engine: text, flows: num })),
    })
    .optional(),
});

// The hand-written type and the schema must describe the same data.
type SchemaIn = z.input<typeof ReportDataSchema>;
const _typeFitsSchema = (d: ReportData): SchemaIn => d;
void _typeFitsSchema;

/** Report data that does not fit the contract; the message names every bad field by its path. */
export class ReportDataError extends Error {
  override name = 'ReportDataError';
}

/** Validates unknown input (parsed JSON, say) as ReportData, or throws ReportDataError naming the fields. */
export function parseReportData(input: unknown): ReportData {
  const r = ReportDataSchema.safeParse(input);
  if (r.success) return r.data as ReportData;
  const lines = r.error.issues
    .slice(0, 8)
    .map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`);
  const more = r.error.issues.length > 8 ? `; and ${r.error.issues.length - 8} more` : '';
  throw new ReportDataError(`report data: ${lines.join('; ')}${more}`);
}

// ---------------------------------------------------------------------------------------------
// Default headings and captions: they explain the chart to a driver author learning LRO.

export const DEFAULT_CHART_TEXT = {
  aggregateSizes: {
    title: 'Aggregate sizes: packets per skb delivered to the stack',
    xTitle: 'wire packets in one skb',
    yTitle: 'skbs delivered',
    caption:
      'How many wire packets each skb handed to the stack carried, per engine. With aggregation off every skb holds one packet. ' +
      'inet_lro merges in-order segments of a flow until max_aggr packets, 64 KB, a flush condition or the end of the NAPI poll; ' +
      'GRO merges under its own rules. Bars further right mean fewer, larger skbs, and the stack pays its per-packet cost fewer times.',
  },
  cyclesPerKbBySegmentSize: {
    title: 'CPU cost per KB against segment size',
    xTitle: 'TCP segment size (bytes)',
    yTitle: 'CPU cycles per KB delivered',
    caption:
      'Cycles the receive path spent per kilobyte delivered, against the TCP payload size of the segments on the wire. ' +
      'Per-packet work (descriptor handling, skb setup, IP and TCP receive, ACKs) dominates at small segments; ' +
      'aggregation pays it once per aggregate instead of once per packet, so the gap between the lines is what LRO or GRO saves.',
  },
  throughputByFlows: {
    title: 'Throughput against number of concurrent flows',
    xTitle: 'concurrent TCP flows',
    yTitle: 'throughput',
    caption:
      'What the receive path sustains as more flows arrive interleaved on one queue. inet_lro has a fixed array of max_desc descriptors ' +
      'and no eviction: once more flows than that are active inside one NAPI poll, packets of the extra flows bypass aggregation ' +
      '(counted as no_desc) and the benefit falls off a cliff at the dashed line. GRO flushes its oldest held flow to make room instead.',
  },
  latencyByEngine: {
    title: 'Latency added by aggregation',
    xTitle: 'engine',
    yTitle: 'latency (µs)',
    caption:
      'Time from a segment arriving at the NIC to its delivery to the stack, median (p50) and 99th percentile (p99). ' +
      'An aggregate holds its first segment until it is flushed (at the end of the NAPI poll, at max_aggr, or on a flush condition), ' +
      'so aggregation trades a little latency, mostly in the tail, for fewer packets through the stack.',
  },
  ringOccupancy: {
    title: 'Receive ring occupancy over time',
    xTitle: 'time (µs)',
    yTitle: 'descriptors holding frames',
    caption:
      'Receive descriptors filled by the NIC and not yet processed by the driver, per queue, over the run. ' +
      'Occupancy rises while interrupts are moderated or the CPU is busy and falls as NAPI polls drain the ring; ' +
      'a queue that reaches the ring size has no posted buffer left and drops frames (rx_missed).',
  },
} as const satisfies Record<
  keyof ReportData['charts'],
  Required<Pick<ChartText, 'title' | 'caption' | 'xTitle' | 'yTitle'>>
>;

// ---------------------------------------------------------------------------------------------
// Page

export const REPORT_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif; color: #222; background: #fff; }
main, header, footer { max-width: 980px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 24px; }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.2em; margin: 32px 0 8px; }
.generated, footer { color: #555; font-size: 0.9em; }
footer { padding-bottom: 24px; margin-top: 32px; border-top: 1px solid #ddd; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e3e3e3; vertical-align: top; }
thead th { border-bottom: 2px solid #888; text-align: right; }
thead th:first-child, tbody th { text-align: left; font-weight: 600; }
td.num { text-align: right; white-space: nowrap; }
td.text { text-align: right; }
.unit { color: #666; font-weight: normal; font-size: 0.9em; }
tbody tr:nth-child(even) { background: #f6f7f9; }
figure.chart { margin: 0 0 8px; page-break-inside: avoid; break-inside: avoid; }
figure.chart svg { display: block; width: 100%; max-width: 760px; height: auto; }
figcaption { max-width: 760px; margin-top: 6px; }
details.data { margin: 6px 0 0; font-size: 0.9em; }
details.data table { margin-top: 6px; }
ul.notes { padding-left: 1.2em; }
code { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.92em; }
@media print {
  body { font-size: 11pt; }
  main, header, footer { max-width: none; }
  details.data { display: none; }
  h2 { page-break-after: avoid; break-after: avoid; }
}
`;

const esc = escapeXml;

function cell(v: string | number | null): string {
  if (v === null) return '<td class="num na">—</td>';
  if (typeof v === 'number') return `<td class="num">${esc(formatFull(v))}</td>`;
  return `<td class="text">${esc(v)}</td>`;
}

function summaryTable(s: ReportData['summary']): string {
  const head = `<tr><th scope="col">${esc(s.labelHeader ?? 'metric')}</th>${s.columns.map((c) => `<th scope="col">${esc(c)}</th>`).join('')}</tr>`;
  const rows = s.rows
    .map(
      (r) =>
        `<tr><th scope="row">${esc(r.label)}${r.unit ? ` <span class="unit">(${esc(r.unit)})</span>` : ''}</th>${r.cells.map(cell).join('')}</tr>`,
    )
    .join('\n');
  return `<div class="table-wrap"><table class="summary"><thead>${head}</thead>\n<tbody>\n${rows}\n</tbody></table></div>`;
}

/** A plain table of what a chart draws, for screen readers and anyone who wants the numbers. */
function dataTable(headers: string[], rows: (string | number | null)[][]): string {
  if (rows.length === 0) return '';
  const head = `<tr>${headers.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr>`;
  const body = rows
    .map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${esc(c ?? '')}</th>` : cell(c))).join('')}</tr>`)
    .join('');
  return `<details class="data"><summary>Data</summary><div class="table-wrap"><table><thead>${head}</thead><tbody>${body}</tbody></table></div></details>`;
}

function xyRows(series: XySeriesData[], limit: number): (string | number | null)[][] {
  const rows: (string | number | null)[][] = [];
  for (const s of series) {
    if (s.points.length > limit) {
      let peak = 0;
      for (const [, y] of s.points) if (y !== null && y > peak) peak = y;
      rows.push([s.name, `${s.points.length} samples`, peak]);
      continue;
    }
    for (const [x, y] of s.points) rows.push([s.name, x, y]);
  }
  return rows;
}

interface Figure {
  key: keyof ReportData['charts'];
  title: string;
  svg: string;
  caption: string;
  data: string;
}

function figure(f: Figure): string {
  const slug = f.key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return (
    `<section class="figure" id="chart-${slug}">\n<h2>${esc(f.title)}</h2>\n` +
    `<figure class="chart" data-chart="${f.key}">\n${f.svg}\n<figcaption>${esc(f.caption)}</figcaption>\n</figure>\n${f.data}\n</section>`
  );
}

function captionOf(c: ChartText, d: { caption: string }): string {
  const base = c.caption ?? d.caption;
  return c.note ? `${base} ${c.note}` : base;
}

function textOf<K extends keyof ReportData['charts']>(key: K, c: ChartText) {
  const d = DEFAULT_CHART_TEXT[key];
  return {
    id: `chart-${key}`,
    title: c.title ?? d.title,
    xTitle: c.xTitle ?? d.xTitle,
    yTitle: c.yTitle ?? d.yTitle,
    desc: captionOf(c, d),
  };
}

/** Renders the report page. Validates `data` first (ReportDataError names bad fields); the result is a complete HTML document. */
export function renderReportHtml(data: ReportData): string {
  const d = parseReportData(data);
  const c = d.charts;
  const figures: Figure[] = [];

  {
    const t = textOf('aggregateSizes', c.aggregateSizes);
    figures.push({
      key: 'aggregateSizes',
      title: t.title,
      caption: t.desc,
      svg: histogram({ ...t, bins: c.aggregateSizes.bins, series: c.aggregateSizes.series }),
      data: dataTable(
        [t.xTitle, ...c.aggregateSizes.series.map((s) => s.name)],
        c.aggregateSizes.bins.map((b, i) => [b, ...c.aggregateSizes.series.map((s) => s.counts[i] ?? null)]),
      ),
    });
  }
  for (const key of ['cyclesPerKbBySegmentSize', 'throughputByFlows'] as const) {
    const ch = c[key];
    const t = textOf(key, ch);
    figures.push({
      key,
      title: t.title,
      caption: t.desc,
      svg: lineChart({ ...t, series: ch.series, logX: ch.logX ?? false, xRefs: ch.xRefs ?? [], yRefs: ch.yRefs ?? [] }),
      data: dataTable(['series', t.xTitle, t.yTitle], xyRows(ch.series, 200)),
    });
  }
  {
    const ch = c.latencyByEngine;
    const t = textOf('latencyByEngine', ch);
    figures.push({
      key: 'latencyByEngine',
      title: t.title,
      caption: t.desc,
      svg: barChart({ ...t, groups: ch.groups, series: ch.series }),
      data: dataTable(
        [t.xTitle, ...ch.series.map((s) => s.name)],
        ch.groups.map((g, i) => [g, ...ch.series.map((s) => s.values[i] ?? null)]),
      ),
    });
  }
  {
    const ch = c.ringOccupancy;
    const t = textOf('ringOccupancy', ch);
    const opts = { ...t, series: ch.series, yRefs: ch.yRefs ?? [] };
    figures.push({
      key: 'ringOccupancy',
      title: t.title,
      caption: t.desc,
      svg: stepChart(ch.xEnd === undefined ? opts : { ...opts, xEnd: ch.xEnd }),
      data: dataTable(['series', t.xTitle, t.yTitle], xyRows(ch.series, 50)),
    });
  }

  const list = (items: string[] | undefined, cls: string) =>
    items?.length ? `<ul class="${cls}">${items.map((s) => `<li>${esc(s)}</li>`).join('')}</ul>` : '';

  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${esc(REPORT_CSP)}">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="generator" content="${esc(d.generatedBy)}">`,
    `<title>${esc(d.title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    `<header><h1>${esc(d.title)}</h1><p class="generated">Generated by ${esc(d.generatedBy)}</p></header>`,
    '<main>',
    `<section id="summary"><h2>Summary</h2>\n${summaryTable(d.summary)}\n</section>`,
    d.notes?.length ? `<section id="notes"><h2>Notes</h2>${list(d.notes, 'notes')}</section>` : '',
    d.inputs?.length ? `<section id="inputs"><h2>Inputs</h2>${list(d.inputs, 'inputs')}</section>` : '',
    ...figures.map(figure),
    '</main>',
    `<footer>Self-contained report: no scripts, no external resources. ${esc(d.generatedBy)}</footer>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
