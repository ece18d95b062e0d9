// What one worker of the pool does: one independent run, named by plain data, answered with plain data.
// The same function runs in the main thread for `--jobs 1`, so a pooled sweep and a single-process one
// compute each run with the same code on the same input, and give the same bytes.
import { pathToFileURL } from 'node:url';
import { runMatrixRow, type MatrixRowTask, type MatrixRow } from '../commands/matrix.ts';
import { runLabSummary, type LabRunTask, type LabRunSummary } from '../../report/collect.ts';
import { runSeedTask, type SeedRunTask, type SeedRunAnswer } from '../../lab/seeds.ts';
import { runCoresTask, type CoresTask } from './cores.ts';
import type { CoresPart } from '../../lab/multicore.ts';
import { CheckFailed, UsageError } from '../errors.ts';
import { runOrExplain } from '../commands/replay.ts';

export type PoolTask =
  | { kind: 'matrix-row'; task: MatrixRowTask }
  | { kind: 'lab-run'; task: LabRunTask }
  | { kind: 'run-seed'; task: SeedRunTask }
  | { kind: 'cores'; task: CoresTask };

/** The answer for each kind of task. */
export interface PoolValue {
  'matrix-row': MatrixRow;
  'lab-run': LabRunSummary;
  'run-seed': SeedRunAnswer;
  cores: CoresPart;
}

/** An error crosses the thread boundary as its kind and message, so the CLI still exits 2, 1 or 70 for it. */
export type PoolAnswer =
  | { ok: true; value: PoolValue[keyof PoolValue] }
  | { ok: false; kind: 'usage' | 'check' | 'internal'; message: string; stack?: string };

/** A task with the `--load` modules (absolute paths) the worker imports first, once. */
export interface PoolJob {
  task: PoolTask;
  loads: string[];
}

const loaded = new Set<string>();
let tsxRegistered = false;

export async function runPoolJob(job: PoolJob): Promise<PoolAnswer> {
  try {
    for (const file of job.loads) {
      if (loaded.has(file)) continue;
      // a compiled worker runs on plain node: TypeScript modules need tsx's loader, as the bin's --load does
      if (/\.[cm]?ts$/.test(file) && !import.meta.url.endsWith('.ts') && !tsxRegistered) {
        ((await import('tsx/esm/api')) as { register: () => unknown }).register();
        tsxRegistered = true;
      }
      await import(pathToFileURL(file).href);
      loaded.add(file);
    }
    return { ok: true, value: runOrExplain(() => runTask(job.task)) };
  } catch (e) {
    const err = e as Error;
    const kind = e instanceof UsageError ? 'usage' : e instanceof CheckFailed ? 'check' : 'internal';
    return {
      ok: false,
      kind,
      message: err.message ?? String(e),
      ...(err.stack !== undefined ? { stack: err.stack } : {}),
    };
  }
}

export function runTask(t: PoolTask): PoolValue[keyof PoolValue] {
  switch (t.kind) {
    case 'matrix-row':
      return runMatrixRow(t.task);
    case 'lab-run':
      return runLabSummary(t.task);
    case 'run-seed':
      return runSeedTask(t.task);
    case 'cores':
      return runCoresTask(t.task);
  }
}

export default runPoolJob;
