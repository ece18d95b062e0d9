// Link-partner throughput: a LinkPartner with 4 open-loop bulk flows (1448-byte segments with
// timestamps) through a 100 Gb/s Link into a sink that discards every frame, the virtual clock run
// event by event until the wanted number of segments has been delivered (`traffic-bulk-4flows`);
// and the partner alone, into a FrameTx that drops each frame at once (`traffic-partner-only`).
import { VirtualClock } from '../sim/clock.ts';
import { createLinkPartner } from '../traffic/partner.ts';
import type { LinkPartner } from '../traffic/partner.ts';
import { LinkPartner as Partner } from '../traffic/partner.ts';
import type { FrameSink, FrameTx } from '../traffic/link.ts';
import type { BenchCase } from './run.ts';

class NullSink implements FrameSink {
  frames = 0;
  bytes = 0;
  receiveFrame(_frame: Uint8Array, length: number): void {
    this.frames++;
    this.bytes += length;
  }
}

function bulkCase(name: string, flows: number): BenchCase {
  let state: { clock: VirtualClock; sink: NullSink; partner: LinkPartner } | null = null;
  return {
    name,
    packets: 2_000_000,
    warmup: 500_000,
    run(n) {
      if (state === null) {
        const clock = new VirtualClock();
        const sink = new NullSink();
        const { partner } = createLinkPartner(clock, sink, {
          seed: 1,
          openLoop: true,
          rateGbps: 100,
          flows: [{ kind: 'bulk', count: flows, mss: 1448, bytes: Number.MAX_SAFE_INTEGER }],
        });
        partner.start();
        state = { clock, sink, partner };
      }
      const { clock, sink, partner } = state;
      const f0 = sink.frames,
        b0 = sink.bytes,
        s0 = partner.stats.tcpSegments;
      const target = f0 + n;
      while (sink.frames < target && clock.step());
      return {
        packets: sink.frames - f0,
        segmentsBuilt: partner.stats.tcpSegments - s0,
        bytesPerFrame: Math.round((sink.bytes - b0) / (sink.frames - f0)),
      };
    },
  };
}

/** Takes `budget` frames without copying them, then reports a full queue so the partner's pump returns. */
class DroppingTx implements FrameTx {
  budget = 0;
  frames = 0;
  transmit(): void {
    this.budget--;
    this.frames++;
  }
  backlog(): number {
    return this.budget > 0 ? 0 : 2;
  }
  addReadyListener(): void {}
}

function partnerOnlyCase(name: string, flows: number): BenchCase {
  let state: { tx: DroppingTx; partner: LinkPartner } | null = null;
  return {
    name,
    packets: 5_000_000,
    run(n) {
      if (state === null) {
        const tx = new DroppingTx();
        const partner = new Partner(new VirtualClock(), tx, {
          seed: 1,
          openLoop: true,
          flows: [{ kind: 'bulk', count: flows, mss: 1448, bytes: Number.MAX_SAFE_INTEGER }],
        });
        partner.start();
        state = { tx, partner };
      }
      const { tx, partner } = state;
      const f0 = tx.frames;
      tx.budget = n;
      partner.pump();
      return { packets: tx.frames - f0 };
    },
  };
}

export const cases: BenchCase[] = [bulkCase('traffic-bulk-4flows', 4), partnerOnlyCase('traffic-partner-only', 4)];
