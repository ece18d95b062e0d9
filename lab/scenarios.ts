// Named scenarios that ship with the lab: a traffic mix plus any lab settings it needs (jumbo → MTU
// 9000), the configurations to compare (the engines the driver supports, or named variants), and the
// claims its description makes, each with the check a run must pass (test/scenario-claims.test.ts
// runs every scenario and fails when a claim does not hold). `vnic run --scenario NAME` runs one;
// `vnic scenarios` lists them.
import type { LabConfig } from './run.ts';
import type { RunReport } from './run-report.ts';
import type { Engine } from '../drivers/index.ts';
import type { ForwardKernel } from '../stack/forward.ts';
import { FORWARD_NET } from './forward-net.ts';

export type SenderKind = 'fixed-window' | '2.6.24' | 'modern';

/** One configuration a scenario compares: an engine, and the receiver's and sender's rules if they differ from the scenario's. */
export interface ScenarioVariant {
  label: string;
  engine: Engine;
  ackCounting?: 'gso_segs' | 'per-packet';
  sender?: SenderKind;
  /** A forwarding scenario's kernel policy (lab/forward.ts). */
  kernel?: ForwardKernel;
}

/** A statement in `teaches` and the check that a run of the scenario shows it. */
export interface ScenarioClaim {
  /** The words of `teaches` this backs (they must appear there verbatim). */
  says: string;
  /** True when the runs (keyed by label: the variants', or 'LRO/GRO off', 'LRO', 'GRO') show it. */
  holds: (runs: ReadonlyMap<string, RunReport>, lab: Scenario['lab']) => boolean;
}

export interface Scenario {
  name: string;
  /** One line for `vnic scenarios`. */
  summary: string;
  /** What it shows about LRO/GRO; every figure in it is backed by a claim. */
  teaches: string;
  lab: Omit<LabConfig, 'traffic' | 'capture'> & { traffic: Record<string, unknown> };
  /** The configurations `vnic run --scenario` compares when no --engine is given (default: every engine the driver supports). */
  variants?: readonly ScenarioVariant[];
  claims?: readonly ScenarioClaim[];
}

/** The label `vnic run` gives an engine's run when the scenario names no variants. */
export function engineLabel(engine: Engine): string {
  return engine === 'off' ? 'LRO/GRO off' : engine.toUpperCase();
}

const ratio = (r: RunReport): number => (r.framesToStack === 0 ? 0 : r.wireFramesToStack / r.framesToStack);
const gbps = (r: RunReport): number => (r.durationNs > 0 ? (r.bytesDelivered * 8) / r.durationNs : 0);
const cpk = (r: RunReport): number => r.cpu.cyclesPerKB ?? Infinity;
const largest = (r: RunReport): number =>
  Math.max(0, ...Object.keys(r.counters['aggregateSizes'] ?? {}).map((k) => Number.parseInt(k, 10)));
/** The run labelled `label`; a claim about a missing run fails loudly. */
function run(runs: ReadonlyMap<string, RunReport>, label: string): RunReport {
  const r = runs.get(label);
  if (r === undefined) throw new Error(`no run labelled '${label}' (runs: ${[...runs.keys()].join(', ')})`);
  return r;
}
const OFF = engineLabel('off'),
  LRO = engineLabel('lro'),
  GRO = engineLabel('gro');

/** The scenario of `vnic run` and of the report's engine comparison when none is named. */
export const DEFAULT_SCENARIO = 'bulk-4flows';

const bulk = (extra: Record<string, unknown> = {}) => ({ kind: 'bulk', ...extra });
/**
 * Retransmission timeout of every scenario's senders: Linux's TCP_RTO_MIN (200 ms), above the
 * receiver's 40 ms delayed ACK and any queueing delay, so only real losses retransmit.
 */
const RTO_NS = 200_000_000;

/** The forward and bridge scenarios' runs: each receive engine under the kernel whose forwarding policy it shows. */
const FORWARDING_POLICIES = [
  { label: 'off, modern', engine: 'off', kernel: 'modern' },
  { label: 'LRO, 2.6.24', engine: 'lro', kernel: '2.6.24' },
  { label: 'LRO, 2.6.27', engine: 'lro', kernel: '2.6.27' },
  { label: 'GRO, modern', engine: 'gro', kernel: 'modern' },
] as const;

/** What the forward and bridge scenarios both show: 2.6.24's aggregates leave changed, the other policies' do not. */
const EGRESS_DIFFERS_WITH_LRO_2_6_24: ScenarioClaim = {
  says: 'what leaves the egress wire differs from what arrived',
  holds: (r) => fwd(run(r, 'LRO, 2.6.24'), 'egressDiffering') > 0,
};
const EGRESS_EQUALS_WITHOUT_LRO: readonly ScenarioClaim[] = [
  {
    says: 'egress equals ingress byte for byte',
    holds: (r) =>
      ['off, modern', 'LRO, 2.6.27', 'GRO, modern'].every(
        (l) => run(r, l).forward?.['egressIdenticalToIngress'] === true,
      ),
  },
  { says: 'GRO re-segments exactly', holds: (r) => fwd(run(r, 'GRO, modern'), 'forwardedAggregates') > 0 },
];

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'bulk-1flow',
    summary: 'one bulk TCP flow, 4 MiB at 10 Gb/s, MSS 1448 with timestamps',
    teaches:
      'the best case: long in-order trains; at line rate the core falls behind, a poll finds 12 to 13 segments of the flow waiting and LRO merges them, cutting CPU cycles per KB by more than half',
    lab: { traffic: { rtoNs: RTO_NS, rateGbps: 10, bytesPerFlow: 4 << 20, flows: [bulk()] } },
    claims: [
      {
        says: '12 to 13 segments',
        holds: (r) => {
          const l = run(r, LRO);
          return l.lro.avgAggr >= 12 && largest(l) === 13;
        },
      },
      {
        says: 'by more than half',
        holds: (r) => cpk(run(r, LRO)) < 0.5 * cpk(run(r, OFF)) && cpk(run(r, GRO)) < 0.5 * cpk(run(r, OFF)),
      },
    ],
  },
  {
    name: 'bulk-4flows',
    summary: 'four interleaved bulk TCP flows, 2 MiB each at 10 Gb/s',
    teaches:
      'interleaved flows each keep a descriptor: aggregation survives interleaving while flows ≤ max_desc (no packet goes without a descriptor)',
    lab: { traffic: { rtoNs: RTO_NS, rateGbps: 10, bytesPerFlow: 2 << 20, flows: [bulk({ count: 4 })] } },
    claims: [
      { says: 'aggregation survives interleaving', holds: (r) => ratio(run(r, LRO)) > 4 && ratio(run(r, GRO)) > 4 },
      { says: 'no packet goes without a descriptor', holds: (r) => run(r, LRO).lro.noDesc === 0 },
    ],
  },
  {
    name: 'many-flows',
    summary: '32 interleaved bulk flows (more than the 8 LRO descriptors), 256 KiB each',
    teaches:
      'the max_desc cliff: flows beyond the descriptor count bypass LRO (no_desc); GRO evicts the oldest instead and merges more',
    lab: {
      traffic: {
        rtoNs: RTO_NS,
        rateGbps: 10,
        bytesPerFlow: 256 << 10,
        flows: [bulk({ count: 32, sendWindow: 16384 })],
      },
    },
    claims: [
      { says: 'bypass LRO (no_desc)', holds: (r) => run(r, LRO).lro.noDesc > 0 },
      { says: 'GRO evicts the oldest instead and merges more', holds: (r) => ratio(run(r, GRO)) > ratio(run(r, LRO)) },
    ],
  },
  {
    name: 'small-messages',
    summary: '8 flows of 200-byte messages, each its own PSH segment',
    teaches:
      'nothing to merge: each small segment is polled alone, and LRO only adds its per-packet lookup to the CPU cost',
    lab: {
      traffic: {
        rtoNs: RTO_NS,
        rateGbps: 10,
        flows: [{ kind: 'messages', count: 8, messageBytes: 200, messages: 300, thinkNs: 50_000 }],
      },
    },
    claims: [
      { says: 'nothing to merge', holds: (r) => ratio(run(r, LRO)) === 1 && ratio(run(r, GRO)) === 1 },
      { says: 'adds its per-packet lookup to the CPU cost', holds: (r) => cpk(run(r, LRO)) > cpk(run(r, OFF)) },
    ],
  },
  {
    name: 'vlan-mixed',
    summary: 'two bulk flows on VLAN 100, two untagged, 5 % UDP/ARP/ICMP background',
    teaches:
      'hardware VLAN extraction (eHEA keeps 0x8100: LRO_F_EXTRACT_VLAN_ID) vs in-band tags (quirk Q1), and non-TCP bypass',
    claims: [
      // the driver's header callback turns the non-TCP frames away (inet_lro counts them bypass_not_lro)
      { says: 'non-TCP bypass', holds: (r) => (run(r, LRO).lro.reasons['bypass_not_lro'] ?? 0) > 0 },
    ],
    lab: {
      traffic: {
        rtoNs: RTO_NS,
        rateGbps: 10,
        bytesPerFlow: 1 << 20,
        flows: [
          bulk({ count: 2, vlan: { vid: 100 } }),
          bulk({ count: 2, sport: 41000 }),
          { kind: 'background', share: 0.05 },
        ],
      },
    },
  },
  {
    name: 'lossy-link',
    summary: 'four bulk flows over a link with 1 % loss and 1 % reordering (depth 3)',
    teaches:
      'holes and reordering end aggregates early (flush: out of order); every byte still arrives. Stochastic: the spread across seeds is the message — whether a 200 ms retransmission timeout fires decides the throughput, so run it with --seeds 5',
    lab: {
      traffic: {
        rtoNs: RTO_NS,
        rateGbps: 10,
        bytesPerFlow: 1 << 20,
        flows: [bulk({ count: 4 })],
        impairments: { loss: 0.01, reorder: { p: 0.01, depth: 3 } },
      },
    },
    claims: [
      {
        says: 'end aggregates early (flush: out of order)',
        holds: (r) => (run(r, LRO).lro.reasons['flush_out_of_order'] ?? 0) > 0,
      },
      { says: 'every byte still arrives', holds: (r) => [...r.values()].every((x) => x.allStreamsOk) },
      { says: 'a 200 ms retransmission timeout', holds: (_r, lab) => lab.traffic['rtoNs'] === 200_000_000 },
    ],
  },
  {
    name: 'jumbo',
    summary: 'two bulk flows at MTU 9000 (MSS 8948), 4 MiB each',
    teaches:
      'jumbo frames already cut per-packet cost: the core keeps up with every 9000-byte frame at line rate, nothing waits to be merged (aggregation ratio 1.00×), and LRO only adds its lookup',
    lab: {
      mtu: 9000,
      traffic: { rtoNs: RTO_NS, rateGbps: 10, bytesPerFlow: 4 << 20, flows: [bulk({ count: 2, mss: 8948 })] },
    },
    claims: [
      { says: 'every 9000-byte frame', holds: (_r, lab) => lab.mtu === 9000 },
      { says: 'the core keeps up', holds: (r) => run(r, OFF).cpu.utilisation < 0.995 },
      {
        says: 'aggregation ratio 1.00×',
        holds: (r) => ratio(run(r, LRO)).toFixed(2) === '1.00' && ratio(run(r, GRO)).toFixed(2) === '1.00',
      },
      { says: 'LRO only adds its lookup', holds: (r) => cpk(run(r, LRO)) > cpk(run(r, OFF)) },
    ],
  },
  {
    name: 'moderated-2g',
    summary:
      'four closed-loop bulk flows at 2 Gb/s, below what one core sustains, with interrupt moderation (32 frames or 50 µs)',
    teaches:
      'the everyday trade-off: every engine carries the same throughput, LRO and GRO spend less CPU per KB and less CPU in all, and a segment waits in the aggregate until the moderated poll, so p50 latency goes up',
    lab: {
      modelConfig: { moderation: { packets: 32, delayUs: 50 } },
      traffic: {
        rtoNs: RTO_NS,
        rateGbps: 2,
        sender: 'modern',
        pathDelayNs: 50_000,
        bytesPerFlow: 2 << 20,
        flows: [bulk({ count: 4, sendWindow: 1 << 20, receiverWindowShift: 4 })],
      },
    },
    claims: [
      {
        says: 'the same throughput',
        holds: (r) => {
          const g = [...r.values()].map(gbps);
          return Math.max(...g) <= 1.01 * Math.min(...g);
        },
      },
      {
        says: 'less CPU per KB and less CPU in all',
        holds: (r) =>
          [LRO, GRO].every(
            (l) => cpk(run(r, l)) < cpk(run(r, OFF)) && run(r, l).cpu.utilisation < run(r, OFF).cpu.utilisation,
          ),
      },
      {
        says: 'p50 latency goes up',
        holds: (r) => [LRO, GRO].every((l) => run(r, l).latency.p50Us > run(r, OFF).latency.p50Us),
      },
    ],
  },
  {
    name: 'rr-small',
    summary: 'two request/response flows of 64-byte requests, each answered at once, 20 µs round trip',
    teaches:
      'nothing to merge: one small request per round trip, so the aggregation ratio stays 1.00×; LRO adds its lookup to every request and the request → answer time is what counts',
    lab: {
      answerRequests: true,
      traffic: {
        rtoNs: RTO_NS,
        rateGbps: 10,
        sender: 'modern',
        pathDelayNs: 20_000,
        flows: [{ kind: 'rr', count: 2, requestBytes: 64, requests: 2000 }],
      },
    },
    claims: [
      {
        says: 'the aggregation ratio stays 1.00×',
        holds: (r) => [...r.values()].every((x) => ratio(x).toFixed(2) === '1.00'),
      },
      {
        says: 'LRO adds its lookup',
        holds: (r) => cpk(run(r, LRO)) > cpk(run(r, OFF)) && run(r, LRO).latency.p50Us >= run(r, OFF).latency.p50Us,
      },
      {
        says: 'the request → answer time',
        holds: (r) => [...r.values()].every((x) => (x.counters['transactions']?.['count'] ?? 0) === 4000),
      },
    ],
  },
  {
    name: 'slow-start',
    summary:
      'one closed-loop flow from an initial window of 10 to steady state: 16 MiB at 4 Gb/s over a 500 µs round trip, interrupt moderation (32 frames or 50 µs)',
    teaches:
      'LRO cuts the ACK rate: a 2.6.24 sender grows its window per ACK, so with LRO (an aggregate counted as one packet by the delayed-ACK rule, as in 2007) the transfer takes longer than with LRO off — counting gso_segs at the receiver helps only part of the way; a sender that counts acknowledged segments (modern Linux) is as fast with LRO or GRO as with LRO off',
    lab: {
      modelConfig: { moderation: { packets: 32, delayUs: 50 } },
      traffic: {
        rtoNs: RTO_NS,
        rateGbps: 4,
        sender: '2.6.24',
        pathDelayNs: 500_000,
        bytesPerFlow: 16 << 20,
        flows: [bulk({ sendWindow: 4 << 20, receiverWindowShift: 5 })],
      },
    },
    variants: [
      { label: 'off, 2.6.24 sender', engine: 'off', sender: '2.6.24' },
      { label: 'LRO per-ACK, per-packet', engine: 'lro', sender: '2.6.24', ackCounting: 'per-packet' },
      { label: 'LRO per-ACK, gso_segs', engine: 'lro', sender: '2.6.24', ackCounting: 'gso_segs' },
      { label: 'off, modern sender', engine: 'off', sender: 'modern' },
      { label: 'LRO per-segment', engine: 'lro', sender: 'modern', ackCounting: 'gso_segs' },
      { label: 'GRO per-segment', engine: 'gro', sender: 'modern', ackCounting: 'gso_segs' },
    ],
    claims: [
      {
        says: 'the transfer takes longer than with LRO off',
        holds: (r) => run(r, 'LRO per-ACK, per-packet').durationNs > 1.5 * run(r, 'off, 2.6.24 sender').durationNs,
      },
      {
        says: 'helps only part of the way',
        holds: (r) => {
          const g = run(r, 'LRO per-ACK, gso_segs').durationNs;
          return g < run(r, 'LRO per-ACK, per-packet').durationNs && g > 1.1 * run(r, 'off, 2.6.24 sender').durationNs;
        },
      },
      {
        says: 'as fast with LRO or GRO as with LRO off',
        holds: (r) =>
          ['LRO per-segment', 'GRO per-segment'].every(
            (l) => run(r, l).durationNs <= 1.02 * run(r, 'off, modern sender').durationNs,
          ),
      },
    ],
  },
  {
    name: 'forward',
    summary:
      'a router: two bulk flows and a flow of 1000-byte messages (each its own PSH segment) from 10.0.0.1 through ip_forward to 10.0.1.2 (mq egress with TSO, far host checks every byte)',
    teaches:
      'LRO must be off when a host routes: 2.6.24 forwards its aggregates as they are, so what leaves the egress wire differs from what arrived (segment boundaries, lost PSH, renumbered IP IDs); 2.6.27 turns LRO off on the ingress device (dev_disable_lro) and egress equals ingress; GRO re-segments exactly, so egress equals ingress byte for byte',
    lab: {
      forward: { kernel: 'modern', egressModel: 'mq' },
      traffic: {
        rtoNs: RTO_NS,
        rateGbps: 10,
        bytesPerFlow: 1 << 20,
        flows: [
          bulk({ count: 2, dst: '10.0.1.2' }),
          { kind: 'messages', sport: 42000, dst: '10.0.1.2', messageBytes: 1000, messages: 1000, thinkNs: 0 },
        ],
      },
    },
    variants: FORWARDING_POLICIES,
    claims: [
      EGRESS_DIFFERS_WITH_LRO_2_6_24,
      {
        says: 'turns LRO off on the ingress device (dev_disable_lro)',
        holds: (r) => fwd(run(r, 'LRO, 2.6.27'), 'lroDisabledByForwarding') === 1,
      },
      ...EGRESS_EQUALS_WITHOUT_LRO,
    ],
  },
  {
    name: 'bridge',
    summary:
      'a learning bridge: two bulk flows and a flow of 1000-byte messages (each its own PSH segment) from 10.0.0.1 to 10.0.0.2 behind the second NIC (mq egress with TSO, far host checks every byte, its ACKs bridged back)',
    teaches:
      'a bridge is no safer for LRO than a router: it learns where each address lives and sends frames on unchanged (no TTL, no checksum), yet 2.6.24 bridges its aggregates as they are, so what leaves the egress wire differs from what arrived; 2.6.27 turns LRO off on a device as it joins the bridge (dev_disable_lro from br_add_if) and egress equals ingress; GRO re-segments exactly, so egress equals ingress byte for byte',
    lab: {
      forward: { mode: 'bridge', kernel: 'modern', egressModel: 'mq' },
      traffic: {
        rtoNs: RTO_NS,
        rateGbps: 10,
        bytesPerFlow: 1 << 20,
        // the far host's MAC: a bridge forwards by the destination address, the NIC listens promiscuously
        nicMac: FORWARD_NET.farHostMac,
        flows: [
          bulk({ count: 2, dst: '10.0.0.2' }),
          { kind: 'messages', sport: 42000, dst: '10.0.0.2', messageBytes: 1000, messages: 1000, thinkNs: 0 },
        ],
      },
    },
    variants: FORWARDING_POLICIES,
    claims: [
      {
        says: 'learns where each address lives',
        holds: (r) =>
          bridgeFdb(run(r, 'off, modern'), 'fdbLearned') === 2 &&
          bridgeFdb(run(r, 'off, modern'), 'forwardedKnown') > 0,
      },
      EGRESS_DIFFERS_WITH_LRO_2_6_24,
      {
        says: 'turns LRO off on a device as it joins the bridge (dev_disable_lro from br_add_if)',
        holds: (r) => fwd(run(r, 'LRO, 2.6.27'), 'lroDisabledByForwarding') === 1,
      },
      ...EGRESS_EQUALS_WITHOUT_LRO,
    ],
  },
];

/** A bridge's FDB counter from a forwarding run's `forward.bridge` report (0 when absent). */
function bridgeFdb(r: RunReport, k: string): number {
  const b = r.forward?.['bridge'] as Record<string, unknown> | undefined;
  const v = b?.[k];
  return typeof v === 'number' ? v : 0;
}

/** A number from a forwarding run's `forward` report (0 when absent). */
function fwd(r: RunReport, k: string): number {
  const v = r.forward?.[k];
  return typeof v === 'number' ? v : 0;
}

export function getScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
