// What `vnic-lab/cli` offers programs that read the CLI's JSON: the zod schemas of every --json output
// (validate with `Schema.parse(JSON.parse(stdout))`) and their types. The command itself is cli/main.ts.
import { z } from 'zod';
import { RunReportSchema } from '../lab/run-report.ts';
import { SeedSummarySchema } from '../lab/seeds.ts';

export { RunReportSchema, FlowReportSchema } from '../lab/run-report.ts';
export type { RunReport, FlowReport } from '../lab/run-report.ts';
export { ReportDataSchema, parseReportData, ReportDataError } from '../report/html.ts';
export type { ReportData, SeedRunsData } from '../report/html.ts';

/** `vnic run --json`: one report per run, in the order they ran. */
export const RunOutputSchema = z.object({
  /** Every run: one per configuration and seed, configurations in order, seeds in order within each. */
  runs: z.array(RunReportSchema),
  seeds: z.array(z.number().int()),
  /** Per configuration: median, min and max of each figure over the seeds. */
  summary: z.array(SeedSummarySchema),
});
export type RunOutput = z.infer<typeof RunOutputSchema>;

/** `vnic replay --json`: the run report of the replay. */
export const ReplayOutputSchema = RunReportSchema;
export type ReplayOutput = z.infer<typeof ReplayOutputSchema>;

/** `vnic matrix --json`: every hardware combination × engine, what ran and why not. */
export { MatrixSchema, MatrixRowSchema, MatrixResultSchema, MatrixCombinationSchema } from './commands/matrix.ts';
export type { Matrix, MatrixRow } from './commands/matrix.ts';

/** The tables `vnic run` and `vnic drivers` print, for programs and examples that show runs side by side. */
export { comparisonTable, table } from './format.ts';

/** The `vnic` command as a program: run it in-process with your own streams (`runCli(argv, io)`). */
export { buildProgram, runCli } from './program.ts';
export type { CliIO, CliStream } from './io.ts';
