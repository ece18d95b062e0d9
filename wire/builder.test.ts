import { describe, it, expect } from 'vitest';
import { frame, parseTcpFlags, ETHERTYPE_EXPERIMENTAL, IPPROTO_EXPERIMENTAL } from './builder.ts';
import { hex, toHex, refChecksum, pseudoHeader, LITERAL } from '../test/support/wire.ts';

function ipHeaderAt(f: Uint8Array, l3: number): Uint8Array {
  return f.subarray(l3, l3 + (f[l3]! & 0xf) * 4);
}
function u16(f: Uint8Array, o: number): number {
  return (f[o]! << 8) | f[o + 1]!;
}

describe('frame() builds byte-exact frames', () => {
  it('TCP with timestamps equals the hand-assembled literal', () => {
    const f = frame()
      .ipv4({ id: 0x1234 })
      .tcp({ seq: 1000, ack: 1, flags: 'PA', ts: [1, 2] })
      .payload(4)
      .build();
    expect(toHex(f)).toBe(toHex(hex(LITERAL.tcpPsh)));
  });

  it('tagged UDP equals the hand-assembled literal', () => {
    const f = frame()
      .vlan({ vid: 100, pcp: 3 })
      .ipv4({ id: 7, ttl: 63, df: false })
      .udp({ sport: 1234, dport: 53 })
      .payload(new TextEncoder().encode('hello'))
      .build();
    expect(toHex(f)).toBe(toHex(hex(LITERAL.udpVlan)));
  });

  it('SYN with every common option equals the hand-assembled literal', () => {
    const f = frame()
      .tcp({
        seq: 0x01020304,
        flags: 'S',
        window: 64240,
        options: [
          { kind: 'mss', value: 1460 },
          { kind: 'sackPermitted' },
          { kind: 'timestamp', tsval: 5, tsecr: 0 },
          { kind: 'nop' },
          { kind: 'wscale', shift: 7 },
        ],
      })
      .build();
    expect(toHex(f)).toBe(toHex(hex(LITERAL.syn)));
  });

  it('ARP reply padded to 60 equals the hand-assembled literal', () => {
    const f = frame()
      .eth({ src: '02:00:00:00:00:02', dst: '02:00:00:00:00:01' })
      .arp({ op: 2, senderIp: '10.0.0.2', targetMac: '02:00:00:00:00:01', targetIp: '10.0.0.1' })
      .pad(60)
      .build();
    expect(toHex(f)).toBe(toHex(hex(LITERAL.arpReply)));
  });
});

describe('frame() defaults and layout', () => {
  it('uses the documented defaults', () => {
    const f = frame().tcp().build();
    expect(f.length).toBe(54);
    expect(toHex(f.subarray(0, 14))).toBe('020000000002020000000001' + '0800');
    expect(toHex(f.subarray(14, 22))).toBe('4500002800004000'); // ihl 5, len 40, id 0, DF
    expect(f[22]).toBe(64);
    expect(f[23]).toBe(6);
    expect(toHex(f.subarray(26, 34))).toBe('0a0000010a000002');
    expect(toHex(f.subarray(34, 48))).toBe('9c401389' + '00000000' + '00000000' + '5010'); // 40000 → 5001, ack flag
    expect(u16(f, 48)).toBe(65535);
  });

  it('payload(n) is the (i & 0xff) pattern and pad() adds zeros after the packet', () => {
    const f = frame().udp().payload(300).pad(400).build();
    expect(f.length).toBe(400);
    expect(f[42]).toBe(0);
    expect(f[42 + 255]).toBe(255);
    expect(f[42 + 256]).toBe(0);
    expect(f[42 + 299]).toBe(43);
    expect(u16(f, 16)).toBe(20 + 8 + 300); // IP total length excludes the padding
    expect(Array.from(f.subarray(342)).every((b) => b === 0)).toBe(true);
    expect(frame().udp().pad(10).build().length).toBe(42); // pad never shortens
  });

  it('stacks VLAN tags outermost first, 0x8100 by default', () => {
    const f = frame().vlan({ vid: 10, tpid: 0x88a8, pcp: 7, dei: true }).vlan(20).ipv4().build();
    expect(toHex(f.subarray(12, 22))).toBe('88a8' + 'f00a' + '8100' + '0014' + '0800');
  });

  it('picks the EtherType and IP protocol automatically', () => {
    expect(u16(frame().payload(10).build(), 12)).toBe(ETHERTYPE_EXPERIMENTAL);
    expect(u16(frame().arp().build(), 12)).toBe(0x0806);
    expect(frame().ipv4().build()[23]).toBe(IPPROTO_EXPERIMENTAL);
    expect(frame().udp().build()[23]).toBe(17);
    expect(u16(frame().eth({ type: 0x88cc }).payload(4).build(), 12)).toBe(0x88cc);
    expect(u16(frame().vlan(5).eth({ type: 0x86dd }).build(), 16)).toBe(0x86dd); // type goes after the tags
  });

  it('parses flag letters like scapy/tcpdump', () => {
    expect(parseTcpFlags('SA')).toBe(0x12);
    expect(parseTcpFlags('FSRPAUEW')).toBe(0xff);
    expect(parseTcpFlags('P.')).toBe(0x18);
    expect(parseTcpFlags('')).toBe(0);
    expect(parseTcpFlags(0x1ff)).toBe(0xff);
    expect(() => parseTcpFlags('SX')).toThrow('unknown TCP flag letter "X" in "SX"');
    expect(frame().tcp({ flags: 'EW' }).build()[47]).toBe(0xc0);
  });

  it('raw option bytes are padded to 4 with zeros and ts follows them', () => {
    const f = frame()
      .tcp({ options: Uint8Array.of(3, 3, 7), ts: [9, 8] })
      .build();
    expect(f[46]! >>> 4).toBe(9); // 20 + 3 + 10 = 33 → 36 bytes
    expect(toHex(f.subarray(54, 70))).toBe('030307' + '0101080a' + '00000009' + '00000008' + '00');
    expect(f.length).toBe(70);
  });

  it('refuses nonsense combinations', () => {
    expect(() => frame().udp().tcp()).toThrow('tcp() cannot follow udp()');
    expect(() => frame().ipv4().arp()).toThrow('arp() cannot be combined');
  });
});

describe('frame() fills checksums (checked with an independent computation)', () => {
  const cases: [string, () => Uint8Array, number, number][] = [
    [
      'tcp',
      () =>
        frame()
          .vlan(3)
          .tcp({ seq: 0xfffffff0, ack: 77, flags: 'PA', ts: [123456, 654321] })
          .payload(1448)
          .build(),
      18,
      6,
    ],
    [
      'tcp odd payload + ip options',
      () =>
        frame()
          .ipv4({ options: Uint8Array.of(1, 1, 7, 3, 4), src: '192.168.200.9', dst: '172.16.5.250' })
          .tcp()
          .payload(33)
          .build(),
      14,
      6,
    ],
    ['udp', () => frame().udp({ sport: 9, dport: 7 }).payload(77).build(), 14, 17],
  ];
  for (const [name, build, l3, proto] of cases) {
    it(name, () => {
      const f = build();
      const ip = ipHeaderAt(f, l3);
      const ipCopy = ip.slice();
      ipCopy[10] = 0;
      ipCopy[11] = 0;
      expect(u16(f, l3 + 10)).toBe(refChecksum([ipCopy]));
      const l4 = f.slice(l3 + ip.length, l3 + u16(f, l3 + 2));
      const csumAt = proto === 6 ? 16 : 6;
      const stored = u16(l4, csumAt);
      l4[csumAt] = 0;
      l4[csumAt + 1] = 0;
      expect(stored).toBe(refChecksum([pseudoHeader(ip, proto, l4.length), l4]));
    });
  }

  it('honours overrides, so tests can craft bad frames', () => {
    const f = frame()
      .ipv4({ checksum: 0xbeef, ihl: 4, totalLength: 9, version: 6 })
      .tcp({ checksum: 0x1234, dataOffset: 3 })
      .build();
    expect(f[14]).toBe(0x64);
    expect(u16(f, 16)).toBe(9);
    expect(u16(f, 24)).toBe(0xbeef);
    expect(f[46]).toBe(0x30);
    expect(u16(f, 50)).toBe(0x1234);
    const u = frame().udp({ length: 3, checksum: 0 }).payload(5).build();
    expect(u16(u, 38)).toBe(3);
    expect(u16(u, 40)).toBe(0);
  });

  it('computes the IP checksum over the header as built even with a bad ihl', () => {
    const f = frame().ipv4({ ihl: 6 }).build();
    const ip = f.slice(14, 34);
    ip[10] = 0;
    ip[11] = 0;
    expect(u16(f, 24)).toBe(refChecksum([ip]));
  });
});
