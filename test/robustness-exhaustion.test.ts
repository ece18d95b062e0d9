// Robustness under faults: the impairment matrix (loss, reorder, duplication, corruption at 0.1, 1
// and 10 %) and resource exhaustion (ring starvation, an empty DMA pool, more flows than LRO
// descriptors, a flow table at its limit): every loss counted, memory bounded, no stall.
import { describe, expect, it } from 'vitest';
import '../drivers/index.ts';
import { runLab, type LabConfig } from '../lab/run.ts';
import { allCombos, comboName, impairmentMatrix, matrixCell, manyFlows } from '../fuzz/index.ts';

function stackBalanced(r: ReturnType<typeof runLab>): boolean {
  const st = r.stack.stats;
  return st.skbsIn === st.consumed + st.dropped + r.stack.held;
}

const positive = (o: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v > 0));

describe('impairment matrix', () => {
  it('the CI matrix: 4 impairments × 3 rates × bulk and many-flow traffic × one combination per engine family, every stream intact', () => {
    const m = impairmentMatrix({ quick: true, seed: 1 });
    expect(m.failures).toEqual([]);
    expect(m.runs).toBe(96);
    expect(m.flowsIntact).toBe(m.flows);
    expect(m.flows).toBe(4 * 12 * 17);
    // the impairments really happened: 10 % loss and corruption cost drops or retransmissions
    const lossy = m.rows.filter((r) => r.rate === 0.1 && (r.impairment === 'corrupt' || r.impairment === 'duplicate'));
    expect(lossy.every((r) => r.drops > 0)).toBe(true);
  });

  it('reordering 64 deep at 10 % on many flows, through every combination', () => {
    for (const combo of allCombos()) {
      const row = matrixCell(combo, 'reorder', 0.1, 'many-flows', { quick: true, depth: 64, seed: 5 });
      expect([comboName(combo), row.failure]).toEqual([comboName(combo), undefined]);
      expect(row.flowsIntact).toBe(16);
    }
  });
});

const starved = (
  model: string,
  engine: 'lro' | 'gro' | 'off',
  modelConfig: Record<string, unknown>,
  impairments: Record<string, unknown> = {},
  flows = 4,
  window = 65536,
): LabConfig => ({
  model,
  engine,
  pollBudget: 1,
  modelConfig,
  traffic: {
    rtoNs: 2_000_000,
    bytesPerFlow: 256 << 10,
    flows: [{ kind: 'bulk', count: flows, sendWindow: window }],
    impairments,
  },
});

const TINY: Record<string, Record<string, unknown>> = {
  ehea: { rq1Entries: 16, rq2Entries: 16, rq3Entries: 16 },
  myri10ge: { smallEntries: 16, bigEntries: 16 },
  e1000: { ringEntries: 16 },
  mq: { ringEntries: 16 },
};

describe('ring starvation: one frame per poll into 16-entry rings at 10 Gb/s', () => {
  for (const model of Object.keys(TINY)) {
    it(`${model}: the overflow is counted as rx_missed, the senders retransmit, every stream completes`, () => {
      const r = runLab(starved(model, model === 'e1000' ? 'gro' : 'lro', TINY[model]!));
      expect(r.report.allStreamsOk).toBe(true);
      expect(r.conservation.ok).toBe(true);
      expect(r.conservation.held).toBe(0);
      expect(stackBalanced(r)).toBe(true);
      expect(r.report.drops['rx_missed']).toBeGreaterThan(0);
      expect(r.stack.held).toBe(0);
    });
  }
});

describe('the DMA pool runs out', () => {
  // Regression: out-of-order skbs pinned every receive buffer, refill failed, the rings ran dry and no
  // frame could arrive to fill the holes — the receive path stalled until the time limit. The lab now
  // prunes the out-of-order queues when an allocation finds the pool empty (tcp_prune_ofo_queue).
  for (const model of Object.keys(TINY)) {
    it(`${model}: one buffer per ring entry, loss and reordering: the out-of-order queues are pruned (counted), nothing stalls`, () => {
      const r = runLab(
        starved(
          model,
          model === 'e1000' ? 'gro' : 'lro',
          { ...TINY[model], bufferFactor: 1 },
          { loss: 0.05, reorder: { p: 0.05, depth: 8 } },
        ),
      );
      expect(r.report.allStreamsOk).toBe(true);
      expect(r.conservation.ok).toBe(true);
      expect(stackBalanced(r)).toBe(true);
      expect(r.report.drops['tcp_ofo_pruned']).toBeGreaterThan(0);
      expect(r.model.dma.counters.bytesInUse).toBeLessThanOrEqual(r.model.dma.counters.peakBytesInUse);
    });
  }

  it('default rings, 128 flows with 64 KiB windows and 1 % loss (stalled before the fix) complete on the e1000', () => {
    const r = runLab({
      model: 'e1000',
      engine: 'gro',
      traffic: {
        rtoNs: 2_000_000,
        bytesPerFlow: 64 << 10,
        flows: [{ kind: 'bulk', count: 128, sendWindow: 65536 }],
        impairments: { loss: 0.01 },
      },
    });
    expect(r.report.allStreamsOk).toBe(true);
    expect(Object.keys(r.report.flows)).toHaveLength(128);
    expect(r.conservation.ok).toBe(true);
    expect(stackBalanced(r)).toBe(true);
  });
});

describe('more flows than descriptors', () => {
  it('64 interleaved flows against 8 LRO descriptors: bypasses counted as no_desc, every stream intact', () => {
    for (const combo of allCombos().filter((c) => c.engine === 'lro')) {
      const r = runLab({
        model: combo.model,
        engine: 'lro',
        ...(combo.softwareChecksum === true ? { softwareChecksum: true } : {}),
        traffic: { rtoNs: 2_000_000, bytesPerFlow: 32 << 10, flows: [{ kind: 'bulk', count: 64, sendWindow: 16384 }] },
      });
      expect([comboName(combo), r.report.allStreamsOk, r.conservation.ok]).toEqual([comboName(combo), true, true]);
      expect(r.report.lro.noDesc).toBeGreaterThan(0);
    }
  });
});

describe('the flow table', () => {
  it('one-segment flows beyond maxFlows are dropped as tcp_flow_table_full, exactly', () => {
    const m = manyFlows(5000, { model: 'mq', driver: 'mq', engine: 'gro' }, 3000);
    expect([m.flowsInTable, m.flowTableFull, m.conservationOk, m.stackConservationOk]).toEqual([
      3000,
      2000,
      true,
      true,
    ]);
    expect(positive(m.result.report.drops)).toEqual({ tcp_flow_table_full: 2000 });
    expect(m.result.report.unexpectedFlows).toHaveLength(3000);
  });

  it('40 000 flows under the default limit: all in the table, nothing dropped', () => {
    const m = manyFlows(40_000, { model: 'mq', driver: 'mq', engine: 'gro' });
    expect([m.flowsInTable, m.flowTableFull, m.conservationOk, m.stackConservationOk]).toEqual([40_000, 0, true, true]);
    expect(m.result.report.bytesDelivered).toBe(40_000 * 16);
  });
});
