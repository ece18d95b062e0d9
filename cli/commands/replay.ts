// vnic replay <capture>: the capture's frames through a NIC model, its driver, LRO/GRO and the stack;
// prints the run report (--json: as JSON on stdout) and optionally writes what the stack received.
import type { Command } from 'commander';
import { CheckFailed, UsageError } from '../errors.ts';
import { comparisonTable, reasonLines, useColour } from '../format.ts';
import { stderr, stdout } from '../io.ts';
import { addPathFlags, checkReadable, checkWritable, labFromFlags, outFormat, type PathFlags } from './common.ts';
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
    .option('--only-to <addr>', 'keep only frames addressed to this IPv4 or MAC address (others count as filteredOut)')
    .option('--out <file>', 'write every packet the stack received to FILE.pcap or FILE.pcapng')
    .option('--json', 'print the run report as JSON on stdout')
    .addHelpText(
      'after',
      `
Defaults: model ehea with its driver, the pair's default engine (vnic models: LRO where the
driver can, else GRO), the driver's max-aggr/max-desc, MTU from the capture (its largest IP packet, 1500 at least, the model's maximum at most),
poll budget 64, batch
timestamps. The NIC runs promiscuous.

Examples:
  vnic replay capture.pcap
  vnic replay bulk.tx.pcap --only-to 10.77.0.2 --engine gro --batch all --poll-budget 1000000 --out rx.pcap
  vnic replay capture.pcapng --model myri10ge --engine lro --json`,
    )
    .action(async (capture: string, f: ReplayFlags) => {
      checkReadable(capture, 'capture');
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
