// GSO re-segmentation: segment(gro(segments)) == segments byte for byte; LRO aggregates lose that.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { segment, segmentFrames } from '../stack/gso.ts';
import { GroEngine } from '../lro/gro.ts';
import { seg, skbOf, RecordingSink, makeLro } from './support/lro.ts';
import { SKB_GSO_TCPV4 } from '../stack/skb.ts';

const streamArb = fc.record({
  idFixed: fc.boolean(),
  segs: fc.array(
    fc.record({
      // fast-check favours small integers: 0 means "ordinary", a mid value triggers an event
      odd: fc.integer({ min: 0, max: 99 }),
      shortLen: fc.integer({ min: 0, max: 1447 }),
      ackBump: fc.integer({ min: 0, max: 19 }),
      tsBump: fc.integer({ min: 0, max: 19 }),
      winBump: fc.integer({ min: 0, max: 29 }),
      flushAfter: fc.integer({ min: 0, max: 39 }),
    }),
    { minLength: 1, maxLength: 120, size: 'max' },
  ),
});

describe('GSO (stack/gso.ts)', () => {
  it('property: segment(gro(segments)) equals the original segments byte for byte', () => {
    let merged = 0;
    fc.assert(
      fc.property(streamArb, ({ idFixed, segs }) => {
        const sink = new RecordingSink();
        const g = new GroEngine({ sink });
        const input: Uint8Array[] = [];
        let seq = 1000,
          ack = 1,
          ts = 10,
          win = 500,
          id = 40;
        for (const s of segs) {
          if (s.ackBump === 7) ack++;
          if (s.tsBump === 7) ts++;
          if (s.winBump === 7) win++;
          const o = s.odd - 80;
          const len = o >= 0 && o < 8 ? s.shortLen : 1448;
          const flags = o >= 8 && o < 14 ? ['AP', 'AF', 'AU', 'AW', 'AE', 'AR'][o - 8]! : 'A';
          const fr = seg({ seq, payload: len, flags, ack, ts: [ts, 3], window: win, ttl: o === 14 ? 63 : 64, id });
          if (!idFixed) id = (id + 1) & 0xffff;
          seq += len;
          input.push(fr);
          g.groReceive(skbOf(fr));
          if (s.flushAfter === 7) g.flush();
        }
        g.flush();
        const out = sink.got.flatMap((d) => segmentFrames(d.skb).map((x) => x.frame));
        expect(out.length).toBe(input.length);
        let differing = -1;
        for (let i = 0; i < input.length && differing < 0; i++) {
          const a = out[i]!,
            b = input[i]!;
          if (a.length !== b.length || a.some((v, k) => v !== b[k])) differing = i;
        }
        if (differing >= 0) expect(out[differing]).toEqual(input[differing]); // shows the bytes that differ
        expect(differing).toBe(-1);
        expect(sink.got.reduce((n, d) => n + d.skb.wireFrames, 0)).toBe(input.length);
        merged += g.stats.merged;
      }),
      { numRuns: 150 },
    );
    expect(merged).toBeGreaterThan(1000);
  });

  it('segment() gives linear skbs with data at the IP header', () => {
    const sink = new RecordingSink();
    const g = new GroEngine({ sink });
    for (let i = 0; i < 3; i++) g.groReceive(skbOf(seg({ seq: 1000 + i * 1448, id: i })));
    g.flush();
    expect(sink.got[0]!.skb.gsoType).toBe(SKB_GSO_TCPV4);
    const parts = segment(sink.got[0]!.skb);
    expect(parts.map((p) => [p.len, p.macHeader, p.data, p.protocol])).toEqual([
      [1500, 0, 14, 0x800],
      [1500, 0, 14, 0x800],
      [1500, 0, 14, 0x800],
    ]);
  });

  it('LRO aggregates do not re-segment to the original segments (changed ACK, window, TSecr, mid-stream PSH are lost)', () => {
    const { lro, sink } = makeLro();
    const input = [
      seg({ seq: 1000, ack: 1, window: 10, ts: [5, 1], id: 1 }),
      seg({ seq: 2448, ack: 2, window: 11, ts: [5, 2], id: 2, flags: 'AP' }),
      seg({ seq: 3896, ack: 3, window: 12, ts: [6, 3], id: 3 }),
    ];
    for (const fr of input) lro.receiveSkb(skbOf(fr), null);
    lro.flushAll();
    expect(sink.got.length).toBe(1);
    const out = segmentFrames(sink.got[0]!.skb).map((x) => x.frame);
    expect(out.length).toBe(3);
    // payload and seq survive, but every segment now carries the last ack/window/TSecr and the first TSval, no PSH
    let same = 0;
    for (let i = 0; i < 3; i++)
      if (out[i]!.length === input[i]!.length && out[i]!.every((v, k) => v === input[i]![k])) same++;
    expect(same).toBe(0);
    expect(out[1]![47]).toBe(0x10);
    expect(Array.from(out[0]!.subarray(42, 46))).toEqual([0, 0, 0, 3]);
  });
});
