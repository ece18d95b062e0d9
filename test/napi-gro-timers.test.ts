// gro_flush_timeout and napi_defer_hard_irqs (issue 15) as Linux 6.x's napi_complete_done and napi_watchdog have
// them: a completion that did work arms the NAPI hrtimer instead of flushing GRO (only packets held since an earlier
// jiffy go up), the timer re-polls without an interrupt, and while the deferral count lasts the completion returns
// false so the driver keeps its interrupt masked.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../sim/clock.ts';
import { Cpu, ZERO_COST_PROFILE } from '../sim/cost.ts';
import { Stack } from '../stack/stack.ts';
import { JIFFY_NS, type NapiStruct } from '../stack/napi.ts';
import { runLab } from '../lab/run.ts';
import { getScenario } from '../lab/scenarios.ts';
import { TraceLog } from '../observe/trace.ts';

/** A queue whose ring holds `pending` frames, a GRO stand-in that holds what the polls gave it, and a log of both. */
function rig(opts: { groFlushTimeoutNs: number; deferHardIrqs: number }) {
  const clock = new VirtualClock();
  const stack = new Stack({ clock, cpu: new Cpu(clock, ZERO_COST_PROFILE), ...opts });
  const log: string[] = [];
  const q = { pending: 0, irqEnabled: true, napi: null as unknown as NapiStruct };
  const gro = {
    heldPackets: 0,
    flush(olderThanNs?: number) {
      log.push(
        `${clock.now / 1000}µs flush ${olderThanNs === undefined ? 'all' : `older than ${olderThanNs / 1000}µs`}`,
      );
      if (olderThanNs === undefined) this.heldPackets = 0;
    },
  };
  q.napi = stack.napiAdd('rx0', (napi, budget) => {
    const n = Math.min(q.pending, budget);
    q.pending -= n;
    gro.heldPackets += n > 0 ? 1 : 0;
    log.push(`${clock.now / 1000}µs poll ${n}`);
    if (n < budget && stack.napiComplete(napi, n)) q.irqEnabled = true;
    return n;
  });
  q.napi.attachGro(gro);
  const irq = stack.requestIrq('rx0', () => {
    q.irqEnabled = false;
    stack.napiSchedule(q.napi);
  });
  return { clock, stack, q, irq, log };
}

describe('NAPI GRO timers (stack)', () => {
  it('gro_flush_timeout alone: the completion keeps GRO packets and arms the timer; its poll finds nothing and flushes all', () => {
    const { clock, stack, q, irq, log } = rig({ groFlushTimeoutNs: 200_000, deferHardIrqs: 0 });
    clock.advanceTo(5 * JIFFY_NS + 1000);
    q.pending = 5;
    irq();
    clock.run();
    expect(log).toEqual([
      '20001µs poll 5',
      '20001µs flush older than 20000µs', // napi_gro_flush(flush_old): held since this jiffy: stays
      '20201µs poll 0', // napi_watchdog, no interrupt
      '20201µs flush all',
    ]);
    expect(q.irqEnabled).toBe(true);
    const s = stack.stats;
    expect([s.interrupts, s.napiPolls, s.groTimerArmed, s.groTimerFired, s.irqDeferred, s.groHeldAcrossPoll]).toEqual([
      1, 2, 1, 1, 0, 1,
    ]);
  });

  it('with napi_defer_hard_irqs 2: two completions keep the interrupt masked, the timer polls until the count runs out', () => {
    const { clock, stack, q, irq, log } = rig({ groFlushTimeoutNs: 200_000, deferHardIrqs: 2 });
    q.pending = 5;
    irq();
    clock.run(1);
    expect(q.irqEnabled).toBe(false);
    // frames that arrive while the interrupt is masked wait for the timer's poll
    clock.at(100_000, () => {
      q.pending += 3;
    });
    clock.run();
    expect(log).toEqual([
      '0µs poll 5',
      '0µs flush older than 0µs',
      '200µs poll 3', // work done: the deferral count starts again at 2
      '200µs flush older than 0µs',
      '400µs poll 0',
      '400µs flush older than 0µs',
      '600µs poll 0', // the count ran out: full flush, interrupt re-enabled
      '600µs flush all',
    ]);
    expect(q.irqEnabled).toBe(true);
    const s = stack.stats;
    expect([s.interrupts, s.napiPolls, s.groTimerArmed, s.groTimerFired, s.irqDeferred, s.groHeldAcrossPoll]).toEqual([
      1, 4, 3, 3, 3, 5,
    ]);
  });
});

describe('NAPI GRO timers through the lab (bulk-1flow on mq with GRO)', () => {
  const bulk = getScenario('bulk-1flow')!.lab;
  const run = (groFlushTimeoutUs: number, deferHardIrqs: number, tracer?: TraceLog) => {
    const r = runLab(
      { ...bulk, model: 'mq', engine: 'gro', groFlushTimeoutUs, deferHardIrqs },
      tracer ? { tracer } : {},
    );
    expect(r.conservation.ok).toBe(true);
    expect(r.report.allStreamsOk).toBe(true);
    const s = r.report.counters['stack']!;
    return [
      r.report.framesToStack,
      s['interrupts'],
      s['napiPolls'],
      s['groTimerArmed'],
      s['groTimerFired'],
      s['irqDeferred'],
      s['groHeldAcrossPoll'],
    ];
  };
  it('packets to the stack, interrupts, polls, timers armed and fired, interrupts deferred, packets held across polls', () => {
    // off: every completion flushes, 11 segments per GRO packet
    expect(run(0, 0)).toEqual([263, 196, 196, 0, 0, 0, 0]);
    // the timer alone: aggregates survive the completions (the interrupt re-polls before the timer fires)
    expect(run(200, 0)).toEqual([70, 589, 590, 588, 1, 0, 526]);
    // the kernel's GRO selftest settings: the timer polls and the interrupt stays masked; 2 interrupts in all
    expect(run(200, 10)).toEqual([65, 2, 77, 75, 75, 75, 1]);
  });
  it('traces each decision', () => {
    const log = new TraceLog();
    run(200, 10, log);
    const lines = log.events.filter((e) => e.what === 'gro-timer').map((e) => e.text);
    expect(lines.slice(0, 3)).toEqual([
      'eth0-rx1 completed: gro_flush_timeout timer armed for 200 µs, 1 GRO packet(s) held across the poll, interrupt left masked (napi_defer_hard_irqs: 9 more)',
      'eth0-rx1: gro_flush_timeout timer fired, polled again without an interrupt',
      'eth0-rx1 completed: gro_flush_timeout timer armed for 200 µs, 0 GRO packet(s) held across the poll, interrupt left masked (napi_defer_hard_irqs: 9 more)',
    ]);
    expect(lines.length).toBe(150); // 75 armed, 75 fired
  });
});
