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

/** One shard file as `vnic merge` reads it: its place in the sweep, the settings all shards must share, its items. */
export interface ShardPart<T> {
  shard: Shard;
  total: number;
  /** What every shard of one sweep has in common (flags, options), compared as JSON. */
  settings: unknown;
  items: readonly { index: number; item: T }[];
}

/**
 * Puts the shards of one sweep back in task order, refusing (naming the input) shards of different sweeps,
 * a shard given twice, an item outside its shard, a missing shard and a task no shard holds. `names` label
 * the inputs; `settingsName` and `itemName` word the errors ("flags", "row").
 */
export function joinShards<T>(
  parts: readonly ShardPart<T>[],
  names: readonly string[],
  settingsName: string,
  itemName: string,
): { first: ShardPart<T>; items: T[] } {
  const first = parts[0];
  if (first === undefined) throw new UsageError('merge: no shards given');
  const count = first.shard.count;
  const seen = new Map<number, string>();
  const items: (T | undefined)[] = new Array<T | undefined>(first.total).fill(undefined);
  parts.forEach((p, i) => {
    const name = names[i] ?? `input ${i + 1}`;
    const same = (what: string, a: unknown, b: unknown) => {
      if (JSON.stringify(a) !== JSON.stringify(b))
        throw new UsageError(
          `merge: ${name}: ${what} ${JSON.stringify(a)} differs from ${names[0]}'s ${JSON.stringify(b)}: shards of different sweeps`,
        );
    };
    same('shard count', p.shard.count, count);
    same(settingsName, p.settings, first.settings);
    same('total', p.total, first.total);
    const dup = seen.get(p.shard.index);
    if (dup !== undefined) throw new UsageError(`merge: ${name}: shard ${p.shard.index}/${count} is also in ${dup}`);
    seen.set(p.shard.index, name);
    for (const { index, item } of p.items) {
      if (index >= first.total || !inShard(index, p.shard))
        throw new UsageError(`merge: ${name}: ${itemName} ${index} does not belong to shard ${p.shard.index}/${count}`);
      items[index] = item;
    }
  });
  const missing = [...Array(count).keys()].filter((k) => !seen.has(k));
  if (missing.length > 0)
    throw new UsageError(
      `merge: shard${missing.length > 1 ? 's' : ''} ${missing.map((k) => `${k}/${count}`).join(', ')} missing`,
    );
  const hole = items.indexOf(undefined);
  if (hole >= 0)
    throw new UsageError(
      `merge: ${itemName} ${hole} is in no shard (shard ${hole % count}/${count}, ${seen.get(hole % count)}, lacks it)`,
    );
  return { first, items: items as T[] };
}
