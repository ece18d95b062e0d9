// vnic report --shard i/n and vnic merge --html: three shards, run over the worker pool, merged into the page and
// data the unsharded report computes in one thread, byte for byte; and the refusals.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectReport } from '../report/collect.ts';
import { renderReportHtml } from '../report/html.ts';
import { ReportShardSchema } from './commands/report-shards.ts';
import { vnic as vnicInProcess } from './test-support.ts';

const ROOT = new URL('..', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function vnic(...args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'cli/main.ts', ...args],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
      },
    );
  });
}

describe('vnic report --shard and vnic merge --html', () => {
  it('3 shards merged give the page and data of the unsharded report, byte for byte', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vnic-report-shards-'));
    const shards = await Promise.all(
      [0, 1, 2].map((i) => vnic('report', '--quick', '--shard', `${i}/3`, '--jobs', '2')),
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
