// Resource exhaustion as a library: many flows (one data segment per 4-tuple, up to millions) through
// a combination, with the stack's flow table limit and the heap growth reported.
import type { CaptureRecord } from '../tap/index.ts';
import { frame } from '../wire/index.ts';
import { runLab, type RunResult } from '../lab/run.ts';
import type { Combo } from './engine.ts';

/** `n` frames, each the only data segment of its own 4-tuple (source address and port vary). */
export function* manyFlowRecords(n: number): Generator<CaptureRecord> {
  for (let i = 0; i < n; i++) {
    const data = frame()
      .eth({})
      .ipv4({ src: `10.${64 + (i >>> 16)}.${(i >>> 8) & 255}.${i & 255}`, dst: '10.0.0.2' })
      .tcp({ sport: 1024 + (i % 60_000), dport: 80, seq: 1000, flags: 'PA' })
      .payload(16)
      .build();
    yield { index: i, offset: 0, tsSec: 0, tsNsec: i, data, origLen: data.length, interfaceId: 0, linktype: 1 };
  }
}

export interface ManyFlowsResult {
  frames: number;
  flowsInTable: number;
  flowTableFull: number;
  /** Heap growth over the run (after a GC when node runs with --expose-gc), MB. */
  heapGrowthMB: number;
  conservationOk: boolean;
  stackConservationOk: boolean;
  result: RunResult;
}

/** Replays `n` one-segment flows through `combo` and reports the flow table and memory. */
export function manyFlows(n: number, combo: Combo, maxFlows?: number): ManyFlowsResult {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const h0 = process.memoryUsage().heapUsed;
  const result = runLab(
    { model: combo.model, driver: combo.driver, engine: combo.engine, batch: 'all', capture: { path: `${n}-flows` } },
    { records: manyFlowRecords(n), expectations: [], ...(maxFlows !== undefined ? { maxFlows } : {}) },
  );
  gc?.();
  const h1 = process.memoryUsage().heapUsed;
  const st = result.stack.stats;
  return {
    frames: n,
    flowsInTable: result.stack.tcp.flowList.length,
    flowTableFull: st.drops['tcp_flow_table_full'] ?? 0,
    heapGrowthMB: Math.round((h1 - h0) / 1e5) / 10,
    conservationOk: result.conservation.ok,
    stackConservationOk: st.skbsIn === st.consumed + st.dropped + result.stack.held,
    result,
  };
}
