// The playground page: controls ⇄ URL, a recorded run per engine, and the views drawn from the events
// at the cursor. Everything the lab computes comes from the lab's own code (lab/, sim/, …) run here.
import { SCENARIOS } from '../lab/scenarios.ts';
import { listModels } from '../hw-models/index.ts';
import { listDrivers } from '../drivers/index.ts';
import { parseCapture, type CaptureRecord } from '../tap/index.ts';
import { DEFAULTS, fromQuery, PlaygroundSchema, toLabConfig, toQuery, type PlaygroundConfig } from './config.ts';
import { Lockstep, record, SLOT, storiesOf, ViewState, type Recording, type RingView } from './timeline.ts';
import { describeDescriptor } from './posted-rings.ts';
import { reportFigures } from './figures.ts';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const form = $<HTMLFormElement>('controls');
const statusLine = $<HTMLParagraphElement>('status');
const errorLine = $<HTMLParagraphElement>('error');
const lanesBox = $<HTMLDivElement>('lanes');
const storyBox = $<HTMLDivElement>('story-lines');
const playButton = $<HTMLButtonElement>('play');
const speedSelect = $<HTMLSelectElement>('speed');

interface Capture {
  name: string;
  records: CaptureRecord[];
}
let capture: Capture | undefined;
let lanes: Lane[] = [];
let playing = false;
/** The status line of the run on show ('' before the first run). */
let ready = '';
let lastTick = 0;
let owed = 0;

// ---- controls ⇄ configuration ⇄ URL ---------------------------------------------------------------

function fillSelect(sel: HTMLSelectElement, items: { value: string; label: string }[]): void {
  sel.replaceChildren(
    ...items.map((i) => {
      const o = document.createElement('option');
      o.value = i.value;
      o.textContent = i.label;
      return o;
    }),
  );
}

function fillDrivers(model: string, chosen: string): void {
  const drivers = listDrivers().filter((d) => d.models.includes(model));
  fillSelect($('driver'), [
    { value: '', label: 'the model’s own' },
    ...drivers.map((d) => ({ value: d.name, label: d.name })),
  ]);
  $<HTMLSelectElement>('driver').value = drivers.some((d) => d.name === chosen) ? chosen : '';
}

function setControls(c: PlaygroundConfig): void {
  const scenarios = SCENARIOS.map((s) => ({ value: s.name, label: `${s.name}: ${s.summary}` }));
  if (capture !== undefined) scenarios.push({ value: 'capture', label: `uploaded capture: ${capture.name}` });
  fillSelect($('scenario'), scenarios);
  $<HTMLSelectElement>('scenario').value =
    c.scenario === 'capture' && capture === undefined ? DEFAULTS.scenario : c.scenario;
  fillSelect(
    $('model'),
    listModels().map((m) => ({ value: m.name, label: m.name })),
  );
  $<HTMLSelectElement>('model').value = c.model;
  fillDrivers(c.model, c.driver);
  for (const k of ['engine', 'compare', 'vlan', 'csum'] as const) $<HTMLSelectElement>(k).value = c[k];
  for (const k of ['rate', 'flows', 'mtu', 'seed', 'moderation', 'budget', 'maxAggr', 'maxDesc'] as const)
    $<HTMLInputElement>(k).value = c[k] === undefined ? '' : String(c[k]);
}

function readControls(): PlaygroundConfig {
  const raw: Record<string, string> = {};
  for (const el of Array.from(form.elements)) {
    if ((el instanceof HTMLInputElement && el.type !== 'file') || el instanceof HTMLSelectElement)
      if (el.name !== '' && el.value !== '') raw[el.name] = el.value;
  }
  const r = PlaygroundSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`${String(i.path[0])}: ${i.message}`);
  }
  return r.data;
}

// ---- running ------------------------------------------------------------------------------------------

function run(c: PlaygroundConfig): void {
  pause();
  errorLine.hidden = true;
  const engines = c.compare !== '' && c.compare !== c.engine ? [c.engine, c.compare] : [c.engine];
  const path = c.scenario === 'capture' ? capture?.name : undefined;
  const recs: Recording[] = [];
  try {
    for (const e of engines)
      recs.push(record(toLabConfig(c, e, path), path !== undefined ? capture!.records : undefined));
  } catch (e) {
    showError((e as Error).message);
    return;
  }
  lanes = recs.map((r, i) => new Lane(r, i));
  lanesBox.replaceChildren(...lanes.map((l) => l.root));
  lanesBox.classList.toggle('two', lanes.length === 2);
  const q = toQuery(c);
  history.replaceState(null, '', `${location.pathname}${q === '' ? '' : `?${q}`}`);
  $<HTMLParagraphElement>('config-note').textContent =
    c.scenario === 'capture'
      ? 'An uploaded capture is not part of the link: the link restores every other setting.'
      : 'The page’s address holds this configuration: share it to share the run.';
  storyBox.replaceChildren();
  render();
  ready = `Ready: ${recs.map((r) => `${r.report.label}, ${r.events.length} events, ${r.pollEnds.length} polls`).join(' · ')}.`;
  statusLine.textContent = `${ready} Press Play, or step.`;
}

function showError(message: string): void {
  errorLine.hidden = false;
  errorLine.textContent = message;
  statusLine.textContent = 'Not run: fix the setting named below.';
}

function startRun(): void {
  let c: PlaygroundConfig;
  try {
    c = readControls();
  } catch (e) {
    showError((e as Error).message);
    return;
  }
  statusLine.textContent = 'Running the lab…';
  // let the status paint before the (synchronous) run
  setTimeout(() => run(c), 20);
}

// ---- playback -------------------------------------------------------------------------------------

function render(): void {
  for (const l of lanes) l.render();
}

/** The lanes, stepped together in virtual time (two engines on the same traffic show the same moment). */
function lockstep(): Lockstep {
  return new Lockstep(lanes.map((l) => l.view));
}

function stepAll(f: (both: Lockstep) => void): void {
  f(lockstep());
  render();
  if (lanes.every((l) => l.view.done)) pause();
}

function play(): void {
  if (lanes.length === 0 || lanes.every((l) => l.view.done)) return;
  playing = true;
  if (ready !== '' && statusLine.textContent?.startsWith(ready))
    statusLine.textContent = `${ready} Playing: Space pauses, → steps an event, P a poll.`;
  playButton.textContent = 'Pause';
  playButton.setAttribute('aria-pressed', 'true');
  lastTick = performance.now();
  owed = 0;
  requestAnimationFrame(tick);
}

function pause(): void {
  if (playing && statusLine.textContent?.startsWith(ready)) statusLine.textContent = `${ready} Paused: Play, or step.`;
  playing = false;
  playButton.textContent = 'Play';
  playButton.setAttribute('aria-pressed', 'false');
}

function tick(now: number): void {
  if (!playing) return;
  owed += ((now - lastTick) / 1000) * Number(speedSelect.value);
  lastTick = now;
  const n = Math.floor(owed);
  owed -= n;
  if (n > 0) {
    const both = lockstep();
    for (let k = 0; k < n && both.step(); k++) {
      /* n events, in virtual-time order across the lanes */
    }
    render();
  }
  if (lanes.every((l) => l.view.done)) {
    pause();
    return;
  }
  requestAnimationFrame(tick);
}

// ---- one lane: a recording and its views ---------------------------------------------------------

const STATE_NAMES = ['driver’s, no buffer', 'device’s (posted)', 'filled by the device', 'taken by the driver'];
const STATE_COLOURS = ['#d9d9d9', '#9ecae1', '#f16913', '#31a354'];

function hue(key: string): string {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
  return `hsl(${h % 360} 65% 45%)`;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

class Lane {
  readonly view: ViewState;
  readonly root: HTMLElement;
  private readonly now: HTMLElement;
  private readonly wire: HTMLElement;
  private readonly canvases: HTMLCanvasElement[] = [];
  private readonly ringText: HTMLElement[] = [];
  private readonly napi: HTMLElement;
  private readonly pollFill: HTMLElement;
  private readonly aggs: HTMLElement;
  private readonly stack: HTMLElement;
  private readonly counters: HTMLElement;
  private readonly liveFigures: HTMLElement;
  private readonly flowColour = new Map<string, string>();

  constructor(
    readonly rec: Recording,
    index: number,
  ) {
    this.view = new ViewState(rec);
    const id = `lane-${index}`;
    this.root = el('section', { class: 'lane', 'aria-labelledby': `${id}-title`, 'data-engine': rec.engine });
    const title = { lro: 'LRO (inet_lro)', gro: 'GRO', off: 'aggregation off' }[rec.engine];
    this.root.append(el('h2', { id: `${id}-title` }, `${title} · ${rec.report.label}`));
    this.now = el('p', { class: 'now', 'data-testid': 'now' });
    this.root.append(this.now);

    this.root.append(el('h3', {}, 'Wire (newest right; colour = flow)'));
    this.wire = el('div', { class: 'wire', role: 'group', 'aria-label': 'Latest frames on the wire' });
    this.root.append(this.wire);

    // per queue: the rings the driver posts to side by side, then the ring the completions land in
    let box: HTMLElement | undefined, posted: HTMLElement | undefined;
    for (const r of this.view.rings) {
      if (box === undefined || box.dataset['queue'] !== String(r.queue)) {
        box = el('div', { class: 'rings', 'data-queue': String(r.queue) });
        posted = undefined;
        this.root.append(box);
      }
      if (r.role === 'rx' && posted === undefined) {
        posted = el('div', { class: 'posted-rings' });
        box.append(el('p', { class: 'ring-what' }, postedGroupWords(r.queue, this.view.rings)), posted);
      }
      const fig = el('div', { class: `ring-box ${r.role}`, 'data-ring': r.name });
      const title = ringTitle(r, this.view.rings);
      const h = el('h3', {}, title.name);
      if (title.what !== '') h.append(' ', el('span', { class: 'ring-what' }, title.what));
      fig.append(h);
      const c = el('canvas', { class: 'ring', role: 'img', 'data-queue': String(r.queue), 'data-ring': r.name });
      c.addEventListener('click', (ev) => this.clickRing(r, c, ev));
      this.canvases.push(c);
      const t = el('p', {
        class: 'ring-summary',
        'data-testid': 'ring-summary',
        'data-queue': String(r.queue),
        'data-ring': r.name,
        'data-role': r.role,
      });
      this.ringText.push(t);
      fig.append(c, t);
      (r.role === 'rx' ? posted! : box).append(fig);
    }
    const legend = el('ul', { class: 'legend', 'aria-label': 'Ring entry colours' });
    STATE_NAMES.forEach((n, i) => {
      const li = el('li');
      li.append(el('span', { class: 'swatch', style: `background:${STATE_COLOURS[i]}` }), document.createTextNode(n));
      legend.append(li);
    });
    this.root.append(legend);

    this.root.append(el('h3', {}, 'Interrupt and NAPI poll'));
    this.napi = el('p', { class: 'napi', 'data-testid': 'poll' });
    const bar = el('div', { class: 'pollbar', role: 'presentation' });
    this.pollFill = el('div', { class: 'fill' });
    bar.append(this.pollFill);
    this.root.append(this.napi, bar);

    this.root.append(
      el(
        'h3',
        {},
        rec.engine === 'gro'
          ? 'GRO: held packets'
          : rec.engine === 'lro'
            ? `LRO descriptors (max_desc ${rec.maxDesc})`
            : 'Aggregation off: every frame goes up alone',
      ),
    );
    this.aggs = el('div', { class: 'aggs', 'data-testid': 'aggregates' });
    this.root.append(this.aggs);

    this.root.append(el('h3', {}, 'Stack'));
    this.stack = el('p', { class: 'napi', 'data-testid': 'stack' });
    this.root.append(this.stack);

    const tables = el('div', { class: 'tables' });
    const live = el('div'),
      whole = el('div');
    live.append(el('h3', {}, 'Counters so far'));
    this.counters = el('dl', { class: 'counters', 'data-testid': 'counters' });
    live.append(this.counters);
    live.append(el('h3', {}, 'CPU and latency so far'));
    this.liveFigures = el('dl', { class: 'counters', 'data-testid': 'live-figures' });
    live.append(this.liveFigures);
    whole.append(el('h3', {}, 'The whole run (as vnic run --json reports it)'));
    const report = el('dl', { class: 'report', 'data-testid': 'report' });
    for (const f of reportFigures(rec.report)) {
      report.append(el('dt', {}, f.label), el('dd', { 'data-key': f.key, 'data-value': String(f.value) }, f.text));
    }
    whole.append(report);
    tables.append(live, whole);
    this.root.append(tables);
  }

  private colour(flow: string): string {
    let c = this.flowColour.get(flow);
    if (c === undefined) {
      c = hue(flow);
      this.flowColour.set(flow, c);
    }
    return c;
  }

  render(): void {
    const v = this.view,
      c = v.counters;
    const last = v.last;
    this.now.textContent = `event ${v.at} of ${this.rec.events.length} · t = ${(v.nowNs / 1000).toFixed(3)} µs${last !== undefined ? ` · ${last.layer}: ${last.text}` : ''}`;

    this.wire.replaceChildren(
      ...v.lastWire.map((w) => {
        const b = el('button', {
          type: 'button',
          class: 'frame',
          title: `frame ${w.frame}: ${w.text}`,
          'aria-label': `frame ${w.frame}`,
          style: `background:${this.colour(w.flow)}`,
        });
        b.addEventListener('click', () => showStories(this.rec, [w.frame], `frame ${w.frame}`));
        return b;
      }),
    );

    v.rings.forEach((r, i) => this.drawRing(r, this.canvases[i]!, this.ringText[i]!));

    const p = v.poll;
    const irq = [...v.irqPending].map((q) => `interrupt on queue ${q}, NAPI poll scheduled`).join('; ');
    this.napi.textContent =
      p === null
        ? irq || 'no poll yet'
        : `${irq !== '' ? `${irq} · ` : ''}poll ${p.number} (queue ${p.queue}) ${p.ended ? 'ended' : 'running'}: ${p.work} of its budget ${p.budget}${p.ended ? (p.work < p.budget ? ' (ring drained: napi_complete, interrupt re-armed)' : ' (budget used up: polled again)') : ''}`;
    this.napi.dataset['work'] = String(p?.work ?? 0);
    this.napi.dataset['budget'] = String(p?.budget ?? 0);
    this.napi.dataset['number'] = String(p?.number ?? 0);
    this.napi.dataset['ended'] = String(p?.ended ?? false);
    this.pollFill.style.width = p === null ? '0' : `${Math.min(100, (100 * p.work) / Math.max(1, p.budget))}%`;

    this.renderAggregates();
    this.stack.textContent =
      v.lastDelivery === ''
        ? 'nothing delivered yet'
        : `${c.delivered.toLocaleString('en')} in-order deliveries, ${c.bytesDelivered.toLocaleString('en')} bytes checked; latest: ${v.lastDelivery}`;

    const rows: [string, string, number][] = [
      ['wireFrames', 'frames on the wire', c.wireFrames],
      ['dma', 'completions written by the NIC', c.dma],
      ['nicDrops', 'dropped by the NIC', c.nicDrops],
      ['irqs', 'interrupts', c.irqs],
      ['polls', 'NAPI polls ended', c.polls],
      ['completions', 'completions taken by the driver', c.completions],
      ['held', this.rec.engine === 'gro' ? 'GRO packets held' : 'LRO sessions opened', c.held],
      ['appended', 'segments merged', c.appended],
      ['flushed', 'aggregates flushed', c.flushed],
      ['bypassed', 'went up alone (bypass)', c.bypassed],
      ['delivered', 'in-order deliveries to TCP', c.delivered],
      ['bytesDelivered', 'bytes delivered', c.bytesDelivered],
      ['acks', 'ACKs sent', c.acks],
    ];
    // keyed by the report field each one becomes at the end (a dotted path into vnic run --json)
    const f = v.figures();
    const us = (ns: number) => (ns / 1000).toFixed(1);
    const figureRows: [string, string, number, string][] = [
      ['durationNs', 'virtual time elapsed, µs', f.elapsedNs, us(f.elapsedNs)],
      ['cpu.cycles', 'CPU cycles charged', f.cycles, f.cycles.toLocaleString('en')],
      ['cpu.busyNs', 'CPU busy, µs', f.busyNs, us(f.busyNs)],
      ['cpu.utilisation', 'CPU utilisation', f.utilisation, `${(100 * f.utilisation).toFixed(1)} %`],
      ...(f.cyclesPerKB !== null
        ? [
            ['cpu.cyclesPerKB', 'CPU cycles per KiB received', f.cyclesPerKB, f.cyclesPerKB.toFixed(1)] as [
              string,
              string,
              number,
              string,
            ],
          ]
        : []),
      ['latency.samples', 'segments timed', f.samples, f.samples.toLocaleString('en')],
      ['latency.p50Us', 'latency p50, µs', f.p50Us, f.p50Us.toFixed(1)],
      ['latency.p99Us', 'latency p99, µs', f.p99Us, f.p99Us.toFixed(1)],
      ['latency.maxUs', 'latency max, µs', f.maxUs, f.maxUs.toFixed(1)],
    ];
    this.liveFigures.replaceChildren(
      ...figureRows.flatMap(([k, label, n, text]) => [
        el('dt', {}, label),
        el('dd', { 'data-key': k, 'data-value': String(n) }, text),
      ]),
    );
    const reasons = Object.entries(c.flushReasons).sort();
    this.counters.replaceChildren(
      ...rows.flatMap(([k, label, n]) => [
        el('dt', {}, label),
        el('dd', { 'data-key': k, 'data-value': String(n) }, n.toLocaleString('en')),
      ]),
      ...reasons.flatMap(([r, n]) => [
        el('dt', {}, `flushes: ${r}`),
        el('dd', { 'data-key': `flush_${r}`, 'data-value': String(n) }, n.toLocaleString('en')),
      ]),
    );
  }

  private renderAggregates(): void {
    const v = this.view,
      rec = this.rec;
    if (rec.engine === 'off') {
      this.aggs.replaceChildren();
      return;
    }
    const boxes: HTMLElement[] = [];
    const box = (label: string, a: { segs: number; bytes: number; frames: number[]; flushed?: string } | undefined) => {
      const b = el('button', {
        type: 'button',
        class: `agg${a === undefined ? ' idle' : a.flushed !== undefined ? ' flushed' : ' open'}`,
      });
      const maxAggr = rec.lab.maxAggr ?? 64;
      b.append(el('span', { class: 'agg-name' }, label));
      if (a === undefined) b.append(el('span', { class: 'agg-state' }, 'free'));
      else {
        const meter = el('span', { class: 'meter' });
        meter.append(el('span', { class: 'meter-fill', style: `width:${Math.min(100, (100 * a.segs) / maxAggr)}%` }));
        b.append(
          el(
            'span',
            { class: 'agg-state' },
            `${a.segs} segment${a.segs === 1 ? '' : 's'}, ${a.bytes.toLocaleString('en')} bytes`,
          ),
          meter,
        );
        if (a.flushed !== undefined) b.append(el('span', { class: 'agg-reason' }, `flushed: ${a.flushed}`));
        b.addEventListener('click', () => showStories(rec, a.frames, label));
      }
      b.setAttribute('aria-label', `${label}: ${b.textContent ?? ''}`);
      if (a === undefined) b.disabled = true;
      boxes.push(b);
    };
    const queues = [...new Set(v.rings.map((r) => r.queue))];
    if (rec.engine === 'lro') {
      for (const q of queues)
        for (let d = 0; d < rec.maxDesc; d++)
          box(`${queues.length > 1 ? `q${q} ` : ''}descriptor ${d}`, v.aggregates.get(`${q}/${d}`));
    } else {
      for (const a of v.aggregates.values()) box(`${queues.length > 1 ? `q${a.queue} ` : ''}held packet #${a.id}`, a);
      if (boxes.length === 0) box('no packet held', undefined);
    }
    this.aggs.replaceChildren(...boxes);
  }

  private geometry(r: RingView, c: HTMLCanvasElement): { cols: number; cell: number } {
    // cells as large as fit in a band about 130 px high (48 px for a ring the driver posts to and 60 px
    // for the completion ring below them; 4 to 14 px a cell), so the whole ring stays in view and the
    // poll and the LRO descriptors stay near
    const width = Math.max(120, c.clientWidth || 300);
    const n = r.state.length;
    const band = r.role === 'rx' ? 48 : this.view.rings.some((x) => x.role === 'rx') ? 60 : 130;
    const cell = Math.min(14, Math.max(4, Math.sqrt((width * band) / n)));
    const cols = Math.min(n, Math.max(8, Math.floor(width / cell)));
    return { cols, cell: width / cols };
  }

  private drawRing(r: RingView, c: HTMLCanvasElement, text: HTMLElement): void {
    const { cols, cell } = this.geometry(r, c);
    const rows = Math.ceil(r.state.length / cols);
    const dpr = window.devicePixelRatio || 1;
    const w = Math.round(cols * cell),
      h = Math.round(rows * cell);
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(h * dpr);
      c.style.height = `${h}px`;
    }
    const g = c.getContext('2d');
    const counts = [0, 0, 0, 0];
    for (let s = 0; s < r.state.length; s++) counts[r.state[s]!]!++;
    if (g !== null) {
      g.setTransform(dpr, 0, 0, dpr, 0, 0);
      g.clearRect(0, 0, w, h);
      for (let s = 0; s < r.state.length; s++) {
        g.fillStyle = STATE_COLOURS[r.state[s]!]!;
        g.fillRect((s % cols) * cell, Math.floor(s / cols) * cell, Math.max(1, cell - 1), Math.max(1, cell - 1));
      }
    }
    const summary =
      r.role === 'rx'
        ? `${counts[SLOT.POSTED]} posted, ${counts[SLOT.FILLED]} filled, ${counts[SLOT.CONSUMED]} taken${counts[SLOT.EMPTY]! > 0 ? `, ${counts[SLOT.EMPTY]} never posted` : ''}`
        : `${counts[SLOT.FILLED]} filled by the device, ${counts[SLOT.CONSUMED]} taken by the driver, ${counts[SLOT.POSTED]} the device’s, ${counts[SLOT.EMPTY]} the driver’s without a buffer`;
    const t = r.totals;
    text.textContent =
      r.role === 'rx'
        ? `${summary} · since the open: ${t.filled.toLocaleString('en')} filled, ${t.taken.toLocaleString('en')} taken, ${t.refilled.toLocaleString('en')} refilled${t.skipped > 0 ? `, ${t.skipped} used for no frame` : ''}`
        : `${r.name}: ${summary}`;
    if (r.role === 'rx') {
      text.dataset['totalFilled'] = String(t.filled);
      text.dataset['totalTaken'] = String(t.taken);
      text.dataset['refilled'] = String(t.refilled);
    }
    for (const [k, i] of [
      ['filled', SLOT.FILLED],
      ['consumed', SLOT.CONSUMED],
      ['posted', SLOT.POSTED],
      ['empty', SLOT.EMPTY],
    ] as const)
      text.dataset[k] = String(counts[i]);
    c.setAttribute('aria-label', `ring ${r.name} of queue ${r.queue}: ${summary}`);
  }

  private clickRing(r: RingView, c: HTMLCanvasElement, ev: MouseEvent): void {
    const { cols, cell } = this.geometry(r, c);
    const rect = c.getBoundingClientRect();
    const s = Math.floor((ev.clientY - rect.top) / cell) * cols + Math.floor((ev.clientX - rect.left) / cell);
    if (s < 0 || s >= r.state.length) return;
    const f = r.frame[s]!;
    const what = `ring ${r.name} entry ${s}${this.view.rings.some((x) => x.queue !== r.queue) ? ` (queue ${r.queue})` : ''}`;
    if (r.role !== 'rx') {
      if (f >= 0) showStories(this.rec, [f], what);
      return;
    }
    // a ring the driver posts to: the descriptor as posted, the completion that reported its frame, the frame
    const lines = [`${STATE_NAMES[r.state[s]!]}`, `posted: ${describeDescriptor(r.layout, r.descriptors[s])}`];
    const done = r.completions[s];
    if (done !== undefined && r.state[s] !== SLOT.POSTED)
      lines.push(`reported in ${done.ring} entry ${done.slot}: ${describeDescriptor('', done.fields).trim()}`);
    showStories(this.rec, f >= 0 && r.state[s] !== SLOT.POSTED ? [f] : [], what, lines);
  }
}

/** The line above a queue's rings the driver posts to: what they are for. */
function postedGroupWords(queue: number, all: readonly RingView[]): string {
  const mine = all.filter((x) => x.queue === queue);
  const names = mine.filter((x) => x.role === 'rx').map((x) => x.name);
  const inline = mine.filter((x) => x.role === 'rx' && x.bufferBytes === 0).map((x) => x.name);
  const done = mine.find((x) => x.role === 'completion')?.name ?? 'its completion ring';
  const q = all.some((x) => x.queue !== queue) ? ` (queue ${queue})` : '';
  return `The driver posts on ${names.join(', ')}${q}; a frame takes the next posted buffer of the ring for its size, reported in ${done}${inline.length > 0 ? ` (${inline.join(', ')}: inline in the ${done} entry)` : ''}.`;
}

/** A ring's heading (its name as the model gives it) and what it is for. */
function ringTitle(r: RingView, all: readonly RingView[]): { name: string; what: string } {
  const q = all.some((x) => x.queue !== r.queue) ? `, queue ${r.queue}` : '';
  const n = r.state.length.toLocaleString('en');
  const name = `Ring ${r.name}${q} · ${n} entries`;
  if (r.role === 'rx')
    return {
      name:
        r.bufferBytes > 0
          ? `${r.name}${q} · ${n} × ${r.bufferBytes.toLocaleString('en')}-byte buffers`
          : `${r.name}${q} · ${n} ${r.layout}s, no buffer`,
      what: '',
    };
  if (r.role === 'completion')
    return {
      name,
      what: `The device writes an entry per frame, whichever ring’s buffer holds it${r.returnsOnConsume ? '; the driver hands it back by clearing it' : '; the driver hands entries back with its doorbell'}.`,
    };
  return { name, what: 'The driver posts buffers; the device writes each completion back into the descriptor.' };
}

function showStories(rec: Recording, frames: number[], what: string, about: string[] = []): void {
  const stories = storiesOf(rec, frames);
  const out: HTMLElement[] = [el('h3', {}, `${what} (${rec.report.label})`)];
  for (const line of about) out.push(el('p', { class: 'story-frame' }, line));
  for (const s of stories) {
    out.push(el('p', { class: 'story-frame' }, `frame ${s.frame}${s.wire !== undefined ? `  ${s.wire}` : ''}`));
    const ul = el('ul', { class: 'story' });
    for (const l of s.lines) {
      const li = el('li', { class: `v-${l.verdict}` });
      li.append(el('span', { class: 'layer' }, l.layer), document.createTextNode(` ${l.text}`));
      if (l.why !== undefined) li.append(el('span', { class: 'why' }, ` ↳ ${l.why}`));
      ul.append(li);
    }
    out.push(ul);
  }
  if (stories.length === 0 && about.length === 0) out.push(el('p', {}, 'No events for it.'));
  storyBox.replaceChildren(...out);
}

// ---- wiring -------------------------------------------------------------------------------------------

form.addEventListener('submit', (e) => {
  e.preventDefault();
  startRun();
});
$<HTMLSelectElement>('model').addEventListener('change', (e) => fillDrivers((e.target as HTMLSelectElement).value, ''));
$<HTMLButtonElement>('copy-config').addEventListener('click', () => {
  try {
    const c = readControls();
    const text = JSON.stringify(
      toLabConfig(c, c.engine, c.scenario === 'capture' ? capture?.name : undefined),
      null,
      2,
    );
    void navigator.clipboard?.writeText(text).then(
      () => {
        statusLine.textContent = 'Copied: save it as run.json and run vnic run --config run.json --json';
      },
      () => {
        statusLine.textContent = text;
      },
    );
  } catch (e) {
    showError((e as Error).message);
  }
});
$<HTMLInputElement>('capture').addEventListener('change', async (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (file === undefined) return;
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    capture = { name: file.name, records: [...parseCapture(bytes, file.name)] };
  } catch (err) {
    showError((err as Error).message);
    return;
  }
  const c = { ...readControls(), scenario: 'capture' };
  setControls(c);
  startRun();
});
playButton.addEventListener('click', () => (playing ? pause() : play()));
$<HTMLButtonElement>('step-event').addEventListener('click', () => {
  pause();
  stepAll((both) => both.step());
});
$<HTMLButtonElement>('step-poll').addEventListener('click', () => {
  pause();
  stepAll((both) => both.stepPoll());
});
$<HTMLButtonElement>('to-end').addEventListener('click', () => {
  pause();
  stepAll((both) => both.toEnd());
});
$<HTMLButtonElement>('restart').addEventListener('click', () => {
  pause();
  lanes = lanes.map((l, i) => new Lane(l.rec, i));
  lanesBox.replaceChildren(...lanes.map((l) => l.root));
  render();
});
document.addEventListener('keydown', (e) => {
  const t = e.target as HTMLElement;
  if (e.ctrlKey || e.metaKey || e.altKey || t.closest('input, select, textarea, form') !== null) return;
  const click = (id: string) => {
    e.preventDefault();
    $<HTMLButtonElement>(id).click();
  };
  if (e.key === ' ' && t.tagName !== 'BUTTON') click('play');
  else if (e.key === 'ArrowRight') click('step-event');
  else if (e.key === 'p' || e.key === 'P') click('step-poll');
  else if (e.key === 'End') click('to-end');
  else if (e.key === 'Home') click('restart');
});
window.addEventListener('resize', () => render());

// `autoplay=0` (tests, reading) starts paused; it is about the visit, not the configuration
const query = new URLSearchParams(location.search);
const autoplay = query.get('autoplay') !== '0';
query.delete('autoplay');
const initial = fromQuery(query.toString());
setControls(initial.config);
if (initial.problems.length > 0)
  showError(`The address has settings the page cannot use: ${initial.problems.join('; ')}`);
statusLine.textContent = 'Running the lab…';
setTimeout(() => {
  const problems = errorLine.hidden ? '' : errorLine.textContent;
  run(initial.config.scenario === 'capture' ? { ...initial.config, scenario: DEFAULTS.scenario } : initial.config);
  if (problems) {
    errorLine.hidden = false;
    errorLine.textContent = problems;
  }
  if (autoplay) play();
}, 20);
