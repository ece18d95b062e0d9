// Small, dependency-free SVG charts for the HTML report: histogram, grouped bars, line and step charts.
// Each returns one self-contained `<svg>` string (title, role, aria-label, axes, grid, legend); every
// datum is an element with class "mark" and data-series/data-x/data-y, and every input string is escaped.

/** A vertical (x) or horizontal (y) reference line with a label, e.g. the max_desc cliff or a ring size. */
export interface RefLine {
  value: number;
  label: string;
}

export interface ChartBase {
  /** Accessible name (`<title>` and aria-label). */
  title: string;
  /** Longer text for `<desc>` (screen readers, tooltips). */
  desc?: string;
  /** Id prefix for defs inside the svg (patterns); give each chart on a page its own. Letters, digits, '-' and '_' are kept. */
  id?: string;
  xTitle?: string;
  yTitle?: string;
  /** Total width in px (default 720). */
  width?: number;
  /** Height of the plot area in px (default 280); axes and legend add to it. */
  plotHeight?: number;
}

export interface HistogramOptions extends ChartBase {
  /** Bin labels, left to right ("1", "2", …, "64+"). */
  bins: readonly string[];
  /** One bar per bin per series; `counts[i]` belongs to `bins[i]`. */
  series: readonly { name: string; counts: readonly number[] }[];
}

export interface BarChartOptions extends ChartBase {
  /** Category labels along x (scenarios, engines). */
  groups: readonly string[];
  /** One bar per group per series; `values[i]` belongs to `groups[i]`; null = not measured (drawn as "n/a", no mark). */
  series: readonly { name: string; values: readonly (number | null)[] }[];
}

export interface XySeries {
  name: string;
  /** [x, y] pairs; y null = no value (breaks the line, no mark). */
  points: readonly (readonly [number, number | null])[];
}

export interface LineChartOptions extends ChartBase {
  series: readonly XySeries[];
  /** Logarithmic x axis; points with x ≤ 0 are left out and said so in a note. */
  logX?: boolean;
  xRefs?: readonly RefLine[];
  yRefs?: readonly RefLine[];
}

export interface StepChartOptions extends ChartBase {
  /** Samples of a quantity that holds its value until the next sample (ring occupancy). */
  series: readonly XySeries[];
  /** Where every series' last value ends (e.g. the run's duration); default: at its last sample. */
  xEnd?: number;
  xRefs?: readonly RefLine[];
  yRefs?: readonly RefLine[];
  /** Above this many samples a series is reduced per pixel column, keeping first, last, min and max (default 2000). */
  maxPointsPerSeries?: number;
}

// ---------------------------------------------------------------------------------------------
// Text and numbers

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes a string for HTML/XML text and for a double- or single-quoted attribute value. Control
 * characters that XML forbids become U+FFFD so a standalone .svg stays well-formed.
 */
export function escapeXml(s: unknown): string {
  return String(s)
    .replace(/[&<>"']/g, (c) => ESCAPES[c]!)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd');
}

const UNITS: readonly [number, string][] = [
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
];

/** Short human form: 0, 7, 0.25, 12.3, 1.2k, 3.4M, 5G; at most 3 significant digits; 1e15 and up in e-notation. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '∞' : '-∞';
  if (v === 0) return '0';
  const sign = v < 0 ? '-' : '';
  const a = Math.abs(v);
  if (a >= 1e15) return sign + a.toExponential(1).replace('.0e', 'e').replace('e+', 'e');
  for (let i = 0; i < UNITS.length; i++) {
    const [unit, suffix] = UNITS[i]!;
    if (a < unit) continue;
    const s = Number((a / unit).toPrecision(3));
    if (s >= 1000 && i > 0) return sign + String(Number((a / UNITS[i - 1]![0]).toPrecision(3))) + UNITS[i - 1]![1];
    return sign + String(s) + suffix;
  }
  const s = Number(a.toPrecision(3));
  return sign + (s >= 1000 ? '1k' : String(s));
}

/** Full form for a table cell: integers grouped (1,234,567), other numbers to 4 significant digits (large ones rounded). */
export function formatFull(v: number): string {
  if (!Number.isFinite(v)) return formatNumber(v);
  if (Number.isInteger(v) || Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  return String(Number(v.toPrecision(4)));
}

/** Tick labels in short form, or grouped full numbers when the short form would make two ticks look alike. */
export function formatTicks(ticks: readonly number[]): string[] {
  const short = ticks.map(formatNumber);
  if (new Set(short).size === short.length) return short;
  return ticks.map((t) => String(Number(t.toPrecision(12))).replace(/\B(?=(\d{3})+(?!\d))/g, ','));
}

// ---------------------------------------------------------------------------------------------
// Ticks

/** The 1-2-5 step nearest above `rough`. */
function niceStep(rough: number): number {
  const exp = Math.floor(Math.log10(rough));
  const base = 10 ** exp;
  const f = rough / base;
  const nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return nf * base;
}

/**
 * Round tick values covering [min, max] with a 1·2·5×10^k step, about `target` intervals; the first
 * tick ≤ min, the last ≥ max. min = max widens the range (0 gives [0, 1]).
 */
export function niceTicks(min: number, max: number, target = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (max < min) [min, max] = [max, min];
  if (max === min) {
    if (min === 0) return niceTicks(0, 1, target);
    const half = Math.abs(min) / 2;
    // A positive value keeps a zero floor rather than going negative.
    return niceTicks(min > 0 ? Math.max(0, min - half) : min - half, max + half, target);
  }
  const step = niceStep((max - min) / Math.max(1, target));
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const n = Math.round((hi - lo) / step);
  const ticks: number[] = [];
  for (let i = 0; i <= n; i++) ticks.push(Number((lo + i * step).toFixed(Math.min(20, decimals))));
  return ticks;
}

/**
 * Ticks for a log axis over [min, max] (both > 0): 1-2-5 multiples when the range spans at most three
 * decades, powers of ten otherwise (every k-th power over a wide range). First tick ≤ min, last ≥ max.
 */
export function logTicks(min: number, max: number): number[] {
  if (!(min > 0) || !(max > 0) || !Number.isFinite(min) || !Number.isFinite(max)) return [1, 10];
  if (max < min) [min, max] = [max, min];
  if (max === min) {
    min /= Math.SQRT2 * 2;
    max *= Math.SQRT2 * 2;
  }
  const e0 = Math.floor(Math.log10(min) + 1e-9);
  const e1 = Math.ceil(Math.log10(max) - 1e-9);
  const round = (v: number) => Number(v.toPrecision(12));
  let candidates: number[];
  if (e1 - e0 <= 3) {
    candidates = [];
    for (let e = e0; e <= e1; e++) for (const m of [1, 2, 5]) candidates.push(round(m * 10 ** e));
  } else {
    const every = Math.ceil((e1 - e0) / 8);
    candidates = [];
    for (let e = e0; e <= e1 + every - 1; e += every) candidates.push(round(10 ** e));
  }
  let first = 0;
  while (first + 1 < candidates.length && candidates[first + 1]! <= min * (1 + 1e-9)) first++;
  let last = candidates.length - 1;
  while (last - 1 > first && candidates[last - 1]! >= max * (1 - 1e-9)) last--;
  return candidates.slice(first, last + 1);
}

// ---------------------------------------------------------------------------------------------
// Look: Okabe–Ito colours (distinguishable with the common colour-vision deficiencies and in grey
// print), plus a dash pattern, a marker shape and a bar hatch per series so colour is never the only cue.

export const PALETTE = [
  '#0072B2',
  '#D55E00',
  '#009E73',
  '#CC79A7',
  '#E69F00',
  '#56B4E9',
  '#000000',
  '#B8860B',
] as const;
const DASHES = ['', '7 3', '2 3', '9 3 2 3', '4 4', '1 2'] as const;
type Shape = 'circle' | 'square' | 'triangle' | 'diamond' | 'triangle-down';
const SHAPES: readonly Shape[] = ['circle', 'square', 'triangle', 'diamond', 'triangle-down'];
const HATCHES = ['solid', 'diagonal', 'dots', 'horizontal', 'backdiagonal', 'cross'] as const;

const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', Arial, sans-serif";
const TICK_FONT = 11;
const TITLE_FONT = 12;
const INK = '#222';
const MUTED = '#555';
const GRID = '#ddd';

const colorOf = (i: number) => PALETTE[i % PALETTE.length]!;
const dashOf = (i: number) => DASHES[i % DASHES.length]!;
const shapeOf = (i: number) => SHAPES[i % SHAPES.length]!;

/** Approximate rendered width of a string (no font metrics in a string renderer). */
function textWidth(s: string, size: number): number {
  return [...s].length * size * 0.6;
}

function truncate(s: string, maxChars: number): string {
  const chars = [...s];
  return chars.length <= maxChars ? s : chars.slice(0, Math.max(1, maxChars - 1)).join('') + '…';
}

const n2 = (v: number) => String(Math.round(v * 100) / 100);

function safeId(id: string | undefined): string {
  const s = (id ?? 'chart').replace(/[^A-Za-z0-9_-]/g, '');
  return /^[A-Za-z]/.test(s) ? s : `c${s}`;
}

function markerPath(shape: Shape, x: number, y: number, r: number): string {
  switch (shape) {
    case 'circle':
      return `M${n2(x - r)},${n2(y)}a${r},${r} 0 1,0 ${2 * r},0a${r},${r} 0 1,0 ${-2 * r},0Z`;
    case 'square':
      return `M${n2(x - r * 0.85)},${n2(y - r * 0.85)}h${n2(r * 1.7)}v${n2(r * 1.7)}h${n2(-r * 1.7)}Z`;
    case 'triangle':
      return `M${n2(x)},${n2(y - r * 1.15)}L${n2(x + r)},${n2(y + r * 0.75)}L${n2(x - r)},${n2(y + r * 0.75)}Z`;
    case 'triangle-down':
      return `M${n2(x)},${n2(y + r * 1.15)}L${n2(x + r)},${n2(y - r * 0.75)}L${n2(x - r)},${n2(y - r * 0.75)}Z`;
    case 'diamond':
      return `M${n2(x)},${n2(y - r * 1.2)}L${n2(x + r * 1.2)},${n2(y)}L${n2(x)},${n2(y + r * 1.2)}L${n2(x - r * 1.2)},${n2(y)}Z`;
  }
}

function hatchPattern(id: string, i: number): string {
  const c = colorOf(i);
  const kind = HATCHES[i % HATCHES.length]!;
  const bg = `<rect width="6" height="6" fill="${c}"/>`;
  const line = (d: string) => `<path d="${d}" stroke="#fff" stroke-width="1.4" stroke-opacity="0.85"/>`;
  const body =
    kind === 'solid'
      ? ''
      : kind === 'diagonal'
        ? line('M-1,1L1,-1M0,6L6,0M5,7L7,5')
        : kind === 'backdiagonal'
          ? line('M-1,5L1,7M0,0L6,6M5,-1L7,1')
          : kind === 'horizontal'
            ? line('M0,3H6')
            : kind === 'cross'
              ? line('M0,3H6M3,0V6')
              : '<circle cx="3" cy="3" r="1.3" fill="#fff" fill-opacity="0.85"/>';
  return `<pattern id="${id}-fill${i}" patternUnits="userSpaceOnUse" width="6" height="6">${bg}${body}</pattern>`;
}

// ---------------------------------------------------------------------------------------------
// Shared frame: margins, grid, axes, legend, notes

type XAxis = { kind: 'band'; labels: readonly string[] } | { kind: 'linear' | 'log'; ticks: readonly number[] };

interface LegendEntry {
  name: string;
  index: number;
  kind: 'bar' | 'line' | 'step';
}

interface Frame {
  width: number;
  height: number;
  left: number;
  top: number;
  plotW: number;
  plotH: number;
  y(v: number): number;
  /** Numeric x axes only. */
  x(v: number): number;
  band(i: number): { x0: number; w: number };
}

function buildFrame(
  o: ChartBase,
  xAxis: XAxis,
  yTicks: readonly number[],
  legend: readonly LegendEntry[],
): { frame: Frame; parts: string[] } {
  const width = Math.max(240, o.width ?? 720);
  const plotH = Math.max(80, o.plotHeight ?? 280);
  const yLabels = formatTicks(yTicks);
  const yLabelW = Math.max(...yLabels.map((s) => textWidth(s, TICK_FONT)), 8);
  const left = Math.ceil(yLabelW + 10 + (o.yTitle ? TITLE_FONT + 10 : 0) + 4);
  const right = 18;
  const top = 14;
  const plotW = width - left - right;

  // Legend rows under the x axis title.
  const legendRows: { e: LegendEntry; x: number; row: number; label: string }[] = [];
  let lx = 0;
  let row = 0;
  for (const e of legend) {
    const label = truncate(e.name, 40);
    const w = 34 + textWidth(label, TICK_FONT) + 16;
    if (lx > 0 && lx + w > width - 16) {
      row++;
      lx = 0;
    }
    legendRows.push({ e, x: lx, row, label });
    lx += w;
  }
  const nRows = legend.length ? row + 1 : 0;
  const xAxisH = TICK_FONT + 10 + (o.xTitle ? TITLE_FONT + 10 : 0);
  const legendTop = top + plotH + xAxisH + 10;
  const height = Math.ceil(legendTop + nRows * 20 + 6);

  const yMax = yTicks[yTicks.length - 1]! || 1;
  const yMin = yTicks[0]!;
  const y = (v: number) => top + plotH - ((v - yMin) / (yMax - yMin)) * plotH;

  let x = (_v: number) => left;
  if (xAxis.kind !== 'band') {
    const d0 = xAxis.ticks[0]!;
    const d1 = xAxis.ticks[xAxis.ticks.length - 1]!;
    x =
      xAxis.kind === 'log'
        ? (v: number) => left + ((Math.log10(v) - Math.log10(d0)) / (Math.log10(d1) - Math.log10(d0) || 1)) * plotW
        : (v: number) => left + ((v - d0) / (d1 - d0 || 1)) * plotW;
  }
  const nBands = xAxis.kind === 'band' ? Math.max(1, xAxis.labels.length) : 1;
  const band = (i: number) => ({ x0: left + (plotW / nBands) * i, w: plotW / nBands });

  const parts: string[] = [];
  parts.push(`<rect class="background" x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`);

  // Horizontal gridlines and y tick labels.
  const grid: string[] = [];
  const yTickText: string[] = [];
  yTicks.forEach((t, i) => {
    const py = n2(y(t));
    grid.push(`<line x1="${left}" x2="${left + plotW}" y1="${py}" y2="${py}"/>`);
    yTickText.push(
      `<text class="tick" x="${left - 6}" y="${py}" text-anchor="end" dominant-baseline="middle">${escapeXml(yLabels[i])}</text>`,
    );
  });
  // Vertical gridlines for numeric x.
  const xTickText: string[] = [];
  const tickY = top + plotH + 6 + TICK_FONT;
  if (xAxis.kind !== 'band') {
    const labels = formatTicks(xAxis.ticks);
    xAxis.ticks.forEach((t, i) => {
      const px = n2(x(t));
      grid.push(`<line x1="${px}" x2="${px}" y1="${top}" y2="${top + plotH}"/>`);
      xTickText.push(
        `<line class="tick-mark" x1="${px}" x2="${px}" y1="${top + plotH}" y2="${top + plotH + 4}" stroke="${INK}"/>`,
      );
      xTickText.push(`<text class="tick" x="${px}" y="${tickY}" text-anchor="middle">${escapeXml(labels[i])}</text>`);
    });
  } else {
    // Category labels: every k-th when crowded, truncated to the room they have; full text in a tooltip.
    const bw = plotW / nBands;
    const widest = Math.max(...xAxis.labels.map((s) => textWidth(s, TICK_FONT)), 1);
    const every = Math.max(1, Math.ceil(Math.min(widest + 6, 60) / bw));
    const room = Math.max(3, Math.floor((bw * every - 4) / (TICK_FONT * 0.6)));
    xAxis.labels.forEach((s, i) => {
      if (i % every !== 0) return;
      const px = n2(band(i).x0 + bw / 2);
      const shown = truncate(s, room);
      const tip = shown === s ? '' : `<title>${escapeXml(s)}</title>`;
      xTickText.push(`<text class="tick" x="${px}" y="${tickY}" text-anchor="middle">${tip}${escapeXml(shown)}</text>`);
    });
  }
  parts.push(`<g class="grid" stroke="${GRID}" stroke-width="1">${grid.join('')}</g>`);
  parts.push(
    `<g class="axis axis-x" fill="${INK}" font-size="${TICK_FONT}">` +
      `<line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="${INK}"/>` +
      xTickText.join('') +
      (o.xTitle
        ? `<text class="axis-title" x="${n2(left + plotW / 2)}" y="${tickY + TITLE_FONT + 8}" text-anchor="middle" font-size="${TITLE_FONT}">${escapeXml(o.xTitle)}</text>`
        : '') +
      `</g>`,
  );
  parts.push(
    `<g class="axis axis-y" fill="${INK}" font-size="${TICK_FONT}">` +
      `<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="${INK}"/>` +
      yTickText.join('') +
      (o.yTitle
        ? `<text class="axis-title" transform="translate(${TITLE_FONT + 2},${n2(top + plotH / 2)}) rotate(-90)" text-anchor="middle" font-size="${TITLE_FONT}">${escapeXml(o.yTitle)}</text>`
        : '') +
      `</g>`,
  );

  if (legend.length) {
    const items = legendRows.map(({ e, x: ex, row: r, label }) => {
      const gx = 16 + ex;
      const gy = legendTop + r * 20;
      const c = colorOf(e.index);
      let swatch: string;
      if (e.kind === 'bar') {
        swatch = `<rect x="${gx + 4}" y="${gy - 6}" width="22" height="12" fill="url(#${safeId(o.id)}-fill${e.index})" stroke="${c}"/>`;
      } else {
        const dash = dashOf(e.index);
        swatch = `<line x1="${gx}" x2="${gx + 30}" y1="${gy}" y2="${gy}" stroke="${c}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`;
        if (e.kind === 'line')
          swatch += `<path d="${markerPath(shapeOf(e.index), gx + 15, gy, 4)}" fill="${c}" stroke="#fff" stroke-width="0.8"/>`;
      }
      const tip = label === e.name ? '' : `<title>${escapeXml(e.name)}</title>`;
      return `<g class="legend-item" data-series="${escapeXml(e.name)}">${swatch}<text x="${gx + 34}" y="${gy}" dominant-baseline="middle">${tip}${escapeXml(label)}</text></g>`;
    });
    parts.push(`<g class="legend" fill="${INK}" font-size="${TICK_FONT}">${items.join('')}</g>`);
  }

  return { frame: { width, height, left, top, plotW, plotH, y, x, band }, parts };
}

function refLines(f: Frame, xRefs: readonly RefLine[], yRefs: readonly RefLine[]): string {
  const out: string[] = [];
  for (const r of xRefs) {
    const px = n2(f.x(r.value));
    out.push(
      `<g class="ref ref-x" data-value="${escapeXml(r.value)}"><line x1="${px}" x2="${px}" y1="${f.top}" y2="${f.top + f.plotH}" stroke="${MUTED}" stroke-width="1.2" stroke-dasharray="5 3"/>` +
        `<text x="${n2(f.x(r.value) + 4)}" y="${f.top + 10}" fill="${MUTED}" font-size="${TICK_FONT}">${escapeXml(r.label)}</text></g>`,
    );
  }
  for (const r of yRefs) {
    const py = n2(f.y(r.value));
    out.push(
      `<g class="ref ref-y" data-value="${escapeXml(r.value)}"><line x1="${f.left}" x2="${f.left + f.plotW}" y1="${py}" y2="${py}" stroke="${MUTED}" stroke-width="1.2" stroke-dasharray="5 3"/>` +
        `<text x="${f.left + f.plotW - 4}" y="${n2(f.y(r.value) - 4)}" text-anchor="end" fill="${MUTED}" font-size="${TICK_FONT}">${escapeXml(r.label)}</text></g>`,
    );
  }
  return out.join('');
}

function notesText(f: Frame, notes: readonly string[], empty: boolean): string {
  const out: string[] = [];
  if (empty) {
    out.push(
      `<text class="no-data" x="${n2(f.left + f.plotW / 2)}" y="${n2(f.top + f.plotH / 2)}" text-anchor="middle" dominant-baseline="middle" fill="${MUTED}" font-size="14">no data</text>`,
    );
  }
  notes.forEach((s, i) => {
    out.push(
      `<text class="note" x="${f.left + 8}" y="${f.top + 14 + i * 14}" fill="${MUTED}" font-size="${TICK_FONT}">${escapeXml(s)}</text>`,
    );
  });
  return out.join('');
}

function wrapSvg(o: ChartBase, kind: string, f: Frame, defs: string, body: string[]): string {
  const title = escapeXml(o.title);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-${kind}" viewBox="0 0 ${f.width} ${f.height}" width="${f.width}" height="${f.height}" role="img" aria-label="${title}" font-family="${FONT}" font-size="${TICK_FONT}">` +
    `<title>${title}</title>` +
    (o.desc ? `<desc>${escapeXml(o.desc)}</desc>` : '') +
    (defs ? `<defs>${defs}</defs>` : '') +
    body.join('') +
    `</svg>`
  );
}

/** A finite, non-negative y for drawing; counts clamped negatives and dropped non-finite values. */
class Cleaner {
  negatives = 0;
  nonFinite = 0;
  y(v: number): number | null {
    if (!Number.isFinite(v)) {
      this.nonFinite++;
      return null;
    }
    if (v < 0) {
      this.negatives++;
      return 0;
    }
    return v;
  }
  notes(): string[] {
    const n: string[] = [];
    if (this.negatives)
      n.push(`${this.negatives} negative value${this.negatives > 1 ? 's' : ''} drawn as 0 (not expected here)`);
    if (this.nonFinite) n.push(`${this.nonFinite} non-finite value${this.nonFinite > 1 ? 's' : ''} left out`);
    return n;
  }
}

// ---------------------------------------------------------------------------------------------
// Bars (histogram and grouped bars share this)

function bars(
  o: ChartBase,
  kind: 'histogram' | 'bar',
  labels: readonly string[],
  series: readonly { name: string; values: readonly (number | null)[] }[],
  padding: number,
): string {
  const id = safeId(o.id);
  const clean = new Cleaner();
  const vals = series.map((s) =>
    labels.map((_, i) => {
      const v = s.values[i];
      return v === null || v === undefined ? null : clean.y(v);
    }),
  );
  const missing = series.reduce((n, s) => n + Math.max(0, labels.length - s.values.length), 0);
  let max = 0;
  for (const row of vals) for (const v of row) if (v !== null && v > max) max = v;
  const empty = labels.length === 0 || series.length === 0 || vals.every((r) => r.every((v) => v === null));
  const yTicks = niceTicks(0, max);
  const { frame: f, parts } = buildFrame(
    o,
    { kind: 'band', labels },
    yTicks,
    series.map((s, index) => ({ name: s.name, index, kind: 'bar' as const })),
  );

  const nSeries = Math.max(1, series.length);
  const marks: string[] = [];
  const nBars = labels.length * series.length;
  const baseline = f.y(0);
  series.forEach((s, si) => {
    const g: string[] = [];
    labels.forEach((label, bi) => {
      const { x0, w } = f.band(bi);
      const inner = w * (1 - padding);
      const bw = inner / nSeries;
      const bx = x0 + (w - inner) / 2 + bw * si;
      const v = vals[si]![bi]!;
      if (v === null) {
        g.push(
          `<text class="na" x="${n2(bx + bw / 2)}" y="${n2(baseline - 4)}" text-anchor="middle" fill="${MUTED}" font-size="9">n/a</text>`,
        );
        return;
      }
      // Every value gets a visible bar; a zero is a hairline on the axis, not nothing.
      const h = Math.max(1.5, baseline - f.y(v));
      const raw = s.values[bi]!;
      const tip = `${s.name} · ${label}: ${formatFull(raw)}`;
      g.push(
        `<rect class="mark bar series-${si}${v === 0 ? ' zero' : ''}" data-series="${escapeXml(s.name)}" data-x="${escapeXml(label)}" data-y="${escapeXml(raw)}"` +
          ` x="${n2(bx)}" y="${n2(baseline - h)}" width="${n2(Math.max(1, bw - 1))}" height="${n2(h)}" fill="url(#${id}-fill${si})" stroke="${colorOf(si)}" stroke-width="0.8">` +
          `<title>${escapeXml(tip)}</title></rect>`,
      );
      const text = formatNumber(raw);
      if (nBars <= 40 && textWidth(text, 9) + 2 <= bw) {
        g.push(
          `<text class="value" x="${n2(bx + bw / 2)}" y="${n2(baseline - h - 3)}" text-anchor="middle" fill="${INK}" font-size="9">${escapeXml(text)}</text>`,
        );
      }
    });
    marks.push(`<g class="series series-${si}" data-series="${escapeXml(s.name)}">${g.join('')}</g>`);
  });

  const notes = clean.notes();
  if (missing)
    notes.push(
      `${missing} value${missing > 1 ? 's' : ''} missing (series shorter than the ${kind === 'histogram' ? 'bins' : 'groups'})`,
    );
  const defs = series.map((_, i) => hatchPattern(id, i)).join('');
  return wrapSvg(o, kind, f, defs, [...parts, ...marks, notesText(f, notes, empty)]);
}

/** Bars over labelled bins (one bar per series in each bin): e.g. packets per delivered skb, per engine. */
export function histogram(o: HistogramOptions): string {
  return bars(
    o,
    'histogram',
    o.bins,
    o.series.map((s) => ({ name: s.name, values: s.counts })),
    0.08,
  );
}

/** Grouped bars: one group per category, one bar per series in each group. */
export function barChart(o: BarChartOptions): string {
  return bars(o, 'bar', o.groups, o.series, 0.3);
}

// ---------------------------------------------------------------------------------------------
// Line and step charts

interface CleanPoint {
  x: number;
  y: number;
  rawY: number;
}

/** Splits a series into drawable runs (broken at null y) and counts what was left out. */
function cleanSeries(s: XySeries, logX: boolean, clean: Cleaner, skipped: { logX: number }): CleanPoint[][] {
  const runs: CleanPoint[][] = [];
  let run: CleanPoint[] = [];
  for (const [x, rawY] of s.points) {
    if (!Number.isFinite(x)) {
      clean.nonFinite++;
      continue;
    }
    if (logX && x <= 0) {
      skipped.logX++;
      continue;
    }
    const y = rawY === null ? null : clean.y(rawY);
    if (y === null) {
      if (run.length) runs.push(run);
      run = [];
      continue;
    }
    run.push({ x, y, rawY: rawY! });
  }
  if (run.length) runs.push(run);
  return runs;
}

function xTicksFor(xs: number[], logX: boolean): number[] {
  if (xs.length === 0) return logX ? [1, 10] : [0, 1];
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of xs) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return logX ? logTicks(lo, hi) : niceTicks(lo, hi);
}

/** Named series of (x, y) points as lines with a marker per point; optional log x and reference lines. */
export function lineChart(o: LineChartOptions): string {
  const logX = o.logX ?? false;
  const clean = new Cleaner();
  const skipped = { logX: 0 };
  const runs = o.series.map((s) => cleanSeries(s, logX, clean, skipped));
  const xs: number[] = [];
  let yMax = 0;
  for (const r of runs)
    for (const run of r)
      for (const p of run) {
        xs.push(p.x);
        if (p.y > yMax) yMax = p.y;
      }
  const empty = xs.length === 0;
  const xRefs = (o.xRefs ?? []).filter((r) => Number.isFinite(r.value) && (!logX || r.value > 0));
  const yRefs = (o.yRefs ?? []).filter((r) => Number.isFinite(r.value) && r.value >= 0);
  for (const r of xRefs) xs.push(r.value);
  for (const r of yRefs) if (r.value > yMax) yMax = r.value;
  const xTicks = xTicksFor(xs, logX);
  const yTicks = niceTicks(0, yMax);
  const { frame: f, parts } = buildFrame(
    o,
    { kind: logX ? 'log' : 'linear', ticks: xTicks },
    yTicks,
    o.series.map((s, index) => ({ name: s.name, index, kind: 'line' as const })),
  );

  const body: string[] = [refLines(f, xRefs, yRefs)];
  o.series.forEach((s, si) => {
    const c = colorOf(si);
    const dash = dashOf(si);
    const g: string[] = [];
    for (const run of runs[si]!) {
      if (run.length > 1) {
        const d = run.map((p, i) => `${i ? 'L' : 'M'}${n2(f.x(p.x))},${n2(f.y(p.y))}`).join('');
        g.push(
          `<path class="line" d="${d}" fill="none" stroke="${c}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`,
        );
      }
    }
    for (const run of runs[si]!) {
      for (const p of run) {
        const tip = `${s.name} · x ${formatFull(p.x)}: ${formatFull(p.rawY)}`;
        g.push(
          `<path class="mark point series-${si}" data-series="${escapeXml(s.name)}" data-x="${escapeXml(p.x)}" data-y="${escapeXml(p.rawY)}"` +
            ` d="${markerPath(shapeOf(si), f.x(p.x), f.y(p.y), 4)}" fill="${c}" stroke="#fff" stroke-width="0.8"><title>${escapeXml(tip)}</title></path>`,
        );
      }
    }
    body.push(`<g class="series series-${si}" data-series="${escapeXml(s.name)}">${g.join('')}</g>`);
  });
  const notes = clean.notes();
  if (skipped.logX) notes.push(`${skipped.logX} point${skipped.logX > 1 ? 's' : ''} with x ≤ 0 left out (log axis)`);
  body.push(notesText(f, notes, empty));
  return wrapSvg(o, 'line', f, '', [...parts, ...body]);
}

/** Keeps first, last, min and max of each pixel column, in x order, so peaks survive any reduction. */
function reduceSteps(run: CleanPoint[], toPx: (x: number) => number): CleanPoint[] {
  const out: CleanPoint[] = [];
  let i = 0;
  while (i < run.length) {
    const col = Math.floor(toPx(run[i]!.x));
    let j = i;
    let lo = i;
    let hi = i;
    while (j + 1 < run.length && Math.floor(toPx(run[j + 1]!.x)) === col) {
      j++;
      if (run[j]!.y < run[lo]!.y) lo = j;
      if (run[j]!.y > run[hi]!.y) hi = j;
    }
    for (const k of [...new Set([i, lo, hi, j])].sort((a, b) => a - b)) out.push(run[k]!);
    i = j + 1;
  }
  return out;
}

/**
 * Time series as step lines (value holds until the next sample), one per series: ring occupancy per
 * queue. One mark per series (the step path) carrying data-points (samples given) and data-y-max (peak).
 */
export function stepChart(o: StepChartOptions): string {
  const clean = new Cleaner();
  const skipped = { logX: 0 };
  const runsBySeries = o.series.map((s) => {
    const sorted = [...s.points].sort((a, b) => a[0] - b[0]);
    return cleanSeries({ name: s.name, points: sorted }, false, clean, skipped);
  });
  const xs: number[] = [];
  let yMax = 0;
  for (const r of runsBySeries)
    for (const run of r)
      for (const p of run) {
        xs.push(p.x);
        if (p.y > yMax) yMax = p.y;
      }
  const empty = xs.length === 0;
  const xEnd = o.xEnd !== undefined && Number.isFinite(o.xEnd) ? o.xEnd : undefined;
  if (xEnd !== undefined && !empty) xs.push(xEnd);
  const xRefs = (o.xRefs ?? []).filter((r) => Number.isFinite(r.value));
  const yRefs = (o.yRefs ?? []).filter((r) => Number.isFinite(r.value) && r.value >= 0);
  for (const r of xRefs) xs.push(r.value);
  for (const r of yRefs) if (r.value > yMax) yMax = r.value;
  const xTicks = xTicksFor(xs, false);
  const yTicks = niceTicks(0, yMax);
  const { frame: f, parts } = buildFrame(
    o,
    { kind: 'linear', ticks: xTicks },
    yTicks,
    o.series.map((s, index) => ({ name: s.name, index, kind: 'step' as const })),
  );
  const maxPoints = o.maxPointsPerSeries ?? 2000;

  const body: string[] = [refLines(f, xRefs, yRefs)];
  o.series.forEach((s, si) => {
    const runs = runsBySeries[si]!;
    const count = runs.reduce((n, r) => n + r.length, 0);
    if (count === 0) return;
    let peak = 0;
    for (const r of runs) for (const p of r) if (p.rawY > peak) peak = p.rawY;
    const d: string[] = [];
    runs.forEach((run0, ri) => {
      const run = count > maxPoints ? reduceSteps(run0, f.x) : run0;
      d.push(`M${n2(f.x(run[0]!.x))},${n2(f.y(run[0]!.y))}`);
      for (let i = 1; i < run.length; i++) d.push(`H${n2(f.x(run[i]!.x))}V${n2(f.y(run[i]!.y))}`);
      // The last run holds its value to xEnd; a lone sample without xEnd gets a short tick so it shows.
      const lastX = run[run.length - 1]!.x;
      if (ri === runs.length - 1 && xEnd !== undefined && xEnd > lastX) d.push(`H${n2(f.x(xEnd))}`);
      else if (run.length === 1) d.push('h4');
    });
    const c = colorOf(si);
    const dash = dashOf(si);
    const tip = `${s.name}: ${count} samples, peak ${formatFull(peak)}`;
    body.push(
      `<g class="series series-${si}" data-series="${escapeXml(s.name)}">` +
        `<path class="mark step series-${si}" data-series="${escapeXml(s.name)}" data-points="${count}" data-y-max="${escapeXml(peak)}" d="${d.join('')}"` +
        ` fill="none" stroke="${c}" stroke-width="1.8"${dash ? ` stroke-dasharray="${dash}"` : ''}><title>${escapeXml(tip)}</title></path></g>`,
    );
  });
  body.push(notesText(f, clean.notes(), empty));
  return wrapSvg(o, 'step', f, '', [...parts, ...body]);
}
