// One run of the real lab, recorded event by event, and the picture it makes at any step: ring entries
// and who owns them, interrupts and polls, LRO descriptors / GRO held packets filling and flushing, the
// stack's deliveries and the running counters. The page steps a cursor through the recording.
import { runLab, type LabConfig, type RunResult } from '../lab/run.ts';
import { narrate, type FrameStory } from '../lab/narrate.ts';
import { LabEvents, type TraceEvent } from '../observe/trace.ts';
import type { CaptureRecord } from '../tap/index.ts';
import type { RunReport } from '../lab/run-report.ts';
import { LatencyRecorder } from '../observe/recorders.ts';

/** Who owns a ring entry, as the page colours it. */
export const SLOT = {
  /** The driver's: no buffer posted (write-back rings before a refill). */
  EMPTY: 0,
  /** The device's: a posted buffer, or a completion entry it may write. */
  POSTED: 1,
  /** Written by the device, published, not yet taken by the driver. */
  FILLED: 2,
  /** Taken by the driver; goes back to the device at its next doorbell (refill / consumer index). */
  CONSUMED: 3,
} as const;

export interface RingView {
  queue: number;
  name: string;
  role: 'rx-writeback' | 'completion';
  state: Uint8Array;
  /** Wire frame whose completion an entry holds (-1: none). */
  frame: Int32Array;
  /** The driver's last doorbell value. */
  doorbell: number;
  /** True when the driver hands entries back by writing them (myri10ge zeroes LENGTH), not by a doorbell. */
  returnsOnConsume: boolean;
}

export interface AggregateView {
  queue: number;
  /** LRO descriptor index, or the GRO packet's identity. */
  id: number;
  segs: number;
  bytes: number;
  frames: number[];
  /** Set when it has just flushed: the reason, in words. */
  flushed?: string;
}

/** The poll in progress (or the one that just ended). */
export interface PollView {
  queue: number;
  work: number;
  budget: number;
  number: number;
  ended: boolean;
}

/**
 * The CPU and latency figures so far, made the way the report makes the whole run's (lab/run-report.ts):
 * at the run's last event they are the report's `cpu` and `latency` figures exactly.
 */
export interface LiveFigures {
  cycles: number;
  busyNs: number;
  /** Virtual time elapsed: the latest event's, and at the end the run's duration. */
  elapsedNs: number;
  utilisation: number;
  cyclesPerKB: number | null;
  samples: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
  meanUs: number;
}

/** Counters that move as events happen (the whole run's are in the report). */
export interface LiveCounters {
  wireFrames: number;
  dma: number;
  nicDrops: number;
  irqs: number;
  polls: number;
  completions: number;
  driverDrops: number;
  held: number;
  appended: number;
  flushed: number;
  bypassed: number;
  delivered: number;
  bytesDelivered: number;
  acks: number;
  flushReasons: Record<string, number>;
}

export interface Recording {
  engine: 'lro' | 'gro' | 'off';
  lab: LabConfig;
  events: TraceEvent[];
  report: RunReport;
  result: RunResult;
  /** Per queue: the ring the completions land in. */
  rings: {
    queue: number;
    name: string;
    role: 'rx-writeback' | 'completion';
    entries: number;
    returnsOnConsume: boolean;
  }[];
  /** Index of each poll's closing event, in order. */
  pollEnds: number[];
  /** LRO descriptors per queue (max_desc), for the empty boxes. */
  maxDesc: number;
}

/** Runs one configuration with every event recorded. */
export function record(lab: LabConfig, records?: CaptureRecord[]): Recording {
  const events: TraceEvent[] = [];
  const bus = new LabEvents().on('event', (e) => {
    events.push(e);
  });
  const result = runLab(lab, records !== undefined ? { tracer: bus, records } : { tracer: bus });
  const doorbells = new Set<string>();
  const pollEnds: number[] = [];
  events.forEach((e, i) => {
    if (e.layer === 'nic' && e.what === 'doorbell') doorbells.add(`${e.queue ?? 0}/${e.ring ?? ''}`);
    if (e.layer === 'napi' && e.what === 'poll') pollEnds.push(i);
  });
  const rings: Recording['rings'] = [];
  for (let q = 0; q < result.model.queueCount; q++) {
    const all = result.model.rings(q);
    const r = all.find((x) => x.role === 'completion') ?? all.find((x) => x.role === 'rx-writeback');
    if (r === undefined) continue;
    const role = r.role === 'completion' ? 'completion' : 'rx-writeback';
    rings.push({
      queue: q,
      name: r.name,
      role,
      entries: r.entries,
      returnsOnConsume: role === 'completion' && !doorbells.has(`${q}/${r.name}`),
    });
  }
  return {
    engine: lab.engine ?? 'lro',
    lab,
    events,
    report: result.report,
    result,
    rings,
    pollEnds,
    maxDesc: lab.maxDesc ?? 8,
  };
}

/** Flush reasons in words (LRO's and GRO's counter names). */
export const FLUSH_WORDS: Readonly<Record<string, string>> = {
  all: 'end of the NAPI poll (lro_flush_all)',
  napi: 'end of the NAPI poll (napi_complete)',
  max_aggr: 'max_aggr packets reached',
  '64k': 'one more segment would pass 64 KiB',
  psh: 'PSH: the sender pushed',
  out_of_order: 'segment out of order',
  ineligible: 'a packet of this flow could not be merged',
  pkt: 'the driver flushed this flow (lro_flush_pkt)',
  frags_full: 'no room for another fragment',
  header_changed: 'a header field changed',
  fin: 'FIN',
  short: 'a short segment ends the train',
  evict: 'evicted: too many held packets',
  old: 'held too long',
  seq: 'sequence gap',
  ack: 'ACK number changed',
  not_eligible: 'a packet of this flow could not be merged',
  tcp_word: 'TCP header word changed',
  options: 'TCP options changed',
  ip_header: 'IP header changed',
  ip_id: 'IP ID not consecutive',
  larger: 'segment larger than the first',
  cwr: 'CWR',
  no_payload: 'no payload',
  flags: 'TCP flags',
};

export function flushWords(reason: string | undefined): string {
  return reason === undefined ? 'flushed' : (FLUSH_WORDS[reason] ?? reason.replace(/_/g, ' '));
}

/** The picture after the first `at` events of a recording; `advance` moves it forward. */
export class ViewState {
  at = 0;
  readonly rings: RingView[];
  readonly aggregates = new Map<string, AggregateView>();
  /** The latest frames on the wire, oldest first. */
  readonly lastWire: { frame: number; flow: string; text: string }[] = [];
  poll: PollView | null = null;
  irqPending = new Set<number>();
  readonly counters: LiveCounters = {
    wireFrames: 0,
    dma: 0,
    nicDrops: 0,
    irqs: 0,
    polls: 0,
    completions: 0,
    driverDrops: 0,
    held: 0,
    appended: 0,
    flushed: 0,
    bypassed: 0,
    delivered: 0,
    bytesDelivered: 0,
    acks: 0,
    flushReasons: {},
  };
  nowNs = 0;
  /** CPU cycles charged by the latest event. */
  cycles = 0;
  /** The run's duration once its end event is applied. */
  durationNs: number | undefined;
  /** Every delivery's latency so far, kept as the stack's own recorder keeps it. */
  readonly latency = new LatencyRecorder();
  /** The stack's latest in-order delivery to a socket (the TCP layer's words), '' before the first. */
  lastDelivery = '';
  /** The event just applied. */
  last: TraceEvent | undefined;

  constructor(readonly rec: Recording) {
    this.rings = rec.rings.map((r) => ({
      queue: r.queue,
      name: r.name,
      role: r.role,
      doorbell: 0,
      returnsOnConsume: r.returnsOnConsume,
      state: new Uint8Array(r.entries).fill(r.role === 'completion' ? SLOT.POSTED : SLOT.EMPTY),
      frame: new Int32Array(r.entries).fill(-1),
    }));
  }

  get done(): boolean {
    return this.at >= this.rec.events.length;
  }

  /** Applies the next event; false at the end. */
  step(): boolean {
    const e = this.rec.events[this.at];
    if (e === undefined) return false;
    this.at++;
    this.apply(e);
    return true;
  }

  /** Up to and including the next poll's end; false at the end. */
  stepPoll(): boolean {
    while (this.step()) if (this.last?.layer === 'napi' && this.last.what === 'poll') return true;
    return false;
  }

  toEnd(): void {
    while (this.step()) {
      /* the whole recording */
    }
  }

  private ring(e: TraceEvent): RingView | undefined {
    return this.rings.find((r) => r.queue === (e.queue ?? 0) && r.name === e.ring);
  }

  private apply(e: TraceEvent): void {
    this.last = e;
    if (e.t > this.nowNs) this.nowNs = e.t;
    if (e.cycles !== undefined) this.cycles = e.cycles;
    const c = this.counters,
      q = e.queue ?? 0;
    switch (e.layer) {
      case 'wire':
        c.wireFrames++;
        this.lastWire.push({ frame: e.frame ?? -1, flow: flowKey(e.text), text: e.text });
        if (this.lastWire.length > 48) this.lastWire.shift();
        return;
      case 'nic': {
        const r = this.ring(e);
        if (e.what === 'dma') {
          c.dma++;
          if (r !== undefined && e.slot !== undefined) this.mark(r, e.slot, e.slots ?? 1, SLOT.FILLED, e.frame ?? -1);
        } else if (e.what === 'drop') c.nicDrops++;
        else if (e.what === 'doorbell' && r !== undefined && e.slot !== undefined) {
          const n = r.state.length,
            from = r.doorbell;
          const count = (e.slot - from + n) % n;
          this.mark(r, from, count, SLOT.POSTED, -1);
          r.doorbell = e.slot;
        }
        return;
      }
      case 'napi':
        if (e.what === 'irq') {
          c.irqs++;
          this.irqPending.add(q);
        } else if (e.what === 'poll') {
          c.polls++;
          this.poll = { queue: q, work: e.work ?? 0, budget: e.budget ?? 0, number: c.polls, ended: true };
        }
        return;
      case 'driver': {
        this.irqPending.delete(q);
        if (e.what === 'completion') c.completions++;
        else c.driverDrops++;
        const p = this.poll;
        if (p === null || p.ended || p.queue !== q)
          this.poll = { queue: q, work: 1, budget: this.rec.lab.pollBudget ?? 64, number: c.polls + 1, ended: false };
        else p.work++;
        const r = this.ring(e);
        if (r !== undefined && e.slot !== undefined)
          this.mark(r, e.slot, e.slots ?? 1, r.returnsOnConsume ? SLOT.POSTED : SLOT.CONSUMED, -1);
        return;
      }
      case 'lro':
      case 'gro': {
        const key = `${q}/${e.desc ?? -1}`;
        if (e.what === 'held') {
          c.held++;
          for (const [k, a] of this.aggregates)
            if (a.flushed !== undefined && a.queue === q && (e.layer === 'gro' || a.id === e.desc))
              this.aggregates.delete(k);
          this.aggregates.set(key, {
            queue: q,
            id: e.desc ?? -1,
            segs: e.segs ?? 1,
            bytes: e.bytes ?? 0,
            frames: e.frame !== undefined ? [e.frame] : [],
          });
        } else if (e.what === 'appended' || e.what === 'merged') {
          c.appended++;
          const a = this.aggregates.get(key);
          if (a !== undefined) {
            a.segs = e.segs ?? a.segs + 1;
            a.bytes = e.bytes ?? a.bytes;
            if (e.frame !== undefined) a.frames.push(e.frame);
          }
        } else if (e.what === 'flushed') {
          c.flushed++;
          const r = e.reason ?? '?';
          c.flushReasons[r] = (c.flushReasons[r] ?? 0) + 1;
          const a = this.aggregates.get(key);
          if (a !== undefined) {
            a.segs = e.segs ?? a.segs;
            a.bytes = e.bytes ?? a.bytes;
            a.flushed = flushWords(e.reason);
          }
        } else if (e.what === 'bypass' || e.what === 'pass') c.bypassed++;
        return;
      }
      case 'stack':
      case 'tcp':
        if (e.layer === 'tcp' && e.what === 'ack') c.acks++;
        if (e.layer === 'tcp' && e.what === 'deliver') {
          c.delivered++;
          c.bytesDelivered += e.bytes ?? 0;
          this.lastDelivery = e.text;
          const l = e.latency ?? [];
          for (let k = 0; k + 1 < l.length; k += 2) this.latency.record(l[k]!, l[k + 1]!);
        }
        return;
      case 'lab':
        if (e.what === 'end') this.durationNs = e.t;
        return;
      default:
        return;
    }
  }
  /** CPU time and utilisation over the virtual time so far, and the latency percentiles of the deliveries so far. */
  figures(): LiveFigures {
    const busyNs = this.cycles * (1e9 / this.rec.report.cpu.hz);
    const elapsedNs = this.durationNs ?? this.nowNs;
    const bytes = this.counters.bytesDelivered;
    const l = this.latency;
    const [p50, p99] = l.percentiles([50, 99]);
    return {
      cycles: this.cycles,
      busyNs,
      elapsedNs,
      utilisation: elapsedNs > 0 ? busyNs / elapsedNs : 0,
      cyclesPerKB: bytes > 0 ? this.cycles / (bytes / 1024) : null,
      samples: l.count,
      p50Us: p50! / 1000,
      p99Us: p99! / 1000,
      maxUs: l.max / 1000,
      meanUs: l.count > 0 ? l.sum / l.count / 1000 : 0,
    };
  }

  private mark(r: RingView, from: number, count: number, state: number, frame: number): void {
    const n = r.state.length;
    for (let k = 0; k < count; k++) {
      const s = (from + k) % n;
      r.state[s] = state;
      if (state === SLOT.FILLED) r.frame[s] = frame;
    }
  }
}

/** "a.p > b.q" of a tcpdump line, the colour key of a frame. */
export function flowKey(text: string): string {
  const m = /(\d+\.\d+\.\d+\.\d+\.\d+ > \d+\.\d+\.\d+\.\d+\.\d+)/.exec(text);
  return m?.[1] ?? text.split(',')[0] ?? '';
}

/** The narration `vnic trace` prints, for chosen frames of a recording. */
export function storiesOf(rec: Recording, frames: number[]): FrameStory[] {
  if (frames.length === 0) return [];
  const from = Math.min(...frames),
    to = Math.max(...frames);
  const want = new Set(frames);
  return narrate(rec.events, { from, count: to - from + 1 }).filter((s) => want.has(s.frame));
}

/**
 * Lanes (one recording each, on the same traffic) stepped in virtual-time lockstep: every step applies
 * the earliest next event of any lane, so side by side the lanes show the same moment of the run.
 */
export class Lockstep {
  constructor(readonly views: readonly ViewState[]) {}

  get done(): boolean {
    return this.views.every((v) => v.done);
  }

  /**
   * Where a lane's clock stands once its next event is applied. A lane's events are not strictly in
   * time order (work the CPU finishes later is told when it is charged), so its clock is the latest
   * time applied so far.
   */
  static nextTime(v: ViewState): number {
    const e = v.rec.events[v.at];
    return e === undefined ? Number.POSITIVE_INFINITY : Math.max(v.nowNs, e.t);
  }

  /** The lane whose clock moves least with its next event (the first lane on a tie). */
  private next(): ViewState | undefined {
    let best: ViewState | undefined;
    let bestT = Number.POSITIVE_INFINITY;
    for (const v of this.views) {
      const t = Lockstep.nextTime(v);
      if (t < bestT) {
        best = v;
        bestT = t;
      }
    }
    return best;
  }

  /** The next event in virtual time, of whichever lane it belongs to; false at the end. */
  step(): boolean {
    return this.next()?.step() ?? false;
  }

  /** Up to the next poll's end in any lane (the others keep pace); false at the end. */
  stepPoll(): boolean {
    for (let v = this.next(); v !== undefined; v = this.next()) {
      v.step();
      if (v.last?.layer === 'napi' && v.last.what === 'poll') return true;
    }
    return false;
  }

  toEnd(): void {
    for (const v of this.views) v.toEnd();
  }
}
