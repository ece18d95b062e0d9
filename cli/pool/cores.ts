// What one worker of `vnic run --workers N` does (cli/pool/workers.ts): the cores it was given, of a host with
// several simulated cores (lab/multicore.ts), over the whole wire; its part comes back as plain data.
import type { LabConfig } from '../../lab/run.ts';
import { corePath, runCores, runFedCores, type CoresPart } from '../../lab/multicore.ts';
import type { FeedEnds } from '../../lab/frame-feed.ts';

/** One worker's share: the run's configuration and the cores it simulates. */
export interface CoresTask {
  config: LabConfig;
  cores: number[];
  /** Where the whole run's `--out` goes (each core writes beside it first). */
  out?: { path: string; snaplen?: number | undefined };
}

export function runCoresTask(t: CoresTask): CoresPart {
  return runCores(
    t.config,
    t.cores,
    t.out !== undefined ? { outPathOf: corePath(t.out.path), snaplen: t.out.snaplen } : {},
  );
}

/** One worker's share when the main thread generates the wire and feeds each worker its cores' frames. */
export interface FedCoresTask extends CoresTask {
  feed: FeedEnds;
  /** The MTU the main thread chose for the run. */
  mtu: number;
}

export function runFedCoresTask(t: FedCoresTask): CoresPart {
  return runFedCores(t.config, t.cores, t.feed, {
    mtu: t.mtu,
    ...(t.out !== undefined ? { outPathOf: corePath(t.out.path), snaplen: t.out.snaplen } : {}),
  });
}
