// `vnic run --workers N`: one run of a host with several simulated cores (lab/multicore.ts) spread over N worker
// threads of the pool, worker w taking cores w, w + N, … The main thread generates (or replays) the wire once, steers
// each frame and feeds it to the worker running its core (lab/frame-feed.ts: batches moved between threads, never
// copied); the workers run only their cores. Their parts come back as plain data and are merged in core order with
// the main thread's front counters, so the report and the `--out` bytes are those of the run on one thread
// (cli/run-workers.test.ts holds them equal). A host of 2 cores on 2 workers is 3 busy threads: the generator's work
// is about half of one core's, so on 2 real cores the three share them evenly.
import type { LabConfig } from '../../lab/run.ts';
import { chooseMtu, inputSnaplen } from '../../lab/run.ts';
import type { SeedRunAnswer } from '../../lab/seeds.ts';
import type { OutputOptions } from '../../lab/output.ts';
import { FeedStopped, FeedWriter } from '../../lab/frame-feed.ts';
import type { MessagePort } from 'node:worker_threads';
import {
  finishCaptures,
  mergeCores,
  parseMulticoreConfig,
  runMulticore,
  runWire,
  type CoresPart,
} from '../../lab/multicore.ts';
import type { CoresTask } from './cores.ts';
import { WorkerPool } from './pool.ts';
import { runOrExplain } from '../commands/replay.ts';

/** The run on `workers` threads (at most one per simulated core) fed by this one. */
export async function runOnWorkers(
  config: LabConfig,
  workers: number,
  o: { out?: OutputOptions; loads?: string[]; pool?: WorkerPool } = {},
): Promise<SeedRunAnswer> {
  const c = parseMulticoreConfig(config);
  const n = Math.min(workers, c.cpus);
  // one worker would only take turns with this thread: the run stays here
  if (n <= 1) return runMulticore(config, o.out !== undefined ? { out: o.out } : {});
  // what the run takes from a capture before its first frame: a damaged one is exit 2, as on one thread
  const { out, mtu } = runOrExplain(() => ({
    out: o.out !== undefined ? { path: o.out.path, snaplen: o.out.snaplen ?? inputSnaplen(c, undefined) } : undefined,
    mtu: chooseMtu(c, undefined).value,
  }));
  const writers = Array.from({ length: n }, () => new FeedWriter());
  const pool = o.pool ?? new WorkerPool(n, o.loads ?? []);
  try {
    const answers = writers.map((w, k) => {
      const task: CoresTask = {
        config,
        cores: Array.from({ length: c.cpus }, (_, core) => core).filter((core) => core % n === k),
        feed: w.ends,
        mtu,
        ...(out !== undefined ? { out } : {}),
      };
      return pool.runOne<CoresPart>({ kind: 'cores', task }, [w.ends.port as MessagePort]);
    });
    const settled = Promise.all(answers);
    let front: CoresPart;
    try {
      // the wire starts once every worker reads (one that fails first ends its task, and the wait)
      await Promise.race([Promise.all(writers.map((w) => w.started())), settled]);
      front = runOrExplain(() =>
        runWire(
          config,
          Array.from({ length: c.cpus }, (_, core) => writers[core % n]!),
          { mtu },
        ),
      );
    } catch (e) {
      for (const w of writers) w.abort();
      const inWorker = await settled.then(
        () => undefined,
        (x: unknown) => x,
      );
      // a feed that stopped because its worker failed: the worker's error says why
      throw e instanceof FeedStopped && inWorker !== undefined ? inWorker : e;
    }
    const parts = [front, ...(await settled)];
    if (o.out !== undefined) finishCaptures(config, parts, o.out);
    return mergeCores(config, parts);
  } finally {
    if (o.pool === undefined) await pool.destroy();
  }
}
