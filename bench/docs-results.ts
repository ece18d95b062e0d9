// The results table of docs/performance.md, written from a bench run (`npm run bench -- --write-docs`, or
// `--docs-from=run.json` for the `--json` output of an earlier run) between its `bench:results` markers, so the figures
// there are a run's and say when, where and under what load it ran.
import { readFileSync, writeFileSync } from 'node:fs';
import type { BenchResult } from './run.ts';

/** What `npm run bench -- --json` prints, plus where it ran (added by `--write-docs`; absent in older JSON). */
export interface BenchRun {
  results: BenchResult[];
  skipped: { name: string; reason: string }[];
  ratios: {
    toKernelVethGro: Record<string, number>;
    toFrameDmaCopy: Record<string, number>;
    workersToOneThread?: Record<string, number>;
    workersToOneThreadCpu?: Record<string, number>;
  };
  loadAverage: { start: number[]; end: number[] };
  ranAt?: string;
  node?: string;
  cpus?: number;
  args?: string[];
}

export const RESULTS_BEGIN = '<!-- bench:results (written by `npm run bench -- --write-docs`; do not edit) -->';
export const RESULTS_END = '<!-- /bench:results -->';

const mega = (n: number | null): string => (n === null ? '—' : (n / 1e6).toFixed(2));

/** The region's Markdown (markers excluded) for one run. */
export function renderResults(run: BenchRun): string {
  const when =
    run.ranAt !== undefined
      ? ` on ${run.ranAt.slice(0, 10)} at ${run.ranAt.slice(11, 16)} UTC`
      : ' (time not recorded)';
  const where = [run.node !== undefined ? `Node.js ${run.node}` : '', run.cpus !== undefined ? `${run.cpus} CPUs` : '']
    .filter((x) => x !== '')
    .join(', ');
  const args = run.args !== undefined && run.args.length > 0 ? ` ${run.args.join(' ')}` : '';
  const lines = [
    `Run: \`npm run bench --${args}\`${when}${where !== '' ? `, ${where}` : ''}; \`uptime\` load averages (1, 5, 15 min) ` +
      `at the start **${run.loadAverage.start.join(', ')}**, at the end **${run.loadAverage.end.join(', ')}**. ` +
      'Compare cases within one run: absolute figures move with the machine and its load; the per-CPU-second column ' +
      "counts this process's user + system time and is the steadier one.",
    '',
    '| case | Mpkt/s (wall clock) | Mpkt per CPU-second | heap B/pkt | what the case reported |',
    '|---|---:|---:|---:|---|',
  ];
  for (const r of run.results) {
    const extra = Object.entries(r.extra)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    const heap = r.heapBytesPerPacket === null ? '—' : r.heapBytesPerPacket.toFixed(2);
    const note = r.note !== undefined ? ` (${r.note})` : '';
    lines.push(
      `| \`${r.name}\` | ${mega(r.packetsPerSecond)} | ${mega(r.packetsPerCpuSecond)} | ${heap} | ${extra || '—'}${note} |`,
    );
  }
  for (const s of run.skipped) lines.push(`| \`${s.name}\` | skipped | | | ${s.reason} |`);
  const ratioRows = [
    ...Object.entries(run.ratios.toKernelVethGro).map(([k, v]) => `| \`${k}\` | ${v} × \`kernel-veth-gro\` |`),
    ...Object.entries(run.ratios.toFrameDmaCopy).map(([k, v]) => `| \`${k}\` | ${v} × \`frame-dma-copy-1514\` |`),
    ...Object.entries(run.ratios.workersToOneThread ?? {}).map(([k, v]) => `| \`${k}\` | ${v} × one thread |`),
    ...Object.entries(run.ratios.workersToOneThreadCpu ?? {}).map(
      ([k, v]) => `| \`${k}\` (CPU time per frame) | ${v} × one thread |`,
    ),
  ];
  if (ratioRows.length > 0) lines.push('', '| case | ratio (wall clock, same run) |', '|---|---:|', ...ratioRows);
  return lines.join('\n');
}

/** `doc` with its results region replaced by `run`'s table; throws when the markers are missing or out of order. */
export function withResults(doc: string, run: BenchRun): string {
  const a = doc.indexOf(RESULTS_BEGIN),
    b = doc.indexOf(RESULTS_END);
  if (a < 0 || b < a)
    throw new Error(`bench --write-docs: the document has no "${RESULTS_BEGIN}" … "${RESULTS_END}" region`);
  return `${doc.slice(0, a + RESULTS_BEGIN.length)}\n${renderResults(run)}\n${doc.slice(b)}`;
}

/** Rewrites the results region of the Markdown file at `path`. */
export function writeResults(path: string, run: BenchRun): void {
  writeFileSync(path, withResults(readFileSync(path, 'utf8'), run));
}
