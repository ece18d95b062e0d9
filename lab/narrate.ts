// Turns a run's events into a per-frame story (for `vnic trace` and the playground): which ring entry a
// frame landed in, which NAPI poll took it, what LRO/GRO decided and why, and what the stack did with
// it. Events are grouped by the frame index the NIC gave them; CPU-side events without one (flushes at
// the end of a poll, deliveries, ACKs) belong to the frame the driver was working on when they happened.
import type { LabEvents, TraceEvent } from '../observe/trace.ts';
import { reasonExplanations } from '../lro/reasons.ts';

/** What a line says about the frame, for colour and for tests. */
export type Verdict = 'info' | 'merge' | 'open' | 'flush' | 'bypass' | 'drop' | 'deliver' | 'ooo' | 'ack';

export interface StoryLine {
  /** Column label: wire, nic, irq, driver, napi, lro, gro, stack, tcp, link. */
  layer: string;
  verdict: Verdict;
  text: string;
  /** One-time explanation of a reason, shown the first time it occurs. */
  why?: string;
}

export interface FrameStory {
  frame: number;
  /** The frame as tcpdump would print it (relative TCP sequence numbers), when the NIC saw it. */
  wire?: string;
  lines: StoryLine[];
  /** The events narrated for this frame, as emitted. */
  events: TraceEvent[];
  /** The frame's TCP/UDP flow ("a:p>b:q"), when it has one. */
  flow?: string;
}

export interface NarrateOptions {
  /** First frame to narrate. */
  from: number;
  /** How many frames. */
  count: number;
}

/**
 * A subscriber that stops keeping events once the CPU is past the frames to narrate (the poll that took
 * the last one has ended), so a long run keeps a bounded log. It stays subscribed: the run is unchanged.
 */
export class TraceWindow {
  readonly events: TraceEvent[] = [];
  private pastEnd = false;
  private done = false;
  /** Frames of the window the NIC has completed and the driver has not taken yet. */
  private readonly outstanding = new Set<number>();
  constructor(private readonly end: number) {}
  /** Subscribes to a run's events; returns them, to pass as the run's tracer. */
  subscribeTo(events: LabEvents): LabEvents {
    return events.on('event', (e) => this.take(e));
  }
  take(e: TraceEvent): void {
    if (this.done) return;
    const f = e.frame;
    if (f !== undefined && f >= this.end && (e.layer === 'wire' || e.layer === 'nic')) return;
    if (e.layer === 'nic' && e.what === 'dma' && f !== undefined) this.outstanding.add(f);
    if (e.layer === 'driver' && f !== undefined) {
      this.outstanding.delete(f);
      if (f >= this.end) this.pastEnd = true;
    }
    this.events.push(e);
    if (this.pastEnd && this.outstanding.size === 0 && e.layer === 'napi' && e.what === 'poll') this.done = true;
  }
}

interface PollInfo {
  number: number;
  name: string;
  work: number;
  weight: number;
  index: number;
}

/** Why a reason happens, said once per trace (the LRO and GRO reasons' own from lro/reasons.ts). */
const EXPLAIN: Record<string, string> = {
  'lro/held':
    'inet_lro keeps one descriptor per flow; the first in-order segment opens it and later ones are appended to it',
  ...reasonExplanations(),
  'gro/held': 'GRO holds a packet per flow until the end of the NAPI poll and merges the following ones into it',
  'tcp/ofo': 'the segment starts beyond rcv_nxt: TCP queues it and sends a duplicate ACK',
  'tcp/now': 'TCP acknowledges at least every second full-sized segment (counted per segment in an aggregate)',
  'tcp/quick':
    'a new connection starts in quick-ack mode (Linux: up to 16 ACKs), so the sender gets its first ACKs at once',
  'tcp/answer': 'a request/response application answers at once, and the answer carries the ACK',
  'tcp/delayed': 'nothing more arrived within the delayed-ACK time: the timer sends the ACK',
  'tcp/dup': 'a duplicate ACK tells the sender which byte is missing',
};

/** Narrates frames [from, from + count) of a trace. */
export function narrate(events: readonly TraceEvent[], opts: NarrateOptions): FrameStory[] {
  const end = opts.from + opts.count;
  const polls = assignPolls(events);
  const stories = new Map<number, FrameStory>();
  const story = (f: number): FrameStory | undefined => {
    if (f < opts.from || f >= end) return undefined;
    let s = stories.get(f);
    if (s === undefined) {
      s = { frame: f, lines: [], events: [] };
      stories.set(f, s);
    }
    return s;
  };
  const seqBase = new Map<string, number>();
  const explained = new Set<string>();
  const explain = (key: string): string | undefined => {
    if (explained.has(key) || EXPLAIN[key] === undefined) return undefined;
    explained.add(key);
    return EXPLAIN[key];
  };
  /** LRO descriptor (queue/index) → the frames in its session. */
  const sessions = new Map<string, number[]>();
  let cpu = -1;
  const pendingLink: TraceEvent[] = [];
  /** An interrupt is shown with the first frame the poll it scheduled takes. */
  const pendingIrq = new Map<number, TraceEvent>();

  events.forEach((e, i) => {
    const add = (f: number, line: StoryLine) => {
      const s = story(f);
      if (s === undefined) return;
      s.lines.push(line);
      s.events.push(e);
    };
    const line = (layer: string, verdict: Verdict, text: string, key?: string): StoryLine => {
      const why = key !== undefined ? explain(key) : undefined;
      return why !== undefined ? { layer, verdict, text, why } : { layer, verdict, text };
    };
    switch (e.layer) {
      case 'wire': {
        if (e.frame === undefined) return;
        const s = story(e.frame);
        const w = relativeWire(e.text, seqBase);
        if (s !== undefined) {
          s.wire = w;
          const fl = flowOf(e.text);
          if (fl !== undefined) s.flow = fl;
          s.events.push(e);
          for (const l of pendingLink) {
            s.lines.push({
              layer: 'link',
              verdict: l.what === 'drop' ? 'drop' : 'info',
              text: `before this frame: ${l.text} (the sender's numbering)`,
            });
            s.events.push(l);
          }
        }
        pendingLink.length = 0;
        return;
      }
      case 'traffic':
        // the link partner's events (losses, reordering) concern frames the NIC has not seen yet
        pendingLink.push(e);
        return;
      case 'nic':
        if (e.frame === undefined) return;
        if (e.what === 'dma') add(e.frame, line('nic', 'info', nicText(e.text)));
        // a forwarding host's egress NIC: the frame that left for the one it came from
        else if (e.what === 'tx') add(e.frame, line('egress', 'deliver', e.text));
        else add(e.frame, line('nic', 'drop', `dropped (${e.reason ?? e.what}): ${stripModel(e.text)}`));
        return;
      case 'napi':
        if (e.what === 'irq') {
          pendingIrq.set(e.queue ?? 0, e);
          return;
        }
        if (e.what === 'poll') {
          const m = /^(\S+) polled: (\d+)\/(\d+)/.exec(e.text);
          const p = polls.get(i);
          if (m !== null && cpu >= 0) {
            const used = Number(m[2]),
              weight = Number(m[3]);
            add(
              cpu,
              line(
                'napi',
                'info',
                `poll ${p?.number ?? '?'} of ${m[1]} ends: ${used} of its budget ${weight} used${used < weight ? ' (napi_complete: the interrupt is re-armed)' : ' (budget exhausted: polled again)'}`,
              ),
            );
          }
          return;
        }
        if (cpu >= 0) add(cpu, line('napi', 'info', e.text));
        return;
      case 'driver': {
        if (e.frame !== undefined) cpu = e.frame;
        if (cpu < 0) return;
        const irq = pendingIrq.get(e.queue ?? 0);
        if (irq !== undefined) {
          pendingIrq.delete(e.queue ?? 0);
          const st = story(cpu);
          if (st !== undefined) {
            st.lines.push(line('irq', 'info', `${irq.text} → NAPI poll scheduled`));
            st.events.push(irq);
          }
        }
        if (e.what === 'completion') {
          add(cpu, line('driver', 'info', stripModel(e.text)));
          const p = polls.get(i);
          if (p !== undefined)
            add(
              cpu,
              line(
                'napi',
                'info',
                `poll ${p.number} of ${p.name} (budget ${p.weight}): packet ${p.index} of ${p.work} taken in this poll`,
              ),
            );
        } else add(cpu, line('driver', 'drop', `dropped (${e.reason ?? e.what}): ${stripModel(e.text)}`));
        return;
      }
      case 'lro': {
        if (e.frame !== undefined && e.what !== 'flushed') cpu = e.frame;
        if (cpu < 0) return;
        const q = e.queue ?? 0;
        const d = /descriptor (\d+)/.exec(e.text)?.[1];
        const key = `${q}/${d ?? '?'}`;
        if (e.what === 'held') {
          sessions.set(key, [cpu]);
          add(cpu, line('lro', 'open', `session opened: ${e.text.replace(/^opened /, '')}`, 'lro/held'));
        } else if (e.what === 'appended') {
          const frames = sessions.get(key);
          if (frames !== undefined) frames.push(cpu);
          else sessions.set(key, [cpu]);
          add(cpu, line('lro', 'merge', e.text));
        } else if (e.what === 'flushed') {
          const frames = sessions.get(key) ?? [];
          sessions.delete(key);
          const base = seqBase.get(stories.get(cpu)?.flow ?? '');
          let text =
            e.reason === 'all' ? e.text.replace(': flush_all,', ' at the end of the poll (lro_flush_all):') : e.text;
          if (base !== undefined)
            text = text.replace(
              /expected seq (\d+), got (\d+)/,
              (_, x: string, y: string) => `expected seq ${rel(Number(x), base)}, got ${rel(Number(y), base)}`,
            );
          add(
            cpu,
            line(
              'lro',
              'flush',
              `${text}${frames.length > 0 ? ` — frame${frames.length > 1 ? 's' : ''} ${span(frames)}` : ''}`,
              `lro/${e.reason ?? ''}`,
            ),
          );
        } else if (e.what === 'bypass') {
          add(
            cpu,
            line(
              'lro',
              'bypass',
              `${e.text.replace(/^bypassed: /, 'bypass: ')} → goes up alone`,
              `lro/${e.reason ?? ''}`,
            ),
          );
        } else add(cpu, line('lro', 'info', e.text));
        return;
      }
      case 'gro': {
        if (e.frame !== undefined && e.what !== 'flushed') cpu = e.frame;
        if (cpu < 0) return;
        const v: Verdict =
          e.what === 'held'
            ? 'open'
            : e.what === 'merged'
              ? 'merge'
              : e.what === 'flushed'
                ? 'flush'
                : e.what === 'pass'
                  ? 'bypass'
                  : 'info';
        add(cpu, line('gro', v, e.text, e.what === 'held' ? 'gro/held' : undefined));
        return;
      }
      case 'tcp': {
        if (cpu < 0) return;
        const own = stories.get(cpu)?.flow;
        if (e.what === 'deliver')
          add(cpu, line('stack', 'deliver', `delivered in order: ${deliverText(relativeTcp(e.text, seqBase, own))}`));
        else if (e.what === 'ofo')
          add(
            cpu,
            line(
              'stack',
              'ooo',
              relativeTcp(e.text, seqBase, own)
                .replace(/\((\d+) bytes, 1 segs\)$/, '($1 bytes, 1 segment)')
                .replace(/ segs\)$/, ' segments)'),
              'tcp/ofo',
            ),
          );
        else if (e.what === 'ack')
          add(
            cpu,
            line(
              'tcp',
              'ack',
              `ACK sent: ${relativeTcp(e.text, seqBase, own)
                .replace(/ \((now|quick|answer|dup|delayed)\)$/, '')
                .replace(/\bACK (\d+)/, 'ack $1')} (${ackWhy(e.reason)})`,
              `tcp/${e.reason ?? ''}`,
            ),
          );
        else if (e.what === 'drop') add(cpu, line('stack', 'drop', `dropped: ${e.reason ?? e.text}`));
        else add(cpu, line('tcp', 'info', e.text));
        return;
      }
      case 'stack':
        // ip_forward and GSO name the (first) frame of the packet they handle
        if ((e.what === 'forward' || e.what === 'gso') && e.frame !== undefined) {
          add(e.frame, line('forward', 'info', e.text));
          return;
        }
        if (cpu < 0) return;
        if (e.what === 'drop') add(cpu, line('stack', 'drop', `dropped: ${e.reason ?? e.text}`));
        else if (e.what === 'deliver')
          add(
            cpu,
            line(
              'stack',
              'deliver',
              e.text.replace(/^IPv4 protocol (\d+)/, (_, n: string) => `${PROTO_NAMES[n] ?? `IPv4 protocol ${n}`}`),
            ),
          );
        else add(cpu, line('stack', 'info', e.text));
        return;
    }
  });
  return [...stories.values()].sort((a, b) => a.frame - b.frame);
}

/** Completion events (by index in `events`) → the poll that took them, from the poll events that end each poll. */
function assignPolls(events: readonly TraceEvent[]): Map<number, PollInfo> {
  const out = new Map<number, PollInfo>();
  const pending = new Map<number, number[]>();
  const count = new Map<number, number>();
  events.forEach((e, i) => {
    const q = e.queue ?? 0;
    if (e.layer === 'driver' && e.what === 'completion') {
      let l = pending.get(q);
      if (l === undefined) {
        l = [];
        pending.set(q, l);
      }
      l.push(i);
    } else if (e.layer === 'napi' && e.what === 'poll') {
      const m = /^(\S+) polled: (\d+)\/(\d+)/.exec(e.text);
      const n = (count.get(q) ?? 0) + 1;
      count.set(q, n);
      const l = pending.get(q) ?? [];
      const info = { number: n, name: m?.[1] ?? `queue ${q}`, work: l.length, weight: Number(m?.[3] ?? 0) };
      l.forEach((ev, k) => out.set(ev, { ...info, index: k + 1 }));
      pending.set(q, []);
      out.set(i, { ...info, index: 0 });
    }
  });
  return out;
}

const PROTO_NAMES: Record<string, string> = { '1': 'ICMP', '17': 'UDP', '6': 'TCP' };

function span(frames: number[]): string {
  if (frames.length === 1) return String(frames[0]);
  const contiguous = frames.every((f, k) => k === 0 || f === frames[k - 1]! + 1);
  return contiguous ? `${frames[0]}–${frames[frames.length - 1]}` : frames.join(', ');
}

function ackWhy(r: string | undefined): string {
  return r === 'now'
    ? 'quick ACK: two full segments or more unacknowledged'
    : r === 'quick'
      ? "quick-ack mode: one of a new flow's first segments, or after out-of-order data"
      : r === 'answer'
        ? "the application's answer to a request carries the ACK"
        : r === 'delayed'
          ? 'delayed-ACK timer'
          : r === 'dup'
            ? 'duplicate ACK'
            : (r ?? '');
}

function stripModel(t: string): string {
  return t.replace(/^(ehea|myri10ge|e1000|mq): /, '');
}

/** "ehea: 1514 bytes via rq2 entry 17, CQE 17, status 0x0" → "eHEA RQ2 entry 17, CQE 17, 1514 bytes, status 0x0". */
function nicText(t: string): string {
  const m = /^ehea: (\d+) bytes via (rq\d) entry (\d+), CQE (\d+), status (0x[0-9a-f]+)(.*)$/.exec(t);
  if (m !== null) return `eHEA ${m[2]!.toUpperCase()} entry ${m[3]}, CQE ${m[4]}, ${m[1]} bytes, status ${m[5]}${m[6]}`;
  return t.replace(/^(\w+): /, (_, n: string) => `${n}: `);
}

/**
 * A tcpdump line with MAC addresses dropped and TCP sequence numbers made relative to the flow's first
 * sequence number seen (as tcpdump and Wireshark do), so "seq 2896:4344" reads at a glance.
 */
export function relativeWire(text: string, base: Map<string, number>): string {
  let t = text.replace(/^[0-9a-f:]{17} > [0-9a-f:]{17}, /, '');
  const m = /(\d+\.\d+\.\d+\.\d+)\.(\d+) > (\d+\.\d+\.\d+\.\d+)\.(\d+): Flags \[([^\]]*)\], seq (\d+):(\d+)/.exec(t);
  if (m !== null) {
    const flow = `${m[1]}:${m[2]}>${m[3]}:${m[4]}`;
    const s0 = Number(m[6]),
      s1 = Number(m[7]);
    if (!base.has(flow)) base.set(flow, s0);
    const b = base.get(flow)!;
    t = t.replace(`seq ${m[6]}:${m[7]}`, `seq ${rel(s0, b)}:${rel(s1, b)}`);
  } else {
    const a = /(\d+\.\d+\.\d+\.\d+)\.(\d+) > (\d+\.\d+\.\d+\.\d+)\.(\d+): Flags \[([^\]]*)\], seq (\d+),/.exec(t);
    if (a !== null) {
      const flow = `${a[1]}:${a[2]}>${a[3]}:${a[4]}`;
      if (!base.has(flow)) base.set(flow, Number(a[6]));
      t = t.replace(`seq ${a[6]},`, `seq ${rel(Number(a[6]), base.get(flow)!)},`);
    }
  }
  return t.replace(/, ack \d+, win \d+/, '');
}

/**
 * "10.0.0.1:40000>10.0.0.2:5001 rcv_nxt N (…)" with N relative to the flow's first sequence number; the
 * flow is left out when it is the frame's own.
 */
function relativeTcp(text: string, base: Map<string, number>, own?: string): string {
  const m = /^(\S+>\S+) (.*)$/.exec(text);
  if (m === null) return text;
  const b = base.get(m[1]!);
  const rest =
    b === undefined
      ? m[2]!
      : m[2]!.replace(/(rcv_nxt|ACK|seq|expected) (\d+)/g, (_, w: string, n: string) => `${w} ${rel(Number(n), b)}`);
  return m[1] === own ? rest : `${m[1]!.replace('>', ' → ')} ${rest}`;
}

/** "rcv_nxt 4344 (2896 bytes, 2 segs)" → "2896 bytes in 2 segments, rcv_nxt 4344". */
function deliverText(t: string): string {
  return t.replace(
    /rcv_nxt (\d+) \((\d+) bytes, (\d+) segs\)$/,
    (_, n: string, b: string, k: string) => `${b} bytes in ${k} segment${k === '1' ? '' : 's'}, rcv_nxt ${n}`,
  );
}

/** "a.p > b.q: " of a tcpdump line as "a:p>b:q" (the stack's flow names). */
function flowOf(text: string): string | undefined {
  const m = /(\d+\.\d+\.\d+\.\d+)\.(\d+) > (\d+\.\d+\.\d+\.\d+)\.(\d+): /.exec(text);
  return m === null ? undefined : `${m[1]}:${m[2]}>${m[3]}:${m[4]}`;
}

function rel(n: number, base: number): number {
  return (n - base) >>> 0;
}
