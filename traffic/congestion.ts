// A closed-loop sender's congestion state: slow start, congestion avoidance (NewReno or CUBIC), NewReno
// fast recovery and an RFC 6298 retransmission timer with Linux's floor. Window growth is counted the
// way the chosen kernel counts it:
// - 'per-ack' (Linux 2.6.24 with tcp_abc 0): every ACK that acknowledges new data is one step of
//   growth, however many segments it covers — so a receiver that ACKs less often (LRO aggregates
//   counted as one packet) slows the sender down;
// - 'per-segment' (Linux ≥ 2.6.38's tcp_slow_start(tp, acked), tcp_cong_avoid_ai): growth is counted in
//   acknowledged segments, so the ACK rate no longer matters.
// The window is kept in segments (snd_cwnd) as Linux keeps it; the flow turns it into bytes with its MSS.

export type WindowGrowth = 'per-ack' | 'per-segment';
export type CongestionAlgorithm = 'newreno' | 'cubic';

export interface CongestionSettings {
  algorithm: CongestionAlgorithm;
  growth: WindowGrowth;
  /** Initial congestion window, segments (RFC 6928: 10). */
  initialWindow: number;
  /** Floor of the retransmission timeout (Linux TCP_RTO_MIN, 200 ms). */
  minRtoNs: number;
  /** Largest window in segments (the send buffer). */
  clamp: number;
  /** CUBIC's multiplicative decrease, ×1024 (2.6.24: 819; modern: 717). */
  cubicBeta: number;
}

export interface CongestionStats {
  /** RTT samples taken (Karn: never from a retransmitted segment). */
  rttSamples: number;
  /** Times the window grew by one segment or more. */
  cwndIncreases: number;
  /** Largest congestion window reached, segments. */
  maxCwnd: number;
  /** Entries into fast recovery. */
  recoveries: number;
  /** Time (ns) the window first reached ssthresh or stopped growing in slow start (-1: never left slow start). */
  slowStartExitNs: number;
}

/** Most points kept in `history` (a point: time, window, ACKs so far). */
const MAX_HISTORY_POINTS = 20_000;
/** A point is kept when the window changed or this much time passed since the last one. */
const HISTORY_STEP_NS = 100_000;

/** Linux TCP_RTO_MAX: 120 s. */
const MAX_RTO_NS = 120e9;
/** RFC 6298 clock granularity G (Linux's jiffy at HZ 1000). */
const GRANULARITY_NS = 1e6;
/** CUBIC's C, 0.4 (Linux: bic_scale 41 / 1024 × 10). */
const CUBIC_C = 0.4;
/** The window never drops below 2 segments after a loss (Linux: ssthresh ≥ 2). */
const MIN_SSTHRESH = 2;

export class CongestionControl {
  /** Congestion window, segments. */
  cwnd: number;
  ssthresh = Infinity;
  /** Segments (or ACKs, per-ack growth) counted towards the next one-segment increase. */
  private cwndCnt = 0;
  /** Smoothed RTT and its variation (RFC 6298), ns; srtt < 0 until the first sample. */
  srtt = -1;
  rttvar = 0;
  minRtt = Infinity;
  /** Current retransmission timeout (before backoff), ns. */
  rto: number;
  // CUBIC state (bictcp)
  private lastMaxCwnd = 0;
  private epochStart = -1;
  private originPoint = 0;
  private k = 0;
  /** CUBIC's Reno estimate: ACKs (segments) counted since the epoch, and the window Reno would have. */
  private ackCnt = 0;
  private tcpCwnd = 0;
  /** Window against time for charts: flat triples (ns, cwnd, ACKs received so far). */
  readonly history: number[] = [];
  readonly stats: CongestionStats = { rttSamples: 0, cwndIncreases: 0, maxCwnd: 0, recoveries: 0, slowStartExitNs: -1 };

  constructor(readonly s: CongestionSettings) {
    this.cwnd = Math.min(s.initialWindow, s.clamp);
    this.stats.maxCwnd = this.cwnd;
    // The flows start established: until the first sample the timer sits at its floor, as after a handshake on a short path.
    this.rto = s.minRtoNs;
  }

  get inSlowStart(): boolean {
    return this.cwnd < this.ssthresh;
  }

  /** Called for every ACK the flow receives, after the window was updated. */
  note(nowNs: number, acks: number): void {
    const h = this.history,
      n = h.length;
    if (n >= MAX_HISTORY_POINTS * 3) return;
    if (n === 0 || h[n - 2] !== this.cwnd || nowNs - h[n - 3]! >= HISTORY_STEP_NS) h.push(nowNs, this.cwnd, acks);
  }

  /** One RTT measurement (ns) of a segment that was sent once. */
  sample(rttNs: number): void {
    const r = Math.max(rttNs, 1);
    this.stats.rttSamples++;
    if (r < this.minRtt) this.minRtt = r;
    if (this.srtt < 0) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    // Linux keeps the variation term at least TCP_RTO_MIN: RTO = SRTT + max(G, 4·RTTVAR, rto_min).
    this.rto = Math.min(MAX_RTO_NS, this.srtt + Math.max(GRANULARITY_NS, 4 * this.rttvar, this.s.minRtoNs));
  }

  /** The timeout for the `backoff`-th consecutive expiry. */
  timeoutNs(backoff: number): number {
    return Math.min(MAX_RTO_NS, this.rto * 2 ** backoff);
  }

  /**
   * An ACK acknowledged `segments` new segments outside recovery. `cwndLimited`: the flow had
   * filled its window (Linux grows the window only then, tcp_is_cwnd_limited).
   */
  onAck(segments: number, nowNs: number, cwndLimited: boolean): void {
    if (!cwndLimited || segments <= 0) return;
    const perAck = this.s.growth === 'per-ack';
    let acked = perAck ? 1 : segments;
    const before = this.cwnd;
    if (this.inSlowStart) {
      // 2.6.24 tcp_slow_start (abc 0): cwnd += 1 per ACK; modern: cwnd += acked, up to ssthresh, the rest to avoidance.
      const room = this.ssthresh === Infinity ? acked : Math.min(acked, this.ssthresh - this.cwnd);
      this.cwnd += room;
      acked = perAck ? 0 : acked - room;
      if (!this.inSlowStart && this.stats.slowStartExitNs < 0) this.stats.slowStartExitNs = nowNs;
    }
    if (acked > 0 && !this.inSlowStart) {
      const w = this.s.algorithm === 'cubic' ? this.cubicCount(nowNs, acked) : this.cwnd;
      // tcp_cong_avoid_ai: a count reached under a larger w (the curve moved) gives one segment and restarts
      if (this.cwndCnt >= w) {
        this.cwndCnt = 0;
        this.cwnd++;
      }
      this.cwndCnt += acked;
      if (this.cwndCnt >= w) {
        const delta = Math.floor(this.cwndCnt / w);
        this.cwndCnt -= delta * w;
        this.cwnd += delta;
      }
    }
    if (this.cwnd > this.s.clamp) this.cwnd = this.s.clamp;
    if (this.cwnd > before) {
      this.stats.cwndIncreases++;
      if (this.cwnd > this.stats.maxCwnd) this.stats.maxCwnd = this.cwnd;
    }
  }

  /**
   * bictcp_update: ACKs (or segments) per one-segment increase, from the cubic curve one min-RTT
   * ahead, but never slower than the Reno flow of the same β would grow (tcp_friendliness: on the
   * lab's sub-millisecond paths this is what governs).
   */
  private cubicCount(nowNs: number, acked: number): number {
    if (this.epochStart < 0) {
      this.epochStart = nowNs;
      this.ackCnt = acked;
      this.tcpCwnd = this.cwnd;
      if (this.cwnd < this.lastMaxCwnd) {
        this.k = Math.cbrt((this.lastMaxCwnd - this.cwnd) / CUBIC_C);
        this.originPoint = this.lastMaxCwnd;
      } else {
        this.k = 0;
        this.originPoint = this.cwnd;
      }
    }
    const rtt = this.minRtt === Infinity ? 0 : this.minRtt;
    const t = (nowNs - this.epochStart + rtt) / 1e9;
    const target = this.originPoint + CUBIC_C * (t - this.k) ** 3;
    let cnt = target > this.cwnd ? this.cwnd / (target - this.cwnd) : 100 * this.cwnd;
    if (this.lastMaxCwnd === 0 && cnt > 20)
      cnt = 20; // no loss yet: grow at least 5 % per RTT
    else this.ackCnt += acked;
    // the Reno estimate: one segment per (8·(1024 + β)/3/(1024 − β)) / 8 windows of acknowledgements
    const b = this.s.cubicBeta;
    const perSegment = (this.cwnd * Math.floor((8 * (1024 + b)) / 3 / (1024 - b))) / 8;
    while (this.ackCnt > perSegment) {
      this.ackCnt -= perSegment;
      this.tcpCwnd++;
    }
    if (this.tcpCwnd > this.cwnd) cnt = Math.min(cnt, this.cwnd / (this.tcpCwnd - this.cwnd));
    return Math.max(cnt, 2);
  }

  /** Multiplicative decrease on a loss signal; returns the new ssthresh. */
  private decrease(): number {
    if (this.s.algorithm === 'cubic') {
      const beta = this.s.cubicBeta / 1024;
      this.epochStart = -1;
      // fast convergence: a flow whose maximum keeps falling gives way sooner
      this.lastMaxCwnd = this.cwnd < this.lastMaxCwnd ? (this.cwnd * (1 + beta)) / 2 : this.cwnd;
      return Math.max(Math.floor(this.cwnd * beta), MIN_SSTHRESH);
    }
    return Math.max(Math.floor(this.cwnd / 2), MIN_SSTHRESH);
  }

  /** Third duplicate ACK: NewReno enters fast recovery with the window inflated by the three segments that left. */
  enterRecovery(nowNs: number): void {
    this.stats.recoveries++;
    if (this.stats.slowStartExitNs < 0) this.stats.slowStartExitNs = nowNs;
    this.ssthresh = this.decrease();
    this.cwnd = this.ssthresh + 3;
    this.cwndCnt = 0;
  }

  /** A further duplicate ACK in recovery: one more segment has left the network. */
  inflate(): void {
    if (this.cwnd < this.s.clamp) this.cwnd++;
  }

  /** A partial ACK in recovery (RFC 6582): deflate by what it acknowledged, add back one for the retransmission. */
  partialAck(segments: number): void {
    this.cwnd = Math.max(this.cwnd - segments + 1, 1);
  }

  /** The ACK that covers `recover`: the window is ssthresh again. */
  exitRecovery(): void {
    this.cwnd = Math.min(this.ssthresh, this.cwnd);
    this.cwndCnt = 0;
  }

  /** Retransmission timeout: ssthresh from the window, the window back to one segment (slow start again). */
  onTimeout(nowNs: number): void {
    if (this.stats.slowStartExitNs < 0) this.stats.slowStartExitNs = nowNs;
    this.ssthresh = this.decrease();
    this.cwnd = 1;
    this.cwndCnt = 0;
  }
}
