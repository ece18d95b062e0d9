// The GRO engine held to this machine's kernel: every case of the Linux GRO selftest catalogue
// (test/gro-catalogue/catalogue.ts), replayed as `vnic replay --model mq --engine gro --batch all`
// does, must give what the kernel's GRO gave (test/gro-catalogue/kernel-<release>.json, written by
// ask-kernel.ts), packet for packet: sequence number, payload length, FIN.
//
// Where the expectations come from, case by case:
// - ipv4/*, ipv6/*: the kernel's answer.
// - vlan/* through mq stripping tags (the tag in packet metadata): the kernel's answer to the frames
//   with the tag taken out, as a tag-stripping NIC hands them over.
// - vlan/* through mq with vlanStrip off (the tag left in the frame): the same answer, except where the case carries
//   `fromSource` — this kernel has no CONFIG_VLAN_8021Q and never merges an in-band tag, so there the
//   expectation is vlan_gro_receive's rule (the tag counts toward the 64 KB limit; a different tag
//   is another flow), stated in the case.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLab } from '../lab/run.ts';
import {
  catalogue,
  frameRecords,
  readFrames,
  summarize,
  type CatalogueCase,
  type PacketSummary,
} from './gro-catalogue/catalogue.ts';
import type { KernelAnswers } from './gro-catalogue/ask-kernel.ts';

/** The answers committed with the kernel release they came from. */
const KERNEL = '6.18.44-fc-v1045';
const answers = JSON.parse(
  readFileSync(join(import.meta.dirname, 'gro-catalogue', `kernel-${KERNEL}.json`), 'utf8'),
) as KernelAnswers;

/** What the lab's stack received for a case, through mq with GRO and --batch all, the NIC stripping VLAN tags or not. */
function labAnswer(c: CatalogueCase, vlanStrip: boolean): PacketSummary[] {
  const dir = mkdtempSync(join(tmpdir(), 'vnic-gro-cat-'));
  try {
    const out = join(dir, 'rx.pcap');
    const res = runLab(
      {
        capture: { path: `${c.id}.pcap` },
        model: 'mq',
        engine: 'gro',
        batch: 'all',
        pollBudget: 1_000_000,
        mtu: 9000,
        // rings of 256: --batch all sizes them to the frame count, too few for 4 KB frames in 2 KB buffers (the replay issue, #14)
        modelConfig: { ringEntries: 256, vlanStrip },
      },
      { out: { path: out }, records: frameRecords(c.frames) },
    );
    expect([res.conservation.ok, res.conservation.offered]).toEqual([true, c.frames.length]);
    return summarize(readFrames(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function kernelAnswer(c: CatalogueCase): PacketSummary[] {
  const a = answers.cases[c.id];
  if (a === undefined)
    throw new Error(`${c.id}: no kernel answer in kernel-${KERNEL}.json (run test/gro-catalogue/ask-kernel.ts)`);
  return a.packets;
}

const payloads = (p: PacketSummary[]): number[] => p.filter((x) => x[2] !== 'F').map((x) => x[1]);

describe(`GRO selftest catalogue against Linux ${KERNEL}`, () => {
  const cases = catalogue();

  it("the kernel answered every case it can be asked, and agrees with the selftest's own expectations", () => {
    for (const c of cases) {
      if (c.id.startsWith('vlan/tag/')) continue;
      const k = kernelAnswer(c);
      // the selftest paces its stages with sleeps, so a packet that overtakes a held one may come in another order: compare the lengths as a set
      if (c.selftest !== undefined)
        expect({ id: c.id, got: payloads(k).sort((a, b) => a - b) }).toEqual({
          id: c.id,
          got: [...c.selftest].sort((a, b) => a - b),
        });
    }
  });

  for (const c of cases.filter((x) => x.family !== 'vlan')) {
    it(`${c.id}: mq + GRO gives the kernel's packets`, () => {
      expect(labAnswer(c, true)).toEqual(kernelAnswer(c));
    });
  }

  for (const c of cases.filter((x) => x.family === 'vlan')) {
    it(`${c.id}: tag left in the frame — ${c.fromSource !== undefined ? "vlan_gro_receive's rule" : "the kernel's packets"}`, () => {
      const got = labAnswer(c, false);
      if (c.fromSource !== undefined) expect(payloads(got)).toEqual(c.fromSource.payloads);
      else expect(got).toEqual(kernelAnswer(c));
    });
    if (!c.id.startsWith('vlan/tag/')) {
      it(`${c.id}: tag stripped by the NIC gives the kernel's packets`, () => {
        expect(labAnswer(c, true)).toEqual(kernelAnswer(c));
      });
    }
  }
});
