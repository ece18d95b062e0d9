// vnic kernel-check: the lab's GRO against this machine's kernel GRO. Asking the kernel needs root,
// ip, ethtool, python3 and network namespaces; where one is missing the comparison is skipped (the
// reason is printed) and only the "missing" path is checked. CI runs as root, so there it runs.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vnic } from './support/cli.ts';
import { canMakeNetns, kernelGroMissing } from '../lab/kernel-gro.ts';
import { CaptureWriter } from '../tap/index.ts';
import { catalogue } from './gro-catalogue/catalogue.ts';
import { bigTcpCases } from './gro-catalogue/big-tcp.ts';

const missing = kernelGroMissing();
const why = missing !== null ? `missing ${missing}` : canMakeNetns() ? null : 'network namespaces cannot be made here';
if (why !== null) process.stderr.write(`kernel-check.test: the comparison with the kernel is skipped: ${why}\n`);

describe('vnic kernel-check', () => {
  it('exits 2 with one line naming what is missing when ip, ethtool and python3 are not on the PATH', async () => {
    const r = await vnic(['kernel-check', join(import.meta.dirname, 'captures', 'bulk_mtu1500.tx.pcap')], {
      env: { NO_COLOR: '1', PATH: '/nonexistent' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/needs root, ip, ethtool and python3 .*missing: .*ip, ethtool, python3/);
  });

  // reason for skipping: asking the kernel needs root, ip, ethtool, python3 and network namespaces (printed above when absent)
  it.skipIf(why !== null)('finds no difference on a small burst (two segments and a FIN)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vnic-kcheck-test-'));
    try {
      const path = join(dir, 'cases.pcap');
      const w = CaptureWriter.open(path, { format: 'pcap' });
      for (const f of catalogue().find((x) => x.id === 'ipv4/data/same-size')!.frames)
        w.write({ tsSec: 0, tsNsec: 0, data: f });
      w.close();
      const r = await vnic(['kernel-check', path, '--json']);
      expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
      expect(JSON.parse(r.stdout)).toMatchObject({ frames: 3, kernelPackets: 2, labPackets: 2, firstDifference: null });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // reason for skipping: as above
  it.skipIf(why !== null)(
    'a FIN padded to 60 bytes (as a NIC hands it up) flushes the held packet first, in the kernel and in the lab',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'vnic-kcheck-test-'));
      try {
        const path = join(dir, 'pad.pcap');
        const c = catalogue().find((x) => x.id === 'ipv4/ip/padded-fin')!;
        const w = CaptureWriter.open(path, { format: 'pcap' });
        for (const f of c.frames) w.write({ tsSec: 0, tsNsec: 0, data: f });
        w.close();
        const r = await vnic(['kernel-check', path, '--json']);
        expect(r.code).toBe(0);
        expect(JSON.parse(r.stdout)).toMatchObject({ kernelPackets: 3, labPackets: 3, firstDifference: null });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('needs a capture or --scenario, not both and not neither (exit 2)', async () => {
    const none = await vnic(['kernel-check'], { env: { NO_COLOR: '1' } });
    expect([none.code, none.stderr.trim()]).toEqual([
      2,
      'vnic: kernel-check needs a capture or --scenario NAME (one of them)',
    ]);
    const unknown = await vnic(['kernel-check', '--scenario', 'nope'], {
      env: { NO_COLOR: '1', PATH: process.env['PATH'] ?? '' },
    });
    expect(unknown.code).toBe(2);
  });

  // reason for skipping: as above
  it.skipIf(why !== null).each([
    ['ipv4/gro_ipv4_max_size-131072', '--gro-ipv4-max-size', '131072', 101, 3],
    // 181 segments: more than the sender's default send buffer lets GRO hold
    ['ipv4/gro_ipv4_max_size-262144', '--gro-ipv4-max-size', '262144', 201, 3],
    // IPv6 past 64 KB: the kernel side is asked with XDP_PASS on the veth
    ['ipv6/gro_max_size-131072', '--gro-max-size', '131072', 101, 3],
  ] as const)(
    'BIG TCP %s: with that limit on both sides, the kernel and the lab build the same packets past 64 KB',
    async (id, flag, size, frames, labPackets) => {
      const dir = mkdtempSync(join(tmpdir(), 'vnic-kcheck-test-'));
      try {
        const path = join(dir, 'big.pcap');
        const w = CaptureWriter.open(path, { format: 'pcap' });
        for (const f of bigTcpCases().find((x) => x.id === id)!.frames) w.write({ tsSec: 0, tsNsec: 0, data: f });
        w.close();
        const r = await vnic(['kernel-check', path, flag, size, '--runs', '5', '--json']);
        expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
        expect(JSON.parse(r.stdout)).toMatchObject({ frames, labPackets, firstDifference: null });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  // reason for skipping: as above
  it.skipIf(why !== null)("--scenario: the lab's own traffic through both", async () => {
    const r = await vnic(['kernel-check', '--scenario', 'bulk-1flow', '--max-frames', '200', '--json']);
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    expect(JSON.parse(r.stdout)).toMatchObject({
      input: 'scenario bulk-1flow',
      frames: 200,
      flows: 1,
      firstDifference: null,
    });
  });
});
