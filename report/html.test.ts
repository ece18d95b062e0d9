import { describe, expect, it } from 'vitest';
import { parseReportData, renderReportHtml, REPORT_CSP, ReportDataError } from './html.ts';
import type { ReportData } from './html.ts';
import { HOSTILE, hostileReportData, marksOf, realReportData } from '../test/support/report-data.ts';
import { decodeEntities, elementsWithClass, nestingProblem, scanTags, textsOf } from '../test/support/markup.ts';

const HTML_TAGS = new Set([
  '!doctype',
  'html',
  'head',
  'meta',
  'title',
  'style',
  'body',
  'header',
  'main',
  'footer',
  'section',
  'h1',
  'h2',
  'p',
  'ul',
  'li',
  'div',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
  'span',
  'figure',
  'figcaption',
  'details',
  'summary',
  'svg',
  'desc',
  'defs',
  'pattern',
  'rect',
  'path',
  'circle',
  'line',
  'g',
  'text',
]);

/** Structural safety: only known elements, no handlers, no URL-bearing attributes, tags nest. */
function expectSafePage(html: string): void {
  const tags = scanTags(html);
  expect(nestingProblem(tags)).toBeNull();
  for (const t of tags) {
    expect(HTML_TAGS.has(t.name), `unexpected <${t.name}>`).toBe(true);
    for (const a of t.attrs.keys()) {
      expect(a.startsWith('on'), `handler attribute ${a} on <${t.name}>`).toBe(false);
      expect(
        ['href', 'src', 'srcset', 'action', 'formaction', 'xlink:href', 'style'].includes(a),
        `${a} on <${t.name}>`,
      ).toBe(false);
    }
  }
  expect(tags.filter((t) => t.name === 'script').length).toBe(0);
  // The only URL in the page is the SVG namespace name, which is never fetched (hostile text aside, shown as text).
  const urls = html.match(/[a-z]+:\/\/[^\s"'<>)]*/gi) ?? [];
  expect(new Set(urls.filter((u) => !u.startsWith('https://example.i')))).toEqual(
    new Set(['http://www.w3.org/2000/svg']),
  );
}

/** The summary table's rows as text: the header row, then each row's label and cells. */
function summaryRows(html: string): string[][] {
  const table = /<table class="summary">[\s\S]*?<\/table>/.exec(html)![0];
  const head = [...table.matchAll(/<th scope="col">([\s\S]*?)<\/th>/g)].map((m) => decodeEntities(m[1]!));
  const rows = [...table.matchAll(/<tr><th scope="row">([\s\S]*?)<\/th>([\s\S]*?)<\/tr>/g)].map((m) => [
    decodeEntities(m[1]!.replace(/<[^>]*>/g, '')),
    ...textsOf(m[2]!, 'td'),
  ]);
  return [head, ...rows];
}

/** The markup of one figure (its section). */
function section(html: string, key: string): string {
  const m = new RegExp(`<figure class="chart" data-chart="${key}">[\\s\\S]*?</figure>`).exec(html);
  if (!m) throw new Error(`no figure ${key}`);
  return m[0];
}

describe('renderReportHtml', () => {
  const data = realReportData();
  const html = renderReportHtml(data);

  it('is one self-contained document with a CSP that forbids every load', () => {
    expect(html.startsWith('<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n')).toBe(true);
    const csp = scanTags(html).find(
      (t) => t.name === 'meta' && t.attrs.get('http-equiv') === 'Content-Security-Policy',
    );
    expect(csp?.attrs.get('content')).toBe(REPORT_CSP);
    expect(REPORT_CSP.startsWith("default-src 'none'; style-src 'unsafe-inline'; img-src data:")).toBe(true);
    expect(textsOf(html, 'title')[0]).toBe('LRO report: ehea with driver ehea, traffic bulk-4flows');
    expectSafePage(html);
  });

  it('has the summary table with runs side by side', () => {
    const rows = summaryRows(html);
    expect(rows[0]).toEqual(['bulk-4flows (seed 1)', 'LRO/GRO off', 'inet_lro', 'GRO']);
    expect(rows.slice(1)).toEqual(data.summary.rows.map((r) => [r.label, ...r.cells]));
    expect(rows.find((r) => r[0] === 'every byte stream intact')).toEqual([
      'every byte stream intact',
      'yes',
      'yes',
      'yes',
    ]);
  });

  it('formats number cells: integers grouped, others to 4 digits, null as a dash; units beside the label', () => {
    const d = realReportData();
    d.summary = {
      columns: ['a', 'b', 'c'],
      rows: [
        { label: 'bytes', unit: 'B', cells: [1_048_576, 20.9347, null] },
        { label: 'text', cells: ['x', 'y', 'z'] },
      ],
    };
    expect(summaryRows(renderReportHtml(d))).toEqual([
      ['metric', 'a', 'b', 'c'],
      ['bytes (B)', '1,048,576', '20.93', '—'],
      ['text', 'x', 'y', 'z'],
    ]);
  });

  it('draws the five charts in order, each with heading, caption and its marks', () => {
    const keys = [...html.matchAll(/data-chart="([^"]+)"/g)].map((m) => m[1]);
    expect(keys).toEqual([
      'aggregateSizes',
      'cyclesPerKbBySegmentSize',
      'throughputByFlows',
      'latencyByEngine',
      'ringOccupancy',
    ]);
    expect(marksOf(data)).toEqual({
      aggregateSizes: 7 * 3,
      cyclesPerKbBySegmentSize: 3 * 3,
      throughputByFlows: 5 * 3,
      latencyByEngine: 3 * 2,
      ringOccupancy: 1,
    });
    for (const [key, n] of Object.entries(marksOf(data))) {
      const fig = section(html, key);
      expect(elementsWithClass(fig, 'mark').length, key).toBe(n);
      expect(textsOf(fig, 'figcaption')[0]!.length, key).toBeGreaterThan(100);
    }
    expect(textsOf(html, 'h2')).toEqual([
      'Summary',
      'Notes',
      'Aggregate sizes: packets per skb delivered to the stack',
      'CPU cost per KB against segment size',
      'Throughput against number of concurrent flows',
      'Latency added by aggregation',
      'Receive ring occupancy over time',
    ]);
    expect(textsOf(section(html, 'throughputByFlows'), 'text')).toContain('max_desc = 8');
    expect(textsOf(section(html, 'aggregateSizes'), 'text')).toContain('share of wire packets (%)');
  });

  it('is deterministic', () => {
    expect(renderReportHtml(realReportData())).toBe(html);
  });

  it('uses title, caption and note from the data when given', () => {
    const d = realReportData();
    d.charts.latencyByEngine.title = 'Latency vs max_aggr';
    d.charts.latencyByEngine.note = 'max_aggr = 64.';
    const page = renderReportHtml(d);
    expect(textsOf(page, 'h2')).toContain('Latency vs max_aggr');
    expect(textsOf(section(page, 'latencyByEngine'), 'figcaption')[0]!.endsWith(' max_aggr = 64.')).toBe(true);
  });

  it('renders empty charts with a "no data" note', () => {
    const d = realReportData();
    d.charts.ringOccupancy.series = [];
    d.charts.aggregateSizes = { bins: [], series: [] };
    const page = renderReportHtml(d);
    expect(elementsWithClass(section(page, 'ringOccupancy'), 'mark').length).toBe(0);
    expect(elementsWithClass(section(page, 'ringOccupancy'), 'no-data').length).toBe(1);
    expect(elementsWithClass(section(page, 'aggregateSizes'), 'no-data').length).toBe(1);
    expectSafePage(page);
  });
});

describe('hostile input', () => {
  const html = renderReportHtml(hostileReportData());

  it('adds no element, handler or URL', () => {
    expectSafePage(html);
    expect(html).not.toMatch(/<script|<img|<iframe|<\/style><|<\/title><s/i);
  });

  it('shows every string as the text it was', () => {
    expect(textsOf(html, 'h1')[0]).toBe(HOSTILE.script);
    expect(textsOf(html, 'title')[0]).toBe(HOSTILE.script);
    expect(textsOf(html, 'li')).toEqual([
      HOSTILE.svgClose,
      HOSTILE.entity,
      HOSTILE.style,
      HOSTILE.title,
      HOSTILE.iframe,
      HOSTILE.entity,
    ]);
    const gen = scanTags(html).find((t) => t.name === 'meta' && t.attrs.get('name') === 'generator');
    expect(gen?.attrs.get('content')).toBe(HOSTILE.attr);
    expect(html).toContain('R&amp;amp;D'); // '&amp;' in the input survives as literal text
    const bars = elementsWithClass(section(html, 'aggregateSizes'), 'mark');
    expect(bars.map((a) => a.get('data-series'))).toContain(HOSTILE.svgClose);
    expect(bars.map((a) => a.get('data-x'))).toContain(HOSTILE.script);
    expect(elementsWithClass(html, 'mark').length).toBe(
      Object.values(marksOf(realReportData())).reduce((a, b) => a + b, 0),
    );
  });
});

describe('parseReportData', () => {
  it("accepts a real run's data and returns it unchanged", () => {
    expect(parseReportData(JSON.parse(JSON.stringify(realReportData())))).toEqual(realReportData());
  });

  it('names each bad field', () => {
    const d = realReportData() as unknown as Record<string, unknown> & ReportData;
    d.summary.rows[1]!.cells.pop();
    d.charts.latencyByEngine.series[0]!.values.push(3);
    d.charts.cyclesPerKbBySegmentSize.series[0]!.points[2] = [256, Number.NaN];
    (d as Record<string, unknown>)['colour'] = 'red';
    let msg = '';
    try {
      parseReportData(d);
    } catch (e) {
      expect(e).toBeInstanceOf(ReportDataError);
      msg = (e as Error).message;
    }
    expect(msg).toContain("summary.rows.1.cells: row 'packets to the stack' has 2 cells for 3 columns");
    expect(msg).toContain("charts.latencyByEngine.series.0.values: series 'p50' has 4 values for 3 groups");
    expect(msg).toContain('charts.cyclesPerKbBySegmentSize.series.0.points.2.1');
    expect(msg).toContain('colour');
  });

  it('rejects a histogram whose counts do not match its bins, and negative counts', () => {
    const d = realReportData();
    d.charts.aggregateSizes.series[1]!.counts = [1, -2];
    expect(() => parseReportData(d)).toThrow(
      /charts\.aggregateSizes\.series\.1\.counts\.1: .*>=0[\s\S]*has 2 counts for 7 bins/,
    );
    expect(() => renderReportHtml(d)).toThrow(ReportDataError);
  });
});
