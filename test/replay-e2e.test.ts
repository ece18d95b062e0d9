// End to end over every model × engine (issue 14): the shared header-only capture (parallel4, snaplen
// 128), a header-only capture made here with `editcap -s 128` from the full bulk capture, and a jumbo
// capture made here by the link partner at MTU 9000 — each with and without --only-to, with default
// flags otherwise (the MTU from the capture). Every byte stream checks out over the made-up payload;
// the counts are exact.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLab, type LabConfig } from '../lab/run.ts';
import { getScenario } from '../lab/scenarios.ts';
import { capturePath } from './captures.ts';

const MODELS = ['ehea', 'myri10ge', 'e1000', 'mq'] as const;
const ENGINES = ['lro', 'gro', 'off'] as const;

let dir = '';
const files: Record<string, string> = {};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vnic-e2e-'));
  files['parallel4'] = capturePath('parallel4_mtu1500.tx.pcap');
  files['bulk-s128'] = join(dir, 'bulk-s128.pcap');
  execFileSync('editcap', ['-s', '128', capturePath('bulk_mtu1500.tx.pcap'), files['bulk-s128']]);
  // the link partner's frames at MTU 9000 as the receiving NIC saw them (engine off: one frame per packet)
  files['jumbo'] = join(dir, 'jumbo.pcap');
  const jumbo = getScenario('jumbo')!.lab;
  runLab(
    { ...jumbo, traffic: { ...(jumbo.traffic as object), bytesPerFlow: 1 << 20 }, model: 'mq', engine: 'off' },
    { out: { path: files['jumbo'], format: 'pcap' } },
  );
}, 120_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Seen {
  frames: number;
  headerOnly: number;
  bytes: number;
  drops: Record<string, number>;
  mtu: number;
}

function replay(file: string, model: string, engine: (typeof ENGINES)[number], onlyTo?: string): Seen {
  const cfg: LabConfig = {
    model,
    engine,
    capture: { path: files[file]!, ...(onlyTo !== undefined ? { onlyTo } : {}) },
    ...(model === 'e1000' && engine === 'lro' ? { softwareChecksum: true } : {}),
  };
  const r = runLab(cfg);
  expect(r.conservation.ok).toBe(true);
  expect(r.report.allStreamsOk).toBe(true);
  expect(r.report.missingFlows).toEqual([]);
  const drops: Record<string, number> = {};
  for (const [k, v] of Object.entries(r.report.drops)) if (v > 0) drops[k] = v;
  return {
    frames: r.report.framesIn,
    headerOnly: r.report.counters['capture']!['headerOnlyFrames']!,
    bytes: r.report.bytesDelivered,
    drops,
    mtu: r.mtu.value,
  };
}

describe.each(MODELS)('%s', (model) => {
  describe.each(ENGINES)('engine %s', (engine) => {
    it('parallel4 (header-only, snaplen 128)', () => {
      const all = replay('parallel4', model, engine);
      // the receiver's 75 ACKs went out with checksum offload: captured with partial checksums, they stay wrong and are dropped
      expect(all).toEqual({
        frames: 1549,
        headerOnly: 1455,
        bytes: 4 * 524_288,
        drops: { [model === 'ehea' ? 'rx_error_completion' : 'tcp_csum_errors']: 75 },
        mtu: 1500,
      });
      expect(replay('parallel4', model, engine, '10.77.0.2')).toEqual({
        frames: 1473,
        headerOnly: 1455,
        bytes: 4 * 524_288,
        drops: {},
        mtu: 1500,
      });
    });

    it('bulk cut with editcap -s 128', () => {
      // as in parallel4, the receiver's 50 ACKs carry partial checksums (offload on that side)
      expect(replay('bulk-s128', model, engine)).toEqual({
        frames: 1511,
        headerOnly: 1456,
        bytes: 2 << 20,
        drops: { [model === 'ehea' ? 'rx_error_completion' : 'tcp_csum_errors']: 50 },
        mtu: 1500,
      });
      expect(replay('bulk-s128', model, engine, '10.77.0.2')).toEqual({
        frames: 1460,
        headerOnly: 1456,
        bytes: 2 << 20,
        drops: {},
        mtu: 1500,
      });
    });

    it('jumbo from the link partner at MTU 9000', () => {
      expect(replay('jumbo', model, engine)).toEqual({
        frames: 236,
        headerOnly: 0,
        bytes: 2 << 20,
        drops: {},
        mtu: 9000,
      });
      expect(replay('jumbo', model, engine, '10.0.0.2')).toEqual({
        frames: 236,
        headerOnly: 0,
        bytes: 2 << 20,
        drops: {},
        mtu: 9000,
      });
    });
  });
});

describe('--out of a header-only replay keeps the input snap length: tshark never sees made-up bytes', () => {
  it.each(MODELS)('%s', (model) => {
    const out = join(dir, `${model}-out.pcap`);
    runLab(
      { model, capture: { path: files['parallel4']!, onlyTo: '10.77.0.2' } },
      { out: { path: out, format: 'pcap' } },
    );
    const rows = execFileSync(
      'tshark',
      ['-r', out, '-o', 'tcp.check_checksum:TRUE', '-T', 'fields', '-e', 'frame.cap_len', '-e', 'tcp.checksum.status'],
      { encoding: 'utf8' },
    )
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(rows.length).toBeGreaterThan(0);
    expect(Math.max(...rows.map((r) => Number(r[0])))).toBe(128);
    // 0 = bad: never; 2 = unverified (cut), 1 = good (whole small frames)
    expect(rows.filter((r) => r[1] === '0')).toEqual([]);
  });
});
