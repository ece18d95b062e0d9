// `kernel-veth-gro` and `kernel-veth-nogro`: this machine's kernel receiving a bulk TCP flow over veth
// (bench/kernel-veth.ts), the reference the `ratios` of `npm run bench -- --json` divide by. One "packet" is one
// 1514-byte frame the receiving veth counted. Skipped, with the reason, when not root or a tool is missing.
// VNIC_BENCH_KERNEL_SECONDS sets the flow's length (default 5).
import { kernelVethUnavailable, measureKernelVeth } from './kernel-veth.ts';
import type { ExternalCase } from './run.ts';

const seconds = Number(process.env['VNIC_BENCH_KERNEL_SECONDS'] ?? 5);

function kernelCase(name: string, gro: boolean): ExternalCase {
  return {
    name,
    async external() {
      const why = kernelVethUnavailable();
      if (why !== null) return { skipped: why };
      const r = await measureKernelVeth(gro, seconds);
      return {
        packets: r.frames,
        seconds: r.seconds,
        extra: { bytes: r.bytes },
        note: `Linux ${r.kernel}, iperf3 over veth, receiver GRO ${gro ? 'on' : 'off'}`,
      };
    },
  };
}

export const cases = [kernelCase('kernel-veth-gro', true), kernelCase('kernel-veth-nogro', false)];
