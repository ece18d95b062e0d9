// GRO packets past 64 KB (BIG TCP): bursts of 1448-byte segments put to this machine's kernel with the
// receiving device's gro_max_size / gro_ipv4_max_size set (`ip link set … gro_max_size N`; gro_ipv4_max_size
// over rtnetlink), and to the lab with the same limits (test/gro-big-tcp.test.ts). Run as a script it asks
// the kernel three times per case and writes the packet boundaries all three answers drew (poll timing
// only adds boundaries) to test/gro-catalogue/big-tcp-<release>.json, with the load average it was asked at.
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
  /** Where the expectation is the kernel source's rule rather than this kernel's answer: why, and the payloads. */
  fromSource?: { why: string; payloads: number[] };
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
    // the largest packet a pcap record (262144 bytes) still holds whole: 181 segments
    {
      id: 'ipv4/gro_ipv4_max_size-262144',
      limits: { groIpv4MaxSize: 262144 },
      frames: burst(4, 200),
      fromSource: {
        why:
          'this kernel ended every packet at 93 segments of 1448 bytes (93 of 1000, 49 of 2900: about 256 KB of skb ' +
          'truesize over the veth), a limit the lab does not model; the lab follows gro_ipv4_max_size alone',
        payloads: [181 * BIG_MSS, 19 * BIG_MSS],
      },
    },
    // gro_max_size is the IPv6 limit: IPv4 keeps to 64 KB
    { id: 'ipv4/gro_max_size-only', limits: { groMaxSize: 131072 }, frames: burst(4, 100) },
    // a limit below 64 KB: 40 + 11 × 1448 = 15968, one more would reach 16384
    { id: 'ipv4/gro_ipv4_max_size-16384', limits: { groIpv4MaxSize: 16384 }, frames: burst(4, 30) },
    {
      id: 'ipv6/gro_max_size-131072',
      limits: { groMaxSize: 131072 },
      frames: burst(6, 100),
      fromSource: {
        why:
          'this kernel (6.18, the hop-by-hop jumbo era) did not build an IPv6 GRO packet past 64 KB over the veth from a packet socket; ' +
          'Linux since the 2026 "BIG TCP without HBH in IPv6" series builds it with payload length 0, as the engine does',
        payloads: [90 * BIG_MSS, 10 * BIG_MSS],
      },
    },
    { id: 'ipv6/gro_ipv4_max_size-only', limits: { groIpv4MaxSize: 131072 }, frames: burst(6, 100) },
  ];
}

export interface BigTcpAnswers {
  kernel: string;
  tool: string;
  /** Load average when asked (the kernel's answers need a quiet machine). */
  load?: string;
  cases: Record<string, { packets: PacketSummary[]; runs: number; packetsPerRun: number[] }>;
}

export function bigTcpAnswersPath(kernel = release()): string {
  return join(import.meta.dirname, `big-tcp-${kernel}.json`);
}

/** One answer with only the packet boundaries every answer drew: two data packets in a row are joined where another answer merged across their boundary. */
export function consensus(answers: PacketSummary[][]): PacketSummary[] {
  const ends = (a: PacketSummary[]) => new Set(a.filter((p) => p[1] > 0).map((p) => p[0] + p[1]));
  const all = answers.map(ends);
  const out: PacketSummary[] = [];
  for (const p of answers[0] ?? []) {
    const prev = out.at(-1);
    if (
      prev !== undefined &&
      prev[1] > 0 &&
      p[1] > 0 &&
      prev[2] !== 'F' &&
      prev[0] + prev[1] === p[0] &&
      !all.every((e) => e.has(p[0]))
    )
      out[out.length - 1] = p[2] === 'F' ? [prev[0], prev[1] + p[1], 'F'] : [prev[0], prev[1] + p[1]];
    else out.push(p);
  }
  return out;
}

function main(): void {
  const path = bigTcpAnswersPath();
  const prev = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as BigTcpAnswers) : undefined;
  const answers: BigTcpAnswers = {
    kernel: release(),
    tool: 'lab/kernel-gro.ts askKernelGro (veth, gro_flush_timeout 200 µs, napi_defer_hard_irqs 1, the case’s limits); each case one back-to-back burst',
    load: loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
    cases: { ...(prev?.cases ?? {}) },
  };
  // the kernel's NAPI polls only add boundaries (a packet held past a jiffy leaves when a poll completes),
  // never take a GRO rule's away: of three answers, keep the boundaries all of them drew
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1]! : '';
  for (const c of bigTcpCases().filter((x) => x.id.startsWith(only))) {
    const got: PacketSummary[][] = [];
    for (let run = 1; run <= 3; run++)
      got.push(summarize(askKernelGro(c.frames, { ...c.limits, settleMs: 500 }).frames));
    const best = consensus(got.filter((g) => g.length > 0));
    answers.cases[c.id] = { packets: best, runs: got.length, packetsPerRun: got.map((g) => g.length) };
    process.stderr.write(
      `${c.id}: ${JSON.stringify(best)} (packets per answer: ${got.map((g) => g.length).join(', ')})\n`,
    );
  }
  writeFileSync(path, `${JSON.stringify(answers, null, 1)}\n`);
  process.stderr.write(`wrote ${path}\n`);
}

if (process.argv[1] === import.meta.filename) main();
