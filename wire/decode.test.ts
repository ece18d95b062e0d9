import { describe, it, expect } from 'vitest';
import { decodeFrame } from './decode.ts';
import { formatFrame } from './format.ts';
import { WireError } from './error.ts';
import { EthernetView, VlanView } from './ethernet.ts';
import { Ipv4View } from './ipv4.ts';
import { TcpView } from './tcp.ts';
import { UdpView } from './udp.ts';
import { ArpView } from './arp.ts';
import { ETH, IPV4, TCP, UDP } from './constants.ts';
import { frame } from './builder.ts';
import { hex, LITERAL } from '../test/support/wire.ts';

describe('decodeFrame on literal frames', () => {
  it('TCP with timestamps', () => {
    const d = decodeFrame(hex(LITERAL.tcpPsh));
    expect(d).toEqual({
      eth: { dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', type: 0x0800 },
      vlans: [],
      innerType: 0x0800,
      l3Offset: 14,
      ipv4: {
        version: 4,
        ihl: 5,
        tos: 0,
        totalLength: 56,
        id: 0x1234,
        df: true,
        mf: false,
        fragOffset: 0,
        ttl: 64,
        protocol: 6,
        checksum: 0x148a,
        src: '10.0.0.1',
        dst: '10.0.0.2',
        options: new Uint8Array(0),
      },
      l4Offset: 34,
      tcp: {
        sport: 40000,
        dport: 5001,
        seq: 1000,
        ack: 1,
        dataOffset: 8,
        flags: 0x18,
        window: 65535,
        checksum: 0xacf5,
        urgent: 0,
        options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', tsval: 1, tsecr: 2 }],
      },
      payloadOffset: 66,
      payloadLength: 4,
    });
  });

  it('tagged UDP', () => {
    const d = decodeFrame(hex(LITERAL.udpVlan));
    if (d instanceof WireError) throw d;
    expect(d.vlans).toEqual([{ tpid: 0x8100, vid: 100, pcp: 3, dei: false }]);
    expect(d.eth.type).toBe(0x8100);
    expect(d.innerType).toBe(0x0800);
    expect(d.l3Offset).toBe(18);
    expect(d.ipv4?.ttl).toBe(63);
    expect(d.ipv4?.df).toBe(false);
    expect(d.udp).toEqual({ sport: 1234, dport: 53, length: 13, checksum: 0xa2f8 });
    expect([d.payloadOffset, d.payloadLength]).toEqual([46, 5]);
  });

  it('SYN options', () => {
    const d = decodeFrame(hex(LITERAL.syn));
    if (d instanceof WireError) throw d;
    expect(d.tcp?.options).toEqual([
      { kind: 'mss', value: 1460 },
      { kind: 'sackPermitted' },
      { kind: 'timestamp', tsval: 5, tsecr: 0 },
      { kind: 'nop' },
      { kind: 'wscale', shift: 7 },
    ]);
    expect(d.tcp?.seq).toBe(0x01020304);
    expect(d.tcp?.flags).toBe(2);
    expect(d.payloadLength).toBe(0);
  });

  it('ARP reply (padding is not payload)', () => {
    const d = decodeFrame(hex(LITERAL.arpReply));
    if (d instanceof WireError) throw d;
    expect(d.arp).toEqual({
      htype: 1,
      ptype: 0x0800,
      op: 2,
      senderMac: '02:00:00:00:00:02',
      senderIp: '10.0.0.2',
      targetMac: '02:00:00:00:00:01',
      targetIp: '10.0.0.1',
    });
    expect([d.payloadOffset, d.payloadLength]).toEqual([42, 0]);
  });

  it('QinQ and stacked 0x8100 tags, Ethernet padding excluded, len honoured', () => {
    const f = frame()
      .vlan({ vid: 300, tpid: 0x88a8 })
      .vlan({ vid: 4095, pcp: 1, dei: true })
      .vlan(1)
      .udp()
      .payload(2)
      .pad(100)
      .build();
    const d = decodeFrame(f, 80);
    if (d instanceof WireError) throw d;
    expect(d.vlans).toEqual([
      { tpid: 0x88a8, vid: 300, pcp: 0, dei: false },
      { tpid: 0x8100, vid: 4095, pcp: 1, dei: true },
      { tpid: 0x8100, vid: 1, pcp: 0, dei: false },
    ]);
    expect(d.l3Offset).toBe(26);
    expect([d.payloadOffset, d.payloadLength]).toEqual([54, 2]);
  });

  it('unknown EtherType and non-first fragment: payload after the last known header', () => {
    const u = decodeFrame(frame().eth({ type: 0x88cc }).payload(46).build());
    if (u instanceof WireError) throw u;
    expect([u.l3Offset, u.payloadOffset, u.payloadLength, u.ipv4]).toEqual([14, 14, 46, undefined]);
    const g = decodeFrame(frame().ipv4({ fragOffset: 185, mf: true, protocol: 6 }).payload(100).build());
    if (g instanceof WireError) throw g;
    expect([g.ipv4?.fragOffset, g.ipv4?.mf, g.tcp, g.l4Offset, g.payloadOffset, g.payloadLength]).toEqual([
      185,
      true,
      undefined,
      34,
      34,
      100,
    ]);
  });
});

describe('checked constructors name the bad field', () => {
  function expectErr(r: unknown, layer: string, field: string, offset: number, text: string): void {
    expect(r).toBeInstanceOf(WireError);
    const e = r as WireError;
    expect([e.layer, e.field, e.offset]).toEqual([layer, field, offset]);
    expect(e.message).toContain(`${layer} ${field} at byte ${offset}`);
    expect(e.message).toContain(text);
  }
  const ok = frame()
    .tcp({ ts: [1, 2] })
    .payload(10)
    .build(); // l3 14, l4 34, options 54..66

  it('accepts good headers', () => {
    expect(EthernetView.checked(ok)).toBeInstanceOf(EthernetView);
    expect(Ipv4View.checked(ok, 14)).toBeInstanceOf(Ipv4View);
    expect(TcpView.checked(ok, 34)).toBeInstanceOf(TcpView);
    expect(UdpView.checked(frame().udp().build(), 34)).toBeInstanceOf(UdpView);
    expect(ArpView.checked(frame().arp().build(), 14)).toBeInstanceOf(ArpView);
    expect(VlanView.checked(frame().vlan(5).build())).toBeInstanceOf(VlanView);
  });

  it('ethernet / vlan truncated', () => {
    expectErr(EthernetView.checked(new Uint8Array(10)), 'ethernet', 'header', 0, 'truncated: 10 bytes, need 14');
    expectErr(decodeFrame(ok, 13), 'ethernet', 'header', 0, 'truncated');
    expectErr(decodeFrame(frame().vlan(5).build(), 16), 'vlan', 'header', 12, 'truncated');
    expectErr(VlanView.checked(ok), 'vlan', 'tpid', 12, '0x0800 is not 0x8100 or 0x88a8');
  });

  it('ipv4', () => {
    expectErr(Ipv4View.checked(ok, 14, 19), 'ipv4', 'header', 14, 'truncated: 19 bytes, need 20');
    expectErr(decodeFrame(frame().ipv4({ version: 6 }).build()), 'ipv4', 'version', 14, '6, must be 4');
    expectErr(decodeFrame(frame().ipv4({ ihl: 4 }).build()), 'ipv4', 'ihl', 14, '4 is below the minimum 5');
    expectErr(
      decodeFrame(frame().ipv4({ ihl: 15 }).payload(20).build()),
      'ipv4',
      'ihl',
      14,
      '15 (60 bytes) runs past the 40 bytes available',
    );
    expectErr(
      decodeFrame(frame().ipv4({ totalLength: 100 }).payload(20).build()),
      'ipv4',
      'totalLength',
      16,
      '100 is larger than the 40 bytes available',
    );
    expectErr(
      decodeFrame(frame().ipv4({ totalLength: 19 }).build()),
      'ipv4',
      'totalLength',
      16,
      '19 is smaller than the 20-byte header',
    );
    expectErr(
      decodeFrame(
        frame()
          .ipv4({ options: Uint8Array.of(7, 0, 0, 0) })
          .build(),
      ),
      'ipv4',
      'option 7 length',
      35,
      '0 is below the minimum 2',
    );
    expectErr(
      decodeFrame(
        frame()
          .ipv4({ options: Uint8Array.of(1, 1, 7, 9) })
          .build(),
      ),
      'ipv4',
      'option 7 length',
      37,
      '9 runs 7 bytes past the header',
    );
    expectErr(
      decodeFrame(
        frame()
          .ipv4({ options: Uint8Array.of(1, 1, 1, 68) })
          .build(),
      ),
      'ipv4',
      'option 68 length',
      38,
      'missing',
    );
  });

  it('tcp', () => {
    expectErr(TcpView.checked(ok, 34, 19), 'tcp', 'header', 34, 'truncated: 19 bytes, need 20');
    expectErr(decodeFrame(frame().tcp({ dataOffset: 4 }).build()), 'tcp', 'dataOffset', 46, '4 is below the minimum 5');
    expectErr(
      decodeFrame(frame().tcp({ dataOffset: 15 }).payload(20).build()),
      'tcp',
      'dataOffset',
      46,
      '15 (60 bytes) runs past the 40-byte segment',
    );
    // the IP total length bounds the segment, not the buffer
    expectErr(
      decodeFrame(frame().ipv4({ totalLength: 50 }).tcp({ dataOffset: 8 }).payload(20).build()),
      'tcp',
      'dataOffset',
      46,
      'runs past the 30-byte segment',
    );
    expectErr(
      decodeFrame(
        frame()
          .tcp({ options: Uint8Array.of(2, 0, 0, 0) })
          .build(),
      ),
      'tcp',
      'option 2 length',
      55,
      '0 is below the minimum 2',
    );
    expectErr(
      decodeFrame(
        frame()
          .tcp({ options: Uint8Array.of(1, 30, 1, 0) })
          .build(),
      ),
      'tcp',
      'option 30 length',
      56,
      'below the minimum 2',
    );
    expectErr(
      decodeFrame(
        frame()
          .tcp({ options: Uint8Array.of(1, 1, 99, 3) })
          .build(),
      ),
      'tcp',
      'option 99 length',
      57,
      '3 runs 1 bytes past the end of the options',
    );
    expectErr(
      decodeFrame(
        frame()
          .tcp({ options: Uint8Array.of(1, 1, 1, 99) })
          .build(),
      ),
      'tcp',
      'option 99 length',
      58,
      'missing',
    );
    expectErr(
      decodeFrame(
        frame()
          .tcp({ options: Uint8Array.of(2, 3, 5, 1) })
          .build(),
      ),
      'tcp',
      'option mss length',
      55,
      '3, must be 4',
    );
    expectErr(
      decodeFrame(
        frame()
          .tcp({ options: Uint8Array.of(3, 4, 7, 0) })
          .build(),
      ),
      'tcp',
      'option wscale length',
      55,
      '4, must be 3',
    );
    expectErr(
      decodeFrame(
        frame()
          .tcp({ options: Uint8Array.of(4, 4, 0, 0) })
          .build(),
      ),
      'tcp',
      'option sackPermitted length',
      55,
      '4, must be 2',
    );
    expectErr(
      decodeFrame(
        frame()
          .tcp({ options: Uint8Array.of(8, 8, 0, 0, 0, 0, 0, 0) })
          .build(),
      ),
      'tcp',
      'option timestamp length',
      55,
      '8, must be 10',
    );
    expectErr(
      decodeFrame(
        frame()
          .tcp({ options: Uint8Array.of(5, 6, 0, 0, 0, 0, 1, 1) })
          .build(),
      ),
      'tcp',
      'option sack length',
      55,
      '2 + 8 × blocks',
    );
  });

  it('udp and arp', () => {
    expectErr(UdpView.checked(new Uint8Array(7)), 'udp', 'header', 0, 'truncated: 7 bytes, need 8');
    expectErr(decodeFrame(frame().udp({ length: 7 }).build()), 'udp', 'length', 38, '7 is below the minimum 8');
    expectErr(
      decodeFrame(frame().udp({ length: 20 }).payload(2).build()),
      'udp',
      'length',
      38,
      '20 is larger than the 10 bytes available',
    );
    const arp = frame().arp().build();
    arp[18] = 8;
    expectErr(decodeFrame(arp), 'arp', 'hlen', 18, '8, only 6');
    arp[18] = 6;
    arp[19] = 16;
    expectErr(decodeFrame(arp), 'arp', 'plen', 19, '16, only 4');
    expectErr(decodeFrame(frame().arp().build(), 30), 'arp', 'header', 14, 'truncated: 16 bytes, need 28');
  });
});

describe('views read and write named fields', () => {
  it('Ipv4View / TcpView getters and setters', () => {
    const f = frame()
      .ipv4({ id: 5, tos: 3, ttl: 9 })
      .tcp({ seq: 0xfffffffe, ack: 0x80000000, flags: 'SAEW', window: 1000, urgent: 7 })
      .payload(3)
      .build();
    const ip = Ipv4View.checked(f, ETH.HLEN);
    if (ip instanceof WireError) throw ip;
    expect([
      ip.version,
      ip.ihl,
      ip.tos,
      ip.ecn,
      ip.totalLength,
      ip.id,
      ip.df,
      ip.mf,
      ip.fragOffset,
      ip.ttl,
      ip.protocol,
      ip.src,
      ip.dst,
      ip.verifyChecksum(),
    ]).toEqual([4, 5, 3, 3, 43, 5, true, false, 0, 9, 6, 0x0a000001, 0x0a000002, true]);
    ip.ttl = 8;
    ip.df = false;
    ip.mf = true;
    ip.fragOffset = 3;
    ip.src = 0xc0a80001;
    expect([
      f[ETH.HLEN + IPV4.TTL],
      f[ETH.HLEN + IPV4.FRAG],
      f[ETH.HLEN + IPV4.FRAG + 1],
      f[ETH.HLEN + IPV4.SRC],
    ]).toEqual([8, 0x20, 3, 0xc0]);
    expect(ip.verifyChecksum()).toBe(false);
    ip.fillChecksum();
    expect(ip.verifyChecksum()).toBe(true);
    const t = TcpView.checked(f, ip.payloadOffset, ip.payloadLength);
    if (t instanceof WireError) throw t;
    expect([
      t.sport,
      t.dport,
      t.seq,
      t.ack,
      t.dataOffset,
      t.flags,
      t.syn,
      t.ackFlag,
      t.ece,
      t.cwr,
      t.fin,
      t.window,
      t.urgent,
      t.payloadOffset,
    ]).toEqual([40000, 5001, 0xfffffffe, 0x80000000, 5, 0xd2, true, true, true, true, false, 1000, 7, 54]);
    t.seq = 1;
    t.flags = 0x11;
    t.dataOffset = 6;
    expect([f[34 + TCP.SEQ + 3], f[34 + TCP.FLAGS], f[34 + TCP.DOFF]]).toEqual([1, 0x11, 0x60]);
  });

  it('VlanView and UdpView setters', () => {
    const f = frame().vlan({ vid: 100, pcp: 2 }).udp().build();
    const v = VlanView.checked(f);
    if (v instanceof WireError) throw v;
    v.vid = 4000;
    v.pcp = 6;
    v.dei = true;
    expect([f[14], f[15], v.innerType]).toEqual([0xdf, 0xa0, 0x0800]);
    const u = UdpView.checked(f, 38);
    if (u instanceof WireError) throw u;
    u.length = 9;
    u.checksum = 0;
    expect([f[38 + UDP.LEN + 1], f[38 + UDP.CSUM]]).toEqual([9, 0]);
  });
});

describe('captures cut at a snap length', () => {
  it('decodes the headers of a snapped frame when told its wire length', () => {
    const full = frame()
      .vlan(7)
      .tcp({ seq: 5, ts: [1, 2] })
      .payload(1448)
      .build();
    const snap = full.slice(0, 128);
    const d = decodeFrame(snap, full.length);
    if (d instanceof WireError) throw d;
    expect([d.ipv4?.totalLength, d.tcp?.seq, d.payloadOffset, d.payloadLength]).toEqual([1500, 5, 70, 1448]);
    const e = decodeFrame(snap);
    expect(e instanceof WireError && e.message).toBe(
      'ipv4 totalLength at byte 20: 1500 is larger than the 110 bytes available',
    );
    const cut = decodeFrame(full.slice(0, 60), full.length);
    expect(cut instanceof WireError && cut.message).toBe(
      'tcp dataOffset at byte 50: 8 (32 bytes) runs past the 22 bytes captured',
    );
    expect(formatFrame(snap, full.length)).toBe(
      '02:00:00:00:00:01 > 02:00:00:00:00:02, vlan 7, 10.0.0.1.40000 > 10.0.0.2.5001: Flags [.], seq 5:1453, ack 0, win 65535, options [nop,nop,TS val 1 ecr 2], length 1448',
    );
  });
});
