// The impairment matrix: loss, reordering (depth 1–64), duplication and corruption at 0.1, 1 and
// 10 % on bulk and many-flow traffic through every engine; every flow's byte stream must arrive
// intact (the senders retransmit what is lost or corrupted) and every frame be accounted for.
import { runLab, type LabConfig } from '../lab/run.ts';
import { allCombos, comboName, type Combo } from './engine.ts';

export const IMPAIRMENTS = ['loss', 'reorder', 'duplicate', 'corrupt'] as const;
export type Impairment = (typeof IMPAIRMENTS)[number];
export const RATES = [0.001, 0.01, 0.1] as const;
export const TRAFFIC = ['bulk', 'many-flows'] as const;

export interface MatrixRow {
  impairment: Impairment;
  rate: number;
  depth?: number;
  traffic: (typeof TRAFFIC)[number];
  combo: string;
  flows: number;
  flowsIntact: number;
  frames: number;
  drops: number;
  ok: boolean;
}
export interface MatrixSummary {
  runs: number;
  flows: number;
  flowsIntact: number;
  rows: MatrixRow[];
  failures: string[];
}

function impairmentConfig(kind: Impairment, rate: number, depth: number): Record<string, unknown> {
  switch (kind) {
    case 'loss':
      return { loss: rate };
    case 'reorder':
      return { reorder: { p: rate, depth } };
    case 'duplicate':
      return { duplicate: rate };
    case 'corrupt':
      return { corrupt: { p: rate, where: 'any' } };
  }
}

function trafficConfig(traffic: (typeof TRAFFIC)[number], quick: boolean): Record<string, unknown> {
  return traffic === 'bulk'
    ? { rtoNs: 2_000_000, rateGbps: 10, bytesPerFlow: quick ? 512 << 10 : 4 << 20, flows: [{ kind: 'bulk' }] }
    : {
        rtoNs: 2_000_000,
        rateGbps: 10,
        bytesPerFlow: quick ? 32 << 10 : 64 << 10,
        flows: [{ kind: 'bulk', count: quick ? 16 : 64, sendWindow: 16384 }],
      };
}

/** One cell: a lab run with the impairment; checks byte streams and conservation. */
export function matrixCell(
  combo: Combo,
  kind: Impairment,
  rate: number,
  traffic: (typeof TRAFFIC)[number],
  opts: { quick?: boolean; seed?: number; depth?: number } = {},
): MatrixRow & { failure?: string } {
  const depth = opts.depth ?? 3;
  const cfg: LabConfig = {
    model: combo.model,
    driver: combo.driver,
    engine: combo.engine,
    ...(combo.softwareChecksum === true ? { softwareChecksum: true } : {}),
    traffic: {
      ...trafficConfig(traffic, opts.quick === true),
      seed: opts.seed ?? 1,
      impairments: impairmentConfig(kind, rate, depth),
    },
  };
  const row: MatrixRow & { failure?: string } = {
    impairment: kind,
    rate,
    ...(kind === 'reorder' ? { depth } : {}),
    traffic,
    combo: comboName(combo),
    flows: 0,
    flowsIntact: 0,
    frames: 0,
    drops: 0,
    ok: false,
  };
  try {
    const r = runLab(cfg);
    const rep = r.report;
    row.flows = Object.keys(rep.flows).length;
    row.flowsIntact = Object.values(rep.flows).filter((f) => f.byteStreamOk).length;
    row.frames = rep.framesIn;
    row.drops = rep.dropsTotal;
    const st = r.stack.stats;
    const problems: string[] = [];
    if (!rep.allStreamsOk)
      problems.push(
        `byte streams: ${row.flowsIntact}/${row.flows} intact, missing ${rep.missingFlows.length}, unexpected ${rep.unexpectedFlows.length}`,
      );
    if (!r.conservation.ok) problems.push(`conservation ${JSON.stringify(r.conservation)}`);
    if (st.skbsIn !== st.consumed + st.dropped + r.stack.held)
      problems.push(`stack conservation: skbsIn ${st.skbsIn} ≠ ${st.consumed} + ${st.dropped} + ${r.stack.held}`);
    row.ok = problems.length === 0;
    if (!row.ok) row.failure = problems.join('; ');
  } catch (e) {
    row.failure = `exception: ${(e as Error).message}`;
  }
  return row;
}

/** The whole matrix (or the short CI one: fewer bytes, one combination per engine). */
export function impairmentMatrix(
  o: { quick?: boolean; seed?: number; combos?: Combo[]; onProgress?: (done: number, total: number) => void } = {},
): MatrixSummary {
  const all = o.combos ?? allCombos();
  const combos =
    o.quick === true && o.combos === undefined
      ? all.filter((c) =>
          ['ehea/ehea/lro', 'myri10ge/myri10ge/gro', 'mq/mq/off', 'e1000/e1000/gro'].includes(comboName(c)),
        )
      : all;
  const cells: { combo: Combo; kind: Impairment; rate: number; traffic: (typeof TRAFFIC)[number]; depth: number }[] =
    [];
  for (const combo of combos)
    for (const traffic of TRAFFIC)
      for (const kind of IMPAIRMENTS) {
        RATES.forEach((rate, i) => cells.push({ combo, kind, rate, traffic, depth: [1, 8, 64][i]! }));
      }
  const s: MatrixSummary = { runs: 0, flows: 0, flowsIntact: 0, rows: [], failures: [] };
  for (const c of cells) {
    const row = matrixCell(c.combo, c.kind, c.rate, c.traffic, {
      quick: o.quick === true,
      seed: (o.seed ?? 1) + s.runs,
      depth: c.depth,
    });
    s.runs++;
    s.flows += row.flows;
    s.flowsIntact += row.flowsIntact;
    if (row.failure !== undefined)
      s.failures.push(`${row.combo} ${row.traffic} ${row.impairment} ${row.rate}: ${row.failure}`);
    const { failure: _f, ...plain } = row;
    s.rows.push(plain);
    o.onProgress?.(s.runs, cells.length);
  }
  return s;
}
