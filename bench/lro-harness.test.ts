// The engine benchmarks stay honest: every segment bench/lro.bench.ts hands LRO or GRO is a distinct valid frame, byte
// for byte the one the builder makes for that flow's next seq and IP ID (checksums included), also after the engines
// rewrote an aggregate's head in a slot the ring reuses; and the engines merge them as the bench says they do.
import { describe, expect, it } from 'vitest';
import { frame } from '../wire/index.ts';
import { SkbPool } from '../stack/skb.ts';
import { GroEngine } from '../lro/gro.ts';
import { LroManager } from '../lro/inet-lro.ts';
import { FrameRing, FreeingSink, getSkbHeader, skbFor } from './lro.bench.ts';

/** The `n`th segment of flow `flow` as the builder makes it. */
function built(flow: number, n: number): Uint8Array {
  return frame()
    .ipv4({ id: n & 0xffff })
    .tcp({ sport: 10000 + flow, seq: (n * 1448) >>> 0, ack: 1, ts: [1000, 2000], window: 5000 })
    .payload(1448)
    .build();
}

/** Byte positions where `a` and `b` differ (and any length difference). */
function differing(a: Uint8Array, b: Uint8Array): number {
  let d = Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) d++;
  return d;
}

describe('the LRO/GRO bench harness', () => {
  it.each([
    ['lro', 1],
    ['lro', 8],
    ['gro', 1],
  ] as const)(
    '%s, %i flow(s): each segment is the built frame for its seq and ID, twice round the ring',
    (engine, flows) => {
      const packets = 2 * 1024 + 64 * 3;
      const sink = new FreeingSink();
      const pool = new SkbPool(64);
      const lro = new LroManager({ maxDesc: 8, maxAggr: 64, mtu: 1500, sink, getSkbHeader, skbPool: pool });
      const gro = new GroEngine({ sink });
      const ring = new FrameRing(flows);
      let wrong = 0;
      for (let k = 0; k < packets; k++) {
        const b = ring.next(k);
        wrong += differing(b, built(k % flows, Math.floor(k / flows)));
        if (engine === 'lro') lro.receiveSkb(skbFor(pool, b), null);
        else gro.groReceive(skbFor(pool, b));
        if ((k + 1) % 64 === 0) {
          lro.flushAll();
          gro.flush();
        }
      }
      expect(wrong).toBe(0);
      if (engine === 'lro') {
        // every segment merged; one flow's session stops at the 64 KB margin after 45 segments
        expect(lro.stats.aggregated).toBe(packets);
        expect(lro.stats.bypassed).toBe(0);
        expect(lro.stats.flush_64k).toBe(flows === 1 ? packets / 64 : 0);
        expect(sink.delivered).toBe(lro.stats.flushed);
      } else {
        // a held packet stops below 64 KB: 45 segments, then the next 19 of each 64
        expect(gro.stats.passed).toBe(0);
        expect(gro.stats.flush_max_size).toBe(packets / 64);
        expect(gro.stats.merged).toBe(packets - 2 * (packets / 64));
        expect(sink.delivered).toBe(gro.stats.flushed);
      }
      expect(pool.inUse).toBe(0);
    },
  );
});
