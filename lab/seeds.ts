// Many seeds per configuration: the configurations a scenario compares (its variants, or the engines
// the driver supports), one run per (configuration, seed) through `runSeed`, and per configuration
// the median and min–max of every figure. `runSeed` is the unit of work: a caller may run the plain
// loop in `runSeeds` or hand (plan, seed) pairs to workers; the summary depends only on the reports.
import { z } from 'zod';
import type { RunReport } from './run-report.ts';
import type { Engine } from '../drivers/index.ts';
import { runMulticore } from './multicore.ts';
import { runLab, type LabConfig, type RunOptions, type RunResult } from './run.ts';
import { engineLabel, type Scenario, type SenderKind } from './scenarios.ts';

/** One configuration to run, under its label in tables and JSON. */
export interface RunPlan {
  label: string;
  config: LabConfig;
}

/** What the caller fixes over every plan (flags win over a scenario's variants). */
export interface PlanOverrides {
  ackCounting?: 'gso_segs' | 'per-packet';
  sender?: SenderKind;
}

/** `config` with the traffic's sender replaced (a config without generated traffic is returned unchanged). */
export function withSender(config: LabConfig, sender: SenderKind | undefined): LabConfig {
  if (sender === undefined || config.traffic === undefined) return config;
  return { ...config, traffic: { ...(config.traffic as object), sender } };
}

/** `config` with the traffic seed set (a replayed capture has no seed: unchanged). */
export function withSeed(config: LabConfig, seed: number): LabConfig {
  if (config.traffic === undefined) return config;
  return { ...config, traffic: { ...(config.traffic as object), seed } };
}

/**
 * The plans for a base config: one per engine in `engines`, or, when `engines` is undefined and the
 * scenario names variants, one per variant. `over` is applied last.
 */
export function plansFor(
  base: LabConfig,
  scenario: Scenario | undefined,
  engines: readonly Engine[] | undefined,
  over: PlanOverrides = {},
): RunPlan[] {
  const finish = (label: string, c: LabConfig): RunPlan => {
    let config = over.ackCounting !== undefined ? { ...c, ackCounting: over.ackCounting } : c;
    config = withSender(config, over.sender);
    return { label, config: { ...config, label } };
  };
  if (engines === undefined && scenario?.variants !== undefined) {
    return scenario.variants.map((v) =>
      finish(
        v.label,
        withSender(
          {
            ...base,
            engine: v.engine,
            ...(v.ackCounting !== undefined ? { ackCounting: v.ackCounting } : {}),
            ...(v.kernel !== undefined ? { forward: { ...base.forward, kernel: v.kernel } } : {}),
          },
          v.sender,
        ),
      ),
    );
  }
  return (engines ?? ['off', 'lro']).map((e) => finish(engineLabel(e), { ...base, engine: e }));
}

/** One run of one plan with one traffic seed: the unit a worker pool may run in parallel. */
export function runSeed(plan: RunPlan, seed: number, opts: RunOptions = {}): RunResult {
  return runLab(withSeed(plan.config, seed), opts);
}

/** One (plan, seed) run named by plain data: what `vnic run --seeds N --jobs J` hands a worker of its pool. */
export interface SeedRunTask {
  plan: RunPlan;
  seed: number;
}

/** What a seeded run sends back across a thread: the report and the conservation check, plain data. */
export interface SeedRunAnswer {
  report: RunReport;
  conservation: RunResult['conservation'];
}

/** Runs one task; the same function serves the main thread (`--jobs 1`) and every worker, so both give the same bytes. */
export function runSeedTask(t: SeedRunTask): SeedRunAnswer {
  const config = withSeed(t.plan.config, t.seed);
  if ((config.cpus ?? 1) > 1) return runMulticore(config);
  const r = runLab(config);
  return { report: r.report, conservation: r.conservation };
}

/** The seeds a run uses: `first`, `first + 1`, … (`count` of them). */
export function seedList(first: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => (first + i) >>> 0);
}

export const SpreadSchema = z.object({ median: z.number(), min: z.number(), max: z.number() });
export type Spread = z.infer<typeof SpreadSchema>;

/** The figures summarised per configuration, each from one run's report. */
export const FIGURES = {
  durationMs: (r: RunReport) => r.durationNs / 1e6,
  throughputGbps: (r: RunReport) => (r.durationNs > 0 ? (r.bytesDelivered * 8) / r.durationNs : 0),
  aggregationRatio: (r: RunReport) => (r.framesToStack === 0 ? 0 : r.wireFramesToStack / r.framesToStack),
  cyclesPerKB: (r: RunReport) => r.cpu.cyclesPerKB ?? 0,
  cpuUtilisation: (r: RunReport) => r.cpu.utilisation,
  sustainableGbps: (r: RunReport) => r.cpu.sustainableGbps ?? 0,
  latencyP50Us: (r: RunReport) => r.latency.p50Us,
  latencyP99Us: (r: RunReport) => r.latency.p99Us,
  acksSent: (r: RunReport) => r.acksSent,
  drops: (r: RunReport) => r.dropsTotal,
  retransmits: (r: RunReport) => r.counters['sender']?.['retransmits'] ?? 0,
  timeouts: (r: RunReport) => r.counters['sender']?.['timeouts'] ?? 0,
} as const satisfies Record<string, (r: RunReport) => number>;
export type Figure = keyof typeof FIGURES;

export const SeedSummarySchema = z.object({
  label: z.string(),
  seeds: z.array(z.number().int()),
  /** Median (for an even count, the mean of the middle two), smallest and largest over the seeds. */
  figures: z.record(z.string(), SpreadSchema),
  /** Every seed's byte streams intact and every frame accounted for. */
  allOk: z.boolean(),
});
export type SeedSummary = z.infer<typeof SeedSummarySchema>;

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error('spread of no values');
  const v = [...values].sort((a, b) => a - b);
  const m = v.length >> 1;
  return { median: v.length % 2 === 1 ? v[m]! : (v[m - 1]! + v[m]!) / 2, min: v[0]!, max: v[v.length - 1]! };
}

/** The summary of one plan's runs (one report per seed, in `seeds` order). */
export function summarise(label: string, seeds: readonly number[], reports: readonly RunReport[]): SeedSummary {
  const figures: Record<string, Spread> = {};
  for (const [name, f] of Object.entries(FIGURES)) figures[name] = spread(reports.map(f));
  const conserved = (r: RunReport) => (r.counters['conservation']?.['ok'] ?? 1) === 1;
  return { label, seeds: [...seeds], figures, allOk: reports.every((r) => r.allStreamsOk && conserved(r)) };
}

/** Every plan with every seed, in a plain loop; `done` is told after each run. */
export function runSeeds(
  plans: readonly RunPlan[],
  seeds: readonly number[],
  done: (plan: RunPlan, seed: number, r: RunResult) => void = () => {},
): { results: RunResult[][]; summaries: SeedSummary[] } {
  const results = plans.map((plan) =>
    seeds.map((seed) => {
      const r = runSeed(plan, seed);
      done(plan, seed, r);
      return r;
    }),
  );
  const summaries = plans.map((p, i) =>
    summarise(
      p.label,
      seeds,
      results[i]!.map((r) => r.report),
    ),
  );
  return { results, summaries };
}
