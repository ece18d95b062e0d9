import { describe, expect, it } from 'vitest';
import { parseReportData, renderReportHtml, REPORT_CSP, ReportDataError } from './html.ts';
import type { ReportData } from './html.ts';
import { HOSTILE, hostileReportData, SAMPLE_MARKS, sampleReportData } from './sample-data.ts';
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

/** The markup of one figure (its section). */
function section(html: string, key: string): string {
  const m = new RegExp(`<figure class="chart" data-chart="${key}">[\\s\\S]*?</figure>`).exec(html);
  if (!m) throw new Error(`no figure ${key}`);
  return m[0];
}

describe('renderReportHtml', () => {
  const html = renderReportHtml(sampleReportData());

  it('is one self-contained document with a CSP that forbids every load', () => {
    expect(html.startsWith('<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n')).toBe(true);
    const csp = scanTags(html).find(
      (t) => t.name === 'meta' && t.attrs.get('http-equiv') === 'Content-Security-Policy',
    );
    expect(csp?.attrs.get('content')).toBe(REPORT_CSP);
    expect(REPORT_CSP.startsWith("default-src 'none'; style-src 'unsafe-inline'; img-src data:")).toBe(true);
    expect(textsOf(html, 'title')[0]).toBe('LRO comparison: eHEA model, 8 TCP flows, 64 MiB');
    expectSafePage(html);
  });

  it('has the summary table with runs side by side', () => {
    const table = /<table class="summary">[\s\S]*?<\/table>/.exec(html)![0];
    expect(textsOf(table, 'th').slice(0, 4)).toEqual(['metric', 'LRO off', 'inet_lro', 'GRO']);
    const rows = [...table.matchAll(/<tr><th scope="row">([\s\S]*?)<\/th>([\s\S]*?)<\/tr>/g)].map((m) => [
      decodeEntities(m[1]!.replace(/<[^>]*>/g, '')),
      ...textsOf(m[2]!, 'td'),
    ]);
    expect(rows).toEqual([
      ['packets to stack', '46,346', '2,214', '1,583'],
      ['aggregation ratio (packets per skb)', '1', '20.93', '29.28'],
      ['CPU cycles per KB (cycles/KB)', '2,310', '905.4', '842.1'],
      ['CPU utilisation', '62 %', '24 %', '23 %'],
      ['latency p50 (µs)', '12.4', '18.9', '17.2'],
      ['latency p99 (µs)', '41', '88.5', '76.3'],
      ['ACKs sent', '23,173', '2,214', '1,583'],
      ['peak DMA memory (bytes)', '1,048,576', '1,048,576', '1,048,576'],
      ['byte streams', 'all 8 ok', 'all 8 ok', 'all 8 ok'],
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
    for (const [key, n] of Object.entries(SAMPLE_MARKS)) {
      const fig = section(html, key);
      expect(elementsWithClass(fig, 'mark').length, key).toBe(n);
      expect(textsOf(fig, 'figcaption')[0]!.length, key).toBeGreaterThan(100);
    }
    expect(textsOf(html, 'h2')).toEqual([
      'Summary',
      'Notes',
      'Inputs',
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
    expect(renderReportHtml(sampleReportData())).toBe(html);
  });

  it('uses title, caption and note from the data when given', () => {
    const d = sampleReportData();
    d.charts.latencyByEngine.title = 'Latency vs max_aggr';
    d.charts.latencyByEngine.note = 'max_aggr = 64.';
    const page = renderReportHtml(d);
    expect(textsOf(page, 'h2')).toContain('Latency vs max_aggr');
    expect(textsOf(section(page, 'latencyByEngine'), 'figcaption')[0]!.endsWith(' max_aggr = 64.')).toBe(true);
  });

  it('renders empty charts with a "no data" note', () => {
    const d = sampleReportData();
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
    expect(elementsWithClass(html, 'mark').length).toBe(Object.values(SAMPLE_MARKS).reduce((a, b) => a + b, 0));
  });
});

describe('parseReportData', () => {
  it('accepts the sample and returns it unchanged', () => {
    expect(parseReportData(JSON.parse(JSON.stringify(sampleReportData())))).toEqual(sampleReportData());
  });

  it('names each bad field', () => {
    const d = sampleReportData() as unknown as Record<string, unknown> & ReportData;
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
    expect(msg).toContain("summary.rows.1.cells: row 'aggregation ratio' has 2 cells for 3 columns");
    expect(msg).toContain("charts.latencyByEngine.series.0.values: series 'p50' has 4 values for 3 groups");
    expect(msg).toContain('charts.cyclesPerKbBySegmentSize.series.0.points.2.1');
    expect(msg).toContain('colour');
  });

  it('rejects a histogram whose counts do not match its bins, and negative counts', () => {
    const d = sampleReportData();
    d.charts.aggregateSizes.series[1]!.counts = [1, -2];
    expect(() => parseReportData(d)).toThrow(
      /charts\.aggregateSizes\.series\.1\.counts\.1: .*>=0[\s\S]*has 2 counts for 7 bins/,
    );
    expect(() => renderReportHtml(d)).toThrow(ReportDataError);
  });
});
