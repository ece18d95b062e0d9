// vnic report --html FILE: runs the lab for an engine comparison, a segment-size sweep and a flow-count
// sweep, and writes one self-contained HTML page with the five charts (report/collect.ts fills the data,
// report/html.ts renders it). --json also prints that data on stdout.
import type { Command } from 'commander';
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

interface ReportFlags extends PathFlags { html?: string; traffic?: string; quick?: boolean; json?: boolean; seed?: number; jobs?: number }

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function registerReport(program: Command): void {
  const cmd = program.command('report')
    .description('run the lab (engines side by side, segment sizes, 1…32 flows) and write an HTML page with SVG charts');
  addPathFlags(cmd)
    .option('--html <file>', 'write the report page to FILE (required; nothing else is written)')
    .option('--traffic <name>', `scenario for the engine comparison (default ${DEFAULT_TRAFFIC}): ${SCENARIOS.map((s) => s.name).join(', ')}`)
    .option('--seed <n>', 'traffic seed of every run (default 1)', intFlag('--seed', 0, 0xffffffff))
    .option('--quick', 'fewer, smaller runs (a few seconds; for tests and a first look)')
    .option('--json', 'also print the report data (the ReportData the page is drawn from) as JSON on stdout')
    .option('--jobs <n>', `runs at a time, each in a worker thread (default: the core count, ${defaultJobs()} here)`, intFlag('--jobs', 1, 1024))
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
  vnic report --quick --html /tmp/r.html --json > report-data.json`)
    .action(async (f: ReportFlags) => {
      if (f.html === undefined) throw new UsageError('report needs --html <file>: where to write the page');
      const html = f.html;
      checkWritable(html);
      if (f.traffic !== undefined && getScenario(f.traffic) === undefined) {
        throw new UsageError(`--traffic ${f.traffic}: no such scenario (scenarios: ${SCENARIOS.map((s) => s.name).join(', ')})`);
      }
      const colour = useColour(process.stderr);
      const seed = f.seed ?? 1;
      const plan = runOrExplain(() => planReport({
        base: labFromFlags(f),
        ...(f.traffic !== undefined ? { traffic: f.traffic } : {}),
        quick: f.quick === true,
        seed,
        generatedBy: `vnic report ${pkg.version} (seed ${seed}${f.quick ? ', --quick' : ''})`,
      }));
      for (const g of plan.groups) process.stderr.write(paint(colour).dim(`${g}\n`));
      const progress = progressBar(plan.tasks.length);
      let summaries: LabRunSummary[];
      try {
        summaries = await runTasks<LabRunSummary>(plan.tasks.map((task) => ({ kind: 'lab-run', task })), {
          jobs: f.jobs ?? defaultJobs(), loads: loadedModules(program), onDone: (done) => progress.update(done),
        });
      } finally {
        progress.end();
      }
      const collected: CollectedReport = plan.assemble(summaries);
      try {
        writeFileSync(html, renderReportHtml(collected.data));
      } catch (e) {
        throw new UsageError(`--html ${html}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      if (f.json) process.stdout.write(`${JSON.stringify(collected.data)}\n`);
      process.stderr.write(`wrote ${html} (${collected.runCount} runs)\n`);
      if (collected.failures.length > 0) throw new CheckFailed(collected.failures[0]!);
    });
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
