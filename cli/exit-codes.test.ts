// Exit codes and their one-line reasons, as a user meets them: 2 for their own mistakes (a folder as
// the capture, --out into a missing folder, a --load module that throws, does not parse, is CommonJS
// or registers nothing: file and line named), 1 for a run that delivered nothing or whose streams
// differ (one line per flow: where the first byte went missing and the counted reason), and the
// codes listed in every --help.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturePath } from '../test/captures.ts';
import { CaptureWriter } from '../tap/index.ts';
import { vnic as runVnic, vnicProcess } from '../test/support/cli.ts';

/**
 * In-process (test/support/cli.ts); --load runs whose module the loader imports spawn the bin, since a module's
 * errors are Node's loader's own (tsx's, for TypeScript).
 */
const vnic = (...args: string[]) => runVnic(args);
const vnicSpawned = (...args: string[]) => vnicProcess(args, { env: { ...process.env, NO_COLOR: '1' } });

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

let dir = '';
let esm = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vnic-exit-'));
  esm = join(dir, 'esm');
  mkdirSync(esm);
  writeFileSync(join(esm, 'package.json'), '{"type":"module"}\n');
  writeFileSync(join(esm, 'throws.ts'), 'const x = 1;\nvoid x;\nthrow new Error("boom");\n');
  writeFileSync(join(esm, 'syntax.ts'), 'const a: number = 1;\nconst b = a +;\n');
  writeFileSync(join(esm, 'cjs.js'), 'const a = 1;\nmodule.exports = { a };\n');
  writeFileSync(join(esm, 'nothing.ts'), 'export const a = 1;\n');
  const w = CaptureWriter.open(join(dir, 'empty.pcap'), { format: 'pcap' });
  w.close();
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.concurrent('exit 2: the user’s mistake, named in one line', () => {
  it('a folder given as the capture', async () => {
    const r = await vnic('replay', dir);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([`vnic: capture ${dir}: is a directory, not a capture file`]);
  });

  it('--out into a folder that does not exist', async () => {
    const r = await vnic('replay', capturePath('bulk_mtu1500.tx.pcap'), '--out', join(dir, 'missing', 'rx.pcap'));
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([
      `vnic: --out ${join(dir, 'missing', 'rx.pcap')}: no such directory ${join(dir, 'missing')}`,
    ]);
  });

  it.each([
    ['throws.ts', (f: string) => `: boom (at ${f}:3)`],
    ['syntax.ts', (f: string) => `: syntax error at ${f}:2:13: Unexpected ";"`],
    [
      'cjs.js',
      () =>
        `: CommonJS is not supported (it uses module.exports at line 2); write an ES module: import { registerDriver } from 'vnic-lab/drivers', in a .ts or .mjs file (or .js with "type": "module")`,
    ],
    [
      'nothing.ts',
      () =>
        ': registered no driver or NIC model (an ES module that calls registerDriver or registerModel when imported)',
    ],
  ])('--load %s names the file and line', async (file, said) => {
    // a CommonJS file is refused from its text before anything imports it, and a module that registers nothing is
    // told after its import succeeded: neither depends on the loader, so neither needs a Node start of its own
    const args = ['--load', join(esm, file), 'models'];
    const r = file === 'cjs.js' || file === 'nothing.ts' ? await vnic(...args) : await vnicSpawned(...args);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([`vnic: --load ${join(esm, file)}${said(join(esm, file))}`]);
  });
});

describe.concurrent('exit 1: a run that delivered nothing, or a stream that differs, says why', () => {
  it('--only-to matching no frame', async () => {
    const r = await vnic('replay', capturePath('bulk_mtu1500.tx.pcap'), '--only-to', '10.9.9.9');
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([
      "vnic: check failed: nothing was delivered: --only-to 10.9.9.9 matched none of the capture's 1,511 frames",
    ]);
  });

  it('an empty capture', async () => {
    const r = await vnic('replay', join(dir, 'empty.pcap'));
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual(['vnic: check failed: nothing was delivered: the capture holds no frames']);
  });

  it('a flow whose data frames were all dropped: the flow, the offset, the bytes up to the next segment the socket holds (the 752-byte tail of each 128 KiB burst fits the MTU), the counted reason and the flag to change', async () => {
    const r = await vnic('replay', capturePath('bulk_mtu1500.tx.pcap'), '--mtu', '1000', '--only-to', '10.77.0.2');
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([
      'vnic: check failed: 1 of 1 byte streams differ from what the capture carries',
      '  10.77.0.1:57426 > 10.77.0.2:5001: 130,320 bytes missing at stream offset 0: segment dropped (rx_oversize); frames larger than the MTU 1000 are dropped: give --mtu',
    ]);
  });
});

describe('every --help lists the exit codes', () => {
  it.each(['', 'run', 'replay', 'models', 'drivers', 'scenarios', 'trace', 'matrix', 'report'])(
    'vnic %s --help',
    async (cmd) => {
      const r = await vnic(...(cmd === '' ? [] : [cmd]), '--help');
      expect(r.stdout).toContain('Exit codes: 0 success; 1 a check failed');
      expect(r.stdout).toContain('70 a bug in vnic-lab');
    },
  );
});
