// vnic report --html FILE: runs the lab for an engine comparison, a segment-size sweep and a flow-count
// sweep, and writes one self-contained HTML page with the five charts (report/collect.ts fills the data,
// report/html.ts renders it). --json also prints that data on stdout.
import type { Command } from 'commander';
import { z } from 'zod';
import { RunReportSchema } from '../../sim/report.ts';
import type { LabConfig } from '../../lab/run.ts';
import { inShard, parseShard } from '../pool/shard.ts';
import { accessSync, constants, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SCENARIOS, getScenario } from '../../lab/scenarios.ts';
import { planReport, DEFAULT_TRAFFIC, type CollectedReport, type LabRunSummary } from '../../report/collect.ts';
import { renderReportHtml } from '../../report/html.ts';
import { CheckFailed, intFlag, UsageError } from '../errors.ts';
import { paint, useColour } from '../format.ts';
import { addPathFlags, labFromFlags, loadedModules, type PathFlags } from './common.ts';
import { defaultJobs, runTasks } from '../pool/pool.ts';
import { progressBar } from '../pool/progress.ts';
import { runOrExplain } from './replay.ts';

interface ReportFlags extends PathFlags { html?: string; traffic?: string; quick?: boolean; json?: boolean; seed?: number; jobs?: number; shard?: string }

/** What decides a report's runs and page (a shard carries it, so `vnic merge` can plan and draw the same page). */
const ReportOptionsSchema = z.strictObject({
  base: z.record(z.string(), z.unknown()),
  traffic: z.string().optional(),
  quick: z.boolean(),
  seed: z.number().int().nonnegative(),
  generatedBy: z.string(),
});
/** ReportOptionsSchema's shape, as planReport takes it. */
interface ReportOptions { base: Partial<LabConfig>; traffic?: string; quick: boolean; seed: number; generatedBy: string }

const LabRunSummarySchema = z.strictObject({
  report: RunReportSchema,
  failure: z.string().nullable(),
  rings: z.array(z.strictObject({
    queue: z.number().int(), name: z.string(), role: z.enum(['rx', 'rx-writeback', 'completion']),
    base: z.number().int(), entries: z.number().int(), entrySize: z.number().int(), bufferBytes: z.number().int(),
  })),
});

/** One shard of a report's runs (`vnic report --shard i/n`). */
export const ReportShardSchema = z.strictObject({
  kind: z.literal('vnic-report-shard'),
  shard: z.strictObject({ index: z.number().int().nonnegative(), count: z.number().int().positive() }),
  options: ReportOptionsSchema,
  /** Runs in the whole report. */
  total: z.number().int().nonnegative(),
  runs: z.array(z.strictObject({ index: z.number().int().nonnegative(), summary: LabRunSummarySchema })),
});
export type ReportShard = z.infer<typeof ReportShardSchema>;

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function registerReport(program: Command): void {
  const cmd = program.command('report')
    .description('run the lab (engines side by side, segment sizes, 1…32 flows) and write an HTML page with SVG charts');
  addPathFlags(cmd)
    .option('--html <file>', 'write the report page to FILE (required unless --shard; nothing else is written)')
    .option('--traffic <name>', `scenario for the engine comparison (default ${DEFAULT_TRAFFIC}): ${SCENARIOS.map((s) => s.name).join(', ')}`)
    .option('--seed <n>', 'traffic seed of every run (default 1)', intFlag('--seed', 0, 0xffffffff))
    .option('--quick', 'fewer, smaller runs (a few seconds; for tests and a first look)')
    .option('--json', 'also print the report data (the ReportData the page is drawn from) as JSON on stdout')
    .option('--jobs <n>', `runs at a time, each in a worker thread (default: the core count, ${defaultJobs()} here)`, intFlag('--jobs', 1, 1024))
    .option('--shard <i/n>', 'run only shard i of n of the runs (from 0; a bare n takes i from JOB_COMPLETION_INDEX) and print it as JSON; vnic merge --html joins the shards into the page')
    .addHelpText('after', `
The page compares every engine the driver supports (with --engine E: off and E) on the --traffic
scenario, and draws: (1) packets per skb, (2) CPU cycles per KB against MSS 128…1448 and 8948 at
MTU 9000, (3) throughput one core sustains against 1…32 flows on one queue, with the max_desc line,
(4) latency p50/p99, (5) ring occupancy over one run. Progress goes to stderr; the page is written
even when a run fails its checks (then exit 1). --json adds the data on stdout; the page is still written.

Examples:
  vnic report --html report.html
  vnic report --model myri10ge --traffic many-flows --html myri.html
  vnic report --engine lro --max-desc 16 --quick --html lro16.html
  vnic report --quick --html /tmp/r.html --json > report-data.json
  for i in 0 1 2; do vnic report --shard $i/3 > r$i.json; done; vnic merge --html report.html r*.json`)
    .action(async (f: ReportFlags) => {
      const shard = f.shard !== undefined ? parseShard(f.shard) : undefined;
      if (shard !== undefined && f.html !== undefined) throw new UsageError('--shard prints one shard\'s runs as JSON; the page is written by vnic merge --html FILE with every shard');
      if (shard === undefined && f.html === undefined) throw new UsageError('report needs --html <file>: where to write the page');
      if (f.html !== undefined) checkWritable(f.html);
      if (f.traffic !== undefined && getScenario(f.traffic) === undefined) {
        throw new UsageError(`--traffic ${f.traffic}: no such scenario (scenarios: ${SCENARIOS.map((s) => s.name).join(', ')})`);
      }
      const colour = useColour(process.stderr);
      const seed = f.seed ?? 1;
      const options: ReportOptions = {
        base: labFromFlags(f),
        ...(f.traffic !== undefined ? { traffic: f.traffic } : {}),
        quick: f.quick === true,
        seed,
        generatedBy: `vnic report ${pkg.version} (seed ${seed}${f.quick ? ', --quick' : ''})`,
      };
      const plan = runOrExplain(() => planReport(options));
      const mine = plan.tasks.map((task, index) => ({ task, index })).filter(({ index }) => shard === undefined || inShard(index, shard));
      if (shard === undefined) for (const g of plan.groups) process.stderr.write(paint(colour).dim(`${g}\n`));
      const progress = progressBar(mine.length);
      let summaries: LabRunSummary[];
      try {
        summaries = await runTasks<LabRunSummary>(mine.map(({ task }) => ({ kind: 'lab-run', task })), {
          jobs: f.jobs ?? defaultJobs(), loads: loadedModules(program), onDone: (done) => progress.update(done),
        });
      } finally {
        progress.end();
      }
      if (shard !== undefined) {
        const part: ReportShard = { kind: 'vnic-report-shard', shard, options, total: plan.tasks.length, runs: summaries.map((summary, i) => ({ index: mine[i]!.index, summary })) };
        process.stdout.write(`${JSON.stringify(part)}\n`);
        const failed = summaries.find((x) => x.failure !== null);
        if (failed !== undefined) throw new CheckFailed(failed.failure!);
        return;
      }
      writeReport(plan.assemble(summaries), f.html!, f.json === true);
    });
}

/** Writes the page (and with `json` its data on stdout); fails when a run lost a frame or a byte. */
function writeReport(collected: CollectedReport, html: string, json: boolean): void {
  try {
    writeFileSync(html, renderReportHtml(collected.data));
  } catch (e) {
    throw new UsageError(`--html ${html}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (json) process.stdout.write(`${JSON.stringify(collected.data)}\n`);
  process.stderr.write(`wrote ${html} (${collected.runCount} runs)\n`);
  if (collected.failures.length > 0) throw new CheckFailed(collected.failures[0]!);
}

/** Joins the shards of one report (`names` label them in errors) and writes the page the unsharded command writes. */
export function mergeReportShards(parts: readonly ReportShard[], names: readonly string[], html: string | undefined, json: boolean): void {
  if (html === undefined) throw new UsageError('merge: report shards need --html <file>: where to write the page');
  checkWritable(html);
  const first = parts[0];
  if (first === undefined) throw new UsageError('merge: no shards given');
  const count = first.shard.count;
  const seen = new Map<number, string>();
  const summaries: (LabRunSummary | undefined)[] = new Array<LabRunSummary | undefined>(first.total).fill(undefined);
  parts.forEach((p, i) => {
    const name = names[i] ?? `input ${i + 1}`;
    const same = (what: string, a: unknown, b: unknown) => {
      if (JSON.stringify(a) !== JSON.stringify(b)) throw new UsageError(`merge: ${name}: ${what} ${JSON.stringify(a)} differs from ${names[0]}'s ${JSON.stringify(b)}: shards of different sweeps`);
    };
    same('shard count', p.shard.count, count);
    same('options', p.options, first.options);
    same('total', p.total, first.total);
    const dup = seen.get(p.shard.index);
    if (dup !== undefined) throw new UsageError(`merge: ${name}: shard ${p.shard.index}/${count} is also in ${dup}`);
    seen.set(p.shard.index, name);
    for (const { index, summary } of p.runs) {
      if (index >= first.total || !inShard(index, p.shard)) throw new UsageError(`merge: ${name}: run ${index} does not belong to shard ${p.shard.index}/${count}`);
      summaries[index] = summary as LabRunSummary;
    }
  });
  const missing = [...Array(count).keys()].filter((k) => !seen.has(k));
  if (missing.length > 0) throw new UsageError(`merge: shard${missing.length > 1 ? 's' : ''} ${missing.map((k) => `${k}/${count}`).join(', ')} missing`);
  const hole = summaries.findIndex((x) => x === undefined);
  if (hole >= 0) throw new UsageError(`merge: run ${hole} is in no shard (shard ${hole % count}/${count}, ${seen.get(hole % count)}, lacks it)`);
  const { traffic, ...rest } = first.options;
  const plan = runOrExplain(() => planReport({ ...rest, base: rest.base as Partial<LabConfig>, ...(traffic !== undefined ? { traffic } : {}) }));
  if (plan.tasks.length !== first.total) throw new UsageError(`merge: the shards hold ${first.total} runs, this vnic plans ${plan.tasks.length} for their options (another version?)`);
  writeReport(plan.assemble(summaries as LabRunSummary[]), html, json);
}

/** The page's directory must exist and be writable, and the path must not be a directory: checked before any run. */
function checkWritable(path: string): void {
  const dir = dirname(resolve(path));
  try {
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--html ${path}: is a directory`);
    if (!statSync(dir).isDirectory()) throw new UsageError(`--html ${path}: ${dir} is not a directory`);
    accessSync(dir, constants.W_OK);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`--html ${path}: ${code === 'ENOENT' ? `no such directory ${dir}` : `cannot write (${code ?? (e as Error).message})`}`);
  }
}
