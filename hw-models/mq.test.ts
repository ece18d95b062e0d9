import { nicConformance } from '../test/hw-models.conformance.ts';
import { MqNic } from './mq.ts';

nicConformance('mq', () => new MqNic({ queues: 4, ringEntries: 64 }), [
  { reason: 'this instance runs without header split (the split instance below covers it)', cases: ['header-split'] },
]);
nicConformance('mq', () => new MqNic({ queues: 4, ringEntries: 64, headerSplit: true, bufferBytes: 4096 }));

import { describe, expect, it } from 'vitest';
import { reference } from '../test/support/reference-drivers.ts';
import { frame, parseIpv4, parseIpv6, layoutFrame, FrameLayout } from '../wire/index.ts';
import { DEFAULT_RSS_KEY, Toeplitz } from './rss.ts';
import { HDR_INFO, MQ_ERRORS, MQ_STATUS, PKT_INFO, RX_READ, RX_WB } from './mq.ts';

// Microsoft, "Verifying the RSS Hash Calculation" (IPv4 table, default key 6d5a56da…01fa); the same
// vectors are in the Intel 82599 datasheet §7.1.2.8.3 (RSS verification suite).
const MS_VECTORS: [dst: string, dport: number, src: string, sport: number, ipv4: number, ipv4Tcp: number][] = [
  ['161.142.100.80', 1766, '66.9.149.187', 2794, 0x323e8fc2, 0x51ccc178],
  ['65.69.140.83', 4739, '199.92.111.2', 14230, 0xd718262a, 0xc626b0ea],
  ['12.22.207.184', 38024, '24.19.198.95', 12898, 0xd2d0a5de, 0x5c2b394a],
  ['209.142.163.6', 2217, '38.27.205.30', 48228, 0x82989176, 0xafc7327f],
  ['202.188.127.2', 1303, '153.39.163.191', 44251, 0x5d1809c5, 0x10e828a2],
];

// The same page's IPv6 table (addresses from the fixed header, no extension headers).
const MS_VECTORS_V6: [dst: string, dport: number, src: string, sport: number, ipv6: number, ipv6Tcp: number][] = [
  ['3ffe:2501:200:3::1', 1766, '3ffe:2501:200:1fff::7', 2794, 0x2cc18cd5, 0x40207d3d],
  ['ff02::1', 4739, '3ffe:501:8::260:97ff:fe40:efab', 14230, 0x0f0c461c, 0xdde51bbf],
  ['fe80::200:f8ff:fe21:67cf', 38024, '3ffe:1900:4545:3:200:f8ff:fe21:67cf', 44251, 0x4b61e985, 0x02d1feef],
];

describe('mq specifics', () => {
  it('Toeplitz matches the Microsoft RSS verification vectors (IPv6 and IPv6/TCP), also through a frame with extension headers', () => {
    const t = new Toeplitz(DEFAULT_RSS_KEY);
    const L = new FrameLayout();
    for (const [dst, dport, src, sport, h2, h4] of MS_VECTORS_V6) {
      const b = new Uint8Array(32);
      b.set(parseIpv6(src), 0);
      b.set(parseIpv6(dst), 16);
      expect(t.hashIpv6(b, 0, 16, sport, dport, false) >>> 0).toBe(h2);
      expect(t.hashIpv6(b, 0, 16, sport, dport, true) >>> 0).toBe(h4);
      const f = frame()
        .ipv6({ src, dst, ext: [{ kind: 'hopByHop' }, { kind: 'destination' }] })
        .tcp({ sport, dport })
        .payload(10)
        .build();
      expect(t.hashFrame(f, layoutFrame(f, 0, f.length, L)) >>> 0).toBe(h4);
      const u = frame().ipv6({ src, dst }).udp({ sport, dport }).build();
      expect(t.hashFrame(u, layoutFrame(u, 0, u.length, L)) >>> 0).toBe(h2);
    }
  });

  it('Toeplitz matches the Microsoft RSS verification vectors (IPv4 and IPv4/TCP)', () => {
    const t = new Toeplitz(DEFAULT_RSS_KEY);
    for (const [dst, dport, src, sport, h2, h4] of MS_VECTORS) {
      expect(t.hashIpv4(parseIpv4(src), parseIpv4(dst), sport, dport, false) >>> 0).toBe(h2);
      expect(t.hashIpv4(parseIpv4(src), parseIpv4(dst), sport, dport, true) >>> 0).toBe(h4);
    }
  });

  it('the NIC writes the vector hash for real frames: TCP → 4-tuple, UDP → 2-tuple; queue = reta[hash & 127]', () => {
    const reta = Array.from({ length: 128 }, (_, i) => (i * 5) % 4);
    const nic = new MqNic({ queues: 4, ringEntries: 64, reta });
    reference(nic).fill();
    for (const [dst, dport, src, sport] of MS_VECTORS) {
      const t = frame().ipv4({ src, dst }).tcp({ sport, dport }).payload(10).build();
      const u = frame().ipv4({ src, dst }).udp({ sport, dport }).payload(10).build();
      nic.receiveFrame(t, t.length, 0);
      nic.receiveFrame(u, u.length, 0);
    }
    const got = reference(nic).reap();
    const byHash = new Map(got.map((c) => [c.rssHash, c]));
    for (const [, , , , h2, h4] of MS_VECTORS) {
      expect(byHash.get(h4)!.queue).toBe(reta[h4 & 127]);
      expect(byHash.get(h4)!.fields.pktInfo).toBe(PKT_INFO.IPV4 | PKT_INFO.TCP | PKT_INFO.RSS);
      expect(byHash.get(h2)!.queue).toBe(reta[h2 & 127]);
      expect(byHash.get(h2)!.fields.pktInfo).toBe(PKT_INFO.IPV4 | PKT_INFO.UDP | PKT_INFO.RSS);
    }
    const arp = frame().eth({ dst: 'ff:ff:ff:ff:ff:ff' }).arp({}).build();
    nic.receiveFrame(arp, arp.length, 0);
    const a = reference(nic).reap()[0]!;
    expect([a.queue, a.rssHash]).toEqual([0, -1]);
  });

  it('setRss changes key and table; bad ones are refused with the reason', () => {
    const nic = new MqNic({ queues: 2, ringEntries: 16 });
    expect(() => nic.setRss([1, 2, 3])).toThrow('mq: RSS key has 3 bytes; must have exactly 40');
    expect(() => nic.setRss(DEFAULT_RSS_KEY, new Array(128).fill(2))).toThrow(
      'mq: reta[0] = 2: must be a queue number from 0 to 1',
    );
    nic.setRss(DEFAULT_RSS_KEY, new Array(128).fill(1));
    reference(nic).fill();
    for (let s = 0; s < 10; s++) {
      const f = frame()
        .ipv4()
        .tcp({ sport: s + 1 })
        .build();
      nic.receiveFrame(f, f.length, 0);
    }
    expect(nic.counters(1).rx_packets).toBe(10);
    expect(() => new MqNic({ queues: 2, reta: new Array(128).fill(3) })).toThrow(
      'mq config: reta.0 = 3: must be a queue number from 0 to 1',
    );
    expect(() => new MqNic({ rssKey: [1] })).toThrow('mq config: rssKey = [1]: must have exactly 40 bytes');
  });

  it('write-back descriptor bytes are exact (little-endian), STATUS with DD written over the read format', () => {
    const nic = new MqNic({ queues: 1, ringEntries: 16 });
    const v = nic.dma.view,
      mem = nic.dma.bytes,
      rx = nic.ring(0, 'rx');
    const buf = nic.dma.alloc(2048);
    v.setUint32(rx.base + RX_READ.PKT_ADDR, buf, true);
    nic.doorbell(0, 'rx', 1);
    const f = frame()
      .vlan({ vid: 10, pcp: 1 })
      .ipv4({ src: '66.9.149.187', dst: '161.142.100.80' })
      .tcp({ sport: 2794, dport: 1766, checksum: 0xbad })
      .payload(100)
      .build();
    nic.receiveFrame(f, f.length, 0);
    expect(Array.from(mem.subarray(rx.base, rx.base + 16))).toEqual([
      0x78,
      0xc1,
      0xcc,
      0x51, // RSS_HASH 0x51ccc178
      0,
      0, // HDR_INFO: no split
      PKT_INFO.IPV4 | PKT_INFO.TCP | PKT_INFO.VLAN | PKT_INFO.RSS,
      0,
      MQ_STATUS.DD | MQ_STATUS.EOP | MQ_STATUS.VP | MQ_STATUS.L4CS | MQ_STATUS.IPCS,
      0,
      MQ_ERRORS.L4E,
      0,
      154,
      0, // LENGTH 158 - 4
      10,
      0x20, // VLAN TCI 0x200a
    ]);
    expect(RX_WB.STATUS).toBe(8);
  });

  it('header split: headers land in the header buffer, payload in the packet buffer, HDR_INFO says how much', () => {
    const nic = new MqNic({ queues: 1, ringEntries: 16, headerSplit: true, bufferBytes: 4096 });
    const v = nic.dma.view,
      mem = nic.dma.bytes,
      rx = nic.ring(0, 'rx');
    const pkt = nic.dma.alloc(4096),
      hdr = nic.dma.alloc(256);
    v.setUint32(rx.base + RX_READ.PKT_ADDR, pkt, true);
    v.setUint32(rx.base + RX_READ.HDR_ADDR, hdr, true);
    nic.doorbell(0, 'rx', 1);
    const f = frame()
      .ipv4()
      .tcp({ ts: [1, 2] })
      .payload(1000)
      .build(); // 14 + 20 + 32 header bytes
    nic.receiveFrame(f, f.length, 0);
    expect(v.getUint16(rx.base + RX_WB.HDR_INFO, true)).toBe(HDR_INFO.SPH | 66);
    expect(v.getUint16(rx.base + RX_WB.LENGTH, true)).toBe(1000);
    expect(Array.from(mem.subarray(hdr, hdr + 66))).toEqual(Array.from(f.subarray(0, 66)));
    expect(Array.from(mem.subarray(pkt, pkt + 1000))).toEqual(Array.from(f.subarray(66)));
    expect(nic.counters(0).rx_header_split).toBe(1);
  });

  it('moderation is per queue: one queue waits for its threshold while another fires at once', () => {
    const nic = new MqNic({ queues: 2, ringEntries: 16, reta: Array.from({ length: 128 }, (_, i) => i & 1) });
    reference(nic).fill();
    nic.setModeration(1, { packets: 3, delayNs: 0, absoluteNs: 0 });
    const fired = [0, 0];
    nic.onInterrupt(0, () => {
      fired[0]!++;
      nic.unmaskIrq(0);
    });
    nic.onInterrupt(1, () => {
      fired[1]!++;
      nic.unmaskIrq(1);
    });
    let sent = [0, 0];
    for (let s = 1; sent[0]! < 3 || sent[1]! < 3; s++) {
      const f = frame().ipv4().tcp({ sport: s }).build();
      const q = nic.rssHash(parseIpv4('10.0.0.1'), parseIpv4('10.0.0.2'), s, 5001, true) & 1;
      if (sent[q]! >= 3) continue;
      nic.receiveFrame(f, f.length, 0);
      sent = [...sent];
      sent[q]!++;
    }
    expect(fired).toEqual([3, 1]);
  });
});
