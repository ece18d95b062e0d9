// A host with several simulated cores: each core's results depend only on the wire and the queues it owns, so any
// split of the cores over runs (worker threads, in cli/pool) merges into the same report as the run of all of them.
import { describe, expect, it } from 'vitest';
import { mergeCores, runCores, runMulticore } from './multicore.ts';
import { runLab, type LabConfig } from './run.ts';

const config = (over: Partial<LabConfig> = {}): LabConfig => ({
  model: 'mq',
  queues: 4,
  cpus: 2,
  engine: 'gro',
  traffic: { seed: 3, openLoop: true, bytesPerFlow: 200_000, flows: [{ kind: 'bulk', count: 4, mss: 1448 }] },
  ...over,
});

describe('runMulticore', () => {
  it('gives the same report run whole, core by core, or with the cores in another order', () => {
    const whole = runMulticore(config());
    const split = mergeCores(config(), [runCores(config(), [1]), runCores(config(), [0])]);
    expect(JSON.stringify(split)).toBe(JSON.stringify(whole));
    const r = whole.report;
    expect(whole.conservation.ok).toBe(true);
    expect(r.allStreamsOk).toBe(true);
    expect(r.framesIn).toBe(r.counters['traffic']!['framesSent']);
    expect(Object.keys(r.flows)).toHaveLength(4);
    // every core took frames: queues 0 and 2 are core 0's, 1 and 3 core 1's
    const perCore = runCores(config()).cores.map((p) => p.report.framesIn);
    expect(perCore.every((n) => n > 0)).toBe(true);
    expect(perCore[0]! + perCore[1]!).toBe(r.framesIn);
    expect(r.cpu.budgetHz).toBe(2 * r.cpu.hz);
  });

  it("a core's part is the same whichever other cores run beside it", () => {
    const alone = runCores(config(), [1]).cores[0]!;
    const beside = runCores(config()).cores[1]!;
    expect(JSON.stringify(alone)).toBe(JSON.stringify(beside));
  });

  it('refuses what cannot split, naming why', () => {
    expect(() => runMulticore(config({ model: 'ehea' }))).toThrow(
      "cpus: 2 — model 'ehea' cannot split its queues across cores",
    );
    expect(() =>
      runMulticore(config({ traffic: { seed: 1, bytesPerFlow: 10_000, flows: [{ kind: 'bulk', count: 1 }] } })),
    ).toThrow('closed-loop traffic');
    expect(() => runMulticore(config({ cpus: 8 }))).toThrow('more cores than the NIC has queues (4)');
    expect(() => runLab(config())).toThrow('runMulticore');
  });
});
