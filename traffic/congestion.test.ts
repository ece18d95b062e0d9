import { describe, expect, it } from 'vitest';
import { CongestionControl, type CongestionSettings } from './congestion.ts';
import { VirtualClock } from '../sim/clock.ts';
import { AckDelayLine } from './ack-delay.ts';

const base: CongestionSettings = {
  algorithm: 'newreno',
  growth: 'per-ack',
  initialWindow: 10,
  minRtoNs: 200e6,
  clamp: 10_000,
  cubicBeta: 819,
};

describe('CongestionControl', () => {
  it('slow start, per ACK (2.6.24, tcp_abc 0): one segment per ACK however many it covers', () => {
    const cc = new CongestionControl(base);
    for (let i = 0; i < 5; i++) cc.onAck(8, 0, true); // five ACKs, each for an 8-segment aggregate
    expect(cc.cwnd).toBe(15);
  });

  it('slow start, per segment (modern): the window grows by the segments acknowledged', () => {
    const cc = new CongestionControl({ ...base, growth: 'per-segment' });
    for (let i = 0; i < 5; i++) cc.onAck(8, 0, true);
    expect(cc.cwnd).toBe(50);
  });

  it('does not grow while the window is not what limits the flow', () => {
    const cc = new CongestionControl(base);
    cc.onAck(2, 0, false);
    expect(cc.cwnd).toBe(10);
  });

  it('NewReno: halve on three duplicate ACKs, inflate, deflate on a partial ACK, ssthresh on the full one, then one segment per window', () => {
    const cc = new CongestionControl({ ...base, initialWindow: 40 });
    cc.enterRecovery(1000);
    expect([cc.ssthresh, cc.cwnd]).toEqual([20, 23]);
    cc.inflate();
    cc.inflate();
    expect(cc.cwnd).toBe(25);
    cc.partialAck(5);
    expect(cc.cwnd).toBe(21);
    cc.exitRecovery();
    expect(cc.cwnd).toBe(20);
    for (let i = 0; i < 20; i++) cc.onAck(1, 2000, true); // congestion avoidance: 20 ACKs for +1
    expect(cc.cwnd).toBe(21);
    expect(cc.stats).toMatchObject({ recoveries: 1, slowStartExitNs: 1000 });
  });

  it('a timeout: ssthresh from the window, the window back to one segment', () => {
    const cc = new CongestionControl({ ...base, initialWindow: 16 });
    cc.onTimeout(5);
    expect([cc.ssthresh, cc.cwnd]).toEqual([8, 1]);
  });

  it('CUBIC cuts to beta × window (819/1024 in 2.6.24) and regains the old maximum near K on a long path', () => {
    const cc = new CongestionControl({ ...base, algorithm: 'cubic', growth: 'per-segment', initialWindow: 100 });
    cc.sample(100e6);
    cc.enterRecovery(0);
    cc.exitRecovery();
    expect(cc.cwnd).toBe(79);
    let t = 0,
      atOneSecond = 0;
    while (cc.cwnd < 100 && t < 10e9) {
      t += 100e6;
      cc.onAck(cc.cwnd, t, true);
      if (t === 1e9) atOneSecond = cc.cwnd;
    } // one window per 100 ms round trip
    // W(t) = 100 + 0.4 (t − K)³ with K = cbrt(21 / 0.4) ≈ 3.74 s: 91.7 at 1 s; concave, so the last segments come slowly
    expect(atOneSecond).toBe(91);
    expect(t / 1e9).toBeGreaterThanOrEqual(2.0);
    expect(t / 1e9).toBeLessThanOrEqual(3.8);
  });

  it('CUBIC on a short path grows as the Reno flow of the same beta would (tcp_friendliness)', () => {
    const cc = new CongestionControl({ ...base, algorithm: 'cubic', growth: 'per-segment', initialWindow: 100 });
    cc.sample(100_000);
    cc.enterRecovery(0);
    cc.exitRecovery();
    let rtts = 0;
    while (cc.cwnd < 100 && rtts < 1000) {
      rtts++;
      cc.onAck(cc.cwnd, rtts * 100_000, true);
    }
    // Reno with beta 0.8 adds 8·3/23 ≈ 1/3 segment per round trip: 21 segments in about 63 round trips (the cubic curve alone would take 37,000)
    expect(rtts).toBeGreaterThan(55);
    expect(rtts).toBeLessThan(75);
  });

  it('RFC 6298 timer with Linux floor: SRTT + max(4·RTTVAR, 200 ms), doubling per backoff up to 120 s', () => {
    const cc = new CongestionControl(base);
    expect(cc.timeoutNs(0)).toBe(200e6);
    cc.sample(100_000);
    expect(cc.srtt).toBe(100_000);
    expect(cc.rttvar).toBe(50_000);
    expect(cc.rto).toBe(200_100_000);
    cc.sample(300_000);
    expect(cc.srtt).toBe(125_000);
    expect(cc.rttvar).toBe(0.75 * 50_000 + 0.25 * 200_000);
    expect(cc.timeoutNs(2)).toBe(4 * (125_000 + 200e6));
    expect(cc.timeoutNs(20)).toBe(120e9);
  });
});

describe('AckDelayLine', () => {
  it('hands each ACK over the delay later, in order, growing past its first ring', () => {
    const clock = new VirtualClock();
    const got: [number, number, number][] = [];
    const line = new AckDelayLine(clock, 1000, (flow, ack) => got.push([clock.now, flow, ack]));
    for (let i = 0; i < 100; i++) clock.at(i * 10, () => line.push(i % 3, i, 65535, false, -1));
    clock.run();
    expect(got).toHaveLength(100);
    expect(got[0]).toEqual([1000, 0, 0]);
    expect(got[99]).toEqual([1990, 0, 99]);
    expect(got.every(([t, , a]) => t === a * 10 + 1000)).toBe(true);
    expect(line.peak).toBe(100);
  });
});
