// A host with several cores, each servicing its own group of an mq NIC's queues (queue q on core q mod cpus, as
// irqbalance spreads RSS queues): per core a VirtualClock, the NIC's part for those queues with its own DMA region
// (hw-models/mq.ts mqQueueGroupConfig), a driver, and a Stack with its own softnet state and CPU cost model. The
// wire is generated once, in front of the cores (open-loop traffic or a replay: nothing the host does changes what
// the wire carries), and each frame is steered by the NIC's RSS to the core that owns its queue, which first runs its
// own events up to the frame's arrival. Cores share nothing, so a core's results depend only on the wire and on which
// queues it owns: `runCores` runs the wire and any subset of the cores in one thread; `runWire` runs the wire alone
// and feeds each frame to the thread running its core (lab/frame-feed.ts), where `runFedCores` takes it (worker
// threads, cli/pool/workers.ts); `mergeCores` joins the parts in core order, giving the same report and the same
// `--out` bytes however the cores were spread.
import { rmSync } from 'node:fs';
import { VirtualClock } from '../sim/clock.ts';
import { NO_TRACE } from '../observe/trace.ts';
import { LatencyRecorder, type LatencySamples } from '../observe/recorders.ts';
import type { FlowExpectation } from '../wire/flow.ts';
import type { KnownRun } from '../wire/known-bytes.ts';
import { BaseNic, RX_FLAG, type NicModel } from '../hw-models/model.ts';
// through the layer's index, which registers every model in its order (`vnic models` lists them so)
import { mq } from '../hw-models/index.ts';
import { Stack, type SkBuff } from '../stack/index.ts';
import type { Driver } from '../drivers/index.ts';
import { createLinkPartner, FRAME_FLAG, LinkPartner, type FrameSink, type FrameTx } from '../traffic/index.ts';
import { FeedReader, type FeedEnds, type FeedWriter } from './frame-feed.ts';
import { readCapture, CaptureWriter, type CaptureRecord } from '../tap/index.ts';
import { RunReportBuilder, type RunReport, type FlowReport } from './run-report.ts';
import { OutputTap, type OutputOptions } from './output.ts';
import {
  LabError,
  MAX_HIST,
  buildModel,
  buildReport,
  chooseMtu,
  conserve,
  defaultEngine,
  inputSnaplen,
  parseLabConfig,
  replayTimed,
  resolveDriver,
  resolveDriverOptions,
  senderTotals,
  type LabConfig,
  type ResolvedLabConfig,
  type RunResult,
} from './run.ts';

/** Why this configuration cannot run on several cores, or null when it can. */
export function multicoreRefusal(c: ResolvedLabConfig): string | null {
  if (c.model !== 'mq')
    return `model '${c.model}' cannot split its queues across cores (only mq's RSS indirection table steers a queue group to a core)`;
  if (c.forward !== undefined) return 'a forwarding run has one ingress core (forward and several cores do not mix)';
  if (c.capture !== undefined && c.batch === 'all')
    return '--batch all fills one ring before the first poll; replay with --batch bursts or timestamps';
  if (c.capture === undefined && (c.traffic as { openLoop?: unknown } | undefined)?.openLoop !== true)
    return "closed-loop traffic: the senders answer the host's ACKs, so every core's timing feeds back into the wire, and such a run stays on one core (traffic.openLoop: true, or a replay, can split)";
  return null;
}

/** The queues of the whole NIC and which of them core `core` of `cpus` services (in queue order). */
function queueGroups(c: ResolvedLabConfig): { queues: number; owned: number[][] } {
  const q = c.queues ?? (c.modelConfig['queues'] as number | undefined) ?? 4;
  if (c.cpus > q) throw new LabError(`cpus: ${c.cpus} — more cores than the NIC has queues (${q}); give cpus ≤ queues`);
  const owned = Array.from({ length: c.cpus }, (_, core) =>
    Array.from({ length: q }, (_, i) => i).filter((i) => i % c.cpus === core),
  );
  return { queues: q, owned };
}

/** Parses and checks a configuration for several cores (LabError naming what stands in the way). */
export function parseMulticoreConfig(input: LabConfig): ResolvedLabConfig {
  const c = parseLabConfig(input);
  const why = multicoreRefusal(c);
  if (why !== null) throw new LabError(`cpus: ${c.cpus} — ${why}`);
  queueGroups(c);
  return c;
}

/** One core's results as plain data. */
export interface CorePart {
  core: number;
  /** The core's own report (its NIC part, driver and stack). */
  report: RunReport;
  latency: LatencySamples;
  conservation: RunResult['conservation'];
  /** The core's `--out` packets (pcapng, one interface per queue it owns), when asked. */
  outPath?: string;
}

/** What the front (the link partner or the replay) counted; equal in every worker but for the ACKs each one's cores sent. */
export interface FrontPart {
  traffic?: Record<string, number>;
  sender?: Record<string, number>;
  replay?: Record<string, number>;
}

export interface CoresPart {
  cores: CorePart[];
  front: FrontPart;
}

export interface CoresOptions {
  /** Where core c writes its `--out` packets (merged by `mergeCoreCaptures`). */
  outPathOf?: (core: number) => string;
  snaplen?: number | undefined;
  /** Records to replay instead of reading `capture.path`. */
  records?: Iterable<CaptureRecord>;
  /** The MTU the generating thread chose (a worker need not scan the capture again). */
  mtu?: number;
}

interface Core {
  core: number;
  clock: VirtualClock;
  model: NicModel;
  driver: Driver;
  stack: Stack;
  out: OutputTap | undefined;
  sizes: Float64Array;
  lastDeliveryNs: number;
  cyclesByLastDelivery: number;
}

/** What every part of a run on several cores sets up alike: the configuration, the steering NIC, the engine. */
interface Host {
  c: ResolvedLabConfig;
  owned: number[][];
  info: ReturnType<typeof resolveDriver>;
  mtu: number;
  /** The front's clock: the wire's events (the link partner's or the replay's) and the ACKs' return path. */
  front: VirtualClock;
  /** The whole NIC, for steering only: the queue each frame is for (its own rings never see a frame). */
  steer: BaseNic;
  engine: ReturnType<typeof defaultEngine>;
  options: ReturnType<typeof resolveDriverOptions>;
}

function hostOf(input: LabConfig, opts: CoresOptions): Host {
  const c = parseMulticoreConfig(input);
  const { owned } = queueGroups(c);
  const info = resolveDriver(c);
  const mtu = opts.mtu ?? chooseMtu(c, opts.records).value;
  const front = new VirtualClock();
  const steer = buildModel(c, mtu, front, NO_TRACE, 0);
  if (!(steer instanceof BaseNic)) throw new LabError(`model '${c.model}' does not say which queue a frame is for`);
  const engine = c.engine ?? defaultEngine(info, steer.capabilities, (e) => resolveDriverOptions(c, e));
  const options = resolveDriverOptions(c, engine);
  const support = info.support(options.engine, steer.capabilities, options);
  if (!support.ok)
    throw new LabError(`engine ${engine} cannot run with driver ${info.name} on this ${c.model}: ${support.why}`);
  return { c, owned, info, mtu, front, steer, engine, options };
}

/** Core `core` of the host: its clock, its part of the NIC, its driver and stack; its ACKs go to `sendToWire`. */
function buildCore(
  h: Host,
  core: number,
  opts: CoresOptions,
  sendToWire: (frame: Uint8Array, len: number, nowNs: number) => void,
): Core {
  const { c } = h;
  const queues = h.owned[core]!;
  const clock = new VirtualClock();
  const model = buildModel(c, h.mtu, clock, NO_TRACE, 0, (cfg) => mq.mqQueueGroupConfig(cfg as mq.MqConfig, queues));
  const stack = new Stack({
    clock,
    netdevBudget: Math.max(300, c.pollBudget),
    groFlushTimeoutNs: Math.round(c.groFlushTimeoutUs * 1000),
    deferHardIrqs: c.deferHardIrqs,
    ackCounting: c.ackCounting,
    answerRequests: c.answerRequests,
  });
  model.dma.onExhausted = () => stack.pruneOutOfOrder() > 0;
  const driver = h.info.create({ model, stack, tracer: NO_TRACE, options: h.options });
  driver.open();
  const s: Core = {
    core,
    clock,
    model,
    driver,
    stack,
    out: undefined,
    sizes: new Float64Array(MAX_HIST + 1),
    lastDeliveryNs: 0,
    cyclesByLastDelivery: 0,
  };
  const path = opts.outPathOf?.(core);
  if (path !== undefined) s.out = new OutputTap({ path, format: 'pcapng', snaplen: opts.snaplen }, queues.length);
  stack.onNetifReceive = (skb: SkBuff) => {
    s.sizes[Math.min(skb.wireFrames, MAX_HIST)]!++;
    s.lastDeliveryNs = stack.cpu.now;
    s.cyclesByLastDelivery = stack.cpu.cycles;
    s.out?.write(skb, s.lastDeliveryNs);
  };
  stack.sendToWire = sendToWire;
  return s;
}

/**
 * The front of the run: the wire, generated (open-loop link partner) or replayed, each frame handed to `deliver`
 * with the core its queue belongs to, its RX flags for the model and the sender's claim about its bytes. Runs the
 * front's clock to the time limit; `between` runs after that (the cores' last events), then the front's last ACKs.
 * Returns the front's counters and the flows the cores must have received.
 */
function runFront(
  h: Host,
  opts: CoresOptions,
  deliver: (
    core: number,
    frame: Uint8Array,
    length: number,
    nowNs: number,
    flags: number,
    known: KnownRun | null,
  ) => void,
  onPartner: (partner: LinkPartner) => void,
  between: () => void,
): { front: FrontPart; expectations: FlowExpectation[] } {
  const { c, steer, front } = h;
  /**
   * The wire's end of the host: steer, then hand the frame to the core that owns its queue. `rxFlags` turns what
   * the source says of the frame into the model's RX flags; `known`, the sender's claim about its bytes (lab/run.ts
   * flagTranslator), as runLab passes it.
   */
  const host = (
    rxFlags: (given: number) => number,
    known: () => KnownRun | null = () => null,
  ): FrameSink & Pick<NicModel, 'rings'> => ({
    receiveFrame(frame: Uint8Array, length: number, nowNs: number, flags = 0): void {
      deliver(steer.queueFor(frame, length) % c.cpus, frame, length, nowNs, rxFlags(flags), known());
    },
    rings: (q) => steer.rings(q),
  });
  const frontPart: FrontPart = {};
  let expectationsOf: () => FlowExpectation[];
  let finishFront: () => void;
  if (c.capture !== undefined) {
    const replayCounters: Record<string, number> = {};
    const records = opts.records ?? readCapture(c.capture.path);
    // replayTimed hands the RX flags on already (its flagTranslator)
    const done = replayTimed(
      records,
      c.capture.onlyTo,
      host((given) => given),
      front,
      replayCounters,
      c.batch === 'bursts' ? c.burstGapUs * 1000 : undefined,
    );
    expectationsOf = () => done();
    finishFront = () => {
      frontPart.replay = replayCounters;
    };
  } else {
    const setup = createLinkPartner(
      front,
      host(
        () => (setup.link.deliveringFlags & FRAME_FLAG.CSUM_UNVERIFIABLE ? RX_FLAG.CSUM_TRUSTED : 0),
        () => setup.link.deliveringKnown,
      ),
      c.traffic,
      NO_TRACE,
    );
    const partner = setup.partner;
    onPartner(partner);
    partner.start();
    expectationsOf = () => partner.expectedFlows();
    finishFront = () => {
      frontPart.traffic = { ...partner.stats } as unknown as Record<string, number>;
      frontPart.sender = senderTotals(partner);
    };
  }
  while (front.step(c.timeLimitNs)) {
    /* the wire, and every core up to each frame it takes */
  }
  between();
  while (front.step(c.timeLimitNs)) {
    /* ACKs the partner's delay line still holds */
  }
  finishFront();
  return { front: frontPart, expectations: expectationsOf() };
}

/** Runs each core out to the time limit and reads its part. */
function coreParts(
  h: Host,
  slices: readonly (Core | undefined)[],
  expectations: FlowExpectation[],
  opts: CoresOptions,
): CorePart[] {
  const parts: CorePart[] = [];
  for (const s of slices) {
    if (s === undefined) continue;
    const owedNs = s.stack.cpu.cyclesToNs(s.stack.cpu.cycles - s.cyclesByLastDelivery);
    const report = buildReport(
      h.c,
      h.engine,
      h.info,
      s.model,
      s.driver,
      s.stack,
      Math.max(s.lastDeliveryNs + owedNs, 1),
      expectations,
      {},
      undefined,
    );
    const conservation = conserve(s.model, s.driver, s.stack);
    const hist: Record<string, number> = {};
    s.sizes.forEach((n, k) => {
      if (n > 0) hist[k === MAX_HIST ? `${MAX_HIST}+` : String(k)] = n;
    });
    report.counters['aggregateSizes'] = hist;
    const path = opts.outPathOf?.(s.core);
    parts.push({
      core: s.core,
      report,
      latency: s.stack.latency.samples(),
      conservation,
      ...(path !== undefined ? { outPath: path } : {}),
    });
  }
  return parts;
}

function drainCores(h: Host, slices: readonly (Core | undefined)[]): void {
  for (const s of slices) if (s !== undefined) while (s.clock.step(h.c.timeLimitNs)) {}
}

/** Runs the wire once and the cores in `cores` (every core when omitted); frames for other cores are passed over. */
export function runCores(input: LabConfig, cores?: readonly number[], opts: CoresOptions = {}): CoresPart {
  const h = hostOf(input, opts);
  const mine = new Set(cores ?? h.owned.map((_, i) => i));
  let sendToWire: (frame: Uint8Array, len: number, nowNs: number) => void = () => {};
  const slices: (Core | undefined)[] = h.owned.map((_, core) =>
    mine.has(core) ? buildCore(h, core, opts, (frame, len, nowNs) => sendToWire(frame, len, nowNs)) : undefined,
  );
  let ran: ReturnType<typeof runFront>;
  try {
    ran = runFront(
      h,
      opts,
      (core, frame, length, nowNs, flags, known) => {
        const s = slices[core];
        if (s === undefined) return;
        s.clock.run(nowNs);
        s.model.receiveFrame(frame, length, nowNs, flags, known);
      },
      (partner) => {
        // open loop: the partner only counts the ACKs (traffic/partner.ts onAck), so they cannot change the wire
        sendToWire = (frame, len, nowNs) => partner.receiveFromHost(frame, len, nowNs);
        const flows = partner.expectedFlows();
        for (const s of slices) s?.stack.expectFlows(flows);
      },
      () => drainCores(h, slices),
    );
  } finally {
    for (const s of slices) s?.out?.close();
  }
  return { cores: coreParts(h, slices, ran.expectations, opts), front: ran.front };
}

/** What a fed worker needs once the wire is over (plain data, cloned across threads). */
interface WireTail {
  expectations: FlowExpectation[];
  /** The front's clock when the wire ended: ACKs the cores send after it leave from there, as on one thread. */
  frontNs: number;
}

/**
 * The wire alone, on this thread: generated or replayed once, steered, and each frame handed to the feed of the
 * worker that runs its core (`feeds[core]`; several cores may share one). Returns the front's counters as a part
 * with no cores: merged with the workers' parts (`mergeCores`, this part first) it gives the report of `runCores`.
 * Every feed gets its end, or its abort when the wire fails.
 */
export function runWire(input: LabConfig, feeds: readonly FeedWriter[], opts: CoresOptions = {}): CoresPart {
  const h = hostOf(input, opts);
  if (feeds.length !== h.c.cpus) throw new Error(`multicore: ${feeds.length} feeds for ${h.c.cpus} cores`);
  const writers = [...new Set(feeds)];
  let pattern: KnownRun['source'] = null;
  let frontNs = 0;
  try {
    const ran = runFront(
      h,
      opts,
      (core, frame, length, nowNs, flags, known) => {
        // a claim travels as its offsets: the worker's own partner holds the same pattern bytes
        if (known !== null && known.source !== pattern)
          throw new Error('multicore: a frame claims bytes of a source other than the link partner’s pattern');
        feeds[core]!.push(core, frame, length, nowNs, flags, known);
      },
      (p) => {
        pattern = p.pattern;
      },
      () => {
        frontNs = h.front.now;
      },
    );
    const tail: WireTail = { expectations: ran.expectations, frontNs };
    for (const w of writers) w.end(tail);
    return { cores: [], front: ran.front };
  } catch (e) {
    for (const w of writers) w.abort();
    throw e;
  }
}

/** A transmit queue that never takes a frame: a link partner on it only listens (counts the host's ACKs). */
const LISTEN_ONLY: FrameTx = {
  transmit() {
    throw new Error('multicore: a listening link partner sent a frame');
  },
  backlog: () => Number.POSITIVE_INFINITY,
  addReadyListener() {},
};

/**
 * The cores in `cores`, fed the frames for them by `runWire` on another thread (open loop or a replay: nothing they
 * do changes the wire). Each core catches up to a frame's arrival and takes it, as in `runCores`; the ACKs they
 * send reach a link partner of their own built from the same configuration, which only counts them (and holds the
 * payload pattern the frames' claims refer to). The part equals `runCores(input, cores)`'s but for the front's
 * counters, which hold only the ACK side (mergeCores sums those and takes the rest from `runWire`'s part).
 */
export function runFedCores(
  input: LabConfig,
  cores: readonly number[],
  feed: FeedEnds,
  opts: CoresOptions = {},
): CoresPart {
  const h = hostOf(input, opts);
  const { c, front } = h;
  const mine = new Set(cores);
  const listener = c.capture === undefined ? new LinkPartner(front, LISTEN_ONLY, c.traffic, NO_TRACE) : undefined;
  const sendToWire =
    listener !== undefined
      ? (frame: Uint8Array, len: number, nowNs: number) => listener.receiveFromHost(frame, len, nowNs)
      : () => {};
  const slices: (Core | undefined)[] = h.owned.map((_, core) =>
    mine.has(core) ? buildCore(h, core, opts, sendToWire) : undefined,
  );
  const reader = new FeedReader(feed, listener?.pattern ?? null);
  let tail: WireTail;
  try {
    if (listener !== undefined) {
      const flows = listener.flowReports();
      for (const s of slices) s?.stack.expectFlows(flows);
    }
    tail = reader.drain((core, frame, length, nowNs, flags, known) => {
      const s = slices[core];
      if (s === undefined) throw new Error(`multicore: a frame for core ${core}, which this worker does not run`);
      front.run(nowNs); // the ACKs due by then reach the partner, and those sent now leave from here
      s.clock.run(nowNs);
      s.model.receiveFrame(frame, length, nowNs, flags, known);
    }) as WireTail;
    front.run(tail.frontNs);
    while (front.step(c.timeLimitNs)) {
      /* this worker's ACKs up to the end of the wire */
    }
    drainCores(h, slices);
    while (front.step(c.timeLimitNs)) {
      /* ACKs the partner's delay line still holds */
    }
  } catch (e) {
    reader.fail();
    throw e;
  } finally {
    for (const s of slices) s?.out?.close();
  }
  const frontPart: FrontPart = {};
  if (listener !== undefined) {
    frontPart.traffic = ackSide(listener.stats as unknown as Record<string, number>);
    frontPart.sender = ackSide(senderTotals(listener));
  }
  return { cores: coreParts(h, slices, tail.expectations, opts), front: frontPart };
}

function ackSide(counters: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counters).filter(([k]) => ACK_SIDE.has(k)));
}

/** Counters of the front that count the host's ACKs: each worker's partner saw only its own cores' ACKs, so they sum. */
const ACK_SIDE = new Set(['hostFrames', 'hostNotTcpAck', 'hostUnknownFlow', 'acksReceived', 'dupAcks']);

/**
 * One group of the fronts' counters: the ACK side summed, the rest equal wherever present (a fed worker's part has
 * only the ACK side); keys in the first part's order.
 */
function mergeFront(group: string, parts: readonly (Record<string, number> | undefined)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of parts)
    for (const [k, v] of Object.entries(p ?? {})) {
      if (ACK_SIDE.has(k)) out[k] = (out[k] ?? 0) + v;
      else if (out[k] === undefined) out[k] = v;
      else if (out[k] !== v)
        throw new Error(`multicore: the workers' wires differ: ${group}.${k} is ${out[k]} in one and ${v} in another`);
    }
  return out;
}

/** The run's report from every core's part (each core exactly once, any grouping) and the fronts' counters. */
export function mergeCores(
  input: LabConfig,
  parts: readonly CoresPart[],
): { report: RunReport; conservation: RunResult['conservation'] } {
  const c = parseMulticoreConfig(input);
  const { owned } = queueGroups(c);
  const cores = parts.flatMap((p) => p.cores).sort((a, b) => a.core - b.core);
  if (cores.length !== c.cpus || cores.some((p, i) => p.core !== i))
    throw new Error(`multicore: parts for cores [${cores.map((p) => p.core).join(', ')}] of ${c.cpus}`);
  const reports = cores.map((p) => p.report);
  const first = reports[0]!;
  const b = new RunReportBuilder(first.label).duration(Math.max(...reports.map((r) => r.durationNs)));
  let peakDma = 0;
  for (const r of reports) {
    b.framesIn(r.framesIn).framesToStack(r.framesToStack, r.wireFramesToStack).acksSent(r.acksSent).addDrops(r.drops);
    if (r.lro.enabled)
      b.addLro({ aggregated: r.lro.aggregated, flushed: r.lro.flushed, noDesc: r.lro.noDesc, reasons: r.lro.reasons });
    if (r.gro.enabled) b.addGro(r.gro.reasons);
    peakDma += r.peakDmaBytes; // each core's region peaks on its own
    for (const [group, values] of Object.entries(r.counters))
      if (group !== 'conservation' && group !== 'traffic' && group !== 'sender') b.counters(group, values);
  }
  b.peakDmaBytes(peakDma);
  // a flow's packets all reach the core its 4-tuple hashes to: its verdict is that core's (a flow no core saw: core 0's)
  const flows: (FlowReport & { name: string })[] = [];
  for (const name of Object.keys(first.flows)) {
    const seen = reports
      .map((r) => r.flows[name])
      .filter((f) => f !== undefined && f.segmentsIn + f.packetsToStack > 0);
    if (seen.length <= 1) flows.push({ name, ...(seen[0] ?? first.flows[name]!) });
    else
      flows.push({
        name,
        bytesDelivered: seen.reduce((a, f) => a + f!.bytesDelivered, 0),
        segmentsIn: seen.reduce((a, f) => a + f!.segmentsIn, 0),
        packetsToStack: seen.reduce((a, f) => a + f!.packetsToStack, 0),
        acksSent: seen.reduce((a, f) => a + f!.acksSent, 0),
        byteStreamOk: false, // one stream cut between cores' sockets
      });
  }
  const missing = first.missingFlows.filter((m) => reports.every((r) => r.missingFlows.includes(m)));
  const unexpected = [...new Set(reports.flatMap((r) => r.unexpectedFlows))];
  b.flows(flows, missing, unexpected).bytesDelivered(reports.reduce((a, r) => a + r.bytesDelivered, 0));
  const cpu = first.cpu;
  b.cpu(
    {
      profile: cpu.profile,
      hz: cpu.hz,
      cycles: reports.reduce((a, r) => a + r.cpu.cycles, 0),
      byKind: sumRecords(reports.map((r) => r.cpu.byKind)),
      busyNs: reports.reduce((a, r) => a + r.cpu.busyNs, 0),
    } as never,
    cpu.hz * c.cpus,
  );
  b.latency(LatencyRecorder.merged(cores.map((p) => p.latency)));
  const front = parts.map((p) => p.front);
  if (front[0]!.traffic !== undefined) {
    b.counters(
      'traffic',
      mergeFront(
        'traffic',
        front.map((f) => f.traffic),
      ),
    );
    b.counters(
      'sender',
      mergeFront(
        'sender',
        front.map((f) => f.sender),
      ),
    );
  }
  if (front[0]!.replay !== undefined) {
    const replay = mergeFront(
      'replay',
      front.map((f) => f.replay),
    );
    b.counters('replay', replay);
    b.counters('capture', {
      headerOnlyFrames: replay['extended'] ?? 0,
      checksumsUnverifiable: replay['unverifiable'] ?? 0,
    });
  }
  const report = b.build();
  // utilisation over the host's cores (each core's busy time against the run's length)
  report.cpu.utilisation = report.durationNs > 0 ? report.cpu.busyNs / (report.durationNs * c.cpus) : 0;
  for (const p of cores)
    for (const [local, occ] of Object.entries(p.report.ringOccupancy))
      report.ringOccupancy[String(owned[p.core]![Number(local)]!)] = occ;
  report.ringOccupancy = Object.fromEntries(Object.entries(report.ringOccupancy).sort((x, y) => +x[0] - +y[0]));
  const k = cores.map((p) => p.conservation);
  const sum = (f: (x: RunResult['conservation']) => number) => k.reduce((a, x) => a + f(x), 0);
  const conservation = {
    offered: sum((x) => x.offered),
    nicDrops: sum((x) => x.nicDrops),
    driverDrops: sum((x) => x.driverDrops),
    delivered: sum((x) => x.delivered),
    held: sum((x) => x.held),
    ok: false,
  };
  conservation.ok =
    conservation.offered ===
    conservation.nicDrops + conservation.driverDrops + conservation.delivered + conservation.held;
  report.counters['conservation'] = { ...conservation, ok: conservation.ok ? 1 : 0 };
  return { report, conservation };
}

function sumRecords(rs: readonly Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rs) for (const [k, v] of Object.entries(r)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/**
 * `--out` of a run on several cores: the cores' packets in the order the host's stacks received them (by time; at
 * equal times the lower core first), each on the interface of its queue of the whole NIC (pcapng). The cores' files
 * are removed.
 */
export function mergeCoreCaptures(input: LabConfig, parts: readonly CoresPart[], out: OutputOptions): void {
  const c = parseMulticoreConfig(input);
  const { queues, owned } = queueGroups(c);
  const cores = parts.flatMap((p) => p.cores).sort((a, b) => a.core - b.core);
  const format = out.format ?? (out.path.toLowerCase().endsWith('.pcapng') ? 'pcapng' : 'pcap');
  const w = CaptureWriter.open(out.path, {
    format,
    nanosecond: true,
    snaplen: out.snaplen,
    ...(format === 'pcapng'
      ? { interfaces: queues, interfaceNames: Array.from({ length: queues }, (_, q) => `rx${q}`) }
      : {}),
  });
  const readers = cores.map((p) => ({ core: p.core, it: readCapture(p.outPath!)[Symbol.iterator]() }));
  const heads = readers.map((r) => r.it.next());
  try {
    for (;;) {
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i]!;
        if (h.done) continue;
        if (best < 0) best = i;
        else {
          const a = h.value,
            b = heads[best]!.value as CaptureRecord;
          if (a.tsSec < b.tsSec || (a.tsSec === b.tsSec && a.tsNsec < b.tsNsec)) best = i;
        }
      }
      if (best < 0) break;
      const r = heads[best]!.value as CaptureRecord;
      const q = owned[readers[best]!.core]![r.interfaceId]!;
      w.write({
        tsSec: r.tsSec,
        tsNsec: r.tsNsec,
        data: r.data,
        origLen: r.origLen,
        ...(format === 'pcapng' && q > 0 ? { interfaceId: q } : {}),
      });
      heads[best] = readers[best]!.it.next();
    }
  } finally {
    w.close();
  }
}

/** Every core in this thread: the reference a worker run is held to (the same parts, the same merge). */
export function runMulticore(
  input: LabConfig,
  opts: { out?: OutputOptions; records?: Iterable<CaptureRecord> } = {},
): { report: RunReport; conservation: RunResult['conservation'] } {
  const c = parseMulticoreConfig(input);
  const part = runCores(input, undefined, {
    ...(opts.out !== undefined
      ? { outPathOf: corePath(opts.out.path), snaplen: opts.out.snaplen ?? inputSnaplen(c, opts.records) }
      : {}),
    ...(opts.records !== undefined ? { records: opts.records } : {}),
  });
  if (opts.out !== undefined) finishCaptures(input, [part], opts.out);
  return mergeCores(input, [part]);
}

/** Where core c's packets go before the merge: beside the output file. */
export function corePath(out: string): (core: number) => string {
  return (core) => `${out}.core${core}.part`;
}

/** Merges the cores' captures into `out` and removes them. */
export function finishCaptures(input: LabConfig, parts: readonly CoresPart[], out: OutputOptions): void {
  try {
    mergeCoreCaptures(input, parts, out);
  } finally {
    for (const p of parts)
      for (const core of p.cores) if (core.outPath !== undefined) rmSync(core.outPath, { force: true });
  }
}
