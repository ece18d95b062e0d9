// vnic run: a named scenario or a config file through the receive path; with no flags, the default
// comparison (eHEA, 4 bulk flows at 10 Gb/s, LRO off and on) side by side. This is `npm start`.
import type { Command } from 'commander';
import { Option } from 'commander';
import { readFileSync } from 'node:fs';
import type { LabConfig, RunResult } from '../../lab/run.ts';
import { DEFAULT_SCENARIO, SCENARIOS, getScenario } from '../../lab/scenarios.ts';
import type { Engine } from '../../drivers/index.ts';
import type { Capabilities } from '../../hw-models/capabilities.ts';
import { CheckFailed, UsageError } from '../errors.ts';
import { comparisonTable, paint, useColour } from '../format.ts';
import { stderr, stdout } from '../io.ts';
import { addPathFlags, checkReadable, labFromFlags, outFormat, type PathFlags } from './common.ts';
import { runOrExplain } from './replay.ts';

interface RunFlags extends PathFlags { scenario?: string; config?: string; json?: boolean; out?: string; seed?: number }

export function registerRun(program: Command): void {
  const cmd = program.command('run')
    .description('run a scenario (default: eHEA, 4 bulk flows at 10 Gb/s, LRO off vs on) and compare');
  addPathFlags(cmd)
    .addOption(new Option('--scenario <name>', `a named scenario: ${SCENARIOS.map((s) => s.name).join(', ')}`).conflicts('config'))
    .option('--config <file>', 'a run configuration in JSON (fields as in docs; flags override it)')
    .option('--seed <n>', 'traffic seed', (v: string) => { if (!/^\d+$/.test(v)) throw new UsageError(`--seed takes a whole number, not '${v}'`); return Number(v); })
    .option('--json', 'print { "runs": [ <report>, … ] } on stdout')
    .option('--out <file>', 'write every packet the stack received (needs a single run: give --engine)')
    .addHelpText('after', `
With no --engine, each scenario runs with every engine the driver supports (no flags: LRO off vs on).

Examples:
  vnic run
  vnic run --scenario many-flows
  vnic run --scenario lossy-link --engine gro --json
  vnic run --config my-run.json --model myri10ge`)
    .action(async (f: RunFlags) => {
      const { parseLabConfig, resolveDriver, runLab } = await import('../../lab/run.ts');
      const { parseTrafficConfig } = await import('../../traffic/index.ts');
      const base = baseConfig(f);
      const engines: Engine[] = f.engine !== undefined ? [f.engine] : await defaultEngines(f, base);
      if (f.out !== undefined && engines.length !== 1) throw new UsageError('--out needs a single run: add --engine lro|gro|off');
      // a bad config is one line on stderr, before any progress line
      runOrExplain(() => { const c = parseLabConfig({ ...base, engine: engines[0] }); resolveDriver(c); if (c.traffic !== undefined) parseTrafficConfig(c.traffic); });
      const out = f.out !== undefined ? { path: f.out, format: outFormat(f.out) } : undefined;
      const colour = useColour(stderr);
      const results: RunResult[] = [];
      for (const engine of engines) {
        // the progress line follows the run, so a configuration the engine cannot run on stays one line
        results.push(runOrExplain(() => runLab({ ...base, engine, label: `${engine === 'off' ? 'LRO/GRO off' : engine.toUpperCase()}` }, out !== undefined ? { out } : {})));
        if (!f.json) stderr.write(paint(colour).dim(`ran ${base.label ?? 'run'} with engine ${engine}\n`));
      }
      const reports = results.map((r) => r.report);
      if (f.json) stdout.write(`${JSON.stringify({ runs: reports })}\n`);
      else stdout.write(`${base.label ?? ''}\n${comparisonTable(reports, useColour(stdout))}\n`);
      const bad = results.find((r) => !r.conservation.ok || !r.report.allStreamsOk);
      if (bad !== undefined) throw new CheckFailed(`${bad.report.label}: ${bad.conservation.ok ? 'a byte stream differs from what was sent' : `frames unaccounted for: ${JSON.stringify(bad.conservation)}`}`);
    });
}

function baseConfig(f: RunFlags): LabConfig {
  let cfg: LabConfig;
  if (f.config !== undefined) {
    checkReadable(f.config, '--config');
    let text: unknown;
    try { text = JSON.parse(readFileSync(f.config, 'utf8')); } catch (e) {
      throw new UsageError(`--config ${f.config}: not valid JSON (${(e as Error).message})`);
    }
    if (typeof text !== 'object' || text === null || Array.isArray(text)) throw new UsageError(`--config ${f.config}: must hold a JSON object`);
    cfg = text as LabConfig;
    cfg.label ??= f.config;
  } else {
    const name = f.scenario ?? DEFAULT_SCENARIO;
    const s = getScenario(name);
    if (s === undefined) throw new UsageError(`--scenario ${name}: no such scenario (scenarios: ${SCENARIOS.map((x) => x.name).join(', ')})`);
    cfg = { ...s.lab, label: f.scenario === undefined && noPathFlags(f) ? 'default comparison: eHEA, 4 bulk flows at 10 Gb/s' : `scenario ${s.name}` };
  }
  const merged: LabConfig = { ...cfg, ...labFromFlags(f) };
  if (f.seed !== undefined && merged.traffic !== undefined) merged.traffic = { ...(merged.traffic as object), seed: f.seed };
  return merged;
}

function noPathFlags(f: RunFlags): boolean {
  return Object.keys(labFromFlags(f)).length === 0;
}

/** No --engine: LRO off vs on for the default comparison; otherwise every engine the driver offers. */
async function defaultEngines(f: RunFlags, cfg: LabConfig): Promise<Engine[]> {
  if (f.scenario === undefined && f.config === undefined && noPathFlags(f)) return ['off', 'lro'];
  const { getDriver, driverForModel } = await import('../../drivers/index.ts');
  const { modelCapabilities } = await import('../../hw-models/registry.ts');
  const model = cfg.model ?? 'ehea';
  const d = cfg.driver !== undefined ? getDriver(cfg.driver) : driverForModel(model);
  if (d === undefined) return ['off'];
  return ['off', 'lro', 'gro'].filter((e) => e === 'off' || d.support(e as Engine, { ...modelCaps(modelCapabilities, model) } as never, { engine: e as Engine, pollBudget: 64, ...(cfg.softwareChecksum !== undefined ? { softwareChecksum: cfg.softwareChecksum } : {}) }).ok) as Engine[];
}

function modelCaps(modelCapabilities: (name: string) => Capabilities | undefined, model: string): Capabilities {
  const c = modelCapabilities(model);
  if (c === undefined) throw new UsageError(`--model ${model}: no such model`);
  return c;
}
