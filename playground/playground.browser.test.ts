// The playground in a real browser (`npm run browser:check`, a CI step after `npm test`): build it,
// open the built page from file:// in headless Chromium (Debian's /usr/bin/chromium via playwright-core),
// and hold what it shows to the lab's own report — `vnic run --config FILE --json` for the same
// configuration. Screenshots land in out/playground/. Without chromium this fails on purpose; CI installs it.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { RunReport } from '../lab/run-report.ts';
import { DEFAULTS, toLabConfig, type PlaygroundConfig } from './config.ts';
import { POSTED_RING_COUNTERS, postedRingsByEvent, type PostedRingTruth } from '../test/support/posted-rings-truth.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PAGE = pathToFileURL(join(ROOT, 'playground/dist/index.html')).href;
const SHOTS = join(ROOT, 'out/playground');
const PCAP = join(ROOT, 'test/captures/parallel4_mtu1500.tx.pcap');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

function sh(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 256 << 20 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

/** `vnic run --config FILE --json`: the reports of every engine the driver supports, by engine. */
async function vnicRun(lab: object): Promise<Map<string, RunReport>> {
  const file = join(dir, `run-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(lab));
  const r = await sh(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'run', '--config', file, '--json']);
  expect(r.code, r.stderr).toBe(0);
  const runs = (JSON.parse(r.stdout) as { runs: RunReport[] }).runs;
  return new Map(runs.map((x) => [x.label === 'LRO/GRO off' ? 'off' : x.label.toLowerCase(), x]));
}

function at(o: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], o);
}

let browser: Browser;
let dir = '';
const consoleProblems: string[] = [];

async function open(query: string, viewport = { width: 1280, height: 720 }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') consoleProblems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleProblems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:') && !r.url().startsWith('data:'))
      consoleProblems.push(`network request: ${r.url()}`);
  });
  await page.goto(`${PAGE}?autoplay=0${query === '' ? '' : `&${query}`}`);
  await page.waitForFunction(() => /^Ready/.test(document.getElementById('status')?.textContent ?? ''), null, {
    timeout: 60_000,
  });
  return page;
}

/** The figures a lane shows, by data-key, from one of its definition lists. */
async function figures(
  page: Page,
  lane: number,
  list: 'report' | 'counters' | 'live-figures',
): Promise<Record<string, number | boolean>> {
  return page.$$eval(`.lane:nth-child(${lane + 1}) [data-testid=${list}] dd`, (dds) =>
    Object.fromEntries(
      dds.map((d) => {
        const v = d.getAttribute('data-value')!;
        return [d.getAttribute('data-key')!, v === 'true' ? true : v === 'false' ? false : Number(v)];
      }),
    ),
  );
}

/** Every figure of the page's report equals the CLI report's field of the same name. */
async function expectReport(page: Page, lane: number, cli: RunReport): Promise<void> {
  const shown = await figures(page, lane, 'report');
  expect(Object.keys(shown).length).toBeGreaterThan(10);
  for (const [k, v] of Object.entries(shown)) expect([k, v]).toEqual([k, at(cli, k)]);
}

/** axe-core's WCAG 2 A/AA and best-practice violations on the page as it stands. */
async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: AXE });
  return page.evaluate(async () => {
    const r = await (
      window as unknown as {
        axe: { run(c: unknown, o: unknown): Promise<{ violations: { id: string; nodes: unknown[] }[] }> };
      }
    ).axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'best-practice'] });
    return r.violations.map((v) => `${v.id} (${v.nodes.length})`);
  });
}

/** The rings the driver posts to, as the page shows them: slots posted now, and buffers since the open. */
async function postedRings(page: Page): Promise<(PostedRingTruth & { entries: number })[]> {
  return page.$$eval('[data-testid=ring-summary][data-role=rx]', (ts) =>
    ts.map((t) => {
      const d = t.dataset,
        n = (k: string) => Number(d[k]);
      return {
        queue: n('queue'),
        ring: d['ring']!,
        posted: n('posted'),
        filled: n('totalFilled'),
        taken: n('totalTaken'),
        refilled: n('refilled'),
        entries: n('posted') + n('filled') + n('consumed') + n('empty'),
      };
    }),
  );
}

async function cursor(page: Page): Promise<number> {
  return Number(/^event (\d+)/.exec((await page.textContent('[data-testid=now]')) ?? '')?.[1]);
}

async function poll(page: Page): Promise<{ number: number; work: number; budget: number; ended: boolean }> {
  return page.$eval('.lane [data-testid=poll]', (p) => ({
    number: Number(p.dataset['number']),
    work: Number(p.dataset['work']),
    budget: Number(p.dataset['budget']),
    ended: p.dataset['ended'] === 'true',
  }));
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} not found: this test needs Debian's chromium (apt-get install chromium); CI installs it`,
    );
  dir = mkdtempSync(join(tmpdir(), 'vnic-playground-'));
  mkdirSync(SHOTS, { recursive: true });
  const [built, b] = await Promise.all([
    sh(process.execPath, [
      join(ROOT, 'node_modules/vite/bin/vite.js'),
      'build',
      '--config',
      'playground/vite.config.ts',
      '--logLevel',
      'warn',
    ]),
    chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 30_000 }),
  ]);
  browser = b;
  expect(built.code, built.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the built playground page', () => {
  it('is one self-contained file: no script or stylesheet outside it', () => {
    const html = readFileSync(join(ROOT, 'playground/dist/index.html'), 'utf8');
    expect(/<script[^>]+src=|<link[^>]+stylesheet/.test(html)).toBe(false);
  });

  it('runs the default scenario, steps poll by poll and ends with the counters and figures of vnic run --json', async () => {
    const [page, cli] = await Promise.all([open(''), vnicRun(toLabConfig(DEFAULTS, 'lro'))]);
    await expectReport(page, 0, cli.get('lro')!);
    const lro = cli.get('lro')!;

    // poll by poll: each step ends exactly one poll, within its budget; inet_lro holds nothing past a poll
    let work = 0;
    for (let n = 1; n <= 25; n++) {
      await page.click('#step-poll');
      const p = await poll(page);
      expect(p).toMatchObject({ number: n, ended: true });
      expect(p.work).toBeGreaterThan(0);
      expect(p.work).toBeLessThanOrEqual(p.budget);
      work += p.work;
      const live = await figures(page, 0, 'counters');
      expect(live['completions']).toBe(work);
      // the CPU and latency figures move with the run, short of the whole run's
      const so = await figures(page, 0, 'live-figures');
      expect(so['cpu.cycles']).toBeGreaterThan(0);
      expect(so['cpu.cycles']).toBeLessThan(lro.cpu.cycles);
      expect(so['durationNs']).toBeLessThan(lro.durationNs);
      expect(live['polls']).toBe(n);
      expect(await page.$$eval('.agg.open', (x) => x.length)).toBe(0);
      const ring = await page.$eval('[data-testid=ring-summary][data-ring=cq]', (t) => ({ ...t.dataset }));
      expect(Number(ring['filled']) + Number(ring['consumed']) + Number(ring['posted']) + Number(ring['empty'])).toBe(
        2176,
      );
      expect(Number(ring['consumed'])).toBe(0); // the CQ doorbell at the end of the poll gave every entry back
    }
    await page.screenshot({ path: join(SHOTS, 'default-poll-25-1280x720.png') });

    // one event at a time moves the cursor by one
    const before = await page.$eval('[data-testid=now]', (e) => e.textContent!);
    await page.click('#step-event');
    const after = await page.$eval('[data-testid=now]', (e) => e.textContent!);
    expect(Number(/^event (\d+)/.exec(after)![1])).toBe(Number(/^event (\d+)/.exec(before)![1]) + 1);

    await page.click('#to-end');
    const live = await figures(page, 0, 'counters');
    const nic = lro.counters['nic']!,
      stack = lro.counters['stack']!;
    expect(live).toMatchObject({
      wireFrames: lro.framesIn,
      dma: nic['rx_packets'],
      nicDrops: 0,
      polls: stack['napiPolls'],
      completions: nic['rx_packets'],
      held: lro.lro.reasons['held'],
      appended: lro.lro.reasons['appended'],
      flushed: lro.lro.flushed,
      acks: lro.acksSent,
      bytesDelivered: lro.bytesDelivered,
    });
    // and the CPU and latency figures made from the events end on the report's own
    const so = await figures(page, 0, 'live-figures');
    expect(Object.keys(so).length).toBe(9);
    for (const [k, v] of Object.entries(so)) expect([k, v]).toEqual([k, at(lro, k)]);
    const reasons = Object.fromEntries(Object.entries(live).filter(([k]) => k.startsWith('flush_')));
    expect(reasons).toEqual(
      Object.fromEntries(Object.entries(lro.lro.reasons).filter(([k, v]) => k.startsWith('flush_') && v > 0)),
    );

    // a click on a frame shows its narration
    await page.click('.wire .frame >> nth=-1');
    await expect.poll(() => page.textContent('#story-lines')).toMatch(/frame \d+ .*\n?.*driver/s);
    await page.screenshot({ path: join(SHOTS, 'default-end-1280x720.png'), fullPage: true });
    await page.close();
  }, 180_000);

  for (const model of ['ehea', 'myri10ge'] as const)
    it(`${model}: the rings the driver posts to, stepped poll by poll, hold the lab's registers and counters`, async () => {
      // VLAN-tagged bulk flows beside ARP/ICMP/UDP background: frames for the small and the large buffers
      const c: PlaygroundConfig = { ...DEFAULTS, scenario: 'vlan-mixed', model };
      const lab = toLabConfig(c, 'lro');
      const [page, cli] = await Promise.all([open(`scenario=vlan-mixed&model=${model}`), vnicRun(lab)]);
      const truth = postedRingsByEvent(lab);
      const names = (await postedRings(page)).map((r) => r.ring);
      expect(names).toEqual(model === 'ehea' ? ['rq1', 'rq2', 'rq3'] : ['small', 'big']);
      let midFlight = 0;
      for (let n = 1; n <= 30; n++) {
        await page.click('#step-poll');
        const i = (await cursor(page)) - 1;
        expect(truth.pollEnds[n - 1]).toBe(i);
        // descriptors posted now (the device's register), filled (the model's counter), taken (the
        // driver's counter) and refilled since the open
        const shown = await postedRings(page);
        expect([n, shown.map(({ entries: _, ...r }) => r)]).toEqual([n, truth.rings[i]]);
        if (n % 5 === 0) {
          // into the next poll: buffers filled and not yet refilled (the driver counts a frame taken as it builds its skb)
          for (let k = 0; k < 12; k++) await page.click('#step-event');
          const j = (await cursor(page)) - 1;
          const mid = await postedRings(page);
          expect([j, mid.map(({ entries: _, taken: _t, ...r }) => r)]).toEqual([
            j,
            truth.rings[j]!.map(({ taken: _, ...r }) => r),
          ]);
          midFlight += mid.filter((r) => r.posted < r.entries - 1).length;
        }
      }
      expect(midFlight).toBeGreaterThan(0);
      await page.screenshot({ path: join(SHOTS, `${model}-posted-rings-1280x720.png`) });
      expect(await axeViolations(page)).toEqual([]);

      // at the end: every buffer used was taken, and the totals are the run's own (vnic run --json)
      await page.click('#to-end');
      const end = await postedRings(page),
        report = cli.get('lro')!;
      expect(end.map(({ entries: _, ...r }) => r)).toEqual(truth.rings.at(-1));
      for (const r of end) {
        const k = POSTED_RING_COUNTERS[model]!(r.queue, r.ring);
        expect([r.ring, r.filled, r.taken]).toEqual([
          r.ring,
          report.counters['nic']![k.filled],
          report.counters['driver']![k.taken],
        ]);
      }
      expect(end.filter((r) => r.filled > 0).length).toBe(2);
      // a click on a slot of a ring the driver posts to tells its descriptor as the driver wrote it
      await page.click(`canvas[data-ring=${names[1]}]`, { position: { x: 2, y: 2 } });
      await expect
        .poll(() => page.textContent('#story-lines'))
        .toMatch(
          model === 'ehea'
            ? /ring rq2 entry 0.*posted: RWQE wrId 0, numSegs 1, addr 0x/s
            : /ring big entry 0.*posted: recv_desc addrHigh 0x0, addrLow 0x/s,
        );
      await page.close();
    }, 180_000);

  it('switches engines and shows two side by side, each equal to its vnic run --json report', async () => {
    const c: PlaygroundConfig = { ...DEFAULTS, scenario: 'many-flows', engine: 'gro', compare: 'lro' };
    const [page, cli] = await Promise.all([open('scenario=many-flows'), vnicRun(toLabConfig(c, 'gro'))]);
    await page.selectOption('#engine', 'gro');
    await page.selectOption('#compare', 'lro');
    await page.click('#run');
    await page.waitForFunction(
      () =>
        document.querySelectorAll('.lane').length === 2 &&
        /^Ready/.test(document.getElementById('status')!.textContent!),
      null,
      { timeout: 60_000 },
    );
    expect(new URL(page.url()).search).toBe('?scenario=many-flows&engine=gro&compare=lro');
    expect(await page.$$eval('.lane', (l) => l.map((x) => x.getAttribute('data-engine')))).toEqual(['gro', 'lro']);
    await expectReport(page, 0, cli.get('gro')!);
    await expectReport(page, 1, cli.get('lro')!);
    await page.click('#step-poll');
    await page.click('#step-poll');
    // the lanes step in virtual-time lockstep: each Step poll ends one poll, in whichever lane ends one first
    const polls = [(await figures(page, 0, 'counters'))['polls'], (await figures(page, 1, 'counters'))['polls']];
    expect(Number(polls[0]) + Number(polls[1])).toBe(2);
    await page.screenshot({ path: join(SHOTS, 'gro-vs-lro-1280x720.png') });
    // the URL restores the configuration
    const again = await open('scenario=many-flows&engine=gro&compare=lro');
    expect(await again.$eval('#engine', (s) => (s as HTMLSelectElement).value)).toBe('gro');
    expect(await again.$$eval('.lane', (l) => l.length)).toBe(2);
    await Promise.all([page.close(), again.close()]);
  }, 180_000);

  it('replays an uploaded pcap and reports what vnic run reports for the same capture', async () => {
    const [page, cli] = await Promise.all([
      open(''),
      vnicRun({ model: 'ehea', engine: 'lro', capture: { path: PCAP } }),
    ]);
    await page.setInputFiles('#capture', PCAP);
    const framesIn = cli.get('lro')!.framesIn;
    await page.waitForFunction(
      (n) =>
        document.querySelector('[data-testid=report] [data-key=framesIn]')?.getAttribute('data-value') === String(n),
      framesIn,
      { timeout: 60_000 },
    );
    expect(await page.$eval('#scenario', (s) => (s as HTMLSelectElement).value)).toBe('capture');
    const shown = await figures(page, 0, 'report');
    for (const [k, v] of Object.entries(shown)) expect([k, v]).toEqual([k, at(cli.get('lro'), k)]);
    await page.click('#to-end');
    expect((await figures(page, 0, 'counters'))['wireFrames']).toBe(cli.get('lro')!.framesIn);
    await page.close();
  }, 180_000);

  it('says what is wrong with a bad setting instead of failing', async () => {
    const page = await open('mtu=5&colour=red');
    expect(await page.textContent('#error')).toBe(
      'The address has settings the page cannot use: colour: not a setting (settings: scenario, model, driver, engine, compare, rate, flows, mtu, budget, maxAggr, maxDesc, moderation, vlan, csum, seed); mtu=5: Too small: expected number to be >=68',
    );
    await page.selectOption('#model', 'myri10ge');
    await page.selectOption('#vlan', 'on');
    await page.click('#run');
    await expect
      .poll(() => page.textContent('#error'))
      .toBe('VLAN offload: model myri10ge keeps tags in the frame (no VLAN offload)');
    await page.close();
  }, 120_000);

  it('is keyboard operable, its controls are labelled (axe-core), and it reads on a phone', async () => {
    const page = await open('');
    expect(await axeViolations(page)).toEqual([]);
    // keys: p steps a poll, → an event; Tab reaches Play and Enter presses it
    await page.focus('body');
    await page.keyboard.press('p');
    expect((await poll(page)).number).toBe(1);
    await page.keyboard.press('ArrowRight');
    expect(await page.$eval('[data-testid=now]', (e) => e.textContent)).toMatch(/^event \d+ of/);
    await page.focus('#step-poll');
    await page.keyboard.press('Enter');
    expect((await poll(page)).number).toBe(2);
    await page.close();

    const phone = await open('', { width: 390, height: 844 });
    await phone.click('#step-poll');
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await phone.screenshot({ path: join(SHOTS, 'default-phone-390x844.png') });
    await phone.close();
  }, 120_000);

  it('logged no console error or warning and fetched nothing', () => {
    expect(consoleProblems).toEqual([]);
  });
});
