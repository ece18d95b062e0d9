// Loads rendered report pages in headless Chromium (Debian's /usr/bin/chromium, via playwright-core)
// and judges what a reader would get: no errors, no network, every chart drawn, the table complete.
// `npm run browser:check`, a CI step that installs chromium; without it this test fails on purpose, not skipped.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { renderReportHtml } from './html.ts';
import { HOSTILE, hostileReportData, marksOf, realReportData } from '../test/support/report-data.ts';

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

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} not found: this test needs Debian's chromium (apt-get install chromium); CI installs it`,
    );
  }
  dir = mkdtempSync(join(tmpdir(), 'vnic-report-'));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 15_000 });
});

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Loaded {
  page: Page;
  url: string;
  requests: string[];
  consoleErrors: string[];
  pageErrors: string[];
  dialogs: string[];
}

async function load(name: string, html: string): Promise<Loaded> {
  const file = join(dir, name);
  writeFileSync(file, html);
  const url = pathToFileURL(file).href;
  const context = await browser!.newContext({ viewport: { width: 1000, height: 800 }, javaScriptEnabled: true });
  const page = await context.newPage();
  const l: Loaded = { page, url, requests: [], consoleErrors: [], pageErrors: [], dialogs: [] };
  page.on('request', (r) => l.requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') l.consoleErrors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => l.pageErrors.push(e.message));
  page.on('dialog', (d) => {
    l.dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(url, { waitUntil: 'load', timeout: 10_000 });
  return l;
}

/** Marks per chart with their boxes, and each chart's svg box, measured by the browser's layout. */
function measureCharts(page: Page) {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('figure.chart')).map((fig) => {
      const svg = fig.querySelector('svg')!.getBoundingClientRect();
      const marks = Array.from(fig.querySelectorAll('.mark')).map((m) => {
        const r = m.getBoundingClientRect();
        return {
          w: r.width,
          h: r.height,
          inside:
            r.left >= svg.left - 1 && r.right <= svg.right + 1 && r.top >= svg.top - 1 && r.bottom <= svg.bottom + 1,
        };
      });
      return {
        key: (fig as HTMLElement).dataset['chart'] ?? '',
        heading: fig.closest('section')?.querySelector('h2')?.textContent ?? '',
        caption: fig.querySelector('figcaption')?.textContent ?? '',
        svg: { w: svg.width, h: svg.height },
        marks,
      };
    }),
  );
}

function unsafeBits(page: Page) {
  return page.evaluate(() => ({
    scripts: document.querySelectorAll('script').length,
    handlers: Array.from(document.querySelectorAll('*')).flatMap((e) =>
      Array.from(e.attributes)
        .filter((a) => /^on/i.test(a.name))
        .map((a) => `${e.tagName}[${a.name}]`),
    ),
    loaders: document.querySelectorAll(
      'img, iframe, object, embed, link, audio, video, source, image, use, foreignObject',
    ).length,
  }));
}

describe('report page in Chromium', () => {
  it('loads cleanly, offline, and draws every chart and the summary table', async () => {
    const data = realReportData();
    const marks = marksOf(data);
    const l = await load('report.html', renderReportHtml(data));
    try {
      expect(l.pageErrors).toEqual([]);
      expect(l.consoleErrors).toEqual([]);
      expect(l.dialogs).toEqual([]);
      expect(l.requests).toEqual([l.url]);

      const charts = await measureCharts(l.page);
      expect(charts.map((c) => c.key)).toEqual(Object.keys(marks));
      for (const c of charts) {
        expect(c.marks.length, c.key).toBe(marks[c.key as keyof typeof marks]);
        expect(c.svg.w, c.key).toBeGreaterThan(300);
        expect(c.svg.h, c.key).toBeGreaterThan(200);
        expect(c.heading.length, c.key).toBeGreaterThan(10);
        expect(c.caption.length, c.key).toBeGreaterThan(100);
        c.marks.forEach((m, i) => {
          expect(m.w > 0 && m.h > 0, `${c.key} mark ${i} box ${m.w}×${m.h}`).toBe(true);
          expect(m.inside, `${c.key} mark ${i} outside its svg`).toBe(true);
        });
      }

      const rows = await l.page.evaluate(() =>
        Array.from(document.querySelectorAll('table.summary tbody tr')).map((tr) =>
          Array.from(tr.children).map((c) => c.textContent ?? ''),
        ),
      );
      expect(rows).toEqual(data.summary.rows.map((r) => [r.label, ...r.cells]));
      expect(rows.every((r) => r.length === 4)).toBe(true);
      expect(rows.find((r) => r[0] === 'every byte stream intact')).toEqual([
        'every byte stream intact',
        'yes',
        'yes',
        'yes',
      ]);
      const headers = await l.page.evaluate(() =>
        Array.from(document.querySelectorAll('table.summary thead th')).map((t) => t.textContent),
      );
      expect(headers).toEqual(['bulk-4flows (seed 1)', 'LRO/GRO off', 'inet_lro', 'GRO']);

      expect(await unsafeBits(l.page)).toEqual({ scripts: 0, handlers: [], loaders: 0 });

      const shot = join(dir, 'report.png');
      await l.page.screenshot({ path: shot, fullPage: true });
      const png = readFileSync(shot);
      expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      expect(png.toString('latin1', 12, 16)).toBe('IHDR');
      expect(png.readUInt32BE(16)).toBe(1000);
      expect(png.readUInt32BE(20)).toBeGreaterThan(2000); // five charts and a table, full page
      expect(png.length).toBeGreaterThan(20_000);
    } finally {
      await l.page.context().close();
    }
  });

  it('keeps hostile strings as text: no script, no handler, no dialog, no load', async () => {
    const l = await load('hostile.html', renderReportHtml(hostileReportData()));
    try {
      expect(l.pageErrors).toEqual([]);
      expect(l.consoleErrors).toEqual([]);
      expect(l.dialogs).toEqual([]);
      expect(l.requests).toEqual([l.url]);
      expect(await unsafeBits(l.page)).toEqual({ scripts: 0, handlers: [], loaders: 0 });

      const text = await l.page.evaluate(() => ({
        title: document.title,
        h1: document.querySelector('h1')?.textContent,
        notes: Array.from(document.querySelectorAll('ul.notes li')).map((li) => li.textContent),
        svgTitles: Array.from(document.querySelectorAll('figure.chart svg > title')).map((t) => t.textContent),
        series: Array.from(document.querySelectorAll('figure[data-chart="aggregateSizes"] .mark')).map((m) =>
          m.getAttribute('data-series'),
        ),
        figures: document.querySelectorAll('figure.chart svg').length,
        marks: document.querySelectorAll('.mark').length,
      }));
      expect(text.title).toBe(HOSTILE.script);
      expect(text.h1).toBe(HOSTILE.script);
      expect(text.notes).toEqual([HOSTILE.svgClose, HOSTILE.entity, HOSTILE.style, HOSTILE.title]);
      expect(text.svgTitles[0]).toBe(HOSTILE.title);
      expect(new Set(text.series)).toEqual(new Set([HOSTILE.attr, HOSTILE.svgClose, HOSTILE.attrSingle]));
      expect(text.figures).toBe(5);
      expect(text.marks).toBe(Object.values(marksOf(realReportData())).reduce((a, b) => a + b, 0));
    } finally {
      await l.page.context().close();
    }
  });
});
