// tshark is the judge: the files we write must read the same in Wireshark, and the real captures
// must read the same in our reader as in Wireshark (counts, lengths, timestamps, TCP fields).

import { CAPTURES_DIR } from '../test/captures.ts';
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readdirSync, writeFileSync } from 'node:fs';
import { CaptureWriter, captureInfo, openCapture, readCapture, type CaptureWriterOptions } from './index.ts';
import {
  concat,
  epb,
  idb,
  option,
  sampleRecords,
  shb,
  spb,
  tcpFields,
  tmpDir,
  tsharkCommentField,
  tsharkFields,
} from '../test/support/pcap.ts';

const CAPTURES = CAPTURES_DIR.replace(/\/$/, '');

/** "1795627080.614666308" → the same with a 9-digit fraction (tshark may print fewer digits). */
function epochNs(s: string): string {
  const [sec, frac = ''] = s.split('.');
  return `${sec}.${frac.padEnd(9, '0')}`;
}

function ourEpoch(tsSec: number, tsNsec: number): string {
  return `${tsSec}.${String(tsNsec).padStart(9, '0')}`;
}

describe('tshark reads the files we write', () => {
  const cases: { title: string; opts: CaptureWriterOptions; interfaces: number; comments: boolean }[] = [
    { title: 'pcap µs', opts: { format: 'pcap' }, interfaces: 1, comments: false },
    { title: 'pcap ns', opts: { format: 'pcap', nanosecond: true }, interfaces: 1, comments: false },
    {
      title: 'pcap ns big-endian, snaplen 128',
      opts: { format: 'pcap', nanosecond: true, bigEndian: true, snaplen: 128 },
      interfaces: 1,
      comments: false,
    },
    { title: 'pcapng µs, 1 interface', opts: { format: 'pcapng' }, interfaces: 1, comments: false },
    {
      title: 'pcapng ns, 4 interfaces, comments',
      opts: { format: 'pcapng', nanosecond: true, interfaces: 4 },
      interfaces: 4,
      comments: true,
    },
    {
      title: 'pcapng µs big-endian, 3 interfaces, comments, snaplen 100',
      opts: { format: 'pcapng', interfaces: 3, bigEndian: true, snaplen: 100 },
      interfaces: 3,
      comments: true,
    },
  ];
  for (const c of cases) {
    it(c.title, () => {
      const recs = sampleRecords(c.interfaces, c.comments);
      const { dir, cleanup } = tmpDir();
      try {
        const file = join(dir, `ours.${c.opts.format}`);
        const w = CaptureWriter.open(file, c.opts);
        for (const r of recs) w.write(r);
        w.close();
        const pcapng = c.opts.format === 'pcapng';
        const snaplen = c.opts.snaplen ?? 262144;
        const ns = c.opts.nanosecond ?? false;
        const fields = [
          'frame.len',
          'frame.cap_len',
          'frame.interface_id',
          'frame.time_epoch',
          tsharkCommentField(),
          'tcp.seq_raw',
          'tcp.ack_raw',
          'tcp.len',
        ];
        const got = tsharkFields(file, fields);
        const want = recs.map((r) => {
          const tcp = tcpFields(r.data);
          return [
            String(r.data.length),
            String(Math.min(r.data.length, snaplen)),
            pcapng ? String(r.interfaceId) : '',
            ourEpoch(r.tsSec, ns ? r.tsNsec : Math.floor(r.tsNsec / 1000) * 1000),
            (pcapng ? r.comment : undefined) ?? '',
            tcp === undefined ? '' : String(tcp.seq),
            tcp === undefined ? '' : String(tcp.ack),
            tcp === undefined ? '' : String(tcp.payloadLength),
          ];
        });
        // tshark prints an interface id of 0 for pcap too in some versions: normalise
        const norm = got.map((row) => row.map((v, i) => (i === 2 && !pcapng ? '' : i === 3 ? epochNs(v) : v)));
        expect(norm).toEqual(want);
      } finally {
        cleanup();
      }
    });
  }

  it('a hand-built multi-section pcapng: ids, timestamps and comments as tshark reads them', () => {
    const frameA = sampleRecords()[3]!.data;
    const bytes = concat(
      shb(true),
      idb(true, 1, 0),
      idb(true, 1, 0, option(true, 9, [0x80 | 20])),
      epb(true, 1, 1, 0x80000, frameA),
      shb(false),
      idb(false, 1, 0),
      epb(false, 0, 0, 7, frameA, 60, option(false, 1, [0x68, 0x69])),
      spb(false, 60, frameA),
    );
    const { dir, cleanup } = tmpDir();
    try {
      const file = join(dir, 'multi.pcapng');
      writeFileSync(file, bytes);
      const reader = openCapture(file);
      const ours = Array.from(reader, (r) => [
        r.interfaceId,
        reader.interfaces[r.interfaceId]!.localId,
        ourEpoch(r.tsSec, r.tsNsec),
        r.comment ?? '',
        r.data.length,
      ]);
      expect(ours).toEqual([
        [1, 1, '4096.500000000', '', 60],
        [2, 0, '0.000007000', 'hi', 60],
        [2, 0, '0.000000000', '', 60],
      ]);
      const theirs = tsharkFields(file, [
        'frame.interface_id',
        'frame.time_epoch',
        tsharkCommentField(),
        'frame.cap_len',
      ]);
      expect(theirs.length).toBe(3);
      theirs.forEach((row, i) => {
        const [globalId, localId, epoch, comment, capLen] = ours[i]!;
        // tshark 4.0 numbers interfaces per section; a tshark numbering them across sections agrees with interfaceId
        expect([String(globalId), String(localId)]).toContain(row[0]);
        if (i < 2) expect(epochNs(row[1]!)).toBe(epoch); // an SPB has no timestamp: tshark prints none, we say 0
        expect(row[2]).toBe(comment);
        expect(row[3]).toBe(String(capLen));
      });
    } finally {
      cleanup();
    }
  });
});

describe('we read the real captures as tshark does', () => {
  const files = readdirSync(CAPTURES)
    .filter((f) => f.endsWith('.pcap'))
    .sort();

  it('finds the four captures', () => {
    expect(files).toEqual([
      'bulk_mtu1500.rx.pcap',
      'bulk_mtu1500.tx.pcap',
      'parallel4_mtu1500.rx.pcap',
      'parallel4_mtu1500.tx.pcap',
    ]);
  });

  for (const name of files) {
    it(name, () => {
      const path = join(CAPTURES, name);
      const theirs = tsharkFields(path, [
        'frame.len',
        'frame.cap_len',
        'frame.time_epoch',
        'tcp.seq_raw',
        'tcp.ack_raw',
        'tcp.flags',
        'tcp.len',
      ]);
      const ours: string[][] = [];
      for (const r of readCapture(path)) {
        const tcp = tcpFields(r.data);
        ours.push([
          String(r.origLen),
          String(r.data.length),
          ourEpoch(r.tsSec, r.tsNsec).slice(0, -3),
          tcp === undefined ? '' : String(tcp.seq),
          tcp === undefined ? '' : String(tcp.ack),
          tcp === undefined ? '' : '0x' + tcp.flags.toString(16).padStart(4, '0'),
          tcp === undefined ? '' : String(tcp.payloadLength),
        ]);
      }
      const norm = theirs.map((row) =>
        row.map((v, i) =>
          i === 2
            ? epochNs(v).slice(0, -3)
            : i === 5 && v !== ''
              ? '0x' + parseInt(v, 16).toString(16).padStart(4, '0')
              : v,
        ),
      );
      expect(ours.length).toBe(norm.length);
      expect(ours).toEqual(norm);
      expect(ours.filter((r) => r[3] !== '').length).toBeGreaterThan(100);
      const info = captureInfo(path);
      expect(info).toMatchObject({
        format: 'pcap',
        byteOrder: 'little-endian',
        resolution: 'ns',
        linktype: 1,
        records: ours.length,
      });
    });
  }
});
