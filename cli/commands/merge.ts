// vnic merge FILE...: joins the JSON shards of one `vnic matrix --shard i/n` sweep, made on one machine or many,
// into the matrix the unsharded command prints, byte for byte (--json as well as the table).
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.ts';
import type { MatrixShard } from './matrix.ts';
import type { ReportShard } from './report-shards.ts';
import { checkReadable } from './common.ts';

interface MergeFlags {
  json?: boolean;
  html?: string;
}

export function registerMerge(program: Command): void {
  program
    .command('merge')
    .description(
      'join the shards of a sweep (vnic matrix or vnic report --shard i/n) into the whole, as the unsharded command gives it',
    )
    .argument('<files...>', 'the shard files (JSON), every shard of one sweep once, in any order')
    .option(
      '--json',
      'print the merged matrix as JSON, as vnic matrix --json does (report shards: the page data, as vnic report --json)',
    )
    .option('--html <file>', 'report shards: write the page to FILE, as vnic report --html does')
    .addHelpText(
      'after',
      `
Each shard records the flags of its sweep and its index; merge refuses shards of different sweeps, a shard
given twice and a missing one, naming the file. A Kubernetes Indexed Job runs each shard with
JOB_COMPLETION_INDEX as its index (docs/sweeps.md has a manifest).

Examples:
  for i in 0 1 2 3; do vnic matrix --shard $i/4 > results/$i.json; done
  vnic merge results/*.json
  vnic merge --json results/*.json > matrix.json
  vnic merge --html report.html report-shards/*.json`,
    )
    .action(async (files: string[], f: MergeFlags) => {
      const inputs = files.map((file) => {
        checkReadable(file, 'shard');
        try {
          return JSON.parse(readFileSync(file, 'utf8')) as unknown;
        } catch (e) {
          throw new UsageError(`shard ${file}: not JSON (${(e as Error).message})`);
        }
      });
      const kind = (inputs[0] as { kind?: unknown } | null)?.kind;
      if (kind === 'vnic-report-shard') {
        const { ReportShardSchema, mergeReportShards } = await import('./report-shards.ts');
        mergeReportShards(
          inputs.map((x, i) => checked(ReportShardSchema, x, files[i]!, 'vnic report --shard')) as ReportShard[],
          files,
          f.html,
          f.json === true,
        );
        return;
      }
      if (f.html !== undefined) throw new UsageError('merge: --html is for report shards; these are matrix shards');
      const { MatrixShardSchema, mergeMatrixShards, printMatrix } = await import('./matrix.ts');
      printMatrix(
        mergeMatrixShards(
          inputs.map((x, i) => checked(MatrixShardSchema, x, files[i]!, 'vnic matrix --shard')) as MatrixShard[],
          files,
        ),
        f.json === true,
      );
    });
}

/** The input itself once it passed the schema (the parsed copy could order keys differently, and the output must be byte-exact). */
function checked(
  schema: {
    safeParse(
      x: unknown,
    ): { success: true } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
  },
  x: unknown,
  file: string,
  what: string,
): unknown {
  const p = schema.safeParse(x);
  if (!p.success) {
    const issue = p.error.issues[0]!;
    throw new UsageError(
      `shard ${file}: ${issue.path.length > 0 ? `field ${issue.path.map(String).join('.')}: ` : ''}${issue.message} (a ${what} output is expected)`,
    );
  }
  return x;
}
