// The package as a user gets it: `npm pack` (which builds dist/ through `prepare`), the tarball installed
// into a fresh project outside the repository, then `npx vnic` there, a plain `.mjs` program importing
// `vnic-lab/drivers` and `vnic-lab/lab` to run a lab, and a TypeScript consumer typechecked against the
// shipped .d.ts files. Slow (a build and an install): `npm run test:package`, which CI runs.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './support/cli.ts';

const exec = promisify(execFile);
const env = {
  ...process.env,
  NO_COLOR: '1',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
};

let project = '';
let packed: { files: { path: string }[] };

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), 'vnic-consumer-'));
  const { stdout } = await exec('npm', ['pack', '--json', '--pack-destination', project], {
    cwd: ROOT,
    env,
    maxBuffer: 1 << 26,
  });
  packed = (JSON.parse(stdout) as { files: { path: string }[] }[])[0]!;
  const tarball = readdirSync(project).find((f) => f.endsWith('.tgz'))!;
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await exec('npm', ['install', '--prefer-offline', '--no-package-lock', join(project, tarball)], {
    cwd: project,
    env,
    maxBuffer: 1 << 26,
  });
}, 300_000);

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('ships dist/, the sources its maps name, examples and docs; no tests, no captures', () => {
    const paths = packed.files.map((f) => f.path);
    for (const p of [
      'package.json',
      'README.md',
      'dist/cli/main.js',
      'dist/drivers/index.js',
      'dist/drivers/index.d.ts',
      'dist/lab/index.js.map',
      'drivers/index.ts',
      'examples/minimal-driver.ts',
      'docs/lro.md',
    ]) {
      expect(paths, p).toContain(p);
    }
    expect(paths.filter((p) => /\.test\.ts$|test-support|\.pcap(ng)?$|^test\//.test(p))).toEqual([]);
  });

  it('npx vnic run works in a project outside the repository', async () => {
    const { stdout, stderr } = await exec('npx', ['--no-install', 'vnic', 'run'], {
      cwd: project,
      env,
      maxBuffer: 1 << 24,
    });
    expect(stdout).toContain('default comparison: eHEA, 4 bulk flows at 10 Gb/s');
    expect(stderr).toBe(
      'ran default comparison: eHEA, 4 bulk flows at 10 Gb/s: LRO/GRO off\nran default comparison: eHEA, 4 bulk flows at 10 Gb/s: LRO\n',
    );
    const version = await exec('npx', ['--no-install', 'vnic', '--version'], { cwd: project, env });
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  }, 120_000);

  it('a .mjs program imports vnic-lab/drivers and vnic-lab/lab and runs a lab', async () => {
    writeFileSync(
      join(project, 'lab.mjs'),
      `
import { listDrivers, getDriver } from 'vnic-lab/drivers';
import { runLab } from 'vnic-lab/lab';
const r = runLab({ model: 'myri10ge', engine: 'lro', traffic: { flows: [{ kind: 'bulk', bytes: 262144 }] } });
console.log(JSON.stringify({
  drivers: listDrivers().map((d) => d.name),
  myri10ge: getDriver('myri10ge')?.name,
  bytes: r.report.bytesDelivered,
  ok: r.report.allStreamsOk && r.conservation.ok,
  aggregated: r.report.lro.aggregated > 0,
}));
`,
    );
    const { stdout } = await exec(process.execPath, ['lab.mjs'], { cwd: project, env });
    expect(JSON.parse(stdout)).toEqual({
      drivers: ['ehea', 'myri10ge', 'e1000', 'mq'],
      myri10ge: 'myri10ge',
      bytes: 262144,
      ok: true,
      aggregated: true,
    });
  }, 60_000);

  it('a TypeScript consumer typechecks against the shipped declarations', async () => {
    writeFileSync(
      join(project, 'consumer.ts'),
      `
import { runLab, type RunResult } from 'vnic-lab/lab';
import { RunOutputSchema } from 'vnic-lab/cli';
import type { Engine } from 'vnic-lab/drivers';
const engine: Engine = 'gro';
const r: RunResult = runLab({ engine, traffic: { flows: [{ kind: 'bulk', bytes: 65536 }] } });
const out = RunOutputSchema.parse({ runs: [r.report] });
export const delivered: number = out.runs[0]!.bytesDelivered;
`,
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: [],
        },
        files: ['consumer.ts'],
      }),
    );
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const r = await exec(process.execPath, [tsc, '-p', '.'], { cwd: project, env }).then(
      (x) => ({ code: 0, out: x.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
    );
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  }, 120_000);
});
