// Where the pool's threads start: from the sources through tsx (cli/pool/worker-tsx.mjs), or from the compiled task
// module that test/built-bin.ts names after rebuilding dist/ (what every other pooled test here uses). Both must
// answer as the task run in this thread does; the tsx path is also the one every `--load` run takes.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BUILT_WORKER_ENV } from './built-worker.ts';
import { WorkerPool } from './pool.ts';
import { runSeedTask, type SeedRunAnswer, type SeedRunTask } from '../../lab/seeds.ts';

const task: SeedRunTask = {
  plan: {
    label: 'GRO',
    config: {
      model: 'mq',
      engine: 'gro',
      traffic: { seed: 1, bytesPerFlow: 20_000, flows: [{ kind: 'bulk', count: 2 }] },
    },
  },
  seed: 3,
};

/** The pool made while the variable has `value` (undefined: unset), which is read when the threads are made. */
function poolWith(value: string | undefined): WorkerPool {
  const saved = process.env[BUILT_WORKER_ENV];
  if (value === undefined) delete process.env[BUILT_WORKER_ENV];
  else process.env[BUILT_WORKER_ENV] = value;
  try {
    return new WorkerPool(1);
  } finally {
    if (saved === undefined) delete process.env[BUILT_WORKER_ENV];
    else process.env[BUILT_WORKER_ENV] = saved;
  }
}

describe('the pool thread entry', () => {
  it('a thread started from the compiled task module (dist/, rebuilt by the test setup) answers as this thread', async () => {
    const pool = poolWith(fileURLToPath(new URL('../../dist/cli/pool/task.js', import.meta.url)));
    try {
      const [a] = await pool.run<SeedRunAnswer>([{ kind: 'run-seed', task }]);
      expect(a).toEqual(runSeedTask(task));
    } finally {
      await pool.destroy();
    }
  }, 60_000);

  it('without it, a thread loads the sources through tsx and answers the same', async () => {
    const pool = poolWith(undefined);
    try {
      const [a] = await pool.run<SeedRunAnswer>([{ kind: 'run-seed', task }]);
      expect(a).toEqual(runSeedTask(task));
    } finally {
      await pool.destroy();
    }
  }, 60_000);
});
