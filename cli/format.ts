// Human-readable output: the side-by-side comparison table of `vnic run`, one run's summary, and
// plain aligned tables. Colour only on a terminal, and never when NO_COLOR is set.
import type { RunReport } from '../sim/report.ts';
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
  for (const r of all) r.forEach((c, i) => { widths[i] = Math.max(widths[i] ?? 0, visible(c).length); });
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? pad(c, widths[i]!, 'left') : pad(c, widths[i]!, 'right'))).join('  ').trimEnd();
  const out = all.map(line);
  if (header !== undefined) out.splice(1, 0, widths.map((w) => '─'.repeat(w)).join('  '));
  return out.join('\n');
}

function visible(s: string): string { return s.replace(/\x1b\[[0-9;]*m/g, ''); }
function pad(s: string, w: number, side: 'left' | 'right'): string {
  const n = w - visible(s).length;
  return n <= 0 ? s : side === 'left' ? s + ' '.repeat(n) : ' '.repeat(n) + s;
}

export function fmtInt(n: number): string { return Math.round(n).toLocaleString('en-US'); }
export function fmtBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(2)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}
export function fmtUs(us: number): string { return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`; }

/** Wire frames per skb delivered to the stack. */
export function aggregationRatio(r: RunReport): number {
  return r.framesToStack === 0 ? 0 : r.wireFramesToStack / r.framesToStack;
}

/** Payload delivered to sockets per second of the run. */
export function throughputGbps(r: RunReport): number {
  return r.durationNs > 0 ? (r.bytesDelivered * 8) / r.durationNs : 0;
}

/** The rows every comparison shows, one column per run. */
export function comparisonRows(reports: readonly RunReport[]): { label: string; cells: string[] }[] {
  const row = (label: string, f: (r: RunReport) => string) => ({ label, cells: reports.map(f) });
  const rows = [
    row('frames in', (r) => fmtInt(r.framesIn)),
    row('packets to the stack', (r) => fmtInt(r.framesToStack)),
    row('aggregation ratio', (r) => `${aggregationRatio(r).toFixed(2)}×`),
    row('LRO avg aggr (aggregated/flushed)', (r) => (r.lro.enabled ? r.lro.avgAggr.toFixed(2) : '—')),
    row('LRO no_desc', (r) => (r.lro.enabled ? fmtInt(r.lro.noDesc) : '—')),
    row('throughput achieved', (r) => `${throughputGbps(r).toFixed(2)} Gb/s`),
    row('CPU cycles per KB', (r) => (r.cpu.cyclesPerKB === null ? '—' : fmtInt(r.cpu.cyclesPerKB))),
    row('CPU utilisation', (r) => `${(r.cpu.utilisation * 100).toFixed(1)} %`),
    row('sustainable on one core', (r) => (r.cpu.sustainableGbps === null ? '—' : `${r.cpu.sustainableGbps.toFixed(2)} Gb/s`)),
    row('latency p50', (r) => fmtUs(r.latency.p50Us)),
    row('latency p99', (r) => fmtUs(r.latency.p99Us)),
    row('ACKs sent', (r) => fmtInt(r.acksSent)),
    row('peak DMA memory', (r) => fmtBytes(r.peakDmaBytes)),
    row('bytes delivered', (r) => fmtBytes(r.bytesDelivered)),
    row('drops', (r) => fmtInt(r.dropsTotal)),
    row('every byte stream intact', (r) => (r.allStreamsOk ? 'yes' : 'NO')),
  ];
  // a header-only capture: say plainly what the byte-stream check held over
  if (reports.some((r) => (r.counters['capture']?.['headerOnlyFrames'] ?? 0) > 0)) {
    rows.push(row('header-only frames (payload made up)', (r) => fmtInt(r.counters['capture']?.['headerOnlyFrames'] ?? 0)));
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
  if (r.lro.enabled) for (const [k, v] of Object.entries(r.lro.reasons)) if (v > 0 && (k.startsWith('bypass_') || k.startsWith('flush_'))) out.push(`lro ${k}: ${fmtInt(v)}`);
  if (r.gro.enabled) for (const [k, v] of Object.entries(r.gro.reasons)) if (v > 0) out.push(`gro ${k}: ${fmtInt(v)}`);
  return out;
}
