// The lab must agree with the real kernel: replaying the frames of a real Linux capture that are
// addressed to the receiver through our NIC, driver and GRO reproduces what that kernel's stack
// received (test/captures/README.md), packet for packet; and with LRO every byte stream stays intact.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLab } from '../lab/run.ts';
import { readCapture } from '../tap/index.ts';
import { capturePath } from './captures.ts';

interface Pkt {
  seq: number;
  ipLen: number;
  payload: Uint8Array;
  origLen: number;
}

/** Inbound TCP data packets (to 10.77.0.2) of a capture, in order. */
function dataPackets(path: string): Pkt[] {
  const out: Pkt[] = [];
  for (const r of readCapture(path)) {
    const d = r.data;
    let l3 = 14;
    let type = (d[12]! << 8) | d[13]!;
    if (type === 0x8100) {
      type = (d[16]! << 8) | d[17]!;
      l3 = 18;
    }
    if (type !== 0x0800 || d[l3 + 9] !== 6) continue;
    const dst = `${d[l3 + 16]}.${d[l3 + 17]}.${d[l3 + 18]}.${d[l3 + 19]}`;
    if (dst !== '10.77.0.2') continue;
    const ihl = (d[l3]! & 0x0f) * 4;
    const ipLen = (d[l3 + 2]! << 8) | d[l3 + 3]!;
    const l4 = l3 + ihl;
    const doff = (d[l4 + 12]! >> 4) * 4;
    const payLen = ipLen - ihl - doff;
    if (payLen <= 0) continue;
    const seq = ((d[l4 + 4]! << 24) | (d[l4 + 5]! << 16) | (d[l4 + 6]! << 8) | d[l4 + 7]!) >>> 0;
    out.push({ seq, ipLen, payload: d.slice(l4 + doff, Math.min(d.length, l4 + doff + payLen)), origLen: r.origLen });
  }
  return out;
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'vnic-kernel-'));
}

describe('replaying real Linux traffic', () => {
  it('bulk_mtu1500 with --engine gro --batch all reproduces the kernel receive side packet for packet', () => {
    const dir = tmp();
    try {
      const out = join(dir, 'rx.pcap');
      const res = runLab(
        {
          capture: { path: capturePath('bulk_mtu1500.tx.pcap'), onlyTo: '10.77.0.2' },
          engine: 'gro',
          batch: 'all',
          pollBudget: 1_000_000,
        },
        { out: { path: out } },
      );
      expect(res.conservation.ok).toBe(true);
      expect(res.report.allStreamsOk).toBe(true);
      const ours = dataPackets(out);
      const kernel = dataPackets(capturePath('bulk_mtu1500.rx.pcap'));
      expect(ours.length).toBe(kernel.length);
      for (let i = 0; i < kernel.length; i++) {
        const a = ours[i]!,
          k = kernel[i]!;
        expect({ i, seq: a.seq, ipLen: a.ipLen }).toEqual({ i, seq: k.seq, ipLen: k.ipLen });
        expect(Buffer.from(a.payload).equals(Buffer.from(k.payload))).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bulk_mtu1500 with --engine lro keeps the byte stream and builds inet_lro aggregates (45 × 1448 = 65212-byte IP packets)', () => {
    const dir = tmp();
    try {
      const out = join(dir, 'rx.pcap');
      const res = runLab(
        {
          capture: { path: capturePath('bulk_mtu1500.tx.pcap'), onlyTo: '10.77.0.2' },
          engine: 'lro',
          batch: 'all',
          pollBudget: 1_000_000,
        },
        { out: { path: out } },
      );
      expect(res.conservation.ok).toBe(true);
      expect(res.report.allStreamsOk).toBe(true);
      const ours = dataPackets(out);
      const largest = Math.max(...ours.map((p) => p.ipLen));
      expect(largest).toBe(65212);
      // inet_lro flushes once an aggregate passes 65535 − MTU = 64035 bytes: every such flush left a
      // packet between 64036 and 65535 bytes, and nothing else grew that large
      const big = ours.filter((p) => p.ipLen > 64035);
      expect(big.every((p) => p.ipLen <= 65535)).toBe(true);
      expect(big.length).toBe(res.report.lro.reasons['flush_64k']);
      expect(big.length).toBe(32);
      // 1455 of the 1456 data segments aggregated into 33 sessions; 38 packets reached the stack in all
      expect([res.report.lro.aggregated, res.report.lro.flushed, res.report.framesToStack]).toEqual([1455, 33, 38]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parallel4_mtu1500 (headers only): reports how many GRO packets match the kernel exactly', () => {
    const dir = tmp();
    try {
      const out = join(dir, 'rx.pcap');
      const res = runLab(
        {
          capture: { path: capturePath('parallel4_mtu1500.tx.pcap'), onlyTo: '10.77.0.2' },
          engine: 'gro',
          batch: 'all',
          pollBudget: 1_000_000,
        },
        { out: { path: out } },
      );
      expect(res.conservation.ok).toBe(true);
      expect(res.report.allStreamsOk).toBe(true);
      const key = (p: Pkt) => `${p.seq}/${p.ipLen}`;
      const ours = new Set(dataPackets(out).map(key));
      const kernel = dataPackets(capturePath('parallel4_mtu1500.rx.pcap'));
      const matched = kernel.filter((p) => ours.has(key(p))).length;
      console.log(
        `parallel4_mtu1500: ${matched} of ${kernel.length} kernel GRO packets reproduced exactly (same first seq and length); real poll timing split the others`,
      );
      expect([matched, kernel.length]).toEqual([68, 80]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
