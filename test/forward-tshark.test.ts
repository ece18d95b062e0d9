// tshark judges the egress side of the forward scenario (--out-egress): every frame a valid Ethernet/
// IPv4/TCP frame with good checksums, TTL one less than the sender's 64, no frame above the MTU; with GRO
// the frames, field by field, are those that left with LRO/GRO off — with 2.6.24 LRO they are not (PSH).
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { runLab } from '../lab/run.ts';
import { getScenario } from '../lab/scenarios.ts';
import { tmpDir, tsharkFields } from './support/pcap.ts';

const { dir, cleanup } = tmpDir();
afterAll(cleanup);
const scenario = getScenario('forward')!;
const FIELDS = [
  'frame.len',
  'ip.ttl',
  'ip.id',
  'ip.len',
  'ip.checksum.status',
  'tcp.srcport',
  'tcp.seq_raw',
  'tcp.len',
  'tcp.flags',
  'tcp.checksum.status',
];

/** The scenario's flows, smaller: two bulk flows of 256 KiB and 200 messages. */
const traffic = {
  ...scenario.lab.traffic,
  bytesPerFlow: 256 << 10,
  flows: [
    { kind: 'bulk', count: 2, dst: '10.0.1.2' },
    { kind: 'messages', sport: 42000, dst: '10.0.1.2', messageBytes: 1000, messages: 200, thinkNs: 0 },
  ],
};

/** tshark's fields of every egress frame, checksums verified, sorted (the flows interleave differently per run). */
function egress(engine: 'off' | 'lro' | 'gro', kernel: '2.6.24' | 'modern'): string[][] {
  const path = join(dir, `${engine}-${kernel}.pcap`);
  const r = runLab(
    { ...scenario.lab, traffic, engine, forward: { ...scenario.lab.forward, kernel } },
    { outEgress: { path, format: 'pcap' } },
  );
  expect(r.report.allStreamsOk).toBe(true);
  return tsharkFields(path, FIELDS, ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE']).sort((a, b) =>
    a.join(' ') < b.join(' ') ? -1 : 1,
  );
}

describe('tshark reads the forwarded frames', () => {
  it('GRO egress equals LRO/GRO-off egress field by field; 2.6.24 LRO egress loses PSH bits', () => {
    const off = egress('off', 'modern');
    const gro = egress('gro', 'modern');
    const lro = egress('lro', '2.6.24');
    const bulkFrames = 2 * Math.ceil((256 << 10) / 1448);
    for (const rows of [off, gro, lro]) {
      expect(rows).toHaveLength(bulkFrames + 200);
      for (const r of rows) {
        expect(Number(r[0])).toBeLessThanOrEqual(1514);
        expect(r[1]).toBe('63');
        expect([r[4], r[9]]).toEqual(['1', '1']); // tshark's checksum status 1: good
      }
    }
    expect(gro).toEqual(off);
    const psh = (rows: string[][]) => rows.filter((r) => (Number(r[8]) & 0x08) !== 0).length;
    expect(psh(off)).toBeGreaterThanOrEqual(200);
    expect(psh(lro)).toBeLessThan(psh(off));
    expect(lro).not.toEqual(off);
  });
});
