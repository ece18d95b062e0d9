// report/: the rendering half of `vnic report --html`: SVG charts and the self-contained HTML page.
export {
  barChart,
  escapeXml,
  formatFull,
  formatNumber,
  formatTicks,
  histogram,
  lineChart,
  logTicks,
  niceTicks,
  PALETTE,
  stepChart,
} from './svg.ts';
export type {
  BarChartOptions,
  ChartBase,
  HistogramOptions,
  LineChartOptions,
  RefLine,
  StepChartOptions,
  XySeries,
} from './svg.ts';
export {
  DEFAULT_CHART_TEXT,
  parseReportData,
  renderReportHtml,
  REPORT_CSP,
  ReportDataError,
  ReportDataSchema,
} from './html.ts';
export type {
  AggregateSizesChart,
  ChartText,
  GroupedBarChart,
  RefLineData,
  ReportData,
  StepSeriesChart,
  SummaryRow,
  XyChart,
  XySeriesData,
} from './html.ts';
