// The frame fuzzer as a library: builds cases (valid TCP flows with hostile frames mixed in), runs
// each through a model × driver × engine with runLab, and checks the invariants: no exception,
// frame conservation at the NIC/driver, skb conservation in the stack, every drop in a named
// counter, and the valid flows' byte streams intact. Same seed ⇒ same cases ⇒ same figures.
import { Prng } from '../sim/prng.ts';
import { flowName } from '../wire/flow.ts';
import type { CaptureRecord } from '../tap/index.ts';
import { CaptureStreams } from '../traffic/index.ts';
import { FrameLayout, layoutFrame } from '../wire/index.ts';
import { runLab, type LabConfig, type RunResult } from '../lab/run.ts';
import { listDrivers, DriverOptionsSchema, ENGINES, type Engine } from '../drivers/index.ts';
import { modelCapabilities } from '../hw-models/registry.ts';
import { HOSTILE_KINDS, hostileFrame, touchesValidFlow, validFlows, type HostileKind } from './frames.ts';

/** One model × driver × engine (plus the options it needs) the fuzzer runs. */
export interface Combo {
  model: string;
  driver: string;
  engine: Engine;
  softwareChecksum?: boolean;
}

export function comboName(c: Combo): string {
  return `${c.model}/${c.driver}/${c.engine}${c.softwareChecksum === true ? '+swcsum' : ''}`;
}

/** Every registered driver on every model it is written for, with every engine it supports (e1000 LRO with software checksums). */
export function allCombos(): Combo[] {
  const out: Combo[] = [];
  for (const d of listDrivers()) {
    for (const m of d.models) {
      const caps = modelCapabilities(m);
      if (caps === undefined) continue;
      for (const engine of ENGINES) {
        if (d.support(engine, caps, DriverOptionsSchema.parse({ engine })).ok)
          out.push({ model: m, driver: d.name, engine });
        else if (d.support(engine, caps, DriverOptionsSchema.parse({ engine, softwareChecksum: true })).ok) {
          out.push({ model: m, driver: d.name, engine, softwareChecksum: true });
        }
      }
    }
  }
  return out;
}

export interface CaseSpec {
  seed: number;
  combo: Combo;
  /** Frames in the case (valid + hostile). */
  frames: number;
  /** Share of hostile frames. */
  hostileShare: number;
  /** Hostile kinds to draw from (default: all). */
  kinds?: readonly HostileKind[];
  /** Extra hostile frames placed first (tests: a specific frame through every combo). */
  extra?: readonly Uint8Array[];
}

export interface CaseResult {
  spec: CaseSpec;
  framesOffered: number;
  hostile: Partial<Record<HostileKind | PoisonKind, number>>;
  validFrames: number;
  validFlows: number;
  validFlowsIntact: number;
  /** Drops by counter name (NIC, driver and stack counters, as the report lists them). */
  drops: Record<string, number>;
  /** Invariants that failed, one line each; empty when the case passed. */
  failures: string[];
  result?: RunResult;
}

/** Every inet_lro quirk switched off (lro/README.md): the fixed engine gets fuzzed too. */
const QUIRKS_FIXED = {
  inbandVlanLength: false,
  fragsDropVlanTag: false,
  flowKeyIgnoresVlan: false,
  maxAggrAfterAppend: false,
  gsoSizeOnly: false,
  lossyMerge: false,
  bypassSetsIpSummed: false,
};

/** 20 µs apart: with --batch timestamps the receive path keeps up, so no valid frame is missed. */
const FRAME_GAP_NS = 20_000;

function record(index: number, data: Uint8Array): CaptureRecord {
  const t = index * FRAME_GAP_NS;
  return {
    index,
    offset: 0,
    tsSec: Math.floor(t / 1e9),
    tsNsec: t % 1e9,
    data,
    origLen: data.length,
    interfaceId: 0,
    linktype: 1,
  };
}

/** Damaged copies of a valid segment the fuzzer also sends: a flipped payload byte (stale checksum), a cut, a plain repeat. */
export const POISON_KINDS = ['flow-corrupt', 'flow-truncated', 'flow-duplicate'] as const;
export type PoisonKind = (typeof POISON_KINDS)[number];

function poisonedCopy(rng: Prng, f: Uint8Array, kind: PoisonKind): Uint8Array {
  const L = new FrameLayout();
  layoutFrame(f, 0, f.length, L);
  const pay = L.isTcp ? L.payload : -1;
  if (kind === 'flow-duplicate' || pay < 0 || pay >= f.length) return f.slice();
  if (kind === 'flow-corrupt') {
    const c = f.slice();
    const at = pay + rng.int(f.length - pay);
    c[at] = c[at]! ^ (1 + rng.int(255));
    return c;
  }
  return f.slice(0, pay + rng.int(f.length - pay));
}

/** Builds the records of a case: valid flows' segments in order, hostile frames interleaved at random. */
export function buildCase(spec: CaseSpec): {
  records: CaptureRecord[];
  hostile: Partial<Record<HostileKind | PoisonKind, number>>;
  validFrames: number;
  streams: CaptureStreams;
  flows: number;
} {
  const rng = new Prng(spec.seed);
  const kinds = spec.kinds ?? HOSTILE_KINDS;
  const nHostile = Math.round(spec.frames * spec.hostileShare) - (spec.extra?.length ?? 0);
  const nValid = Math.max(0, spec.frames - Math.max(0, nHostile) - (spec.extra?.length ?? 0));
  const nFlows = nValid === 0 ? 0 : 1 + rng.int(Math.min(12, nValid));
  const flows = validFlows(rng.fork(), nFlows, nValid);
  const hrng = rng.fork();
  const streams = new CaptureStreams();
  const records: CaptureRecord[] = [];
  const hostile: Partial<Record<HostileKind | PoisonKind, number>> = {};
  for (const e of spec.extra ?? []) records.push(record(records.length, e));
  const next = flows.map(() => 0);
  let validLeft = nValid,
    hostileLeft = Math.max(0, nHostile);
  let lastValid: Uint8Array | undefined;
  while (validLeft + hostileLeft > 0) {
    if (hrng.int(validLeft + hostileLeft) < hostileLeft) {
      if (lastValid !== undefined && spec.kinds === undefined && hrng.chance(0.1)) {
        // a damaged or repeated copy of a valid segment, on the valid flow's own 4-tuple: it must be dropped
        // (or, for the repeat, counted as a duplicate) without disturbing the flow's byte stream
        const kind = POISON_KINDS[hrng.int(POISON_KINDS.length)]!;
        records.push(record(records.length, poisonedCopy(hrng, lastValid, kind)));
        hostile[kind] = (hostile[kind] ?? 0) + 1;
        hostileLeft--;
        continue;
      }
      const kind = kinds[hrng.int(kinds.length)]!;
      let f = hostileFrame(hrng, kind);
      while (touchesValidFlow(f, nFlows)) f = hostileFrame(hrng, kind);
      hostile[kind] = (hostile[kind] ?? 0) + 1;
      records.push(record(records.length, f));
      hostileLeft--;
    } else {
      let fi = hrng.int(nFlows);
      while (next[fi]! >= flows[fi]!.frames.length) fi = (fi + 1) % nFlows;
      const f = flows[fi]!.frames[next[fi]!++]!;
      lastValid = f;
      streams.addFrame(f, f.length);
      records.push(record(records.length, f));
      validLeft--;
    }
  }
  return { records, hostile, validFrames: nValid, streams, flows: nFlows };
}

/** Runs one case and checks every invariant. */
export function runCase(spec: CaseSpec, lab: Partial<LabConfig> = {}, keepResult = false): CaseResult {
  const built = buildCase(spec);
  const expectations = built.streams.expectedFlows();
  const out: CaseResult = {
    spec,
    framesOffered: built.records.length,
    hostile: built.hostile,
    validFrames: built.validFrames,
    validFlows: expectations.length,
    validFlowsIntact: 0,
    drops: {},
    failures: [],
  };
  const rng = new Prng(spec.seed ^ 0x5bd1e995);
  const c = spec.combo;
  const pollBudget = [1, 7, 64, 300, 100_000][rng.int(5)]!;
  const config: LabConfig = {
    model: c.model,
    driver: c.driver,
    engine: c.engine,
    // most cases fill the rings before the first poll; some arrive at their times (interrupts, moderation, small polls)
    batch: rng.chance(0.3) ? 'timestamps' : 'all',
    pollBudget,
    // the cases are built for MTU 1500 (giants must stay oversize): not the replay default, which follows the largest frame
    mtu: 1500,
    ...(c.softwareChecksum === true ? { softwareChecksum: true } : {}),
    ...(c.engine === 'lro' && rng.chance(0.3) ? { maxDesc: 1 + rng.int(3), maxAggr: 1 + rng.int(64) } : {}),
    ...(c.engine === 'lro' && rng.chance(0.2) ? { lroQuirks: QUIRKS_FIXED } : {}),
    // netif_rx delivery (LRO_F_NAPI clear; GRO needs NAPI), one queue, polls no larger than the backlog weight (64):
    // more queues or larger polls outrun the 1000-skb backlog, it overflows (backlog_drop, counted) and a replay
    // cannot resend what it dropped
    ...(c.engine !== 'gro' && pollBudget <= 64 && rng.chance(0.2) ? { nonNapi: true, queues: 1 } : {}),
    capture: { path: `fuzz-case-${spec.seed}` },
    ...lab,
  };
  let r: RunResult;
  try {
    r = runLab(config, { records: built.records, expectations });
  } catch (e) {
    const err = e as Error;
    out.failures.push(
      `exception: ${err.name}: ${err.message} ${(err.stack ?? '')
        .split('\n')
        .slice(1, 4)
        .map((s) => s.trim())
        .join(' ')}`,
    );
    return out;
  }
  if (keepResult) out.result = r;
  const rep = r.report;
  out.drops = { ...rep.drops };
  const cons = r.conservation;
  if (!cons.ok)
    out.failures.push(
      `conservation: offered ${cons.offered} ≠ nic ${cons.nicDrops} + driver ${cons.driverDrops} + delivered ${cons.delivered} + held ${cons.held}`,
    );
  if (cons.offered !== built.records.length)
    out.failures.push(`offered ${cons.offered} frames to the NIC, the case had ${built.records.length}`);
  if (cons.held !== 0) out.failures.push(`driver still holds ${cons.held} frames after the run`);
  const st = r.stack.stats;
  const held = r.stack.held;
  if (st.skbsIn !== st.consumed + st.dropped + held) {
    out.failures.push(
      `stack conservation: skbsIn ${st.skbsIn} ≠ consumed ${st.consumed} + dropped ${st.dropped} + held ${held}`,
    );
  }
  // every drop counter the report lists must be a named, non-negative integer
  for (const [k, v] of Object.entries(rep.drops))
    if (!Number.isInteger(v) || v < 0 || k === '') out.failures.push(`drop counter '${k}' = ${v}`);
  const byName = new Map(rep.flows !== undefined ? Object.entries(rep.flows) : []);
  for (const e of expectations) {
    const name = flowName(e.key);
    const f = byName.get(name) as { byteStreamOk?: boolean } | undefined;
    if (f?.byteStreamOk === true && !rep.missingFlows.includes(name)) out.validFlowsIntact++;
    else out.failures.push(`byte stream of valid flow ${name} not intact`);
  }
  return out;
}

export interface FuzzOptions {
  frames: number;
  seed: number;
  /** Frames per case (default 2000). */
  caseFrames?: number;
  hostileShare?: number;
  combos?: Combo[];
  onProgress?: (done: number, total: number) => void;
}

export interface FuzzSummary {
  seed: number;
  frames: number;
  cases: number;
  combos: string[];
  hostileFrames: number;
  hostileByKind: Record<string, number>;
  validFrames: number;
  validFlows: number;
  validFlowsIntact: number;
  dropsByReason: Record<string, number>;
  failures: { seed: number; combo: string; failure: string }[];
  failedCases: number;
}

/** Runs `frames` frames of fuzz cases round-robin over the combos. */
export function fuzz(o: FuzzOptions): FuzzSummary {
  const combos = o.combos ?? allCombos();
  const per = o.caseFrames ?? 2000;
  const share = o.hostileShare ?? 0.5;
  const rng = new Prng(o.seed);
  const s: FuzzSummary = {
    seed: o.seed,
    frames: 0,
    cases: 0,
    combos: combos.map(comboName),
    hostileFrames: 0,
    hostileByKind: {},
    validFrames: 0,
    validFlows: 0,
    validFlowsIntact: 0,
    dropsByReason: {},
    failures: [],
    failedCases: 0,
  };
  for (const k of [...HOSTILE_KINDS, ...POISON_KINDS]) s.hostileByKind[k] = 0;
  while (s.frames < o.frames) {
    const n = Math.min(per, o.frames - s.frames);
    const combo = combos[s.cases % combos.length]!;
    const spec: CaseSpec = {
      seed: rng.nextU32(),
      combo,
      frames: n,
      hostileShare: Math.min(1, share * (0.25 + 1.5 * rng.next())),
    };
    const r = runCase(spec);
    s.cases++;
    s.frames += r.framesOffered;
    for (const [k, v] of Object.entries(r.hostile)) {
      s.hostileByKind[k] = (s.hostileByKind[k] ?? 0) + v;
      s.hostileFrames += v;
    }
    s.validFrames += r.validFrames;
    s.validFlows += r.validFlows;
    s.validFlowsIntact += r.validFlowsIntact;
    for (const [k, v] of Object.entries(r.drops)) s.dropsByReason[k] = (s.dropsByReason[k] ?? 0) + v;
    if (r.failures.length > 0) {
      s.failedCases++;
      for (const f of r.failures.slice(0, 3))
        if (s.failures.length < 50) s.failures.push({ seed: spec.seed, combo: comboName(combo), failure: f });
    }
    o.onProgress?.(s.frames, o.frames);
    if (r.framesOffered === 0) break;
  }
  return s;
}
