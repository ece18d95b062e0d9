// vnic models, vnic drivers, vnic scenarios: what exists, with capabilities.
import type { Command } from 'commander';
import { SCENARIOS } from '../../lab/scenarios.ts';
import { table } from '../format.ts';
import { stdout } from '../io.ts';

export function registerListings(program: Command): void {
  program
    .command('models')
    .description('list the NIC models and their capabilities')
    .option('--json', 'as JSON')
    .addHelpText('after', '\nExamples:\n  vnic models\n  vnic models --json')
    .action(async (f: { json?: boolean }) => {
      const { listModels } = await import('../../hw-models/registry.ts');
      const { driverForModel } = await import('../../drivers/index.ts');
      const { defaultEngine } = await import('../../lab/run.ts');
      const rows = listModels().map((m) => {
        const d = driverForModel(m.name);
        return {
          name: m.name,
          ...m.capabilities,
          driver: d?.name ?? null,
          defaultEngine: d !== undefined ? defaultEngine(d, m.capabilities) : null,
        };
      });
      if (f.json) {
        stdout.write(`${JSON.stringify({ models: rows })}\n`);
        return;
      }
      stdout.write(
        `${table(
          rows.map((m) => [
            m.name,
            m.vlan,
            m.delivery + (m.headerSplit ? ' + header split' : ''),
            m.rxChecksum,
            String(m.maxQueues),
            `${m.minMtu}–${m.maxMtu}`,
            m.driver ?? '—',
            m.defaultEngine ?? '—',
          ]),
          ['model', 'VLAN', 'delivery', 'rx checksum', 'queues', 'MTU', 'driver', 'default engine'],
        )}\n\nDatasheets: docs/hw-models/<model>.md\n`,
      );
    });
  program
    .command('drivers')
    .description('list the sample drivers and which engines they can run')
    .option('--json', 'as JSON')
    .addHelpText('after', '\nExamples:\n  vnic drivers\n  vnic drivers --json')
    .action(async (f: { json?: boolean }) => {
      const { modelCapabilities } = await import('../../hw-models/registry.ts');
      const { listDrivers, ENGINES } = await import('../../drivers/index.ts');
      const { defaultEngine } = await import('../../lab/run.ts');
      const rows = listDrivers().map((d) => {
        const model = d.models[0]!;
        const caps = modelCapabilities(model)!;
        const support = Object.fromEntries(ENGINES.map((e) => [e, d.support(e, caps, { engine: e, pollBudget: 64 })]));
        return { name: d.name, models: d.models, summary: d.summary, defaultEngine: defaultEngine(d, caps), support };
      });
      if (f.json) {
        stdout.write(`${JSON.stringify({ drivers: rows })}\n`);
        return;
      }
      stdout.write(
        `${table(
          rows.map((d) => [
            d.name,
            d.models.join(','),
            d.defaultEngine,
            ...ENGINES.map((e) => (d.support[e]!.ok ? 'yes' : 'no')),
            d.summary,
          ]),
          ['driver', 'model', 'default', 'lro', 'gro', 'off', ''],
        )}\n\n`,
      );
      for (const d of rows) for (const e of ENGINES) stdout.write(`${d.name} ${e}: ${d.support[e]!.why}\n`);
    });
  program
    .command('scenarios')
    .description('list the named scenarios for vnic run --scenario')
    .option('--json', 'as JSON')
    .addHelpText('after', '\nExamples:\n  vnic scenarios\n  vnic scenarios --json\n  vnic run --scenario many-flows')
    .action((f: { json?: boolean }) => {
      if (f.json) {
        stdout.write(`${JSON.stringify({ scenarios: SCENARIOS })}\n`);
        return;
      }
      stdout.write(
        `${table(
          SCENARIOS.map((s) => [s.name, s.summary]),
          ['scenario', 'traffic'],
        )}\n\n`,
      );
      for (const s of SCENARIOS) stdout.write(`${s.name}: ${s.teaches}\n`);
    });
}
