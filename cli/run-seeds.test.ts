// `vnic run --seeds N` spreads its runs over the worker pool (--jobs): what it prints does not depend on how many
// threads ran it, and equals the sequential run (--jobs 1 runs every seed in this thread, one after the other).
import { describe, expect, it } from 'vitest';
import { vnic } from '../test/support/cli.ts';

describe('vnic run --seeds over the pool', () => {
  it('prints the same JSON with --jobs 1 and --jobs 2, runs in plan-then-seed order', async () => {
    const args = ['run', '--scenario', 'bulk-1flow', '--engine', 'gro', '--seeds', '2', '--seed', '7', '--json'];
    const [seq, pooled] = await Promise.all([vnic([...args, '--jobs', '1']), vnic([...args, '--jobs', '2'])]);
    for (const r of [seq, pooled]) expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(pooled.stdout) as { seeds: number[]; runs: { label: string }[] };
    expect(out.seeds).toEqual([7, 8]);
    expect(out.runs.map((r) => r.label)).toEqual(['GRO · seed 7', 'GRO · seed 8']);
    expect(pooled.stdout).toBe(seq.stdout);
  }, 180_000);

  it('--jobs without --seeds is a usage error', async () => {
    const r = await vnic(['run', '--scenario', 'bulk-1flow', '--jobs', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('vnic: --jobs spreads the runs of --seeds over worker threads: add --seeds N (N > 1)\n');
  });
});
