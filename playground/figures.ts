// The run report's headline figures as the page shows them, each with the report field it comes from
// (a dotted path into `vnic run --json`'s report), so a test can hold the page to the CLI.
import type { RunReport } from '../lab/run-report.ts';

export interface Figure {
  key: string;
  label: string;
  value: number | boolean;
  text: string;
}

const int = (n: number) => Math.round(n).toLocaleString('en');

export function reportFigures(r: RunReport): Figure[] {
  const out: Figure[] = [];
  const add = (key: string, label: string, value: number | boolean, text?: string) =>
    out.push({ key, label, value, text: text ?? (typeof value === 'boolean' ? (value ? 'yes' : 'no') : int(value)) });
  add('framesIn', 'frames offered to the NIC', r.framesIn);
  add('framesToStack', 'packets the stack received', r.framesToStack);
  add('wireFramesToStack', 'wire frames inside them', r.wireFramesToStack);
  add('dropsTotal', 'drops', r.dropsTotal);
  if (r.lro.enabled) {
    add('lro.avgAggr', 'average LRO aggregate, segments', r.lro.avgAggr, r.lro.avgAggr.toFixed(2));
    add('lro.flushed', 'LRO flushes', r.lro.flushed);
    for (const [k, v] of Object.entries(r.lro.reasons))
      if (v > 0 && (k.startsWith('flush_') || k.startsWith('bypass_')))
        add(`lro.reasons.${k}`, k.replace(/_/g, ' '), v);
  }
  if (r.gro.enabled) {
    for (const [k, v] of Object.entries(r.gro.reasons))
      if (v > 0 && (k === 'flushed' || k === 'merged' || k === 'held' || k.startsWith('flush_')))
        add(`gro.reasons.${k}`, `GRO ${k.replace(/_/g, ' ')}`, v);
  }
  add('acksSent', 'ACKs sent', r.acksSent);
  add('bytesDelivered', 'bytes delivered', r.bytesDelivered);
  add('allStreamsOk', 'every byte stream checked', r.allStreamsOk);
  if (r.cpu.cyclesPerKB !== null)
    add('cpu.cyclesPerKB', 'CPU cycles per KiB received', r.cpu.cyclesPerKB, r.cpu.cyclesPerKB.toFixed(1));
  if (r.cpu.sustainableGbps !== null)
    add('cpu.sustainableGbps', 'sustainable rate, Gb/s', r.cpu.sustainableGbps, r.cpu.sustainableGbps.toFixed(2));
  add('latency.p50Us', 'latency p50, µs', r.latency.p50Us, r.latency.p50Us.toFixed(1));
  add('latency.p99Us', 'latency p99, µs', r.latency.p99Us, r.latency.p99Us.toFixed(1));
  return out;
}
