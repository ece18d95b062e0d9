// vnic report --html FILE: runs the lab for an engine comparison, a segment-size sweep and a flow-count
// sweep, and writes one self-contained HTML page with the five charts (report/collect.ts fills the data,
// report/html.ts renders it). --json also prints that data on stdout.
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { DEFAULT_SCENARIO, SCENARIOS, getScenario } from '../../lab/scenarios.ts';
import { CheckFailed, intFlag, UsageError } from '../errors.ts';
import { paint, useColour } from '../format.ts';
import { stderr, stdout } from '../io.ts';
import { packageVersion } from '../version.ts';
import { addPathFlags, checkWritable, labFromFlags, type PathFlags } from './common.ts';
import { runOrExplain } from './replay.ts';

/** Seeds per configuration: enough for a median and a spread; --quick keeps the test-sized page quick. */
const DEFAULT_SEEDS = 5;
const QUICK_SEEDS = 2;

interface ReportFlags extends PathFlags { html?: string; traffic?: string; quick?: boolean; json?: boolean; seed?: number; seeds?: number }

export function registerReport(program: Command): void {
  const cmd = program.command('report')
    .description('run the lab (engines side by side, segment sizes, 1…32 flows) and write an HTML page with SVG charts');
  addPathFlags(cmd)
    .option('--html <file>', 'write the report page to FILE (required; nothing else is written)')
    .option('--traffic <name>', `scenario for the engine comparison (default ${DEFAULT_SCENARIO}): ${SCENARIOS.map((s) => s.name).join(', ')}`)
    .option('--seed <n>', 'first traffic seed (default 1)', intFlag('--seed', 0, 0xffffffff))
    .option('--seeds <n>', `traffic seeds per configuration: --seed, --seed+1, … (default ${DEFAULT_SEEDS}, with --quick ${QUICK_SEEDS}); tables and charts show the median and min–max`, intFlag('--seeds', 1, 100))
    .option('--quick', `fewer, smaller runs and ${QUICK_SEEDS} seeds unless --seeds says otherwise (for tests and a first look)`)
    .option('--json', 'also print the report data (the ReportData the page is drawn from) as JSON on stdout')
    .addHelpText('after', `
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
  vnic report --quick --html /tmp/r.html --json > report-data.json`)
    .action(async (f: ReportFlags) => {
      if (f.html === undefined) throw new UsageError('report needs --html <file>: where to write the page');
      const html = f.html;
      checkWritable('--html', html);
      if (f.traffic !== undefined && getScenario(f.traffic) === undefined) {
        throw new UsageError(`--traffic ${f.traffic}: no such scenario (scenarios: ${SCENARIOS.map((s) => s.name).join(', ')})`);
      }
      const { collectReport } = await import('../../report/collect.ts');
      const { renderReportHtml } = await import('../../report/html.ts');
      const colour = useColour(stderr);
      const seed = f.seed ?? 1;
      const seeds = f.seeds ?? (f.quick ? QUICK_SEEDS : DEFAULT_SEEDS);
      const collected = runOrExplain(() => collectReport({
        base: labFromFlags(f),
        ...(f.traffic !== undefined ? { traffic: f.traffic } : {}),
        quick: f.quick === true,
        seed,
        seeds,
        generatedBy: `vnic report ${packageVersion()} (${seeds === 1 ? `seed ${seed}` : `seeds ${seed}–${(seed + seeds - 1) >>> 0}`}${f.quick ? ', --quick' : ''})`,
        progress: (line) => stderr.write(paint(colour).dim(`${line}\n`)),
      }));
      try {
        writeFileSync(html, renderReportHtml(collected.data));
      } catch (e) {
        throw new UsageError(`--html ${html}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      if (f.json) stdout.write(`${JSON.stringify(collected.data)}\n`);
      stderr.write(`wrote ${html} (${collected.runCount} runs)\n`);
      if (collected.failures.length > 0) throw new CheckFailed(collected.failures[0]!);
    });
}
