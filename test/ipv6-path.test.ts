// IPv6 through the whole receive path, on every model × engine: the link partner's IPv6 bulk flows (`vnic run --ip 6`)
// and a replayed IPv6 capture made with the lab's own builder (extension headers included) reach the sockets intact,
// ACKed over IPv6; inet_lro leaves IPv6 alone as 2.6.24 did (every frame bypasses it, counted); each model checks
// IPv6 as its hardware would (eHEA and mq verify TCP over IPv6, myri10ge hands up its protocol-blind partial sum,
// e1000 verifies nothing: the stack sums every segment in software). tshark judges an IPv6 --out capture.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLab, type LabConfig, type RunResult } from '../lab/run.ts';
import { CaptureWriter } from '../tap/index.ts';
import { frame } from '../wire/index.ts';
import { vnic } from './support/cli.ts';

const MODELS = ['ehea', 'myri10ge', 'e1000', 'mq'] as const;
const ENGINES = ['off', 'lro', 'gro'] as const;
type Model = (typeof MODELS)[number];
type Engine = (typeof ENGINES)[number];

const FLOW_BYTES = 64 << 10;
/** 2 flows of 64 KiB at the IPv6 default MSS 1428: 45 full segments and one of 1276 bytes each. */
const BULK_FRAMES = 2 * Math.ceil(FLOW_BYTES / 1428);

function config(model: Model, engine: Engine, more: Partial<LabConfig>): LabConfig {
  return { model, engine, ...(model === 'e1000' && engine === 'lro' ? { softwareChecksum: true } : {}), ...more };
}

function bulk(model: Model, engine: Engine): RunResult {
  return runLab(
    config(model, engine, {
      traffic: {
        ipv6: true,
        rateGbps: 10,
        bytesPerFlow: FLOW_BYTES,
        // one flow on VLAN 100 (eHEA extracts the tag in place: the stack reads IPv6 from the version nibble)
        flows: [
          { kind: 'bulk', vlan: { vid: 100 } },
          { kind: 'bulk', sport: 40001 },
        ],
      },
    }),
  );
}

/** The driver's own get_skb_header / get_frag_header refusals of IPv6, summed over its queues (eHEA, myri10ge). */
function notIpv4(r: RunResult): number {
  let n = 0;
  for (const [k, v] of Object.entries(r.report.counters['driver'] ?? {})) if (k.endsWith('lro_hdr_not_ipv4')) n += v;
  return n;
}

/** The e1000 verifies no checksum: the stack (or GRO, or the driver's softwareChecksum for LRO) sums every segment. */
const NO_HW_CHECKSUM: Record<Model, boolean> = { ehea: false, myri10ge: false, e1000: true, mq: false };

function expectIntact(r: RunResult, frames: number, bytes: number, flows: string[]): void {
  expect(r.conservation.ok).toBe(true);
  expect(r.report.framesIn).toBe(frames);
  expect(r.report.dropsTotal).toBe(0);
  expect(r.report.bytesDelivered).toBe(bytes);
  expect(r.report.bytesVerified).toBe(bytes);
  expect(r.report.allStreamsOk).toBe(true);
  expect(Object.keys(r.report.flows)).toEqual(flows);
  expect(r.report.missingFlows).toEqual([]);
  expect(r.report.unexpectedFlows).toEqual([]);
}

function expectEngine(r: RunResult, model: Model, engine: Engine, frames: number, tcpFrames = frames): void {
  const st = r.stack.stats;
  expect(r.report.wireFramesToStack).toBe(frames);
  if (engine === 'off') expect(r.report.framesToStack).toBe(frames);
  if (engine === 'lro') {
    // inet_lro is IPv4-only: every IPv6 frame goes up alone, counted as the driver's callback refusing it; the
    // e1000's software checksum (what lets its frames reach LRO at all) verifies TCP over IPv6 as over IPv4, so its
    // TCP frames get there too (an unverified UDP datagram goes around LRO)
    expect(r.report.framesToStack).toBe(frames);
    expect(r.report.lro?.reasons['bypass_not_lro']).toBe(model === 'e1000' ? tcpFrames : frames);
    expect(r.report.lro?.reasons['bypassed']).toBe(model === 'e1000' ? tcpFrames : frames);
    expect(r.report.lro?.aggregated).toBe(0);
    expect(notIpv4(r)).toBe(model === 'ehea' || model === 'myri10ge' ? frames : 0);
  }
  if (engine === 'gro') {
    expect(r.report.framesToStack).toBeLessThan(frames); // ipv6_gro_receive merges
    expect(r.report.gro?.reasons['csum_software'] ?? 0).toBe(NO_HW_CHECKSUM[model] ? tcpFrames : 0);
  }
  expect(st.ipv6In).toBe(st.ipIn);
  // the stack sums in software only what nobody verified before it (GRO, or the driver's software checksum under LRO,
  // verifies the e1000's frames)
  expect(st.swCsumSkbs).toBe(NO_HW_CHECKSUM[model] && engine === 'off' ? st.tcpIn : 0);
}

describe('IPv6 bulk flows from the link partner (vnic run --ip 6)', () => {
  for (const model of MODELS)
    for (const engine of ENGINES)
      it(`${model}, engine ${engine}: every byte of both flows, ACKed over IPv6`, () => {
        const r = bulk(model, engine);
        expectIntact(r, BULK_FRAMES, 2 * FLOW_BYTES, [
          '[2001:db8::1]:40000>[2001:db8::2]:5001',
          '[2001:db8::1]:40001>[2001:db8::2]:5001',
        ]);
        expectEngine(r, model, engine, BULK_FRAMES);
        const traffic = r.report.counters['traffic']!;
        // the partner took every ACK as one of its IPv6 flows' (a bad one would count as not-an-ACK or unknown)
        expect(traffic['hostFrames']).toBe(r.report.acksSent);
        expect([traffic['hostNotTcpAck'] ?? 0, traffic['hostUnknownFlow'] ?? 0]).toEqual([0, 0]);
        expect(r.report.counters['sender']!['retransmits'] ?? 0).toBe(0);
      });

  it('vnic run --ip 6 prints the IPv6 flows intact; --ip takes 4 or 6 and only for generated traffic', async () => {
    const ok = await vnic([
      'run',
      '--ip',
      '6',
      '--model',
      'mq',
      '--engine',
      'gro',
      '--scenario',
      'bulk-1flow',
      '--json',
    ]);
    expect(ok.code).toBe(0);
    const run = (JSON.parse(ok.stdout) as { runs: { allStreamsOk: boolean; flows: Record<string, unknown> }[] })
      .runs[0]!;
    expect([run.allStreamsOk, Object.keys(run.flows)]).toEqual([true, ['[2001:db8::1]:40000>[2001:db8::2]:5001']]);
    const bad = await vnic(['run', '--ip', '5']);
    expect([bad.code, bad.stderr.trim()]).toEqual([2, "vnic: --ip must be one of 4, 6, not '5'"]);
  });
});

describe('a replayed IPv6 capture made with the lab’s builder', () => {
  let dir = '';
  let file = '';
  const SEGMENTS = 24,
    SIZE = 1000;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vnic-ipv6-'));
    file = join(dir, 'ipv6.pcap');
    const w = CaptureWriter.open(file, { format: 'pcap', nanosecond: true });
    let t = 0;
    const put = (data: Uint8Array): void => {
      w.write({ tsSec: 1, tsNsec: t, data });
      t += 1_000;
    };
    for (let i = 0; i < SEGMENTS; i++) {
      const payload = Uint8Array.from({ length: SIZE }, (_, j) => (i * SIZE + j) * 7);
      // flow A plain; flow B behind a destination-options header the stack and GRO walk past
      put(
        frame()
          .ipv6({ src: '2001:db8::a', dst: '2001:db8::2' })
          .tcp({ sport: 41000, dport: 5001, seq: 5000 + i * SIZE, ack: 1, flags: 'A', ts: [100, 9] })
          .payload(payload)
          .build(),
      );
      put(
        frame()
          .ipv6({ src: '2001:db8::b', dst: '2001:db8::2', ext: [{ kind: 'destination', length: 8 }] })
          .tcp({ sport: 42000, dport: 5001, seq: 9000 + i * SIZE, ack: 1, flags: 'A', ts: [100, 9] })
          .payload(payload.map((x) => x ^ 0x5a))
          .build(),
      );
    }
    put(frame().ipv6({ src: '2001:db8::c', dst: '2001:db8::2' }).udp({ sport: 53, dport: 5353 }).payload(40).build());
    w.close();
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const model of MODELS)
    for (const engine of ENGINES)
      it(`${model}, engine ${engine}: both streams intact, the UDP datagram delivered`, () => {
        // every frame in the rings before the first poll, so GRO has trains to merge
        const r = runLab(config(model, engine, { capture: { path: file }, batch: 'all' }));
        expectIntact(r, 2 * SEGMENTS + 1, 2 * SEGMENTS * SIZE, [
          '[2001:db8::a]:41000>[2001:db8::2]:5001',
          '[2001:db8::b]:42000>[2001:db8::2]:5001',
        ]);
        expectEngine(r, model, engine, 2 * SEGMENTS + 1, 2 * SEGMENTS);
        expect(r.stack.stats.udpDelivered).toBe(1);
      });
});

describe('tshark reads an IPv6 --out capture', () => {
  it('every frame IPv6/TCP with a good checksum, the two streams’ bytes all there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vnic-ipv6-out-'));
    try {
      const out = join(dir, 'rx.pcap');
      const r = runLab(
        config('mq', 'off', {
          traffic: { ipv6: true, rateGbps: 10, bytesPerFlow: FLOW_BYTES, flows: [{ kind: 'bulk', count: 2 }] },
        }),
        { out: { path: out, format: 'pcap' } },
      );
      expect(r.report.allStreamsOk).toBe(true);
      const rows = execFileSync(
        'tshark',
        [
          '-r',
          out,
          '-o',
          'tcp.check_checksum:TRUE',
          '-T',
          'fields',
          '-e',
          'ipv6.src',
          '-e',
          'ipv6.dst',
          '-e',
          'tcp.srcport',
          '-e',
          'tcp.len',
          '-e',
          'tcp.checksum.status',
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
      )
        .trim()
        .split('\n')
        .map((l) => l.split('\t'));
      expect(rows.length).toBe(BULK_FRAMES);
      const bytes: Record<string, number> = {};
      for (const [src, dst, sport, len, status] of rows) {
        expect([src, dst, status]).toEqual(['2001:db8::1', '2001:db8::2', '1']); // 1: Good
        bytes[sport!] = (bytes[sport!] ?? 0) + Number(len);
      }
      expect(bytes).toEqual({ '40000': FLOW_BYTES, '40001': FLOW_BYTES });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
