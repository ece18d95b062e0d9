// Human-readable output: the side-by-side comparison table of `vnic run`, one run's summary, and
// plain aligned tables. Colour only on a terminal, and never when NO_COLOR is set.
import type { RunReport } from '../lab/run-report.ts';
import type { SeedSummary, Spread } from '../lab/seeds.ts';
import { type CliStream, currentIO } from './io.ts';

export function useColour(stream: CliStream): boolean {
  const noColour = currentIO().env['NO_COLOR'];
  return stream.isTTY === true && !(noColour !== undefined && noColour !== '');
}

export const paint = (on: boolean) => ({
  bold: (s: string) => (on ? `\x1b[1m${s}\x1b[22m` : s),
  dim: (s: string) => (on ? `\x1b[2m${s}\x1b[22m` : s),
  green: (s: string) => (on ? `\x1b[32m${s}\x1b[39m` : s),
  red: (s: string) => (on ? `\x1b[31m${s}\x1b[39m` : s),
  yellow: (s: string) => (on ? `\x1b[33m${s}\x1b[39m` : s),
  cyan: (s: string) => (on ? `\x1b[36m${s}\x1b[39m` : s),
});

/** Lays out rows of cells in aligned columns; the first column left-aligned, the rest right-aligned. */
export function table(rows: string[][], header?: string[]): string {
  const all = header !== undefined ? [header, ...rows] : rows;
  const widths: number[] = [];
  for (const r of all)
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, visible(c).length);
    });
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === 0 ? pad(c, widths[i]!, 'left') : pad(c, widths[i]!, 'right')))
      .join('  ')
      .trimEnd();
  const out = all.map(line);
  if (header !== undefined) out.splice(1, 0, widths.map((w) => '─'.repeat(w)).join('  '));
  return out.join('\n');
}

function visible(s: string): string {
  return s.replace(/\x1b\[[0-9;]*m/g, '');
}
function pad(s: string, w: number, side: 'left' | 'right'): string {
  const n = w - visible(s).length;
  return n <= 0 ? s : side === 'left' ? s + ' '.repeat(n) : ' '.repeat(n) + s;
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
export function fmtBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(2)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}
export function fmtUs(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`;
}

/** Wire frames per skb delivered to the stack. */
export function aggregationRatio(r: RunReport): number {
  return r.framesToStack === 0 ? 0 : r.wireFramesToStack / r.framesToStack;
}

/** Payload delivered to sockets per second of the run. */
export function throughputGbps(r: RunReport): number {
  return r.durationNs > 0 ? (r.bytesDelivered * 8) / r.durationNs : 0;
}

/** The core was busy the whole run (≥ 99.5 %): the throughput is what the CPU, not the link, allowed. */
export function coreSaturated(r: RunReport): boolean {
  return r.cpu.utilisation >= 0.995;
}

/** The rows every comparison shows, one column per run. */
export function comparisonRows(reports: readonly RunReport[]): { label: string; cells: string[] }[] {
  const row = (label: string, f: (r: RunReport) => string) => ({ label, cells: reports.map(f) });
  const tx = (r: RunReport, k: string) => {
    const t = r.counters['transactions'];
    return t === undefined ? '—' : fmtUs(t[k] ?? 0);
  };
  const transactions = reports.some((r) => r.counters['transactions'] !== undefined)
    ? [row('request → answer p50', (r) => tx(r, 'p50Us')), row('request → answer p99', (r) => tx(r, 'p99Us'))]
    : [];
  const rows = [
    row('frames in', (r) => fmtInt(r.framesIn)),
    row('packets to the stack', (r) => fmtInt(r.framesToStack)),
    row('aggregation ratio', (r) => `${aggregationRatio(r).toFixed(2)}×`),
    row('LRO avg aggr (aggregated/flushed)', (r) => (r.lro.enabled ? r.lro.avgAggr.toFixed(2) : '—')),
    row('LRO no_desc', (r) => (r.lro.enabled ? fmtInt(r.lro.noDesc) : '—')),
    row('run time (last delivery)', (r) => fmtUs(r.durationNs / 1000)),
    row('throughput achieved', (r) => `${throughputGbps(r).toFixed(2)} Gb/s`),
    row('CPU cycles per KB', (r) => (r.cpu.cyclesPerKB === null ? '—' : fmtInt(r.cpu.cyclesPerKB))),
    row(
      'CPU utilisation',
      (r) => `${(r.cpu.utilisation * 100).toFixed(1)} %${coreSaturated(r) ? ' (core saturated)' : ''}`,
    ),
    row(reports.some((r) => r.cpu.budgetHz > r.cpu.hz) ? 'sustainable on its cores' : 'sustainable on one core', (r) =>
      r.cpu.sustainableGbps === null
        ? '—'
        : `${r.cpu.sustainableGbps.toFixed(2)} Gb/s${r.cpu.budgetHz > r.cpu.hz ? ` on ${Math.round(r.cpu.budgetHz / r.cpu.hz)} cores` : ''}`,
    ),
    row('latency p50', (r) => fmtUs(r.latency.p50Us)),
    row('latency p99', (r) => fmtUs(r.latency.p99Us)),
    ...transactions,
    row('ACKs sent', (r) => fmtInt(r.acksSent)),
    row('peak DMA memory', (r) => fmtBytes(r.peakDmaBytes)),
    row('bytes delivered', (r) => fmtBytes(r.bytesDelivered)),
    row('drops', (r) => fmtInt(r.dropsTotal)),
    row('every byte stream intact', (r) => (r.allStreamsOk ? 'yes' : 'NO')),
  ];
  // a forwarding host: what entered the ingress wire against what left the egress wire
  if (reports.some((r) => r.forward !== undefined)) {
    const fw = (r: RunReport, k: string): unknown => r.forward?.[k];
    const n = (k: string) => (r: RunReport) => {
      const v = fw(r, k);
      return typeof v === 'number' ? fmtInt(v) : '—';
    };
    const byReason = (k: string) => (r: RunReport) => {
      const v = fw(r, k) as Record<string, number> | undefined;
      if (v === undefined) return '—';
      const parts = Object.entries(v).map(([why, x]) => `${why} ${fmtInt(x)}`);
      return parts.length === 0 ? 'none' : parts.join(', ');
    };
    rows.push(
      row(
        'forwarding kernel',
        (r) => `${String(fw(r, 'kernel') ?? '—')}${fw(r, 'mode') === 'bridge' ? ', bridge' : ''}`,
      ),
      row('LRO disabled by forwarding', (r) => (fw(r, 'lroDisabledByForwarding') === 1 ? 'yes' : 'no')),
      row('ingress frames', n('ingressFrames')),
      row('egress frames', n('egressFrames')),
      row('egress frames differing from ingress', n('egressDiffering')),
      row('  differing by', byReason('differsBy')),
      row('forwarding drops', byReason('drops')),
      row('ICMP fragmentation needed sent', n('icmpFragNeeded')),
      row('ICMPv6 packet too big sent', n('icmpv6PacketTooBig')),
      row('frames sent back (ACKs through the host)', n('reverseFrames')),
      row('egress identical to ingress', (r) =>
        fw(r, 'egressIdenticalToIngress') === undefined ? '—' : fw(r, 'egressIdenticalToIngress') ? 'yes' : 'no',
      ),
    );
  }
  // a header-only capture: say plainly what the byte-stream check held over
  if (reports.some((r) => (r.counters['capture']?.['headerOnlyFrames'] ?? 0) > 0)) {
    rows.push(
      row('header-only frames (payload made up)', (r) => fmtInt(r.counters['capture']?.['headerOnlyFrames'] ?? 0)),
    );
  }
  return rows;
}

export function comparisonTable(reports: readonly RunReport[], colour = false): string {
  const p = paint(colour);
  const rows = comparisonRows(reports).map((r) => [r.label, ...r.cells.map((c) => (c === 'NO' ? p.red(c) : c))]);
  return table(rows, ['', ...reports.map((r) => p.bold(r.label))]);
}

/** The drops and the engine's reason counters that are non-zero, as "name n" lines. */
export function reasonLines(r: RunReport): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(r.drops)) if (v > 0) out.push(`drop ${k}: ${fmtInt(v)}`);
  if (r.lro.enabled)
    for (const [k, v] of Object.entries(r.lro.reasons))
      if (v > 0 && (k.startsWith('bypass_') || k.startsWith('flush_'))) out.push(`lro ${k}: ${fmtInt(v)}`);
  if (r.gro.enabled) for (const [k, v] of Object.entries(r.gro.reasons)) if (v > 0) out.push(`gro ${k}: ${fmtInt(v)}`);
  return out;
}

/** "median (min–max)", or the one value when every seed gave the same. */
export function spreadCell(s: Spread, f: (x: number) => string): string {
  return s.min === s.max ? f(s.median) : `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

/** The spread of each figure over seeds as rows, one cell per configuration: "median (min–max)". */
export function spreadRows(summaries: readonly SeedSummary[]): { label: string; cells: string[] }[] {
  const g = (x: number) => x.toFixed(2),
    pct = (x: number) => `${(x * 100).toFixed(1)} %`,
    us = (x: number) => fmtUs(x),
    n = (x: number) => fmtInt(x);
  const rows: [string, string, (x: number) => string][] = [
    ['run time (ms)', 'durationMs', (x) => x.toFixed(2)],
    ['throughput achieved (Gb/s)', 'throughputGbps', g],
    ['aggregation ratio', 'aggregationRatio', (x) => `${x.toFixed(2)}×`],
    ['CPU cycles per KB', 'cyclesPerKB', n],
    ['CPU utilisation', 'cpuUtilisation', pct],
    ['sustainable on one core (Gb/s)', 'sustainableGbps', g],
    ['latency p50', 'latencyP50Us', us],
    ['latency p99', 'latencyP99Us', us],
    ['ACKs sent', 'acksSent', n],
    ['drops', 'drops', n],
    ['retransmitted segments', 'retransmits', n],
    ['retransmission timeouts', 'timeouts', n],
  ];
  const body = rows.map(([label, key, f]) => ({
    label,
    cells: summaries.map((s) => {
      const x = s.figures[key];
      return x === undefined ? '—' : spreadCell(x, f);
    }),
  }));
  body.push({ label: 'every byte stream intact', cells: summaries.map((s) => (s.allOk ? 'yes' : 'NO')) });
  return body;
}

/** The spread of each figure over seeds, one column per configuration: "median (min–max)". */
export function spreadTable(summaries: readonly SeedSummary[], colour = false): string {
  const p = paint(colour);
  const body = spreadRows(summaries).map((r) => [r.label, ...r.cells.map((c) => (c === 'NO' ? p.red(c) : c))]);
  return table(body, ['', ...summaries.map((s) => p.bold(s.label))]);
}
