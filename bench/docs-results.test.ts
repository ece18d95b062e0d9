import { describe, expect, it } from 'vitest';
import { type BenchRun, RESULTS_BEGIN, RESULTS_END, renderResults, withResults } from './docs-results.ts';

const run: BenchRun = {
  results: [
    {
      name: 'pipeline-ehea-4flows',
      packetsPerSecond: 412_345,
      packetsPerCpuSecond: 450_000,
      heapBytesPerPacket: 0.1,
      packets: 1_000_000,
      seconds: 2.4,
      gcAvailable: true,
      extra: { skbsToStack: 106627, drops: 0 },
    },
    {
      name: 'kernel-veth-gro',
      packetsPerSecond: 800_000,
      packetsPerCpuSecond: null,
      heapBytesPerPacket: null,
      note: 'Linux 6.18, iperf3',
      packets: 4_000_000,
      seconds: 5,
      gcAvailable: true,
      extra: {},
    },
  ],
  skipped: [{ name: 'kernel-veth-nogro', reason: 'not root' }],
  ratios: { toKernelVethGro: { 'pipeline-ehea-4flows': 0.515 }, toFrameDmaCopy: {} },
  loadAverage: { start: [1.5, 2, 2.25], end: [1.25, 2, 2.5] },
  ranAt: '2026-12-02T09:41:07.123Z',
  node: 'v20.20.2',
  cpus: 2,
  args: ['--json', '--packets=1000000'],
};

describe("docs/performance.md's results table from a run", () => {
  it('says when, where and under what load, then one row per case, then the ratios', () => {
    expect(renderResults(run)).toBe(
      [
        'Run: `npm run bench -- --json --packets=1000000` on 2026-12-02 at 09:41 UTC, Node.js v20.20.2, 2 CPUs; `uptime` ' +
          'load averages (1, 5, 15 min) at the start **1.5, 2, 2.25**, at the end **1.25, 2, 2.5**. Compare cases within ' +
          'one run: absolute figures move with the machine and its load; the per-CPU-second column counts this ' +
          "process's user + system time and is the steadier one.",
        '',
        '| case | Mpkt/s (wall clock) | Mpkt per CPU-second | heap B/pkt | what the case reported |',
        '|---|---:|---:|---:|---|',
        '| `pipeline-ehea-4flows` | 0.41 | 0.45 | 0.10 | skbsToStack=106627, drops=0 |',
        '| `kernel-veth-gro` | 0.80 | — | — | — (Linux 6.18, iperf3) |',
        '| `kernel-veth-nogro` | skipped | | | not root |',
        '',
        '| case | ratio (wall clock, same run) |',
        '|---|---:|',
        '| `pipeline-ehea-4flows` | 0.515 × `kernel-veth-gro` |',
      ].join('\n'),
    );
  });

  it('replaces only the marked region, and refuses a document without one', () => {
    const doc = `# Perf\n\nbefore\n${RESULTS_BEGIN}\nold table\n${RESULTS_END}\nafter\n`;
    expect(withResults(doc, run)).toBe(
      `# Perf\n\nbefore\n${RESULTS_BEGIN}\n${renderResults(run)}\n${RESULTS_END}\nafter\n`,
    );
    expect(() => withResults('# Perf\n', run)).toThrow(/no "<!-- bench:results/);
  });
});
