// The rings a driver posts buffers to when the device reports completions in another ring (eHEA's
// RQ1-RQ3 beside its CQ, myri10ge's small and big rings beside rx_done), recorded as the model holds
// them while the lab runs: the driver's doorbell is the ring's tail, the device's head register says
// how far it has used the posted descriptors, and the descriptors themselves are read back from DMA
// memory through the model's documented layouts (`NicModel.descriptors`). Nothing private is read.
import type { DescriptorLayout, NicModel } from '../hw-models/model.ts';
import type { RingInfo } from '../hw-models/ring.ts';
import type { TraceEvent } from '../observe/trace.ts';

/** One step of a posted ring, attached to the event that caused it. */
export interface RingMove {
  queue: number;
  ring: string;
  /**
   * post: the driver wrote descriptors and rang the doorbell (the device's from then on);
   * fill: the device used them for a frame; take: the driver took that frame's buffers;
   * skip: the device used descriptors for no completion (a descriptor it could not use, counted as a drop).
   */
  what: 'post' | 'fill' | 'take' | 'skip';
  from: number;
  count: number;
  /** fill, take: the wire frame the buffers hold. */
  frame?: number;
  /** post: each descriptor as the driver wrote it, decoded through the model's driver-written layout. */
  descriptors?: Record<string, number>[];
  /** post: written while the driver opened the device (before any traffic), not a refill. */
  atOpen?: boolean;
  /** fill: the completion entry the device wrote for the frame, decoded through its layout. */
  completion?: { ring: string; slot: number; fields: Record<string, number> };
}

/** A ring the driver posts to and the device reports on elsewhere. */
export interface PostedRingInfo {
  queue: number;
  name: string;
  entries: number;
  bufferBytes: number;
  /** The descriptor layout the driver writes on it (its datasheet name). */
  layout: string;
}

/** Every ring of role 'rx' (the driver posts; completions land elsewhere) of a model's queues. */
export function postedRingsOf(model: NicModel): RingInfo[] {
  const out: RingInfo[] = [];
  for (let q = 0; q < model.queueCount; q++) for (const r of model.rings(q)) if (r.role === 'rx') out.push(r);
  return out;
}

/**
 * Listens to a run's events and turns each one that moves a posted ring into RingMoves, read from the
 * model at that moment. Events before `attach` (the driver's first doorbells, rung while it opens the
 * device) wait for the model and are read then: no frame has arrived, so memory still holds them.
 */
export class PostedRingRecorder {
  readonly rings: PostedRingInfo[] = [];
  /** By event index. */
  readonly moves = new Map<number, RingMove[]>();
  private model: NicModel | undefined;
  private infos: RingInfo[] = [];
  private driverLayout: DescriptorLayout | undefined;
  private deviceLayout: DescriptorLayout | undefined;
  private readonly heads = new Map<string, number>();
  private readonly tails = new Map<string, number>();
  private readonly early: [number, TraceEvent][] = [];
  /** Completion entries written and not yet taken: `queue/ring/slot` → the buffers the frame is in. */
  private readonly inCompletion = new Map<string, RingMove[]>();

  attach(model: NicModel): void {
    this.model = model;
    this.infos = postedRingsOf(model);
    this.driverLayout = model.descriptors.find((d) => d.writer === 'driver');
    this.deviceLayout = model.descriptors.find((d) => d.writer === 'device');
    for (const r of this.infos) {
      this.rings.push({
        queue: r.queue,
        name: r.name,
        entries: r.entries,
        bufferBytes: r.bufferBytes,
        layout: this.driverLayout?.name ?? '',
      });
      this.heads.set(key(r.queue, r.name), 0);
      this.tails.set(key(r.queue, r.name), 0);
    }
    for (const [i, e] of this.early) this.read(i, e, true);
    this.early.length = 0;
  }

  /** Called for every event of the run, in order, as it is emitted. */
  observe(i: number, e: TraceEvent): void {
    if (this.model === undefined) {
      if (e.layer === 'nic' && e.what === 'doorbell') this.early.push([i, e]);
      return;
    }
    if (this.infos.length > 0) this.read(i, e, false);
  }

  private info(q: number, name: string | undefined): RingInfo | undefined {
    return this.infos.find((r) => r.queue === q && r.name === name);
  }

  private add(i: number, m: RingMove): void {
    const list = this.moves.get(i);
    if (list === undefined) this.moves.set(i, [m]);
    else list.push(m);
  }

  private read(i: number, e: TraceEvent, atOpen: boolean): void {
    const model = this.model!,
      q = e.queue ?? 0;
    if (e.layer === 'nic' && e.what === 'doorbell') {
      const r = this.info(q, e.ring);
      if (r === undefined || e.slot === undefined) return;
      const k = key(q, r.name),
        from = this.tails.get(k)!,
        count = (e.slot - from + r.entries) % r.entries;
      this.tails.set(k, e.slot);
      if (count === 0) return;
      const layout = this.driverLayout,
        descriptors: Record<string, number>[] = [];
      if (layout !== undefined)
        for (let n = 0; n < count; n++)
          descriptors.push(layout.decode(model.dma.view, r.base + ((from + n) % r.entries) * r.entrySize));
      this.add(i, { queue: q, ring: r.name, what: 'post', from, count, descriptors, ...(atOpen ? { atOpen } : {}) });
    } else if (e.layer === 'nic' && (e.what === 'dma' || e.what === 'drop')) {
      // the device's head registers say which posted descriptors this frame used (none for most drops)
      const used: RingMove[] = [];
      for (const r of this.infos) {
        if (r.queue !== q) continue;
        const k = key(q, r.name),
          from = this.heads.get(k)!,
          head = model.readHead(q, r.name),
          count = (head - from + r.entries) % r.entries;
        if (count === 0) continue;
        this.heads.set(k, head);
        const m: RingMove = { queue: q, ring: r.name, what: e.what === 'dma' ? 'fill' : 'skip', from, count };
        if (e.frame !== undefined) m.frame = e.frame;
        used.push(m);
      }
      if (e.what === 'dma' && e.ring !== undefined && e.slot !== undefined) {
        const done = model.ring(q, e.ring),
          layout = this.deviceLayout;
        if (layout !== undefined)
          for (const m of used)
            m.completion = {
              ring: e.ring,
              slot: e.slot,
              fields: layout.decode(model.dma.view, done.base + e.slot * done.entrySize),
            };
        this.inCompletion.set(`${q}/${e.ring}/${e.slot}`, used);
      }
      for (const m of used) this.add(i, m);
    } else if (e.layer === 'driver' && e.what === 'completion' && e.ring !== undefined && e.slot !== undefined) {
      const k = `${q}/${e.ring}/${e.slot}`,
        used = this.inCompletion.get(k);
      if (used === undefined) return;
      this.inCompletion.delete(k);
      for (const m of used)
        this.add(i, {
          queue: q,
          ring: m.ring,
          what: 'take',
          from: m.from,
          count: m.count,
          ...(m.frame !== undefined ? { frame: m.frame } : {}),
        });
    }
  }
}

function key(q: number, ring: string): string {
  return `${q}/${ring}`;
}

/** A decoded descriptor in words: its fields as the datasheet names them. */
export function describeDescriptor(layout: string, d: Record<string, number> | undefined): string {
  if (d === undefined) return `${layout}: not written yet`;
  return `${layout} ${Object.entries(d)
    .map(([k, v]) => `${k} ${/addr/i.test(k) ? `0x${v.toString(16)}` : v}`)
    .join(', ')}`;
}
