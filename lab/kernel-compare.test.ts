// The comparison vnic kernel-check makes: flow by flow, a kernel split that another kernel answer merged
// across is poll timing, everything else a difference in what GRO decided.
import { describe, expect, it } from 'vitest';
import { compareFlows, differenceLine, packetsByFlow, type FlowTable } from './kernel-compare.ts';
import type { PacketSummary } from './kernel-gro.ts';
import { frame } from '../wire/index.ts';

const table = (flows: Record<string, PacketSummary[]>, reasons: Record<string, string[]> = {}): FlowTable =>
  new Map(Object.entries(flows).map(([k, packets]) => [k, { packets, reasons: reasons[k] ?? packets.map(() => '') }]));

describe('kernel-check comparison', () => {
  it('equal answers are exact; flows compare on their own, whatever their order between flows', () => {
    const lab = table({
      a: [[100, 300]],
      b: [
        [5, 10],
        [15, 0, 'F'],
      ],
    });
    const kernel = table({
      b: [
        [5, 10],
        [15, 0, 'F'],
      ],
      a: [[100, 300]],
    });
    expect(compareFlows(kernel, lab)).toEqual({ difference: null, timingSplits: 0, exact: true });
  });

  it('a kernel split that no other answer merged across is a difference, named with both packets and the reason', () => {
    const lab = table(
      {
        f: [
          [100, 65160],
          [65260, 0, 'F'],
        ],
      },
      { f: ['flushed (psh): 45 segments, 65212 bytes', ''] },
    );
    const kernel = table({
      f: [
        [100, 40544],
        [40644, 24616],
        [65260, 0, 'F'],
      ],
    });
    const c = compareFlows(kernel, lab);
    expect([c.exact, c.timingSplits, c.difference?.kernelIndex, c.difference?.labIndex]).toEqual([false, 0, 0, 0]);
    expect(differenceLine(c.difference!)).toBe(
      "first difference in flow f, kernel packet 1 / lab packet 1: kernel seq 100 with 40544 payload bytes, lab seq 100 with 65160 payload bytes (the lab's GRO: flushed (psh): 45 segments, 65212 bytes) — the kernel's GRO let its packet go where the lab's merged on, in every answer it gave",
    );
  });

  it('the same split is poll timing when another kernel answer merged across it', () => {
    const lab = table({
      f: [
        [100, 65160],
        [65260, 0, 'F'],
      ],
    });
    const kernel = table({
      f: [
        [100, 40544],
        [40644, 24616],
        [65260, 0, 'F'],
      ],
    });
    const other = table({
      f: [
        [100, 52128],
        [52228, 13032],
        [65260, 0, 'F'],
      ],
    });
    expect(compareFlows(kernel, lab, [other])).toEqual({ difference: null, timingSplits: 1, exact: false });
  });

  it('a lab packet that ends inside a kernel packet is always a difference (the lab flushed where the kernel merged)', () => {
    const lab = table(
      {
        f: [
          [100, 1000],
          [1100, 1000],
        ],
      },
      { f: ['flushed (seq): 1 segment, 1040 bytes', ''] },
    );
    const kernel = table({ f: [[100, 2000]] });
    const c = compareFlows(kernel, lab, [kernel]);
    expect(c.difference?.why).toBe("the lab's GRO let its packet go where the kernel's merged on");
    expect(c.difference?.labReason).toBe('flushed (seq): 1 segment, 1040 bytes');
  });

  it('a packet on one side only, or a FIN on one side only, is a difference', () => {
    expect(
      compareFlows(
        table({
          f: [
            [100, 1],
            [101, 1],
          ],
        }),
        table({ f: [[100, 1]] }),
      ).difference?.why,
    ).toBe('the kernel passed up a packet the lab did not');
    expect(compareFlows(table({ f: [[100, 0]] }), table({ f: [[100, 0, 'F']] })).difference?.why).toBe(
      'FIN on one side only',
    );
    expect(compareFlows(table({}), table({ g: [[1, 1]] })).difference?.flow).toBe('g');
  });

  it('groups TCP frames by flow and leaves other frames out', () => {
    const tcp = (sport: number, seq: number, flags = 'A') =>
      frame().ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }).tcp({ sport, dport: 80, seq, flags }).payload(10).build();
    const udp = frame().ipv4({ src: '10.0.0.1', dst: '10.0.0.2' }).udp({ sport: 1, dport: 2 }).payload(4).build();
    const t = packetsByFlow([tcp(1, 5), udp, tcp(2, 7), tcp(1, 15, 'FA')], ['r1', 'r2', 'r3', 'r4']);
    expect([...t.entries()]).toEqual([
      [
        '10.0.0.1:1 > 10.0.0.2:80',
        {
          packets: [
            [5, 10],
            [15, 10, 'F'],
          ],
          reasons: ['r1', 'r4'],
        },
      ],
      ['10.0.0.1:2 > 10.0.0.2:80', { packets: [[7, 10]], reasons: ['r3'] }],
    ]);
  });
});
