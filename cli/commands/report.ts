// vnic report --html FILE: runs the lab for an engine comparison, a segment-size sweep and a flow-count
// sweep, and writes one self-contained HTML page with the five charts (report/collect.ts fills the data,
// report/html.ts renders it). --json also prints that data on stdout.
import type { Command } from 'commander';
import { DEFAULT_SCENARIO, SCENARIOS, getScenario } from '../../lab/scenarios.ts';
import { CheckFailed, intFlag, UsageError } from '../errors.ts';
import { paint, useColour } from '../format.ts';
import { stderr, stdout } from '../io.ts';
import { packageVersion } from '../version.ts';
import { addPathFlags, checkWritable, labFromFlags, loadedModules, type PathFlags } from './common.ts';
import { availableParallelism } from 'node:os';
import { currentIO } from '../io.ts';
import { parseShard } from '../pool/shard.ts';
import type { LabRunSummary } from '../../report/collect.ts';
import type { ReportOptions, ReportShard } from './report-shards.ts';
import { runOrExplain } from './replay.ts';

/** Seeds per configuration: enough for a median and a spread; --quick keeps the test-sized page quick. */
const DEFAULT_SEEDS = 5;
const QUICK_SEEDS = 2;

interface ReportFlags extends PathFlags {
  html?: string;
  traffic?: string;
  quick?: boolean;
  json?: boolean;
  seed?: number;
  seeds?: number;
  jobs?: number;
  shard?: string;
}

export function registerReport(program: Command): void {
  const cmd = program
    .command('report')
    .description(
      'run the lab (engines side by side, segment sizes, 1…32 flows) and write an HTML page with SVG charts',
    );
  addPathFlags(cmd)
    .option('--html <file>', 'write the report page to FILE (required unless --shard; nothing else is written)')
    .option(
      '--traffic <name>',
      `scenario for the engine comparison (default ${DEFAULT_SCENARIO}): ${SCENARIOS.map((s) => s.name).join(', ')}`,
    )
    .option('--seed <n>', 'first traffic seed (default 1)', intFlag('--seed', 0, 0xffffffff))
    .option(
      '--seeds <n>',
      `traffic seeds per configuration: --seed, --seed+1, … (default ${DEFAULT_SEEDS}, with --quick ${QUICK_SEEDS}); tables and charts show the median and min–max`,
      intFlag('--seeds', 1, 100),
    )
    .option(
      '--quick',
      `fewer, smaller runs and ${QUICK_SEEDS} seeds unless --seeds says otherwise (for tests and a first look)`,
    )
    .option('--json', 'also print the report data (the ReportData the page is drawn from) as JSON on stdout')
    .option(
      '--jobs <n>',
      `runs at a time, each in a worker thread (default: the core count, ${availableParallelism()} here)`,
      intFlag('--jobs', 1, 1024),
    )
    .option(
      '--shard <i/n>',
      'run only shard i of n of the runs (from 0; a bare n takes i from JOB_COMPLETION_INDEX) and print it as JSON; vnic merge --html joins the shards into the page',
    )
    .addHelpText(
      'after',
      `
The page compares every engine the driver supports (with --engine E: off and E) on the --traffic
scenario, and draws: (1) packets per skb, (2) CPU cycles per KB against MSS 128…1448 and 8948 at
MTU 9000, (3) throughput one core sustains against 1…32 flows on one queue, with the max_desc line,
(4) latency p50/p99, (5) ring occupancy over one run. Every configuration runs with --seeds traffic
seeds; each figure is the median, with min–max in the table cells and chart notes, and every seed's
value in the JSON (seedRuns); the histogram and the ring occupancy are the first seed's run. Progress goes to stderr; the page is written
even when a run fails its checks (then exit 1). --json adds the data on stdout; the page is still written.

Examples:
  vnic report --html report.html
  vnic report --model myri10ge --traffic many-flows --html myri.html
  vnic report --engine lro --max-desc 16 --quick --html lro16.html
  vnic report --quick --html /tmp/r.html --json > report-data.json
  for i in 0 1 2; do vnic report --shard $i/3 > r$i.json; done; vnic merge --html report.html r*.json`,
    )
    .action(async (f: ReportFlags) => {
      const shard = f.shard !== undefined ? parseShard(f.shard, currentIO().env) : undefined;
      if (shard !== undefined && f.html !== undefined)
        throw new UsageError(
          "--shard prints one shard's runs as JSON; the page is written by vnic merge --html FILE with every shard",
        );
      if (shard === undefined && f.html === undefined)
        throw new UsageError('report needs --html <file>: where to write the page');
      if (f.html !== undefined) checkWritable('--html', f.html);
      if (f.traffic !== undefined && getScenario(f.traffic) === undefined) {
        throw new UsageError(
          `--traffic ${f.traffic}: no such scenario (scenarios: ${SCENARIOS.map((s) => s.name).join(', ')})`,
        );
      }
      const { planReport } = await import('../../report/collect.ts');
      const { runTasks } = await import('../pool/pool.ts');
      const { progressBar } = await import('../pool/progress.ts');
      const { inShard } = await import('../pool/shard.ts');
      const colour = useColour(stderr);
      const seed = f.seed ?? 1;
      const seeds = f.seeds ?? (f.quick ? QUICK_SEEDS : DEFAULT_SEEDS);
      const options: ReportOptions = {
        base: labFromFlags(f),
        ...(f.traffic !== undefined ? { traffic: f.traffic } : {}),
        quick: f.quick === true,
        seed,
        seeds,
        generatedBy: `vnic report ${packageVersion()} (${seeds === 1 ? `seed ${seed}` : `seeds ${seed}–${(seed + seeds - 1) >>> 0}`}${f.quick ? ', --quick' : ''})`,
      };
      const plan = runOrExplain(() => planReport(options));
      const mine = plan.tasks
        .map((task, index) => ({ task, index }))
        .filter(({ index }) => shard === undefined || inShard(index, shard));
      if (shard === undefined) for (const g of plan.groups) stderr.write(paint(colour).dim(`${g}\n`));
      const progress = progressBar(mine.length);
      let summaries: LabRunSummary[];
      try {
        summaries = await runTasks<LabRunSummary>(
          mine.map(({ task }) => ({ kind: 'lab-run', task })),
          {
            jobs: f.jobs ?? availableParallelism(),
            loads: loadedModules(program),
            onDone: (done) => progress.update(done),
          },
        );
      } finally {
        progress.end();
      }
      if (shard !== undefined) {
        const part: ReportShard = {
          kind: 'vnic-report-shard',
          shard,
          options,
          total: plan.tasks.length,
          runs: summaries.map((summary, i) => ({ index: mine[i]!.index, summary })),
        };
        stdout.write(`${JSON.stringify(part)}\n`);
        const failed = summaries.find((x) => x.failure !== null);
        if (failed !== undefined) throw new CheckFailed(failed.failure!);
        return;
      }
      const { writeReport } = await import('./report-shards.ts');
      await writeReport(plan.assemble(summaries), f.html!, f.json === true);
    });
}
