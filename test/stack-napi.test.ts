// NAPI semantics of the mock kernel: weight and netdev_budget honoured, re-poll at the tail,
// interrupt re-enabled only below budget, several contexts sharing a softirq, the netif_rx backlog.
import { describe, it, expect } from 'vitest';
import { VirtualClock } from '../sim/clock.ts';
import { Cpu, ZERO_COST_PROFILE, costProfile } from '../sim/cost.ts';
import { Stack } from '../stack/stack.ts';
import type { NapiStruct } from '../stack/napi.ts';
import { skbFromFrame } from './support/skb.ts';
import { frame } from '../wire/index.ts';

/** A pretend device queue: `pending` packets; its poll consumes up to budget and completes below budget. */
function fakeQueue(stack: Stack, name: string, pending: number, log: string[], weight = 64) {
  const q = { pending, irqEnabled: true, irqEnables: 0, napi: null as unknown as NapiStruct };
  q.napi = stack.napiAdd(
    name,
    (napi, budget) => {
      const n = Math.min(q.pending, budget);
      q.pending -= n;
      log.push(`${name}:${n}`);
      if (n < budget) {
        stack.napiComplete(napi);
        q.irqEnabled = true;
        q.irqEnables++;
      }
      return n;
    },
    weight,
  );
  const irq = stack.requestIrq(name, () => {
    q.irqEnabled = false;
    stack.napiSchedule(q.napi);
  });
  return { q, irq };
}

function zeroStack(extra: Partial<ConstructorParameters<typeof Stack>[0]> = {}) {
  const clock = new VirtualClock();
  const stack = new Stack({ clock, cpu: new Cpu(clock, ZERO_COST_PROFILE), ...extra });
  return { clock, stack };
}

describe('NAPI and net_rx_action', () => {
  it('polls with the weight, re-polls while work == weight, completes and re-enables below it', () => {
    const { clock, stack } = zeroStack();
    const log: string[] = [];
    const { q, irq } = fakeQueue(stack, 'rx0', 200, log);
    irq();
    expect(q.irqEnabled).toBe(false);
    clock.run();
    expect(log).toEqual(['rx0:64', 'rx0:64', 'rx0:64', 'rx0:8']);
    expect(q.irqEnabled).toBe(true);
    expect(q.irqEnables).toBe(1);
    expect(stack.stats.softirqRuns).toBe(1);
    expect(stack.stats.timeSqueeze).toBe(0);
    expect(stack.stats.napiPolls).toBe(4);
    expect(stack.stats.napiWork).toBe(200);
    expect(stack.stats.interrupts).toBe(1);
    expect(q.napi.scheduled).toBe(false);
  });

  it('a poll that drains the ring exactly at its weight is polled again (interrupt stays off until work < budget)', () => {
    const { clock, stack } = zeroStack();
    const log: string[] = [];
    const { q, irq } = fakeQueue(stack, 'rx0', 64, log);
    irq();
    clock.run();
    expect(log).toEqual(['rx0:64', 'rx0:0']);
    expect(q.irqEnables).toBe(1);
  });

  it('stops at netdev_budget (checked before each poll) and re-raises the softirq', () => {
    const { clock, stack } = zeroStack();
    const log: string[] = [];
    const { q, irq } = fakeQueue(stack, 'rx0', 400, log);
    irq();
    clock.run();
    // run 1: 64·5 = 320 (budget 300 still positive before the 5th poll); run 2: 64 + 16
    expect(log).toEqual(['rx0:64', 'rx0:64', 'rx0:64', 'rx0:64', 'rx0:64', 'rx0:64', 'rx0:16']);
    expect(stack.stats.softirqRuns).toBe(2);
    expect(stack.stats.timeSqueeze).toBe(1);
    expect(q.irqEnables).toBe(1);
  });

  it('shares one softirq among several contexts, round robin, in scheduling order', () => {
    const { clock, stack } = zeroStack();
    const log: string[] = [];
    const a = fakeQueue(stack, 'A', 150, log);
    const b = fakeQueue(stack, 'B', 100, log);
    a.irq();
    b.irq();
    clock.run();
    expect(log).toEqual(['A:64', 'B:64', 'A:64', 'B:36', 'A:22']);
    expect(stack.stats.softirqRuns).toBe(1);
    expect(a.q.irqEnables).toBe(1);
    expect(b.q.irqEnables).toBe(1);
  });

  it('netdev_budget spans contexts: three busy queues squeeze the softirq after 300 packets', () => {
    const { clock, stack } = zeroStack();
    const log: string[] = [];
    const qs = ['A', 'B', 'C'].map((n) => fakeQueue(stack, n, 1000, log));
    for (const x of qs) x.irq();
    clock.step(); // exactly one softirq run
    expect(log).toEqual(['A:64', 'B:64', 'C:64', 'A:64', 'B:64']);
    expect(stack.stats.timeSqueeze).toBe(1);
    clock.run();
    expect(qs.every((x) => x.q.pending === 0 && x.q.irqEnables === 1)).toBe(true);
  });

  it('napiSchedule is a no-op while scheduled', () => {
    const { stack } = zeroStack();
    const n = stack.napiAdd('x', () => 0);
    expect(stack.napiSchedule(n)).toBe(true);
    expect(stack.napiSchedule(n)).toBe(false);
  });

  it('runs the GRO flush hooks: at napiComplete, and after a full-weight poll that stays listed', () => {
    const { clock, stack } = zeroStack();
    const log: string[] = [];
    const { q, irq } = fakeQueue(stack, 'rx0', 10, log);
    let flushes = 0;
    let repolls = 0;
    q.napi.onComplete(() => {
      flushes++;
    });
    q.napi.onRepoll(() => {
      repolls++;
    });
    q.pending = 140; // 64 (re-poll), 64 (re-poll), 12 (complete)
    irq();
    clock.run();
    expect(flushes).toBe(1);
    expect(repolls).toBe(2);
  });

  it('attachGro flushes the engine at both hooks: twice on re-polls, once at completion', () => {
    const { clock, stack } = zeroStack();
    const { q, irq } = fakeQueue(stack, 'rx0', 10, []);
    let flushes = 0;
    q.napi.attachGro({
      flush: () => {
        flushes++;
      },
      heldPackets: 0,
    });
    q.pending = 140; // 64 (re-poll), 64 (re-poll), 12 (complete)
    irq();
    clock.run();
    expect(flushes).toBe(3);
  });

  it('counts a driver that completes while returning its whole weight', () => {
    const { clock, stack } = zeroStack();
    const n = stack.napiAdd('bad', (napi, budget) => {
      stack.napiComplete(napi);
      return budget;
    });
    stack.napiSchedule(n);
    clock.run();
    expect(stack.stats.napiCompleteAtWeight).toBe(1);
    expect(stack.stats.napiPolls).toBe(1);
  });

  it('honours the softirq time limit: polls take CPU time on the virtual clock', () => {
    const clock = new VirtualClock();
    // 3e6 cycles per poll at 3 GHz = 1 ms; time limit 2 ms
    const cpu = new Cpu(clock, costProfile({ cycles: { napi_poll: 3_000_000 } }, ZERO_COST_PROFILE));
    const stack = new Stack({ clock, cpu, netdevBudget: 1_000_000 });
    const times: number[] = [];
    const n = stack.napiAdd('slow', (_napi, budget) => {
      times.push(cpu.now);
      return budget;
    });
    stack.napiSchedule(n);
    clock.step();
    clock.step();
    clock.step();
    // polls at 1, 2, 3 ms (each poll's cost is charged before it runs); the run yields to the clock after each
    expect(times).toEqual([1e6, 2e6, 3e6]);
    expect(clock.now).toBe(2e6);
    expect(stack.stats.timeSqueeze).toBe(0);
    clock.step(); // continuation at 3 ms: the run is 3 ms old > 2 ms → squeeze and re-raise
    expect(stack.stats.timeSqueeze).toBe(1);
    expect(stack.stats.softirqRuns).toBe(1);
    expect(times.length).toBe(3);
    clock.step();
    expect(stack.stats.softirqRuns).toBe(2);
    expect(times.length).toBe(4);
  });
});

describe('netif_rx backlog (non-NAPI delivery)', () => {
  const udp = frame().ipv4({}).udp({}).payload(10).build();

  it('queues up to netdev_max_backlog + 1 (2.6.24 tests qlen <= max), drops the rest as backlog_drop, drains with weight 64', () => {
    const { clock, stack } = zeroStack();
    const irq = stack.requestIrq('legacy', () => {
      for (let i = 0; i < 1005; i++) stack.netifRx(skbFromFrame(udp));
    });
    irq();
    expect(stack.backlogQueued).toBe(1001);
    expect(stack.stats.drops.backlog_drop).toBe(4);
    clock.run();
    expect(stack.stats.udpDelivered).toBe(1001);
    expect(stack.backlogNapi.polls).toBe(16); // 15·64 + 41
    expect(stack.stats.softirqRuns).toBe(4); // 5 polls per run (320 ≥ 300), 16 polls
    expect(stack.stats.timeSqueeze).toBe(3);
    expect(stack.stats.skbsIn).toBe(1005);
    expect(stack.stats.consumed + stack.stats.dropped + stack.held).toBe(1005);
  });

  it('respects a smaller backlog limit', () => {
    const { clock, stack } = zeroStack({ netdevMaxBacklog: 10 });
    for (let i = 0; i < 20; i++) stack.netifRx(skbFromFrame(udp));
    expect(stack.stats.drops.backlog_drop).toBe(9);
    clock.run();
    expect(stack.stats.udpDelivered).toBe(11);
  });
});
