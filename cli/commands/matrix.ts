// vnic matrix: every hardware feature combination the four models can realise (VLAN handling × buffer
// delivery × checksum offload × queues) × every engine, for one traffic: whether the driver can run the
// engine there and why not, and what each runnable row achieved. --json: { "rows": [...] }.
// The command's flags and help are ./matrix-command.ts.
import { z } from 'zod';
import { runLab } from '../../lab/run.ts';
import type { ForwardReport } from '../../lab/forward.ts';
import { FORWARD_NET } from '../../lab/forward-net.ts';
import { SCENARIOS, getScenario } from '../../lab/scenarios.ts';
import {
  DEFAULT_FLOW_KIB,
  DEFAULT_FORWARD_TRAFFIC,
  DEFAULT_TRAFFIC,
  type MatrixFlags,
  QUICK_FLOW_KIB,
} from './matrix-command.ts';
import { createModel } from '../../hw-models/registry.ts';
import { DriverOptionsSchema, ENGINES, driverForModel, type Engine } from '../../drivers/index.ts';
import type { Capabilities } from '../../hw-models/capabilities.ts';
import { CheckFailed, UsageError } from '../errors.ts';
import { aggregationRatio, fmtUs, paint, table, throughputGbps, useColour } from '../format.ts';
import { stdout } from '../io.ts';
import { runOrExplain } from './replay.ts';
import { runTasks } from '../pool/pool.ts';
import { progressBar } from '../pool/progress.ts';
import { inShard, joinShards, type Shard } from '../pool/shard.ts';

export const VLAN_MODES = ['in-band', 'strip', 'extract-keep-ethertype'] as const;
export const DELIVERIES = ['linear', 'page-frags', 'header-split'] as const;
export const CHECKSUMS = ['none', 'verified', 'partial'] as const;
export const QUEUE_COUNTS = [1, 4] as const;

export const MatrixResultSchema = z.strictObject({
  framesIn: z.number().int().nonnegative(),
  packetsToStack: z.number().int().nonnegative(),
  /** Wire frames per packet the stack received. */
  aggregationRatio: z.number().nonnegative(),
  cyclesPerKB: z.number().nullable(),
  throughputGbps: z.number().nonnegative(),
  latencyP50Us: z.number().nonnegative(),
  drops: z.number().int().nonnegative(),
  streamsOk: z.boolean(),
});

/** A forwarding row (--forward): the egress against the ingress, and what the host dropped. */
export const MatrixForwardSchema = z.strictObject({
  egressIdenticalToIngress: z.boolean(),
  egressDiffering: z.number().int().nonnegative(),
  lroDisabledByForwarding: z.boolean(),
  drops: z.record(z.string(), z.number().int().nonnegative()),
});

export const MatrixRowSchema = z.strictObject({
  model: z.string(),
  driver: z.string(),
  /** What the hardware does with 802.1Q tags in this configuration ('in-band': they stay in the frame). */
  vlan: z.enum(VLAN_MODES),
  delivery: z.enum(DELIVERIES),
  checksum: z.enum(CHECKSUMS),
  /** e1000 only: the driver verifies TCP checksums in software (what lets LRO run there). */
  softwareChecksum: z.boolean(),
  queues: z.number().int().min(1),
  /** The model config fields that realise the row. */
  modelConfig: z.record(z.string(), z.union([z.boolean(), z.number()])),
  engine: z.enum(ENGINES as unknown as ['lro', 'gro', 'off']),
  /** The driver's support() verdict for the engine on this configuration, and its reason. */
  supported: z.boolean(),
  why: z.string(),
  /** What the run achieved; null when the engine cannot run here. */
  result: MatrixResultSchema.nullable(),
  /** With --forward: how the host sent on what it received (null when the engine cannot run here). */
  forward: MatrixForwardSchema.nullable().optional(),
});
export type MatrixRow = z.infer<typeof MatrixRowSchema>;

export const MatrixCombinationSchema = z.strictObject({
  vlan: z.enum(VLAN_MODES),
  delivery: z.enum(DELIVERIES),
  checksum: z.enum(CHECKSUMS),
  queues: z.number().int(),
});

export const MatrixSchema = z.strictObject({
  traffic: z.string(),
  /** With --forward: the host's mode and kernel policy. */
  forward: z
    .strictObject({ mode: z.enum(['route', 'bridge']), kernel: z.enum(['2.6.24', '2.6.27', 'modern']) })
    .optional(),
  bytesPerFlow: z.number().int().positive().nullable(),
  rows: z.array(MatrixRowSchema),
  /** Hardware combinations no model realises. */
  noModel: z.array(MatrixCombinationSchema),
});
export type Matrix = z.infer<typeof MatrixSchema>;

/** The flags that decide a matrix's rows (a shard records them so that `vnic merge` only joins like with like). */
export const MatrixFlagsSchema = z.strictObject({
  traffic: z.string().optional(),
  flowKib: z.number().int().positive().optional(),
  quick: z.boolean().optional(),
  model: z.string().optional(),
  engine: z.enum(ENGINES as unknown as ['lro', 'gro', 'off']).optional(),
  forward: z.enum(['off', 'route', 'bridge']).optional(),
  kernel: z.enum(['2.6.24', '2.6.27', 'modern']).optional(),
});

/** One shard's part of a matrix (`vnic matrix --shard i/n`): its rows with their places in the whole. */
export const MatrixShardSchema = z.strictObject({
  kind: z.literal('vnic-matrix-shard'),
  shard: z.strictObject({ index: z.number().int().nonnegative(), count: z.number().int().positive() }),
  flags: MatrixFlagsSchema,
  traffic: z.string(),
  bytesPerFlow: z.number().int().positive().nullable(),
  /** Rows in the whole matrix. */
  total: z.number().int().nonnegative(),
  rows: z.array(z.strictObject({ index: z.number().int().nonnegative(), row: MatrixRowSchema })),
  noModel: z.array(MatrixCombinationSchema),
});
export type MatrixShard = z.infer<typeof MatrixShardSchema>;

/** One hardware configuration of a model. */
interface Realisation {
  model: string;
  modelConfig: Record<string, boolean | number>;
  queues: number;
  softwareChecksum: boolean;
}

const bools = [true, false] as const;

/** Every configuration of the four models that changes one of the matrix's hardware features. */
export function realisations(): Realisation[] {
  const out: Realisation[] = [];
  for (const vlanExtract of bools)
    for (const rxChecksum of bools)
      for (const queues of QUEUE_COUNTS) {
        out.push({ model: 'ehea', modelConfig: { vlanExtract, rxChecksum }, queues, softwareChecksum: false });
      }
  for (const vlanStrip of bools)
    for (const headerSplit of [false, true])
      for (const rxChecksum of bools)
        for (const queues of QUEUE_COUNTS) {
          out.push({
            model: 'mq',
            modelConfig: { vlanStrip, headerSplit, rxChecksum },
            queues,
            softwareChecksum: false,
          });
        }
  for (const rxChecksum of bools)
    for (const queues of QUEUE_COUNTS) {
      out.push({ model: 'myri10ge', modelConfig: { rxChecksum }, queues, softwareChecksum: false });
    }
  for (const vlanStrip of bools)
    for (const softwareChecksum of [false, true]) {
      out.push({ model: 'e1000', modelConfig: { vlanStrip }, queues: 1, softwareChecksum });
    }
  return out;
}

/** Runs `vnic matrix` with its flags: the whole matrix (table or --json), or with --shard one shard as JSON. */
export async function runMatrixCommand(f: MatrixFlags, shard: Shard | undefined, o: PoolFlags): Promise<void> {
  if (shard !== undefined) {
    const part = await runMatrixShard(f, shard, o);
    stdout.write(`${JSON.stringify(part)}\n`);
    const bad = part.rows.find(({ row }) => row.result !== null && !row.result.streamsOk);
    if (bad !== undefined)
      throw new CheckFailed(
        `${bad.row.model} ${JSON.stringify(bad.row.modelConfig)} ${bad.row.engine}: a byte stream differs from what was sent`,
      );
    return;
  }
  printMatrix(await buildMatrixPooled(f, o), f.json === true);
}

/** Prints a whole matrix as `vnic matrix` does (also `vnic merge`), and fails when a row's byte stream broke. */
export function printMatrix(m: Matrix, json: boolean): void {
  if (json) stdout.write(`${JSON.stringify(m)}\n`);
  else stdout.write(`${renderMatrix(m, useColour(stdout))}\n`);
  const bad = m.rows.find((r) => r.result !== null && !r.result.streamsOk);
  if (bad !== undefined)
    throw new CheckFailed(
      `${bad.model} ${JSON.stringify(bad.modelConfig)} ${bad.engine}: a byte stream differs from what was sent`,
    );
}

/** One row's run: plain data in and out, so a worker thread can do it. */
export interface MatrixRowTask {
  r: Realisation;
  engine: Engine;
  lab: Record<string, unknown>;
  traffic: Record<string, unknown>;
}

interface MatrixPlan {
  traffic: string;
  forward?: Matrix['forward'];
  bytesPerFlow: number | null;
  tasks: MatrixRowTask[];
}

/** The rows a matrix with these flags has, in order, each as the task that computes it. */
export function matrixPlan(f: MatrixFlags): MatrixPlan {
  const mode = f.forward ?? 'off';
  const name = f.traffic ?? (mode !== 'off' ? DEFAULT_FORWARD_TRAFFIC : DEFAULT_TRAFFIC);
  const s = getScenario(name);
  if (s === undefined)
    throw new UsageError(`--traffic ${name}: no such scenario (scenarios: ${SCENARIOS.map((x) => x.name).join(', ')})`);
  const kib = f.flowKib ?? (f.quick ? QUICK_FLOW_KIB : DEFAULT_FLOW_KIB);
  const traffic: Record<string, unknown> = { ...s.lab.traffic };
  const sized = traffic['bytesPerFlow'] !== undefined;
  if (sized) traffic['bytesPerFlow'] = kib << 10;
  else if (f.quick && typeof traffic['flows'] === 'object')
    traffic['flows'] = (traffic['flows'] as Record<string, unknown>[]).map((x) =>
      x['messages'] !== undefined ? { ...x, messages: 20 } : x,
    );
  const { traffic: _t, ...scenarioLab } = s.lab;
  let lab: Record<string, unknown> = scenarioLab;
  if (f.kernel !== undefined && mode === 'off') throw new UsageError('--kernel applies with --forward route|bridge');
  const forward = mode !== 'off' ? { mode, kernel: f.kernel ?? '2.6.24' } : undefined;
  if (forward !== undefined) {
    lab = { ...lab, forward: { ...forward, egressModel: 'mq' } };
    // the flows' destination lies behind the host: 10.0.1.2 behind the router, the far host's MAC behind the bridge
    if (forward.mode === 'bridge') {
      const tagged =
        Array.isArray(traffic['flows']) &&
        (traffic['flows'] as Record<string, unknown>[]).some((x) => x['vlan'] !== undefined);
      if (tagged)
        throw new UsageError(
          `--forward bridge: --traffic ${name} has VLAN-tagged flows, and the bridge's transmit path sends untagged frames only (choose untagged traffic, e.g. --traffic ${DEFAULT_FORWARD_TRAFFIC})`,
        );
      traffic['nicMac'] = FORWARD_NET.farHostMac;
    } else if (Array.isArray(traffic['flows']))
      traffic['flows'] = (traffic['flows'] as Record<string, unknown>[]).map((x) =>
        x['kind'] !== 'background' ? { ...x, dst: '10.0.1.2' } : x,
      );
  }
  const tasks: MatrixRowTask[] = [];
  for (const r of realisations()) {
    if (f.model !== undefined && r.model !== f.model) continue;
    for (const engine of ENGINES)
      if (f.engine === undefined || engine === f.engine) tasks.push({ r, engine, lab, traffic });
  }
  return {
    traffic: name,
    ...(forward !== undefined ? { forward } : {}),
    bytesPerFlow: sized ? kib << 10 : null,
    tasks,
  };
}

/** Runs every row in this thread, one after the other (docs/figures.ts, tests). */
export function buildMatrix(f: MatrixFlags): Matrix {
  const plan = matrixPlan(f);
  return {
    traffic: plan.traffic,
    ...(plan.forward !== undefined ? { forward: plan.forward } : {}),
    bytesPerFlow: plan.bytesPerFlow,
    rows: plan.tasks.map(runMatrixRow),
    noModel: unrealised(),
  };
}

/** How a sweep's runs are spread: worker threads at a time, and the `--load` modules each worker imports. */
export interface PoolFlags {
  jobs: number;
  loads: string[];
}

async function runRows(tasks: MatrixRowTask[], o: PoolFlags): Promise<MatrixRow[]> {
  const progress = progressBar(tasks.length);
  try {
    return await runTasks<MatrixRow>(
      tasks.map((task) => ({ kind: 'matrix-row', task })),
      {
        jobs: o.jobs,
        loads: o.loads,
        onDone: (done) => progress.update(done),
      },
    );
  } finally {
    progress.end();
  }
}

/** Runs every row over a pool of `jobs` worker threads (progress on stderr when it is a terminal and not CI). */
export async function buildMatrixPooled(f: MatrixFlags, o: PoolFlags): Promise<Matrix> {
  const plan = matrixPlan(f);
  return {
    traffic: plan.traffic,
    ...(plan.forward !== undefined ? { forward: plan.forward } : {}),
    bytesPerFlow: plan.bytesPerFlow,
    rows: await runRows(plan.tasks, o),
    noModel: unrealised(),
  };
}

/** Runs shard `s` of the matrix's rows: what `vnic merge` joins back into the whole. */
export async function runMatrixShard(f: MatrixFlags, s: Shard, o: PoolFlags): Promise<MatrixShard> {
  const plan = matrixPlan(f);
  const mine = plan.tasks.map((task, index) => ({ task, index })).filter(({ index }) => inShard(index, s));
  const rows = await runRows(
    mine.map((m) => m.task),
    o,
  );
  return {
    kind: 'vnic-matrix-shard',
    shard: s,
    flags: matrixFlags(f),
    traffic: plan.traffic,
    bytesPerFlow: plan.bytesPerFlow,
    total: plan.tasks.length,
    rows: rows.map((row, i) => ({ index: mine[i]!.index, row })),
    noModel: unrealised(),
  };
}

/** The flags that decide the rows, as given (defaults left out). */
function matrixFlags(f: MatrixFlags): z.infer<typeof MatrixFlagsSchema> {
  return {
    ...(f.traffic !== undefined ? { traffic: f.traffic } : {}),
    ...(f.flowKib !== undefined ? { flowKib: f.flowKib } : {}),
    ...(f.quick === true ? { quick: true } : {}),
    ...(f.model !== undefined ? { model: f.model } : {}),
    ...(f.engine !== undefined ? { engine: f.engine } : {}),
    ...(f.forward !== undefined ? { forward: f.forward } : {}),
    ...(f.kernel !== undefined ? { kernel: f.kernel } : {}),
  };
}

/** Joins the shards of one matrix into the matrix `vnic matrix` would have printed; `names` label the inputs in errors. */
export function mergeMatrixShards(parts: readonly MatrixShard[], names: readonly string[]): Matrix {
  const { items: rows } = joinShards(
    parts.map((p) => ({
      shard: p.shard,
      total: p.total,
      settings: p.flags,
      items: p.rows.map((r) => ({ index: r.index, item: r.row })),
    })),
    names,
    'flags',
    'row',
  );
  const first = parts[0]!;
  const mode = first.flags.forward ?? 'off';
  return {
    traffic: first.traffic,
    ...(mode !== 'off' ? { forward: { mode, kernel: first.flags.kernel ?? '2.6.24' } } : {}),
    bytesPerFlow: first.bytesPerFlow,
    rows,
    noModel: first.noModel,
  };
}

/** Runs one row: the driver's support() verdict and, when it can run, what the lab achieved. */
export function runMatrixRow({ r, engine, lab, traffic }: MatrixRowTask): MatrixRow {
  const info = driverForModel(r.model);
  if (info === undefined) throw new Error(`no driver registered for model ${r.model}`);
  const caps = capsOf(r, (lab['mtu'] as number | undefined) ?? 1500);
  const options = DriverOptionsSchema.parse({
    engine,
    pollBudget: 64,
    ...(r.softwareChecksum ? { softwareChecksum: true } : {}),
  });
  const support = info.support(engine, caps, options);
  const base = {
    model: r.model,
    driver: info.name,
    vlan: vlanOf(caps),
    delivery: deliveryOf(caps),
    checksum: caps.rxChecksum,
    softwareChecksum: r.softwareChecksum,
    queues: r.queues,
    modelConfig: r.modelConfig,
    engine,
    supported: support.ok,
    why: support.why,
  } satisfies Omit<MatrixRow, 'result'>;
  const forwarding = lab['forward'] !== undefined;
  if (!support.ok) return { ...base, result: null, ...(forwarding ? { forward: null } : {}) };
  const res = runOrExplain(() =>
    runLab({
      ...lab,
      model: r.model,
      engine,
      modelConfig: r.modelConfig,
      traffic,
      ...(r.model !== 'e1000' ? { queues: r.queues } : {}),
      ...(r.softwareChecksum ? { softwareChecksum: true } : {}),
    }),
  );
  const rep = res.report;
  const fw = rep.forward as ForwardReport | undefined;
  return {
    ...base,
    ...(fw !== undefined
      ? {
          forward: {
            egressIdenticalToIngress: fw.egressIdenticalToIngress,
            egressDiffering: fw.egressDiffering,
            lroDisabledByForwarding: fw.lroDisabledByForwarding === 1,
            drops: fw.drops,
          },
        }
      : {}),
    result: {
      framesIn: rep.framesIn,
      packetsToStack: rep.framesToStack,
      aggregationRatio: round(aggregationRatio(rep), 3),
      cyclesPerKB: rep.cpu.cyclesPerKB === null ? null : Math.round(rep.cpu.cyclesPerKB),
      throughputGbps: round(throughputGbps(rep), 3),
      latencyP50Us: round(rep.latency.p50Us, 2),
      drops: rep.dropsTotal,
      streamsOk: rep.allStreamsOk && res.conservation.ok,
    },
  };
}

function round(x: number, d: number): number {
  const k = 10 ** d;
  return Math.round(x * k) / k;
}

/** The capabilities of a model instance with this config (what the driver's support() looks at). */
function capsOf(r: Realisation, mtu: number): Capabilities {
  const q = r.model === 'myri10ge' ? { slices: r.queues } : r.model === 'e1000' ? {} : { queues: r.queues };
  return createModel(r.model, { promiscuous: true, mtu, ...r.modelConfig, ...q }).capabilities;
}

function vlanOf(c: Capabilities): MatrixRow['vlan'] {
  return c.vlan === 'none' ? 'in-band' : c.vlan;
}
function deliveryOf(c: Capabilities): MatrixRow['delivery'] {
  return c.headerSplit ? 'header-split' : c.delivery;
}

/** Hardware combinations (engine aside) that none of the realisations has. */
export function unrealised(): z.infer<typeof MatrixCombinationSchema>[] {
  const have = new Set<string>();
  for (const r of realisations()) {
    const c = capsOf(r, 1500);
    have.add(`${vlanOf(c)}|${deliveryOf(c)}|${c.rxChecksum}|${r.queues}`);
  }
  const out: z.infer<typeof MatrixCombinationSchema>[] = [];
  for (const vlan of VLAN_MODES)
    for (const delivery of DELIVERIES)
      for (const checksum of CHECKSUMS)
        for (const queues of QUEUE_COUNTS) {
          if (!have.has(`${vlan}|${delivery}|${checksum}|${queues}`)) out.push({ vlan, delivery, checksum, queues });
        }
  return out;
}

/** The matrix as a table; refusals as numbered notes below it, then what no model has. */
export function renderMatrix(m: Matrix, colour: boolean): string {
  const p = paint(colour);
  const notes: string[] = [];
  const note = (why: string) => {
    let i = notes.indexOf(why);
    if (i < 0) {
      notes.push(why);
      i = notes.length - 1;
    }
    return i + 1;
  };
  const rows = m.rows.map((r) => {
    const settings = [
      ...Object.entries(r.modelConfig).map(([k, v]) => `${k} ${v === true ? 'on' : v === false ? 'off' : v}`),
      ...(r.softwareChecksum ? ['softwareChecksum on'] : []),
    ].join(', ');
    const hw = [r.vlan, r.delivery, r.checksum, String(r.queues)];
    const fwd =
      m.forward === undefined
        ? []
        : r.forward === null || r.forward === undefined
          ? ['', '']
          : [
              r.forward.egressIdenticalToIngress
                ? p.green('yes')
                : p.red(`no (${r.forward.egressDiffering} differ)`) +
                  (r.forward.lroDisabledByForwarding ? ' LRO off' : ''),
              Object.entries(r.forward.drops)
                .map(([k, v]) => `${k} ${v}`)
                .join(', ') || '—',
            ];
    if (r.result === null)
      return [r.model, settings, ...hw, r.engine, p.yellow(`refused [${note(r.why)}]`), '', '', '', '', ...fwd];
    const x = r.result;
    return [
      r.model,
      settings,
      ...hw,
      r.engine,
      `${x.aggregationRatio.toFixed(2)}×`,
      x.cyclesPerKB === null ? '—' : String(x.cyclesPerKB),
      x.throughputGbps.toFixed(2),
      fmtUs(x.latencyP50Us),
      x.streamsOk ? p.green('yes') : p.red('NO'),
      ...fwd,
    ];
  });
  const out = [
    p.bold(
      `traffic ${m.traffic}${m.bytesPerFlow !== null ? `, ${m.bytesPerFlow >> 10} KiB per bulk flow` : ''}${m.forward !== undefined ? `, ${m.forward.mode === 'bridge' ? 'bridged' : 'routed'} (kernel ${m.forward.kernel})` : ''}: ${m.rows.length} rows`,
    ),
    '',
  ];
  out.push(
    table(rows, [
      'model',
      'config',
      'VLAN',
      'delivery',
      'rx csum',
      'queues',
      'engine',
      'aggr',
      'cycles/KB',
      'Gb/s',
      'p50',
      'streams OK',
      ...(m.forward !== undefined ? ['egress = ingress', 'forwarding drops'] : []),
    ]),
  );
  if (notes.length > 0) {
    out.push('', p.bold('refused:'));
    notes.forEach((n, i) => out.push(`  [${i + 1}] ${n}`));
  }
  if (m.noModel.length > 0) {
    out.push(
      '',
      p.bold(
        `no model realises (${m.noModel.length} of ${VLAN_MODES.length * DELIVERIES.length * CHECKSUMS.length * QUEUE_COUNTS.length} combinations):`,
      ),
    );
    const groups = new Map<string, Set<string>>();
    for (const c of m.noModel) {
      const k = `${c.vlan} + ${c.delivery}`;
      let g = groups.get(k);
      if (g === undefined) {
        g = new Set();
        groups.set(k, g);
      }
      g.add(`${c.checksum}/${c.queues}q`);
    }
    for (const [k, g] of groups)
      out.push(
        `  ${k}: ${g.size === CHECKSUMS.length * QUEUE_COUNTS.length ? 'any checksum, any queues' : [...g].join(', ')}`,
      );
  }
  return out.join('\n');
}
