// vnic report --shard i/n and vnic merge --html: three shards, run over the worker pool, merged into the page and
// data the unsharded report computes in one thread, byte for byte; and the refusals. In-process, as the other
// CLI tests (cli/bin.test.ts spawns the bin for report and merge).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectReport } from '../report/collect.ts';
import { renderReportHtml } from '../report/html.ts';
import { ReportShardSchema } from './commands/report-shards.ts';
import { vnic as vnicInProcess } from '../test/support/cli.ts';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
const vnic = (...args: string[]) => vnicInProcess(args);

describe('vnic report --shard and vnic merge --html', () => {
  it('3 shards merged give the page and data of the unsharded report, byte for byte', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vnic-report-shards-'));
    // shard 0 over a pool of two worker threads, the others in this thread: the merge must not care how a
    // shard was run (each pool thread starts tsx and the lab, so one pool is the test, more would be its cost)
    const shards = await Promise.all(
      [0, 1, 2].map((i) => vnic('report', '--quick', '--shard', `${i}/3`, '--jobs', i === 0 ? '2' : '1')),
    );
    const files = shards.map((r, i) => {
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      const part = ReportShardSchema.parse(JSON.parse(r.stdout));
      expect(part.shard).toEqual({ index: i, count: 3 });
      expect(part.runs.map((x) => x.index)).toEqual([...Array(54).keys()].filter((k) => k % 3 === i));
      const f = join(dir, `${i}.json`);
      writeFileSync(f, r.stdout);
      return f;
    });
    const html = join(dir, 'merged.html');
    const merged = await vnic('merge', '--html', html, '--json', files[2]!, files[0]!, files[1]!);
    expect(merged.code).toBe(0);
    expect(merged.stderr).toBe(`wrote ${html} (54 runs)\n`);
    // --quick runs 2 seeds per configuration: 27 configurations, 54 runs
    const whole = collectReport({
      quick: true,
      seed: 1,
      seeds: 2,
      generatedBy: `vnic report ${pkg.version} (seeds 1–2, --quick)`,
    });
    expect(merged.stdout).toBe(`${JSON.stringify(whole.data)}\n`);
    expect(readFileSync(html, 'utf8')).toBe(renderReportHtml(whole.data));
  }, 240_000);

  it.each([
    [
      ['report', '--quick', '--shard', '0/2', '--html', '/tmp/x.html'],
      "vnic: --shard prints one shard's runs as JSON; the page is written by vnic merge --html FILE with every shard",
    ],
  ])('%j', async (args, line) => {
    const r = await vnicInProcess(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`${line}\n`);
  });

  it('merge of report shards wants --html, and every shard', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vnic-report-merge-'));
    const f = join(dir, '0.json');
    writeFileSync(
      f,
      JSON.stringify({
        kind: 'vnic-report-shard',
        shard: { index: 0, count: 2 },
        options: { base: {}, quick: true, seed: 1, generatedBy: 'x' },
        total: 27,
        runs: [],
      }),
    );
    expect((await vnicInProcess(['merge', f])).stderr).toBe(
      'vnic: merge: report shards need --html <file>: where to write the page\n',
    );
    const r = await vnicInProcess(['merge', '--html', join(dir, 'r.html'), f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('vnic: merge: shard 1/2 missing\n');
  });
});
