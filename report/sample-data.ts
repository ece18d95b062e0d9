// Report data shaped like a real comparison run (LRO off / inet_lro / GRO, eHEA-like NIC, 4 queues),
// for the report tests and for anyone who wants to see the page without running the simulations.
// The numbers are plausible, not measured. Also a hostile variant: every string an attack.
import type { ReportData } from './html.ts';

const ENGINES = ['LRO off', 'inet_lro', 'GRO'];

/** Expected `.mark` count per chart for `sampleReportData()`. */
export const SAMPLE_MARKS = {
  aggregateSizes: 7 * 3,
  cyclesPerKbBySegmentSize: 8 * 3,
  throughputByFlows: 10 * 3,
  latencyByEngine: 3 * 2,
  ringOccupancy: 4,
} as const;

/** A sawtooth-like ring occupancy: fills while interrupts are moderated, drains on each poll. */
function occupancy(queue: number, samples: number, stepUs: number): [number, number][] {
  const pts: [number, number][] = [];
  for (let i = 0; i < samples; i++) {
    const phase = (i + queue * 7) % 25;
    const burst = Math.round(40 + 30 * Math.sin((i + queue * 13) / 17));
    pts.push([
      i * stepUs,
      phase < 18 ? Math.min(256, (phase * Math.max(1, burst / 6)) | 0) : Math.max(0, (25 - phase) * 3),
    ]);
  }
  return pts;
}

export function sampleReportData(): ReportData {
  const segSizes = [64, 128, 256, 536, 1024, 1448, 4096, 8948];
  const flows = [1, 2, 4, 6, 8, 10, 12, 16, 32, 64];
  return {
    title: 'LRO comparison: eHEA model, 8 TCP flows, 64 MiB',
    generatedBy: 'vnic report 0.1.0 (seed 1)',
    inputs: ['examples/scenarios/ehea-8flows.json', 'captures/iperf-8flows.pcapng'],
    notes: [
      'inet_lro with max_desc = 8 and max_aggr = 64, as in the eHEA driver of Linux 2.6.24.',
      'CPU cost from the default cost profile (2.0 GHz, one core).',
    ],
    summary: {
      labelHeader: 'metric',
      columns: ENGINES,
      rows: [
        { label: 'packets to stack', cells: [46346, 2214, 1583] },
        { label: 'aggregation ratio', unit: 'packets per skb', cells: [1, 20.93, 29.28] },
        { label: 'CPU cycles per KB', unit: 'cycles/KB', cells: [2310, 905.4, 842.1] },
        { label: 'CPU utilisation', cells: ['62 %', '24 %', '23 %'] },
        { label: 'latency p50', unit: 'µs', cells: [12.4, 18.9, 17.2] },
        { label: 'latency p99', unit: 'µs', cells: [41, 88.5, 76.3] },
        { label: 'ACKs sent', cells: [23173, 2214, 1583] },
        { label: 'peak DMA memory', unit: 'bytes', cells: [1048576, 1048576, 1048576] },
        { label: 'byte streams', cells: ['all 8 ok', 'all 8 ok', 'all 8 ok'] },
      ],
    },
    charts: {
      aggregateSizes: {
        yTitle: 'share of wire packets (%)',
        bins: ['1', '2–3', '4–7', '8–15', '16–31', '32–63', '64'],
        series: [
          { name: 'LRO off', counts: [100, 0, 0, 0, 0, 0, 0] },
          { name: 'inet_lro', counts: [0.5, 0.5, 2.3, 10.1, 41.2, 34.9, 10.5] },
          { name: 'GRO', counts: [0.2, 0.2, 1.1, 5.4, 30.1, 55.8, 7.2] },
        ],
      },
      cyclesPerKbBySegmentSize: {
        logX: true,
        series: [
          { name: 'LRO off', points: segSizes.map((s) => [s, Math.round(1_200 + 2_400_000 / s)] as [number, number]) },
          { name: 'inet_lro', points: segSizes.map((s) => [s, Math.round(600 + 300_000 / s)] as [number, number]) },
          { name: 'GRO', points: segSizes.map((s) => [s, Math.round(560 + 280_000 / s)] as [number, number]) },
        ],
      },
      throughputByFlows: {
        yTitle: 'throughput (Gbit/s) at one core',
        logX: true,
        xRefs: [{ value: 8, label: 'max_desc = 8' }],
        series: [
          { name: 'LRO off', points: flows.map((f) => [f, 3.1 - f * 0.005] as [number, number]) },
          { name: 'inet_lro', points: flows.map((f) => [f, f <= 8 ? 7.9 : 3.2 + 4.0 / (f - 7)] as [number, number]) },
          {
            name: 'GRO',
            points: flows.map((f) => [f, f <= 8 ? 8.4 : 8.4 - Math.log2(f / 8) * 1.1] as [number, number]),
          },
        ],
      },
      latencyByEngine: {
        groups: ENGINES,
        series: [
          { name: 'p50', values: [12.4, 18.9, 17.2] },
          { name: 'p99', values: [41, 88.5, 76.3] },
        ],
      },
      ringOccupancy: {
        xEnd: 2000,
        yRefs: [{ value: 256, label: 'ring size 256' }],
        series: [0, 1, 2, 3].map((q) => ({ name: `queue ${q}`, points: occupancy(q, 400, 5) })),
      },
    },
  };
}

/** Every string an attempt to break out of its context; numbers stay valid. */
export const HOSTILE = {
  script: '<script>alert(1)</script>',
  attr: '"onload="alert(1)',
  attrSingle: "' onmouseover='alert(2)",
  svgClose: '</svg><img src=x onerror=alert(3)>',
  entity: 'R&amp;D',
  style: '</style><script>alert(4)</script>',
  title: '</title><script>alert(5)</script>',
  iframe: 'capture"><iframe src="https://example.invalid/x"></iframe>.pcap',
} as const;

export function hostileReportData(): ReportData {
  const h = HOSTILE;
  const d = sampleReportData();
  return {
    ...d,
    title: h.script,
    generatedBy: h.attr,
    inputs: [h.iframe, h.entity],
    notes: [h.svgClose, h.entity, h.style, h.title],
    summary: {
      labelHeader: h.attrSingle,
      columns: [h.script, h.attr, h.svgClose],
      rows: [
        { label: h.title, unit: h.style, cells: [h.entity, 1, null] },
        { label: h.entity, cells: [h.iframe, h.attrSingle, 2.5] },
      ],
    },
    charts: {
      aggregateSizes: {
        ...d.charts.aggregateSizes,
        title: h.title,
        caption: h.script,
        note: h.entity,
        bins: [h.script, h.svgClose, '3', '4', '5', '6', h.entity],
        series: d.charts.aggregateSizes.series.map((s, i) => ({ ...s, name: [h.attr, h.svgClose, h.attrSingle][i]! })),
      },
      cyclesPerKbBySegmentSize: {
        ...d.charts.cyclesPerKbBySegmentSize,
        xTitle: h.svgClose,
        yTitle: h.attr,
        series: d.charts.cyclesPerKbBySegmentSize.series.map((s, i) => ({ ...s, name: `${h.script}${i}` })),
      },
      throughputByFlows: {
        ...d.charts.throughputByFlows,
        xRefs: [{ value: 8, label: h.svgClose }],
        series: d.charts.throughputByFlows.series.map((s) => ({ ...s, name: h.attrSingle })),
      },
      latencyByEngine: {
        ...d.charts.latencyByEngine,
        groups: [h.script, h.attr, h.entity],
        series: d.charts.latencyByEngine.series.map((s) => ({ ...s, name: h.style })),
      },
      ringOccupancy: {
        ...d.charts.ringOccupancy,
        yRefs: [{ value: 256, label: h.title }],
        series: d.charts.ringOccupancy.series.map((s) => ({ ...s, name: h.iframe })),
      },
    },
  };
}
