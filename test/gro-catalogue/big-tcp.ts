// GRO packets past 64 KB (BIG TCP): bursts of 1448-byte segments put to this machine's kernel with the
// receiving device's gro_max_size / gro_ipv4_max_size set (`ip link set … gro_max_size N`; gro_ipv4_max_size
// over rtnetlink), and to the lab with the same limits (test/gro-big-tcp.test.ts). Run as a script it asks
// the kernel three to ten times per case (until one answer comes twice) and writes the answer it gave most often (poll timing adds boundaries that
// vary from run to run) to test/gro-catalogue/big-tcp-<release>.json, with the load average it was asked at.
//
//   npx tsx test/gro-catalogue/big-tcp.ts [--only ID-PREFIX]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, release } from 'node:os';
import { join } from 'node:path';
import { askKernelGro, summarize, type PacketSummary } from '../../lab/kernel-gro.ts';
import { frame } from '../../wire/index.ts';

export const BIG_MSS = 1448;

export interface BigTcpCase {
  id: string;
  /** The receiving device's limits (unset: 65536). */
  limits: { groMaxSize?: number; groIpv4MaxSize?: number };
  frames: Uint8Array[];
  /** Ask the kernel with an XDP_PASS program on the receiving veth (lab/kernel-gro.ts `xdpPass`): why. */
  xdpPass?: string;
  /** The sender's send buffer when the case's packets pass ~93 segments (lab/kernel-gro.ts `sendBufferBytes`). */
  sendBufferBytes?: number;
}

/** `n` back-to-back segments of BIG_MSS bytes, then a FIN, IPv4 or IPv6. */
function burst(family: 4 | 6, n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i <= n; i++) {
    const b = frame().eth({ src: 'aa:00:00:00:00:02', dst: 'aa:00:00:00:00:01' });
    if (family === 6) b.ipv6({ src: 'fdaa::2', dst: 'fdaa::1', hopLimit: 8 });
    else b.ipv4({ src: '192.168.1.200', dst: '192.168.1.100', ttl: 8, df: true, id: 0 });
    const fin = i === n;
    b.tcp({ sport: 1500, dport: 8000, seq: 100 + i * BIG_MSS, ack: 100, flags: fin ? 'FA' : 'A', window: 65535 });
    out.push(b.payload(new Uint8Array(fin ? 0 : BIG_MSS).fill(0x61)).build());
  }
  return out;
}

export function bigTcpCases(): BigTcpCase[] {
  return [
    // 40 + 90 × 1448 = 130360; one more segment would reach 131072
    { id: 'ipv4/gro_ipv4_max_size-131072', limits: { groIpv4MaxSize: 131072 }, frames: burst(4, 100) },
    // the largest packet a pcap record (262144 bytes) still holds whole: 181 segments. With the sender's default
    // send buffer this kernel ended every packet at 93 segments (93 of 1000 bytes, 49 of 2900): not a GRO rule,
    // the held segments stay charged to the sending socket and its send() blocked
    {
      id: 'ipv4/gro_ipv4_max_size-262144',
      limits: { groIpv4MaxSize: 262144 },
      frames: burst(4, 200),
      sendBufferBytes: 1 << 20,
    },
    // gro_max_size is the IPv6 limit: IPv4 keeps to 64 KB
    { id: 'ipv4/gro_max_size-only', limits: { groMaxSize: 131072 }, frames: burst(4, 100) },
    // a limit below 64 KB: 40 + 11 × 1448 = 15968, one more would reach 16384
    { id: 'ipv4/gro_ipv4_max_size-16384', limits: { groIpv4MaxSize: 16384 }, frames: burst(4, 30) },
    {
      id: 'ipv6/gro_max_size-131072',
      limits: { groMaxSize: 131072 },
      frames: burst(6, 100),
      xdpPass:
        'Linux 6.18 merges IPv6 past 64 KB only into a held skb with headroom for the hop-by-hop jumbo header it ' +
        'inserts at completion (skb_gro_receive); the packet socket’s skbs reach the veth’s GRO without it and stop at ' +
        '64 KB, while the veth rebuilds them with 256 bytes of headroom when an XDP program runs. The lab writes payload ' +
        'length 0 without the jumbo header (as Linux does since BIG TCP dropped it), so only the boundaries compare',
    },
    { id: 'ipv6/gro_ipv4_max_size-only', limits: { groIpv4MaxSize: 131072 }, frames: burst(6, 100) },
  ];
}

export interface BigTcpAnswers {
  kernel: string;
  tool: string;
  /** Load average when asked (the kernel's answers need a quiet machine). */
  load?: string;
  /** Per case: the answer kept, how many runs gave exactly it, and the packets of every run. */
  cases: Record<string, { packets: PacketSummary[]; runs: number; sameAnswer: number; packetsPerRun: number[] }>;
}

export function bigTcpAnswersPath(kernel = release()): string {
  return join(import.meta.dirname, `big-tcp-${kernel}.json`);
}

/**
 * The answer the kernel gave most often (ties: the one with fewer packets, then the earlier). A NAPI poll that
 * fills its budget or a held packet a jiffy old adds a boundary where the machine's timing puts it, and every
 * GRO limit after it moves with it, so such answers differ from run to run while the rules' own answer repeats.
 */
export function mostFrequent(answers: PacketSummary[][]): PacketSummary[] {
  const count = new Map<string, number>();
  for (const a of answers) count.set(JSON.stringify(a), (count.get(JSON.stringify(a)) ?? 0) + 1);
  let best: PacketSummary[] = [];
  let bestCount = 0;
  for (const a of answers) {
    const n = count.get(JSON.stringify(a))!;
    if (n > bestCount || (n === bestCount && a.length < best.length)) {
      best = a;
      bestCount = n;
    }
  }
  return best;
}

function main(): void {
  const path = bigTcpAnswersPath();
  const prev = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as BigTcpAnswers) : undefined;
  const answers: BigTcpAnswers = {
    kernel: release(),
    tool: 'lab/kernel-gro.ts askKernelGro (veth, gro_flush_timeout 200 µs, napi_defer_hard_irqs 1, the case’s limits, send buffer and XDP_PASS); each case one back-to-back burst',
    load: loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
    cases: { ...(prev?.cases ?? {}) },
  };
  // the kernel's NAPI polls only add boundaries (a poll that fills its budget, a packet held past a jiffy), and
  // where they fall varies: of several answers, keep the one given most often
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1]! : '';
  for (const c of bigTcpCases().filter((x) => x.id.startsWith(only))) {
    const got: PacketSummary[][] = [];
    const seen = (a: PacketSummary[]) => got.filter((g) => JSON.stringify(g) === JSON.stringify(a)).length;
    // at least three answers, then on until one answer came twice (at most ten)
    while (got.length < 10 && (got.length < 3 || !got.some((g) => seen(g) >= 2)))
      got.push(
        summarize(
          askKernelGro(c.frames, {
            ...c.limits,
            settleMs: 500,
            ...(c.xdpPass !== undefined ? { xdpPass: true } : {}),
            ...(c.sendBufferBytes !== undefined ? { sendBufferBytes: c.sendBufferBytes } : {}),
          }).frames,
        ),
      );
    const best = mostFrequent(got.filter((g) => g.length > 0));
    const sameAnswer = got.filter((g) => JSON.stringify(g) === JSON.stringify(best)).length;
    answers.cases[c.id] = { packets: best, runs: got.length, sameAnswer, packetsPerRun: got.map((g) => g.length) };
    process.stderr.write(
      `${c.id}: ${JSON.stringify(best)} (${sameAnswer} of ${got.length} runs; packets per answer: ${got.map((g) => g.length).join(', ')})\n`,
    );
  }
  writeFileSync(path, `${JSON.stringify(answers, null, 1)}\n`);
  process.stderr.write(`wrote ${path}\n`);
}

if (process.argv[1] === import.meta.filename) main();
