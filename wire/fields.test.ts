import { describe, expect, it } from 'vitest';
import {
  etherTypeAt,
  fillIpv4HeaderChecksum,
  ipVersionAt,
  ipv4DontFragment,
  ipv4HeaderLength,
  tcpHeaderLength,
} from './fields.ts';
import { frame } from './builder.ts';
import { decodeFrame } from './decode.ts';
import { WireError } from './error.ts';
import { checksum } from './checksum.ts';

describe('one-field accessors', () => {
  it('read what the checked decoder reads', () => {
    const f = frame()
      .vlan(9)
      .ipv4({ options: Uint8Array.of(1, 1, 1, 1, 1, 1, 1, 1), df: true })
      .tcp({ ts: [1, 2] })
      .payload(3)
      .build();
    const d = decodeFrame(f);
    if (d instanceof WireError) throw d;
    expect(etherTypeAt(f, 0)).toBe(0x8100);
    expect(ipVersionAt(f, 18)).toBe(4);
    expect(ipv4HeaderLength(f, 18)).toBe(d.ipv4!.ihl * 4);
    expect(ipv4HeaderLength(f, 18)).toBe(28);
    expect(ipv4DontFragment(f, 18)).toBe(true);
    expect(ipv4DontFragment(frame().ipv4({ df: false }).build(), 14)).toBe(false);
    expect(tcpHeaderLength(f, 18 + 28)).toBe(32);
    expect(tcpHeaderLength(f, 18 + 28)).toBe(d.tcp!.dataOffset * 4);
    expect(ipv4DontFragment(f, 18)).toBe(d.ipv4!.df);
    expect(ipVersionAt(frame().ipv6().tcp().build(), 14)).toBe(6);
  });

  it('fillIpv4HeaderChecksum makes the header verify over its options', () => {
    const good = frame()
      .ipv4({ options: Uint8Array.of(1, 1, 1, 1) })
      .udp()
      .build();
    const f = good.slice();
    f[14 + 8] = 17; // TTL changed, checksum now wrong
    expect(checksum(f, 14, 24)).not.toBe(0);
    fillIpv4HeaderChecksum(f, 14);
    expect(checksum(f, 14, 24)).toBe(0);
    f[14 + 8] = good[14 + 8]!;
    fillIpv4HeaderChecksum(f, 14);
    expect(f).toEqual(good);
  });
});
