// vnic kernel-check <capture> | --scenario NAME: the frames through this machine's kernel GRO (a veth
// pair in namespaces of its own, lab/kernel-gro.ts) and through the lab's NIC, driver and GroEngine with
// --batch all, compared flow by flow; the work is in kernel-check-run.ts, loaded when the command runs.
import type { Command } from 'commander';
import { intFlag } from '../errors.ts';
import { ONLY_TO_HELP, checkOnlyTo } from './common.ts';
import type { KernelCheckFlags } from './kernel-check-run.ts';

export function registerKernelCheck(program: Command): void {
  program
    .command('kernel-check')
    .description(
      "compare the lab's GRO with this machine's kernel GRO on a capture or a scenario's traffic, flow by flow (needs root, ip, ethtool, python3)",
    )
    .argument('[capture]', 'a pcap or pcapng file (Ethernet); or give --scenario')
    .option('--scenario <name>', "the lab's own traffic for a scenario (vnic scenarios) instead of a capture")
    .option(
      '--max-frames <n>',
      "with --scenario: the first N frames of the scenario's traffic (default 4000)",
      intFlag('--max-frames', 1, 100_000),
    )
    .option('--only-to <addr>', ONLY_TO_HELP)
    .option('--model <name>', 'NIC model for the lab side (default mq)')
    .option(
      '--gro-flush-timeout-us <n>',
      "the kernel side's gro_flush_timeout in µs (default 200, as the kernel's GRO selftest); the lab side has every frame in its ring before the first poll, where the timer changes nothing",
      intFlag('--gro-flush-timeout-us', 0, 1_000_000),
    )
    .option(
      '--runs <n>',
      "ask the kernel up to N times (default 3), stopping at an answer that agrees with the lab's: its NAPI polls split packets at timing that moves between answers",
      intFlag('--runs', 1, 20),
    )
    .option(
      '--gro-max-size <bytes>',
      'gro_max_size on both sides (the IPv6 limit), up to 524280 (BIG TCP)',
      intFlag('--gro-max-size', 0, 524280),
    )
    .option(
      '--gro-ipv4-max-size <bytes>',
      'gro_ipv4_max_size on both sides (the IPv4 limit), up to 524280 (BIG TCP)',
      intFlag('--gro-ipv4-max-size', 0, 524280),
    )
    .option(
      '--json',
      'print { kernel, frames, flows, kernelPackets, labPackets, timingSplits, firstDifference, … } as JSON on stdout',
    )
    .addHelpText(
      'after',
      `
Both sides get the frames back to back: the kernel's over a veth pair (GRO on, gro_flush_timeout 200 µs,
napi_defer_hard_irqs 1, as the kernel's GRO selftest), the lab's with --batch all. Only TCP packets are
compared, flow by flow (the order between flows follows each side's hash buckets). A packet boundary the
kernel drew where another of its answers merged on is NAPI poll timing (a packet held past a jiffy leaves
when a poll completes), not a GRO rule: it is counted and said, not reported as a difference. A record cut
at the snap length is extended with zero payload, on both sides. With a limit past 64 KB the kernel's
sender gets a send buffer that cannot block before GRO's largest packet is held, and with --gro-max-size an
XDP program that passes every frame sits on the kernel's veth: Linux 6.18 builds an IPv6 packet past 64 KB
only into an skb with headroom for its jumbo header, which the rebuilt skbs have.

Examples:
  sudo vnic kernel-check bulk_mtu1500.tx.pcap --only-to 10.77.0.2
  sudo vnic kernel-check capture.pcap --runs 5 --json
  sudo vnic kernel-check --scenario bulk-1flow --max-frames 1500
  sudo vnic kernel-check big.pcap --gro-ipv4-max-size 185000`,
    )
    .action(async (capture: string | undefined, f: KernelCheckFlags) => {
      await checkOnlyTo(f.onlyTo);
      const { kernelCheck } = await import('./kernel-check-run.ts');
      kernelCheck(capture, f);
    });
}
