// The CPU cost model: every layer charges its work here in cycles, by kind. The CPU is one
// work-conserving server on the virtual clock: charged cycles advance its busy-until time at its
// clock rate, so work done in a softirq lands at virtual times that reflect how fast the CPU is.
import { z } from 'zod';
import type { VirtualClock } from './clock.ts';

/** What work is charged for. One counter per kind; the total is their sum. */
export const COST_KINDS = [
  'interrupt', // hard IRQ entry/exit, handler, device register access (per interrupt)
  'softirq', // one net_rx_action run (per softirq entry)
  'napi_poll', // one call of a NAPI poll function (per poll)
  'descriptor', // reading one completion descriptor the device wrote (per descriptor)
  'skb_alloc', // allocating and later freeing one sk_buff (per skb)
  'netif_rx', // queueing one skb on the backlog (non-NAPI path, per skb)
  'ip_rcv', // netif_receive_skb + ip_rcv + route lookup (per skb reaching IP)
  'tcp_rcv', // tcp_v4_rcv: socket lookup, sequence checks, queueing (per skb reaching TCP)
  'copy_byte', // copying payload to the socket reader (per byte)
  'csum_byte', // software checksum (per byte; only when the NIC did not verify)
  'ack_build', // building and transmitting one ACK (per ACK)
  'lro_merge', // one LRO aggregation attempt (per packet offered to LRO)
  'gro_merge', // one GRO aggregation attempt (per packet offered to GRO)
  'ip_forward', // ip_forward: route to the other interface, TTL, header checksum, MTU check (per forwarded skb)
  'br_forward', // a bridge's FDB update and lookup and its forwarding checks (per bridged frame)
  'xmit', // dev_queue_xmit + ndo_start_xmit: descriptors, buffer, doorbell (per packet a driver takes)
] as const;
export type CostKind = (typeof COST_KINDS)[number];

export type CostTable = Record<CostKind, number>;

export interface CostProfile {
  name: string;
  /** CPU clock rate, cycles per second. */
  hz: number;
  /** Cycles per event (per byte for `copy_byte` and `csum_byte`). */
  cycles: CostTable;
}

/**
 * The default profile: one core of a ~3 GHz x86 server of 2008 running Linux 2.6.2x.
 * These are ESTIMATES in round numbers, not measurements. Where they come from:
 * - Total per-packet receive cost: the long-standing rule of thumb "about 1 Hz of CPU per bit/s
 *   of TCP receive" (Foong et al., "TCP Performance Re-Visited", ISPASS 2003) gives ~10k cycles for a
 *   1500-byte frame including its share of ACKs and the copy; by 2008 kernels were somewhat cheaper.
 * - Menon & Zwaenepoel ("Optimizing TCP Receive Performance", USENIX ATC 2008) found per-packet
 *   costs (driver, buffer management, IP/TCP processing, ACKs) dominate per-byte costs; so most of
 *   the budget below is per packet and per-byte costs are ~1 cycle/byte.
 * - interrupt 3000 (1 µs): IRQ entry/exit plus one or two uncached PCIe register accesses of
 *   ~0.3-0.5 µs each.
 * - descriptor 300: one cache miss on a DMA-written descriptor (~100 ns).
 * - skb_alloc 800: slab allocations of sk_buff + data and their later free.
 * - ip_rcv 1000, tcp_rcv 3000: protocol processing including the cache misses on freshly DMA'd headers.
 * - copy_byte 1, csum_byte 1: a cache-cold copy / checksum streams ~3 GB/s at 3 GHz.
 * - ack_build 3000: allocate, build, checksum and transmit a pure ACK through IP and the driver.
 * - lro_merge / gro_merge 300: flow lookup, header comparison, fragment append.
 * - ip_forward 1000 (like ip_rcv: route lookup, TTL, checksum update), br_forward 500 (two FDB hash
 *   lookups and the port checks, no IP header touched), xmit 1500 (queue, descriptors,
 *   doorbell write; the TX completion's descriptor read is a `descriptor`).
 * With these, plain 1448-byte receive costs ~8k cycles per segment (≈4 Gb/s on one core) and a
 * 45-segment aggregate ~3k cycles per segment: the 2-3x saving LRO was reported to give.
 * Change them by passing a profile (or `costProfile({ hz, cycles: { tcp_rcv: 2500 } })`).
 */
export const DEFAULT_COST_PROFILE: CostProfile = Object.freeze({
  name: 'x86-3GHz-2008',
  hz: 3_000_000_000,
  cycles: Object.freeze({
    interrupt: 3000,
    softirq: 300,
    napi_poll: 600,
    descriptor: 300,
    skb_alloc: 800,
    netif_rx: 200,
    ip_rcv: 1000,
    tcp_rcv: 3000,
    copy_byte: 1,
    csum_byte: 1,
    ack_build: 3000,
    lro_merge: 300,
    gro_merge: 300,
    ip_forward: 1000,
    br_forward: 500,
    xmit: 1500,
  }),
});

/** A profile in which nothing costs anything: every CPU action happens at the instant it is triggered. */
export const ZERO_COST_PROFILE: CostProfile = Object.freeze({
  name: 'zero',
  hz: 3_000_000_000,
  cycles: Object.freeze(Object.fromEntries(COST_KINDS.map((k) => [k, 0])) as CostTable),
});

const cyclesField = z.number().finite().nonnegative();
/** A user's profile override as it arrives from a config file or CLI: every field optional. */
export const CostProfileOverrideSchema = z.strictObject({
  name: z.string().optional(),
  hz: z.number().finite().positive().optional(),
  cycles: z
    .strictObject(
      Object.fromEntries(COST_KINDS.map((k) => [k, cyclesField.optional()])) as Record<
        CostKind,
        z.ZodOptional<typeof cyclesField>
      >,
    )
    .optional(),
});
export type CostProfileOverride = z.infer<typeof CostProfileOverrideSchema>;

/** The default profile with `override` applied (validated; throws a zod error naming the field). */
export function costProfile(override: unknown = {}, base: CostProfile = DEFAULT_COST_PROFILE): CostProfile {
  const o = CostProfileOverrideSchema.parse(override);
  const cycles = { ...base.cycles };
  if (o.cycles)
    for (const k of COST_KINDS) {
      const v = o.cycles[k];
      if (v !== undefined) cycles[k] = v;
    }
  return { name: o.name ?? (o.cycles || o.hz ? `${base.name}+custom` : base.name), hz: o.hz ?? base.hz, cycles };
}

export interface CpuSnapshot {
  profile: string;
  hz: number;
  /** Sum of `byKind`. */
  cycles: number;
  byKind: CostTable;
  /** How many times each kind was charged (bytes for the per-byte kinds). */
  events: CostTable;
  /** Total busy time in ns (cycles / hz). */
  busyNs: number;
}

/**
 * One CPU core. `charge(kind, n)` adds `round(cost[kind] · n)` cycles (so totals are integers and
 * exactly the sum of the charges) and pushes the busy-until time forward by their duration. Work
 * charged while the core is idle starts at the clock's current time; work charged while it is busy
 * queues behind the work already there (a hard IRQ during a softirq delays the softirq).
 */
export class Cpu {
  readonly profile: CostProfile;
  readonly hz: number;
  private readonly nsPerCycle: number;
  /** Per kind: its cost, cycles and events charged (one keyed lookup per charge). */
  private readonly kinds: Record<CostKind, KindAccount>;
  private total = 0;
  /** Virtual time (ns, may be fractional) until which the core is busy. */
  busyUntil = 0;

  constructor(
    private readonly clock: VirtualClock,
    profile: CostProfile = DEFAULT_COST_PROFILE,
  ) {
    this.profile = profile;
    this.hz = profile.hz;
    this.nsPerCycle = 1e9 / profile.hz;
    this.kinds = Object.fromEntries(COST_KINDS.map((k) => [k, new KindAccount(profile.cycles[k])])) as Record<
      CostKind,
      KindAccount
    >;
  }

  /** The core's current time: the clock's time, or later while earlier work is still running. */
  get now(): number {
    return Math.max(this.busyUntil, this.clock.now);
  }

  /** True when work is queued past the clock's current time. */
  get busy(): boolean {
    return this.busyUntil > this.clock.now;
  }

  /** Charges `n` events (or bytes) of `kind`; returns the cycles charged. */
  charge(kind: CostKind, n = 1): number {
    const a = this.kinds[kind];
    const c = Math.round(a.cost * n);
    a.cycles += c;
    a.events += n;
    this.total += c;
    const start = Math.max(this.busyUntil, this.clock.now);
    this.busyUntil = start + c * this.nsPerCycle;
    return c;
  }

  /** Total cycles charged. */
  get cycles(): number {
    return this.total;
  }

  cyclesOf(kind: CostKind): number {
    return this.kinds[kind].cycles;
  }

  /** Cycles → ns at this core's clock rate. */
  cyclesToNs(c: number): number {
    return c * this.nsPerCycle;
  }

  private table(field: 'cycles' | 'events'): CostTable {
    return Object.fromEntries(COST_KINDS.map((k) => [k, this.kinds[k][field]])) as CostTable;
  }

  snapshot(): CpuSnapshot {
    return {
      profile: this.profile.name,
      hz: this.hz,
      cycles: this.total,
      byKind: this.table('cycles'),
      events: this.table('events'),
      busyNs: this.total * this.nsPerCycle,
    };
  }
}

class KindAccount {
  cycles = 0;
  events = 0;
  constructor(readonly cost: number) {}
}
