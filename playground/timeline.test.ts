// The playground's picture is made from the lab's events alone; at the end of a run it must agree with
// the counters the lab keeps, for every model and engine.
import { describe, expect, it } from 'vitest';
import { Lockstep, postedRingFigures, record, SLOT, ViewState } from './timeline.ts';
import type { LabConfig } from '../lab/run.ts';
import { postedRingsByEvent } from '../test/support/posted-rings-truth.ts';

const traffic = {
  seed: 5,
  rateGbps: 10,
  bytesPerFlow: 300_000,
  flows: [{ kind: 'bulk', count: 3 }],
  impairments: { loss: 0.005, reorder: { p: 0.01, depth: 3 } },
};
const CASES: LabConfig[] = [
  { model: 'ehea', engine: 'lro', traffic },
  { model: 'ehea', engine: 'gro', traffic },
  { model: 'myri10ge', engine: 'lro', traffic },
  { model: 'e1000', engine: 'lro', softwareChecksum: true, traffic },
  { model: 'mq', engine: 'gro', traffic },
  { model: 'mq', engine: 'off', traffic },
];

describe('the playground timeline', () => {
  for (const lab of CASES) {
    it(`${lab.model}/${lab.engine}: the events at the end add up to the run's counters, and every ring entry went back`, () => {
      const rec = record(lab);
      const v = new ViewState(rec);
      let polls = 0;
      while (v.stepPoll()) polls++;
      const r = rec.report,
        c = v.counters;
      const nic = r.counters['nic']!,
        stack = r.counters['stack']!;
      expect(c.wireFrames).toBe(r.framesIn);
      expect(c.dma).toBe(nic['rx_packets']);
      expect(c.polls).toBe(stack['napiPolls']);
      expect(polls).toBe(stack['napiPolls']);
      expect(c.completions + c.driverDrops).toBe(nic['rx_packets']);
      expect(c.acks).toBe(r.acksSent);
      expect(c.bytesDelivered).toBe(r.bytesDelivered);
      if (lab.engine === 'lro') {
        expect(c.flushed).toBe(r.lro.flushed);
        for (const [k, n] of Object.entries(c.flushReasons)) expect([k, n]).toEqual([k, r.lro.reasons[`flush_${k}`]]);
        expect(c.held + c.appended).toBe(r.lro.aggregated);
      }
      if (lab.engine === 'gro') {
        expect(c.flushed).toBe(r.gro.reasons['flushed']);
        expect(c.appended).toBe(r.gro.reasons['merged']);
      }
      // the CPU and latency figures, made from the events as the run goes, end on the report's
      const f = v.figures();
      expect(f.cycles).toBe(r.cpu.cycles);
      expect(f.busyNs).toBe(r.cpu.busyNs);
      expect(f.elapsedNs).toBe(r.durationNs);
      expect(f.utilisation).toBe(r.cpu.utilisation);
      expect(f.cyclesPerKB).toBe(r.cpu.cyclesPerKB);
      expect(f.samples).toBe(r.latency.samples);
      expect([f.p50Us, f.p99Us, f.maxUs, f.meanUs]).toEqual([
        r.latency.p50Us,
        r.latency.p99Us,
        r.latency.maxUs,
        r.latency.meanUs,
      ]);
      // nothing is left filled: every completion the device wrote, the driver took
      for (const ring of v.rings)
        expect([ring.name, ring.state.filter((s) => s === SLOT.FILLED).length]).toEqual([ring.name, 0]);
      // and no aggregate is still open
      expect([...v.aggregates.values()].filter((a) => a.flushed === undefined)).toEqual([]);
    });
  }

  it('steps one event at a time and one poll at a time', () => {
    const rec = record({
      model: 'ehea',
      engine: 'lro',
      traffic: { seed: 1, rateGbps: 10, bytesPerFlow: 100_000, flows: [{ kind: 'bulk' }] },
    });
    const v = new ViewState(rec);
    expect(v.step()).toBe(true);
    expect(v.at).toBe(1);
    expect(v.stepPoll()).toBe(true);
    expect(v.at).toBe(rec.pollEnds[0]! + 1);
    expect(v.poll).toMatchObject({ number: 1, ended: true, budget: 64 });
    // the figures so far grow with the run: half way through, fewer cycles and samples than at the end
    while (v.at < rec.events.length / 2) v.step();
    const half = v.figures();
    expect(half.cycles).toBeGreaterThan(0);
    expect(half.cycles).toBeLessThan(rec.report.cpu.cycles);
    expect(half.samples).toBeGreaterThan(0);
    expect(half.samples).toBeLessThan(rec.report.latency.samples);
    expect(half.elapsedNs).toBeLessThan(rec.report.durationNs);
    v.toEnd();
    expect(v.done).toBe(true);
    expect(v.step()).toBe(false);
  });

  it('steps two engines on the same traffic in virtual-time lockstep', () => {
    const traffic = { seed: 3, rateGbps: 10, bytesPerFlow: 200_000, flows: [{ kind: 'bulk', count: 2 }] };
    const views = [
      new ViewState(record({ model: 'ehea', engine: 'gro', traffic })),
      new ViewState(record({ model: 'ehea', engine: 'lro', traffic })),
    ];
    const both = new Lockstep(views);
    let events = 0;
    for (;;) {
      const before = views.map((v) => Lockstep.nextTime(v));
      const at = views.map((v) => v.at);
      if (!both.step()) break;
      events++;
      // the step applied the lane whose clock moves least, and moved that clock exactly there
      const moved = views.findIndex((v, i) => v.at !== at[i]);
      expect(views.filter((v, i) => v.at !== at[i]).length).toBe(1);
      expect(views[moved]!.nowNs).toBe(Math.min(...before));
    }
    // every event of both lanes, once
    expect(events).toBe(views[0]!.rec.events.length + views[1]!.rec.events.length);
    expect(both.done).toBe(true);

    const again = new Lockstep(views.map((v) => new ViewState(v.rec)));
    expect(again.stepPoll()).toBe(true);
    // the first poll to end, in either lane; the other lane's clock is not past it
    const polled = again.views.filter((v) => v.counters.polls === 1);
    expect(polled.length).toBe(1);
    for (const v of again.views) expect(v.nowNs).toBeLessThanOrEqual(polled[0]!.nowNs);
  });

  // frames of two size classes: RQ1 (inline in the CQE) and RQ2 on eHEA, the small and big rings on myri10ge
  const mixed = {
    seed: 9,
    rateGbps: 5,
    flows: [
      { kind: 'bulk', bytes: 60_000, count: 2 },
      { kind: 'messages', sport: 41000, messageBytes: 40, messages: 40, thinkNs: 2_000 },
    ],
  };
  for (const model of ['ehea', 'myri10ge'] as const)
    it(`${model}: the rings the driver posts to hold, event by event, what the lab's registers and counters say`, () => {
      const lab: LabConfig = { model, engine: 'lro', traffic: mixed };
      const truth = postedRingsByEvent(lab);
      const v = new ViewState(record(lab));
      expect(v.rings.map((r) => `${r.name}:${r.role}`)).toEqual(
        model === 'ehea'
          ? ['rq1:rx', 'rq2:rx', 'rq3:rx', 'cq:completion']
          : ['small:rx', 'big:rx', 'rx_done:completion'],
      );
      // before the first frame: the driver has posted entries − 1 descriptors on every ring (the open)
      const first = postedRingFigures(v);
      while (v.counters.dma === 0 && v.step()) {
        /* up to the first frame */
      }
      for (const r of v.rings.filter((x) => x.role === 'rx'))
        expect([r.name, r.totals.posted, r.totals.refilled]).toEqual([r.name, r.state.length - 1, 0]);
      expect(first.every((r) => r.posted === 0)).toBe(true);
      // after every event: descriptors posted, filled and refilled as the registers and the model count
      // them; at every poll's end also the frames taken, as the driver counts them
      const v2 = new ViewState(v.rec);
      expect(truth.rings.length).toBe(v.rec.events.length);
      expect(truth.pollEnds).toEqual(v.rec.pollEnds);
      const ends = new Set(truth.pollEnds);
      let checked = 0;
      while (v2.step()) {
        const i = v2.at - 1,
          want = truth.rings[i]!;
        if (want.length === 0) continue;
        const got = postedRingFigures(v2);
        if (ends.has(i)) expect([i, got]).toEqual([i, want]);
        else expect([i, got.map(({ taken: _, ...r }) => r)]).toEqual([i, want.map(({ taken: _, ...r }) => r)]);
        checked++;
      }
      expect(checked).toBeGreaterThan(500);
      // both size classes were used, and refilled
      const end = postedRingFigures(v2);
      expect(end.filter((r) => r.filled > 0 && r.refilled > 0).length).toBeGreaterThanOrEqual(2);
    });
});
