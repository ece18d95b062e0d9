// vnic kernel-check <capture>: the capture's frames through this machine's kernel GRO (a veth pair in
// namespaces of its own, lab/kernel-gro.ts) and through the lab's NIC, driver and GroEngine with
// --batch all, compared packet by packet; the work is in kernel-check-run.ts, loaded when the command runs.
import type { Command } from 'commander';
import { intFlag } from '../errors.ts';
import type { KernelCheckFlags } from './kernel-check-run.ts';

export function registerKernelCheck(program: Command): void {
  program
    .command('kernel-check')
    .description(
      "compare the lab's GRO with this machine's kernel GRO on a capture, packet by packet (needs root, ip, ethtool, python3)",
    )
    .argument('<capture>', 'a pcap or pcapng file (Ethernet)')
    .option('--only-to <addr>', 'keep only frames addressed to this IPv4 or MAC address')
    .option('--model <name>', 'NIC model for the lab side (default mq)')
    .option(
      '--flush-timeout-us <n>',
      "the kernel side's gro_flush_timeout in µs (default 200, as the kernel's GRO selftest)",
      intFlag('--flush-timeout-us', 0, 1_000_000),
    )
    .option(
      '--runs <n>',
      "ask the kernel up to N times, stopping at an answer equal to the lab's (default 3): a busy machine can stall the burst and split it across polls",
      intFlag('--runs', 1, 20),
    )
    .option('--json', 'print { kernel, packets, lab, firstDifference } as JSON on stdout')
    .addHelpText(
      'after',
      `
Both sides get the frames back to back: the kernel's over a veth pair (GRO on, napi_defer_hard_irqs 1),
the lab's with --batch all. Only TCP packets are compared.

Examples:
  sudo vnic kernel-check bulk_mtu1500.tx.pcap --only-to 10.77.0.2
  sudo vnic kernel-check capture.pcap --runs 5 --json`,
    )
    .action(async (capture: string, f: KernelCheckFlags) => {
      const { kernelCheck } = await import('./kernel-check-run.ts');
      kernelCheck(capture, f);
    });
}
