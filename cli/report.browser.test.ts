// `vnic report --quick --html FILE` end to end: run the command (in-process, test/support/cli.ts), then load the
// page it wrote in headless Chromium (Debian's /usr/bin/chromium via playwright-core) and check that every chart
// drew its marks, the page logged nothing and loaded nothing. `npm run browser:check` (a CI step); without chromium
// this fails on purpose.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { parseReportData, type ReportData } from '../report/html.ts';
import { ROOT, type Ran, vnic } from '../test/support/cli.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let browser: Browser | undefined;
let dir = '';
let ran: Ran;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} not found: this test needs Debian's chromium (apt-get install chromium); CI installs it`,
    );
  }
  dir = mkdtempSync(join(tmpdir(), 'vnic-cli-report-'));
  [ran, browser] = await Promise.all([
    vnic(['report', '--quick', '--html', join(dir, 'report.html'), '--json']),
    chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 15_000 }),
  ]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('vnic report --quick --html FILE --json', () => {
  it('exits 0, writes only the page, prints the ReportData on stdout and progress on stderr', () => {
    expect(ran.stderr).toContain('wrote ');
    expect(ran.code, ran.stderr).toBe(0);
    expect(readdirSync(dir)).toEqual(['report.html']);
    const data = parseReportData(JSON.parse(ran.stdout));
    expect(data.generatedBy).toBe(
      `vnic report ${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version} (seeds 1–2, --quick)`,
    );
    expect(data.summary.columns).toEqual(['LRO/GRO off', 'inet_lro', 'GRO']);
    // --quick runs 2 seeds: the table shows median (min–max), the JSON each seed's value
    expect(data.summary.labelHeader).toBe('bulk-4flows (seeds 1–2: median (min–max))');
    expect(data.seedRuns!.seeds).toEqual([1, 2]);
    expect(data.seedRuns!.comparison.map((s) => s.perSeed['acksSent']!.length)).toEqual([2, 2, 2]);
    expect(ran.stderr.split('\n').filter((l) => l !== '')).toEqual([
      'comparing LRO/GRO off, inet_lro, GRO on bulk-4flows (6 runs)…',
      'segment sizes 256, 1448, 8948 (18 runs)…',
      '1, 4, 8, 12, 32 flows on one queue (30 runs)…',
      `wrote ${join(dir, 'report.html')} (54 runs)`,
    ]);
  });

  it('loads in Chromium without errors or requests and every chart draws its marks', async () => {
    const data: ReportData = parseReportData(JSON.parse(ran.stdout));
    const context = await browser!.newContext({ viewport: { width: 1000, height: 800 } });
    const page = await context.newPage();
    const url = pathToFileURL(join(dir, 'report.html')).href;
    const requests: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(e.message));
    try {
      await page.goto(url, { waitUntil: 'load', timeout: 10_000 });
      expect(problems).toEqual([]);
      expect(requests).toEqual([url]);

      const charts = await page.evaluate(() =>
        Array.from(document.querySelectorAll('figure.chart')).map((fig) => {
          const svg = fig.querySelector('svg')!.getBoundingClientRect();
          return {
            key: (fig as HTMLElement).dataset['chart'] ?? '',
            svg: { w: svg.width, h: svg.height },
            marks: Array.from(fig.querySelectorAll('.mark')).map((m) => {
              const r = m.getBoundingClientRect();
              return { w: r.width, h: r.height };
            }),
          };
        }),
      );
      const ch = data.charts;
      const points = (s: { points: [number, number | null][] }[]) =>
        s.reduce((n, x) => n + x.points.filter((p) => p[1] !== null).length, 0);
      const expected: Record<string, number> = {
        aggregateSizes: ch.aggregateSizes.bins.length * ch.aggregateSizes.series.length,
        cyclesPerKbBySegmentSize: points(ch.cyclesPerKbBySegmentSize.series),
        throughputByFlows: points(ch.throughputByFlows.series),
        latencyByEngine: ch.latencyByEngine.series.reduce((n, s) => n + s.values.filter((v) => v !== null).length, 0),
        ringOccupancy: ch.ringOccupancy.series.length,
      };
      // quick mode: 7 bins × 3 engines, 3 segment sizes × 3, 5 flow counts × 3, p50/p99 × 3, one queue
      expect(expected).toEqual({
        aggregateSizes: 21,
        cyclesPerKbBySegmentSize: 9,
        throughputByFlows: 15,
        latencyByEngine: 6,
        ringOccupancy: 1,
      });
      expect(charts.map((c) => c.key)).toEqual(Object.keys(expected));
      for (const c of charts) {
        expect(c.marks.length, c.key).toBe(expected[c.key]);
        expect(c.svg.w, c.key).toBeGreaterThan(300);
        expect(c.svg.h, c.key).toBeGreaterThan(200);
        c.marks.forEach((m, i) => expect(m.w > 0 && m.h > 0, `${c.key} mark ${i} box ${m.w}×${m.h}`).toBe(true));
      }
      const maxDescLine = await page.evaluate(
        () => document.querySelector('figure[data-chart="throughputByFlows"] svg')?.textContent ?? '',
      );
      expect(maxDescLine).toContain('max_desc = 8');
      const firstRow = await page.evaluate(() =>
        Array.from(document.querySelector('table.summary tbody tr')?.children ?? []).map((c) => c.textContent),
      );
      // 2 seeds: the spread table (median, min–max beside it), as the JSON has it
      expect(firstRow).toEqual(['run time (ms)', ...data.summary.rows[0]!.cells.map(String)]);
      expect(data.summary.rows[0]!.cells.every((c) => /^\d+\.\d\d( \(\d+\.\d\d–\d+\.\d\d\))?$/.test(String(c)))).toBe(
        true,
      );
    } finally {
      await context.close();
    }
  });
});
