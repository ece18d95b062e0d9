// The figures of docs/lro.md's "Forwarding and bridging" section: the forward and bridge scenarios under
// each kernel policy — what entered the ingress wire, what left the egress wire, and how they differ.
// docs/figures.ts calls `forwardFigures` and writes what it returns with the other figures.
import { getScenario } from '../lab/scenarios.ts';
import { plansFor, runSeed } from '../lab/seeds.ts';
import { runLab } from '../lab/run.ts';
import type { ForwardReport } from '../lab/forward.ts';

const int = (n: number): string => Math.round(n).toLocaleString('en-US');

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n') + '\n';
}

export function forwardFigures(): Record<string, string> {
  return {
    'forward.md': policyTable('forward'),
    'bridge.md': policyTable('bridge'),
    'forward-sizes.md': segmentSizes(),
    'forward-pmtu.md': pathMtu(),
  };
}

const POLICIES = [
  ['off', 'modern', 'LRO/GRO off'],
  ['lro', '2.6.24', 'LRO, 2.6.24'],
  ['gro', 'modern', 'GRO, modern'],
] as const;

/** A flow whose segment sizes vary: 2000-byte requests sent back to back, each a 1448-byte and a 552-byte segment. */
const VARYING = {
  rtoNs: 200e6,
  rateGbps: 10,
  openLoop: true,
  flows: [{ kind: 'rr', sport: 43000, dst: '10.0.1.2', requestBytes: 2000, requests: 300, thinkNs: 0 }],
};

/** Egress segment sizes against ingress: the forward scenario's router, a flow whose sizes vary. */
function segmentSizes(): string {
  const s = getScenario('forward')!;
  const runs = POLICIES.map(([engine, kernel, label]) => {
    const r = runLab({ ...s.lab, engine, forward: { ...s.lab.forward, kernel }, traffic: VARYING });
    if (!r.report.allStreamsOk) throw new Error(`figures: forward-sizes ${label}: a stream is not intact`);
    return { label, f: r.report.forward as ForwardReport };
  });
  const ingress = runs[0]!.f.payloadSizes.ingress;
  for (const { label, f } of runs)
    if (JSON.stringify(f.payloadSizes.ingress) !== JSON.stringify(ingress))
      throw new Error(`figures: forward-sizes ${label}: the ingress differs from the other runs'`);
  const sizes = new Set<number>();
  for (const { f } of runs)
    for (const k of [...Object.keys(f.payloadSizes.ingress), ...Object.keys(f.payloadSizes.egress)])
      sizes.add(Number(k));
  const rows = [...sizes]
    .sort((a, b) => a - b)
    .map((size) => [
      int(size),
      int(ingress[String(size)] ?? 0),
      ...runs.map(({ f }) => int(f.payloadSizes.egress[String(size)] ?? 0)),
    ]);
  rows.push([
    'egress identical to ingress',
    '',
    ...runs.map(({ f }) => (f.egressIdenticalToIngress ? 'yes' : `no (${int(f.egressDiffering)} frames differ)`)),
  ]);
  return (
    table(['TCP payload bytes', 'ingress frames', ...runs.map(({ label }) => `egress, ${label}`)], rows) +
    "\nInput: the `forward` scenario's router with one flow of 300 requests of 2,000 bytes sent back to back (open loop), each a 1,448-byte segment and a 552-byte one with PSH; seed 1. Every run received the same 600 segments.\n" +
    "\nReproduce: `vnic run --config` with the `forward` scenario's `lab` and this `traffic`, `--engine lro --kernel 2.6.24 --json` (`forward.payloadSizes`)\n"
  );
}

/** The forward scenario with an egress MTU of 1400: who sends ICMP fragmentation needed, and whether the senders learn. */
function pathMtu(): string {
  const s = getScenario('forward')!;
  const rows = [...POLICIES, ['lro', '2.6.27', 'LRO, 2.6.27'] as const].map(([engine, kernel, label]) => {
    const r = runLab({ ...s.lab, engine, forward: { ...s.lab.forward, kernel, egressMtu: 1400 } });
    const f = r.report.forward as ForwardReport;
    const lowered = r.partner!.flowReports().reduce((n, x) => n + x.pmtuReductions, 0);
    const drops = Object.entries(f.drops)
      .map(([k, v]) => `${k} ${int(v)}`)
      .join(', ');
    return [
      label,
      int(f.ingressFrames),
      int(f.egressFrames),
      int(f.icmpFragNeeded),
      int(lowered),
      drops === '' ? '—' : drops,
      int(f.farNicDrops),
      f.egressIdenticalToIngress ? 'yes' : 'no',
      r.report.allStreamsOk ? 'yes' : 'NO',
    ];
  });
  return (
    table(
      [
        'engine, kernel',
        'ingress frames',
        'egress frames',
        'ICMP frag. needed sent',
        'sender MSS lowered',
        'drops in the router (ip_forward, egress device)',
        'far NIC drops',
        'egress identical to ingress (or dropped with ICMP)',
        'streams intact',
      ],
      rows,
    ) +
    `\nInput: the \`forward\` scenario (${s.summary}) with the egress link's MTU at 1,400 bytes, seed 1.\n` +
    '\nReproduce: `vnic run --scenario forward --egress-mtu 1400` (one run: `--engine lro --kernel 2.6.24 --json`)\n'
  );
}

/** One row per kernel policy of a forwarding scenario ('forward': a router, 'bridge': a learning bridge). */
function policyTable(name: 'forward' | 'bridge'): string {
  const s = getScenario(name);
  if (s === undefined) throw new Error(`figures: no scenario ${name}`);
  const bridge = name === 'bridge';
  const rows: string[][] = [];
  for (const p of plansFor(s.lab, s, undefined)) {
    const r = runSeed(p, 1);
    if (!r.conservation.ok) throw new Error(`figures: run ${p.label} lost frames`);
    const f = r.report.forward as ForwardReport;
    const reasons = Object.entries(f.differsBy)
      .map(([k, v]) => `${k} ${int(v)}`)
      .join(', ');
    const drops = Object.entries(f.drops)
      .map(([k, v]) => `${k} ${int(v)}`)
      .join(', ');
    rows.push([
      p.label,
      f.lroDisabledByForwarding === 1 ? 'yes' : 'no',
      int(f.ingressFrames),
      `${int(f.forwarded)} (${int(f.forwardedAggregates)})`,
      int(f.egressFrames),
      int(f.egressDiffering),
      reasons === '' ? '—' : reasons,
      drops === '' ? '—' : drops,
      bridge ? fdb(f) : int(f.icmpFragNeeded),
      f.egressIdenticalToIngress ? 'yes' : 'no',
      r.report.allStreamsOk ? 'yes' : 'NO',
    ]);
  }
  return (
    table(
      [
        'engine, kernel',
        bridge ? 'LRO disabled by br_add_if' : 'LRO disabled by forwarding',
        'ingress frames',
        bridge ? 'packets bridged (aggregates)' : 'packets forwarded (aggregates)',
        'egress frames',
        'egress frames differing',
        'first difference',
        bridge ? 'bridge drops' : 'forwarding drops',
        bridge ? 'FDB: learned, flooded, sent to a known port' : 'ICMP frag. needed',
        'egress identical to ingress',
        'streams intact',
      ],
      rows,
    ) +
    `\nInput: the \`${name}\` scenario (${s.summary}), seed 1; egress compared with ingress from the IP header on (${bridge ? 'a bridge changes nothing' : 'TTL one less, header checksum updated'}), frame by frame at the same flow and sequence number.\n` +
    `\nReproduce: \`vnic run --scenario ${name}\` (one run: \`--engine lro --kernel 2.6.24 --json\`, the egress frames: \`--out-egress egress.pcap\`)\n`
  );
}

/** A bridge's FDB counters, both directions: addresses learned, frames flooded (unknown address), frames sent to a known port. */
function fdb(f: ForwardReport): string {
  const b = f.bridge;
  return b === undefined ? '—' : `${int(b.fdbLearned)}, ${int(b.floodedUnknown)}, ${int(b.forwardedKnown)}`;
}
