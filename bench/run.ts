// Benchmark harness: `npm run bench [-- [--json] [--packets=N] [--write-docs] [name-filter[,name-filter…]]]`. Imports every bench/*.bench.ts,
// runs each case with a warm-up, then measures packets/s and heap bytes allocated per packet. External cases
// (the kernel reference, bench/kernel.bench.ts) measure something outside this process once, or are skipped
// with a reason. The JSON carries `ratios`: every pipeline and replay case divided by `kernel-veth-gro` of the
// same run, and every engine case divided by `frame-dma-copy-1514`, the two yardsticks the speed targets use.
// `--write-docs` writes the run into docs/performance.md's results table (bench/docs-results.ts); `--docs-from=FILE` writes
// an earlier run's `--json` output there instead of running.
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getGc } from './gc.ts';
import { type BenchRun, writeResults } from './docs-results.ts';

/** One benchmark: `run(n)` pushes `n` packets through the code under test and returns what it did. */
export interface BenchCase {
  name: string;
  /** Processes `packets` packets; returns counters worth printing (at least the packets processed). A case that runs
   *  worker threads answers with a promise; its CPU time is every thread's (process.cpuUsage). */
  run(packets: number): BenchOutcome | Promise<BenchOutcome>;
  /** Called once after every case ran (worker threads a case keeps between its runs end here). */
  close?(): Promise<void>;
  /** Packets per measured run (default 5 000 000) and per warm-up (default 1 000 000). */
  packets?: number;
  warmup?: number;
}

export type BenchOutcome = { packets: number; [k: string]: number };

/** A measurement of something outside this process (the kernel), taken once; or why it cannot be taken here. */
export interface ExternalCase {
  name: string;
  external(): Promise<
    { packets: number; seconds: number; extra: Record<string, number>; note: string } | { skipped: string }
  >;
}

export interface BenchResult {
  name: string;
  packetsPerSecond: number;
  /** Packets per second of CPU time used by this process (user + system): less sensitive to other load on the
   *  machine. Null for an external case, whose work is not this process's. */
  packetsPerCpuSecond: number | null;
  /** Null for an external case. */
  heapBytesPerPacket: number | null;
  /** What an external case measured (kernel release, tool). */
  note?: string;
  packets: number;
  seconds: number;
  gcAvailable: boolean;
  extra: Record<string, number>;
}

export async function measure(c: BenchCase, gc: (() => void) | null, packets?: number): Promise<BenchResult> {
  const n = packets ?? c.packets ?? 5_000_000;
  await c.run(c.warmup ?? 1_000_000);
  // a second, short warm-up after GC lets pools and inline caches settle at their working size
  gc?.();
  await c.run(Math.min(100_000, n));
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const out = await c.run(n);
  const t1 = process.hrtime.bigint();
  const cpu = process.cpuUsage(cpu0);
  const heap1 = process.memoryUsage().heapUsed;
  const seconds = Number(t1 - t0) / 1e9;
  const extra: Record<string, number> = {};
  for (const [k, v] of Object.entries(out)) if (k !== 'packets') extra[k] = v;
  return {
    name: c.name,
    packets: out.packets,
    seconds,
    packetsPerSecond: Math.round(out.packets / seconds),
    packetsPerCpuSecond: Math.round(out.packets / ((cpu.user + cpu.system) / 1e6)),
    heapBytesPerPacket: Math.max(0, Math.round(((heap1 - heap0) / out.packets) * 100) / 100),
    gcAvailable: gc !== null,
    extra,
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  const json = args.includes('--json');
  const writeDocs = args.includes('--write-docs');
  const filter = args.find((a) => !a.startsWith('--'));
  const here = dirname(fileURLToPath(import.meta.url));
  const docsPath = join(here, '..', 'docs', 'performance.md');
  const docsFrom = args.find((a) => a.startsWith('--docs-from='));
  if (docsFrom !== undefined) {
    const file = docsFrom.slice('--docs-from='.length);
    writeResults(docsPath, JSON.parse(readFileSync(file, 'utf8')) as BenchRun);
    process.stderr.write(`bench: docs/performance.md's results table written from ${file}\n`);
    return;
  }
  const packetsArg = args.find((a) => a.startsWith('--packets='));
  const packets = packetsArg !== undefined ? Number(packetsArg.slice('--packets='.length)) : undefined;
  if (packets !== undefined && !(Number.isInteger(packets) && packets > 0)) {
    process.stderr.write(`bench: --packets wants a positive integer, got "${packetsArg}"\n`);
    process.exitCode = 1;
    return;
  }
  const files = readdirSync(here)
    .filter((f) => f.endsWith('.bench.ts'))
    .sort();
  const cases: (BenchCase | ExternalCase)[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(here, f)).href)) as { cases?: (BenchCase | ExternalCase)[] };
    for (const c of mod.cases ?? [])
      if (filter === undefined || filter.split(',').some((x) => c.name.includes(x))) cases.push(c);
  }
  if (cases.length === 0) {
    process.stderr.write(
      `bench: no case matches "${filter ?? ''}" in ${files.join(', ') || '(no bench/*.bench.ts files)'}\n`,
    );
    process.exitCode = 1;
    return;
  }
  const gc = getGc();
  const loadAtStart = loadavg();
  const results: BenchResult[] = [];
  const skipped: { name: string; reason: string }[] = [];
  for (const c of cases) {
    let r: BenchResult;
    if ('external' in c) {
      const m = await c.external();
      if ('skipped' in m) {
        skipped.push({ name: c.name, reason: m.skipped });
        process.stderr.write(`bench: ${c.name} skipped: ${m.skipped}\n`);
        continue;
      }
      r = {
        name: c.name,
        packets: m.packets,
        seconds: m.seconds,
        packetsPerSecond: Math.round(m.packets / m.seconds),
        packetsPerCpuSecond: null,
        heapBytesPerPacket: null,
        gcAvailable: gc !== null,
        extra: m.extra,
        note: m.note,
      };
    } else {
      r = await measure(c, gc, packets);
    }
    results.push(r);
    if (!json) {
      const extra = Object.entries(r.extra)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      const perCpu = r.packetsPerCpuSecond === null ? '      —' : (r.packetsPerCpuSecond / 1e6).toFixed(2).padStart(7);
      const heap = r.heapBytesPerPacket === null ? '      —' : r.heapBytesPerPacket.toFixed(2).padStart(7);
      process.stdout.write(
        `${r.name.padEnd(14)} ${(r.packetsPerSecond / 1e6).toFixed(2).padStart(7)} Mpkt/s  ${perCpu} Mpkt/cpu-s  ${heap} heap B/pkt  ${extra}${r.note !== undefined ? `  (${r.note})` : ''}\n`,
      );
    }
  }
  for (const c of cases) if ('close' in c) await c.close?.();
  const ratios = benchRatios(results);
  const load = {
    start: loadAtStart.map((x) => Math.round(x * 100) / 100),
    end: loadavg().map((x) => Math.round(x * 100) / 100),
  };
  const run: BenchRun = {
    results,
    skipped,
    ratios,
    loadAverage: load,
    ranAt: new Date().toISOString(),
    node: process.version,
    cpus: availableParallelism(),
    args,
  };
  if (writeDocs) {
    writeResults(docsPath, run);
    process.stderr.write(`bench: this run written into docs/performance.md's results table\n`);
  }
  if (json) process.stdout.write(`${JSON.stringify(run)}\n`);
  else {
    for (const [k, v] of Object.entries(ratios.toKernelVethGro))
      process.stdout.write(`ratio ${k} / kernel-veth-gro = ${v}\n`);
    for (const [k, v] of Object.entries(ratios.toFrameDmaCopy))
      process.stdout.write(`ratio ${k} / frame-dma-copy-1514 = ${v}\n`);
    for (const [k, v] of Object.entries(ratios.workersToOneThread))
      process.stdout.write(
        `ratio ${k} / ${k.replace(/-workers$/, '')} = ${v} (wall), ${ratios.workersToOneThreadCpu[k]} (CPU)\n`,
      );
    process.stdout.write(
      `load average (1, 5, 15 min) at start ${load.start.join(', ')}, at end ${load.end.join(', ')}\n`,
    );
    if (gc === null) process.stdout.write('(no gc(): heap bytes per packet include garbage not yet collected)\n');
  }
}

/** The speed targets' ratios among the cases of one run: pipeline and replay cases over the kernel's receive rate,
 *  engine cases over one frame's DMA copy, and a case split over worker threads (`NAME-workers`) over the same run on
 *  one thread (`NAME`), by wall-clock and by CPU time. A ratio whose yardstick did not run (filtered out, skipped) is absent. */
export function benchRatios(results: readonly BenchResult[]): {
  toKernelVethGro: Record<string, number>;
  toFrameDmaCopy: Record<string, number>;
  workersToOneThread: Record<string, number>;
  workersToOneThreadCpu: Record<string, number>;
} {
  const rate = (name: string) => results.find((r) => r.name === name)?.packetsPerSecond;
  const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;
  const kernel = rate('kernel-veth-gro');
  const copy = rate('frame-dma-copy-1514');
  const toKernelVethGro: Record<string, number> = {};
  const toFrameDmaCopy: Record<string, number> = {};
  const workersToOneThread: Record<string, number> = {};
  const workersToOneThreadCpu: Record<string, number> = {};
  for (const r of results) {
    const single = r.name.endsWith('-workers') ? results.find((x) => `${x.name}-workers` === r.name) : undefined;
    if (single !== undefined && single.packetsPerSecond > 0) {
      workersToOneThread[r.name] = ratio(r.packetsPerSecond, single.packetsPerSecond);
      if (r.packetsPerCpuSecond !== null && single.packetsPerCpuSecond)
        workersToOneThreadCpu[r.name] = ratio(r.packetsPerCpuSecond, single.packetsPerCpuSecond);
    }
    if (kernel !== undefined && kernel > 0 && /^(pipeline|replay)/.test(r.name))
      toKernelVethGro[r.name] = ratio(r.packetsPerSecond, kernel);
    if (copy !== undefined && copy > 0 && /^(lro|gro)-/.test(r.name))
      toFrameDmaCopy[r.name] = ratio(r.packetsPerSecond, copy);
  }
  return { toKernelVethGro, toFrameDmaCopy, workersToOneThread, workersToOneThreadCpu };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
