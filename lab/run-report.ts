// The run report: one JSON-ready object per run with what went in, where it went (delivered, merged,
// dropped by reason), what it cost the CPU, and how long it took. `RunReportSchema` (zod) is the
// exported contract for anyone validating report JSON; `RunReportBuilder` is how a pipeline fills it.
import { z } from 'zod';
import type { CpuSnapshot } from '../sim/cost.ts';
import { Cpu } from '../sim/cost.ts';
import type { LatencyRecorder, OccupancySampler } from '../observe/recorders.ts';

const count = z.number().int().nonnegative();
const counters = z.record(z.string(), z.number());

export const FlowReportSchema = z.object({
  bytesDelivered: count,
  segmentsIn: count,
  packetsToStack: count,
  acksSent: count,
  byteStreamOk: z.boolean(),
  /** A stream that fell short: stream offset of the first byte that never arrived, and the bytes missing from there. */
  missing: z.object({ at: count, bytes: count }).optional(),
});

export const RunReportSchema = z.object({
  version: z.literal(1),
  label: z.string(),
  /** Length of the run on the virtual clock. */
  durationNs: z.number().nonnegative(),
  /** Frames offered to the NIC(s). */
  framesIn: count,
  /** Skbs handed to the stack (an aggregate counts once). */
  framesToStack: count,
  /** Wire frames inside those skbs. */
  wireFramesToStack: count,
  /** Every drop, by reason, from every layer (NIC, driver, LRO/GRO, stack). */
  drops: counters,
  dropsTotal: count,
  lro: z.object({
    enabled: z.boolean(),
    aggregated: count,
    flushed: count,
    noDesc: count,
    /** aggregated / flushed (0 when nothing was flushed). */
    avgAggr: z.number().nonnegative(),
    reasons: counters,
  }),
  gro: z.object({ enabled: z.boolean(), reasons: counters }),
  acksSent: count,
  bytesDelivered: count,
  /** Bytes delivered on flows whose byte stream matched the sender's. */
  bytesVerified: count,
  allStreamsOk: z.boolean(),
  flows: z.record(z.string(), FlowReportSchema),
  missingFlows: z.array(z.string()),
  unexpectedFlows: z.array(z.string()),
  cpu: z.object({
    profile: z.string(),
    hz: z.number().positive(),
    cycles: count,
    byKind: counters,
    /** cycles / (bytesDelivered / 1024); null when nothing was delivered. */
    cyclesPerKB: z.number().nullable(),
    /** CPU busy time / run duration, at the offered rate (may exceed 1 when the CPU fell behind). */
    utilisation: z.number().nonnegative(),
    busyNs: z.number().nonnegative(),
    /** The CPU budget the sustainable rate is computed for (default: one core of the profile). */
    budgetHz: z.number().positive(),
    /** Delivered-byte throughput that budget could sustain at this run's cycles per byte; null when unknown. */
    sustainableGbps: z.number().nullable(),
  }),
  latency: z.object({
    /** Segments measured (aggregates weigh their segment count). */
    samples: z.number().nonnegative(),
    p50Us: z.number().nonnegative(),
    p99Us: z.number().nonnegative(),
    maxUs: z.number().nonnegative(),
    meanUs: z.number().nonnegative(),
    /** False when the recorder had to decimate its samples (percentiles then approximate). */
    exact: z.boolean(),
  }),
  peakDmaBytes: count,
  ringOccupancy: z.record(z.string(), z.object({ peak: count, points: z.array(z.tuple([z.number(), count])) })),
  /** Any further named counter groups (ethtool stats per device, NIC model counters, stack internals). */
  counters: z.record(z.string(), counters),
});

export type RunReport = z.infer<typeof RunReportSchema>;
export type FlowReport = z.infer<typeof FlowReportSchema>;

/** What the builder needs to know of a flow (the stack's FlowVerdict has these fields). */
export interface FlowInput {
  name: string;
  bytesDelivered: number;
  segmentsIn: number;
  packetsToStack: number;
  acksSent: number;
  byteStreamOk: boolean;
  missing?: { at: number; bytes: number } | undefined;
}

export interface LroInput {
  aggregated: number;
  flushed: number;
  noDesc: number;
  reasons?: Readonly<Record<string, number>>;
}

/**
 * Assembles a RunReport from the parts each layer knows. Every setter returns `this`; counters given
 * twice (`addDrops`, `addLro`, `addGro`) are summed, so one call per queue is fine.
 * Percentiles: nearest-rank over segments (see LatencyRecorder.percentile).
 */
export class RunReportBuilder {
  private r: RunReport;

  constructor(label = 'run') {
    this.r = {
      version: 1,
      label,
      durationNs: 0,
      framesIn: 0,
      framesToStack: 0,
      wireFramesToStack: 0,
      drops: {},
      dropsTotal: 0,
      lro: { enabled: false, aggregated: 0, flushed: 0, noDesc: 0, avgAggr: 0, reasons: {} },
      gro: { enabled: false, reasons: {} },
      acksSent: 0,
      bytesDelivered: 0,
      bytesVerified: 0,
      allStreamsOk: true,
      flows: {},
      missingFlows: [],
      unexpectedFlows: [],
      cpu: {
        profile: '',
        hz: 1,
        cycles: 0,
        byKind: {},
        cyclesPerKB: null,
        utilisation: 0,
        busyNs: 0,
        budgetHz: 1,
        sustainableGbps: null,
      },
      latency: { samples: 0, p50Us: 0, p99Us: 0, maxUs: 0, meanUs: 0, exact: true },
      peakDmaBytes: 0,
      ringOccupancy: {},
      counters: {},
    };
  }

  duration(ns: number): this {
    this.r.durationNs = ns;
    return this;
  }
  framesIn(n: number): this {
    this.r.framesIn += n;
    return this;
  }
  framesToStack(skbs: number, wireFrames = skbs): this {
    this.r.framesToStack += skbs;
    this.r.wireFramesToStack += wireFrames;
    return this;
  }
  acksSent(n: number): this {
    this.r.acksSent += n;
    return this;
  }
  peakDmaBytes(n: number): this {
    this.r.peakDmaBytes = Math.max(this.r.peakDmaBytes, n);
    return this;
  }

  /** Adds drop counters (reason → count); reasons from several sources sum. Zero counts are kept (they show a reason was possible). */
  addDrops(drops: Readonly<Record<string, number>>): this {
    for (const [k, v] of Object.entries(drops)) {
      this.r.drops[k] = (this.r.drops[k] ?? 0) + v;
      this.r.dropsTotal += v;
    }
    return this;
  }

  addLro(l: LroInput): this {
    const o = this.r.lro;
    o.enabled = true;
    o.aggregated += l.aggregated;
    o.flushed += l.flushed;
    o.noDesc += l.noDesc;
    o.avgAggr = o.flushed > 0 ? o.aggregated / o.flushed : 0;
    if (l.reasons) addInto(o.reasons, l.reasons);
    return this;
  }

  addGro(reasons: Readonly<Record<string, number>>): this {
    this.r.gro.enabled = true;
    addInto(this.r.gro.reasons, reasons);
    return this;
  }

  /** The flows and the verification outcome (from Stack.verify). */
  flows(flows: readonly FlowInput[], missing: readonly string[] = [], unexpected: readonly string[] = []): this {
    for (const f of flows) {
      const flow: FlowReport = {
        bytesDelivered: f.bytesDelivered,
        segmentsIn: f.segmentsIn,
        packetsToStack: f.packetsToStack,
        acksSent: f.acksSent,
        byteStreamOk: f.byteStreamOk,
      };
      if (f.missing !== undefined) flow.missing = { ...f.missing };
      this.r.flows[f.name] = flow;
    }
    // one push per name: spreading hundreds of thousands of arguments overflows the call stack
    for (const m of missing) this.r.missingFlows.push(m);
    for (const u of unexpected) this.r.unexpectedFlows.push(u);
    this.recount();
    return this;
  }

  bytesDelivered(n: number): this {
    this.r.bytesDelivered = n;
    return this;
  }

  /** CPU figures; call after `duration` and after the flows/bytes are known (or call `build`, which recomputes). */
  cpu(cpu: Cpu | CpuSnapshot, budgetHz?: number): this {
    const s = cpu instanceof Cpu ? cpu.snapshot() : cpu;
    const c = this.r.cpu;
    c.profile = s.profile;
    c.hz = s.hz;
    c.cycles = s.cycles;
    c.byKind = { ...s.byKind };
    c.busyNs = s.busyNs;
    c.budgetHz = budgetHz ?? s.hz;
    return this;
  }

  latency(rec: LatencyRecorder): this {
    const [p50, p99] = rec.percentiles([50, 99]);
    this.r.latency = {
      samples: rec.count,
      p50Us: p50! / 1000,
      p99Us: p99! / 1000,
      maxUs: rec.max / 1000,
      meanUs: rec.count > 0 ? rec.sum / rec.count / 1000 : 0,
      exact: rec.exact,
    };
    return this;
  }

  ringOccupancy(s: OccupancySampler): this {
    for (const q of s.queues())
      this.r.ringOccupancy[String(q)] = {
        peak: s.peak(q),
        points: s.points(q).map((p) => [p.t, p.occupancy] as [number, number]),
      };
    return this;
  }

  /** A named group of extra counters (e.g. 'ethtool:eth0', 'nic', 'stack'); groups given twice sum. */
  counters(group: string, values: Readonly<Record<string, number>>): this {
    addInto((this.r.counters[group] ??= {}), values);
    return this;
  }

  build(): RunReport {
    this.recount();
    const c = this.r.cpu;
    const bytes = this.r.bytesDelivered;
    c.cyclesPerKB = bytes > 0 ? c.cycles / (bytes / 1024) : null;
    c.utilisation = this.r.durationNs > 0 ? c.busyNs / this.r.durationNs : 0;
    c.sustainableGbps = bytes > 0 && c.cycles > 0 ? (bytes * 8 * c.budgetHz) / c.cycles / 1e9 : null;
    return structuredClone(this.r);
  }

  private recount(): void {
    let verified = 0,
      ok = this.r.missingFlows.length === 0 && this.r.unexpectedFlows.length === 0;
    let delivered = 0;
    for (const f of Object.values(this.r.flows)) {
      delivered += f.bytesDelivered;
      if (f.byteStreamOk) verified += f.bytesDelivered;
      else ok = false;
    }
    this.r.bytesVerified = verified;
    if (this.r.bytesDelivered < delivered) this.r.bytesDelivered = delivered;
    this.r.allStreamsOk = ok;
  }
}

function addInto(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}
