// Virtual time in nanoseconds and the event queue every layer schedules on. Nothing in the core
// reads a wall clock: a run is a pure function of its configuration and seed.

export type EventFn = () => void;

/** A timer handle returned by `schedule`; `cancel()` makes the event a no-op. */
export interface Timer {
  readonly at: number;
  cancel(): void;
}

/** A queued event, which is also its own Timer handle (one object per event, no closure). */
class Slot implements Timer {
  cancelled = false;
  constructor(
    public at: number,
    public seq: number,
    public fn: EventFn,
    /** Queued by `post`: no handle escaped, so the slot is reused once it has run. */
    readonly reusable: boolean,
  ) {}
  cancel(): void {
    this.cancelled = true;
  }
}

/** A binary-heap event queue on a virtual nanosecond clock. Events at equal times run in scheduling order. */
export class VirtualClock {
  private heap: Slot[] = [];
  /** spare[0, spareTop): slots of `post`ed events that have run, for the next `post` (an index: pop would trim the store). */
  private readonly spare: Slot[] = [];
  private spareTop = 0;
  private seq = 0;
  private nowNs = 0;

  get now(): number {
    return this.nowNs;
  }
  get pending(): number {
    return this.heap.length;
  }

  /** Runs `fn` at absolute time `at` (ns); a time in the past runs at the current time. */
  at(at: number, fn: EventFn): Timer {
    const slot = new Slot(Math.max(at, this.nowNs), this.seq++, fn, false);
    this.push(slot);
    return slot;
  }

  /**
   * `at` for an event nobody cancels (a link's next arrival: one per frame): no handle is returned, so its slot is
   * reused once it has run, and a run allocates nothing per event.
   */
  post(at: number, fn: EventFn): void {
    const s = this.spareTop > 0 ? this.spare[--this.spareTop]! : undefined;
    if (s === undefined) {
      this.push(new Slot(Math.max(at, this.nowNs), this.seq++, fn, true));
      return;
    }
    s.at = Math.max(at, this.nowNs);
    s.seq = this.seq++;
    s.fn = fn;
    this.push(s);
  }

  /** Runs `fn` `delayNs` from now. */
  after(delayNs: number, fn: EventFn): Timer {
    return this.at(this.nowNs + delayNs, fn);
  }

  /** Moves time forward without running anything (time may never go backwards). */
  advanceTo(t: number): void {
    if (t > this.nowNs) this.nowNs = t;
  }

  /** Runs the next event; false when none is left (or the next is after `until`). */
  step(until = Infinity): boolean {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || top.at > until) return false;
      this.pop();
      if (top.cancelled) continue;
      this.nowNs = top.at;
      top.fn();
      if (top.reusable) this.spare[this.spareTop++] = top;
      return true;
    }
  }

  /** Runs every event up to `until` (inclusive); returns how many ran. */
  run(until = Infinity): number {
    let n = 0;
    while (this.step(until)) n++;
    if (until !== Infinity) this.advanceTo(until);
    return n;
  }

  private less(a: Slot, b: Slot): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(s: Slot): void {
    const h = this.heap;
    h.push(s);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1,
        r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
