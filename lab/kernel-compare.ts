// What vnic kernel-check compares: the TCP packets a receiver got after GRO, flow by flow (the order
// between flows follows each side's hash buckets, not GRO's rules). A packet boundary the kernel drew
// where the lab merged is put down to the kernel's NAPI poll timing when another of the kernel's own
// answers merged across it (a held packet older than a jiffy leaves when a poll completes); every
// other difference is a difference in what GRO decided.
import { decodeFrame, TCP_FLAG, WireError } from '../wire/index.ts';
import type { PacketSummary } from './kernel-gro.ts';

/** One flow's packets in the order its receiver got them, with why the lab's GRO let each go (lab side only). */
export interface FlowPackets {
  packets: PacketSummary[];
  reasons: string[];
}

/** "10.77.0.1:40000 > 10.77.0.2:5201" (IPv6 addresses in brackets) → that flow's packets. */
export type FlowTable = Map<string, FlowPackets>;

/** The TCP packets among `frames`, flow by flow; `reasons[i]`, when given, is the lab's reason for frames[i]. */
export function packetsByFlow(frames: readonly Uint8Array[], reasons?: readonly string[]): FlowTable {
  const flows: FlowTable = new Map();
  frames.forEach((f, i) => {
    const d = decodeFrame(f);
    if (d instanceof WireError || d.tcp === undefined) return;
    const src = d.ipv4 !== undefined ? d.ipv4.src : `[${d.ipv6?.src ?? '?'}]`;
    const dst = d.ipv4 !== undefined ? d.ipv4.dst : `[${d.ipv6?.dst ?? '?'}]`;
    const key = `${src}:${d.tcp.sport} > ${dst}:${d.tcp.dport}`;
    let flow = flows.get(key);
    if (flow === undefined) flows.set(key, (flow = { packets: [], reasons: [] }));
    flow.packets.push(
      (d.tcp.flags & TCP_FLAG.FIN) !== 0 ? [d.tcp.seq, d.payloadLength, 'F'] : [d.tcp.seq, d.payloadLength],
    );
    flow.reasons.push(reasons?.[i] ?? '');
  });
  return flows;
}

/** Where one flow's packets part ways: the packet index on each side, both packets and, for a lab packet, why the lab's GRO let it go. */
export interface FlowDifference {
  flow: string;
  kernelIndex: number;
  labIndex: number;
  kernel: PacketSummary | null;
  lab: PacketSummary | null;
  labReason: string | null;
  /** In words: which side split or merged where. */
  why: string;
}

export interface Comparison {
  /** The first difference in what GRO decided, flow by flow (flows in the lab's order), or null. */
  difference: FlowDifference | null;
  /** Boundaries the kernel drew inside a lab packet that another kernel answer merged across (poll timing). */
  timingSplits: number;
  /** True when this kernel answer is the lab's, packet for packet, in every flow. */
  exact: boolean;
}

const end = (p: PacketSummary): number => (p[0] + p[1]) >>> 0;
const fmt = (p: PacketSummary | null): string =>
  p === null ? 'nothing' : `seq ${p[0]} with ${p[1]} payload bytes${p[2] === 'F' ? ' and FIN' : ''}`;

/** Whether some packet of `flow` in `answer` spans sequence number `at` (merged across a boundary there). */
function mergedAcross(answer: FlowTable, flow: string, at: number): boolean {
  for (const p of answer.get(flow)?.packets ?? [])
    if (p[1] > 0 && (at - p[0]) >>> 0 > 0 && (at - p[0]) >>> 0 < p[1]) return true;
  return false;
}

/**
 * Compares one kernel answer with the lab's, flow by flow. A kernel packet that ends inside a lab packet is a
 * timing split when one of `others` (the kernel's other answers) merged across that point; anything else that
 * differs — a lab packet ending inside a kernel packet, different sequence numbers, lengths, FIN, a packet on one
 * side only — is a difference in what GRO decided.
 */
export function compareFlows(kernel: FlowTable, lab: FlowTable, others: readonly FlowTable[] = []): Comparison {
  let timingSplits = 0;
  let difference: FlowDifference | null = null;
  const names = [...lab.keys(), ...[...kernel.keys()].filter((k) => !lab.has(k))];
  for (const flow of names) {
    const K = kernel.get(flow)?.packets ?? [],
      L = lab.get(flow)?.packets ?? [],
      reasons = lab.get(flow)?.reasons ?? [];
    let i = 0,
      j = 0;
    // the lab packet still to be covered: it shrinks as kernel packets inside it are matched
    let rest: PacketSummary | null = L[0] ?? null;
    let found: FlowDifference | null = null;
    const differ = (why: string): FlowDifference => ({
      flow,
      kernelIndex: i,
      labIndex: j,
      kernel: K[i] ?? null,
      lab: L[j] ?? null,
      labReason: reasons[j] !== undefined && reasons[j] !== '' ? reasons[j]! : null,
      why,
    });
    while (found === null && (i < K.length || j < L.length)) {
      const k = K[i];
      if (k === undefined || rest === null) {
        found = differ(
          k === undefined
            ? 'the lab passed up a packet the kernel did not'
            : 'the kernel passed up a packet the lab did not',
        );
        break;
      }
      if (k[0] !== rest[0]) {
        found = differ('different sequence numbers: the two sides did not receive the same segments here');
        break;
      }
      if (k[1] === rest[1]) {
        if (k[2] !== rest[2]) found = differ('FIN on one side only');
        else {
          i++;
          j++;
          rest = L[j] ?? null;
        }
        continue;
      }
      if (k[1] > rest[1] || k[1] === 0 || k[2] === 'F') {
        found = differ(
          k[1] > rest[1]
            ? "the lab's GRO let its packet go where the kernel's merged on"
            : 'the packets differ in length',
        );
        break;
      }
      // the kernel split inside the lab's packet: timing, if another kernel answer merged across the point
      const at = end(k);
      if (!others.some((o) => mergedAcross(o, flow, at))) {
        found = differ("the kernel's GRO let its packet go where the lab's merged on, in every answer it gave");
        break;
      }
      timingSplits++;
      rest = rest[2] === 'F' ? [at, rest[1] - k[1], 'F'] : [at, rest[1] - k[1]];
      i++;
    }
    difference ??= found;
  }
  return { difference, timingSplits, exact: sameTables(kernel, lab) };
}

function sameTables(a: FlowTable, b: FlowTable): boolean {
  if (a.size !== b.size) return false;
  for (const [flow, x] of a) {
    const y = b.get(flow)?.packets;
    if (y === undefined || y.length !== x.packets.length) return false;
    if (x.packets.some((p, i) => p[0] !== y[i]![0] || p[1] !== y[i]![1] || p[2] !== y[i]![2])) return false;
  }
  return true;
}

/** The line that names a difference: the flow, the packet on each side, both packets, the lab's reason. */
export function differenceLine(d: FlowDifference): string {
  return (
    `first difference in flow ${d.flow}, kernel packet ${d.kernelIndex + 1} / lab packet ${d.labIndex + 1}: ` +
    `kernel ${fmt(d.kernel)}, lab ${fmt(d.lab)}${d.labReason !== null ? ` (the lab's GRO: ${d.labReason})` : ''} — ${d.why}`
  );
}
