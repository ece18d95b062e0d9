// Spreads independent runs over worker threads (tinypool: a small, dependency-free worker pool that keeps
// order-independent tasks flowing to a fixed number of threads; piscina does the same with more we do not use).
// Results come back in task order whatever order the workers finish in, so the output does not depend on --jobs.
import { pathToFileURL } from 'node:url';
import type { MessagePort } from 'node:worker_threads';
import Tinypool from 'tinypool';
import { CheckFailed, UsageError } from '../errors.ts';
import { BUILT_WORKER_ENV } from './built-worker.ts';
import { runPoolJob, type PoolAnswer, type PoolJob, type PoolTask } from './task.ts';

export interface PoolOptions {
  /** Worker threads; 1 runs every task in this thread, one after the other. */
  jobs: number;
  /** `--load` modules (absolute paths) each worker imports before its first task. */
  loads?: string[];
  /** Called after each task completes, with how many are done. */
  onDone?: (done: number, total: number) => void;
}

/**
 * The worker script: the compiled task module in a built package; from source, the built one when
 * BUILT_WORKER_ENV names it and there is no `--load` module (a `.ts` one registers its driver with the source
 * registries, which only a tsx worker's tasks read), else the tsx bootstrap.
 */
function workerFile(loads: readonly string[]): URL {
  if (import.meta.url.endsWith('.js')) return new URL('./task.js', import.meta.url);
  const built = process.env[BUILT_WORKER_ENV];
  if (built !== undefined && built !== '' && loads.length === 0) return pathToFileURL(built);
  return new URL('./worker-tsx.mjs', import.meta.url);
}

function unwrap(a: PoolAnswer): unknown {
  if (a.ok) return a.value;
  if (a.kind === 'usage') throw new UsageError(a.message);
  if (a.kind === 'check') throw new CheckFailed(a.message);
  const e = new Error(a.message);
  if (a.stack !== undefined) e.stack = a.stack;
  throw e;
}

/** Runs every task, at most `jobs` at a time, and returns their answers in task order. */
export async function runTasks<R>(tasks: readonly PoolTask[], o: PoolOptions): Promise<R[]> {
  const loads = o.loads ?? [];
  let done = 0;
  const tick = () => {
    done++;
    o.onDone?.(done, tasks.length);
  };
  if (o.jobs <= 1 || tasks.length <= 1) {
    const out: R[] = [];
    for (const task of tasks) {
      out.push(unwrap(await runPoolJob({ task, loads })) as R);
      tick();
    }
    return out;
  }
  const pool = new WorkerPool(Math.min(o.jobs, tasks.length), loads);
  try {
    return await pool.run<R>(tasks, tick);
  } finally {
    await pool.destroy();
  }
}

/**
 * A pool whose threads outlive one batch of tasks, so a caller that runs many batches (the bench's worker cases)
 * pays the threads' start and warm-up once. `destroy` ends them.
 */
export class WorkerPool {
  private readonly pool: Tinypool;
  constructor(
    threads: number,
    private readonly loads: string[] = [],
  ) {
    this.pool = new Tinypool({
      filename: workerFile(loads).href,
      minThreads: threads,
      maxThreads: threads,
      isolateWorkers: false,
    });
  }

  /** Every task on the pool's threads; answers in task order. */
  async run<R>(tasks: readonly PoolTask[], tick: () => void = () => {}): Promise<R[]> {
    const answers = await Promise.all(
      tasks.map(async (task) => {
        const a = (await this.pool.run({ task, loads: this.loads } satisfies PoolJob)) as PoolAnswer;
        tick();
        return a;
      }),
    );
    return answers.map((a) => unwrap(a) as R);
  }

  /** One task on a thread of the pool, with what its message moves rather than copies (a MessagePort). */
  async runOne<R>(task: PoolTask, transferList: MessagePort[]): Promise<R> {
    return unwrap(
      (await this.pool.run({ task, loads: this.loads } satisfies PoolJob, { transferList })) as PoolAnswer,
    ) as R;
  }

  destroy(): Promise<void> {
    return this.pool.destroy();
  }
}
