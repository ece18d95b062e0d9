// GroEngine: one test per rule of spec/gro.md and inet_lro.md §5.
import { describe, expect, it } from 'vitest';
import { GroEngine, groBucket, GRO_HASH_BUCKETS } from './gro.ts';
import { seg, skbOf, RecordingSink, field16, field32, ipChecksumOk } from '../test/support/lro.ts';
import {
  CHECKSUM_COMPLETE,
  CHECKSUM_NONE,
  CHECKSUM_PARTIAL,
  CHECKSUM_UNNECESSARY,
  SKB_GSO_TCPV4,
  SKB_GSO_TCP_FIXEDID,
} from '../stack/skb.ts';
import { sumBytes, fold } from '../wire/index.ts';
import { TraceLog } from '../observe/trace.ts';
import { frame } from '../wire/builder.ts';

const MSS = 1448;
const S0 = 5000;
const at = (i: number) => S0 + i * MSS;

function gro() {
  const sink = new RecordingSink();
  return { g: new GroEngine({ sink }), sink };
}
const frames = (sink: RecordingSink) => sink.got.map((d) => d.skb.wireFrames);

describe('GRO (spec/gro.md)', () => {
  it('bulk 1448-byte segments: 45-segment 65212-byte GSO packet, CHECKSUM_PARTIAL with the pseudo-header sum', () => {
    const { g, sink } = gro();
    for (let i = 0; i < 46; i++) g.groReceive(skbOf(seg({ seq: at(i), id: 100 + i })));
    expect(frames(sink)).toEqual([45]);
    expect(g.stats.flush_64k).toBe(1);
    const d = sink.got[0]!;
    expect(field16(d.bytes, 2)).toBe(65212);
    expect(ipChecksumOk(d.bytes)).toBe(true);
    expect([d.skb.gsoSize, d.skb.gsoSegs, d.skb.gsoType, d.skb.ipSummed]).toEqual([
      MSS,
      45,
      SKB_GSO_TCPV4,
      CHECKSUM_PARTIAL,
    ]);
    expect(field16(d.bytes, 36)).toBe(fold(sumBytes(d.bytes, 12, 8) + 6 + 65212 - 20));
    expect(field16(d.bytes, 4)).toBe(100);
    g.flush();
    expect(frames(sink)).toEqual([45, 1]);
    expect(g.stats.flush_napi).toBe(1);
  });

  it('a single segment passes through unchanged', () => {
    const { g, sink } = gro();
    const fr = seg({ seq: at(0) });
    g.groReceive(skbOf(fr));
    g.flush();
    expect(sink.got[0]!.bytes).toEqual(fr.subarray(14));
    expect(sink.got[0]!.skb.gsoSize).toBe(0);
  });

  it('ack must be equal: a new ack flushes and starts a new packet', () => {
    const { g, sink } = gro();
    g.groReceive(skbOf(seg({ seq: at(0), id: 1, ack: 1 })));
    g.groReceive(skbOf(seg({ seq: at(1), id: 2, ack: 2 })));
    g.flush();
    expect(frames(sink)).toEqual([1, 1]);
    expect(g.stats.flush_ack).toBe(1);
    expect(g.stats.held).toBe(2);
  });

  it('window change (doff/flags/window word) flushes', () => {
    const { g } = gro();
    g.groReceive(skbOf(seg({ seq: at(0), id: 1, window: 1 })));
    g.groReceive(skbOf(seg({ seq: at(1), id: 2, window: 2 })));
    expect(g.stats.flush_tcp_word).toBe(1);
  });

  it('options must be byte-identical: a new TSval flushes', () => {
    const { g } = gro();
    g.groReceive(skbOf(seg({ seq: at(0), id: 1, ts: [1, 1] })));
    g.groReceive(skbOf(seg({ seq: at(1), id: 2, ts: [2, 1] })));
    expect(g.stats.flush_options).toBe(1);
  });

  it('TTL, TOS (ECN included) and DF must be equal', () => {
    const { g } = gro();
    g.groReceive(skbOf(seg({ seq: at(0), id: 1 })));
    g.groReceive(skbOf(seg({ seq: at(1), id: 2, ttl: 63 })));
    g.groReceive(skbOf(seg({ seq: at(2), id: 3, tos: 1 })));
    g.groReceive(skbOf(seg({ seq: at(3), id: 4, df: false })));
    expect(g.stats.flush_ip_header).toBe(3);
  });

  it('IP ID increments by one, or stays fixed (DF) — decided at the second packet', () => {
    const { g, sink } = gro();
    for (let i = 0; i < 3; i++) g.groReceive(skbOf(seg({ seq: at(i), id: 7 })));
    g.flush();
    expect(frames(sink)).toEqual([3]);
    expect(sink.got[0]!.skb.gsoType).toBe(SKB_GSO_TCPV4 | SKB_GSO_TCP_FIXEDID);
    g.groReceive(skbOf(seg({ seq: at(3), id: 7 })));
    g.groReceive(skbOf(seg({ seq: at(4), id: 8 })));
    g.groReceive(skbOf(seg({ seq: at(5), id: 8 })));
    g.groReceive(skbOf(seg({ seq: at(6), id: 10 })));
    g.flush();
    expect(frames(sink)).toEqual([3, 2, 1, 1]);
    expect(g.stats.flush_ip_id).toBe(2);
  });

  it('segment size: a larger segment is not merged; a smaller one is merged as the last', () => {
    const { g, sink } = gro();
    g.groReceive(skbOf(seg({ seq: S0, id: 1, payload: 1000 })));
    g.groReceive(skbOf(seg({ seq: S0 + 1000, id: 2, payload: 1448 })));
    expect(g.stats.flush_larger).toBe(1);
    g.groReceive(skbOf(seg({ seq: S0 + 2448, id: 3, payload: 500 })));
    expect(g.stats.flush_short).toBe(1);
    expect(frames(sink)).toEqual([1, 2]);
    expect(sink.got[1]!.skb.gsoSize).toBe(1448);
  });

  it('PSH is merged into the flags, then the packet is flushed', () => {
    const { g, sink } = gro();
    g.groReceive(skbOf(seg({ seq: at(0), id: 1 })));
    g.groReceive(skbOf(seg({ seq: at(1), id: 2, flags: 'AP' })));
    expect(frames(sink)).toEqual([2]);
    expect(sink.got[0]!.bytes[33]).toBe(0x18);
    expect(g.stats.flush_psh).toBe(1);
  });

  it('FIN is merged, then the packet is flushed', () => {
    const { g, sink } = gro();
    g.groReceive(skbOf(seg({ seq: at(0), id: 1 })));
    g.groReceive(skbOf(seg({ seq: at(1), id: 2, flags: 'AF' })));
    expect(sink.got[0]!.bytes[33]).toBe(0x11);
    expect(g.stats.flush_fin).toBe(1);
  });

  for (const f of ['AU', 'AR', 'AS']) {
    it(`URG/RST/SYN (${f}) flush the held packet and go up alone`, () => {
      const { g, sink } = gro();
      g.groReceive(skbOf(seg({ seq: at(0), id: 1 })));
      g.groReceive(skbOf(seg({ seq: at(1), id: 2, flags: f })));
      expect(frames(sink)).toEqual([1, 1]);
      expect([g.stats.flush_tcp_word, g.stats.pass_flags]).toEqual([1, 1]);
    });
  }

  it('CWR flushes and is not merged (goes up alone)', () => {
    const { g, sink } = gro();
    g.groReceive(skbOf(seg({ seq: at(0), id: 1 })));
    g.groReceive(skbOf(seg({ seq: at(1), id: 2, flags: 'AW' })));
    expect(frames(sink)).toEqual([1, 1]);
    expect([g.stats.flush_cwr, g.stats.pass_cwr]).toEqual([1, 1]);
  });

  it('sequence gap flushes; the segment starts a new packet', () => {
    const { g } = gro();
    g.groReceive(skbOf(seg({ seq: at(0), id: 1 })));
    g.groReceive(skbOf(seg({ seq: at(2), id: 2 })));
    expect([g.stats.flush_seq, g.heldPackets]).toEqual([1, 1]);
  });

  it('a pure ACK flushes the held packet and goes up alone', () => {
    const { g, sink } = gro();
    g.groReceive(skbOf(seg({ seq: at(0), id: 1 })));
    g.groReceive(skbOf(seg({ seq: at(1), id: 2, payload: 0 })));
    expect(frames(sink)).toEqual([1, 1]);
    expect([g.stats.flush_no_payload, g.stats.pass_no_payload]).toEqual([1, 1]);
  });

  it('L2 identity: a different source MAC or VLAN tag is a different flow', () => {
    const { g } = gro();
    g.groReceive(skbOf(seg({ seq: at(0), id: 1 })));
    g.groReceive(skbOf(seg({ seq: at(1), id: 2, srcMac: '02:00:00:00:00:09' })));
    const v = skbOf(seg({ seq: at(1), id: 2 }));
    v.vlanPresent = true;
    v.vlanTci = 5;
    g.groReceive(v);
    expect(g.heldPackets).toBe(3);
  });

  it('checksums: trusted (UNNECESSARY), validated (COMPLETE) or computed (NONE); a bad one goes up alone, ahead of the held packet', () => {
    const { g, sink } = gro();
    const a = skbOf(seg({ seq: at(0), id: 1 }));
    const b = skbOf(seg({ seq: at(1), id: 2 }));
    b.ipSummed = CHECKSUM_COMPLETE;
    b.csum = fold(sumBytes(b.buf, b.data, b.len));
    const c = skbOf(seg({ seq: at(2), id: 3 }));
    c.ipSummed = CHECKSUM_NONE;
    g.groReceive(a);
    g.groReceive(b);
    g.groReceive(c);
    const bad = skbOf(seg({ seq: at(3), id: 4, tcpChecksum: 0x1234 }));
    bad.ipSummed = CHECKSUM_NONE;
    g.groReceive(bad);
    expect([frames(sink), g.heldPackets]).toEqual([[1], 1]);
    expect([g.stats.csum_trusted, g.stats.csum_complete, g.stats.csum_software, g.stats.not_eligible_bad_csum]).toEqual(
      [1, 1, 2, 1],
    );
    expect(sink.got[0]!.skb.ipSummed).toBe(CHECKSUM_NONE);
    const e = skbOf(seg({ seq: at(9), id: 1 }));
    e.ipSummed = CHECKSUM_COMPLETE;
    e.csum = 0x4321;
    g.groReceive(e);
    expect(g.stats.not_eligible_bad_csum).toBe(2);
    expect(c.ipSummed).toBe(CHECKSUM_UNNECESSARY);
  });

  it('not eligible: not IP (ARP), IP options, fragments, padding', () => {
    const { g } = gro();
    g.groReceive(skbOf(frame().arp().build()));
    g.groReceive(skbOf(seg({ ipOptions: new Uint8Array([1, 1, 1, 0]) })));
    g.groReceive(skbOf(seg({ payload: 2, ts: null, pad: 60 })));
    const fr = skbOf(seg());
    fr.buf[fr.data + 6] = 0x20; // MF
    g.groReceive(fr);
    const s = g.stats;
    expect([s.not_eligible_not_ip, s.not_eligible_ihl, s.not_eligible_length, s.not_eligible_fragment]).toEqual([
      1, 1, 1, 1,
    ]);
  });

  it('in-band 802.1Q: tagged segments merge under the same tag (vlan_gro_receive); another tag is another flow', () => {
    const { g, sink } = gro();
    g.groReceive(skbOf(seg({ seq: at(0), id: 1, vlan: 3 })));
    g.groReceive(skbOf(seg({ seq: at(1), id: 2, vlan: 3 })));
    g.groReceive(skbOf(seg({ seq: at(2), id: 3, vlan: 4 })));
    g.flush();
    expect(frames(sink)).toEqual([2, 1]);
    const d = sink.got[0]!;
    expect(field16(d.bytes, 4 + 2)).toBe(2 * (20 + 32 + MSS) - 20 - 32); // the IP total length behind the tag
    expect([g.stats.merged, g.stats.held, g.stats.not_eligible_not_ip]).toEqual([1, 2, 0]);
  });

  it('IP ID (Linux 6.18): a fixed ID merges with DF clear too; a flow that began incrementing must go on incrementing', () => {
    const { g, sink } = gro();
    [7, 7, 7].forEach((id, i) => g.groReceive(skbOf(seg({ seq: at(i), id, df: false }))));
    g.flush();
    expect(frames(sink)).toEqual([3]);
    const h = gro();
    [
      [20, 0],
      [21, 1],
      [21, 2],
    ].forEach(([id, i]) => h.g.groReceive(skbOf(seg({ seq: at(i!), id: id! }))));
    h.g.flush();
    expect([frames(h.sink), h.g.stats.flush_ip_id]).toEqual([[2, 1], 1]);
  });

  it('a segment of a held flow that cannot take part (IP options) overtakes the held packet, which stays held (as Linux 6.18 does)', () => {
    const { g, sink } = gro();
    g.groReceive(skbOf(seg({ seq: at(0), id: 1 })));
    g.groReceive(skbOf(seg({ seq: at(1), id: 2, ipOptions: new Uint8Array([1, 1, 1, 0]) })));
    expect(frames(sink)).toEqual([1]);
    expect(field16(sink.got[0]!.bytes, 2)).toBe(24 + 32 + MSS);
    expect([g.stats.not_eligible_ihl, g.heldPackets]).toEqual([1, 1]);
  });

  it('a full bucket (8 flows) flushes its oldest flow to make room', () => {
    const { g, sink } = gro();
    const sports: number[] = [];
    const want = groBucket(0x0a000001, 0x0a000002, (1000 << 16) | 5001);
    for (let p = 1000; sports.length < 9; p++)
      if (groBucket(0x0a000001, 0x0a000002, ((p << 16) | 5001) >>> 0) === want) sports.push(p);
    for (const sp of sports) g.groReceive(skbOf(seg({ sport: sp })));
    expect(g.stats.evicted).toBe(1);
    expect(field16(sink.got[0]!.bytes, 20)).toBe(sports[0]);
    expect(g.heldPackets).toBe(8);
    expect(GRO_HASH_BUCKETS).toBe(8);
  });

  it('flush(olderThanNs) completes only the old held packets (flush-old)', () => {
    const { g, sink } = gro();
    g.groReceive(skbOf(seg({ sport: 1 }), undefined, 100));
    g.groReceive(skbOf(seg({ sport: 2 }), undefined, 900));
    g.flush(500);
    expect(sink.got.map((d) => field16(d.bytes, 20))).toEqual([1]);
    expect(g.stats.flush_old).toBe(1);
  });

  it('hw-accel VLAN aggregates go up the VLAN path with their tag', () => {
    const { g, sink } = gro();
    for (let i = 0; i < 2; i++) {
      const s = skbOf(seg({ seq: at(i), id: i }));
      s.vlanPresent = true;
      s.vlanTci = 77;
      g.groReceive(s);
    }
    g.flush();
    expect(sink.got.map((d) => [d.path, d.tag, d.skb.wireFrames])).toEqual([['vlanHwaccelReceiveSkb', 77, 2]]);
  });

  it('counters add up and decisions are traced', () => {
    const log = new TraceLog();
    const sink = new RecordingSink();
    const g = new GroEngine({ sink, tracer: log });
    g.groReceive(skbOf(seg({ seq: at(0), id: 1 })));
    g.groReceive(skbOf(seg({ seq: at(1), id: 2 })));
    g.groReceive(skbOf(seg({ seq: at(2), id: 3, payload: 0 })));
    g.flush();
    const s = g.stats;
    expect(s.received).toBe(s.merged + s.held + s.passed);
    expect(sink.got.length).toBe(s.flushed + s.passed);
    expect(log.events.map((e) => e.what)).toEqual(['held', 'merged', 'flushed', 'pass']);
    expect(field32(sink.got[0]!.bytes, 24)).toBe(at(0));
  });

  it('rejects a bad config naming the field', () => {
    expect(() => new GroEngine({ sink: new RecordingSink(), maxSize: 10 })).toThrow(/maxSize/);
  });
});
