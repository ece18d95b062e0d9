// Helpers shared by the tap tests: sample frames built with wire's frame(), tshark as a judge,
// and a plain-DataView TCP field extractor (independent of wire's decoder on purpose).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { frame } from '../../wire/index.ts';
import type { CaptureRecord } from '../../tap/reader.ts';

export interface SampleRecord {
  tsSec: number;
  tsNsec: number;
  data: Uint8Array;
  interfaceId: number;
  comment?: string;
}

/** A few real-shaped frames: handshake, MSS segments, a 64 KiB aggregate, an ARP, a padded ACK. */
export function sampleFrames(): Uint8Array[] {
  const base = { src: '10.77.0.1', dst: '10.77.0.2' };
  return [
    frame().arp({ senderIp: '10.77.0.1', targetIp: '10.77.0.2' }).pad(60).build(),
    frame()
      .ipv4(base)
      .tcp({ sport: 40000, dport: 5001, seq: 2313147363, flags: 'S', ts: [1, 0] })
      .build(),
    frame()
      .ipv4({ src: base.dst, dst: base.src })
      .tcp({ sport: 5001, dport: 40000, seq: 4263193684, ack: 2313147364, flags: 'SA', ts: [2, 1] })
      .build(),
    frame().ipv4(base).tcp({ sport: 40000, dport: 5001, seq: 2313147364, ack: 4263193685, flags: 'A' }).pad(60).build(),
    frame()
      .ipv4(base)
      .tcp({ sport: 40000, dport: 5001, seq: 2313147364, ack: 4263193685, flags: 'PA', ts: [3, 2] })
      .payload(1448)
      .build(),
    frame()
      .ipv4(base)
      .tcp({ sport: 40000, dport: 5001, seq: 2313148812, ack: 4263193685, flags: 'PA', ts: [3, 2] })
      .payload(65160)
      .build(),
    frame()
      .ipv4(base)
      .tcp({ sport: 40000, dport: 5001, seq: 2313213972, ack: 4263193685, flags: 'FA', ts: [4, 2] })
      .payload(7)
      .build(),
  ];
}

/** Records over the sample frames, spread over `interfaces` interfaces, with nanosecond timestamps. */
export function sampleRecords(interfaces = 1, withComments = false): SampleRecord[] {
  return sampleFrames().map((data, i) => {
    const r: SampleRecord = { tsSec: 1795627080 + i, tsNsec: 614666308 + i * 1001, data, interfaceId: i % interfaces };
    if (withComments && i % 2 === 0) r.comment = `frame ${i}: ünïcode ✓`;
    return r;
  });
}

/** Byte-for-byte equality (vitest's deep equality is slow on 64 KiB arrays). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Copies a record out of the reader (its data view is only valid until the next record). */
export function copyRecord(r: CaptureRecord): CaptureRecord {
  return { ...r, data: r.data.slice() };
}

export function tmpDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'vnic-tap-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `tshark -r file -T fields` (with `options`, e.g. `-o tcp.check_checksum:TRUE`) and returns one array of field strings per frame. */
export function tsharkFields(file: string, fields: string[], options: readonly string[] = []): string[][] {
  const args = ['-r', file, ...options, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=f'];
  for (const f of fields) args.push('-e', f);
  const out = execFileSync('tshark', args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 64 << 20,
  });
  return out
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('\t'));
}

let commentField: string | undefined;
/** The field name of packet comments in this tshark: 'frame.comment' (3.6+) or 'pkt_comment'. */
export function tsharkCommentField(): string {
  if (commentField === undefined) {
    const fields = execFileSync('tshark', ['-G', 'fields'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 256 << 20,
    });
    commentField = /^F\t[^\t]*\tframe\.comment\t/m.test(fields) ? 'frame.comment' : 'pkt_comment';
  }
  return commentField;
}

export interface TcpFields {
  seq: number;
  ack: number;
  flags: number;
  payloadLength: number;
}

/** TCP fields of an Ethernet/IPv4/TCP frame (no VLAN), read with fixed DataView offsets; undefined otherwise. */
export function tcpFields(data: Uint8Array): TcpFields | undefined {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length < 14 + 20 || dv.getUint16(12) !== 0x0800) return undefined;
  const ihl = (data[14]! & 0x0f) * 4;
  if (data[14 + 9] !== 6) return undefined;
  const totalLength = dv.getUint16(14 + 2);
  const l4 = 14 + ihl;
  if (data.length < l4 + 20) return undefined;
  const doff = (data[l4 + 12]! >> 4) * 4;
  return {
    seq: dv.getUint32(l4 + 4),
    ack: dv.getUint32(l4 + 8),
    flags: dv.getUint16(l4 + 12) & 0x0fff,
    payloadLength: totalLength - ihl - doff,
  };
}

// ---- hand-built pcap/pcapng pieces ----------------------------------------------------------

/** Little helper to build binary files field by field. */
export class Bytes {
  private readonly out: number[] = [];
  constructor(private readonly le: boolean) {}
  u8(...v: number[]): this {
    this.out.push(...v.map((x) => x & 0xff));
    return this;
  }
  u16(v: number): this {
    return this.le ? this.u8(v, v >> 8) : this.u8(v >> 8, v);
  }
  u32(v: number): this {
    return this.le ? this.u8(v, v >>> 8, v >>> 16, v >>> 24) : this.u8(v >>> 24, v >>> 16, v >>> 8, v);
  }
  bytes(b: Uint8Array | number[]): this {
    for (const x of b) this.out.push(x);
    return this;
  }
  get length(): number {
    return this.out.length;
  }
  build(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

/** A pcapng block: type, total length, body (padded by the caller), trailing total length. */
export function block(le: boolean, type: number, body: Uint8Array): Uint8Array {
  const total = 12 + body.length;
  return new Bytes(le).u32(type).u32(total).bytes(body).u32(total).build();
}

export function option(le: boolean, code: number, value: Uint8Array | number[]): Uint8Array {
  const v = Uint8Array.from(value);
  const b = new Bytes(le).u16(code).u16(v.length).bytes(v);
  while (b.length % 4 !== 0) b.u8(0);
  return b.build();
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function shb(le: boolean, options: Uint8Array = new Uint8Array(0)): Uint8Array {
  const body = new Bytes(le).u32(0x1a2b3c4d).u16(1).u16(0).u32(0xffffffff).u32(0xffffffff).bytes(options).build();
  return block(le, 0x0a0d0d0a, body);
}

export function idb(le: boolean, linktype: number, snaplen: number, ...options: Uint8Array[]): Uint8Array {
  const opts = options.length === 0 ? [] : [...options, option(le, 0, [])];
  return block(le, 1, concat(new Bytes(le).u16(linktype).u16(0).u32(snaplen).build(), ...opts));
}

export function epb(
  le: boolean,
  iface: number,
  hi: number,
  lo: number,
  data: Uint8Array,
  origLen = data.length,
  ...options: Uint8Array[]
): Uint8Array {
  const padded = new Uint8Array((data.length + 3) & ~3);
  padded.set(data);
  const opts = options.length === 0 ? [] : [...options, option(le, 0, [])];
  return block(
    le,
    6,
    concat(new Bytes(le).u32(iface).u32(hi).u32(lo).u32(data.length).u32(origLen).build(), padded, ...opts),
  );
}

export function spb(le: boolean, origLen: number, data: Uint8Array): Uint8Array {
  const padded = new Uint8Array((data.length + 3) & ~3);
  padded.set(data);
  return block(le, 3, concat(new Bytes(le).u32(origLen).build(), padded));
}
