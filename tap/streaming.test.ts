// Streaming: a ~200 MB capture is written through CaptureWriter and read back through readCapture
// while memory stays flat — the reader holds one chunk (grown to the largest record), never the file.

import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { statSync } from 'node:fs';
import { CaptureWriter, readCapture, type CaptureRecord } from './index.ts';
import { sampleFrames, tmpDir } from '../test/support/pcap.ts';

const TARGET_BYTES = 200 * 1024 * 1024;
const MAX_GROWTH = 64 * 1024 * 1024;

describe('streaming', () => {
  for (const format of ['pcap', 'pcapng'] as const) {
    it(`${format}: a ~200 MB file is read with flat memory, every record intact`, () => {
      const [, , , , mss, aggregate] = sampleFrames();
      const small = mss!.slice();
      const big = aggregate!.slice();
      const { dir, cleanup } = tmpDir();
      try {
        const path = join(dir, `big.${format}`);
        const w = CaptureWriter.open(path, {
          format,
          nanosecond: true,
          interfaces: format === 'pcapng' ? 2 : undefined,
        });
        let written = 0;
        let bytes = 0;
        while (bytes < TARGET_BYTES) {
          // one 64 KiB aggregate, then 30 MTU frames; the TCP sequence field carries the record number
          const frame = written % 31 === 0 ? big : small;
          new DataView(frame.buffer).setUint32(14 + 20 + 4, written);
          w.write({
            tsSec: 1_700_000_000 + Math.floor(written / 1000),
            tsNsec: (written % 1000) * 1000,
            data: frame,
            interfaceId: written % 2 === 0 || format === 'pcap' ? 0 : 1,
          });
          bytes += frame.length + 16;
          written++;
        }
        w.close();
        const size = statSync(path).size;
        expect(size).toBeGreaterThan(TARGET_BYTES);

        globalThis.gc?.();
        const before = process.memoryUsage();
        let peakRss = before.rss;
        let peakAb = before.arrayBuffers;
        let n = 0;
        let dataBytes = 0;
        let bad = 0;
        for (const r of readCapture(path)) {
          const dv = new DataView(r.data.buffer, r.data.byteOffset, r.data.byteLength);
          if (dv.getUint32(14 + 20 + 4) !== n || r.data.length !== (n % 31 === 0 ? big.length : small.length)) bad++;
          if (r.tsSec !== 1_700_000_000 + Math.floor(n / 1000) || r.tsNsec !== (n % 1000) * 1000) bad++;
          if (r.interfaceId !== (format === 'pcapng' ? n % 2 : 0)) bad++;
          dataBytes += r.data.length;
          n++;
          if ((n & 1023) === 0) {
            const m = process.memoryUsage();
            peakRss = Math.max(peakRss, m.rss);
            peakAb = Math.max(peakAb, m.arrayBuffers);
          }
        }
        expect(bad).toBe(0);
        expect(n).toBe(written);
        expect(dataBytes).toBeGreaterThan(TARGET_BYTES - 16 * written);
        expect(peakAb - before.arrayBuffers).toBeLessThan(MAX_GROWTH);
        expect(peakRss - before.rss).toBeLessThan(MAX_GROWTH);
      } finally {
        cleanup();
      }
    });
  }
});

describe('reuseRecords', () => {
  it('reads the same records into one object as the default reader reads into new ones', () => {
    const path = 'test/captures/parallel4_mtu1500.tx.pcap';
    const fields = (r: CaptureRecord) => [r.index, r.offset, r.tsSec, r.tsNsec, r.origLen, r.linktype, r.data.slice()];
    const fresh = Array.from(readCapture(path), fields);
    const objects = new Set<CaptureRecord>();
    const reused: ReturnType<typeof fields>[] = [];
    for (const r of readCapture(path, { reuseRecords: true })) {
      objects.add(r);
      reused.push(fields(r));
    }
    expect(fresh.length).toBeGreaterThan(100);
    expect(reused).toEqual(fresh);
    expect(objects.size).toBe(1);
  });
});
