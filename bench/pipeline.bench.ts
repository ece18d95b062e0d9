// End-to-end throughput of the whole receive path, as `vnic run` / `vnic replay` run it (lab/run.ts runLab):
// - `pipeline-ehea-4flows`: one lab run per measured run: an open-loop link partner sends 4 bulk flows (MSS 1448 with
//   timestamps, 1514-byte frames) over a 10 Gb/s link into the eHEA model → ehea driver → LRO → stack, whose sockets
//   check every byte (compared with the sender's pattern, runLab's shortcuts: wire/stream-check.ts); the run ends with
//   the byte-stream check (every flow must verify, else the bench throws).
//   Traffic generation (the partner and the link) is included.
// - `pipeline-ehea-4flows-ring`: the same model → driver → LRO → stack (sockets hashing every byte) fed from a ring of
//   pre-built frames (seq, IP ID and checksums patched in place) straight into `nic.receiveFrame` at 10 GbE arrival
//   times: traffic generation excluded. One long-lived pipeline, so the heap numbers show per-frame allocation; the
//   delivered byte counts are checked, the digests are not compared (the first case does that).
// - `replay`: `vnic replay` of a capture of 4 bulk flows written once to os.tmpdir() (records 1.23 µs apart, i.e. at
//   10 GbE line rate), with `--out` writing every packet the stack received to a new pcap file: reading and writing
//   included. The capture (VNIC_BENCH_CAPTURE_FRAMES frames, default 1 M ≈ 1.5 GB) is written during the warm-up; a run
//   replays it round(n / that) times, at least once. Both files are removed when the process exits.
// - `pipeline-mq-4queues`: the whole lab as `vnic run --cpus 2` runs it (lab/multicore.ts), on one thread: 4 open-loop
//   bulk flows at 10 Gb/s into an mq NIC with 4 RSS queues, queue q serviced on simulated core q mod 2 (each core its
//   own stack, CPU and DMA region), GRO, every byte verified. `pipeline-mq-4queues-workers`: the same run split over
//   2 worker threads (`--workers 2`, cli/pool/workers.ts: the main thread generates and steers the wire, each worker
//   runs one core on the frames fed to it; the threads are started by the warm-up and kept). Their ratio is in the JSON's `ratios.workersToOneThread`.
// - `memory-flat-ehea-4flows`: the first case's pipeline for 10 M frames (`--packets`), the retained heap taken at 1 M
//   (a tenth) and at the end, with a verdict (the issue's "memory flat" target, asserted here, not in a test).
// Extras: frames the NIC was offered, stack deliveries, drops, and `retainedHeapMB` (heap after GC with the run's
// result still referenced: flat over run lengths means no per-frame growth).
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync, rmSync } from 'node:fs';
import { runLab, resolveDriver, type LabConfig, type RunResult } from '../lab/run.ts';
import { runMulticore } from '../lab/multicore.ts';
import type { SeedRunAnswer } from '../lab/seeds.ts';
import { runOnWorkers } from '../cli/pool/workers.ts';
import { WorkerPool } from '../cli/pool/pool.ts';
import { VirtualClock } from '../sim/clock.ts';
import { LabEvents, NO_TRACE, type Tracer } from '../observe/trace.ts';
import { createModel } from '../hw-models/registry.ts';
import { Stack } from '../stack/index.ts';
import { DriverOptionsSchema } from '../drivers/index.ts';
import { CaptureWriter, readCapture } from '../tap/index.ts';
import { flowKey, frame } from '../wire/index.ts';
import type { NicModel } from '../hw-models/model.ts';
import type { BenchCase, BenchOutcome } from './run.ts';
import { getGc } from './gc.ts';
import { builtChecksums, stampSeqAndId } from './frame-stamp.ts';

const FLOWS = 4;
const MSS = 1448;
/** Wire time of a 1514-byte frame at 10 Gb/s: (8 + 1518 + 12) bytes × 0.8 ns. */
const FRAME_NS = 1230.4;

const gc = getGc();

function retainedHeapMB(): number {
  gc?.();
  return Math.round(process.memoryUsage().heapUsed / 1e5) / 10;
}

function sumValues(r: Record<string, number> | undefined): number {
  let s = 0;
  for (const v of Object.values(r ?? {})) s += v;
  return s;
}

function outcome(res: RunResult, label: string): { packets: number; [k: string]: number } {
  const rep = res.report;
  const verify = res.stack.verify(res.expectations);
  if (!verify.allOk || !res.conservation.ok) {
    throw new Error(
      `${label}: byte stream or conservation check failed: ${JSON.stringify({ conservation: res.conservation, flows: verify.flows.map((f) => [f.name, f.byteStreamOk, f.bytesDelivered, f.expectedBytes]) })}`,
    );
  }
  const out = {
    packets: res.model.framesOffered,
    skbsToStack: res.stack.stats.skbsIn,
    drops: sumValues(rep.drops as unknown as Record<string, number>),
    flowsVerified: verify.flows.filter((f) => f.byteStreamOk).length,
    retainedHeapMB: retainedHeapMB(),
  };
  return out;
}

/** The pipeline's lab config for at least `frames` frames: FLOWS open-loop bulk flows at 10 Gb/s into eHEA with LRO. */
function pipelineConfig(frames: number): LabConfig {
  return {
    model: 'ehea',
    engine: 'lro',
    traffic: {
      seed: 1,
      openLoop: true,
      rateGbps: 10,
      bytesPerFlow: Math.ceil(frames / FLOWS) * MSS,
      flows: [{ kind: 'bulk', count: FLOWS, mss: MSS }],
    },
    timeLimitNs: 1e12,
  };
}

function pipelineCase(): BenchCase {
  return {
    name: 'pipeline-ehea-4flows',
    packets: 5_000_000,
    warmup: 1_000_000,
    run(n) {
      return outcome(runLab(pipelineConfig(n)), 'pipeline-ehea-4flows');
    },
  };
}

// ---- memory flat ------------------------------------------------------------------------------------

/** Virtual time between two looks at the frame count (about 80 frames at 10 Gb/s). */
const PROBE_NS = 100_000;
/** Retained heap may grow by this much from the first mark to the last and still count as flat: a per-frame leak of
 *  0.1 byte would add 0.9 MB over the default 9 M frames between them. */
const FLAT_TOLERANCE_MB = 1;

/**
 * `memory-flat-ehea-4flows`: one pipeline run of n frames (default 10 M, `--packets`); the retained heap (after a full
 * GC, every part of the run alive) is taken when n / 10 frames (default 1 M) and when all n have reached the NIC. The
 * extras give both, the growth and the verdict (`flat` 1 or 0; a growth past FLAT_TOLERANCE_MB also sets the exit code).
 */
function memoryFlatCase(): BenchCase {
  return {
    name: 'memory-flat-ehea-4flows',
    packets: 10_000_000,
    warmup: 10_000,
    run(n) {
      const marks = [Math.max(1, Math.round(n / 10)), n];
      const heapMB = [-1, -1];
      let next = 0;
      const res = runLab(pipelineConfig(n), {
        onOpen: ({ model }) => {
          let seen = -1;
          const probe = (): void => {
            const offered = model.framesOffered;
            for (; next < marks.length && offered >= marks[next]!; next++) heapMB[next] = retainedHeapMB();
            // stop once every mark is taken, or when no frame came since the last look (the run is draining)
            if (next < marks.length && offered !== seen) model.clock.after(PROBE_NS, probe);
            seen = offered;
          };
          model.clock.after(PROBE_NS, probe);
        },
      });
      const out = outcome(res, 'memory-flat-ehea-4flows');
      if (n <= 100_000) return out; // the harness's warm-ups
      const [first, last] = heapMB as [number, number];
      const growth = Math.round((last - first) * 10) / 10;
      const flat = gc !== null && first >= 0 && last >= 0 && growth <= FLAT_TOLERANCE_MB;
      process.stderr.write(
        `memory-flat-ehea-4flows: retained heap ${first} MB after ${marks[0]} frames, ${last} MB after ${marks[1]}: ` +
          `${flat ? 'flat' : gc === null ? 'unknown (no gc())' : `NOT flat (+${growth} MB > ${FLAT_TOLERANCE_MB} MB)`}\n`,
      );
      if (!flat) process.exitCode = 1;
      return {
        ...out,
        firstMarkFrames: marks[0]!,
        retainedHeapMBAtFirstMark: first,
        retainedHeapMBAtEnd: last,
        growthMB: growth,
        flat: flat ? 1 : 0,
      };
    },
  };
}

// ---- a host with two cores: one thread, then two workers --------------------------------------------

function mqConfig(n: number): LabConfig {
  return {
    model: 'mq',
    queues: 4,
    cpus: 2,
    engine: 'gro',
    traffic: {
      seed: 1,
      openLoop: true,
      rateGbps: 10,
      bytesPerFlow: Math.ceil(n / FLOWS) * MSS,
      flows: [{ kind: 'bulk', count: FLOWS, mss: MSS }],
    },
    timeLimitNs: 1e12,
  };
}

function mqOutcome(r: SeedRunAnswer, label: string): BenchOutcome {
  const rep = r.report;
  if (!rep.allStreamsOk || !r.conservation.ok)
    throw new Error(`${label}: byte stream or conservation check failed: ${JSON.stringify(r.conservation)}`);
  return {
    packets: rep.framesIn,
    skbsToStack: rep.framesToStack,
    drops: rep.dropsTotal,
    flowsVerified: Object.values(rep.flows).filter((f) => f.byteStreamOk).length,
    retainedHeapMB: retainedHeapMB(),
  };
}

const mqCase = (): BenchCase => ({
  name: 'pipeline-mq-4queues',
  packets: 5_000_000,
  warmup: 1_000_000,
  run: (n) => mqOutcome(runMulticore(mqConfig(n)), 'pipeline-mq-4queues'),
});

/** Two worker threads kept from the warm-up on, as the one-thread case keeps its warmed-up thread. */
function mqWorkersCase(): BenchCase {
  let pool: WorkerPool | undefined;
  return {
    name: 'pipeline-mq-4queues-workers',
    packets: 5_000_000,
    warmup: 1_000_000,
    async run(n) {
      pool ??= new WorkerPool(2);
      return mqOutcome(await runOnWorkers(mqConfig(n), 2, { pool }), 'pipeline-mq-4queues-workers');
    },
    async close() {
      await pool?.destroy();
    },
  };
}

// ---- the frame ring (traffic generation excluded) ------------------------------------------------

const RING = 1024;

/** RING frames, slot s for flow s % FLOWS with its own payload bytes; `next()` patches seq, IP ID and checksums. */
class FrameRing {
  readonly frames: Uint8Array[] = [];
  private readonly ipCsum0 = new Uint16Array(RING);
  private readonly tcpCsum0 = new Uint16Array(RING);
  private readonly flowSeq = new Uint32Array(FLOWS);
  private readonly flowId = new Uint16Array(FLOWS);
  k = 0;
  constructor(readonly isn: number) {
    for (let s = 0; s < RING; s++) {
      const payload = new Uint8Array(MSS);
      for (let i = 0; i < MSS; i++) payload[i] = (Math.imul(s * MSS + i, 0x9e3779b1) >>> 24) & 0xff;
      const fr = frame()
        .eth({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' })
        .ipv4({ id: 0, src: '10.0.0.1', dst: '10.0.0.2' })
        .tcp({ sport: 40000 + (s % FLOWS), dport: 5001, seq: 0, ack: 1, ts: [1000, 2000], window: 65535 })
        .payload(payload)
        .build();
      this.frames.push(fr);
      const c = builtChecksums(fr);
      this.ipCsum0[s] = c.ip;
      this.tcpCsum0[s] = c.tcp;
    }
    this.flowSeq.fill(isn);
  }
  next(): Uint8Array {
    const s = this.k & (RING - 1),
      f = s % FLOWS;
    this.k++;
    const b = this.frames[s]!;
    const seq = this.flowSeq[f]!,
      id = this.flowId[f]!;
    stampSeqAndId(b, seq, id, this.tcpCsum0[s]!, this.ipCsum0[s]!);
    this.flowSeq[f] = (seq + MSS) >>> 0;
    this.flowId[f] = (id + 1) & 0xffff;
    return b;
  }
}

/**
 * The frame ring through eHEA + inet_lro. With `tracer` a LabEvents nobody listens to
 * ('pipeline-ehea-4flows-ring-events'), it measures what the event API costs a run without a subscriber.
 */
function ringCase(name = 'pipeline-ehea-4flows-ring', tracer: Tracer = NO_TRACE): BenchCase {
  let st: { clock: VirtualClock; model: NicModel; stack: Stack; ring: FrameRing; t: number } | null = null;
  return {
    name,
    packets: 5_000_000,
    warmup: 1_000_000,
    run(n) {
      if (st === null) {
        const clock = new VirtualClock();
        const model = createModel('ehea', { promiscuous: true, mtu: 1500 }, { clock, tracer });
        const stack = new Stack({ clock, tracer, netdevBudget: 300, ackCounting: 'gso_segs' });
        const info = resolveDriver({ model: 'ehea' });
        const driver = info.create({
          model,
          stack,
          tracer,
          options: DriverOptionsSchema.parse({ engine: 'lro', pollBudget: 64 }),
        });
        driver.open();
        const isn = 1000;
        for (let f = 0; f < FLOWS; f++) stack.tcp.expectFlow(flowKey('10.0.0.1', '10.0.0.2', 40000 + f, 5001), isn);
        stack.sendToWire = () => {};
        // the lab's per-skb receive hook (aggregate-size histogram)
        const sizes = new Float64Array(65);
        stack.onNetifReceive = (skb) => {
          sizes[Math.min(skb.wireFrames, 64)]!++;
        };
        st = { clock, model, stack, ring: new FrameRing(isn), t: 0 };
      }
      const { clock, model, stack, ring } = st;
      const f0 = model.framesOffered,
        w0 = stack.stats.wireFramesIn,
        b0 = stack.stats.bytesDelivered,
        s0 = stack.stats.skbsIn;
      let t = st.t;
      for (let i = 0; i < n; i++) {
        t += FRAME_NS;
        clock.run(t);
        model.receiveFrame(ring.next(), 1514, t);
      }
      clock.run(t + 1e6); // drain: the last polls and LRO flushes
      st.t = clock.now;
      const frames = model.framesOffered - f0,
        delivered = stack.stats.wireFramesIn - w0;
      const bytes = stack.stats.bytesDelivered - b0;
      if (delivered !== frames || bytes !== frames * MSS)
        throw new Error(`ring: ${frames} frames offered, ${delivered} delivered, ${bytes} bytes`);
      return { packets: frames, skbsToStack: stack.stats.skbsIn - s0, retainedHeapMB: retainedHeapMB() };
    },
  };
}

// ---- replay ----------------------------------------------------------------------------------------

/** Frames in the replayed capture; a run replays it round(n / CAPTURE_FRAMES) times (at least once). */
const CAPTURE_FRAMES = Number(process.env['VNIC_BENCH_CAPTURE_FRAMES'] ?? 1_000_000);
const captures = new Map<number, string>();

/** A pcap of `n` frames of 4 bulk flows to 10.0.0.2 (10 GbE spacing, nanosecond timestamps) in os.tmpdir(), written once. */
function captureOf(n: number): string {
  const have = captures.get(n);
  if (have !== undefined) return have;
  const path = join(tmpdir(), `vnic-bench-replay-${process.pid}-${n}.pcap`);
  const w = CaptureWriter.open(path, { format: 'pcap', nanosecond: true });
  const ring = new FrameRing(1000);
  for (let i = 0; i < n; i++) {
    const ns = Math.round(i * FRAME_NS);
    w.write({ tsSec: Math.floor(ns / 1e9), tsNsec: ns % 1e9, data: ring.next() });
  }
  w.close();
  captures.set(n, path);
  return path;
}

process.on('exit', () => {
  for (const p of captures.values()) if (existsSync(p)) rmSync(p);
});

/**
 * A case over the replay capture: `pass(capture, outPath)` once per CAPTURE_FRAMES frames asked for (at least once),
 * each time into a new output file; the counters it returns are summed (retainedHeapMB: the last one).
 */
function captureCase(
  name: string,
  pass: (capture: string, outPath: string) => { packets: number; [k: string]: number },
): BenchCase {
  const outPath = join(tmpdir(), `vnic-bench-${name}-out-${process.pid}.pcap`);
  process.on('exit', () => {
    if (existsSync(outPath)) rmSync(outPath);
  });
  return {
    name,
    packets: CAPTURE_FRAMES,
    warmup: CAPTURE_FRAMES,
    run(n) {
      // the capture is written on the first call (the warm-up), outside the measured run
      const path = captureOf(CAPTURE_FRAMES);
      const times = Math.max(1, Math.round(n / CAPTURE_FRAMES));
      const total: Record<string, number> = { packets: 0 };
      for (let i = 0; i < times; i++) {
        // a new file, as `vnic replay --out new.pcap` writes (rewriting a truncated one makes ext4 flush it at close)
        if (existsSync(outPath)) rmSync(outPath);
        for (const [k, v] of Object.entries(pass(path, outPath)))
          total[k] = k === 'retainedHeapMB' ? v : (total[k] ?? 0) + v;
      }
      return total as { packets: number; [k: string]: number };
    },
  };
}

const replayCase = (): BenchCase =>
  captureCase('replay', (path, outPath) =>
    outcome(
      runLab(
        { model: 'ehea', engine: 'lro', capture: { path, onlyTo: '10.0.0.2' }, timeLimitNs: 1e12 },
        { out: { path: outPath } },
      ),
      'replay',
    ),
  );

/**
 * The file work of `replay` alone: read the same capture with tap/'s reader and write every record to a new pcap with
 * tap/'s writer, with nothing in between. Its frames/s is a ceiling for `replay` on this machine's file system.
 */
const fileIoCase = (): BenchCase =>
  captureCase('replay-file-io-only', (path, outPath) => {
    let packets = 0,
      bytes = 0;
    const w = CaptureWriter.open(outPath, { format: 'pcap', nanosecond: true });
    for (const r of readCapture(path)) {
      w.write({ tsSec: r.tsSec, tsNsec: r.tsNsec, data: r.data });
      packets++;
      bytes += r.data.length;
    }
    w.close();
    return { packets, bytes };
  });

export const cases: BenchCase[] = [
  pipelineCase(),
  ringCase(),
  ringCase('pipeline-ehea-4flows-ring-events', new LabEvents()),
  mqCase(),
  mqWorkersCase(),
  replayCase(),
  fileIoCase(),
  memoryFlatCase(),
];
