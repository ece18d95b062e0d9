// vnic merge FILE...: joins the JSON shards of one `vnic matrix --shard i/n` sweep, made on one machine or many,
// into the matrix the unsharded command prints, byte for byte (--json as well as the table).
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.ts';
import { MatrixShardSchema, mergeMatrixShards, printMatrix, type MatrixShard } from './matrix.ts';
import { checkReadable } from './common.ts';

interface MergeFlags { json?: boolean }

export function registerMerge(program: Command): void {
  program.command('merge')
    .description('join the shards of a sweep (vnic matrix --shard i/n) into the whole, as the unsharded command prints it')
    .argument('<files...>', 'the shard files (JSON), every shard of one sweep once, in any order')
    .option('--json', 'print the merged matrix as JSON, as vnic matrix --json does')
    .addHelpText('after', `
Each shard records the flags of its sweep and its index; merge refuses shards of different sweeps, a shard
given twice and a missing one, naming the file. A Kubernetes Indexed Job runs each shard with
JOB_COMPLETION_INDEX as its index (docs/sweeps.md has a manifest).

Examples:
  for i in 0 1 2 3; do vnic matrix --shard $i/4 > results/$i.json; done
  vnic merge results/*.json
  vnic merge --json results/*.json > matrix.json`)
    .action((files: string[], f: MergeFlags) => {
      const parts: MatrixShard[] = files.map((file) => {
        checkReadable(file, 'shard');
        let json: unknown;
        try {
          json = JSON.parse(readFileSync(file, 'utf8'));
        } catch (e) {
          throw new UsageError(`shard ${file}: not JSON (${(e as Error).message})`);
        }
        const p = MatrixShardSchema.safeParse(json);
        if (!p.success) {
          const issue = p.error.issues[0]!;
          throw new UsageError(`shard ${file}: ${issue.path.length > 0 ? `field ${issue.path.join('.')}: ` : ''}${issue.message} (a vnic matrix --shard output is expected)`);
        }
        return p.data;
      });
      printMatrix(mergeMatrixShards(parts, files), f.json === true);
    });
}
