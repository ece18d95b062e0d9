// The figures of docs/lro.md's "Forwarding and bridging" section: the forward and bridge scenarios under
// each kernel policy — what entered the ingress wire, what left the egress wire, and how they differ.
// docs/figures.ts calls `forwardFigures` and writes what it returns with the other figures.
import { getScenario } from '../lab/scenarios.ts';
import { plansFor, runSeed } from '../lab/seeds.ts';
import type { ForwardReport } from '../lab/forward.ts';

const int = (n: number): string => Math.round(n).toLocaleString('en-US');

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n') + '\n';
}

export function forwardFigures(): Record<string, string> {
  return { 'forward.md': policyTable('forward'), 'bridge.md': policyTable('bridge') };
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
