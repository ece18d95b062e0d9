// Issue 14: replay's default timing aggregates as the kernel did. The shared captures (test/captures/README.md)
// were taken on Linux 6.18 over a veth pair; replayed with default flags (--batch bursts: the capture's arrival
// gaps split it into the sender's bursts, each in the ring whole before its NAPI poll), the TCP data packets
// reaching the stack come within 10 % of the data packets in the kernel's own .rx.pcap. --batch timestamps (every
// frame at its own time, the old default) polls nearly every frame alone and is 3–6× off.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LabConfig, runLab } from '../lab/run.ts';
import { FrameLayout, layoutFrame } from '../wire/layout.ts';
import { readCapture } from '../tap/index.ts';
import { capturePath } from './captures.ts';

/** 10.77.0.2 */
const RECEIVER = 0x0a4d0002;

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vnic-ktiming-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** TCP packets carrying data in a capture (every one is to the receiver here: the capture or the lab's --only-to). */
function dataPackets(path: string, onlyToReceiver: boolean): number {
  const L = new FrameLayout();
  let n = 0;
  for (const r of readCapture(path)) {
    // header-only records (parallel4, snaplen 128) laid out at their wire length: the payload counts, unseen
    const frame = new Uint8Array(r.origLen);
    frame.set(r.data);
    layoutFrame(frame, 0, frame.length, L);
    if (L.ipVersion !== 4 || L.l4Proto !== 6 || L.l4HdrLen === 0) continue;
    if (onlyToReceiver && L.daddr !== RECEIVER) continue;
    if (L.payloadLen > 0) n++;
  }
  return n;
}

function labDataPackets(capture: string, extra: Partial<LabConfig> = {}): number {
  const out = join(dir, `${capture}-${Object.values(extra).join('-')}.pcap`);
  const r = runLab(
    { capture: { path: capturePath(`${capture}.tx.pcap`), onlyTo: '10.77.0.2' }, ...extra },
    { out: { path: out } },
  );
  expect(r.conservation.ok).toBe(true);
  expect(r.report.allStreamsOk).toBe(true);
  return dataPackets(out, false);
}

describe('default replay timing against the kernel that made the capture', () => {
  it.each([
    ['bulk_mtu1500', 56, 60, 339],
    ['parallel4_mtu1500', 80, 84, 348],
  ])(
    '%s: the kernel passed up %i data packets, the default replay %i (within a tenth of it), --batch timestamps %i',
    (capture, kernel, bursts, timestamps) => {
      expect(dataPackets(capturePath(`${capture}.rx.pcap`), true)).toBe(kernel);
      const ours = labDataPackets(capture);
      expect(ours).toBe(bursts);
      expect(Math.abs(ours - kernel) / kernel).toBeLessThanOrEqual(0.1);
      expect(labDataPackets(capture, { batch: 'timestamps' })).toBe(timestamps);
    },
  );
});
