// Round trips through our writer and reader, in memory and on disk, and pcap/pcapng features
// built by hand (big-endian files, power-of-2 resolutions, SPB, unknown blocks, several sections).

import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readdirSync, writeFileSync } from 'node:fs';
import {
  CaptureWriter,
  CaptureReader,
  MemorySource,
  captureInfo,
  parseCapture,
  readCapture,
  type CaptureRecord,
  type CaptureWriterOptions,
} from './index.ts';
import {
  Bytes,
  block,
  bytesEqual,
  concat,
  copyRecord,
  epb,
  idb,
  option,
  sampleRecords,
  shb,
  spb,
  tmpDir,
  type SampleRecord,
} from '../test/support/pcap.ts';

function writeMemory(opts: CaptureWriterOptions, recs: SampleRecord[]): Uint8Array {
  const w = CaptureWriter.toMemory(opts);
  for (const r of recs) w.write(r);
  w.close();
  return w.bytes();
}

function expectSame(got: CaptureRecord[], want: SampleRecord[], opts: { nanosecond: boolean; pcapng: boolean }): void {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => {
    const w = want[i]!;
    expect(g.index).toBe(i);
    expect(g.tsSec).toBe(w.tsSec);
    expect(g.tsNsec).toBe(opts.nanosecond ? w.tsNsec : Math.floor(w.tsNsec / 1000) * 1000);
    expect(bytesEqual(g.data, w.data), `record ${i} data`).toBe(true);
    expect(g.origLen).toBe(w.data.length);
    expect(g.linktype).toBe(1);
    expect(g.interfaceId).toBe(opts.pcapng ? w.interfaceId : 0);
    expect(g.comment).toBe(opts.pcapng ? w.comment : undefined);
  });
}

describe('round trips', () => {
  for (const format of ['pcap', 'pcapng'] as const) {
    for (const nanosecond of [false, true]) {
      for (const bigEndian of [false, true]) {
        it(`${format} ${nanosecond ? 'ns' : 'us'} ${bigEndian ? 'big' : 'little'}-endian: memory and file give back the records`, () => {
          const recs = sampleRecords(format === 'pcapng' ? 3 : 1, format === 'pcapng');
          const opts = { format, nanosecond, bigEndian, interfaces: format === 'pcapng' ? 3 : undefined };
          const bytes = writeMemory(opts, recs);
          expectSame([...parseCapture(bytes)], recs, { nanosecond, pcapng: format === 'pcapng' });

          const { dir, cleanup } = tmpDir();
          try {
            const file = join(dir, `rt.${format}`);
            const w = CaptureWriter.open(file, opts);
            for (const r of recs) w.write(r);
            w.close();
            expectSame(Array.from(readCapture(file), copyRecord), recs, { nanosecond, pcapng: format === 'pcapng' });
            const info = captureInfo(file);
            expect(info).toMatchObject({
              format,
              byteOrder: bigEndian ? 'big-endian' : 'little-endian',
              resolution: nanosecond ? 'ns' : 'us',
              linktype: 1,
              snaplen: 262144,
              records: recs.length,
              sections: 1,
              capturedBytes: recs.reduce((s, r) => s + r.data.length, 0),
              fileBytes: bytes.length,
            });
            expect(info.interfaces.map((i) => i.name)).toEqual(
              format === 'pcapng' ? ['rx0', 'rx1', 'rx2'] : [undefined],
            );
          } finally {
            cleanup();
          }
        });
      }
    }
  }

  it('the file written to disk is byte-identical to the one written to memory', () => {
    const recs = sampleRecords(2, true);
    const opts = { format: 'pcapng' as const, interfaces: 2, nanosecond: true };
    const { dir, cleanup } = tmpDir();
    try {
      const file = join(dir, 'x.pcapng');
      const w = CaptureWriter.open(file, opts);
      for (const r of recs) w.write(r);
      w.close();
      const fromFile = Array.from(readCapture(file), copyRecord);
      const fromMemory = [...parseCapture(writeMemory(opts, recs))];
      expect(fromFile.map((r) => ({ ...r, data: r.data.length }))).toEqual(
        fromMemory.map((r) => ({ ...r, data: r.data.length })),
      );
      fromFile.forEach((r, i) => expect(bytesEqual(r.data, fromMemory[i]!.data)).toBe(true));
    } finally {
      cleanup();
    }
  });

  it('snaplen cuts frames and keeps the original length', () => {
    const recs = sampleRecords();
    for (const format of ['pcap', 'pcapng'] as const) {
      const got = [...parseCapture(writeMemory({ format, snaplen: 128 }, recs))];
      expect(got.map((r) => [r.data.length, r.origLen])).toEqual(
        recs.map((r) => [Math.min(128, r.data.length), r.data.length]),
      );
      expect(got[5]!.data).toEqual(recs[5]!.data.subarray(0, 128));
    }
  });

  it('length and origLen of a write are honoured (frame in a larger reused buffer)', () => {
    const buf = new Uint8Array(2048).fill(0xee);
    buf.set(sampleRecords()[4]!.data.subarray(0, 100));
    for (const format of ['pcap', 'pcapng'] as const) {
      const w = CaptureWriter.toMemory({ format });
      w.write({ tsSec: 1, tsNsec: 0, data: buf, length: 100, origLen: 1514 });
      w.close();
      const [r] = [...parseCapture(w.bytes())];
      expect(r!.data).toEqual(buf.subarray(0, 100));
      expect(r!.origLen).toBe(1514);
    }
  });

  it('interface names given by the caller, and a missing comment stays absent', () => {
    const w = CaptureWriter.toMemory({ format: 'pcapng', interfaceNames: ['eth0', 'eth1'] });
    w.write({ tsSec: 0, tsNsec: 0, data: new Uint8Array(60), interfaceId: 1 });
    w.close();
    const reader = new CaptureReader(new MemorySource(w.bytes(), 'n.pcapng'));
    const recs = [...reader];
    expect(reader.interfaces.map((i) => [i.id, i.name, i.snaplen])).toEqual([
      [0, 'eth0', 262144],
      [1, 'eth1', 262144],
    ]);
    expect(recs.map((r) => r.interfaceId)).toEqual([1]);
    expect('comment' in recs[0]!).toBe(false);
  });

  it('timestamps at the edges of the range survive both resolutions', () => {
    const stamps = [
      [0, 0],
      [0, 999_999_999],
      [1, 1],
      [0xffffffff, 999_999_999],
      [1795627080, 614666308],
      [65536, 5],
      [65535, 999_999_999],
    ] as const;
    for (const format of ['pcap', 'pcapng'] as const) {
      for (const nanosecond of [false, true]) {
        const w = CaptureWriter.toMemory({ format, nanosecond });
        for (const [s, ns] of stamps) w.write({ tsSec: s, tsNsec: ns, data: new Uint8Array(60) });
        w.close();
        const got = [...parseCapture(w.bytes())].map((r) => [r.tsSec, r.tsNsec]);
        expect(got).toEqual(stamps.map(([s, ns]) => [s, nanosecond ? ns : Math.floor(ns / 1000) * 1000]));
      }
    }
  });

  it('readCapture closes the file when iteration stops early, ends, or fails', () => {
    const { dir, cleanup } = tmpDir();
    try {
      const file = join(dir, 'x.pcap');
      writeFileSync(file, writeMemory({ format: 'pcap' }, sampleRecords()));
      const fds = () => readdirSync('/proc/self/fd').length;
      const before = fds();
      for (const r of readCapture(file)) if (r.index === 1) break;
      expect([...readCapture(file)].length).toBe(7);
      writeFileSync(join(dir, 'bad.pcap'), new Uint8Array(30));
      expect(() => [...readCapture(join(dir, 'bad.pcap'))]).toThrow(/bad magic/);
      expect(fds()).toBe(before);
    } finally {
      cleanup();
    }
  });

  it('the writer rejects bad arguments with a RangeError', () => {
    expect(() => CaptureWriter.toMemory({ format: 'pcap', snaplen: 300000 })).toThrow(
      /snaplen 300000 outside 1..262144/,
    );
    const w = CaptureWriter.toMemory({ format: 'pcapng', interfaces: 2 });
    expect(() => w.write({ tsSec: 0, tsNsec: 0, data: new Uint8Array(60), interfaceId: 2 })).toThrow(
      /interfaceId 2 \(the file has interfaces 0..1\)/,
    );
    expect(() => w.write({ tsSec: 0, tsNsec: 1e9, data: new Uint8Array(60) })).toThrow(RangeError);
    expect(() => w.write({ tsSec: -1, tsNsec: 0, data: new Uint8Array(60) })).toThrow(RangeError);
    expect(() => w.write({ tsSec: 0, tsNsec: 0, data: new Uint8Array(60), length: 61 })).toThrow(
      /length 61 outside the data \(60 bytes\)/,
    );
    w.close();
    expect(() => w.write({ tsSec: 0, tsNsec: 0, data: new Uint8Array(60) })).toThrow(/after close/);
  });
});

// ---- hand-built files -------------------------------------------------------------------------

const frameA = Uint8Array.from({ length: 61 }, (_, i) => i);
const frameB = Uint8Array.from({ length: 70 }, (_, i) => 255 - i);

describe('classic pcap built by hand', () => {
  it('big-endian µs and ns files', () => {
    for (const [magic, scale] of [
      [0xa1b2c3d4, 1000],
      [0xa1b23c4d, 1],
    ] as const) {
      const b = new Bytes(false).u32(magic).u16(2).u16(4).u32(0).u32(0).u32(65535).u32(1);
      b.u32(1700000000).u32(123456).u32(frameA.length).u32(frameA.length).bytes(frameA);
      b.u32(1700000001).u32(999999).u32(frameB.length).u32(1514).bytes(frameB);
      const recs = [...parseCapture(b.build(), 'be.pcap')];
      expect(recs.map((r) => [r.index, r.offset, r.tsSec, r.tsNsec, r.origLen, r.interfaceId, r.linktype])).toEqual([
        [0, 24, 1700000000, 123456 * scale, 61, 0, 1],
        [1, 24 + 16 + 61, 1700000001, 999999 * scale, 1514, 0, 1],
      ]);
      expect(recs[0]!.data).toEqual(frameA);
      expect(recs[1]!.data).toEqual(frameB);
    }
  });

  it('a snaplen of 0 means no limit but 262144', () => {
    const b = new Bytes(true).u32(0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(0).u32(1);
    b.u32(0).u32(0).u32(frameA.length).u32(frameA.length).bytes(frameA);
    expect([...parseCapture(b.build())].map((r) => r.data.length)).toEqual([61]);
  });

  it('a header-only file has no records', () => {
    const b = new Bytes(true).u32(0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(65535).u32(1);
    expect([...parseCapture(b.build())]).toEqual([]);
  });
});

describe('pcapng built by hand', () => {
  for (const le of [true, false]) {
    it(`${le ? 'little' : 'big'}-endian: resolutions, names, SPB, unknown blocks, comments`, () => {
      const file = concat(
        shb(
          le,
          concat(
            option(
              le,
              3,
              [...'linux'].map((c) => c.charCodeAt(0)),
            ),
            option(le, 0xbeef, [1, 2, 3]),
            option(le, 0, []),
          ),
        ),
        idb(
          le,
          1,
          0,
          option(
            le,
            2,
            [...'eth0'].map((c) => c.charCodeAt(0)),
          ),
        ), // µs default
        idb(
          le,
          1,
          128,
          option(le, 9, [9]),
          option(le, 14, [...new Uint8Array(new BigInt64Array([le ? 10n : 0x0a00000000000000n]).buffer)]),
        ), // ns, +10 s
        idb(le, 1, 65535, option(le, 9, [0x80 | 20])), // 2^-20 s
        idb(le, 1, 65535, option(le, 9, [3])), // ms
        block(le, 4, new Uint8Array(8)), // NRB
        epb(
          le,
          0,
          0x00060a24,
          0x18202240,
          frameA,
          61,
          option(
            le,
            1,
            [...'hi'].map((c) => c.charCodeAt(0)),
          ),
          option(le, 1, [0x78]),
        ),
        block(le, 0x0a, new Uint8Array(16)), // DSB
        epb(le, 1, 0x178f1634, 0xb20fcd44, frameB, 1514),
        epb(le, 2, 0x0000_0001, 0x0008_0000, frameA), // 2^32 + 2^19 units of 2^-20 s
        block(le, 5, new Uint8Array(20)), // ISB
        epb(le, 3, 0x18b, 0xcfe5687b, frameA.subarray(0, 60)),
        spb(le, 70, frameB),
        block(le, 0x40000bad, new Uint8Array(4)), // custom / unknown
      );
      const reader = new CaptureReader(new MemorySource(file, 'hand.pcapng'));
      const recs = [...reader];
      expect(reader.interfaces.map((i) => [i.id, i.name, i.snaplen, i.resolution, i.tsOffsetSec])).toEqual([
        [0, 'eth0', 0, { base: 10, exp: 6 }, 0],
        [1, undefined, 128, { base: 10, exp: 9 }, 10],
        [2, undefined, 65535, { base: 2, exp: 20 }, 0],
        [3, undefined, 65535, { base: 10, exp: 3 }, 0],
      ]);
      // 0x00060a2418202240 µs = 1700000000123456 µs; 0x178f1634b20fcd44 ns = 1697600000123456836 ns
      expect(recs.map((r) => [r.index, r.interfaceId, r.tsSec, r.tsNsec, r.data.length, r.origLen, r.comment])).toEqual(
        [
          [0, 0, 1700000000, 123456000, 61, 61, 'hi'],
          [1, 1, 1697600000 + 10, 123456836, 70, 1514, undefined],
          [2, 2, 4096 + 0, 500_000_000, 61, 61, undefined],
          [3, 3, 1_700_000_000, 123_000_000, 60, 60, undefined],
          [4, 0, 0, 0, 70, 70, undefined],
        ],
      );
      expect(recs[1]!.data).toEqual(frameB);
      expect(recs[4]!.data).toEqual(frameB);
    });
  }

  it('several sections in different byte orders: interface ids count across sections', () => {
    const file = concat(
      shb(true),
      idb(true, 1, 0),
      idb(true, 1, 0),
      epb(true, 1, 0, 5, frameA),
      shb(false),
      idb(false, 1, 0),
      epb(false, 0, 0, 7, frameB),
    );
    const reader = new CaptureReader(new MemorySource(file, 'multi.pcapng'));
    const recs = [...reader];
    expect(recs.map((r) => [r.interfaceId, r.tsNsec, r.data.length])).toEqual([
      [1, 5000, 61],
      [2, 7000, 70],
    ]);
    expect(reader.sections).toBe(2);
    expect(reader.interfaces.map((i) => i.section)).toEqual([0, 0, 1]);
  });

  it('an SPB takes at most the snaplen of interface 0', () => {
    const file = concat(shb(true), idb(true, 1, 64), spb(true, 70, frameB), spb(true, 1514, frameB.subarray(0, 64)));
    expect([...parseCapture(file)].map((r) => [r.data.length, r.origLen])).toEqual([
      [64, 70],
      [64, 1514],
    ]);
  });

  it('a file with a section header only has no records', () => {
    expect([...parseCapture(shb(true))]).toEqual([]);
    expect([...parseCapture(shb(false))]).toEqual([]);
  });

  it('readCapture streams hand-built files through a small file window too', () => {
    const { dir, cleanup } = tmpDir();
    try {
      const file = concat(
        shb(false),
        idb(false, 1, 0, option(false, 9, [9])),
        block(false, 4, new Uint8Array(300_000)),
        epb(false, 0, 0, 42, frameA),
        block(false, 5, new Uint8Array(8)),
        epb(false, 0, 0, 43, frameB),
      );
      const path = join(dir, 'be.pcapng');
      writeFileSync(path, file);
      expect(Array.from(readCapture(path), (r) => [r.offset, r.tsNsec, r.data.length])).toEqual(
        Array.from(parseCapture(file), (r) => [r.offset, r.tsNsec, r.data.length]),
      );
      expect(captureInfo(path)).toMatchObject({
        format: 'pcapng',
        byteOrder: 'big-endian',
        resolution: 'ns',
        records: 2,
        snaplen: 0,
      });
    } finally {
      cleanup();
    }
  });
});
