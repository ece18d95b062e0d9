// vnic report's shards: the JSON one `vnic report --shard i/n` prints, and how `vnic merge --html` joins them into the
// page the unsharded command writes. Loaded only when a report is written or merged.
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { RunReportSchema } from '../../lab/run-report.ts';
import type { LabConfig } from '../../lab/run.ts';
import { planReport, type CollectedReport, type LabRunSummary } from '../../report/collect.ts';
import { renderReportHtml } from '../../report/html.ts';
import { CheckFailed, UsageError } from '../errors.ts';
import { stderr, stdout } from '../io.ts';
import { joinShards } from '../pool/shard.ts';
import { checkWritable } from './common.ts';
import { runOrExplain } from './replay.ts';

/** What decides a report's runs and page (a shard carries it, so `vnic merge` plans and draws the same page). */
const ReportOptionsSchema = z.strictObject({
  base: z.record(z.string(), z.unknown()),
  traffic: z.string().optional(),
  quick: z.boolean(),
  seed: z.number().int().nonnegative(),
  seeds: z.number().int().positive().optional(),
  generatedBy: z.string(),
});

/** ReportOptionsSchema's shape, as planReport takes it. */
export interface ReportOptions {
  base: Partial<LabConfig>;
  traffic?: string;
  quick: boolean;
  seed: number;
  /** Seeds per configuration (default 1). */
  seeds?: number;
  generatedBy: string;
}

const LabRunSummarySchema = z.strictObject({
  report: RunReportSchema,
  failure: z.string().nullable(),
  rings: z.array(
    z.strictObject({
      queue: z.number().int(),
      name: z.string(),
      role: z.enum(['rx', 'rx-writeback', 'completion']),
      base: z.number().int(),
      entries: z.number().int(),
      entrySize: z.number().int(),
      bufferBytes: z.number().int(),
    }),
  ),
});

/** One shard of a report's runs (`vnic report --shard i/n`). */
export const ReportShardSchema = z.strictObject({
  kind: z.literal('vnic-report-shard'),
  shard: z.strictObject({ index: z.number().int().nonnegative(), count: z.number().int().positive() }),
  options: ReportOptionsSchema,
  /** Runs in the whole report. */
  total: z.number().int().nonnegative(),
  runs: z.array(z.strictObject({ index: z.number().int().nonnegative(), summary: LabRunSummarySchema })),
});
export interface ReportShard {
  kind: 'vnic-report-shard';
  shard: { index: number; count: number };
  options: ReportOptions;
  total: number;
  runs: { index: number; summary: LabRunSummary }[];
}

/** Writes the page (and with `json` its data on stdout); fails when a run lost a frame or a byte. */
export function writeReport(collected: CollectedReport, html: string, json: boolean): void {
  try {
    writeFileSync(html, renderReportHtml(collected.data));
  } catch (e) {
    throw new UsageError(`--html ${html}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (json) stdout.write(`${JSON.stringify(collected.data)}\n`);
  stderr.write(`wrote ${html} (${collected.runCount} runs)\n`);
  if (collected.failures.length > 0) throw new CheckFailed(collected.failures[0]!);
}

/** Joins the shards of one report (`names` label them in errors) and writes the page the unsharded command writes. */
export function mergeReportShards(
  parts: readonly ReportShard[],
  names: readonly string[],
  html: string | undefined,
  json: boolean,
): void {
  if (html === undefined) throw new UsageError('merge: report shards need --html <file>: where to write the page');
  checkWritable('--html', html);
  const { items: summaries } = joinShards(
    parts.map((p) => ({
      shard: p.shard,
      total: p.total,
      settings: p.options,
      items: p.runs.map((r) => ({ index: r.index, item: r.summary })),
    })),
    names,
    'options',
    'run',
  );
  const first = parts[0]!;
  const plan = runOrExplain(() => planReport(first.options));
  if (plan.tasks.length !== first.total)
    throw new UsageError(
      `merge: the shards hold ${first.total} runs, this vnic plans ${plan.tasks.length} for their options (another version?)`,
    );
  writeReport(plan.assemble(summaries), html, json);
}
