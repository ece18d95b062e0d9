// Loads a lab configuration from JSON (default: examples/scenario.json), validates it with the lab's zod
// schema (errors name the field), and runs it with every engine its driver supports. The same file runs
// with `npx vnic run --config examples/scenario.json`. Run: npx tsx examples/run-config.ts [file.json]
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DriverOptionsSchema, type Engine } from 'vnic-lab/drivers';
import { modelCapabilities } from 'vnic-lab/hw-models';
import { parseLabConfig, resolveDriver, runLab, type LabConfig, type RunResult } from 'vnic-lab/lab';
import { comparisonTable } from 'vnic-lab/cli';

export const SCENARIO_FILE = fileURLToPath(new URL('./scenario.json', import.meta.url));

export function main(file = SCENARIO_FILE): RunResult[] {
  const config = JSON.parse(readFileSync(file, 'utf8')) as LabConfig;
  const c = parseLabConfig(config);                       // throws a LabError naming the bad field
  const driver = resolveDriver(c);
  const caps = modelCapabilities(c.model)!;
  const engines = (['off', 'lro', 'gro'] as Engine[]).filter((e) => driver.support(e, caps, DriverOptionsSchema.parse({ engine: e })).ok);
  const runs = engines.map((engine) => runLab({ ...config, engine, label: `${driver.name}/${engine}` }));
  console.log(`${c.label ?? file}\n${comparisonTable(runs.map((r) => r.report))}`);
  for (const r of runs) if (!r.report.allStreamsOk || !r.conservation.ok) throw new Error(`${r.report.label}: check failed`);
  return runs;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main(process.argv[2]);
