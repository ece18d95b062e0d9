// GRO past 64 KB (BIG TCP) held to this machine's kernel: each case of test/gro-catalogue/big-tcp.ts through
// mq + GRO with --batch all and the case's gro_max_size / gro_ipv4_max_size must give the packets the kernel
// gave (big-tcp-<release>.json), and the stack must take the IPv4 packets whose total length says 0 and
// check every byte of them.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLab } from '../lab/run.ts';
import { frameRecords, readFrames, summarize } from './gro-catalogue/catalogue.ts';
import { bigTcpCases, type BigTcpAnswers, type BigTcpCase } from './gro-catalogue/big-tcp.ts';

const KERNEL = '6.18.44-fc-v1045';
const answers = JSON.parse(
  readFileSync(join(import.meta.dirname, 'gro-catalogue', `big-tcp-${KERNEL}.json`), 'utf8'),
) as BigTcpAnswers;

function lab(c: BigTcpCase) {
  const dir = mkdtempSync(join(tmpdir(), 'vnic-big-tcp-'));
  try {
    const out = join(dir, 'rx.pcap');
    const records = frameRecords(c.frames);
    const res = runLab(
      {
        capture: { path: `${c.id}.pcap` },
        model: 'mq',
        engine: 'gro',
        batch: 'all',
        pollBudget: 1_000_000,
        ...c.limits,
      },
      { out: { path: out }, records },
    );
    return { res, packets: summarize(readFrames(out)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe(`GRO past 64 KB (BIG TCP) against Linux ${KERNEL}`, () => {
  for (const c of bigTcpCases()) {
    it(`${c.id}: the kernel’s packets${c.xdpPass !== undefined ? ' (asked with XDP_PASS on the veth)' : ''}, every byte checked`, () => {
      const { res, packets } = lab(c);
      expect([res.conservation.ok, res.report.allStreamsOk]).toEqual([true, true]);
      expect(packets).toEqual(answers.cases[c.id]?.packets);
    });
  }

  it('the stack takes IPv4 packets past 64 KB by their skb length and counts them', () => {
    const { res } = lab(bigTcpCases().find((c) => c.id === 'ipv4/gro_ipv4_max_size-131072')!);
    expect(res.report.counters['stack']?.['ipBigTcp']).toBe(1);
    expect(res.report.gro.reasons['flush_max_size']).toBe(1);
  });

  it('the kernel’s answers were no accident: the answer kept came at least twice', () => {
    for (const c of bigTcpCases()) expect([c.id, answers.cases[c.id]!.sameAnswer >= 2]).toEqual([c.id, true]);
  });
});
