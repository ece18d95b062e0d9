// The bin itself, once per command: a spawned `vnic` prints exactly what the in-process runs of the
// other CLI tests see (same stdout, stderr and exit code), so testing through runCli tests the command.
// The bin spawned is the built one, dist/cli/main.js (test/built-bin.ts rebuilds it when a source changed);
// installed from the packed tarball, test/package.pack.test.ts's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { capturePath } from '../test/captures.ts';
import { buildProgram } from './program.ts';
import { vnic, vnicProcess } from '../test/support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'vnic-bin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const capture = capturePath('bulk_mtu1500.tx.pcap');
/** One cheap invocation of each command, and the usage error path. */
const CASES: Record<string, string[]> = {
  run: ['run', '--scenario', 'bulk-1flow', '--engine', 'gro', '--json'],
  replay: ['replay', capture, '--engine', 'off'],
  models: ['models'],
  drivers: ['drivers', '--json'],
  scenarios: ['scenarios'],
  trace: ['trace', '--packets', '3'],
  matrix: ['matrix', '--quick', '--model', 'e1000', '--engine', 'off', '--json'],
  report: ['report', '--html', join(dir, 'no-such-dir', 'r.html')],
  merge: ['merge', join(dir, 'no-such-shard.json')],
  'test-driver': ['test-driver', 'no-such-driver.ts'],
  help: ['--help'],
  // the missing-tools path (no ip, ethtool or python3 on this PATH): exit 2 and one line, fast and the same everywhere
  'kernel-check': ['kernel-check', capture, '--runs', '1', '--only-to', '10.77.0.2', '--gro-flush-timeout-us', 'x'],
  usage: ['run', '--mtu', 'big'],
};

describe('the vnic bin, spawned', () => {
  it('has a case for every command', () => {
    const commands = buildProgram().commands.map((c) => c.name());
    expect(
      commands.filter((c) => CASES[c] === undefined),
      'add a case to CASES',
    ).toEqual([]);
  });

  it.concurrent.each(Object.entries(CASES))(
    '%s: the same output and exit code as in-process',
    async (_name, args) => {
      const [spawned, inProcess] = await Promise.all([vnicProcess(args), vnic(args)]);
      expect(spawned).toEqual(inProcess);
      expect(spawned.stdout.length + spawned.stderr.length).toBeGreaterThan(0);
    },
    180_000,
  ); // a Node start per case: slow only on a loaded machine
});
