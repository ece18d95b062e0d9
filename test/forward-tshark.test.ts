// tshark judges the egress side of the forward and bridge scenarios (--out-egress): every frame a valid
// Ethernet/IPv4/TCP frame with good checksums, TTL one less than the sender's 64 behind a router and 64
// behind a bridge, the bridge's frames still addressed MAC to MAC from sender to far host, no frame above
// the MTU; with GRO the frames, field by field, are those that left with LRO/GRO off — with 2.6.24 LRO
// they are not (PSH).
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { runLab } from '../lab/run.ts';
import { getScenario } from '../lab/scenarios.ts';
import { tmpDir, tsharkFields } from './support/pcap.ts';

const { dir, cleanup } = tmpDir();
afterAll(cleanup);
const FIELDS = [
  'eth.src',
  'eth.dst',
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

/** tshark's fields of every egress frame of the scenario's flows, smaller (two bulk flows of 256 KiB and 200 messages), checksums verified, sorted (the flows interleave differently per run). */
function egress(name: 'forward' | 'bridge', engine: 'off' | 'lro' | 'gro', kernel: '2.6.24' | 'modern'): string[][] {
  const scenario = getScenario(name)!;
  const dst = name === 'bridge' ? '10.0.0.2' : '10.0.1.2';
  const traffic = {
    ...scenario.lab.traffic,
    bytesPerFlow: 256 << 10,
    flows: [
      { kind: 'bulk', count: 2, dst },
      { kind: 'messages', sport: 42000, dst, messageBytes: 1000, messages: 200, thinkNs: 0 },
    ],
  };
  const path = join(dir, `${name}-${engine}-${kernel}.pcap`);
  const r = runLab(
    { ...scenario.lab, traffic, engine, forward: { ...scenario.lab.forward, kernel } },
    { outEgress: { path, format: 'pcap' } },
  );
  expect(r.report.allStreamsOk).toBe(true);
  return tsharkFields(path, FIELDS, ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE']).sort((a, b) =>
    a.join(' ') < b.join(' ') ? -1 : 1,
  );
}

describe('tshark reads the forwarded and bridged frames', () => {
  for (const [name, ttl, macs] of [
    ['forward', '63', ['02:00:00:00:01:fe', '02:00:00:00:01:02']],
    ['bridge', '64', ['02:00:00:00:00:01', '02:00:00:00:01:02']],
  ] as const)
    it(`${name}: GRO egress equals LRO/GRO-off egress field by field; 2.6.24 LRO egress loses PSH bits`, () => {
      const off = egress(name, 'off', 'modern');
      const gro = egress(name, 'gro', 'modern');
      const lro = egress(name, 'lro', '2.6.24');
      const bulkFrames = 2 * Math.ceil((256 << 10) / 1448);
      for (const rows of [off, gro, lro]) {
        expect(rows).toHaveLength(bulkFrames + 200);
        for (const r of rows) {
          expect([r[0], r[1]]).toEqual(macs);
          expect(Number(r[2])).toBeLessThanOrEqual(1514);
          expect(r[3]).toBe(ttl);
          expect([r[6], r[11]]).toEqual(['1', '1']); // tshark's checksum status 1: good
        }
      }
      expect(gro).toEqual(off);
      const psh = (rows: string[][]) => rows.filter((r) => (Number(r[10]) & 0x08) !== 0).length;
      expect(psh(off)).toBeGreaterThanOrEqual(200);
      expect(psh(lro)).toBeLessThan(psh(off));
      expect(lro).not.toEqual(off);
    });
});
