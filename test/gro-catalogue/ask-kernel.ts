// Asks this machine's kernel what its GRO makes of every catalogue case and writes the answers to
// test/gro-catalogue/kernel-<release>.json, which gro-catalogue.test.ts holds the lab to. Each case
// is one burst through ../shared/tools/kernel-gro-replay (a veth pair in two namespaces).
// Tagged cases are asked with the tags taken out: the kernel here has no CONFIG_VLAN_8021Q, so a tag
// left in the frame is never merged, and a frame whose tag sits in packet metadata is merged exactly
// as the untagged frame (gro_list_prepare compares the metadata tag, which is the same in a case).
// All cases go in one run, each a back-to-back burst of its own 50 ms after the previous one (the
// tool sends frames of equal capture time back to back and turns a gap into a pause), the pauses
// in what comes out telling the answers apart. Timing on a busy machine can split a burst across polls, so the run is
// repeated until two answers to every case agree (at most six runs), and the runs are recorded.
//
//   npx tsx test/gro-catalogue/ask-kernel.ts [--tool PATH] [--only ID-PREFIX]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { CaptureWriter, readCapture } from '../../tap/index.ts';
import { catalogue, stripTags, summarize, type CatalogueCase, type PacketSummary } from './catalogue.ts';

export interface KernelAnswers {
  kernel: string;
  tool: string;
  note: string;
  cases: Record<string, { packets: PacketSummary[]; runs: number }>;
}

export function answersPath(kernel = release()): string {
  return join(import.meta.dirname, `kernel-${kernel}.json`);
}

/** Cases put to the kernel in one run, each a burst of its own (equal capture times), 50 ms apart. */
function askOnce(tool: string, dir: string, cases: CatalogueCase[]): Map<string, string> {
  const inPath = join(dir, 'in.pcap'),
    outPath = join(dir, 'out.pcap');
  const w = CaptureWriter.open(inPath, { format: 'pcap' });
  cases.forEach((c, i) => {
    for (const f of c.frames)
      w.write({
        tsSec: Math.floor(i / 20),
        tsNsec: (i % 20) * 50_000_000,
        data: c.family === 'vlan' ? stripTags(f) : f,
      });
  });
  w.close();
  execFileSync(tool, [inPath, outPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  // the cases leave 50 ms apart and GRO holds a packet at most 200 µs, so a pause of 25 ms or more
  // in what came out starts the next case (a FIN cannot tell them apart: it flushes only its own flow)
  const groups: Uint8Array[][] = [];
  let lastNs = -Infinity;
  for (const r of readCapture(outPath)) {
    const ns = r.tsSec * 1e9 + r.tsNsec;
    if (ns - lastNs >= 25_000_000) groups.push([]);
    groups.at(-1)!.push(r.data.slice());
    lastNs = ns;
  }
  const byCase = new Map<string, string>();
  if (groups.length !== cases.length) return byCase; // a case split by a stall, or lost: ask again
  cases.forEach((c, i) => byCase.set(c.id, JSON.stringify(summarize(groups[i]!))));
  return byCase;
}

function main(): void {
  const args = process.argv.slice(2);
  const tool = args.includes('--tool')
    ? args[args.indexOf('--tool') + 1]!
    : join(import.meta.dirname, '../../../shared/tools/kernel-gro-replay');
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1]! : '';
  if (!existsSync(tool)) {
    process.stderr.write(`ask-kernel: no kernel-gro-replay at ${tool} (give --tool PATH)\n`);
    process.exit(2);
  }
  const path = answersPath();
  const prev: KernelAnswers | undefined = existsSync(path)
    ? (JSON.parse(readFileSync(path, 'utf8')) as KernelAnswers)
    : undefined;
  const answers: KernelAnswers = {
    kernel: release(),
    tool: 'kernel-gro-replay (veth, gro_flush_timeout 200 µs, napi_defer_hard_irqs 1); each case one back-to-back burst, 50 ms from the next',
    note: "tagged cases were asked with the tags taken out (the tag as packet metadata); see catalogue.ts for the cases whose answer comes from vlan_gro_receive's rules",
    cases: { ...(prev?.cases ?? {}) },
  };
  let pending = catalogue().filter((c) => c.id.startsWith(only) && !c.id.startsWith('vlan/tag/'));
  const seen = new Map<string, string[]>();
  const dir = mkdtempSync(join(process.env['TMPDIR'] ?? '/tmp', 'gro-catalogue-'));
  try {
    // a busy machine can split a burst across polls: ask until two answers to a case agree, at most six times
    for (let run = 1; run <= 6 && pending.length > 0; run++) {
      const got = askOnce(tool, dir, pending);
      const next: CatalogueCase[] = [];
      for (const c of pending) {
        const a = got.get(c.id);
        const list = seen.get(c.id) ?? [];
        if (a !== undefined && list.includes(a)) {
          answers.cases[c.id] = { packets: JSON.parse(a) as PacketSummary[], runs: run };
          process.stderr.write(`${c.id}: ${a}${run > 2 ? ` (${run} runs)` : ''}\n`);
        } else next.push(c);
        if (a !== undefined) seen.set(c.id, [...list, a]);
      }
      pending = next;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const c of pending)
    process.stderr.write(`${c.id}: no two answers alike: ${(seen.get(c.id) ?? []).join(' | ')}\n`);
  writeFileSync(path, `${JSON.stringify(answers, null, 1)}\n`);
  process.stderr.write(`wrote ${path}\n`);
  if (pending.length > 0) process.exit(1);
}

if (process.argv[1] === import.meta.filename) main();
