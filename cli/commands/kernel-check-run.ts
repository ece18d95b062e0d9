// The work of vnic kernel-check (kernel-check.ts registers it): the capture's frames through this
// machine's kernel GRO and through the lab's NIC, driver and GroEngine with --batch all, compared packet by packet (TCP sequence number and payload length); the first
// difference is printed with both sizes and the lab's flush reason. Exit 1 when they differ, 2 when
// root, ip, ethtool or python3 is missing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLab } from '../../lab/run.ts';
import { askKernelGro, kernelGroMissing, summarize, type PacketSummary } from '../../lab/kernel-gro.ts';
import { readCapture, type CaptureRecord } from '../../tap/index.ts';
import { DestinationFilter } from '../../traffic/index.ts';
import { TraceLog } from '../../observe/trace.ts';
import { CheckFailed, UsageError } from '../errors.ts';
import { checkReadable } from './common.ts';
import { runOrExplain } from './replay.ts';
import { currentIO, stderr, stdout } from '../io.ts';

export interface KernelCheckFlags {
  onlyTo?: string;
  model?: string;
  flushTimeoutUs?: number;
  runs?: number;
  json?: boolean;
}

/** The command's work: ask the kernel, run the lab, compare. */
export function kernelCheck(capture: string, f: KernelCheckFlags): void {
  checkReadable(capture, 'capture');
  const missing = kernelGroMissing(currentIO().env['PATH'] ?? process.env['PATH'] ?? '');
  if (missing !== null)
    throw new UsageError(`kernel-check needs root, ip, ethtool and python3 to ask the kernel; missing: ${missing}`);
  const filter = f.onlyTo !== undefined ? runOrExplain(() => new DestinationFilter(f.onlyTo!)) : undefined;
  const records: CaptureRecord[] = [];
  runOrExplain(() => {
    for (const r of readCapture(capture)) {
      if (r.linktype !== 1 || (filter !== undefined && !filter.accepts(r.data, r.data.length))) continue;
      records.push({ ...r, data: r.data.slice() });
    }
  });
  if (records.length === 0)
    throw new UsageError(
      `${capture}: no Ethernet frames${f.onlyTo !== undefined ? ` addressed to ${f.onlyTo}` : ''} to replay`,
    );
  const lab = labSide(capture, records, f.model ?? 'mq');
  const runs = f.runs ?? 3;
  // the kernel's answer closest to the lab's (the longest agreeing prefix) of up to `runs` asks
  let best: { k: PacketSummary[]; diff: number | null; release: string } | undefined;
  let asked = 0;
  while (asked < runs && (best === undefined || best.diff !== null)) {
    asked++;
    const kernel = askKernelGro(
      records.map((r) => r.data),
      f.flushTimeoutUs !== undefined ? { flushTimeoutUs: f.flushTimeoutUs } : {},
    );
    const k = summarize(kernel.frames);
    const diff = firstDifference(k, lab.packets);
    stderr.write(
      `kernel answer ${asked}: ${k.length} TCP packets${diff === null ? ", equal to the lab's" : `, first difference at packet ${diff + 1}`}\n`,
    );
    if (best === undefined || diff === null || (best.diff !== null && diff > best.diff))
      best = { k, diff, release: kernel.kernel };
  }
  const { k, diff } = best!;
  const report = {
    kernel: best!.release,
    frames: records.length,
    kernelAsked: asked,
    kernelPackets: k.length,
    labPackets: lab.packets.length,
    firstDifference:
      diff === null
        ? null
        : {
            packet: diff,
            kernel: k[diff] ?? null,
            lab: lab.packets[diff] ?? null,
            labReason: lab.reasons[diff] ?? null,
          },
  };
  if (f.json === true) stdout.write(`${JSON.stringify(report)}\n`);
  stderr.write(
    `${records.length} frames: the kernel's GRO (${best!.release}) passed up ${k.length} TCP packets, the lab's ${lab.packets.length}\n`,
  );
  if (diff === null) {
    stderr.write(`no difference, packet for packet (kernel answer ${asked} of at most ${runs})\n`);
    return;
  }
  throw new CheckFailed(differenceLine(k, lab.packets, lab.reasons)!);
}

function fmt(p: PacketSummary | null): string {
  return p === null ? 'nothing' : `seq ${p[0]} with ${p[1]} payload bytes${p[2] === 'F' ? ' and FIN' : ''}`;
}

/** The lab's packets and, for each, why its GRO let it go (the flush or pass reason). */
function labSide(
  capture: string,
  records: CaptureRecord[],
  model: string,
): { packets: PacketSummary[]; reasons: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'vnic-kcheck-'));
  try {
    const out = join(dir, 'lab.pcap');
    const tracer = new TraceLog();
    const maxFrame = records.reduce((n, r) => Math.max(n, r.data.length), 0);
    const res = runOrExplain(() =>
      runLab(
        {
          capture: { path: capture },
          model,
          engine: 'gro',
          batch: 'all',
          pollBudget: 1_000_000,
          queues: 1,
          mtu: Math.min(9000, Math.max(1500, maxFrame - 18)),
        },
        { out: { path: out }, records, tracer },
      ),
    );
    if (!res.conservation.ok)
      throw new CheckFailed(`the lab lost track of frames: ${JSON.stringify(res.conservation)}`);
    const frames: Uint8Array[] = [];
    for (const r of readCapture(out)) frames.push(r.data.slice());
    // every packet the GRO engine lets go is traced once, as 'flushed' or 'pass', in delivery order
    const reasons = tracer.events
      .filter((e) => e.layer === 'gro' && (e.what === 'flushed' || e.what === 'pass'))
      .map((e) => e.text);
    const tcp = frames.map((fr) => summarize([fr]));
    return { packets: tcp.flat(), reasons: reasons.filter((_, i) => tcp[i]?.length === 1) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The line that names the first packet where the kernel and the lab differ, or null when they agree. */
export function differenceLine(kernel: PacketSummary[], lab: PacketSummary[], labReasons: string[]): string | null {
  const i = firstDifference(kernel, lab);
  if (i === null) return null;
  const reason = labReasons[i];
  return `first difference at TCP packet ${i + 1}: kernel ${fmt(kernel[i] ?? null)}, lab ${fmt(lab[i] ?? null)}${reason !== undefined ? ` (the lab's GRO: ${reason})` : ''}`;
}

function firstDifference(a: PacketSummary[], b: PacketSummary[]): number | null {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i],
      y = b[i];
    if (x === undefined || y === undefined || x[0] !== y[0] || x[1] !== y[1] || x[2] !== y[2]) return i;
  }
  return null;
}
