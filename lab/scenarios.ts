// Named scenarios that ship with the lab: a traffic mix plus any lab settings it needs (jumbo → MTU
// 9000). `vnic run --scenario NAME` runs one; `vnic scenarios` lists them.
import type { LabConfig } from './run.ts';

export interface Scenario {
  name: string;
  /** One line for `vnic scenarios`. */
  summary: string;
  /** What it shows about LRO/GRO. */
  teaches: string;
  lab: Omit<LabConfig, 'traffic' | 'capture'> & { traffic: Record<string, unknown> };
}

/** The scenario of `vnic run` and of the report's engine comparison when none is named. */
export const DEFAULT_SCENARIO = 'bulk-4flows';

const bulk = (extra: Record<string, unknown> = {}) => ({ kind: 'bulk', ...extra });
/**
 * Retransmission timeout of every scenario's senders: Linux's TCP_RTO_MIN (200 ms), above the
 * receiver's 40 ms delayed ACK and any queueing delay, so only real losses retransmit.
 */
const RTO_NS = 200_000_000;

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'bulk-1flow',
    summary: 'one bulk TCP flow, 4 MiB at 10 Gb/s, MSS 1448 with timestamps',
    teaches: 'the best case: long in-order trains, 45-segment aggregates at MTU 1500',
    lab: { traffic: { rtoNs: RTO_NS, rateGbps: 10, bytesPerFlow: 4 << 20, flows: [bulk()] } },
  },
  {
    name: 'bulk-4flows',
    summary: 'four interleaved bulk TCP flows, 2 MiB each at 10 Gb/s',
    teaches: 'interleaved flows each keep a descriptor: aggregation survives interleaving while flows ≤ max_desc',
    lab: { traffic: { rtoNs: RTO_NS, rateGbps: 10, bytesPerFlow: 2 << 20, flows: [bulk({ count: 4 })] } },
  },
  {
    name: 'many-flows',
    summary: '32 interleaved bulk flows (more than the 8 LRO descriptors), 256 KiB each',
    teaches: 'the max_desc cliff: flows beyond the descriptor count bypass LRO (no_desc); GRO evicts the oldest instead',
    lab: { traffic: { rtoNs: RTO_NS, rateGbps: 10, bytesPerFlow: 256 << 10, flows: [bulk({ count: 32, sendWindow: 16384 })] } },
  },
  {
    name: 'small-messages',
    summary: '8 flows of 200-byte messages, each its own PSH segment',
    teaches: 'little to merge: small segments rarely meet in one poll, and LRO only adds latency bookkeeping',
    lab: { traffic: { rtoNs: RTO_NS, rateGbps: 10, flows: [{ kind: 'messages', count: 8, messageBytes: 200, messages: 300, thinkNs: 50_000 }] } },
  },
  {
    name: 'vlan-mixed',
    summary: 'two bulk flows on VLAN 100, two untagged, 5 % UDP/ARP/ICMP background',
    teaches: 'hardware VLAN extraction (eHEA keeps 0x8100: LRO_F_EXTRACT_VLAN_ID) vs in-band tags (quirk Q1), and non-TCP bypass',
    lab: {
      traffic: {
        rtoNs: RTO_NS, rateGbps: 10, bytesPerFlow: 1 << 20,
        flows: [bulk({ count: 2, vlan: { vid: 100 } }), bulk({ count: 2, sport: 41000 }), { kind: 'background', share: 0.05 }],
      },
    },
  },
  {
    name: 'lossy-link',
    summary: 'four bulk flows over a link with 1 % loss and 1 % reordering (depth 3)',
    teaches: 'holes and reordering end aggregates early (flush: out of order); every byte still arrives',
    lab: {
      traffic: {
        rtoNs: RTO_NS, rateGbps: 10, bytesPerFlow: 1 << 20, flows: [bulk({ count: 4 })],
        impairments: { loss: 0.01, reorder: { p: 0.01, depth: 3 } },
      },
    },
  },
  {
    name: 'jumbo',
    summary: 'two bulk flows at MTU 9000 (MSS 8948), 4 MiB each',
    teaches: 'jumbo frames already cut per-packet cost: 7 segments reach the 64 KiB limit, so LRO gains less',
    lab: { mtu: 9000, traffic: { rtoNs: RTO_NS, rateGbps: 10, bytesPerFlow: 4 << 20, flows: [bulk({ count: 2, mss: 8948 })] } },
  },
];

export function getScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
