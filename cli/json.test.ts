// The CLI's contract with scripts: --json output validated against the exported zod schemas, --version,
// examples in every --help, and exit 2 with exactly one stderr line naming the problem for bad input.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildProgram } from './program.ts';
import { vnic as runVnic } from '../test/support/cli.ts';
import { ReplayOutputSchema, RunOutputSchema, RunReportSchema, ReportDataSchema } from './index.ts';
import { capturePath } from '../test/captures.ts';
import { readCapture } from '../tap/index.ts';

const ROOT = new URL('..', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { version: string };

/** `vnic ...args` in-process (cli/bin.test.ts spawns the bin once per command). */
const vnic = (...args: string[]) => runVnic(args);

/** Exit 2 and one stderr line; returns that line. */
async function usageError(...args: string[]): Promise<string> {
  const r = await vnic(...args);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines, args.join(' ')).toHaveLength(1);
  expect(r.stdout).toBe('');
  return lines[0]!;
}

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vnic-json-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.concurrent('--json output against the exported schemas', () => {
  it('vnic replay <capture> --json is a RunReport with the capture’s exact counts', async () => {
    const file = capturePath('bulk_mtu1500.tx.pcap');
    const r = await vnic('replay', file, '--json');
    expect(r.code, r.stderr).toBe(0);
    const report = ReplayOutputSchema.parse(JSON.parse(r.stdout));
    let records = 0;
    for (const rec of readCapture(file)) {
      void rec;
      records++;
    }
    expect(records).toBe(1511);
    expect(report.framesIn).toBe(1511);
    expect(report.counters['replay']).toEqual({
      records: 1511,
      sent: 1511,
      filteredOut: 0,
      extended: 0,
      unverifiable: 0,
      notEthernet: 0,
    });
    expect(report.bytesDelivered).toBe(2 << 20);
    expect(Object.keys(report.flows)).toEqual(['10.77.0.1:57426>10.77.0.2:5001']);
    expect(report.allStreamsOk).toBe(true);
    expect(report.lro.enabled).toBe(true);
    expect(report.label).toBe('ehea/ehea/lro');
  });

  it("vnic run --seeds 3 --json carries every seed's run and the median, min and max of each figure", async () => {
    // in this thread: the default --jobs would start a worker pool for three runs, and what it prints does not
    // depend on the jobs (cli/run-seeds.test.ts)
    const r = await vnic(
      'run',
      '--scenario',
      'lossy-link',
      '--engine',
      'gro',
      '--seeds',
      '3',
      '--seed',
      '4',
      '--jobs',
      '1',
      '--json',
    );
    expect(r.code, r.stderr).toBe(0);
    const out = RunOutputSchema.parse(JSON.parse(r.stdout));
    expect(out.seeds).toEqual([4, 5, 6]);
    expect(out.runs.map((x) => x.label)).toEqual(['GRO · seed 4', 'GRO · seed 5', 'GRO · seed 6']);
    expect(out.summary).toHaveLength(1);
    const s = out.summary[0]!;
    expect(s).toMatchObject({ label: 'GRO', seeds: [4, 5, 6], allOk: true });
    const acks = out.runs.map((x) => x.acksSent).sort((a, b) => a - b);
    expect(s.figures['acksSent']).toEqual({ median: acks[1], min: acks[0], max: acks[2] });
  });

  it('vnic run --scenario bulk-1flow --engine lro --json is { runs: [RunReport] }', async () => {
    const r = await vnic('run', '--scenario', 'bulk-1flow', '--engine', 'lro', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const out = RunOutputSchema.parse(JSON.parse(r.stdout));
    expect(out.runs).toHaveLength(1);
    const run = RunReportSchema.parse(out.runs[0]);
    expect(run.label).toBe('LRO');
    expect(run.lro.enabled).toBe(true);
    expect(run.gro.enabled).toBe(false);
    expect(run.bytesDelivered).toBe(4 << 20);
    expect(Object.keys(run.flows)).toHaveLength(1);
    expect(run.allStreamsOk).toBe(true);
    expect(run.counters['conservation']!['ok']).toBe(1);
    expect(run.wireFramesToStack).toBeGreaterThan(run.framesToStack);
  });

  it('the run schema rejects what is not a run report', () => {
    expect(RunOutputSchema.safeParse({ runs: [{ version: 2 }] }).success).toBe(false);
    expect(ReportDataSchema.safeParse({ title: 'x' }).success).toBe(false);
  });

  it('vnic models / drivers / scenarios --json parse', async () => {
    const [models, drivers, scenarios] = await Promise.all([
      vnic('models', '--json'),
      vnic('drivers', '--json'),
      vnic('scenarios', '--json'),
    ]);
    for (const r of [models, drivers, scenarios]) expect(r.code, r.stderr).toBe(0);
    const m = z
      .object({ models: z.array(z.object({ name: z.string(), maxQueues: z.number() })) })
      .parse(JSON.parse(models.stdout));
    expect(m.models.map((x) => x.name)).toEqual(['ehea', 'myri10ge', 'e1000', 'mq']);
    const d = z
      .object({
        drivers: z.array(
          z.object({
            name: z.string(),
            models: z.array(z.string()),
            support: z.record(z.string(), z.object({ ok: z.boolean(), why: z.string() })),
          }),
        ),
      })
      .parse(JSON.parse(drivers.stdout));
    expect(d.drivers.map((x) => x.name)).toEqual(['ehea', 'myri10ge', 'e1000', 'mq']);
    expect(d.drivers.find((x) => x.name === 'e1000')!.support['lro']!.ok).toBe(false);
    const s = z
      .object({
        scenarios: z.array(
          z.object({ name: z.string(), summary: z.string(), lab: z.object({ traffic: z.unknown() }) }),
        ),
      })
      .parse(JSON.parse(scenarios.stdout));
    expect(s.scenarios.map((x) => x.name)).toEqual([
      'bulk-1flow',
      'bulk-4flows',
      'many-flows',
      'small-messages',
      'vlan-mixed',
      'lossy-link',
      'jumbo',
      'moderated-2g',
      'rr-small',
      'slow-start',
      'forward',
      'bridge',
    ]);
  });
});

describe('--version and --help', () => {
  it('--version prints the package version', async () => {
    const r = await vnic('--version');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${pkg.version}\n`);
  });

  it('every command’s --help has examples', async () => {
    const top = await vnic('--help');
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('Examples:');
    const block = top.stdout.split('Commands:\n')[1]!.split('\n\n')[0]!;
    const listed = [...block.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
    expect(listed).toEqual(expect.arrayContaining(['run', 'replay', 'models', 'drivers', 'scenarios', 'report']));
    // each command's help as `vnic <command> --help` prints it
    expect(buildProgram().commands.map((c) => c.name())).toEqual(listed);
    for (const name of listed) {
      const r = await vnic(name, '--help');
      expect(r.code, name).toBe(0);
      expect(r.stdout, name).toContain('Examples:');
      expect(r.stdout, name).toContain(`vnic ${name}`);
    }
    const report = await vnic('report', '--help');
    expect(report.code).toBe(0);
    expect(report.stdout).toContain('Examples:\n  vnic report --html report.html');
  });
});

describe.concurrent('bad input: exit 2, one line on stderr naming the problem', () => {
  it('an unknown flag', async () => {
    expect(await usageError('run', '--bogus')).toBe("vnic: unknown option '--bogus'");
    expect(await usageError('report', '--bogus', '--html', join(dir, 'x.html'))).toBe("vnic: unknown option '--bogus'");
  });

  it('a bad flag value', async () => {
    expect(await usageError('run', '--engine', 'fast')).toBe("vnic: --engine must be one of lro, gro, off, not 'fast'");
    expect(await usageError('run', '--mtu', '99999')).toBe('vnic: --mtu must be between 68 and 9000, not 99999');
    expect(await usageError('replay', capturePath('bulk_mtu1500.tx.pcap'), '--poll-budget', 'lots')).toBe(
      "vnic: --poll-budget takes a whole number, not 'lots'",
    );
  });

  it('a missing capture file', async () => {
    expect(await usageError('replay', join(dir, 'none.pcap'))).toBe(
      `vnic: capture ${join(dir, 'none.pcap')}: no such file`,
    );
  });

  it('an unknown scenario or traffic name', async () => {
    expect(await usageError('run', '--scenario', 'nope')).toMatch(
      /^vnic: --scenario nope: no such scenario \(scenarios: bulk-1flow, .*jumbo, moderated-2g, rr-small, slow-start, forward, bridge\)$/,
    );
    expect(await usageError('report', '--traffic', 'nope', '--html', join(dir, 'x.html'))).toMatch(
      /^vnic: --traffic nope: no such scenario/,
    );
  });

  it('report without --html, or into a missing directory', async () => {
    expect(await usageError('report', '--quick')).toBe('vnic: report needs --html <file>: where to write the page');
    expect(await usageError('report', '--html', join(dir, 'no', 'x.html'))).toBe(
      `vnic: --html ${join(dir, 'no', 'x.html')}: no such directory ${join(dir, 'no')}`,
    );
  });

  it('a config file with a wrong type, an unknown key, an out-of-range value: field, value and what is allowed', async () => {
    const traffic = { bytesPerFlow: 65536, flows: [{ kind: 'bulk' }] };
    const file = (name: string, cfg: unknown) => {
      const p = join(dir, name);
      writeFileSync(p, JSON.stringify(cfg));
      return p;
    };
    const [type, unknown, range, all, bad, missing] = await Promise.all([
      usageError('run', '--config', file('type.json', { mtu: 'big', traffic }), '--engine', 'lro'),
      usageError('run', '--config', file('key.json', { mtuu: 1500, traffic }), '--engine', 'lro'),
      usageError('run', '--config', file('range.json', { mtu: 20000, traffic }), '--engine', 'lro'),
      usageError('run', '--config', file('all.json', { mtu: 'big', mtuu: 1, pollBudget: 0, traffic })),
      usageError(
        'run',
        '--config',
        file('traffic.json', { traffic: { ...traffic, flows: [{ kind: 'bulk', mss: 0 }] } }),
        '--engine',
        'off',
      ),
      usageError('run', '--config', join(dir, 'missing.json')),
    ]);
    expect(type).toBe('vnic: run config: mtu: "big" — Invalid input: expected number, received string');
    expect(unknown).toMatch(
      /^vnic: run config: mtuu: unknown field \(fields: label, model, driver, engine, .*mtu, .*timeLimitNs, forward\)$/,
    );
    expect(range).toBe('vnic: run config: mtu: 20000 — Too big: expected number to be <=9000');
    expect(all).toSatisfy(
      (l: string) =>
        l.startsWith('vnic: run config: ') &&
        ['mtu: "big" — ', 'mtuu: unknown field', 'pollBudget: 0 — Too small: expected number to be >=1'].every((p) =>
          l.includes(p),
        ),
    );
    expect(bad).toBe(
      'vnic: traffic config: invalid configuration; flows[0].mss: 0 — Too small: expected number to be >=1',
    );
    expect(missing).toBe(`vnic: --config ${join(dir, 'missing.json')}: no such file`);
  });
});
