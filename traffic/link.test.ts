import { describe, it, expect } from 'vitest';
import { VirtualClock } from '../sim/clock.ts';
import { Link, DirectTx, FRAME_FLAG, wireBytes, wireTimeNs, type FrameSink } from './link.ts';

class Recorder implements FrameSink {
  readonly times: number[] = [];
  readonly lengths: number[] = [];
  readonly firstBytes: number[] = [];
  readonly flags: number[] = [];
  constructor(private readonly link?: () => Link) {}
  receiveFrame(frame: Uint8Array, length: number, nowNs: number): void {
    this.times.push(nowNs);
    this.lengths.push(length);
    this.firstBytes.push(frame[0]!);
    if (this.link) this.flags.push(this.link().deliveringFlags);
  }
}

function frameOf(len: number, tag: number): Uint8Array {
  const f = new Uint8Array(len);
  f[0] = tag;
  return f;
}

describe('wire time', () => {
  it('counts preamble, SFD, FCS, padding to 64 and the inter-frame gap', () => {
    expect(wireBytes(1514)).toBe(1538);
    expect(wireBytes(60)).toBe(84);
    expect(wireBytes(42)).toBe(84); // padded to 64 with FCS
    expect(wireBytes(61)).toBe(85);
    expect(wireTimeNs(1514, 10)).toBe(1230.4);
    expect(wireTimeNs(1514, 1)).toBe(12304);
    expect(wireTimeNs(60, 100)).toBe(6.72);
  });
});

describe('Link', () => {
  it('delivers 1518-byte frames (1514 without FCS) at 10 Gb/s every 1230.4 ns, when the FCS has arrived', () => {
    const clock = new VirtualClock();
    const rec = new Recorder();
    const link = new Link(clock, rec, 10);
    for (let i = 0; i < 5; i++) link.transmit(frameOf(1514, i), 1514);
    expect(link.backlog()).toBe(5);
    clock.run();
    // last FCS bit = start + (1538 - 12) * 0.8 ns; the gap follows it
    expect(rec.times).toEqual([1220.8, 2451.2, 3681.6, 4912, 6142.4]);
    expect(rec.firstBytes).toEqual([0, 1, 2, 3, 4]);
    expect(link.stats).toEqual({
      framesDelivered: 5,
      bytesDelivered: 5 * 1514,
      wireBytes: 5 * 1538,
      maxQueued: 5,
      framesPadded: 0,
    });
    expect(link.backlog()).toBe(0);
  });

  it('times frames exactly at 1 and 100 Gb/s, counting padding of short frames', () => {
    const clock = new VirtualClock();
    const rec = new Recorder();
    const link = new Link(clock, rec, 1);
    link.transmit(frameOf(42, 1), 42); // 84 bytes of wire time: 672 ns, arrival after 72 bytes
    link.transmit(frameOf(1514, 2), 1514);
    clock.run();
    expect(rec.times).toEqual([576, 672 + 1526 * 8]);
    expect(rec.lengths).toEqual([60, 1514]); // the short frame arrives padded with zeros, as on a wire
    expect(link.stats.framesPadded).toBe(1);
    const c2 = new VirtualClock();
    const rec2 = new Recorder();
    const fast = new Link(c2, rec2, 100);
    for (let i = 0; i < 4; i++) fast.transmit(frameOf(60, i), 60);
    c2.run();
    expect(rec2.times).toEqual([5.76, 12.48, 19.2, 25.92]);
    const c3 = new VirtualClock();
    const rec3 = new Recorder();
    const l40 = new Link(c3, rec3, 40);
    l40.transmit(frameOf(1514, 0), 1514);
    l40.transmit(frameOf(1514, 0), 1514);
    c3.run();
    expect(rec3.times).toEqual([305.2, 612.8]);
  });

  it('starts an idle link at the current time and keeps the gap after a busy period', () => {
    const clock = new VirtualClock();
    const rec = new Recorder();
    const link = new Link(clock, rec, 10);
    clock.at(1000, () => link.transmit(frameOf(60, 1), 60));
    clock.at(1050, () => link.transmit(frameOf(60, 2), 60)); // link busy until 1067.2
    clock.at(5000, () => link.transmit(frameOf(60, 3), 60));
    clock.run();
    expect(rec.times).toEqual([1057.6, 1057.6 + 67.2, 5057.6]);
  });

  it('grows its queue without losing order, copies frames and reports per-frame flags', () => {
    const clock = new VirtualClock();
    let link!: Link;
    const rec = new Recorder(() => link);
    link = new Link(clock, rec, 10, { initialSlots: 2 });
    const f = new Uint8Array(100);
    for (let i = 0; i < 10; i++) {
      f[0] = i;
      link.transmit(f, 100, i === 3 ? FRAME_FLAG.CSUM_UNVERIFIABLE : 0);
    }
    clock.run();
    expect(rec.firstBytes).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(rec.flags).toEqual([0, 0, 0, FRAME_FLAG.CSUM_UNVERIFIABLE, 0, 0, 0, 0, 0, 0]);
    expect([...link.uncheckableFrames]).toEqual([3]);
  });

  it('accepts a frame transmitted from inside receiveFrame (an ACK answered at once) and refills on ready', () => {
    const clock = new VirtualClock();
    const got: number[] = [];
    let link!: Link;
    let sent = 0;
    const sink: FrameSink = {
      receiveFrame(frame, _len, now) {
        got.push(frame[0]!);
        if (frame[0] === 0) link.transmit(frameOf(60, 99), 60);
        expect(now).toBe(clock.now);
      },
    };
    link = new Link(clock, sink, 10, { initialSlots: 1 });
    link.addReadyListener(() => {
      if (sent < 3) link.transmit(frameOf(60, 10 + sent++), 60);
    });
    link.transmit(frameOf(60, 0), 60);
    clock.run();
    expect(got).toEqual([0, 99, 10, 11, 12]);
  });

  it('can deliver short frames unpadded', () => {
    const clock = new VirtualClock();
    const rec = new Recorder();
    const link = new Link(clock, rec, 10, { padShortFrames: false });
    link.transmit(frameOf(42, 1), 42);
    clock.run();
    expect(rec.lengths).toEqual([42]);
    expect(rec.times).toEqual([57.6]);
  });

  it('rejects a bad rate with a message naming it', () => {
    expect(() => new Link(new VirtualClock(), new Recorder(), 0)).toThrow(
      'link rateGbps: 0 is not a positive rate in Gb/s',
    );
  });
});

describe('DirectTx', () => {
  it('delivers at once at the current time', () => {
    const clock = new VirtualClock();
    const rec = new Recorder();
    const tx = new DirectTx(clock, rec);
    clock.advanceTo(77);
    tx.transmit(frameOf(60, 5), 60);
    expect(rec.times).toEqual([77]);
    expect(tx.backlog()).toBe(0);
  });
});
