// `npm run fuzz -- --frames N --seed S`: pushes random and mutated frames through every model ×
// driver × engine and checks the invariants. Summary on stdout (or --json), progress on stderr;
// exit 0 all held, 1 an invariant failed, 2 a bad flag.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import '../drivers/index.ts';
import { UsageError, intFlag } from './errors.ts';
import { allCombos, comboName, fuzz, type FuzzSummary } from '../fuzz/engine.ts';
import { impairmentMatrix, type MatrixSummary } from '../fuzz/matrix.ts';
import { manyFlows } from '../fuzz/exhaust.ts';

function shareFlag(v: string): number {
  const n = Number(v);
  if (!/^\d*\.?\d+$/.test(v) || !(n >= 0 && n <= 1))
    throw new UsageError(`--hostile-share takes a number from 0 to 1, not '${v}'`);
  return n;
}

function comboFlag(v: string, prev: string[] | undefined): string[] {
  const names = allCombos().map(comboName);
  if (!names.includes(v)) throw new UsageError(`--combo must be one of ${names.join(', ')}, not '${v}'`);
  return [...(prev ?? []), v];
}

export function formatSummary(s: FuzzSummary, wallMs: number): string {
  const lines: string[] = [];
  const pad = (k: string, v: string | number): string =>
    `${k.padEnd(28)} ${typeof v === 'number' ? v.toLocaleString('en-US') : v}`;
  lines.push(
    pad('seed', s.seed),
    pad('frames fuzzed', s.frames),
    pad('cases', s.cases),
    pad('combos', s.combos.length),
    pad('hostile frames', s.hostileFrames),
    pad('valid frames', s.validFrames),
    pad(
      'valid flows intact',
      `${s.validFlowsIntact.toLocaleString('en-US')} / ${s.validFlows.toLocaleString('en-US')}`,
    ),
    pad('failed cases', s.failedCases),
    pad('wall time', `${(wallMs / 1000).toFixed(1)} s`),
    '',
    'hostile frames by kind',
  );
  for (const [k, v] of Object.entries(s.hostileByKind)) lines.push(pad(`  ${k}`, v));
  lines.push('', 'drops by reason (NIC, driver, stack)');
  for (const [k, v] of Object.entries(s.dropsByReason).sort((a, b) => b[1] - a[1]))
    if (v > 0) lines.push(pad(`  ${k}`, v));
  for (const f of s.failures) lines.push(`FAIL seed ${f.seed} ${f.combo}: ${f.failure}`);
  return lines.join('\n') + '\n';
}

export function formatMatrix(m: MatrixSummary, wallMs: number): string {
  const lines = [
    `impairment matrix: ${m.runs} runs, ${m.flows} flows, ${m.flowsIntact} intact, ${m.failures.length} failures, ${(wallMs / 1000).toFixed(1)} s`,
  ];
  for (const r of m.rows)
    lines.push(
      `  ${r.impairment.padEnd(10)} ${String(r.rate).padStart(5)} ${r.traffic.padEnd(10)} ${r.combo.padEnd(24)} flows ${r.flowsIntact}/${r.flows} frames ${r.frames} drops ${r.drops}${r.ok ? '' : '  FAIL'}`,
    );
  for (const f of m.failures) lines.push(`FAIL ${f}`);
  return lines.join('\n') + '\n';
}

export async function fuzzMain(argv: string[]): Promise<number> {
  const program = new Command('fuzz');
  program
    .description(
      'push hostile frames through every model × driver × engine and check conservation, counted drops and byte streams',
    )
    .option('--frames <n>', 'frames to fuzz in all', intFlag('--frames', 1, 1e9), 20_000)
    .option('--seed <s>', 'seed of the case generator', intFlag('--seed', 0, 0xffffffff), 1)
    .option('--case-frames <n>', 'frames per case (one lab run)', intFlag('--case-frames', 1, 100_000), 2000)
    .option('--hostile-share <p>', 'mean share of hostile frames in a case', shareFlag, 0.5)
    .option('--combo <model/driver/engine>', 'only this combination (repeatable)', comboFlag)
    .option(
      '--impairments',
      'run the impairment matrix (loss, reorder, duplication, corruption) instead of frame fuzzing',
    )
    .option('--quick', 'with --impairments: the short CI matrix')
    .option(
      '--flows <n>',
      'replay N one-segment flows (distinct 4-tuples) through mq/gro instead: flow table, drops, heap',
      intFlag('--flows', 1, 10_000_000),
    )
    .option('--json', 'print the summary as JSON on stdout')
    .helpOption('-h, --help', 'show help')
    .addHelpText(
      'after',
      '\nExamples:\n  npm run fuzz -- --frames 1000000 --seed 1\n  npm run fuzz -- --frames 5000 --combo ehea/ehea/lro --json\n  npm run fuzz -- --impairments\n  node --max-old-space-size=512 --expose-gc --import tsx cli/fuzz-main.ts --flows 1000000',
    )
    .exitOverride()
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
      outputError: (s, write) =>
        write(
          `fuzz: ${
            s
              .replace(/^error: /, '')
              .trim()
              .split('\n')[0]
          }\n`,
        ),
    });
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' || e.code === 'commander.help' ? 0 : 2;
    if (e instanceof UsageError || e instanceof InvalidArgumentError) {
      process.stderr.write(`fuzz: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const o = program.opts<{
    frames: number;
    seed: number;
    caseFrames: number;
    hostileShare: number;
    combo?: string[];
    json?: boolean;
    impairments?: boolean;
    quick?: boolean;
    flows?: number;
  }>();
  const t0 = process.hrtime.bigint();
  const ms = (): number => Number(process.hrtime.bigint() - t0) / 1e6;
  const tty = process.stderr.isTTY === true;
  if (o.flows !== undefined) {
    const { result, ...m } = manyFlows(o.flows, { model: 'mq', driver: 'mq', engine: 'gro' });
    const out = {
      ...m,
      drops: Object.fromEntries(Object.entries(result.report.drops).filter(([, v]) => v > 0)),
      peakRssMB: Math.round(process.memoryUsage().rss / 1e6),
      wallMs: Math.round(ms()),
    };
    process.stdout.write(JSON.stringify(out, null, o.json === true ? 2 : undefined) + '\n');
    return m.conservationOk && m.stackConservationOk ? 0 : 1;
  }
  if (o.impairments === true) {
    const m = impairmentMatrix({
      quick: o.quick === true,
      seed: o.seed,
      onProgress: (d, t) => {
        if (tty) process.stderr.write(`\r${d}/${t} runs`);
      },
    });
    if (tty) process.stderr.write('\n');
    process.stdout.write(
      o.json === true ? JSON.stringify({ ...m, wallMs: Math.round(ms()) }, null, 2) + '\n' : formatMatrix(m, ms()),
    );
    return m.failures.length === 0 ? 0 : 1;
  }
  const combos = o.combo !== undefined ? allCombos().filter((c) => o.combo!.includes(comboName(c))) : undefined;
  let last = 0;
  const s = fuzz({
    frames: o.frames,
    seed: o.seed,
    caseFrames: o.caseFrames,
    hostileShare: o.hostileShare,
    ...(combos !== undefined ? { combos } : {}),
    onProgress: (done, total) => {
      const pct = Math.floor((done / total) * 100);
      if (pct !== last && (tty || pct % 10 === 0)) {
        last = pct;
        process.stderr.write(tty ? `\rfuzzed ${done}/${total} frames` : `fuzzed ${done}/${total} frames\n`);
      }
    },
  });
  if (tty) process.stderr.write('\n');
  process.stdout.write(
    o.json === true ? JSON.stringify({ ...s, wallMs: Math.round(ms()) }, null, 2) + '\n' : formatSummary(s, ms()),
  );
  return s.failedCases === 0 ? 0 : 1;
}
