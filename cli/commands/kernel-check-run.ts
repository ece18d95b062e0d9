// The work of vnic kernel-check (kernel-check.ts registers it): a capture's frames, or the lab's own
// traffic for a scenario, through this machine's kernel GRO and through the lab's NIC, driver and
// GroEngine with --batch all, compared flow by flow (lab/kernel-compare.ts). The kernel draws some
// packet boundaries at NAPI poll timing; it is asked again until its answers tell those apart from
// what GRO decided. Exit 1 when GRO's decisions differ, 2 when root, ip, ethtool or python3 is missing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLab, type LabConfig } from '../../lab/run.ts';
import { askKernelGro, kernelGroMissing, type KernelGroOptions } from '../../lab/kernel-gro.ts';
import {
  compareFlows,
  differenceLine,
  packetsByFlow,
  type Comparison,
  type FlowTable,
} from '../../lab/kernel-compare.ts';
import { getScenario, SCENARIOS } from '../../lab/scenarios.ts';
import { readCapture, type CaptureRecord } from '../../tap/index.ts';
import { DestinationFilter } from '../../traffic/index.ts';
import { FrameLayout } from '../../wire/layout.ts';
import { rebuildCutFrame } from '../../wire/cut-frame.ts';
import { TraceLog } from '../../observe/trace.ts';
import { CheckFailed, UsageError } from '../errors.ts';
import { checkReadable } from './common.ts';
import { runOrExplain } from './replay.ts';
import { currentIO, stderr, stdout } from '../io.ts';

export interface KernelCheckFlags {
  onlyTo?: string;
  model?: string;
  groFlushTimeoutUs?: number;
  runs?: number;
  json?: boolean;
  scenario?: string;
  maxFrames?: number;
  groMaxSize?: number;
  groIpv4MaxSize?: number;
}

/** The frames both sides get: the capture's (headers-only records extended as the replay extends them) or a scenario's wire. */
interface Input {
  label: string;
  frames: Uint8Array[];
  /** Frames of the scenario's traffic left out by --max-frames. */
  leftOut: number;
}

/** The command's work: ask the kernel, run the lab, compare. */
export function kernelCheck(capture: string | undefined, f: KernelCheckFlags): void {
  if ((capture === undefined) === (f.scenario === undefined))
    throw new UsageError('kernel-check needs a capture or --scenario NAME (one of them)');
  if (capture !== undefined) checkReadable(capture, 'capture');
  const missing = kernelGroMissing(currentIO().env['PATH'] ?? process.env['PATH'] ?? '');
  if (missing !== null)
    throw new UsageError(`kernel-check needs root, ip, ethtool and python3 to ask the kernel; missing: ${missing}`);
  const input =
    capture !== undefined ? captureInput(capture, f.onlyTo) : scenarioInput(f.scenario!, f.maxFrames ?? 4000);
  const lab = labSide(input, f);
  const runs = f.runs ?? 3;
  const kernelOpts: KernelGroOptions = {
    ...(f.groFlushTimeoutUs !== undefined ? { groFlushTimeoutUs: f.groFlushTimeoutUs } : {}),
    ...(f.groMaxSize !== undefined ? { groMaxSize: f.groMaxSize } : {}),
    ...(f.groIpv4MaxSize !== undefined ? { groIpv4MaxSize: f.groIpv4MaxSize } : {}),
    // past 64 KB the kernel is asked so that only GRO's limits end a packet: a send buffer that does not block
    // before the largest packet is held (GRO's held segments stay charged to the sender), and for IPv6 an XDP_PASS
    // program whose rebuilt skbs have headroom for the jumbo header (lab/kernel-gro.ts)
    ...(Math.max(f.groMaxSize ?? 0, f.groIpv4MaxSize ?? 0) > 65536
      ? { sendBufferBytes: 8 * Math.max(f.groMaxSize ?? 0, f.groIpv4MaxSize ?? 0) }
      : {}),
    ...((f.groMaxSize ?? 0) > 65536 ? { xdpPass: true } : {}),
  };
  // every answer is judged against all the others: a split another answer merged across is timing
  const answers: { table: FlowTable; packets: number; release: string }[] = [];
  let verdict: { at: number; cmp: Comparison } | undefined;
  while (answers.length < runs && (verdict === undefined || verdict.cmp.difference !== null)) {
    const kernel = askKernelGro(input.frames, kernelOpts);
    const table = packetsByFlow(kernel.frames);
    answers.push({ table, packets: countPackets(table), release: kernel.kernel });
    const cmps = answers.map((a, i) =>
      compareFlows(
        a.table,
        lab.flows,
        answers.filter((_, j) => j !== i).map((x) => x.table),
      ),
    );
    const last = cmps.at(-1)!;
    stderr.write(
      `kernel answer ${answers.length}: ${answers.at(-1)!.packets} TCP packets${last.exact ? ", equal to the lab's" : last.difference === null ? `, the lab's but for ${last.timingSplits} split${last.timingSplits === 1 ? '' : 's'} at poll timing` : ', differs'}\n`,
    );
    const agreeing = cmps.findIndex((c) => c.difference === null);
    verdict = agreeing >= 0 ? { at: agreeing, cmp: cmps[agreeing]! } : { at: cmps.length - 1, cmp: last };
  }
  const { at, cmp } = verdict!;
  const chosen = answers[at]!;
  const d = cmp.difference;
  const report = {
    kernel: chosen.release,
    input: input.label,
    frames: input.frames.length,
    ...(input.leftOut > 0 ? { framesLeftOut: input.leftOut } : {}),
    flows: lab.flows.size,
    kernelAsked: answers.length,
    kernelAnswer: at + 1,
    kernelPackets: chosen.packets,
    labPackets: countPackets(lab.flows),
    timingSplits: cmp.timingSplits,
    kernelSide: { gro_flush_timeout_us: f.groFlushTimeoutUs ?? 200, napi_defer_hard_irqs: 1, ...kernelOpts },
    firstDifference:
      d === null
        ? null
        : {
            flow: d.flow,
            kernelPacket: d.kernelIndex + 1,
            labPacket: d.labIndex + 1,
            kernel: d.kernel,
            lab: d.lab,
            labReason: d.labReason,
            why: d.why,
          },
  };
  if (f.json === true) stdout.write(`${JSON.stringify(report)}\n`);
  stderr.write(
    `${input.frames.length} frames of ${input.label}${input.leftOut > 0 ? ` (${input.leftOut} more left out: --max-frames)` : ''}, ${lab.flows.size} TCP flow${lab.flows.size === 1 ? '' : 's'}: ` +
      `the kernel's GRO (${chosen.release}) passed up ${chosen.packets} TCP packets, the lab's ${report.labPackets}\n`,
  );
  if (d === null) {
    stderr.write(
      cmp.exact
        ? `no difference, packet for packet in every flow (kernel answer ${at + 1} of at most ${runs})\n`
        : `no difference in what GRO decided (kernel answer ${at + 1} of at most ${runs}): the kernel also let ${cmp.timingSplits} packet${cmp.timingSplits === 1 ? '' : 's'} go early ` +
            'where another of its answers merged on — NAPI poll timing, not a GRO rule (a packet held past a jiffy leaves when a poll completes; ' +
            'with HZ below 1000, a poll that uses its whole budget flushes every held packet)\n',
    );
    return;
  }
  throw new CheckFailed(differenceLine(d), [
    `asked the kernel ${answers.length} time${answers.length === 1 ? '' : 's'}; flows are compared on their own (the order between flows follows each side's hash buckets)`,
  ]);
}

function countPackets(t: FlowTable): number {
  let n = 0;
  for (const f of t.values()) n += f.packets.length;
  return n;
}

/** The capture's Ethernet frames (to --only-to); a record cut at the snap length is extended with zero payload and a checksum that still verifies, as vnic replay does. */
function captureInput(capture: string, onlyTo: string | undefined): Input {
  const filter = onlyTo !== undefined ? runOrExplain(() => new DestinationFilter(onlyTo)) : undefined;
  const frames: Uint8Array[] = [];
  const L = new FrameLayout();
  runOrExplain(() => {
    for (const r of readCapture(capture)) {
      if (r.linktype !== 1 || (filter !== undefined && !filter.accepts(r.data, r.data.length))) continue;
      const f = new Uint8Array(Math.max(r.origLen, r.data.length));
      f.set(r.data);
      if (r.origLen > r.data.length) rebuildCutFrame(f, r.data.length, r.origLen, L);
      frames.push(f);
    }
  });
  if (frames.length === 0)
    throw new UsageError(
      `${capture}: no Ethernet frames${onlyTo !== undefined ? ` addressed to ${onlyTo}` : ''} to replay`,
    );
  return { label: capture, frames, leftOut: 0 };
}

/** The frames a scenario's link partner put on the wire to the NIC, in a run with GRO (the first `maxFrames`). */
function scenarioInput(name: string, maxFrames: number): Input {
  const s = getScenario(name);
  if (s === undefined)
    throw new UsageError(
      `--scenario ${name}: no such scenario (scenarios: ${SCENARIOS.map((x) => x.name).join(', ')})`,
    );
  const frames: Uint8Array[] = [];
  let leftOut = 0;
  runOrExplain(() =>
    runLab({ ...s.lab, engine: 'gro' } as LabConfig, {
      onOpen: ({ model }) => {
        const receive = model.receiveFrame.bind(model);
        model.receiveFrame = (frame, length, nowNs, flags) => {
          if (frames.length < maxFrames) frames.push(frame.slice(0, length));
          else leftOut++;
          receive(frame, length, nowNs, flags);
        };
      },
    }),
  );
  return { label: `scenario ${name}`, frames, leftOut };
}

/** The lab's packets flow by flow and, for each, why its GRO let it go (the flush or pass reason). */
function labSide(input: Input, f: KernelCheckFlags): { flows: FlowTable } {
  const dir = mkdtempSync(join(tmpdir(), 'vnic-kcheck-'));
  try {
    const out = join(dir, 'lab.pcap');
    const tracer = new TraceLog();
    const maxFrame = input.frames.reduce((n, fr) => Math.max(n, fr.length), 0);
    const records: CaptureRecord[] = input.frames.map((data, index) => ({
      index,
      offset: 0,
      tsSec: 0,
      tsNsec: 0,
      data,
      origLen: data.length,
      interfaceId: 0,
      linktype: 1,
    }));
    const res = runOrExplain(() =>
      runLab(
        {
          capture: { path: input.label },
          model: f.model ?? 'mq',
          engine: 'gro',
          batch: 'all',
          pollBudget: 1_000_000,
          queues: 1,
          // the largest IP packet an untagged frame can carry (an IPv6 frame of 1522 bytes carries 1508)
          mtu: Math.min(9000, Math.max(1500, maxFrame - 14)),
          ...(f.groMaxSize !== undefined ? { groMaxSize: f.groMaxSize } : {}),
          ...(f.groIpv4MaxSize !== undefined ? { groIpv4MaxSize: f.groIpv4MaxSize } : {}),
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
    return { flows: packetsByFlow(frames, reasons) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
