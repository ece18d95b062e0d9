// One run of the lab: traffic → NIC model → driver (NAPI) → LRO/GRO → stack → sockets, on one
// virtual clock, ending in a RunReport. This is what `vnic run` and `vnic replay` call, and what
// the end-to-end tests drive.
import type { KnownRun } from '../wire/known-bytes.ts';
import { z } from 'zod';
import { VirtualClock } from '../sim/clock.ts';
import { NO_TRACE, type Tracer } from '../observe/trace.ts';
import type { FlowExpectation } from '../wire/flow.ts';
import { RunReportBuilder, type RunReport } from './run-report.ts';
import { createModel, isRegistered, listModels, modelCapabilities } from '../hw-models/registry.ts';
import { FrameLayout, layoutFrame } from '../wire/layout.ts';
import { rebuildCutFrame } from '../wire/cut-frame.ts';
import { ETH, ETHERTYPE } from '../wire/constants.ts';
import { RX_FLAG, type NicModel } from '../hw-models/model.ts';
import type { Capabilities } from '../hw-models/capabilities.ts';
import { Stack, type SkBuff } from '../stack/index.ts';
import { fillStackReport } from './stack-report.ts';
import { GRO_MAX_SIZE, lroQuirksSchema, type LroStats } from '../lro/index.ts';
import {
  DriverOptionsSchema,
  driverForModel,
  getDriver,
  listDrivers,
  type Driver,
  type DriverInfo,
  type Engine,
  type ResolvedDriverOptions,
} from '../drivers/index.ts';
import {
  createLinkPartner,
  FRAME_FLAG,
  DirectTx,
  ReplaySource,
  CaptureStreams,
  DestinationFilter,
  type FrameSink,
  type LinkPartner,
  type RecordClaims,
} from '../traffic/index.ts';
import { readCapture, openCapture, RecordDigests, type CaptureRecord } from '../tap/index.ts';
import { MODEL_KNOBS } from './knobs.ts';
import { OutputTap, type OutputOptions } from './output.ts';
import { ForwardConfigSchema, ForwardingHost, ingressEngine } from './forward.ts';

/** Aggregate sizes above this are counted together in the histogram. */
export const MAX_HIST = 64;

/** A problem with the run's configuration: the message names the field and what is allowed. */
export class LabError extends Error {
  override name = 'LabError';
}

const intIn = (lo: number, hi: number) => z.number().int().min(lo).max(hi);

/**
 * The default burst gap of `--batch bursts`: in the shared captures (test/captures, Linux over veth) frames of one
 * burst follow each other within 4 µs, while bursts are 8 µs or more apart.
 */
export const BURST_GAP_US = 8;

export const LabConfigSchema = z.strictObject({
  /** A name for the run in reports. */
  label: z.string().optional(),
  /** NIC model (registry name). */
  model: z.string().default('ehea'),
  /** Driver (registry name); default: the driver written for the model. */
  driver: z.string().optional(),
  /** Receive-aggregation engine; default: the driver's own when it can run here, else LRO where the driver can, else GRO (defaultEngine). */
  engine: z.enum(['lro', 'gro', 'off']).optional(),
  /** LRO max_aggr / max_desc; default: the driver's own. */
  maxAggr: intIn(1, 65535).optional(),
  maxDesc: intIn(1, 1024).optional(),
  /** MTU; default 1500, or for a capture the largest IP packet it carries (at least 1500, at most what the model supports). */
  mtu: intIn(68, 9000).optional(),
  /** Receive queues (RSS/flow-hash); default: the model's own. */
  queues: intIn(1, 64).optional(),
  /**
   * Simulated cores (default 1: every queue on one core). With N > 1, queue q is serviced on core q mod N, and each
   * core has its own softnet state, CPU cost model, stack and DMA region (lab/multicore.ts runMulticore): mq only,
   * open-loop traffic or a replay.
   */
  cpus: intIn(1, 64).default(1),
  /** NAPI weight: frames per poll. */
  pollBudget: intIn(1, 100_000_000).default(64),
  /**
   * How a capture's frames meet the polls. 'bursts': the capture's arrival gaps split it into the sender's bursts; a
   * burst arrives whole at its first frame's time, so one NAPI poll finds it in the ring (as a kernel's poll finds a
   * burst its peer queued). 'timestamps': every frame at its own time; interrupts decide the polls. 'all': every
   * frame is in the rings before the first poll.
   */
  batch: z.enum(['bursts', 'timestamps', 'all']).default('bursts'),
  /**
   * NAPI's gro_flush_timeout, µs (0: off): a completion that did work arms a timer instead of flushing GRO; the
   * timer re-polls (stack/stack.ts napiComplete).
   */
  groFlushTimeoutUs: z.number().nonnegative().max(1_000_000).default(0),
  /** NAPI's napi_defer_hard_irqs (0: off): with a gro_flush_timeout, completions in a row that leave the interrupt masked. */
  deferHardIrqs: intIn(0, 2_147_483_647).default(0),
  /** --batch bursts: frames closer than this (µs) belong to one burst. */
  burstGapUs: z.number().positive().max(1_000_000).default(BURST_GAP_US),
  /** Delayed-ACK accounting of aggregates: as modern Linux ('gso_segs') or as a 2007 stack ('per-packet'). */
  ackCounting: z.enum(['gso_segs', 'per-packet']).default('gso_segs'),
  /** The receiving application answers each request (data ending in PSH) at once; its answer carries the ACK. */
  answerRequests: z.boolean().default(false),
  /** e1000: verify checksums in software so frames may go to LRO. */
  softwareChecksum: z.boolean().optional(),
  /** Deliver with netif_rx (LRO_F_NAPI clear). */
  nonNapi: z.boolean().optional(),
  /** The device's gro_max_size (IPv6) and gro_ipv4_max_size: GRO packets past 64 KB (BIG TCP); default 65536. */
  groMaxSize: intIn(0, GRO_MAX_SIZE).optional(),
  groIpv4MaxSize: intIn(0, GRO_MAX_SIZE).optional(),
  /** inet_lro quirk switches (false fixes the quirk; lro/README.md). */
  lroQuirks: lroQuirksSchema.partial().strict().optional(),
  /** Further model config fields (see docs/hw-models/<model>.md). */
  modelConfig: z.record(z.string(), z.unknown()).default({}),
  /** Generated traffic (traffic/config.ts TrafficConfig); one of `traffic` or `capture`. */
  traffic: z.unknown().optional(),
  /** A capture to replay. */
  capture: z
    .strictObject({
      path: z.string().min(1),
      /** Keep only frames to this IPv4 or MAC address. */
      onlyTo: z.string().optional(),
    })
    .optional(),
  /** Stop the virtual clock here at the latest (ns). */
  timeLimitNs: z.number().positive().default(60e9),
  /** The host forwards: the NIC is its ingress interface, a second NIC transmits to the far subnet (lab/forward.ts). */
  forward: ForwardConfigSchema.optional(),
});
export type LabConfig = z.input<typeof LabConfigSchema>;
export type ResolvedLabConfig = z.output<typeof LabConfigSchema>;
type Resolved = ResolvedLabConfig;

export interface RunOptions {
  tracer?: Tracer;
  /** Write every packet the stack received to a pcap/pcapng file. */
  out?: OutputOptions;
  /** Records to replay instead of reading `capture.path` (the fuzzer, tests); the path is then only a label. An array sizes the rings for --batch all; any other iterable is read once, lazily. */
  records?: Iterable<CaptureRecord>;
  /** The flows whose byte streams are checked; default: assembled from the replayed frames. */
  expectations?: FlowExpectation[];
  /** The stack's flow table limit (default the stack's own). */
  maxFlows?: number;
  /** A forwarding run: write every frame leaving the egress interface here (`--out-egress`). */
  outEgress?: OutputOptions;
  /** Called once the driver is open, before any traffic (`vnic test-driver` attaches its rule checker here). */
  onOpen?: (parts: { model: NicModel; driver: Driver; stack: Stack }) => void;
  /**
   * Skip work no observer can see (default true): the NIC takes the FCS and checksum sum of bytes the link partner
   * generated from its pattern instead of passing over them (wire/known-bytes.ts), and the sockets compare the bytes
   * they receive with that pattern instead of fingerprinting them, taking the sender's fingerprint while they are equal
   * (wire/stream-check.ts). False does every byte pass and both fingerprints; reports,
   * DMA memory and output bytes are the same either way (test/shortcuts.test.ts runs both).
   */
  shortcuts?: boolean;
}

/** What a run leaves behind beyond the report: the parts, for tests and the trace command. */
export interface RunResult {
  report: RunReport;
  /** Every frame accounted for: offered = NIC drops + driver drops + delivered wire frames (+ held). */
  conservation: {
    offered: number;
    nicDrops: number;
    driverDrops: number;
    delivered: number;
    held: number;
    ok: boolean;
  };
  expectations: FlowExpectation[];
  /** The engine that ran (the default when none was asked for). */
  engine: Engine;
  /** The MTU the NIC ran at, and where it came from: the config, the default, or the capture's largest IP packet. */
  mtu: { value: number; from: 'config' | 'default' | 'capture'; largestIpPacket: number };
  model: NicModel;
  driver: Driver;
  stack: Stack;
  /** The link partner of generated traffic (absent for a replayed capture). */
  partner?: LinkPartner;
}

/** Parses a lab config, turning schema failures into one line per field. */
export function parseLabConfig(input: unknown): Resolved {
  const r = LabConfigSchema.safeParse(input);
  if (!r.success) throw new LabError(`run config: ${r.error.issues.map((i) => configIssue(input, i)).join('; ')}`);
  if ((r.data.traffic === undefined) === (r.data.capture === undefined))
    throw new LabError('run config: give exactly one of traffic or capture');
  return r.data;
}

/** One schema problem as `field: value — what is allowed`; an unknown field lists the fields there are. */
function configIssue(input: unknown, i: z.core.$ZodIssue): string {
  const at = i.path.map(String).join('.');
  if (i.code === 'unrecognized_keys') {
    const allowed = i.path.length === 0 ? ` (fields: ${Object.keys(LabConfigSchema.shape).join(', ')})` : '';
    return i.keys.map((k) => `${at ? `${at}.` : ''}${k}: unknown field${allowed}`).join('; ');
  }
  let v: unknown = input;
  for (const k of i.path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return `${at || '(config)'}: ${v === undefined ? 'missing' : JSON.stringify(v)} — ${i.message}`;
}

export function resolveDriver(c: { model: string; driver?: string | undefined }): DriverInfo {
  if (!isRegistered(c.model))
    throw new LabError(
      `model '${c.model}' is not registered (models: ${listModels()
        .map((m) => m.name)
        .join(', ')})`,
    );
  const d = c.driver !== undefined ? getDriver(c.driver) : driverForModel(c.model);
  if (d === undefined) {
    throw new LabError(
      c.driver !== undefined
        ? `driver '${c.driver}' is not registered (drivers: ${listDrivers()
            .map((x) => x.name)
            .join(', ')})`
        : `no driver is registered for model '${c.model}'`,
    );
  }
  if (!d.models.includes(c.model))
    throw new LabError(`driver '${d.name}' is written for ${d.models.join(', ')}, not for model '${c.model}'`);
  return d;
}

/** Runs one configuration to completion and reports. */
export function runLab(input: LabConfig, opts: RunOptions = {}): RunResult {
  const c = parseLabConfig(input);
  if (c.cpus > 1)
    throw new LabError(`cpus: ${c.cpus} — a run on several cores goes through runMulticore (lab/multicore.ts)`);
  // the FCS and sums of a large capture file's records, from a thread of their own (work the model need not repeat),
  // started first so that it runs by the time the first frame goes out
  const digests =
    c.capture !== undefined && opts.records === undefined && opts.shortcuts !== false && c.batch !== 'all'
      ? RecordDigests.start(c.capture.path)
      : undefined;
  try {
    return runResolved(c, opts, digests);
  } finally {
    digests?.close();
  }
}

function runResolved(c: Resolved, opts: RunOptions, digests: RecordDigests | undefined): RunResult {
  const given = opts.tracer ?? NO_TRACE;
  // Every event carries the CPU cycles charged so far, so a subscriber can chart CPU time as the run goes.
  let cyclesNow = (): number => 0;
  const tracer: Tracer =
    given === NO_TRACE
      ? NO_TRACE
      : {
          get enabled() {
            return given.enabled;
          },
          emit(e) {
            e.cycles = cyclesNow();
            given.emit(e);
          },
        };
  const info = resolveDriver(c);
  const clock = new VirtualClock();

  const capture = c.capture;
  // one pass over a capture file before the run, and only when the MTU or the ring size must come from its records
  const scan =
    capture !== undefined && opts.records === undefined && (c.batch === 'all' || mtuFromCapture(c))
      ? scanCapture(capture.path)
      : undefined;
  const frameCount =
    capture !== undefined && c.batch === 'all'
      ? opts.records === undefined
        ? scan!.records
        : Array.isArray(opts.records)
          ? opts.records.length
          : 0
      : 0;
  const mtu = chooseMtu(c, opts.records, scan);
  const model = buildModel(c, mtu.value, clock, tracer, frameCount);
  const engine = c.engine ?? defaultEngine(info, model.capabilities, (e) => resolveDriverOptions(c, e));
  // a forwarding host's kernel may have turned LRO off on this device (dev_disable_lro)
  const options = resolveDriverOptions(c, c.forward !== undefined ? ingressEngine(c.forward.kernel, engine) : engine);
  const support = info.support(options.engine, model.capabilities, options);
  if (!support.ok)
    throw new LabError(`engine ${engine} cannot run with driver ${info.name} on this ${c.model}: ${support.why}`);

  const stack = new Stack({
    clock,
    tracer,
    netdevBudget: Math.max(300, c.pollBudget),
    groFlushTimeoutNs: Math.round(c.groFlushTimeoutUs * 1000),
    deferHardIrqs: c.deferHardIrqs,
    ackCounting: c.ackCounting,
    answerRequests: c.answerRequests,
    ...(opts.maxFlows !== undefined ? { maxFlows: opts.maxFlows } : {}),
  });
  // receive buffers exhausted: prune the out-of-order queues that pin them, as Linux does under memory pressure
  model.dma.onExhausted = () => stack.pruneOutOfOrder() > 0;
  const driver = info.create({ model, stack, tracer, options });
  cyclesNow = () => stack.cpu.cycles;
  driver.open();
  if (c.forward !== undefined && capture !== undefined)
    throw new LabError('forward: needs generated traffic (a replayed capture has no sender for the far host to ACK)');
  const fwd =
    c.forward !== undefined
      ? new ForwardingHost(c.forward, {
          clock,
          tracer,
          stack,
          model,
          ingressMtu: mtu.value,
          engine,
          ...(opts.outEgress !== undefined ? { egressOut: opts.outEgress } : {}),
        })
      : undefined;
  opts.onOpen?.({ model, driver, stack });
  const out =
    opts.out !== undefined
      ? new OutputTap(
          { ...opts.out, snaplen: opts.out.snaplen ?? scan?.snaplen ?? inputSnaplen(c, opts.records) },
          model.queueCount,
        )
      : undefined;
  // wire frames per skb reaching the stack: the aggregate-size histogram
  const sizes = new Float64Array(MAX_HIST + 1);
  let lastDeliveryNs = 0,
    cyclesByLastDelivery = 0;
  stack.onNetifReceive = (skb: SkBuff) => {
    sizes[Math.min(skb.wireFrames, MAX_HIST)]!++;
    lastDeliveryNs = stack.cpu.now;
    cyclesByLastDelivery = stack.cpu.cycles;
    if (out !== undefined) out.write(skb, lastDeliveryNs);
  };

  let partner: LinkPartner | undefined;
  let expectationsOf: () => FlowExpectation[];
  const replayCounters: Record<string, number> = {};
  try {
    if (capture !== undefined) {
      // the replay keeps no record past the next: one record object for all of them
      const records = opts.records ?? readCapture(capture.path, { reuseRecords: true });
      digests?.waitStarted(DIGESTS_START_WAIT_MS);
      expectationsOf =
        c.batch === 'all'
          ? replayAll(records, capture.onlyTo, model, clock, replayCounters, opts.expectations === undefined)
          : replayTimed(
              records,
              capture.onlyTo,
              model,
              clock,
              replayCounters,
              c.batch === 'bursts' ? c.burstGapUs * 1000 : undefined,
              digests,
            );
    } else {
      const nic = flagTranslator(
        model,
        () => link.deliveringFlags,
        opts.shortcuts !== false ? () => link.deliveringKnown : undefined,
      );
      const setup = createLinkPartner(clock, fwd?.ingressTap(nic) ?? nic, c.traffic, tracer);
      const link = setup.link;
      partner = setup.partner;
      const toSender = (frame: Uint8Array, len: number, nowNs: number) =>
        setup.partner.receiveFromHost(frame, len, nowNs);
      if (fwd !== undefined)
        fwd.connect({ receiveFrame: toSender }, setup.partner.config.partnerMac, partner.expectedFlows());
      else {
        stack.sendToWire = toSender;
        stack.expectFlows(partner.expectedFlows());
        // the sockets compare what they receive with the sender's pattern instead of hashing it a second time
        if (opts.shortcuts !== false) stack.compareStreams(partner.streamReferences());
      }
      partner.start();
      expectationsOf = () => setup.partner.expectedFlows();
    }
    while (clock.step(c.timeLimitNs)) {
      /* run the receive path until it is idle or the time limit */
    }
  } finally {
    out?.close();
    fwd?.close();
  }

  const expectations = opts.expectations ?? expectationsOf();
  // The run lasts until the stack took its last packet plus the CPU work still owed then (that packet's
  // ACK, a trailing delayed ACK), not until the trailing timers fire. Work charged by the last delivery
  // had finished by then (the core is one work-conserving server from time 0), so utilisation
  // never exceeds 100 % and throughput never exceeds what the core sustains.
  const owedNs = stack.cpu.cyclesToNs(stack.cpu.cycles - cyclesByLastDelivery);
  const report = buildReport(
    c,
    engine,
    info,
    model,
    driver,
    stack,
    Math.max(lastDeliveryNs + owedNs, 1),
    expectations,
    replayCounters,
    fwd,
  );
  if (tracer.enabled) {
    const cpu = report.cpu;
    tracer.emit({
      t: report.durationNs,
      layer: 'lab',
      what: 'end',
      text: `run ended at ${(report.durationNs / 1000).toFixed(1)} µs: ${cpu.cycles} CPU cycles, utilisation ${(cpu.utilisation * 100).toFixed(1)} %`,
    });
  }
  const conservation = conserve(model, driver, stack);
  report.counters['conservation'] = { ...conservation, ok: conservation.ok ? 1 : 0 };
  const hist: Record<string, number> = {};
  sizes.forEach((n, k) => {
    if (n > 0) hist[k === MAX_HIST ? `${MAX_HIST}+` : String(k)] = n;
  });
  report.counters['aggregateSizes'] = hist;
  if (partner !== undefined) {
    report.counters['traffic'] = { ...partner.stats } as unknown as Record<string, number>;
    report.counters['sender'] = senderTotals(partner);
    const tt = partner.transactionTimes;
    if (tt.count > 0) {
      const [p50, p99] = tt.percentiles([50, 99]);
      report.counters['transactions'] = {
        count: tt.count,
        p50Us: p50! / 1000,
        p99Us: p99! / 1000,
        meanUs: tt.sum / tt.count / 1000,
      };
    }
  }
  return {
    report,
    conservation,
    expectations,
    engine,
    mtu,
    model,
    driver,
    stack,
    ...(partner !== undefined ? { partner } : {}),
  };
}

/** The TCP senders' counters summed over flows; window figures (maxCwnd, slowStartExitNs) are the largest. */
export function senderTotals(partner: LinkPartner): Record<string, number> {
  const t: Record<string, number> = {
    segmentsSent: 0,
    retransmits: 0,
    fastRetransmits: 0,
    timeouts: 0,
    acksReceived: 0,
    dupAcks: 0,
  };
  for (const f of partner.flowReports()) {
    t['segmentsSent']! += f.segmentsSent;
    t['retransmits']! += f.retransmits;
    t['fastRetransmits']! += f.fastRetransmits;
    t['timeouts']! += f.timeouts;
    t['acksReceived']! += f.acksReceived;
    t['dupAcks']! += f.dupAcks;
    const cc = f.congestion;
    if (cc !== undefined) {
      t['recoveries'] = (t['recoveries'] ?? 0) + cc.recoveries;
      t['cwndIncreases'] = (t['cwndIncreases'] ?? 0) + cc.cwndIncreases;
      t['maxCwnd'] = Math.max(t['maxCwnd'] ?? 0, cc.maxCwnd);
      t['slowStartExitNs'] = Math.max(t['slowStartExitNs'] ?? -1, cc.slowStartExitNs);
    }
  }
  return t;
}

/**
 * The engine a run uses when none is asked for: the driver's own default when it can run on this
 * model, else LRO where the driver can, else GRO (else off). Every model/driver pair thus has a
 * default that runs (`vnic models` and `vnic drivers` show it).
 */
export function defaultEngine(
  info: DriverInfo,
  caps: Capabilities,
  optionsFor: (e: Engine) => ResolvedDriverOptions = (e) => ({ engine: e, pollBudget: 64 }) as ResolvedDriverOptions,
): Engine {
  const order: Engine[] = [info.defaultEngine, 'lro', 'gro', 'off'];
  for (const e of order) if (info.support(e, caps, optionsFor(e)).ok) return e;
  return 'off';
}

export function resolveDriverOptions(c: Resolved, engine: Engine): ResolvedDriverOptions {
  const o = DriverOptionsSchema.parse({
    engine,
    pollBudget: c.pollBudget,
    ...(c.maxAggr !== undefined ? { maxAggr: c.maxAggr } : {}),
    ...(c.maxDesc !== undefined ? { maxDesc: c.maxDesc } : {}),
    ...(c.softwareChecksum !== undefined ? { softwareChecksum: c.softwareChecksum } : {}),
    ...(c.nonNapi !== undefined ? { nonNapi: c.nonNapi } : {}),
    ...(c.groMaxSize !== undefined ? { groMaxSize: c.groMaxSize } : {}),
    ...(c.groIpv4MaxSize !== undefined ? { groIpv4MaxSize: c.groIpv4MaxSize } : {}),
    ...(c.lroQuirks !== undefined ? { lroQuirks: c.lroQuirks } : {}),
  });
  return o;
}

const DEFAULT_MTU = 1500;
/** How long a replay waits for its digest thread to start (tap/digest-ahead.ts); it goes on without it after that. */
const DIGESTS_START_WAIT_MS = 1000;

/** True when the MTU of a run comes from its capture's largest IP packet (no MTU asked for, in either place). */
function mtuFromCapture(c: Resolved): boolean {
  return c.mtu === undefined && c.modelConfig['mtu'] === undefined && c.capture !== undefined;
}

/**
 * The MTU of a run: the one asked for; for a capture without one, the largest IP packet the capture
 * carries (its wire length less the L2 header, so header-only records count whole), at least 1500
 * and at most the model's maximum; otherwise 1500. A lazily read record stream is not read twice: 1500.
 */
export function chooseMtu(
  c: Resolved,
  records: Iterable<CaptureRecord> | undefined,
  scan: CaptureScan | undefined = undefined,
): RunResult['mtu'] {
  if (c.mtu !== undefined) return { value: c.mtu, from: 'config', largestIpPacket: 0 };
  if (!mtuFromCapture(c) || (records !== undefined && !Array.isArray(records))) {
    return { value: DEFAULT_MTU, from: 'default', largestIpPacket: 0 };
  }
  const largest = scan?.largestIpPacket ?? largestIpPacket(records ?? readCapture(c.capture!.path));
  const caps = modelCapabilities(c.model);
  const value = Math.max(DEFAULT_MTU, Math.min(largest, caps?.maxMtu ?? DEFAULT_MTU));
  return { value, from: value === DEFAULT_MTU ? 'default' : 'capture', largestIpPacket: largest };
}

/** What a run takes from a capture file before its first frame, gathered in one pass over it. */
export interface CaptureScan {
  records: number;
  /** The first interface's snap length (undefined when the file defines no interface). */
  snaplen: number | undefined;
  largestIpPacket: number;
}

function scanCapture(path: string): CaptureScan {
  const reader = openCapture(path, { reuseRecords: true });
  let records = 0;
  const largest = largestIpPacket({
    [Symbol.iterator]: () => ({
      next: () => {
        const r = reader.next();
        if (r.done !== true) records++;
        return r;
      },
    }),
  });
  return { records, snaplen: reader.interfaces[0]?.snaplen, largestIpPacket: largest };
}

/** The largest IPv4 or IPv6 packet among the Ethernet records, by wire length (0 when there is none). */
export function largestIpPacket(records: Iterable<CaptureRecord>): number {
  const L = new FrameLayout();
  let largest = 0;
  for (const r of records) {
    // the IP header starts ETH.HLEN bytes in at the earliest: a record that short cannot raise the largest, unparsed
    if (r.linktype !== 1 || r.origLen - ETH.HLEN <= largest) continue;
    layoutFrame(r.data, 0, r.data.length, L);
    if (L.l3 < 0 || (L.etherType !== ETHERTYPE.IPV4 && L.etherType !== ETHERTYPE.IPV6)) continue;
    largest = Math.max(largest, r.origLen - L.l3);
  }
  return largest;
}

/** The run's NIC; `shape` may rewrite the model config last (a core's part of the NIC, lab/multicore.ts). */
export function buildModel(
  c: Resolved,
  mtu: number,
  clock: VirtualClock,
  tracer: Tracer,
  batchFrames: number,
  shape: (cfg: Record<string, unknown>) => Record<string, unknown> = (cfg) => cfg,
): NicModel {
  const knobs = MODEL_KNOBS[c.model];
  const cfg: Record<string, unknown> = { promiscuous: true, mtu, ...c.modelConfig };
  if (c.queues !== undefined) {
    if (knobs?.queues === undefined) {
      if (c.queues !== 1) throw new LabError(`--queues ${c.queues}: model '${c.model}' has one receive queue`);
    } else cfg[knobs.queues] = c.queues;
  }
  if (batchFrames > 0 && knobs !== undefined) {
    // rings that hold the whole input (or as much of it as the model allows; the rest is paced)
    for (const r of knobs.rings)
      if (cfg[r.field] === undefined) cfg[r.field] = Math.min(r.max, nextPow2(batchFrames + 2));
  }
  try {
    return createModel(c.model, shape(cfg), { clock, tracer });
  } catch (e) {
    throw new LabError((e as Error).message);
  }
}

function nextPow2(n: number): number {
  let p = 16;
  while (p < n) p *= 2;
  return p;
}

/**
 * The snap length of the capture replayed, read from its header (pcapng: its first interface, defined before the
 * first packet); undefined for generated traffic, records given in memory, or a file that defines no interface.
 */
export function inputSnaplen(c: Resolved, records: Iterable<CaptureRecord> | undefined): number | undefined {
  if (c.capture === undefined || records !== undefined) return undefined;
  const reader = openCapture(c.capture.path);
  try {
    if (reader.format === 'pcapng') reader.next();
    return reader.interfaces[0]?.snaplen;
  } finally {
    reader.close();
  }
}

/** The NIC's receiveFrame with the link's per-frame flags turned into the model's RX flags, and the sender's claim about the frame's bytes when `knownNow` is given. */
export function flagTranslator(
  model: Pick<NicModel, 'receiveFrame'>,
  flagsNow: () => number,
  knownNow: (() => KnownRun | null) | undefined = undefined,
): FrameSink {
  return {
    receiveFrame(frame: Uint8Array, length: number, nowNs: number): void {
      const f = flagsNow();
      model.receiveFrame(
        frame,
        length,
        nowNs,
        f & FRAME_FLAG.CSUM_UNVERIFIABLE ? RX_FLAG.CSUM_TRUSTED : 0,
        knownNow !== undefined ? knownNow() : null,
      );
    },
  };
}

/** --batch timestamps: frames arrive at the capture's times (relative to its first); --batch bursts: a burst at its first frame's time. */
export function replayTimed(
  records: Iterable<CaptureRecord>,
  onlyTo: string | undefined,
  model: Pick<NicModel, 'receiveFrame' | 'rings'>,
  clock: VirtualClock,
  counters: Record<string, number>,
  burstGapNs: number | undefined,
  claims: RecordClaims | undefined = undefined,
): () => FlowExpectation[] {
  const tx: DirectTx = new DirectTx(
    clock,
    flagTranslator(model, () => tx.deliveringFlags, claims !== undefined ? () => src.deliveringKnown : undefined),
  );
  // a burst takes at most what --batch all puts in the rings before a poll; a longer one (line-rate jumbo frames) comes at its own times
  const src = new ReplaySource(
    clock,
    tx,
    records,
    {
      timing: 'recorded',
      ...(onlyTo !== undefined ? { onlyTo } : {}),
      ...(burstGapNs !== undefined ? { burstGapNs } : {}),
    },
    { entries: Math.max(1, minRxRing(model) - 2), bufferBytes: largestRxBuffer(model) },
    claims,
  );
  src.start();
  return () => {
    Object.assign(counters, src.stats);
    return src.expectedFlows();
  };
}

/**
 * --batch all: every frame is put into the rings before the first poll. When the input is larger
 * than the rings can hold, it goes in ring-sized chunks and the polls drain (and the driver refills)
 * each chunk first. A chunk is counted in receive buffers, not frames: a frame longer than the
 * largest buffer spans several descriptors (e1000 and mq chain 2 KiB buffers, myri10ge 4 KiB page
 * chunks), so a jumbo frame uses up to five, and counting frames would overrun the ring (rx_missed).
 */
function replayAll(
  records: Iterable<CaptureRecord>,
  onlyTo: string | undefined,
  model: NicModel,
  clock: VirtualClock,
  counters: Record<string, number>,
  assemble = true,
): () => FlowExpectation[] {
  const filter = onlyTo !== undefined ? new DestinationFilter(onlyTo) : undefined;
  const streams = new CaptureStreams();
  const chunk = Math.max(1, minRxRing(model) - 2);
  const buffer = largestRxBuffer(model);
  let scratch = new Uint8Array(65536 + 64);
  let inChunk = 0;
  const st = { records: 0, sent: 0, filteredOut: 0, extended: 0, unverifiable: 0, notEthernet: 0 };
  const cutLayout = new FrameLayout();
  for (const r of records) {
    st.records++;
    if (r.linktype !== 1) {
      st.notEthernet++;
      continue;
    }
    let buf = r.data,
      len = r.data.length,
      flags = 0;
    if (filter !== undefined && !filter.accepts(buf, len)) {
      st.filteredOut++;
      continue;
    }
    if (r.origLen > len) {
      if (scratch.length < r.origLen) scratch = new Uint8Array(r.origLen);
      scratch.set(r.data);
      if (rebuildCutFrame(scratch, len, r.origLen, cutLayout) === 'unverifiable') {
        flags = RX_FLAG.CSUM_TRUSTED;
        st.unverifiable++;
      }
      buf = scratch;
      len = r.origLen;
      st.extended++;
    }
    if (assemble) streams.addFrame(buf, len); // (the caller's expectations replace these: no per-flow state)
    st.sent++;
    const cost = buffer > 0 ? Math.ceil(len / buffer) : 1;
    if (inChunk > 0 && inChunk + cost > chunk) {
      clock.run();
      inChunk = 0;
    }
    model.receiveFrame(buf, len, clock.now, flags);
    inChunk += cost;
  }
  return () => {
    Object.assign(counters, st);
    return streams.expectedFlows();
  };
}

/** Bytes of the largest receive buffer of queue 0 (0 when no ring names a buffer size). */
function largestRxBuffer(model: Pick<NicModel, 'rings'>): number {
  let n = 0;
  for (const r of model.rings(0)) if (r.role !== 'completion') n = Math.max(n, r.bufferBytes);
  return n;
}

/** Entries of the smallest receive ring of queue 0 (how many frames surely fit before a poll). */
function minRxRing(model: Pick<NicModel, 'rings'>): number {
  let n = Infinity;
  for (const r of model.rings(0)) if (r.role !== 'completion') n = Math.min(n, r.entries);
  return n === Infinity ? 256 : n;
}

function sumDrops(model: NicModel): Record<string, number> {
  const t = model.totals();
  const out: Record<string, number> = {};
  for (const k of model.dropCounters) if ((t[k] ?? 0) > 0) out[k] = t[k]!;
  return out;
}

export function conserve(model: NicModel, driver: Driver, stack: Stack): RunResult['conservation'] {
  const offered = model.framesOffered;
  const nicDrops = Object.values(sumDrops(model)).reduce((a, b) => a + b, 0);
  const driverDrops = Object.values(driver.drops()).reduce((a, b) => a + b, 0);
  const delivered = stack.stats.wireFramesIn;
  const held = driver.held;
  return { offered, nicDrops, driverDrops, delivered, held, ok: offered === nicDrops + driverDrops + delivered + held };
}

/**
 * A run's report from its parts (runLab's, and each core's in lab/multicore.ts).
 * @internal
 */
export function buildReport(
  c: Resolved,
  engine: Engine,
  info: DriverInfo,
  model: NicModel,
  driver: Driver,
  stack: Stack,
  durationNs: number,
  expectations: FlowExpectation[],
  replayCounters: Record<string, number>,
  fwd: ForwardingHost | undefined,
): RunReport {
  const label = c.label ?? `${c.model}/${info.name}/${engine}`;
  const b = new RunReportBuilder(label)
    .duration(durationNs)
    .framesIn(model.framesOffered)
    .addDrops(sumDrops(model))
    .addDrops(driver.drops())
    .peakDmaBytes(model.dma.counters.peakBytesInUse);
  const lro: LroStats | null = driver.lroStats();
  if (lro !== null) {
    const reasons: Record<string, number> = {};
    for (const [k, v] of Object.entries(lro)) if (typeof v === 'number') reasons[k] = v;
    b.addLro({ aggregated: lro.aggregated, flushed: lro.flushed, noDesc: lro.no_desc, reasons });
  }
  const gro = driver.groStats();
  if (gro !== null) {
    const reasons: Record<string, number> = {};
    for (const [k, v] of Object.entries(gro)) if (typeof v === 'number') reasons[k] = v;
    b.addGro(reasons);
  }
  const forward = fwd?.report();
  if (forward !== undefined) b.addDrops(forward.drops);
  fillStackReport(b, stack, expectations, undefined, fwd?.far.stack);
  b.counters('nic', model.totals());
  b.counters('driver', driver.ethtoolStats());
  if (Object.keys(replayCounters).length > 0) {
    b.counters('replay', replayCounters);
    // what the byte-stream check held over: frames the capture cut short, their payload made up by the lab
    b.counters('capture', {
      headerOnlyFrames: replayCounters['extended'] ?? 0,
      checksumsUnverifiable: replayCounters['unverifiable'] ?? 0,
    });
  }
  const report = b.build();
  if (forward !== undefined) report.forward = forward;
  return report;
}
