// The shortcuts a run takes (work no observer can see, runLab's `shortcuts`) change no observable byte: every scenario
// and a replayed capture, run with them and without, give the same report, the same DMA memory, the same stream
// fingerprints and the same output pcap, byte for byte. The eHEA model takes the FCS and checksum sum of the link
// partner's generated payload from the pattern (wire/known-bytes.ts) only where no stage between could change a byte,
// and those of a large replayed capture's records from the thread that computes them ahead (tap/digest-ahead.ts);
// the sockets compare what they receive with the sender's pattern and take the sender's fingerprint while every byte
// is equal (wire/stream-check.ts), on every model.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SCENARIOS } from '../lab/scenarios.ts';
import { plansFor } from '../lab/seeds.ts';
import { runLab, type LabConfig } from '../lab/run.ts';
import type { EheaNic } from '../hw-models/ehea.ts';
import { DIGEST_AHEAD_MIN_BYTES } from '../tap/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'vnic-shortcuts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The first index where two byte arrays differ, or -1 (a loop: thousands of expects would be slow). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** Runs `config` with and without shortcuts; returns how many frames the eHEA model took from the sender's claim and
 *  how many received bytes the sockets compared with the sender's pattern instead of hashing them. */
function bothWays(name: string, config: LabConfig): { fromSender: number; compared: number } {
  const runs = [true, false].map((shortcuts) => {
    const out = join(dir, `${name}-${shortcuts ? 'with' : 'without'}.pcap`);
    const r = runLab(config, { shortcuts, out: { path: out } });
    return {
      report: JSON.stringify(r.report),
      flows: JSON.stringify(r.stack.flows()),
      // the verdicts, with both fingerprints (read lazily when a socket compared with the sender's pattern)
      verdicts: JSON.stringify(r.stack.verify(r.expectations)),
      dma: r.model.dma.bytes.slice(),
      out: new Uint8Array(readFileSync(out)),
      fromSender: r.model.name === 'ehea' ? (r.model as EheaNic).digestsFromSender : 0,
      compared: r.stack.bytesComparedWithSender,
    };
  });
  const [on, off] = runs as [(typeof runs)[0], (typeof runs)[0]];
  expect(on.report, `${name}: report`).toBe(off.report);
  expect(on.flows, `${name}: stream fingerprints`).toBe(off.flows);
  expect(on.verdicts, `${name}: verdicts and expected fingerprints`).toBe(off.verdicts);
  expect(firstDifference(on.dma, off.dma), `${name}: DMA memory`).toBe(-1);
  expect(firstDifference(on.out, off.out), `${name}: output pcap`).toBe(-1);
  expect(off.fromSender, `${name}: without shortcuts every frame is read`).toBe(0);
  expect(off.compared, `${name}: without shortcuts every received byte is hashed`).toBe(0);
  return { fromSender: on.fromSender, compared: on.compared };
}

describe('shortcuts change no report and no output byte', () => {
  for (const s of SCENARIOS) {
    it(`${s.name}`, () => {
      // one configuration per scenario: its first variant, else LRO (every engine sees the same NIC bytes)
      const plan = plansFor(s.lab, s, s.variants !== undefined ? undefined : ['lro'])[0]!;
      const { fromSender: taken, compared } = bothWays(s.name, plan.config);
      const impaired = (s.lab.traffic as { impairments?: unknown }).impairments !== undefined;
      // an impairment stage may change bytes, so it passes no claim on; an eHEA run without one takes the shortcut
      if (impaired) expect(taken, `${s.name}: impaired frames are read`).toBe(0);
      else if ((plan.config.model ?? 'ehea') === 'ehea')
        expect(taken, `${s.name}: frames from the sender`).toBeGreaterThan(0);
      // the socket's comparison holds for impaired links too: it compares the bytes themselves. rr-small's 64-byte
      // requests arrive inline in the eHEA completion and the driver copies them out of DMA memory: hashed there
      if (plan.config.forward === undefined && s.name !== 'rr-small')
        expect(compared, `${s.name}: bytes compared with the sender's pattern`).toBeGreaterThan(0);
    }, 120_000);
  }

  it('a replayed capture (no sender, nothing claimed)', () => {
    const { fromSender: taken, compared } = bothWays('replay', {
      model: 'ehea',
      engine: 'gro',
      capture: { path: 'test/captures/parallel4_mtu1500.tx.pcap', onlyTo: '10.77.0.2' },
    });
    expect(taken).toBe(0);
    expect(compared).toBe(0);
  }, 60_000);

  it('a replayed capture large enough for the digest thread: FCS and sums from it, every byte the same', () => {
    // 4 bulk flows of 1514-byte frames as the stack received them (no engine), about 67 MB: past DIGEST_AHEAD_MIN_BYTES
    const path = join(dir, 'large.pcap');
    runLab(
      {
        model: 'ehea',
        engine: 'off',
        traffic: {
          seed: 5,
          bytesPerFlow: 11_000 * 1448,
          flows: [{ kind: 'bulk', count: 4, mss: 1448 }],
        },
        timeLimitNs: 1e12,
      },
      { out: { path } },
    );
    expect(statSync(path).size).toBeGreaterThanOrEqual(DIGEST_AHEAD_MIN_BYTES);
    const { fromSender: taken } = bothWays('replay-large', {
      model: 'ehea',
      engine: 'lro',
      capture: { path },
      timeLimitNs: 1e12,
    });
    // the run waits for the thread's first record, so at least that one is claimed (how many more: the threads' race)
    expect(taken).toBeGreaterThan(0);
  }, 120_000);

  it('a corrupting impairment: every frame read, the corrupted ones caught', () => {
    const config: LabConfig = {
      model: 'ehea',
      engine: 'lro',
      traffic: {
        seed: 3,
        rtoNs: 10_000_000,
        bytesPerFlow: 1 << 18,
        flows: [{ kind: 'bulk', count: 2 }],
        impairments: { corrupt: { p: 0.02 } },
      },
    };
    expect(bothWays('corrupt', config).fromSender).toBe(0);
    const r = runLab(config);
    expect(r.report.allStreamsOk).toBe(true);
    expect(r.model.totals().rx_csum_errors).toBeGreaterThan(0);
  }, 60_000);
});
