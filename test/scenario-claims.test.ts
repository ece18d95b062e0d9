// Every figure a scenario's description states is shown by a run of it: each claim's words appear in
// the description, every figure in the description (a number with a unit, ×, %) lies inside a claim,
// and each claim holds for the runs the scenario compares (seed 1; a stochastic scenario says so).
import { describe, expect, it } from 'vitest';
import { SCENARIOS, type Scenario } from '../lab/scenarios.ts';
import { plansFor, runSeed } from '../lab/seeds.ts';
import type { RunReport } from '../lab/run-report.ts';

/** A stated figure: a number with a unit or a ratio/percent sign after it (names like 2.6.24, 0x8100 or Q1 are not figures). */
const FIGURE = /\d[\d.,]*(?:\s*(?:×|%|ms\b|µs\b|Gb\/s|KiB|MiB|KB\b|segments?\b|frames?\b)|-byte\b)/g;

function figuresOutsideClaims(s: Scenario): string[] {
  const spans = (s.claims ?? []).map((c) => {
    const at = s.teaches.indexOf(c.says);
    return [at, at + c.says.length] as const;
  });
  const out: string[] = [];
  for (const m of s.teaches.matchAll(FIGURE)) {
    const at = m.index,
      end = at + m[0].length;
    if (!spans.some(([a, b]) => a >= 0 && a <= at && end <= b)) out.push(m[0]);
  }
  return out;
}

describe('scenario descriptions', () => {
  for (const s of SCENARIOS) {
    it(`${s.name}: every claim is in the text and every figure in the text is a claim`, () => {
      for (const c of s.claims ?? []) expect(s.teaches, `claim '${c.says}'`).toContain(c.says);
      expect(figuresOutsideClaims(s)).toEqual([]);
    });
  }

  it('the figure finder sees the figures the old texts stated without a run behind them', () => {
    const old = {
      name: 'x',
      summary: '',
      lab: { traffic: {} },
      teaches: 'jumbo: 7 segments reach the 64 KiB limit; 45-segment aggregates; RTO 10 ms; ratio 1.00×',
    } as Scenario;
    expect(figuresOutsideClaims(old)).toEqual(['7 segments', '64 KiB', '10 ms', '1.00×']);
  });
});

describe('scenario runs show what their descriptions claim', () => {
  for (const s of SCENARIOS) {
    it(`${s.name}`, () => {
      const plans = plansFor(s.lab, s, s.variants !== undefined ? undefined : ['off', 'lro', 'gro']);
      const runs = new Map<string, RunReport>();
      for (const p of plans) {
        const r = runSeed(p, 1);
        expect(r.report.allStreamsOk, `${p.label}: byte streams`).toBe(true);
        expect(r.conservation.ok, `${p.label}: frames accounted for`).toBe(true);
        expect(r.report.cpu.utilisation, `${p.label}: CPU utilisation`).toBeLessThanOrEqual(1);
        runs.set(p.label, r.report);
      }
      const failed = (s.claims ?? []).filter((c) => !c.holds(runs, s.lab)).map((c) => c.says);
      expect(failed, `${s.name}: claims the run does not show`).toEqual([]);
    }, 300_000);
  }
});
