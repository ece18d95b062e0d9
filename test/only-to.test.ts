// --only-to on every command that has it (replay, trace, kernel-check): an IPv4, IPv6 or MAC address, and a bad one
// is exit 2 naming the flag. The IPv6 capture is made here with the lab's builder: two IPv6 receivers and an IPv4
// one, so the filter has something to keep and something to leave out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { frame } from '../wire/builder.ts';
import { CaptureWriter } from '../tap/index.ts';
import { DestinationFilter, parseDestination } from '../traffic/destination-filter.ts';
import { vnic } from './support/cli.ts';

const SEGMENTS = 12,
  SIZE = 800;

function segment(dst: string, sport: number, i: number): Uint8Array {
  const payload = Uint8Array.from({ length: SIZE }, (_, j) => (i * SIZE + j + sport) * 3);
  const b = dst.includes(':') ? frame().ipv6({ src: '2001:db8::1', dst }) : frame().ipv4({ src: '10.0.0.1', dst });
  return b
    .tcp({ sport, dport: 5001, seq: 1000 + i * SIZE, ack: 1, flags: 'A', ts: [5, 6] })
    .payload(payload)
    .build();
}

describe('DestinationFilter', () => {
  it('reads the three address forms, and names what it accepts', () => {
    expect(parseDestination('10.77.0.2')).toEqual({ kind: 'ipv4', address: 0x0a4d0002 });
    expect(parseDestination('2001:db8::2').kind).toBe('ipv6');
    expect(parseDestination('02:00:00:00:00:01').kind).toBe('mac');
    expect(parseDestination('02-00-00-00-00-01').kind).toBe('mac');
    expect(() => parseDestination('2001:db8::2::1')).toThrow(/IPv4 address like 10\.77\.0\.2, an IPv6 address like/);
    expect(() => parseDestination('10.0.0')).toThrow(/not an address to filter on: "10\.0\.0"/);
  });

  it('keeps frames by IPv6 destination, tagged or not, and never an IPv4 frame or one to another address', () => {
    const f = new DestinationFilter('2001:db8::2');
    const to2 = segment('2001:db8::2', 40000, 0);
    const tagged = frame().vlan(7).ipv6({ dst: '2001:db8::2' }).udp().payload(4).build();
    expect(f.accepts(to2, to2.length)).toBe(true);
    expect(f.accepts(tagged, tagged.length)).toBe(true);
    expect(f.accepts(to2, 14 + 39)).toBe(false); // the IPv6 header cut short
    for (const other of [segment('2001:db8::3', 40000, 0), segment('10.0.0.2', 40000, 0)])
      expect(f.accepts(other, other.length)).toBe(false);
    const v4 = new DestinationFilter('10.0.0.2');
    expect(v4.accepts(to2, to2.length)).toBe(false);
  });
});

describe('--only-to with an IPv6 capture made with the lab’s builder', () => {
  let dir = '';
  let file = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vnic-only-to-'));
    file = join(dir, 'ipv6.pcap');
    const w = CaptureWriter.open(file, { format: 'pcap', nanosecond: true });
    let t = 0;
    for (let i = 0; i < SEGMENTS; i++)
      for (const [dst, sport] of [
        ['2001:db8::2', 40000],
        ['2001:db8::3', 40001],
        ['10.0.0.2', 40002],
      ] as const) {
        w.write({ tsSec: 1, tsNsec: t, data: segment(dst, sport, i) });
        t += 2_000;
      }
    w.close();
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('vnic replay --only-to 2001:db8::2 keeps that receiver’s flow whole and counts the rest as filtered out', async () => {
    const r = await vnic(['replay', file, '--only-to', '2001:db8::2', '--model', 'mq', '--json']);
    expect([r.code, r.stderr.replace(/^vnic: MTU .*\n/, '')]).toEqual([0, '']);
    const report = JSON.parse(r.stdout) as {
      framesIn: number;
      allStreamsOk: boolean;
      bytesVerified: number;
      flows: Record<string, unknown>;
      counters: Record<string, Record<string, number>>;
    };
    expect(Object.keys(report.flows)).toEqual(['[2001:db8::1]:40000>[2001:db8::2]:5001']);
    expect([report.framesIn, report.allStreamsOk, report.bytesVerified]).toEqual([SEGMENTS, true, SEGMENTS * SIZE]);
    expect(report.counters['replay']?.['filteredOut']).toBe(2 * SEGMENTS);
  });

  it('vnic trace takes it too', async () => {
    const r = await vnic(['trace', file, '--only-to', '2001:db8::3', '--model', 'mq', '--packets', '2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('2001:db8::3');
    expect(r.stdout).not.toContain('2001:db8::2.');
  });

  it('a bad address is exit 2 naming the flag, on replay, trace and kernel-check alike', async () => {
    const want =
      "vnic: --only-to takes an IPv4 address like 10.77.0.2, an IPv6 address like 2001:db8::2 or a MAC like 02:00:00:00:00:01, not '2001:db8::2::1'";
    for (const args of [
      ['replay', file],
      ['trace', file],
      ['kernel-check', file],
    ]) {
      const r = await vnic([...args, '--only-to', '2001:db8::2::1']);
      expect([args[0], r.code, r.stderr.trim()]).toEqual([args[0], 2, want]);
    }
  });

  it('every command with --only-to says in its help that it takes IPv6', async () => {
    for (const cmd of ['replay', 'trace', 'kernel-check']) {
      const h = await vnic([cmd, '--help']);
      expect(h.stdout.replace(/\s+/g, ' ')).toContain('IPv4, IPv6 or MAC address');
    }
  });
});
