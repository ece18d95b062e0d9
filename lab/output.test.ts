// --out writes each skb straight into the file's batch (OutputTap.copyFrame) through the writer thread. Both ways in
// one run: beside the file, every skb the stack receives is also serialised the plain way (the frame assembled in
// its own buffer, then copied into an in-memory pcap by CaptureWriter.write); the two must be equal byte for byte,
// on the real captures, with and without a snap length cut, tagged frames included.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runLab, type LabConfig } from './run.ts';
import { CaptureWriter, openCapture } from '../tap/index.ts';
import { ETH_HLEN, ETH_P_8021Q, type SkBuff } from '../stack/skb.ts';
import type { Stack } from '../stack/index.ts';
import { capturePath } from '../test/captures.ts';
import { getScenario } from './scenarios.ts';

const dir = mkdtempSync(join(tmpdir(), 'vnic-output-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The skb as a frame in a buffer of its own: MAC header, the NIC's tag in-band, data. */
function plainFrame(skb: SkBuff): Uint8Array {
  const tagged = skb.vlanPresent;
  const frame = new Uint8Array(ETH_HLEN + (tagged ? 4 : 0) + skb.len);
  const mac = skb.macHeader >= 0 ? skb.macHeader : skb.data - ETH_HLEN;
  frame.set(skb.buf.subarray(mac, mac + 12), 0);
  let o = 12;
  if (tagged) {
    frame.set([ETH_P_8021Q >> 8, ETH_P_8021Q & 0xff, skb.vlanTci >> 8, skb.vlanTci & 0xff], o);
    o += 4;
  }
  frame.set([skb.protocol >> 8, skb.protocol & 0xff], o);
  if (!tagged) frame.set(skb.buf.subarray(mac + 12, mac + 14), o);
  skb.copyBits(0, frame, o + 2, skb.len);
  return frame;
}

/** Runs `config` with --out to a file and, beside it, the plain serialisation into memory; returns both files. */
function bothWays(config: LabConfig, format: 'pcap' | 'pcapng', snaplen?: number) {
  const path = join(dir, `out.${format}`);
  const frames: { ns: number; frame: Uint8Array }[] = [];
  const res = runLab(config, {
    out: { path, format, ...(snaplen !== undefined ? { snaplen } : {}) },
    // runLab installs its receive hook after onOpen: wrap whatever it installs
    onOpen: ({ stack }: { stack: Stack }) => {
      let hook: Stack['onNetifReceive'] = null;
      Object.defineProperty(stack, 'onNetifReceive', {
        get: () => (skb: SkBuff) => {
          hook?.(skb);
          frames.push({ ns: stack.cpu.now, frame: plainFrame(skb) });
        },
        set: (fn: Stack['onNetifReceive']) => {
          hook = fn;
        },
      });
    },
  });
  const file = new Uint8Array(readFileSync(path));
  // the snap length the run chose (its input's, for a replay), as the file states it
  const reader = openCapture(path);
  reader.next();
  const plain = CaptureWriter.toMemory({
    format,
    nanosecond: true,
    snaplen: reader.interfaces[0]!.snaplen,
    interfaces: 1,
  });
  reader.close();
  for (const { ns, frame } of frames)
    plain.write({ tsSec: Math.floor(ns / 1e9), tsNsec: Math.floor(ns % 1e9), data: frame, origLen: frame.length });
  plain.close();
  return { file, plain: plain.bytes(), packets: frames.length, res };
}

/** The first offset where the two differ (a length difference counts at the shorter's end), or -1. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

describe('--out: each skb written in place equals the plain serialisation', () => {
  const cases: [string, LabConfig, 'pcap' | 'pcapng', number | undefined][] = [
    [
      'bulk, ehea/LRO, pcap',
      { model: 'ehea', engine: 'lro', capture: { path: capturePath('bulk_mtu1500.tx.pcap') } },
      'pcap',
      undefined,
    ],
    [
      'bulk, mq/GRO, pcap cut at 200 bytes',
      { model: 'mq', engine: 'gro', queues: 1, capture: { path: capturePath('bulk_mtu1500.tx.pcap') } },
      'pcap',
      200,
    ],
    [
      'parallel4, myri10ge/off, pcapng',
      { model: 'myri10ge', engine: 'off', capture: { path: capturePath('parallel4_mtu1500.tx.pcap') } },
      'pcapng',
      undefined,
    ],
    [
      'vlan-mixed scenario (tags back in-band), ehea/LRO, pcap',
      { ...getScenario('vlan-mixed')!.lab, model: 'ehea', engine: 'lro' },
      'pcap',
      undefined,
    ],
    [
      'vlan-mixed scenario, mq/GRO, pcapng',
      { ...getScenario('vlan-mixed')!.lab, model: 'mq', engine: 'gro', queues: 1 },
      'pcapng',
      undefined,
    ],
  ];
  it.each(cases)('%s', (_name, config, format, snaplen) => {
    const { file, plain, packets } = bothWays(config, format, snaplen);
    expect(packets).toBeGreaterThan(50);
    expect(file.length).toBe(plain.length);
    expect(firstDifference(file, plain)).toBe(-1);
  });
});
