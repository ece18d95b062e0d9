// tshark as an independent judge: builder frames and the hand-made literals written to a classic
// pcap file (helper below, no tap/ dependency), read back with checksum validation on.
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { frame, type Ipv6ExtSpec } from './builder.ts';
import { fillL4Checksum, verifyL4Checksum } from './l4checksum.ts';
import { hex, LITERAL } from '../test/support/wire.ts';

/** A classic little-endian pcap (microsecond, linktype 1 Ethernet): 24-byte header, 16-byte record headers. */
function pcapBytes(frames: Uint8Array[]): Uint8Array {
  const size = 24 + frames.reduce((n, f) => n + 16 + f.length, 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0xa1b2c3d4, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(16, 65535, true); // snaplen
  dv.setUint32(20, 1, true); // LINKTYPE_ETHERNET
  let p = 24;
  frames.forEach((f, i) => {
    dv.setUint32(p, 1_700_000_000 + i, true);
    dv.setUint32(p + 4, 0, true);
    dv.setUint32(p + 8, f.length, true);
    dv.setUint32(p + 12, f.length, true);
    out.set(f, p + 16);
    p += 16 + f.length;
  });
  return out;
}

// tshark's proto_checksum_enum_e: 0 Bad, 1 Good, 2 Unverified, 3 Not present (Wireshark 3.x–4.0);
// newer releases may renumber, so the Good value is read from a frame known to be good.
function tshark(file: string, fields: string[]): string[][] {
  const out = execFileSync(
    'tshark',
    [
      '-r',
      file,
      '-o',
      'tcp.check_checksum:TRUE',
      '-o',
      'ip.check_checksum:TRUE',
      '-o',
      'udp.check_checksum:TRUE',
      '-T',
      'fields',
      ...fields.flatMap((f) => ['-e', f]),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return out
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => l.split('\t'));
}

describe('tshark agrees with the builder', () => {
  it('sequence numbers, lengths and Good checksums', () => {
    const frames = [
      frame()
        .vlan(100)
        .tcp({ flags: 'PA', seq: 1000, ack: 1, ts: [1, 2] })
        .payload(1448)
        .build(),
      frame()
        .tcp({
          flags: 'S',
          seq: 0xfffffff0,
          options: [
            { kind: 'mss', value: 1460 },
            { kind: 'sackPermitted' },
            { kind: 'timestamp', tsval: 5, tsecr: 0 },
            { kind: 'nop' },
            { kind: 'wscale', shift: 7 },
          ],
        })
        .build(),
      frame()
        .ipv4({ options: Uint8Array.of(1, 1, 1, 1), src: '192.168.7.9', dst: '10.1.2.3', id: 4242 })
        .tcp({ seq: 123456789, sport: 5001, dport: 40001 })
        .payload(777)
        .pad(1000)
        .build(),
      frame().vlan({ vid: 5, tpid: 0x88a8 }).vlan(6).tcp({ seq: 42, flags: 'FPA' }).payload(1).build(),
      hex(LITERAL.tcpPsh),
      hex(LITERAL.syn),
      frame().tcp({ seq: 7, checksum: 0x1234 }).payload(10).build(), // deliberately bad TCP checksum
      frame().ipv4({ checksum: 0x4321 }).tcp({ seq: 8 }).payload(10).build(), // deliberately bad IP checksum
    ];
    const dir = mkdtempSync(join(tmpdir(), 'vnic-wire-'));
    try {
      const file = join(dir, 'frames.pcap');
      writeFileSync(file, pcapBytes(frames));
      const rows = tshark(file, [
        'tcp.seq_raw',
        'tcp.len',
        'ip.checksum.status',
        'tcp.checksum.status',
        'vlan.id',
        'ieee8021ad.id',
      ]);
      expect(rows.map((r) => [r[0], r[1], r[4], r[5]])).toEqual([
        ['1000', '1448', '100', ''],
        ['4294967280', '0', '', ''],
        ['123456789', '777', '', ''],
        ['42', '1', '6', '5'],
        ['1000', '4', '', ''],
        ['16909060', '0', '', ''],
        ['7', '10', '', ''],
        ['8', '10', '', ''],
      ]);
      const good = rows[0]![2]!;
      expect(good).toBe('1'); // Good in this tshark (4.0)
      for (const r of rows.slice(0, 6)) expect([r[2], r[3]]).toEqual([good, good]);
      expect(rows[6]![3]).not.toBe(good);
      expect(rows[6]![2]).toBe(good);
      expect(rows[7]![2]).not.toBe(good);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('UDP and the tagged UDP literal', () => {
    const frames = [
      hex(LITERAL.udpVlan),
      frame().udp({ sport: 53, dport: 9999 }).payload(1001).build(),
      hex(LITERAL.arpReply),
    ];
    const dir = mkdtempSync(join(tmpdir(), 'vnic-wire-'));
    try {
      const file = join(dir, 'udp.pcap');
      writeFileSync(file, pcapBytes(frames));
      const rows = tshark(file, [
        'udp.srcport',
        'udp.length',
        'ip.checksum.status',
        'udp.checksum.status',
        'arp.opcode',
      ]);
      expect(rows).toEqual([
        ['1234', '13', '1', '1', ''],
        ['53', '1009', '1', '1', ''],
        ['', '', '', '', '2'],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('TCP and UDP checksums over IPv6 that wire/l4checksum.ts fills, extension headers skipped', () => {
    const chains: Ipv6ExtSpec[][] = [
      [],
      [{ kind: 'hopByHop' }],
      [
        { kind: 'hopByHop', length: 16 },
        { kind: 'destination', length: 24 },
      ],
      [{ kind: 'destination' }, { kind: 'fragment', id: 7 }], // an atomic fragment: offset 0, no M
    ];
    const frames: Uint8Array[] = [];
    chains.forEach((ext, i) => {
      // the builder's checksum is replaced by a wrong one, then l4checksum's goes in: tshark alone judges it
      frames.push(
        frame()
          .ipv6({ ext })
          .tcp({ seq: 1000 + i, checksum: 0xbad })
          .payload(100 + i)
          .build(),
      );
      frames.push(
        frame()
          .vlan(7)
          .ipv6({ ext })
          .udp({ checksum: 0xbad })
          .payload(51 + i)
          .build(),
      );
    });
    for (const f of frames) fillL4Checksum(f, f[12] === 0x81 ? 18 : 14);
    const flipped = frame().ipv6({ ext: chains[2]! }).tcp({ seq: 9 }).payload(20).build();
    flipped[flipped.length - 1]! ^= 1;
    expect(verifyL4Checksum(flipped, 14)).toBe(false);
    frames.push(flipped);
    const dir = mkdtempSync(join(tmpdir(), 'vnic-wire-'));
    try {
      const file = join(dir, 'ipv6.pcap');
      writeFileSync(file, pcapBytes(frames));
      const rows = tshark(file, ['tcp.len', 'udp.length', 'tcp.checksum.status', 'udp.checksum.status']);
      expect(rows).toEqual([
        ['100', '', '1', ''],
        ['', '59', '', '1'],
        ['101', '', '1', ''],
        ['', '60', '', '1'],
        ['102', '', '1', ''],
        ['', '61', '', '1'],
        ['103', '', '1', ''],
        ['', '62', '', '1'],
        ['20', '', '0', ''],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
