// The closed-loop senders end to end against the stand-in host: the initial window, recovery from
// loss with every byte intact, and TSO putting exactly MSS-sized, valid frames on the wire.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../sim/clock.ts';
import { FakeReceiver } from '../test/support/fake-receiver.ts';
import { Link } from './link.ts';
import { Impairments } from './impair.ts';
import { LinkPartner } from './partner.ts';

function run(traffic: Record<string, unknown>, opts: { loss?: number; ackDelayNs?: number } = {}) {
  const clock = new VirtualClock();
  const rx = new FakeReceiver(clock, { ackDelayNs: opts.ackDelayNs ?? 20_000, window: 65535 });
  const link = new Link(clock, rx, 10);
  const tx = opts.loss !== undefined ? new Impairments(link, { loss: opts.loss }, clock, 3) : link;
  const partner = new LinkPartner(clock, tx, { seed: 3, rtoNs: 200e6, ...traffic });
  rx.partner = partner;
  partner.start();
  clock.run(30e9);
  return { clock, rx, partner };
}

describe('closed-loop senders', () => {
  for (const tso of [false, true]) {
    it(`send exactly the initial window (10 segments) before the first ACK${tso ? ', as one TSO super-segment' : ''}`, () => {
      const { rx, partner } = run(
        {
          sender: 'modern',
          tso,
          flows: [{ kind: 'bulk', bytes: 200 * 1448, sendWindow: 1 << 20, receiverWindowShift: 4 }],
        },
        { ackDelayNs: 1_000_000 },
      );
      expect(rx.segments.filter((s) => s.t < 1_000_000).length).toBe(10);
      expect(partner.allAcked()).toBe(true);
      expect(rx.check(partner.expectedFlows())).toEqual([true]);
    });
  }

  for (const sender of ['2.6.24', 'modern'] as const) {
    for (const tso of [false, true]) {
      it(`${sender}${tso ? ' with TSO' : ''}: 2 % loss: fast retransmits enter recovery, RTT is sampled, every byte arrives`, () => {
        const { rx, partner } = run(
          {
            sender,
            tso,
            flows: [{ kind: 'bulk', bytes: 600_000, count: 2, sendWindow: 1 << 20, receiverWindowShift: 4 }],
          },
          { loss: 0.02 },
        );
        expect(partner.allAcked()).toBe(true);
        expect(rx.check(partner.expectedFlows())).toEqual([true, true]);
        expect(rx.dropped).toBe(0); // every frame, TSO-cut or not, has valid checksums
        expect(rx.segments.every((s) => s.len <= 1448)).toBe(true);
        const reps = partner.flowReports();
        expect(reps.reduce((n, r) => n + r.fastRetransmits, 0)).toBeGreaterThan(0);
        for (const r of reps) {
          expect(r.congestion!.recoveries).toBe(r.fastRetransmits);
          expect(r.congestion!.rttSamples).toBeGreaterThan(0);
          expect(r.congestion!.slowStartExitNs).toBeGreaterThan(0);
        }
      });
    }
  }
});
