// `vnic run --workers N`: one run of a host with several simulated cores (lab/multicore.ts) spread over N worker
// threads of the pool, worker w taking cores w, w + N, … Every worker generates the same wire and keeps the frames
// its cores' queues get; the parts come back as plain data and are merged in core order, so the report and the
// `--out` bytes are those of the run on one thread (cli/run-workers.test.ts holds them equal).
import type { LabConfig } from '../../lab/run.ts';
import { inputSnaplen } from '../../lab/run.ts';
import type { SeedRunAnswer } from '../../lab/seeds.ts';
import type { OutputOptions } from '../../lab/output.ts';
import { finishCaptures, mergeCores, parseMulticoreConfig, type CoresPart } from '../../lab/multicore.ts';
import type { CoresTask } from './cores.ts';
import { runTasks, type WorkerPool } from './pool.ts';

/** The run on `workers` threads (at most one per simulated core). */
export async function runOnWorkers(
  config: LabConfig,
  workers: number,
  o: { out?: OutputOptions; loads?: string[]; pool?: WorkerPool } = {},
): Promise<SeedRunAnswer> {
  const c = parseMulticoreConfig(config);
  const n = Math.min(workers, c.cpus);
  const out =
    o.out !== undefined ? { path: o.out.path, snaplen: o.out.snaplen ?? inputSnaplen(c, undefined) } : undefined;
  const tasks: CoresTask[] = Array.from({ length: n }, (_, w) => ({
    config,
    cores: Array.from({ length: c.cpus }, (_, k) => k).filter((k) => k % n === w),
    ...(out !== undefined ? { out } : {}),
  }));
  const pooled = tasks.map((task) => ({ kind: 'cores' as const, task }));
  const parts =
    o.pool !== undefined
      ? await o.pool.run<CoresPart>(pooled)
      : await runTasks<CoresPart>(pooled, { jobs: n, loads: o.loads ?? [] });
  if (o.out !== undefined) finishCaptures(config, parts, o.out);
  return mergeCores(config, parts);
}
