// The feature matrix: which engine (inet_lro, GRO, none) works on which hardware, and why — asked of each
// driver's `support()` with the capabilities of a model instance (so a config such as rxChecksum: false
// counts) — then confirmed by a short run of every supported pair. Run: npx tsx examples/feature-matrix.ts
import { pathToFileURL } from 'node:url';
import { DriverOptionsSchema, driverForModel, type Engine } from 'vnic-lab/drivers';
import { createModel } from 'vnic-lab/hw-models';
import { runLab } from 'vnic-lab/lab';
import { table } from 'vnic-lab/cli';

/** One piece of hardware: a model, its config, and driver options that matter for support. */
export interface Hardware { name: string; model: string; modelConfig: Record<string, unknown>; softwareChecksum?: boolean }
export interface MatrixRow { hardware: string; driver: string; engine: Engine; ok: boolean; why: string; ratio?: number; intact?: boolean }

export const HARDWARE: readonly Hardware[] = [
  { name: 'ehea', model: 'ehea', modelConfig: {} },
  { name: 'ehea, rx checksum off', model: 'ehea', modelConfig: { rxChecksum: false } },
  { name: 'myri10ge', model: 'myri10ge', modelConfig: {} },
  { name: 'myri10ge, rx checksum off', model: 'myri10ge', modelConfig: { rxChecksum: false } },
  { name: 'e1000', model: 'e1000', modelConfig: {} },
  { name: 'e1000 + software checksum', model: 'e1000', modelConfig: {}, softwareChecksum: true },
  { name: 'mq', model: 'mq', modelConfig: {} },
  { name: 'mq, header split', model: 'mq', modelConfig: { headerSplit: true } },
];
const ENGINES: readonly Engine[] = ['off', 'lro', 'gro'];
/** Two bulk flows of 2 MiB: long enough for trains to form, short enough to run every pair in seconds. */
const TRAFFIC = { rateGbps: 10, seed: 3, rtoNs: 10_000_000, bytesPerFlow: 2 << 20, flows: [{ kind: 'bulk', count: 2 }] };

export function matrix(run = true): MatrixRow[] {
  const rows: MatrixRow[] = [];
  for (const hw of HARDWARE) {
    const driver = driverForModel(hw.model)!;
    const caps = createModel(hw.model, hw.modelConfig).capabilities;     // this instance's capabilities
    const sw = hw.softwareChecksum !== undefined ? { softwareChecksum: hw.softwareChecksum } : {};
    for (const engine of ENGINES) {
      const s = driver.support(engine, caps, DriverOptionsSchema.parse({ engine, ...sw }));
      const row: MatrixRow = { hardware: hw.name, driver: driver.name, engine, ok: s.ok, why: s.why };
      if (s.ok && run) {
        const r = runLab({ model: hw.model, modelConfig: hw.modelConfig, engine, traffic: TRAFFIC, ...sw });
        row.ratio = r.report.framesIn / Math.max(1, r.report.framesToStack);
        row.intact = r.report.allStreamsOk && r.conservation.ok;
      }
      rows.push(row);
    }
  }
  return rows;
}

export function main(): MatrixRow[] {
  const rows = matrix();
  const cell = (r: MatrixRow): string => !r.ok ? 'no' : `${r.ratio!.toFixed(2)}×${r.intact! ? '' : ' (BROKEN)'}`;
  const hw = [...new Set(rows.map((r) => r.hardware))];
  console.log(table(hw.map((h) => [h, ...ENGINES.map((e) => cell(rows.find((r) => r.hardware === h && r.engine === e)!))]),
    ['hardware (driver = the model\'s own)', 'off', 'lro', 'gro']));
  console.log('\ncells: aggregation ratio (frames in / packets to the stack) of a 2 × 2 MiB bulk run; "no": support() refuses\n\nwhy not:');
  for (const r of rows) if (!r.ok) console.log(`  ${r.hardware} / ${r.engine}: ${r.why}`);
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
