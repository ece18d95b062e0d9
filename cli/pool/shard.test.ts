// --shard's index and count, the round-robin deal, and the Kubernetes manifest in docs/ agreeing with both.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseShard, inShard } from './shard.ts';

describe('--shard', () => {
  it('reads INDEX/COUNT, or COUNT with the index from JOB_COMPLETION_INDEX', () => {
    expect(parseShard('1/4', {})).toEqual({ index: 1, count: 4 });
    expect(parseShard('4', { JOB_COMPLETION_INDEX: '3' })).toEqual({ index: 3, count: 4 });
    expect(() => parseShard('4', {})).toThrow('--shard 4: no index given and JOB_COMPLETION_INDEX is not set');
  });
  it('deals tasks round robin, each to exactly one shard', () => {
    const owners = [...Array(10).keys()].map((k) => [0, 1, 2].filter((i) => inShard(k, { index: i, count: 3 })));
    expect(owners).toEqual([[0], [1], [2], [0], [1], [2], [0], [1], [2], [0]]);
  });
});

describe('docs/k8s/vnic-matrix-job.yaml', () => {
  const yaml = readFileSync(new URL('../../docs/k8s/vnic-matrix-job.yaml', import.meta.url), 'utf8');
  it('is an Indexed Job whose pods each run one shard of as many as it has completions', () => {
    expect(yaml).toMatch(/^\s*completionMode: Indexed$/m);
    const completions = Number(/^\s*completions: (\d+)$/m.exec(yaml)?.[1]);
    expect(Number(/^\s*parallelism: (\d+)$/m.exec(yaml)?.[1])).toBe(completions);
    const cmd = /^\s*- (npx vnic matrix .*)$/m.exec(yaml)?.[1] ?? '';
    const shardArg = /--shard (\S+)/.exec(cmd)?.[1] ?? '';
    for (let i = 0; i < completions; i++)
      expect(parseShard(shardArg, { JOB_COMPLETION_INDEX: String(i) })).toEqual({ index: i, count: completions });
    expect(cmd).toContain('> /results/shard-$JOB_COMPLETION_INDEX.json');
  });
});
