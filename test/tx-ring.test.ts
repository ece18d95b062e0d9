// The transmit side end to end below the forwarding layer: a GRO aggregate through dev_queue_xmit
// (stack/xmit.ts) into the e1000 and mq TX rings (descriptors in DMA memory), cut by the device (TSO)
// or by software GSO, completed with DD and a TX interrupt — and the wire carries exactly the
// segments GRO merged.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../sim/clock.ts';
import { Stack } from '../stack/stack.ts';
import { XmitPath } from '../stack/xmit.ts';
import { GroEngine } from '../lro/gro.ts';
import { seg, skbOf, RecordingSink } from './support/lro.ts';
import { e1000Transmitter } from '../drivers/e1000/xmit.ts';
import { mqTransmitter } from '../drivers/mq/xmit.ts';
import type { TxQueueDevice } from '../hw-models/tx-queue.ts';
import type { TxRingDriver } from '../drivers/xmit-ring.ts';
import { expectLayoutRoundTrip } from './hw-models.conformance.ts';

function train(n: number, last = 'AP'): Uint8Array[] {
  return Array.from({ length: n }, (_, i) =>
    seg({ seq: 1000 + i * 1448, id: 40 + i, flags: i === n - 1 ? last : 'A' }),
  );
}

function setup(kind: 'e1000' | 'mq', tso: boolean) {
  const clock = new VirtualClock();
  const stack = new Stack({ clock });
  const mac = new Uint8Array(6);
  const o = { clock, stack, mac, mtu: 1500, tso, gbps: 10 };
  const t = kind === 'e1000' ? e1000Transmitter(o) : mqTransmitter(o);
  const nics: TxQueueDevice[] = 'nics' in t ? t.nics : [t.nic];
  const wire: Uint8Array[] = [];
  for (const nic of nics) nic.wire = (f, len) => wire.push(f.slice(0, len));
  const driver: TxRingDriver = t.driver;
  const path = new XmitPath(driver, stack.cpu);
  return { clock, stack, nics, wire, driver, path };
}

describe('transmit rings (hw-models/tx-queue.ts, drivers/xmit-ring.ts, stack/xmit.ts)', () => {
  for (const kind of ['e1000', 'mq'] as const)
    for (const tso of [true, false]) {
      it(`${kind}, TSO ${tso ? 'in the device' : 'off (software GSO)'}: a GRO aggregate leaves as the segments that arrived`, () => {
        const input = train(5);
        const sink = new RecordingSink();
        const g = new GroEngine({ sink });
        for (const f of input) g.groReceive(skbOf(f));
        g.flush();
        expect(sink.got).toHaveLength(1);
        const s = setup(kind, tso);
        s.path.xmit(sink.got[0]!.skb, input[0]!.subarray(0, 14));
        s.clock.run();
        expect(s.wire).toEqual(input);
        expect(s.path.stats.tsoPackets).toBe(tso ? 1 : 0);
        expect(s.path.stats.gsoSoftwareSegments).toBe(tso ? 0 : 5);
        const nic = s.nics[0]!;
        expect(nic.counters.tx_frames).toBe(5);
        expect(nic.counters.tx_tso_frames).toBe(tso ? 5 : 0);
        // every packet reclaimed after its DD: one TX interrupt per completion batch
        expect(s.driver.inFlight).toBe(0);
        expect(s.driver.counters.tx_cleaned).toBe(tso ? 1 : 5);
        expect(nic.irq.counters.irqs).toBeGreaterThan(0);
      });
    }

  it('a full ring stops the queue; the TX interrupt wakes it and the waiting packets leave in order', () => {
    const s = setup('mq', true);
    const input = Array.from({ length: 600 }, (_, i) => seg({ seq: 1000 + i * 100, payload: 100, id: i }));
    for (const f of input) s.path.xmit(skbOf(f), f.subarray(0, 14));
    expect(s.path.stats.queueStopped).toBe(1);
    // 512 slots, one always empty, and the driver stops while fewer than 2 (a context + a data descriptor) are free
    expect(s.path.stats.queuedWhileStopped).toBe(600 - 510);
    s.clock.run();
    expect(s.wire).toEqual(input);
    expect(s.path.held).toBe(0);
    expect(s.driver.counters.tx_wakes).toBeGreaterThan(0);
  });

  for (const kind of ['e1000', 'mq'] as const)
    it(`${kind}: the transmit descriptor layouts round-trip and sit at their documented offsets`, () => {
      const nic = setup(kind, true).nics[0]!;
      expect(nic.descriptors.map((d) => [d.name, d.writer, d.size])).toEqual(
        (kind === 'e1000' ? ['tx_legacy', 'tx_context', 'tx_data'] : ['tx_context', 'tx_data']).map((n) => [
          n,
          'driver',
          16,
        ]),
      );
      for (const d of nic.descriptors) expectLayoutRoundTrip(d, true);
    });
});
