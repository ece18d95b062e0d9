// --shard: one machine's part of a sweep. Task k belongs to shard k mod n (round robin, so every shard gets a
// mix of the cheap and the costly runs). The index counts from 0, as a Kubernetes Indexed Job's
// JOB_COMPLETION_INDEX does: `--shard 2/4` is the third of four, and a bare `--shard 4` reads the index from
// JOB_COMPLETION_INDEX.
import { UsageError } from '../errors.ts';
import { currentIO } from '../io.ts';

export interface Shard {
  index: number;
  count: number;
}

export function parseShard(v: string, env: Readonly<Record<string, string | undefined>> = currentIO().env): Shard {
  const m = /^(?:(\d+)\/)?(\d+)$/.exec(v);
  if (m === null)
    throw new UsageError(
      `--shard takes INDEX/COUNT (from 0, e.g. 0/4) or COUNT with JOB_COMPLETION_INDEX set, not '${v}'`,
    );
  const count = Number(m[2]);
  if (!(count >= 1 && count <= 10_000))
    throw new UsageError(`--shard ${v}: the shard count must be between 1 and 10000`);
  let index: number;
  if (m[1] !== undefined) index = Number(m[1]);
  else {
    const j = env['JOB_COMPLETION_INDEX'];
    if (j === undefined || !/^\d+$/.test(j))
      throw new UsageError(
        `--shard ${v}: no index given and JOB_COMPLETION_INDEX is ${j === undefined ? 'not set' : `'${j}', not a whole number`}`,
      );
    index = Number(j);
  }
  if (index >= count)
    throw new UsageError(`--shard ${v}: index ${index} is not below the count ${count} (indexes run 0…${count - 1})`);
  return { index, count };
}

/** Whether task `k` of the sweep is this shard's. */
export function inShard(k: number, s: Shard): boolean {
  return k % s.count === s.index;
}
