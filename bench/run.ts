// Benchmark harness: `npm run bench [-- [--json] [--packets=N] [name-filter]]`. Imports every bench/*.bench.ts,
// runs each case with a warm-up, then measures packets/s and heap bytes allocated per packet.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getGc } from './gc.ts';

/** One benchmark: `run(n)` pushes `n` packets through the code under test and returns what it did. */
export interface BenchCase {
  name: string;
  /** Processes `packets` packets; returns counters worth printing (at least the packets processed). */
  run(packets: number): { packets: number; [k: string]: number };
  /** Packets per measured run (default 5 000 000) and per warm-up (default 1 000 000). */
  packets?: number;
  warmup?: number;
}

export interface BenchResult {
  name: string;
  packetsPerSecond: number;
  /** Packets per second of CPU time used by this process (user + system): less sensitive to other load on the machine. */
  packetsPerCpuSecond: number;
  heapBytesPerPacket: number;
  packets: number;
  seconds: number;
  gcAvailable: boolean;
  extra: Record<string, number>;
}


export function measure(c: BenchCase, gc: (() => void) | null, packets?: number): BenchResult {
  const n = packets ?? c.packets ?? 5_000_000;
  c.run(c.warmup ?? 1_000_000);
  // a second, short warm-up after GC lets pools and inline caches settle at their working size
  gc?.();
  c.run(Math.min(100_000, n));
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const out = c.run(n);
  const t1 = process.hrtime.bigint();
  const cpu = process.cpuUsage(cpu0);
  const heap1 = process.memoryUsage().heapUsed;
  const seconds = Number(t1 - t0) / 1e9;
  const extra: Record<string, number> = {};
  for (const [k, v] of Object.entries(out)) if (k !== 'packets') extra[k] = v;
  return {
    name: c.name, packets: out.packets, seconds,
    packetsPerSecond: Math.round(out.packets / seconds),
    packetsPerCpuSecond: Math.round(out.packets / ((cpu.user + cpu.system) / 1e6)),
    heapBytesPerPacket: Math.max(0, Math.round(((heap1 - heap0) / out.packets) * 100) / 100),
    gcAvailable: gc !== null, extra,
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  const json = args.includes('--json');
  const filter = args.find((a) => !a.startsWith('--'));
  const packetsArg = args.find((a) => a.startsWith('--packets='));
  const packets = packetsArg !== undefined ? Number(packetsArg.slice('--packets='.length)) : undefined;
  if (packets !== undefined && !(Number.isInteger(packets) && packets > 0)) {
    process.stderr.write(`bench: --packets wants a positive integer, got "${packetsArg}"\n`);
    process.exitCode = 1;
    return;
  }
  const here = dirname(fileURLToPath(import.meta.url));
  const files = readdirSync(here).filter((f) => f.endsWith('.bench.ts')).sort();
  const cases: BenchCase[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(here, f)).href)) as { cases?: BenchCase[] };
    for (const c of mod.cases ?? []) if (filter === undefined || c.name.includes(filter)) cases.push(c);
  }
  if (cases.length === 0) {
    process.stderr.write(`bench: no case matches "${filter ?? ''}" in ${files.join(', ') || '(no bench/*.bench.ts files)'}\n`);
    process.exitCode = 1;
    return;
  }
  const gc = getGc();
  const results: BenchResult[] = [];
  for (const c of cases) {
    const r = measure(c, gc, packets);
    results.push(r);
    if (!json) {
      const extra = Object.entries(r.extra).map(([k, v]) => `${k}=${v}`).join(' ');
      process.stdout.write(`${r.name.padEnd(14)} ${(r.packetsPerSecond / 1e6).toFixed(2).padStart(7)} Mpkt/s  ${(r.packetsPerCpuSecond / 1e6).toFixed(2).padStart(7)} Mpkt/cpu-s  ${r.heapBytesPerPacket.toFixed(2).padStart(7)} heap B/pkt  ${extra}\n`);
    }
  }
  if (json) process.stdout.write(`${JSON.stringify({ results })}\n`);
  else if (gc === null) process.stdout.write('(no gc(): heap bytes per packet include garbage not yet collected)\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
