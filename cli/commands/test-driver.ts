// vnic test-driver <module>: load a driver from any folder and check it against every NAPI/driver rule on
// every configuration it supports (lab/test-driver.ts). Exit 0 all rules hold, 1 one broke, 2 cannot load.
// The lab's layers load in the action (`vnic --help` stays light: cli/startup.test.ts).
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import type { DriverInfo } from '../../drivers/index.ts';
import type { DriverTestReport } from '../../lab/test-driver.ts';
import { CheckFailed, UsageError } from '../errors.ts';
import { stdout } from '../io.ts';
import { loadUserModule } from '../load.ts';

/** The rule names for --help, written out here so building the program loads no lab layer (a test keeps them equal to lab/driver-rules.ts). */
export const HELP_RULES = [
  'poll-over-budget',
  'poll-not-completed',
  'irq-enabled-while-polling',
  'engine-not-flushed',
  'unverified-checksum-to-lro',
  'buffer-leak',
  'double-free',
  'ring-not-refilled',
  'conservation',
  'byte-stream',
];

/** The drivers `<module>` stands for: those it registered, the one --driver names, or a registered driver's own name. */
async function driversOf(module: string, driverName: string | undefined): Promise<DriverInfo[]> {
  const { getDriver, listDrivers } = await import('../../drivers/index.ts');
  let fresh: DriverInfo[] = [];
  if (existsSync(module) || /[/\\.]/.test(module)) {
    const before = new Set(listDrivers().map((d) => d.name));
    await loadUserModule(module, 'test-driver');
    fresh = listDrivers().filter((d) => !before.has(d.name));
  } else if (driverName === undefined) driverName = module; // `vnic test-driver e1000`: a registered driver
  if (driverName !== undefined) {
    const d = getDriver(driverName);
    if (d === undefined)
      throw new UsageError(
        `--driver ${driverName}: no such driver (registered: ${listDrivers()
          .map((x) => x.name)
          .join(', ')})`,
      );
    return [d];
  }
  if (fresh.length === 0) {
    throw new UsageError(
      `test-driver ${module}: the module registered no new driver (call registerDriver from 'vnic-lab/drivers'), or name one with --driver`,
    );
  }
  return fresh;
}

async function describe(r: DriverTestReport): Promise<string> {
  const { DRIVER_RULES, RULE_NAMES } = await import('../../lab/driver-rules.ts');
  const { TEST_TRAFFIC } = await import('../../lab/test-driver.ts');
  const models = [...new Set(r.runs.map((x) => x.model))];
  const configs = new Set(r.runs.map((x) => `${x.model}/${x.config}/${x.engine}`)).size;
  const lines = [
    `driver ${r.driver}: ${r.runs.length} runs on ${models.join(', ') || 'no model'} — ${configs} configuration×engine pairs × ${TEST_TRAFFIC.length} kinds of traffic (${TEST_TRAFFIC.join(', ')})`,
  ];
  for (const rule of RULE_NAMES) {
    const b = r.broken.find((x) => x.rule === rule);
    if (b === undefined) {
      lines.push(`  ok    ${rule}`);
      continue;
    }
    const f = b.first;
    lines.push(
      `  FAIL  ${rule}: ${DRIVER_RULES[rule].broken}`,
      `        first: ${f.model} ${f.config}, engine ${f.engine}, ${f.traffic} traffic — ${f.violation.where}: ${f.violation.detail}`,
      `        broken in ${b.runs} of ${r.runs.length} runs`,
      `        fix: ${DRIVER_RULES[rule].fix}`,
    );
  }
  if (r.runs.length === 0)
    lines.push('  FAIL  no configuration ran: the driver supports no engine on any configuration of its models');
  if (r.skipped.length > 0) {
    lines.push(`  not run (the driver refuses them): ${r.skipped.length}`);
    for (const s of r.skipped) lines.push(`        ${s.model} ${s.config}, engine ${s.engine}: ${s.why}`);
  }
  lines.push(r.ok ? `driver ${r.driver}: every rule holds` : `driver ${r.driver}: ${r.broken.length} rule(s) broken`);
  return lines.join('\n');
}

export function registerTestDriver(program: Command): void {
  program
    .command('test-driver')
    .argument('<module>', 'a .ts/.js/.mjs file that registers a driver (or the name of a registered driver)')
    .description(
      'check a driver against every NAPI/driver rule, on every model configuration it supports, under clean, lossy, reordered, corrupted and VLAN-mixed traffic',
    )
    .option('--driver <name>', 'the driver to test when the module registers several (or none new)')
    .option('--json', 'the full report as JSON on stdout')
    .addHelpText(
      'after',
      `
Rules: ${HELP_RULES.join(', ')}
Exit: 0 every rule holds, 1 a rule broke, 2 the module cannot load (file and line named).

Examples:
  vnic test-driver ./my-driver.ts
  vnic test-driver examples/minimal-driver.ts --json
  vnic test-driver e1000`,
    )
    .action(async (module: string, f: { driver?: string; json?: boolean }) => {
      const drivers = await driversOf(module, f.driver);
      const { testDriver } = await import('../../lab/test-driver.ts');
      const reports = drivers.map((d) => testDriver(d));
      if (f.json) stdout.write(`${JSON.stringify({ drivers: reports, ok: reports.every((r) => r.ok) })}\n`);
      else stdout.write(`${(await Promise.all(reports.map(describe))).join('\n\n')}\n`);
      const bad = reports.filter((r) => !r.ok);
      if (bad.length > 0)
        throw new CheckFailed(
          bad
            .map((r) => `driver ${r.driver}: ${r.broken.map((b) => b.rule).join(', ') || 'no configuration ran'}`)
            .join('; '),
        );
    });
}
