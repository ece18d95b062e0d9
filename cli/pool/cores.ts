// What one worker of `vnic run --workers N` does (cli/pool/workers.ts): the cores it was given, of a host with
// several simulated cores (lab/multicore.ts), fed their frames by the main thread, which generates the wire once
// (lab/frame-feed.ts); its part comes back as plain data.
import type { LabConfig } from '../../lab/run.ts';
import { corePath, runFedCores, type CoresPart } from '../../lab/multicore.ts';
import type { FeedEnds } from '../../lab/frame-feed.ts';

/** One worker's share: the run's configuration, the cores it simulates and the feed of their frames. */
export interface CoresTask {
  config: LabConfig;
  cores: number[];
  /** Where the whole run's `--out` goes (each core writes beside it first). */
  out?: { path: string; snaplen?: number | undefined };
  /** The worker's end of the feed (its port travels in the task's transfer list). */
  feed: FeedEnds;
  /** The MTU the main thread chose for the run. */
  mtu: number;
}

export function runCoresTask(t: CoresTask): CoresPart {
  return runFedCores(t.config, t.cores, t.feed, {
    mtu: t.mtu,
    ...(t.out !== undefined ? { outPathOf: corePath(t.out.path), snaplen: t.out.snaplen } : {}),
  });
}
