// The contract between a sample driver and the lab that runs it: how a driver is described,
// created against a NIC model and the mock kernel, opened, and asked for its counters.
// Each driver lives in its own folder (drivers/<name>/) and registers itself here.
import { z } from 'zod';
import type { Capabilities } from '../hw-models/capabilities.ts';
import type { NicModel } from '../hw-models/model.ts';
import type { Stack } from '../stack/stack.ts';
import type { Tracer } from '../observe/trace.ts';
import { lroQuirksSchema, type LroStats, type GroStats } from '../lro/index.ts';

/** Which receive-aggregation engine a driver runs: Linux 2.6.24 inet_lro, modern GRO, or neither. */
export type Engine = 'lro' | 'gro' | 'off';
export const ENGINES: readonly Engine[] = ['lro', 'gro', 'off'];

/** Options every driver takes (a driver may ignore those it has no use for, and says so in its README). */
export const DriverOptionsSchema = z.strictObject({
  engine: z.enum(['lro', 'gro', 'off']),
  /** LRO max_aggr; undefined = the driver's own default (eHEA 64, myri10ge min(64, MAX_SKB_FRAGS)). */
  maxAggr: z.number().int().min(1).max(65535).optional(),
  /** LRO max_desc (sessions per queue); undefined = the driver's default (8). */
  maxDesc: z.number().int().min(1).max(1024).optional(),
  /** NAPI weight: the budget of one poll. */
  pollBudget: z.number().int().min(1).max(100_000_000).default(64),
  /** e1000: verify TCP checksums in software so frames may go to LRO/GRO (shows that cost). */
  softwareChecksum: z.boolean().optional(),
  /** inet_lro quirk switches (lro/README.md); unset = the original's behaviour, false fixes a quirk. */
  lroQuirks: lroQuirksSchema.partial().strict().optional(),
  /** Deliver through netif_rx (LRO_F_NAPI clear) instead of netif_receive_skb. */
  nonNapi: z.boolean().optional(),
});
export type DriverOptions = z.input<typeof DriverOptionsSchema>;
export type ResolvedDriverOptions = z.output<typeof DriverOptionsSchema>;

/** What a driver is given when it is created. */
export interface DriverEnv {
  model: NicModel;
  stack: Stack;
  tracer: Tracer;
  options: ResolvedDriverOptions;
}

/** A running driver instance. */
export interface Driver {
  readonly name: string;
  readonly engine: Engine;
  /** probe + open: allocate buffers, post every rx ring, register NAPI contexts and interrupts, enable. */
  open(): void;
  /** LRO counters summed over the driver's queues; null when LRO is not in use. */
  lroStats(): LroStats | null;
  /** GRO counters summed over queues; null when GRO is not in use. */
  groStats(): GroStats | null;
  /** Frames the driver itself dropped, by reason (error completions, bad descriptors, skb allocation failures…). */
  drops(): Record<string, number>;
  /** ethtool -S, under the names the real driver used ("LRO aggregated", "LRO flushed", …). */
  ethtoolStats(): Record<string, number>;
  /** Driver-held frames not yet delivered (should be 0 after the run drains). */
  readonly held: number;
}

/** Whether an engine can run on a model with these capabilities under this driver, and why (not). */
export interface EngineSupport { ok: boolean; why: string }

/** A driver as the registry knows it. */
export interface DriverInfo {
  name: string;
  /** The NIC models it is written for (by registry name). */
  models: readonly string[];
  /** One line for `vnic drivers`. */
  summary: string;
  /** The driver's default engine when none is asked for. */
  defaultEngine: Engine;
  /** Which engines work on a model with `caps` (and `options`), and why the others do not. */
  support(engine: Engine, caps: Capabilities, options: ResolvedDriverOptions): EngineSupport;
  create(env: DriverEnv): Driver;
}

const registry = new Map<string, DriverInfo>();

export function registerDriver(info: DriverInfo): void {
  if (registry.has(info.name)) throw new Error(`driver '${info.name}' is already registered`);
  registry.set(info.name, info);
}

export function getDriver(name: string): DriverInfo | undefined { return registry.get(name); }

export function listDrivers(): DriverInfo[] { return [...registry.values()]; }

/** The driver written for a model (the first registered that names it). */
export function driverForModel(model: string): DriverInfo | undefined {
  for (const d of registry.values()) if (d.models.includes(model)) return d;
  return undefined;
}
