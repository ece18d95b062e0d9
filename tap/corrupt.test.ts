// Corrupt input: every malformed case gives a CaptureError naming the file, record, offset and
// expectation; a file cut at every offset gives the intact records, then a CaptureError (or a clean
// end at a record boundary); random damage never raises anything else and never hangs.

import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { CaptureError, CaptureWriter, parseCapture, readCapture, type CaptureRecord } from './index.ts';
import { Bytes, block, concat, epb, idb, option, sampleFrames, shb, spb, tmpDir } from '../test/support/pcap.ts';

/** Reads everything; returns the records (copied) and the error, if any. */
function readAll(records: Iterable<CaptureRecord>): { recs: CaptureRecord[]; err: unknown } {
  const recs: CaptureRecord[] = [];
  try {
    for (const r of records) recs.push({ ...r, data: r.data.slice() });
    return { recs, err: undefined };
  } catch (err) {
    return { recs, err };
  }
}

function captureError(bytes: Uint8Array, name = 'bad.cap'): CaptureError {
  const { err } = readAll(parseCapture(bytes, name));
  expect(err).toBeInstanceOf(CaptureError);
  return err as CaptureError;
}

function pcapHeader(le = true, snaplen = 65535, linktype = 1, magic = 0xa1b2c3d4): Bytes {
  return new Bytes(le).u32(magic).u16(2).u16(4).u32(0).u32(0).u32(snaplen).u32(linktype);
}

const f60 = new Uint8Array(60).fill(7);

describe('classic pcap: each corruption is named', () => {
  it('the message of the style guide, exactly', () => {
    const b = pcapHeader(true, 0xffffffff);
    for (let i = 0; i < 16; i++) b.u32(i).u32(0).u32(2502).u32(2502).bytes(new Uint8Array(2502));
    b.u32(16).u32(0).u32(4294967280).u32(60).bytes(f60);
    const e = captureError(b.build(), 'capture.pcap');
    expect(e.message).toBe('capture.pcap: record 17 at byte 40312 claims 4294967280 bytes (limit 262144)');
    expect([e.offset, e.record, e.file]).toEqual([40312, 17, 'capture.pcap']);
  });

  it('empty file', () => {
    const e = captureError(new Uint8Array(0), 'empty.pcap');
    expect([e.message, e.offset]).toEqual(['empty.pcap: empty file (expected a pcap or pcapng header)', 0]);
  });

  it('bad magic', () => {
    const e = captureError(Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3, 4]), 'a.out');
    expect(e.message).toBe(
      'a.out: byte 0: bad magic 0x7f454c46 (expected pcap 0xa1b2c3d4/0xa1b23c4d in either byte order, or pcapng 0x0a0d0d0a)',
    );
    expect(e.offset).toBe(0);
  });

  it('a magic cut short', () => {
    expect(captureError(Uint8Array.from([0xd4, 0xc3]), 'x.pcap').message).toBe(
      'x.pcap: byte 0: truncated file header (4-byte magic expected, 2 present)',
    );
  });

  it('truncated global header', () => {
    const e = captureError(pcapHeader().build().subarray(0, 17), 'h.pcap');
    expect([e.message, e.offset]).toEqual([
      'h.pcap: byte 0: truncated pcap global header (24 bytes expected, 17 present)',
      0,
    ]);
  });

  it('unsupported version and linktype', () => {
    const v = pcapHeader().build();
    v[4] = 3;
    expect(captureError(v, 'v.pcap').message).toBe('v.pcap: byte 4: unsupported pcap version 3 (expected 2)');
    const e = captureError(pcapHeader(false, 65535, 105).build(), 'wifi.pcap');
    expect([e.message, e.offset]).toEqual([
      'wifi.pcap: byte 20: unsupported linktype 105 (only Ethernet = 1 is supported)',
      20,
    ]);
  });

  it('truncated record header and body', () => {
    const b = pcapHeader().u32(1).u32(2).u32(60).u32(60).bytes(f60).u32(1).u32(2).u32(60).u32(60).bytes(f60).build();
    const h = readAll(parseCapture(b.subarray(0, 24 + 76 + 9), 'r.pcap'));
    expect(h.recs.length).toBe(1);
    expect((h.err as CaptureError).message).toBe(
      'r.pcap: record 2 at byte 100 is cut short: truncated record header (16 bytes expected, 9 present)',
    );
    const body = readAll(parseCapture(b.subarray(0, 24 + 76 + 16 + 59), 'r.pcap'));
    expect(body.recs.length).toBe(1);
    expect((body.err as CaptureError).message).toBe(
      'r.pcap: record 2 at byte 100 is cut short: truncated record body (60 bytes expected, 59 present)',
    );
    expect((body.err as CaptureError).offset).toBe(100);
  });

  it('incl_len beyond the snaplen, and beyond 256 KiB whatever the snaplen', () => {
    const small = pcapHeader(true, 59).u32(0).u32(0).u32(60).u32(60).bytes(f60).build();
    expect(captureError(small, 's.pcap').message).toBe(
      's.pcap: record 1 at byte 24 claims 60 bytes (limit 59, the snaplen)',
    );
    const big = pcapHeader(false, 1 << 20)
      .u32(0)
      .u32(0)
      .u32(262145)
      .u32(262145)
      .build();
    expect(captureError(big, 'b.pcap').message).toBe('b.pcap: record 1 at byte 24 claims 262145 bytes (limit 262144)');
  });

  it('a missing file is a CaptureError too', () => {
    const { err } = readAll(readCapture('/nonexistent/dir/x.pcap'));
    expect(err).toBeInstanceOf(CaptureError);
    expect((err as CaptureError).message).toMatch(/^\/nonexistent\/dir\/x.pcap: cannot open \(ENOENT/);
  });
});

describe('pcapng: each corruption is named', () => {
  const head = concat(shb(true), idb(true, 1, 0)); // 28 + 20 = 48 bytes
  const at = head.length;

  it('block total length not a multiple of 4, below 12, past the end, trailer mismatch', () => {
    const odd = concat(head, new Bytes(true).u32(6).u32(33).build(), new Uint8Array(40));
    expect(captureError(odd, 'n.pcapng').message).toBe(
      `n.pcapng: record 1 (EPB block) at byte ${at} has total length 33, not a multiple of 4`,
    );
    const tiny = concat(head, new Bytes(true).u32(0x99).u32(8).u32(8).build());
    expect(captureError(tiny, 'n.pcapng').message).toBe(
      `n.pcapng: type 0x00000099 block at byte ${at} has total length 8 (at least 12 expected)`,
    );
    const past = concat(head, new Bytes(true).u32(6).u32(4000).build(), new Uint8Array(92));
    const e = captureError(past, 'n.pcapng');
    expect([e.message, e.offset]).toEqual([
      `n.pcapng: record 1 (EPB block) at byte ${at} claims 4000 bytes, past the end of the file (100 bytes left)`,
      at,
    ]);
    const good = epb(true, 0, 0, 0, f60);
    const trailer = good.slice();
    new DataView(trailer.buffer).setUint32(trailer.length - 4, 96, true);
    expect(captureError(concat(head, trailer), 'n.pcapng').message).toBe(
      `n.pcapng: record 1 (EPB block) at byte ${at} ends with total length 96 at byte ${at + good.length - 4} (expected ${good.length}, as at its start)`,
    );
    const unknown = block(true, 0x1234, new Uint8Array(8));
    new DataView(unknown.buffer).setUint32(16, 4, true);
    expect(captureError(concat(head, unknown), 'n.pcapng').message).toBe(
      `n.pcapng: type 0x00001234 block at byte ${at} ends with total length 4 at byte ${at + 16} (expected 20, as at its start)`,
    );
  });

  it('a packet on an unknown interface', () => {
    const e = captureError(concat(head, epb(true, 0, 0, 0, f60), epb(true, 3, 0, 0, f60)), 'i.pcapng');
    expect([e.message, e.offset, e.record]).toEqual([
      `i.pcapng: record 2 at byte ${at + 92} references interface 3, but only interface 0 is defined in its section`,
      at + 92,
      2,
    ]);
    expect(captureError(concat(shb(false), spb(false, 60, f60)), 'i.pcapng').message).toBe(
      'i.pcapng: record 1 at byte 28 references interface 0, but no interface is defined in its section',
    );
    // a new section forgets the interfaces of the one before
    expect(captureError(concat(head, shb(true), epb(true, 0, 0, 0, f60)), 'i.pcapng').message).toBe(
      `i.pcapng: record 1 at byte ${at + 28} references interface 0, but no interface is defined in its section`,
    );
  });

  it('unsupported linktype, in the IDB that declares it', () => {
    const e = captureError(concat(shb(true), idb(true, 1, 0), idb(true, 127, 0)), 'w.pcapng');
    expect([e.message, e.offset]).toEqual([
      'w.pcapng: IDB block at byte 48 defines interface 1 with unsupported linktype 127 (only Ethernet = 1 is supported)',
      48,
    ]);
  });

  it('captured length beyond snaplen, 256 KiB or the block', () => {
    const snap = concat(shb(true), idb(true, 1, 59), epb(true, 0, 0, 0, f60));
    expect(captureError(snap, 'c.pcapng').message).toBe(
      `c.pcapng: record 1 at byte ${at} claims 60 bytes (limit 59, the snaplen)`,
    );
    const lie = epb(true, 0, 0, 0, f60);
    new DataView(lie.buffer).setUint32(20, 4294967280, true);
    expect(captureError(concat(head, lie), 'c.pcapng').message).toBe(
      `c.pcapng: record 1 at byte ${at} claims 4294967280 bytes (limit 262144)`,
    );
    new DataView(lie.buffer).setUint32(20, 64, true);
    expect(captureError(concat(head, lie), 'c.pcapng').message).toBe(
      `c.pcapng: record 1 at byte ${at} claims 64 captured bytes, more than its block of 92 bytes holds`,
    );
  });

  it('bad byte-order magic, bad version, an option running past its block', () => {
    const bom = shb(true);
    bom[8] = 0;
    expect(captureError(bom, 'o.pcapng').message).toBe(
      'o.pcapng: SHB block at byte 0 has byte-order magic 0x1a2b3c00 at byte 8 (expected 0x1a2b3c4d)',
    );
    const ver = shb(false);
    ver[13] = 2;
    expect(captureError(ver, 'o.pcapng').message).toBe('o.pcapng: SHB block at byte 0 has version 2.x (expected 1.x)');
    const opt = epb(true, 0, 0, 0, f60, 60, option(true, 1, [1, 2, 3, 4]));
    new DataView(opt.buffer).setUint16(28 + 60 + 2, 40, true);
    expect(captureError(concat(head, opt), 'o.pcapng').message).toBe(
      `o.pcapng: record 1 (EPB block) at byte ${at} has option 1 at byte ${at + 88} of 40 bytes running past the block's end`,
    );
  });

  it('a truncated block header', () => {
    const e = captureError(concat(head, Uint8Array.from([6, 0, 0, 0, 92])), 't.pcapng');
    expect([e.message, e.offset]).toEqual([
      `t.pcapng: block at byte ${at} is cut short: truncated block header (8 bytes expected, 5 present)`,
      at,
    ]);
  });
});

// ---- cut at every offset ------------------------------------------------------------------------

function smallPcap(): Uint8Array {
  const w = CaptureWriter.toMemory({ format: 'pcap', nanosecond: true });
  sampleFrames()
    .filter((f) => f.length < 1000)
    .forEach((data, i) => w.write({ tsSec: 100 + i, tsNsec: i, data }));
  w.close();
  return w.bytes();
}

function smallPcapng(): Uint8Array {
  const w = CaptureWriter.toMemory({ format: 'pcapng', interfaces: 2 });
  sampleFrames()
    .filter((f) => f.length < 1000)
    .forEach((data, i) =>
      w.write({
        tsSec: 100 + i,
        tsNsec: i * 1000,
        data,
        interfaceId: i % 2,
        ...(i % 2 === 0 ? { comment: `c${i}` } : {}),
      }),
    );
  w.close();
  // add blocks we skip and an SPB after the packets
  return concat(w.bytes(), block(true, 4, new Uint8Array(12)), spb(true, 60, f60), block(true, 5, new Uint8Array(20)));
}

/** Block/record starts of a well-formed file, the header as one unit, and its end. */
function boundaries(bytes: Uint8Array, format: 'pcap' | 'pcapng'): { starts: number[]; packets: number[] } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const starts: number[] = [0];
  const packets: number[] = [];
  let pos = format === 'pcap' ? 24 : 0;
  while (pos < bytes.length) {
    if (format === 'pcap') {
      starts.push(pos);
      packets.push(pos);
      pos += 16 + dv.getUint32(pos + 8, true);
    } else {
      const type = dv.getUint32(pos, true);
      if (pos !== 0) starts.push(pos);
      if (type === 6 || type === 3) packets.push(pos);
      pos += dv.getUint32(pos + 4, true);
    }
  }
  if (format === 'pcap') starts.splice(1, 0, 24);
  starts.push(bytes.length);
  return { starts: [...new Set(starts)].sort((a, b) => a - b), packets };
}

/** A record as a compact comparable value (deep-comparing data arrays thousands of times is slow). */
function summary(r: CaptureRecord): string {
  let h = 0;
  for (const b of r.data) h = (Math.imul(h, 31) + b) | 0;
  return `${r.index} ${r.offset} ${r.tsSec}.${r.tsNsec} ${r.data.length}/${r.origLen} if${r.interfaceId} lt${r.linktype} ${r.comment ?? '-'} #${h}`;
}

describe('a file cut at every offset', () => {
  for (const format of ['pcap', 'pcapng'] as const) {
    it(`${format}: intact records, then a CaptureError at the cut record or a clean end`, () => {
      const bytes = format === 'pcap' ? smallPcap() : smallPcapng();
      const full = readAll(parseCapture(bytes));
      expect(full.err).toBeUndefined();
      const { starts, packets } = boundaries(bytes, format);
      expect(full.recs.map((r) => r.offset)).toEqual(packets);
      const { dir, cleanup } = tmpDir();
      try {
        const path = join(dir, `cut.${format}`);
        let clean = 0;
        for (let len = 0; len <= bytes.length; len++) {
          const cut = bytes.subarray(0, len);
          const headerEnd = starts[1]!;
          // the unit (header, block or record) the cut falls in
          const unitStart = starts.filter((s) => s < len).pop() ?? 0;
          const cleanEnd = len >= headerEnd && starts.includes(len);
          const intact = packets.filter((p) => p < (cleanEnd ? len : unitStart)).length;
          writeFileSync(path, cut);
          for (const got of [readAll(parseCapture(cut, path)), readAll(readCapture(path))]) {
            expect(got.recs.map(summary)).toEqual(full.recs.slice(0, intact).map(summary));
            if (cleanEnd) {
              expect(got.err).toBeUndefined();
            } else {
              expect(got.err, `cut at ${len}`).toBeInstanceOf(CaptureError);
              const e = got.err as CaptureError;
              expect(e.offset, `cut at ${len}: ${e.message}`).toBe(len < headerEnd ? 0 : unitStart);
              expect(e.message.startsWith(`${path}: `)).toBe(true);
              if (len > 0) expect(e.message).toContain(`byte ${e.offset}`);
            }
          }
          if (cleanEnd) clean++;
        }
        expect(clean).toBe(starts.length - 1);
      } finally {
        cleanup();
      }
    });
  }
});

describe('random damage', () => {
  for (const format of ['pcap', 'pcapng'] as const) {
    it(`${format}: flipped bytes give records or a CaptureError, nothing else`, () => {
      const bytes = format === 'pcap' ? smallPcap() : smallPcapng();
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })), {
            minLength: 1,
            maxLength: 6,
          }),
          (edits) => {
            const damaged = bytes.slice();
            for (const [at, v] of edits) damaged[at] = v;
            const { recs, err } = readAll(parseCapture(damaged, 'fuzz'));
            if (err !== undefined && !(err instanceof CaptureError)) throw err;
            expect(recs.length).toBeLessThan(100);
            for (const r of recs) expect(r.data.length).toBeLessThanOrEqual(262144);
          },
        ),
        { seed: 20261125, numRuns: 1500 },
      );
    });
  }
});
