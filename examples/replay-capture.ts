// Replays a real Linux capture (test/captures/bulk_mtu1500.tx.pcap: one 2 MiB flow as it was on the wire)
// through the eHEA model and driver with GRO and with LRO, prints the aggregate sizes each built, and
// compares them with what the real kernel's GRO delivered (bulk_mtu1500.rx.pcap). The packets our stack
// received are written to a pcap in the OS temp folder. Run: npx tsx examples/replay-capture.ts
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runLab, type RunResult } from 'vnic-lab/lab';
import { readCapture } from 'vnic-lab/tap';
import { decodeFrame, WireError } from 'vnic-lab/wire';

const CAPTURES = fileURLToPath(new URL('../test/captures/', import.meta.url));
const RECEIVER = '10.77.0.2';

export interface ReplayResult { engine: 'gro' | 'lro'; out: string; run: RunResult }

/** Segments per data packet the kernel delivered, from the receive-side capture (payload ÷ MSS, rounded up). */
export function kernelAggregates(mss = 1448): Record<string, number> {
  const hist: Record<string, number> = {};
  for (const r of readCapture(join(CAPTURES, 'bulk_mtu1500.rx.pcap'))) {
    const f = decodeFrame(r.data, r.data.length);
    if (f instanceof WireError || f.ipv4?.dst !== RECEIVER || f.tcp === undefined || f.payloadLength === 0) continue;
    const k = String(Math.ceil(f.payloadLength / mss));
    hist[k] = (hist[k] ?? 0) + 1;
  }
  return hist;
}

export function main(): ReplayResult[] {
  const results: ReplayResult[] = [];
  for (const engine of ['gro', 'lro'] as const) {
    const out = join(tmpdir(), `vnic-replay-${engine}.pcap`);
    const run = runLab({
      model: 'ehea', engine, batch: 'all', pollBudget: 1_000_000,  // every frame in the rings, one long poll
      capture: { path: join(CAPTURES, 'bulk_mtu1500.tx.pcap'), onlyTo: RECEIVER },
    }, { out: { path: out, format: 'pcap' } });
    results.push({ engine, out, run });
    const r = run.report;
    console.log(`${engine.toUpperCase()}: ${r.framesIn} frames in → ${r.framesToStack} packets to the stack, streams intact: ${r.allStreamsOk ? 'yes' : 'NO'}; written to ${out}`);
    console.log(`  wire frames per packet → count: ${JSON.stringify(r.counters['aggregateSizes'])}`);
  }
  console.log(`Linux GRO (bulk_mtu1500.rx.pcap), data packets by segments: ${JSON.stringify(kernelAggregates())}`);
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
