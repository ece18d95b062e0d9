// `vnic test-driver`: runs a driver on every model and configuration it claims to support (VLAN modes,
// checksum offload, header split, queues, MTU up to jumbo, NAPI or netif_rx delivery, each engine) under
// clean, lossy, reordered, corrupted and VLAN-mixed traffic, with the NAPI rules of lab/driver-rules.ts
// watched on every run. Configurations vary one field at a time from the model's defaults.
import { createModel, isRegistered } from '../hw-models/registry.ts';
import { ENGINES, type DriverInfo, type Engine } from '../drivers/driver.ts';
import { DriverOptionsSchema } from '../drivers/driver.ts';
import { MODEL_KNOBS } from './knobs.ts';
import { runLab, type LabConfig } from './run.ts';
import { RULE_NAMES, RuleWatch, type RuleName, type Violation } from './driver-rules.ts';

/** The traffic every configuration sees, by name. */
export const TEST_TRAFFIC = ['clean', 'lossy', 'reordered', 'corrupted', 'vlan-mixed'] as const;
export type TestTraffic = (typeof TEST_TRAFFIC)[number];

const JUMBO_MTU = 9000;
/** A NAPI weight small enough that polls use their whole budget (the stays-scheduled path). */
const SMALL_BUDGET = 2;
const BYTES_PER_FLOW = 48 << 10;

/** One configuration of one model: what differs from the defaults, as lab config fields. */
export interface DriverTestConfig {
  model: string;
  /** "defaults", "vlanStrip=false", "mtu=9000", … */
  label: string;
  lab: Omit<LabConfig, 'traffic' | 'capture'>;
}

export interface DriverTestRun {
  model: string;
  config: string;
  engine: Engine;
  traffic: TestTraffic;
  violations: Violation[];
}

export interface DriverTestReport {
  driver: string;
  /** Every run, passed or not. */
  runs: DriverTestRun[];
  /** Configurations the driver refused (engine not supported there), with its reason: not failures. */
  skipped: { model: string; config: string; engine: Engine; why: string }[];
  /** Each broken rule once, with the first run that broke it and how many runs did. */
  broken: { rule: RuleName; runs: number; first: DriverTestRun & { violation: Violation } }[];
  ok: boolean;
}

/** The configurations of `model` a driver is tried on: the defaults, then each knob changed alone. */
export function testConfigs(model: string): DriverTestConfig[] {
  const base = { model };
  const out: DriverTestConfig[] = [{ model, label: 'defaults', lab: base }];
  for (const [field, values] of Object.entries(MODEL_KNOBS[model]?.variants ?? {})) {
    for (const v of values)
      out.push({ model, label: `${field}=${String(v)}`, lab: { ...base, modelConfig: { [field]: v } } });
  }
  const caps = createModel(model).capabilities;
  if (caps.maxMtu >= JUMBO_MTU) out.push({ model, label: `mtu=${JUMBO_MTU}`, lab: { ...base, mtu: JUMBO_MTU } });
  out.push({ model, label: `pollBudget=${SMALL_BUDGET}`, lab: { ...base, pollBudget: SMALL_BUDGET } });
  out.push({ model, label: 'nonNapi (netif_rx)', lab: { ...base, nonNapi: true } });
  out.push({ model, label: 'softwareChecksum', lab: { ...base, softwareChecksum: true } });
  return out;
}

/** The generated traffic of one kind, sized for the MTU. */
export function testTraffic(kind: TestTraffic, mtu: number, seed = 11): Record<string, unknown> {
  const mss = mtu - 52; // IPv4 + TCP with timestamps
  const bulk = { kind: 'bulk', count: 2, mss };
  const impairments: Record<TestTraffic, Record<string, unknown>> = {
    clean: {},
    lossy: { loss: 0.02 },
    reordered: { reorder: { p: 0.05, depth: 4 }, duplicate: 0.01 },
    corrupted: { corrupt: { p: 0.01, where: 'any' }, badChecksum: { p: 0.01 } },
    'vlan-mixed': {},
  };
  const flows =
    kind === 'vlan-mixed'
      ? [
          { ...bulk, count: 1, vlan: { vid: 5 } },
          { ...bulk, count: 1, sport: 41000 },
          { ...bulk, count: 1, sport: 42000, vlan: { vid: 7 } },
        ]
      : [bulk];
  return { seed, rateGbps: 10, bytesPerFlow: BYTES_PER_FLOW, flows, impairments: impairments[kind] };
}

/**
 * Runs one configuration with one engine and one traffic kind, the rules watched: what broke, or why the
 * driver refused the configuration (it threw while being created or opened, as a probe that fails).
 */
export function checkRun(
  config: DriverTestConfig,
  driver: string,
  engine: Engine,
  traffic: TestTraffic,
): Violation[] | { refused: string } {
  let watch: RuleWatch | null = null;
  const mtu = config.lab.mtu ?? 1500;
  try {
    const r = runLab(
      { ...config.lab, driver, engine, traffic: testTraffic(traffic, mtu) },
      {
        onOpen: ({ model, driver: d, stack }) => {
          watch = new RuleWatch(model, d, stack);
        },
      },
    );
    return (watch as RuleWatch | null)?.finish(r) ?? [];
  } catch (e) {
    const w = watch as RuleWatch | null;
    if (w === null) return { refused: e instanceof Error ? e.message : String(e) };
    const v = w.violationOf(e);
    if (v !== null) return [v];
    throw e;
  }
}

/** Whether `info` supports `engine` in `config`, asked with the model built as the run would build it. */
function supportOf(info: DriverInfo, config: DriverTestConfig, engine: Engine): { ok: boolean; why: string } {
  const caps = createModel(config.model, {
    promiscuous: true,
    mtu: config.lab.mtu ?? 1500,
    ...config.lab.modelConfig,
  }).capabilities;
  const options = DriverOptionsSchema.parse({
    engine,
    ...(config.lab.pollBudget !== undefined ? { pollBudget: config.lab.pollBudget } : {}),
    ...(config.lab.softwareChecksum !== undefined ? { softwareChecksum: config.lab.softwareChecksum } : {}),
    ...(config.lab.nonNapi !== undefined ? { nonNapi: config.lab.nonNapi } : {}),
  });
  return info.support(engine, caps, options);
}

/** A part of the matrix: the configurations (by label) and the traffic kinds to run; each absent means all. */
export interface MatrixPart {
  configs?: readonly string[];
  traffic?: readonly TestTraffic[];
}

/**
 * Runs the matrix for one driver: the whole of it (what `vnic test-driver` does), or `part` of it. `onRun` sees each
 * run as it finishes (progress).
 */
export function testDriver(
  info: DriverInfo,
  onRun?: (r: DriverTestRun) => void,
  part: MatrixPart = {},
): DriverTestReport {
  const traffics = TEST_TRAFFIC.filter((t) => part.traffic?.includes(t) ?? true);
  const runs: DriverTestRun[] = [];
  const skipped: DriverTestReport['skipped'] = [];
  for (const model of info.models) {
    if (!isRegistered(model)) {
      skipped.push({ model, config: '-', engine: info.defaultEngine, why: `model '${model}' is not registered` });
      continue;
    }
    for (const config of testConfigs(model)) {
      if (part.configs !== undefined && !part.configs.includes(config.label)) continue;
      for (const engine of ENGINES) {
        let s: { ok: boolean; why: string };
        try {
          s = supportOf(info, config, engine);
        } catch (e) {
          s = { ok: false, why: (e as Error).message };
        }
        if (!s.ok) {
          skipped.push({ model, config: config.label, engine, why: s.why });
          continue;
        }
        for (const traffic of traffics) {
          const v = checkRun(config, info.name, engine, traffic);
          if (!Array.isArray(v)) {
            skipped.push({ model, config: config.label, engine, why: v.refused });
            break;
          }
          const run: DriverTestRun = { model, config: config.label, engine, traffic, violations: v };
          runs.push(run);
          onRun?.(run);
        }
      }
    }
  }
  const broken: DriverTestReport['broken'] = [];
  for (const rule of RULE_NAMES) {
    const hit = runs.filter((r) => r.violations.some((v) => v.rule === rule));
    const first = hit[0];
    if (first !== undefined)
      broken.push({
        rule,
        runs: hit.length,
        first: { ...first, violation: first.violations.find((v) => v.rule === rule)! },
      });
  }
  return { driver: info.name, runs, skipped, broken, ok: broken.length === 0 && runs.length > 0 };
}
