// The report tests' page data: what a real quick report run (report/collect.ts, as `vnic report --quick` runs it:
// every engine on the eHEA model, seed 1) produced, and a hostile copy of it in which every string is an attack.
import { collectReport } from '../../report/collect.ts';
import type { ReportData } from '../../report/html.ts';

let collected: ReportData | undefined;

/** The page data of a real quick report run, collected once per test file; a fresh copy on every call. */
export function realReportData(): ReportData {
  collected ??= collectReport({ quick: true }).data;
  return structuredClone(collected);
}

/**
 * The `.mark` elements each chart of `d` draws, counted from the data: one bar per bin (or group) and series,
 * one dot per point of a line chart, one line per ring-occupancy series.
 */
export function marksOf(d: ReportData): Record<keyof ReportData['charts'], number> {
  const c = d.charts;
  const points = (series: readonly { points: readonly unknown[] }[]) => series.reduce((n, s) => n + s.points.length, 0);
  return {
    aggregateSizes: c.aggregateSizes.bins.length * c.aggregateSizes.series.length,
    cyclesPerKbBySegmentSize: points(c.cyclesPerKbBySegmentSize.series),
    throughputByFlows: points(c.throughputByFlows.series),
    latencyByEngine: c.latencyByEngine.groups.length * c.latencyByEngine.series.length,
    ringOccupancy: c.ringOccupancy.series.length,
  };
}

/** Every string an attempt to break out of its context. */
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

/** The real run's page data with every string an attempt to break out of its context; numbers stay the run's. */
export function hostileReportData(): ReportData {
  const h = HOSTILE;
  const d = realReportData();
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
        bins: d.charts.aggregateSizes.bins.map((b, i, all) =>
          i === 0 ? h.script : i === 1 ? h.svgClose : i === all.length - 1 ? h.entity : b,
        ),
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
