// The return path's propagation delay: each ACK the host sends reaches the link partner a fixed time
// later. The delay is constant, so ACKs leave in the order they entered; they wait in a ring of
// parsed fields (flow index, ack, window, data flag, TSval), never as frames, and one clock event
// is pending at a time (for the oldest ACK).
import type { VirtualClock } from '../sim/clock.ts';

export type AckHandler = (flow: number, ack: number, win: number, hasData: boolean, tsval: number) => void;

export class AckDelayLine {
  private cap = 64;
  private flow = new Int32Array(this.cap);
  private ack = new Float64Array(this.cap);
  private win = new Float64Array(this.cap);
  private tsval = new Float64Array(this.cap);
  private due = new Float64Array(this.cap);
  private hasData = new Uint8Array(this.cap);
  private head = 0;
  private count = 0;
  private scheduled = false;
  /** Most ACKs in flight at once. */
  peak = 0;

  constructor(
    private readonly clock: VirtualClock,
    private readonly delayNs: number,
    private readonly deliver: AckHandler,
  ) {}

  get length(): number {
    return this.count;
  }

  push(flow: number, ack: number, win: number, hasData: boolean, tsval: number): void {
    if (this.count === this.cap) this.grow();
    const i = (this.head + this.count) % this.cap;
    this.flow[i] = flow;
    this.ack[i] = ack;
    this.win[i] = win;
    this.tsval[i] = tsval;
    this.hasData[i] = hasData ? 1 : 0;
    this.due[i] = this.clock.now + this.delayNs;
    this.count++;
    if (this.count > this.peak) this.peak = this.count;
    if (!this.scheduled) {
      this.scheduled = true;
      this.clock.at(this.due[i]!, this.onDue);
    }
  }

  private readonly onDue = (): void => {
    this.scheduled = false;
    const now = this.clock.now;
    while (this.count > 0 && this.due[this.head]! <= now) {
      const i = this.head;
      this.head = (this.head + 1) % this.cap;
      this.count--;
      this.deliver(this.flow[i]!, this.ack[i]!, this.win[i]!, this.hasData[i] === 1, this.tsval[i]!);
    }
    if (this.count > 0 && !this.scheduled) {
      this.scheduled = true;
      this.clock.at(this.due[this.head]!, this.onDue);
    }
  };

  private grow(): void {
    const n = this.cap * 2;
    const move = <T extends Int32Array | Float64Array | Uint8Array>(a: T, b: T): T => {
      for (let k = 0; k < this.count; k++) b[k] = a[(this.head + k) % this.cap]!;
      return b;
    };
    this.flow = move(this.flow, new Int32Array(n));
    this.ack = move(this.ack, new Float64Array(n));
    this.win = move(this.win, new Float64Array(n));
    this.tsval = move(this.tsval, new Float64Array(n));
    this.due = move(this.due, new Float64Array(n));
    this.hasData = move(this.hasData, new Uint8Array(n));
    this.head = 0;
    this.cap = n;
  }
}
