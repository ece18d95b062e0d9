// The kernel reference measures what it claims: one frame per 1448-byte segment on the pair (segmentation
// offloads off), a count the receiving veth made, and nothing left behind. Needs root, ip, ethtool and iperf3
// (.ci/run installs them); elsewhere the test is skipped with the same reason the bench prints.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { kernelVethUnavailable, measureKernelVeth } from './kernel-veth.ts';
import { benchRatios, type BenchResult } from './run.ts';

const why = kernelVethUnavailable();

describe('kernel-veth reference', () => {
  // skipped only where the kernel cannot be asked (not root, a tool missing): the reason is printed
  if (why !== null) console.warn(`kernel-veth reference test skipped: ${why}`);
  it.skipIf(why !== null).each([true, false])(
    'gro %s: one frame per segment, counted by the receiving veth, namespaces removed',
    async (gro) => {
      const r = await measureKernelVeth(gro, 1);
      expect(r.frames).toBeGreaterThan(1000);
      // mid-flow, nearly every frame the receiver gets is one 1514-byte frame (a 1448-byte segment with timestamps;
      // the tail of a write can be shorter); with segmentation offloads left on they would be up to 64 KiB
      expect(r.bytes / r.frames).toBeGreaterThan(1450);
      expect(r.bytes / r.frames).toBeLessThanOrEqual(1514);
      expect(r.seconds).toBeGreaterThan(0.9);
      const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l.startsWith(`vnb-s-${process.pid.toString(36)}`));
      expect(left).toEqual([]);
    },
    30_000,
  );
});

describe('benchRatios', () => {
  const res = (name: string, packetsPerSecond: number): BenchResult => ({
    name,
    packetsPerSecond,
    packetsPerCpuSecond: null,
    heapBytesPerPacket: null,
    packets: 1,
    seconds: 1,
    gcAvailable: false,
    extra: {},
  });
  it('divides pipeline and replay cases by kernel-veth-gro, engine cases by frame-dma-copy-1514', () => {
    const r = benchRatios([
      res('kernel-veth-gro', 1_250_000),
      res('pipeline-ehea-4flows', 250_000),
      res('replay', 500_000),
      res('frame-dma-copy-1514', 40_000_000),
      res('lro-1flow', 12_000_000),
      res('gro-1flow', 9_000_000),
      res('csum-1500', 4e6),
    ]);
    expect(r).toEqual({
      toKernelVethGro: { 'pipeline-ehea-4flows': 0.2, replay: 0.4 },
      toFrameDmaCopy: { 'lro-1flow': 0.3, 'gro-1flow': 0.225 },
      workersToOneThread: {},
      workersToOneThreadCpu: {},
    });
  });
  it('divides a case split over workers by the same case on one thread, by wall-clock and by CPU time', () => {
    const r = benchRatios([
      { ...res('pipeline-mq-4queues', 200_000), packetsPerCpuSecond: 200_000 },
      { ...res('pipeline-mq-4queues-workers', 360_000), packetsPerCpuSecond: 180_000 },
    ]);
    expect(r.workersToOneThread).toEqual({ 'pipeline-mq-4queues-workers': 1.8 });
    expect(r.workersToOneThreadCpu).toEqual({ 'pipeline-mq-4queues-workers': 0.9 });
  });
  it('leaves a ratio out when its yardstick did not run', () => {
    expect(benchRatios([res('pipeline-ehea-4flows', 250_000)])).toEqual({
      toKernelVethGro: {},
      toFrameDmaCopy: {},
      workersToOneThread: {},
      workersToOneThreadCpu: {},
    });
  });
});
