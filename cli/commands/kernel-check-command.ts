// vnic kernel-check: its flags and help. The check itself is ./kernel-check.ts, loaded when the command
// runs so that `vnic --help` loads none of the lab (cli/commands/index.ts).
import type { Command } from 'commander';
import { intFlag } from '../errors.ts';

export interface KernelCheckFlags { onlyTo?: string; model?: string; flushTimeoutUs?: number; runs?: number; json?: boolean }

export function registerKernelCheck(program: Command): void {
  program.command('kernel-check')
    .description("compare the lab's GRO with this machine's kernel GRO on a capture, packet by packet (needs root, ip, ethtool, python3)")
    .argument('<capture>', 'a pcap or pcapng file (Ethernet)')
    .option('--only-to <addr>', 'keep only frames addressed to this IPv4 or MAC address')
    .option('--model <name>', 'NIC model for the lab side (default mq)')
    .option('--flush-timeout-us <n>', "the kernel side's gro_flush_timeout in µs (default 200, as the kernel's GRO selftest)", intFlag('--flush-timeout-us', 0, 1_000_000))
    .option('--runs <n>', 'ask the kernel up to N times, stopping at an answer equal to the lab\'s (default 3): a busy machine can stall the burst and split it across polls', intFlag('--runs', 1, 20))
    .option('--json', 'print { kernel, packets, lab, firstDifference } as JSON on stdout')
    .addHelpText('after', `
Both sides get the frames back to back: the kernel's over a veth pair (GRO on, napi_defer_hard_irqs 1),
the lab's with --batch all. Only TCP packets are compared.

Examples:
  sudo vnic kernel-check bulk_mtu1500.tx.pcap --only-to 10.77.0.2
  sudo vnic kernel-check capture.pcap --flush-timeout-us 0 --runs 1 --json`)
    .action(async (capture: string, f: KernelCheckFlags) => {
      const { kernelCheck } = await import('./kernel-check.ts');
      kernelCheck(capture, f);
    });
}
