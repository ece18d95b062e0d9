// vnic replay <capture>: the capture's frames through a NIC model, its driver, LRO/GRO and the stack;
// prints the run report (--json: as JSON on stdout) and optionally writes what the stack received.
import type { Command } from 'commander';
import { CheckFailed, UsageError } from '../errors.ts';
import { comparisonTable, reasonLines, useColour } from '../format.ts';
import { stderr, stdout } from '../io.ts';
import {
  ONLY_TO_HELP,
  addPathFlags,
  checkOnlyTo,
  checkReadable,
  checkWritable,
  labFromFlags,
  outFormat,
  type PathFlags,
} from './common.ts';
import { failureLines, nothingDelivered } from '../verdict.ts';

interface ReplayFlags extends PathFlags {
  out?: string;
  json?: boolean;
}

export function registerReplay(program: Command): void {
  const cmd = program
    .command('replay')
    .description('replay a pcap/pcapng capture through a NIC model, its driver, LRO/GRO and the stack')
    .argument('<capture>', 'a pcap or pcapng file (Ethernet)');
  addPathFlags(cmd)
    .option('--only-to <addr>', `${ONLY_TO_HELP} (others count as filteredOut)`)
    .option('--out <file>', 'write every packet the stack received to FILE.pcap or FILE.pcapng')
    .option('--json', 'print the run report as JSON on stdout')
    .addHelpText(
      'after',
      `
Defaults: model ehea with its driver, the pair's default engine (vnic models: LRO where the
driver can, else GRO), the driver's max-aggr/max-desc, MTU from the capture (its largest IP packet, 1500 at least, the model's maximum at most),
poll budget 64, --batch bursts. The NIC runs promiscuous.

Timing (--batch): 'bursts' (default) splits the capture where frames are more than --burst-gap-us
(8) apart: each burst arrives whole at its first frame's time, so one NAPI poll finds it in the ring,
as a Linux receiver's poll finds the burst its sender queued (on the shared veth captures the packets
reaching the stack come within 10 % of the kernel's own). A burst takes at most the ring; the rest of
a longer one (line-rate jumbo frames) comes at its own times. 'timestamps' (the old default) gives
every frame its own time, so interrupts and the CPU's speed decide the polls. 'all' puts every frame
in the rings before the first poll (with --poll-budget 1000000: aggregation limited only by GRO/LRO).

Examples:
  vnic replay capture.pcap
  vnic replay bulk.tx.pcap --only-to 10.77.0.2 --engine gro --batch all --poll-budget 1000000 --out rx.pcap
  vnic replay ipv6.pcap --only-to 2001:db8::2
  vnic replay capture.pcapng --model myri10ge --engine lro --json
  vnic replay capture.pcap --batch timestamps     (every frame at its own time: the old default)`,
    )
    .action(async (capture: string, f: ReplayFlags) => {
      checkReadable(capture, 'capture');
      await checkOnlyTo(f.onlyTo);
      const { runLab } = await import('../../lab/run.ts');
      const out = f.out !== undefined ? { path: f.out, format: outFormat(f.out) } : undefined;
      if (f.out !== undefined) checkWritable('--out', f.out);
      const res = runOrExplain(() =>
        runLab(
          {
            ...labFromFlags(f),
            capture: { path: capture, ...(f.onlyTo !== undefined ? { onlyTo: f.onlyTo } : {}) },
          },
          out !== undefined ? { out } : {},
        ),
      );
      if (res.mtu.from === 'capture')
        stderr.write(
          `vnic: MTU ${res.mtu.value} from the capture (its largest IP packet is ${res.mtu.largestIpPacket} bytes); --mtu sets another\n`,
        );
      if (f.json) stdout.write(`${JSON.stringify(res.report)}\n`);
      else {
        stdout.write(`${comparisonTable([res.report], useColour(stdout))}\n`);
        for (const l of reasonLines(res.report)) stdout.write(`  ${l}\n`);
      }
      if (!res.conservation.ok) throw new CheckFailed(`conservation: ${JSON.stringify(res.conservation)}`);
      const asked = { onlyTo: f.onlyTo, mtu: res.mtu.value };
      const none = nothingDelivered(res.report, asked);
      if (none !== null) throw new CheckFailed(none);
      if (!res.report.allStreamsOk) {
        const lines = failureLines(res.report, asked);
        const flows = Object.keys(res.report.flows).length;
        const bad = Object.values(res.report.flows).filter((x) => !x.byteStreamOk).length;
        throw new CheckFailed(`${bad} of ${flows} byte streams differ from what the capture carries`, lines);
      }
    });
}

/** Runs the lab, turning configuration and input errors into usage errors (exit 2). */
export function runOrExplain<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    // by name: the lab's layers load only when a command runs (cli/commands/index.ts)
    if (e instanceof Error && (e.name === 'LabError' || e.name === 'CaptureError')) throw new UsageError(e.message);
    if (e instanceof Error && (e.name === 'TrafficConfigError' || e.name === 'ConfigError'))
      throw new UsageError(e.message.replace(/\n\s*/g, '; '));
    throw e;
  }
}
