// Measurement helpers for run reports: a latency recorder with exact nearest-rank percentiles, and
// a bounded time-series sampler (ring occupancy) that downsamples instead of growing without limit.

/**
 * Latency samples in ns, each with a weight (how many segments it stands for). Exact while the
 * number of recorded entries stays under `maxEntries`; past that it keeps every 2nd entry and from
 * then on records only every 2^k-th call (systematic, deterministic decimation; `exact` turns false).
 * `max`, `count` and `sum` stay exact always.
 */
/** A LatencyRecorder's kept samples and totals as plain data. */
export interface LatencySamples {
  /** Typed arrays: a worker thread's clone of them is one copy each. */
  values: Float64Array;
  weights: Float64Array;
  stride: number;
  count: number;
  sum: number;
  max: number;
  min: number;
}

export class LatencyRecorder {
  private values: Float64Array;
  private weights: Float64Array;
  private n = 0;
  private stride = 1;
  private calls = 0;
  /** Total weight recorded (exact). */
  count = 0;
  /** Sum of value·weight (exact up to float rounding). */
  sum = 0;
  max = 0;
  min = Infinity;

  constructor(private readonly maxEntries = 1 << 21) {
    const cap = Math.min(1024, maxEntries);
    this.values = new Float64Array(cap);
    this.weights = new Float64Array(cap);
  }

  get exact(): boolean {
    return this.stride === 1;
  }

  record(valueNs: number, weight = 1): void {
    if (weight <= 0) return;
    this.count += weight;
    this.sum += valueNs * weight;
    if (valueNs > this.max) this.max = valueNs;
    if (valueNs < this.min) this.min = valueNs;
    if (this.calls++ % this.stride !== 0) return;
    if (this.n === this.values.length) {
      if (this.n < this.maxEntries) this.grow();
      else this.decimate();
    }
    this.values[this.n] = valueNs;
    this.weights[this.n] = weight;
    this.n++;
  }

  /**
   * Nearest-rank percentile (p in (0,100]): the smallest recorded value v such that the weight of
   * samples ≤ v is at least ceil(p/100 · total weight). 0 when nothing was recorded.
   */
  percentile(p: number): number {
    return this.percentiles([p])[0]!;
  }

  /**
   * Several percentiles, each found by a weighted selection over a copy of the samples (linear time: a run on several
   * cores merges millions of samples, and a sort of them took a second). The nearest-rank value is unique, so it is
   * the one a sort by value finds.
   */
  percentiles(ps: readonly number[]): number[] {
    if (this.n === 0) return ps.map(() => 0);
    const n = this.n;
    const v = this.values.slice(0, n),
      w = this.weights.slice(0, n);
    let total = 0;
    for (let i = 0; i < n; i++) total += w[i]!;
    return ps.map((p) => selectWeighted(v, w, n, Math.max(1, Math.ceil((p / 100) * total - 1e-9))));
  }

  /** What the recorder holds, as plain data (a worker thread sends it back; `merged` joins several). */
  samples(): LatencySamples {
    return {
      values: this.values.slice(0, this.n),
      weights: this.weights.slice(0, this.n),
      stride: this.stride,
      count: this.count,
      sum: this.sum,
      max: this.max,
      min: this.min,
    };
  }

  /**
   * One recorder holding every part's samples, in part order (several cores' recorders): totals sum, percentiles run
   * over the union of kept samples, exact only when every part was.
   */
  static merged(parts: readonly LatencySamples[]): LatencyRecorder {
    const n = parts.reduce((a, p) => a + p.values.length, 0);
    const r = new LatencyRecorder(Math.max(1024, n));
    r.values = new Float64Array(Math.max(1, n));
    r.weights = new Float64Array(Math.max(1, n));
    for (const p of parts) {
      r.values.set(p.values, r.n);
      r.weights.set(p.weights, r.n);
      r.n += p.values.length;
      r.count += p.count;
      r.sum += p.sum;
      if (p.max > r.max) r.max = p.max;
      if (p.min < r.min) r.min = p.min;
      if (p.stride > r.stride) r.stride = p.stride;
    }
    return r;
  }

  private grow(): void {
    const cap = Math.min(this.maxEntries, this.values.length * 2);
    const nv = new Float64Array(cap);
    nv.set(this.values);
    this.values = nv;
    const nw = new Float64Array(cap);
    nw.set(this.weights);
    this.weights = nw;
  }

  private decimate(): void {
    let j = 0;
    for (let i = 0; i < this.n; i += 2) {
      this.values[j] = this.values[i]!;
      this.weights[j] = this.weights[i]!;
      j++;
    }
    this.n = j;
    this.stride *= 2;
    this.calls = 1; // the call being recorded now is kept; the next kept one is `stride` calls later
  }
}

export interface OccupancyPoint {
  t: number;
  occupancy: number;
}

/**
 * Records (t, occupancy) points per queue. Each queue keeps at most `maxPoints`: when full it drops
 * every other point and from then on keeps one call in `stride` (doubling each time), so a long run
 * gives an evenly thinned series covering the whole run.
 */
export class OccupancySampler {
  private readonly series = new Map<
    number,
    { t: number[]; occ: number[]; stride: number; calls: number; peak: number }
  >();

  constructor(readonly maxPoints = 1024) {
    if (maxPoints < 2) throw new RangeError(`OccupancySampler maxPoints must be at least 2 (got ${maxPoints})`);
  }

  record(queue: number, tNs: number, occupancy: number): void {
    let s = this.series.get(queue);
    if (s === undefined) {
      s = { t: [], occ: [], stride: 1, calls: 0, peak: 0 };
      this.series.set(queue, s);
    }
    if (occupancy > s.peak) s.peak = occupancy;
    if (s.calls++ % s.stride !== 0) return;
    if (s.t.length >= this.maxPoints) {
      let j = 0;
      for (let i = 0; i < s.t.length; i += 2) {
        s.t[j] = s.t[i]!;
        s.occ[j] = s.occ[i]!;
        j++;
      }
      s.t.length = j;
      s.occ.length = j;
      s.stride *= 2;
      s.calls = 1;
    }
    s.t.push(tNs);
    s.occ.push(occupancy);
  }

  queues(): number[] {
    return [...this.series.keys()].sort((a, b) => a - b);
  }

  points(queue: number): OccupancyPoint[] {
    const s = this.series.get(queue);
    return s === undefined ? [] : s.t.map((t, i) => ({ t, occupancy: s.occ[i]! }));
  }

  /** Highest occupancy ever recorded for the queue (exact, including thinned-out points). */
  peak(queue: number): number {
    return this.series.get(queue)?.peak ?? 0;
  }
}

/**
 * The smallest value x of v[0, n) such that the weights of the values ≤ x sum to at least `rank` (the largest value
 * when they never do): a quickselect with three-way partitions, moving each weight with its value. Permutes v and w.
 */
function selectWeighted(v: Float64Array, w: Float64Array, n: number, rank: number): number {
  let lo = 0,
    hi = n,
    need = rank;
  while (hi - lo > 0) {
    const a = v[lo]!,
      b = v[lo + ((hi - lo) >> 1)]!,
      c = v[hi - 1]!;
    const pivot = a < b ? (b < c ? b : Math.max(a, c)) : a < c ? a : Math.max(b, c);
    // [lo, lt): < pivot; [lt, i): = pivot; [gt, hi): > pivot
    let lt = lo,
      i = lo,
      gt = hi,
      below = 0,
      equal = 0;
    while (i < gt) {
      const x = v[i]!;
      if (x < pivot) {
        below += w[i]!;
        swap(v, w, lt++, i++);
      } else if (x > pivot) swap(v, w, i, --gt);
      else {
        equal += w[i]!;
        i++;
      }
    }
    if (need <= below) hi = lt;
    else if (need <= below + equal) return pivot;
    else {
      need -= below + equal;
      if (gt === hi) return pivot; // nothing above: the rank is past the total weight
      lo = gt;
    }
  }
  return v[lo]!;
}

function swap(v: Float64Array, w: Float64Array, i: number, j: number): void {
  const x = v[i]!,
    y = w[i]!;
  v[i] = v[j]!;
  w[i] = w[j]!;
  v[j] = x;
  w[j] = y;
}
