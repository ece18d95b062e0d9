// A host with several simulated cores: each core's results depend only on the wire and the queues it owns, so any
// split of the cores over runs (worker threads, in cli/pool) merges into the same report as the run of all of them.
import { describe, expect, it } from 'vitest';
import { mergeCores, runCores, runFedCores, runMulticore, runWire } from './multicore.ts';
import { FeedWriter } from './frame-feed.ts';
import { capturePath } from '../test/captures.ts';
import { readCapture, type CaptureRecord } from '../tap/index.ts';
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

describe('runWire and runFedCores', () => {
  it('the wire generated once and fed to each core gives the report of the run on one thread', () => {
    for (const over of [{}, { cpus: 4 }] as Partial<LabConfig>[]) {
      const c = config(over);
      const whole = runMulticore(c);
      // the batches wait in the ports until the fed parts read them (a small wire fits in the feeds' slots)
      const writers = [new FeedWriter(), new FeedWriter()];
      const cpus = c.cpus ?? 1;
      const front = runWire(
        c,
        Array.from({ length: cpus }, (_, core) => writers[core % 2]!),
      );
      const fed = writers.map((w, k) =>
        runFedCores(
          c,
          Array.from({ length: cpus }, (_, core) => core).filter((core) => core % 2 === k),
          w.ends,
        ),
      );
      expect(front.cores).toEqual([]);
      // a fed part's front holds only the ACK side: the wire's counters come from the generating thread alone
      expect(fed[0]!.front.traffic!['framesSent']).toBeUndefined();
      expect(fed[0]!.front.traffic!['hostFrames']).toBeGreaterThan(0);
      expect(JSON.stringify(mergeCores(c, [front, ...fed.reverse()]))).toBe(JSON.stringify(whole));
    }
  });

  it('a replay fed to the cores gives the report of the replay on one thread', () => {
    const c = config({
      cpus: 4,
      traffic: undefined,
      capture: { path: capturePath('parallel4_mtu1500.tx.pcap'), onlyTo: '10.77.0.2' },
    });
    // the first 300 records: what one thread can write to a feed before reading it (workers: cli/run-workers.test.ts)
    const records: CaptureRecord[] = [];
    for (const r of readCapture(c.capture!.path)) {
      if (records.length === 300) break;
      records.push({ ...r, data: r.data.slice() }); // the reader reuses its buffer
    }
    const whole = runMulticore(c, { records });
    const w = new FeedWriter();
    const front = runWire(c, [w, w, w, w], { records });
    const fed = runFedCores(c, [0, 1, 2, 3], w.ends, { mtu: 1500 });
    expect(JSON.stringify(mergeCores(c, [front, fed]))).toBe(JSON.stringify(whole));
    expect(whole.report.framesIn).toBeGreaterThan(200);
  });

  it('a frame the fed cores cannot take stops the run with the reason, not a wait', () => {
    const w = new FeedWriter();
    runWire(config(), [w, w]);
    expect(() => runFedCores(config(), [0], w.ends)).toThrow('a frame for core 1, which this worker does not run');
  });
});
