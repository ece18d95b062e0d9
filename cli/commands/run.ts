// vnic run: a named scenario or a config file through the receive path; with no flags, the default
// comparison (eHEA, 4 bulk flows at 10 Gb/s, LRO off and on) side by side. This is `npm start`.
import type { Command } from 'commander';
import { Option } from 'commander';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { LabConfig } from '../../lab/run.ts';
import { DEFAULT_SCENARIO, SCENARIOS, getScenario } from '../../lab/scenarios.ts';
import type { Engine } from '../../drivers/index.ts';
import type { Capabilities } from '../../hw-models/capabilities.ts';
import { CheckFailed, UsageError } from '../errors.ts';
import { comparisonTable, spreadTable, paint, useColour } from '../format.ts';
import { choiceFlag, intFlag } from '../errors.ts';
import type { RunPlan, SeedRunAnswer } from '../../lab/seeds.ts';
import { stderr, stdout } from '../io.ts';
import {
  addPathFlags,
  checkReadable,
  checkWritable,
  ipVersionOption,
  labFromFlags,
  loadedModules,
  outFormat,
  withIpVersion,
  type PathFlags,
} from './common.ts';
import { runOrExplain } from './replay.ts';

interface RunFlags extends PathFlags {
  scenario?: string;
  config?: string;
  json?: boolean;
  out?: string;
  seed?: number;
  seeds?: number;
  jobs?: number;
  cpus?: number;
  workers?: number;
  tso?: boolean;
  openLoop?: boolean;
  ip?: '4' | '6';
  sender?: 'fixed-window' | '2.6.24' | 'modern';
  kernel?: '2.6.24' | '2.6.27' | 'modern';
  outEgress?: string;
  egressMtu?: number;
}

export function registerRun(program: Command): void {
  const cmd = program
    .command('run')
    .description('run a scenario (default: eHEA, 4 bulk flows at 10 Gb/s, LRO off vs on) and compare');
  addPathFlags(cmd)
    .addOption(
      new Option('--scenario <name>', `a named scenario: ${SCENARIOS.map((s) => s.name).join(', ')}`).conflicts(
        'config',
      ),
    )
    .option('--config <file>', 'a run configuration in JSON (fields as in docs; flags override it)')
    .option('--seed <n>', 'traffic seed', (v: string) => {
      if (!/^\d+$/.test(v)) throw new UsageError(`--seed takes a whole number, not '${v}'`);
      return Number(v);
    })
    .option(
      '--seeds <n>',
      'run each configuration with N traffic seeds (--seed, --seed + 1, …) and show median and min–max (default 1)',
      intFlag('--seeds', 1, 1000),
    )
    .option(
      '--cpus <n>',
      'simulated cores: queue q is serviced on core q mod N, each core with its own stack, CPU and DMA region (mq; open-loop traffic or a replay; default 1)',
      intFlag('--cpus', 1, 64),
    )
    .option(
      '--workers <n>',
      'split one run on several simulated cores (--cpus) over N worker threads; the report and --out bytes do not depend on N',
      intFlag('--workers', 1, 64),
    )
    .option(
      '--jobs <n>',
      'with --seeds: worker threads the runs are spread over (default: the number of cores); the output does not depend on it',
      intFlag('--jobs', 1, 1024),
    )
    .addOption(
      new Option(
        '--sender <kind>',
        "TCP senders: 'fixed-window' (no congestion control), '2.6.24' (window grows per ACK) or 'modern' (per acknowledged segment)",
      ).argParser(choiceFlag('--sender', ['fixed-window', '2.6.24', 'modern'] as const)),
    )
    .option(
      '--open-loop',
      'the senders send at line rate ignoring windows and ACKs, so what the wire carries does not depend on the host (what --cpus N needs)',
    )
    .option('--tso', "the senders hand their NIC 64 KB super-segments; the partner's TSO NIC cuts them into MSS frames")
    .addOption(ipVersionOption())
    .option(
      '--json',
      'print { "runs": [ <report>, … ], "seeds": [ … ], "summary": [ <median, min, max per figure>, … ] } on stdout',
    )
    .option('--out <file>', 'write every packet the stack received (needs a single run: give --engine)')
    .addOption(
      new Option(
        '--kernel <policy>',
        "a forwarding scenario's kernel: '2.6.24' (LRO aggregates forwarded as they are), '2.6.27' (dev_disable_lro, skb_warn_if_lro) or 'modern'",
      ).argParser(choiceFlag('--kernel', ['2.6.24', '2.6.27', 'modern'] as const)),
    )
    .option(
      '--egress-mtu <bytes>',
      "a forwarding scenario: the egress link's MTU (68–9000; default the ingress MTU): larger packets with DF are answered with ICMP fragmentation needed, and the senders lower their MSS",
      intFlag('--egress-mtu', 68, 9000),
    )
    .option(
      '--out-egress <file>',
      'a forwarding scenario: write every frame leaving the egress interface (needs a single run: give --engine)',
    )
    .addHelpText(
      'after',
      `
With no --engine, each scenario runs with every engine the driver supports (no flags: LRO off vs on).

Examples:
  vnic run
  vnic run --scenario many-flows
  vnic run --scenario lossy-link --engine gro --json
  vnic run --scenario lossy-link --seeds 5
  vnic run --scenario lossy-link --seeds 8 --jobs 2
  vnic run --scenario slow-start --json
  vnic run --scenario moderated-2g --sender 2.6.24
  vnic run --scenario forward
  vnic run --scenario forward --engine lro --kernel 2.6.24 --json
  vnic run --scenario forward --engine gro --out-egress egress.pcap
  vnic run --scenario bridge --engine lro --kernel 2.6.24
  vnic run --scenario forward --egress-mtu 1400
  vnic run --scenario forward --ip 6 --egress-mtu 1400
  vnic run --ip 6 --model mq --engine gro
  vnic run --model mq --open-loop --cpus 2 --engine gro
  vnic run --model mq --open-loop --cpus 2 --workers 2 --engine gro --json
  vnic run --config my-run.json --model myri10ge`,
    )
    .action(async (f: RunFlags) => {
      const { parseLabConfig, resolveDriver } = await import('../../lab/run.ts');
      const { plansFor, runSeed, seedList, summarise, withSeed } = await import('../../lab/seeds.ts');
      const { parseMulticoreConfig, runMulticore } = await import('../../lab/multicore.ts');
      const { runOnWorkers } = await import('../pool/workers.ts');
      const { parseTrafficConfig } = await import('../../traffic/index.ts');
      const base = baseConfig(f);
      const scenario = f.scenario !== undefined ? getScenario(f.scenario) : undefined;
      const engines: Engine[] | undefined =
        f.engine !== undefined
          ? [f.engine]
          : scenario?.variants !== undefined && f.kernel === undefined
            ? undefined
            : await defaultEngines(f, base);
      const plans = plansFor(base, scenario, engines, {
        ...(f.ackCounting !== undefined ? { ackCounting: f.ackCounting } : {}),
        ...(f.sender !== undefined ? { sender: f.sender } : {}),
      });
      const seedCount = f.seeds ?? 1;
      if (f.workers !== undefined && seedCount !== 1)
        throw new UsageError(
          '--workers splits one run over threads; several runs (--seeds) spread over the pool with --jobs',
        );
      if (f.jobs !== undefined && seedCount === 1)
        throw new UsageError('--jobs spreads the runs of --seeds over worker threads: add --seeds N (N > 1)');
      if (f.out !== undefined && (plans.length !== 1 || seedCount !== 1))
        throw new UsageError('--out needs a single run: add --engine lro|gro|off (and no --seeds)');
      if (f.outEgress !== undefined && (plans.length !== 1 || seedCount !== 1))
        throw new UsageError('--out-egress needs a single run: add --engine lro|gro|off (and no --seeds)');
      // a file that cannot be written is the user's to fix (exit 2 naming the flag), found before the run
      if (f.out !== undefined) checkWritable('--out', f.out);
      if (f.outEgress !== undefined) checkWritable('--out-egress', f.outEgress);
      // a bad config is one line on stderr, before any progress line
      const cpus = runOrExplain(() => {
        const c = parseLabConfig(plans[0]!.config);
        resolveDriver(c);
        if (c.traffic !== undefined) parseTrafficConfig(c.traffic);
        return c.cpus;
      });
      if (cpus > 1) runOrExplain(() => parseMulticoreConfig(plans[0]!.config));
      else if (f.workers !== undefined)
        throw new UsageError(
          `--workers ${f.workers}: the run has one simulated core, so there is nothing to split: add --cpus N (N > 1; mq, open-loop traffic or a replay)`,
        );
      const seeds = seedList(f.seed ?? trafficSeed(base), seedCount);
      const out = f.out !== undefined ? { path: f.out, format: outFormat(f.out) } : undefined;
      const outEgress = f.outEgress !== undefined ? { path: f.outEgress, format: outFormat(f.outEgress) } : undefined;
      const colour = useColour(stderr);
      const ran = (plan: RunPlan, seed: number) => {
        if (!f.json)
          stderr.write(
            paint(colour).dim(`ran ${base.label ?? 'run'}: ${plan.label}${seedCount > 1 ? `, seed ${seed}` : ''}\n`),
          );
      };
      let results: SeedRunAnswer[][];
      if (seedCount > 1) results = await runSeedsPooled(plans, seeds, seedCount, f.jobs, loadedModules(program), ran);
      else {
        results = [];
        for (const plan of plans) {
          // the progress line follows the run, so a configuration the engine cannot run on stays one line
          const config = withSeed(plan.config, seeds[0]!);
          const r: SeedRunAnswer =
            cpus === 1
              ? runOrExplain(() =>
                  runSeed(plan, seeds[0]!, {
                    ...(out !== undefined ? { out } : {}),
                    ...(outEgress !== undefined ? { outEgress } : {}),
                  }),
                )
              : f.workers !== undefined
                ? await runOnWorkers(config, f.workers, {
                    ...(out !== undefined ? { out } : {}),
                    loads: loadedModules(program),
                  })
                : runOrExplain(() => runMulticore(config, out !== undefined ? { out } : {}));
          ran(plan, seeds[0]!);
          results.push([r]);
        }
      }
      const reports = results.flat().map((r) => r.report);
      const summary = plans.map((p, i) =>
        summarise(
          p.label,
          seeds,
          results[i]!.map((r) => r.report),
        ),
      );
      if (f.json) stdout.write(`${JSON.stringify({ runs: reports, seeds, summary })}\n`);
      else if (seedCount === 1) stdout.write(`${base.label ?? ''}\n${comparisonTable(reports, useColour(stdout))}\n`);
      else
        stdout.write(
          `${base.label ?? ''}, seeds ${seeds[0]}–${seeds[seeds.length - 1]}: median (min–max)\n${spreadTable(summary, useColour(stdout))}\n`,
        );
      const bad = results.flat().find((r) => !r.conservation.ok || !r.report.allStreamsOk);
      if (bad !== undefined)
        throw new CheckFailed(
          `${bad.report.label}: ${bad.conservation.ok ? 'a byte stream differs from what was sent' : `frames unaccounted for: ${JSON.stringify(bad.conservation)}`}`,
        );
    });
}

/**
 * Every (plan, seed) run over the worker pool (cli/pool), answers in plan-then-seed order whatever order the workers
 * finish in: the output is the sequential run's, byte for byte, for any --jobs.
 */
async function runSeedsPooled(
  plans: readonly RunPlan[],
  seeds: readonly number[],
  seedCount: number,
  jobs: number | undefined,
  loads: string[],
  ran: (plan: RunPlan, seed: number) => void,
): Promise<SeedRunAnswer[][]> {
  const { runTasks } = await import('../pool/pool.ts');
  const { progressBar } = await import('../pool/progress.ts');
  const pairs = plans.flatMap((plan) => seeds.map((seed) => ({ plan: seedLabel(plan, seed, seedCount), seed })));
  const progress = progressBar(pairs.length);
  let answers: SeedRunAnswer[];
  try {
    answers = await runTasks<SeedRunAnswer>(
      pairs.map((task) => ({ kind: 'run-seed', task })),
      { jobs: jobs ?? availableParallelism(), loads, onDone: (done) => progress.update(done) },
    );
  } finally {
    progress.end();
  }
  pairs.forEach((p) => ran(p.plan, p.seed));
  return plans.map((_, i) => answers.slice(i * seeds.length, (i + 1) * seeds.length));
}

/** With several seeds each run's report is labelled with its seed. */
function seedLabel(plan: RunPlan, seed: number, count: number): RunPlan {
  if (count === 1) return plan;
  const label = `${plan.label} · seed ${seed}`;
  return { label, config: { ...plan.config, label } };
}

function trafficSeed(cfg: LabConfig): number {
  const t = cfg.traffic as { seed?: unknown } | undefined;
  return typeof t?.seed === 'number' ? t.seed : 1;
}

function baseConfig(f: RunFlags): LabConfig {
  let cfg: LabConfig;
  if (f.config !== undefined) {
    checkReadable(f.config, '--config');
    let text: unknown;
    try {
      text = JSON.parse(readFileSync(f.config, 'utf8'));
    } catch (e) {
      throw new UsageError(`--config ${f.config}: not valid JSON (${(e as Error).message})`);
    }
    if (typeof text !== 'object' || text === null || Array.isArray(text))
      throw new UsageError(`--config ${f.config}: must hold a JSON object`);
    cfg = text as LabConfig;
    cfg.label ??= f.config;
  } else {
    const name = f.scenario ?? DEFAULT_SCENARIO;
    const s = getScenario(name);
    if (s === undefined)
      throw new UsageError(
        `--scenario ${name}: no such scenario (scenarios: ${SCENARIOS.map((x) => x.name).join(', ')})`,
      );
    cfg = {
      ...s.lab,
      label:
        f.scenario === undefined && noPathFlags(f)
          ? 'default comparison: eHEA, 4 bulk flows at 10 Gb/s'
          : `scenario ${s.name}`,
    };
  }
  const merged: LabConfig = { ...cfg, ...labFromFlags(f) };
  if (f.seed !== undefined && merged.traffic !== undefined)
    merged.traffic = { ...(merged.traffic as object), seed: f.seed };
  if (f.cpus !== undefined) merged.cpus = f.cpus;
  if (f.openLoop === true) {
    if (merged.traffic === undefined)
      throw new UsageError('--open-loop applies to generated traffic, not to a capture');
    merged.traffic = { ...(merged.traffic as object), openLoop: true };
  }
  if (f.tso === true && merged.traffic !== undefined) merged.traffic = { ...(merged.traffic as object), tso: true };
  if (f.kernel !== undefined || f.outEgress !== undefined || f.egressMtu !== undefined) {
    if (merged.forward === undefined)
      throw new UsageError(
        `${f.kernel !== undefined ? '--kernel' : f.egressMtu !== undefined ? '--egress-mtu' : '--out-egress'} applies to a forwarding run (--scenario forward or bridge, or a config with "forward")`,
      );
    if (f.kernel !== undefined) merged.forward = { ...merged.forward, kernel: f.kernel };
    if (f.egressMtu !== undefined) merged.forward = { ...merged.forward, egressMtu: f.egressMtu };
  }
  return withIpVersion(merged, f.ip);
}

function noPathFlags(f: RunFlags): boolean {
  return Object.keys(labFromFlags(f)).length === 0 && f.ip === undefined;
}

/** No --engine: LRO off vs on for the default comparison; otherwise every engine the driver offers. */
async function defaultEngines(f: RunFlags, cfg: LabConfig): Promise<Engine[]> {
  if (f.scenario === undefined && f.config === undefined && noPathFlags(f)) return ['off', 'lro'];
  const { getDriver, driverForModel } = await import('../../drivers/index.ts');
  const { modelCapabilities } = await import('../../hw-models/registry.ts');
  const model = cfg.model ?? 'ehea';
  const d = cfg.driver !== undefined ? getDriver(cfg.driver) : driverForModel(model);
  if (d === undefined) return ['off'];
  return ['off', 'lro', 'gro'].filter(
    (e) =>
      e === 'off' ||
      d.support(e as Engine, { ...modelCaps(modelCapabilities, model) } as never, {
        engine: e as Engine,
        pollBudget: 64,
        ...(cfg.softwareChecksum !== undefined ? { softwareChecksum: cfg.softwareChecksum } : {}),
      }).ok,
  ) as Engine[];
}

function modelCaps(modelCapabilities: (name: string) => Capabilities | undefined, model: string): Capabilities {
  const c = modelCapabilities(model);
  if (c === undefined) throw new UsageError(`--model ${model}: no such model`);
  return c;
}
