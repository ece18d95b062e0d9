// One test per rule of spec/inet_lro.md §2 and per quirk of §2.10.
import { describe, expect, it } from 'vitest';
import { LroManager, LRO_IPV4 } from './inet-lro.ts';
import { sumLroStats } from './stats.ts';
import { LroFragList } from './frag-list.ts';
import {
  seg,
  skbOf,
  makeLro,
  field16,
  field32,
  ipChecksumOk,
  tcpChecksumOk,
  ipOffset,
  RecordingSink,
  getFragHeader,
  fragsOf,
  CountingOwner,
  makeGetSkbHeader,
} from '../test/support/lro.ts';
import {
  CHECKSUM_COMPLETE,
  CHECKSUM_NONE,
  CHECKSUM_UNNECESSARY,
  SkbPool,
  SKB_GSO_TCPV4,
  freeSkb,
} from '../stack/skb.ts';
import { TraceLog } from '../observe/trace.ts';

const MSS = 1448;
const S0 = 1000;
const at = (i: number, p = MSS) => S0 + i * p;

describe('inet_lro skb mode (§2.1–§2.6)', () => {
  it('§2.6 worked example: MTU 1500, 1448-byte payloads with timestamps → 45-segment 65212-byte aggregate', () => {
    const { lro, sink } = makeLro();
    for (let i = 0; i < 46; i++) lro.receiveSkb(skbOf(seg({ seq: at(i), id: i + 1 })), null);
    expect(sink.got.length).toBe(1);
    const d = sink.got[0]!;
    expect(field16(d.bytes, 2)).toBe(65212);
    expect(d.bytes.length).toBe(65212);
    expect(d.skb.wireFrames).toBe(45);
    expect(d.skb.gsoSize).toBe(1448);
    expect(ipChecksumOk(d.bytes)).toBe(true);
    expect(tcpChecksumOk(d.bytes)).toBe(true);
    expect(field32(d.bytes, 24)).toBe(S0);
    expect(lro.stats.flush_64k).toBe(1);
    expect(lro.stats.aggregated).toBe(46);
    expect(lro.stats.flushed).toBe(1);
    lro.flushAll();
    expect(sink.got.length).toBe(2);
    expect(sink.got[1]!.skb.wireFrames).toBe(1);
    expect(lro.stats.flush_all).toBe(1);
  });

  it('§2.1 ordering: a pure ACK mid-stream flushes the partial aggregate, delivered before the ACK', () => {
    const { lro, sink } = makeLro();
    for (let i = 0; i < 3; i++) lro.receiveSkb(skbOf(seg({ seq: at(i) })), null);
    lro.receiveSkb(skbOf(seg({ seq: at(3), payload: 0 })), null);
    expect(sink.got.map((d) => field16(d.bytes, 2))).toEqual([20 + 32 + 3 * MSS, 52]);
    expect(lro.stats.flush_ineligible).toBe(1);
    expect(lro.stats.bypass_no_payload).toBe(1);
  });

  it('§2.1 step 5a: a retransmitted (lower seq) segment flushes the session, then goes up alone', () => {
    const { lro, sink } = makeLro();
    for (let i = 0; i < 3; i++) lro.receiveSkb(skbOf(seg({ seq: at(i) })), null);
    lro.receiveSkb(skbOf(seg({ seq: at(1) })), null);
    expect(sink.got.map((d) => d.skb.wireFrames)).toEqual([3, 1]);
    expect(field32(sink.got[1]!.bytes, 24)).toBe(at(1));
    expect(lro.stats.flush_out_of_order).toBe(1);
    expect(lro.stats.bypass_out_of_order).toBe(1);
  });

  it('§2.2 rule 1: an Ethernet-padded frame (IP length < received length) bypasses', () => {
    const { lro, sink } = makeLro();
    lro.receiveSkb(skbOf(seg({ payload: 2, ts: null, pad: 60 })), null);
    expect(lro.stats.bypass_length_mismatch).toBe(1);
    expect(sink.got.length).toBe(1);
  });

  it('§2.2 rule 1: a truncated frame (IP length > received length) bypasses', () => {
    const { lro } = makeLro();
    lro.receiveSkb(skbOf(seg({ totalLength: 20 + 32 + MSS + 10 })), null);
    expect(lro.stats.bypass_length_mismatch).toBe(1);
  });

  it('§2.2 rule 2: a segment without payload bypasses and does not take a descriptor', () => {
    const { lro } = makeLro({ maxDesc: 1 });
    lro.receiveSkb(skbOf(seg({ payload: 0 })), null);
    expect(lro.stats.bypass_no_payload).toBe(1);
    expect(lro.activeSessions).toBe(0);
  });

  it('§2.2 rule 3: IP options bypass', () => {
    const { lro } = makeLro();
    lro.receiveSkb(skbOf(seg({ ipOptions: new Uint8Array([1, 1, 1, 0]) })), null);
    expect(lro.stats.bypass_ip_options).toBe(1);
  });

  for (const flags of ['AF', 'AS', 'AR', 'AU', 'AE', 'AW', '']) {
    it(`§2.2 rule 4: flags "${flags}" bypass`, () => {
      const { lro } = makeLro();
      lro.receiveSkb(skbOf(seg({ flags })), null);
      expect(lro.stats.bypass_tcp_flags).toBe(1);
      expect(lro.stats.aggregated).toBe(0);
    });
  }

  it('§2.2 rule 4: FIN bypasses and flushes the session', () => {
    const { lro, sink } = makeLro();
    lro.receiveSkb(skbOf(seg({ seq: at(0) })), null);
    lro.receiveSkb(skbOf(seg({ seq: at(1) })), null);
    lro.receiveSkb(skbOf(seg({ seq: at(2), flags: 'AF' })), null);
    expect(sink.got.map((d) => d.skb.wireFrames)).toEqual([2, 1]);
    expect(sink.got[1]!.bytes[33]).toBe(0x11);
    expect(lro.stats.flush_ineligible).toBe(1);
  });

  it('§2.2 rule 4: PSH is not examined, the segment is aggregated', () => {
    const { lro, sink } = makeLro();
    lro.receiveSkb(skbOf(seg({ seq: at(0), flags: 'AP' })), null);
    lro.receiveSkb(skbOf(seg({ seq: at(1), flags: 'AP' })), null);
    lro.flushAll();
    expect(sink.got.length).toBe(1);
    expect(lro.stats.aggregated).toBe(2);
  });

  it('§2.2 rule 5: ECN CE bypasses; ECT(0) and ECT(1) aggregate', () => {
    const { lro } = makeLro();
    lro.receiveSkb(skbOf(seg({ tos: 3 })), null);
    expect(lro.stats.bypass_ecn_ce).toBe(1);
    lro.receiveSkb(skbOf(seg({ seq: at(0), tos: 2 })), null);
    lro.receiveSkb(skbOf(seg({ seq: at(1), tos: 1 })), null);
    expect(lro.stats.aggregated).toBe(2);
  });

  it('§2.2 rule 6: data offset other than 5 or 8 bypasses; no options aggregates', () => {
    const { lro } = makeLro();
    lro.receiveSkb(skbOf(seg({ ts: null, options: new Uint8Array([2, 4, 5, 0xb4]) })), null);
    expect(lro.stats.bypass_tcp_options).toBe(1);
    lro.receiveSkb(skbOf(seg({ seq: at(0), ts: null })), null);
    lro.receiveSkb(skbOf(seg({ seq: at(1), ts: null })), null);
    expect(lro.stats.aggregated).toBe(2);
  });

  it('§2.2 rule 7: 12 option bytes that are not NOP,NOP,TIMESTAMP bypass', () => {
    const { lro } = makeLro();
    const opts = new Uint8Array([8, 10, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1]);
    lro.receiveSkb(skbOf(seg({ ts: null, options: opts })), null);
    expect(lro.stats.bypass_tcp_options).toBe(1);
  });

  it("§2.2 rule 8: a TSval older than the first packet's flushes and bypasses; equal and newer append", () => {
    const { lro, sink } = makeLro();
    lro.receiveSkb(skbOf(seg({ seq: at(0), ts: [100, 5] })), null);
    lro.receiveSkb(skbOf(seg({ seq: at(1), ts: [100, 5] })), null);
    lro.receiveSkb(skbOf(seg({ seq: at(2), ts: [101, 5] })), null);
    lro.receiveSkb(skbOf(seg({ seq: at(3), ts: [99, 5] })), null);
    expect(sink.got.map((d) => d.skb.wireFrames)).toEqual([3, 1]);
    expect(lro.stats.bypass_tsval_backwards).toBe(1);
    expect(lro.stats.flush_ineligible).toBe(1);
  });

  it('§2.2 rule 8: TSval compare is serial (wraps at 2^32)', () => {
    const { lro } = makeLro();
    lro.receiveSkb(skbOf(seg({ seq: at(0), ts: [0xfffffff0, 5] })), null);
    lro.receiveSkb(skbOf(seg({ seq: at(1), ts: [3, 5] })), null);
    expect(lro.stats.appended).toBe(1);
  });

  it('§2.2 rule 9: TSecr zero bypasses', () => {
    const { lro } = makeLro();
    lro.receiveSkb(skbOf(seg({ ts: [100, 0] })), null);
    expect(lro.stats.bypass_tsecr_zero).toBe(1);
  });

  it('§2.1 step 1: callback refusal and non-TCP flags bypass', () => {
    const sink = new RecordingSink();
    const lro = new LroManager({ maxDesc: 8, maxAggr: 64, mtu: 1500, sink, getSkbHeader: () => false });
    lro.receiveSkb(skbOf(seg()), null);
    expect(lro.stats.bypass_not_lro).toBe(1);
    const lro2 = new LroManager({
      maxDesc: 8,
      maxAggr: 64,
      mtu: 1500,
      sink,
      getSkbHeader: (_s, h) => {
        h.flags = LRO_IPV4;
        return true;
      },
    });
    lro2.receiveSkb(skbOf(seg()), null);
    expect(lro2.stats.bypass_not_tcp).toBe(1);
    expect(sink.got.length).toBe(2);
  });

  it('§2.4: more flows than descriptors → no_desc, bypass, nothing flushed', () => {
    const { lro, sink } = makeLro({ maxDesc: 2 });
    for (let f = 0; f < 3; f++) lro.receiveSkb(skbOf(seg({ sport: 1000 + f })), null);
    expect(lro.stats.no_desc).toBe(1);
    expect(lro.stats.bypass_no_desc).toBe(1);
    expect(lro.stats.flushed).toBe(0);
    expect(sink.got.length).toBe(1);
    expect(field16(sink.got[0]!.bytes, 20)).toBe(1002);
  });

  it('§2.4: flows are matched on the 4-tuple; the first free descriptor opens a session', () => {
    const { lro, sink } = makeLro();
    lro.receiveSkb(skbOf(seg({ seq: at(0), sport: 1 })), null);
    lro.receiveSkb(skbOf(seg({ seq: at(0), sport: 2 })), null);
    lro.receiveSkb(skbOf(seg({ seq: at(1), sport: 1 })), null);
    lro.receiveSkb(skbOf(seg({ seq: at(1), sport: 2 })), null);
    lro.flushAll();
    expect(sink.got.map((d) => [field16(d.bytes, 20), d.skb.wireFrames])).toEqual([
      [1, 2],
      [2, 2],
    ]);
  });

  it('§2.5: latest ack, window and TSecr; first TSval; truesize and frag_list', () => {
    const { lro, sink } = makeLro();
    const a = skbOf(seg({ seq: at(0), ack: 1, window: 10, ts: [100, 7] }));
    const b = skbOf(seg({ seq: at(1), ack: 2, window: 20, ts: [105, 8] }));
    const c = skbOf(seg({ seq: at(2), ack: 3, window: 30, ts: [106, 9] }));
    const ts = a.truesize + b.truesize + c.truesize;
    lro.receiveSkb(a, null);
    lro.receiveSkb(b, null);
    lro.receiveSkb(c, null);
    lro.flushAll();
    const d = sink.got[0]!;
    expect(d.skb).toBe(a);
    expect(a.fragList).toBe(b);
    expect(b.next).toBe(c);
    expect(a.truesize).toBe(ts);
    expect(a.len).toBe(52 + 3 * MSS);
    expect(a.dataLen).toBe(2 * MSS);
    expect([field32(d.bytes, 28), field16(d.bytes, 34), field32(d.bytes, 44), field32(d.bytes, 48)]).toEqual([
      3, 30, 100, 9,
    ]);
    expect(tcpChecksumOk(d.bytes)).toBe(true);
  });

  it('§2.5: odd payload lengths keep the checksum right (odd-offset add)', () => {
    const { lro, sink } = makeLro();
    let s = S0;
    for (const p of [3, 1001, 7, 1448]) {
      lro.receiveSkb(skbOf(seg({ seq: s, payload: p })), null);
      s += p;
    }
    lro.flushAll();
    expect(tcpChecksumOk(sink.got[0]!.bytes)).toBe(true);
  });

  it('§2.3: data_csum is derived from each checksum field, not the payload bytes: the aggregate checksum matches the uncorrupted data', () => {
    const { lro, sink } = makeLro();
    const bad = seg({ seq: at(1) });
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff; // corrupt a payload byte, keep the old checksum
    lro.receiveSkb(skbOf(seg({ seq: at(0) })), null);
    lro.receiveSkb(skbOf(bad), null);
    lro.flushAll();
    const d = sink.got[0]!;
    expect(tcpChecksumOk(d.bytes)).toBe(false);
    // the aggregate checksum is what the uncorrupted payload would give
    const good = new Uint8Array(d.bytes);
    good[good.length - 1] = good[good.length - 1]! ^ 0xff;
    expect(tcpChecksumOk(good)).toBe(true);
  });

  it('§2.6: a one-packet session is delivered with headers untouched (gso_size still set, Q6)', () => {
    const { lro, sink } = makeLro();
    const fr = seg({ seq: at(0) });
    lro.receiveSkb(skbOf(fr), null);
    lro.flushAll();
    expect(sink.got[0]!.bytes).toEqual(fr.subarray(14));
    expect(sink.got[0]!.skb.gsoSize).toBe(MSS);
    expect(sink.got[0]!.skb.gsoType).toBe(0);
  });

  it('§2.6: max_aggr reached after an append flushes', () => {
    const { lro, sink } = makeLro({ maxAggr: 4 });
    for (let i = 0; i < 9; i++) lro.receiveSkb(skbOf(seg({ seq: at(i) })), null);
    expect(sink.got.map((d) => d.skb.wireFrames)).toEqual([4, 4]);
    expect(lro.stats.flush_max_aggr).toBe(2);
  });

  it('§2.6: gso_size is the largest payload', () => {
    const { lro, sink } = makeLro();
    lro.receiveSkb(skbOf(seg({ seq: S0, payload: 500 })), null);
    lro.receiveSkb(skbOf(seg({ seq: S0 + 500, payload: 1448 })), null);
    lro.receiveSkb(skbOf(seg({ seq: S0 + 1948, payload: 100 })), null);
    lro.flushAll();
    expect(sink.got[0]!.skb.gsoSize).toBe(1448);
  });

  it('§1.3 flush_pkt: delivers the session of that flow only', () => {
    const { lro, sink } = makeLro();
    lro.receiveSkb(skbOf(seg({ sport: 1 })), null);
    lro.receiveSkb(skbOf(seg({ sport: 2 })), null);
    const probe = seg({ sport: 2 });
    lro.flushPkt(probe, 14, 34);
    expect(sink.got.map((d) => field16(d.bytes, 20))).toEqual([2]);
    expect(lro.stats.flush_pkt).toBe(1);
  });

  it('§2.7: the session gets ip_summed_aggr; a bypassed skb gets ip_summed (V24)', () => {
    const { lro, sink } = makeLro({ ipSummed: CHECKSUM_COMPLETE, ipSummedAggr: CHECKSUM_NONE });
    lro.receiveSkb(skbOf(seg({ seq: at(0) })), null);
    lro.receiveSkb(skbOf(seg({ payload: 0 })), null);
    lro.flushAll();
    // the ACK is a continuation of the flow: the session (ip_summed_aggr) goes up first
    expect(sink.got.map((d) => d.skb.ipSummed)).toEqual([CHECKSUM_NONE, CHECKSUM_COMPLETE]);
  });

  it("§2.7: bypassSetsIpSummed = false keeps the driver's value (VL)", () => {
    const { lro, sink } = makeLro({ ipSummed: CHECKSUM_COMPLETE, quirks: { bypassSetsIpSummed: false } });
    lro.receiveSkb(skbOf(seg({ payload: 0 })), null);
    expect(sink.got[0]!.skb.ipSummed).toBe(CHECKSUM_UNNECESSARY);
  });

  it('§1.1 LRO_F_NAPI clear: delivery through netif_rx / vlan_hwaccel_rx', () => {
    const { lro, sink } = makeLro({ features: { napi: false } });
    lro.receiveSkb(skbOf(seg({ seq: at(0) })), null);
    lro.receiveSkb(skbOf(seg({ payload: 0, sport: 9 })), null);
    lro.vlanHwaccelReceiveSkb(skbOf(seg({ sport: 7, payload: 0 })), 5, null);
    lro.flushAll();
    expect(sink.got.map((d) => d.path)).toEqual(['netifRx', 'vlanHwaccelRx', 'netifRx']);
  });

  it('§2.8 hw-accel VLAN: the session keeps the tag and goes up the VLAN path; bypass too', () => {
    const { lro, sink } = makeLro({}, true);
    lro.vlanHwaccelReceiveSkb(skbOf(seg({ seq: at(0) })), 42, null);
    lro.vlanHwaccelReceiveSkb(skbOf(seg({ seq: at(1) })), 42, null);
    lro.vlanHwaccelReceiveSkb(skbOf(seg({ payload: 0, sport: 3 })), 42, null);
    lro.flushAll();
    expect(sink.got.map((d) => [d.path, d.tag, d.skb.wireFrames])).toEqual([
      ['vlanHwaccelReceiveSkb', 42, 1],
      ['vlanHwaccelReceiveSkb', 42, 2],
    ]);
  });

  it('§2.8 LRO_F_EXTRACT_VLAN_ID: protocol says 8021Q but no bytes are subtracted', () => {
    const { lro, sink } = makeLro({}, true);
    // the NIC stripped the tag: frame without tag, but protocol forced to 8021Q as eHEA leaves it
    for (let i = 0; i < 3; i++) {
      const s = skbOf(seg({ seq: at(i) }));
      s.protocol = 0x8100;
      lro.vlanHwaccelReceiveSkb(s, 7, null);
    }
    lro.flushAll();
    expect(sink.got.map((d) => d.skb.wireFrames)).toEqual([3]);
  });
});

describe('inet_lro quirks (§2.10)', () => {
  it('Q1 inbandVlanLength: in-band tagged continuation packets fail the length test and flush', () => {
    const { lro, sink } = makeLro();
    for (let i = 0; i < 3; i++) lro.receiveSkb(skbOf(seg({ seq: at(i), vlan: 10 })), null);
    lro.flushAll();
    expect(sink.got.map((d) => d.skb.wireFrames)).toEqual([1, 1, 1]);
    // open, continuation fails (flush + bypass), the third opens a new session
    expect(lro.stats.bypass_length_mismatch).toBe(1);
    expect(lro.stats.flush_ineligible).toBe(1);
  });

  it('Q1 fixed (inbandVlanLength: false): in-band tagged flows aggregate', () => {
    const { lro, sink } = makeLro({ quirks: { inbandVlanLength: false } });
    for (let i = 0; i < 3; i++) lro.receiveSkb(skbOf(seg({ seq: at(i), vlan: 10 })), null);
    lro.flushAll();
    const d = sink.got[0]!;
    expect(d.skb.wireFrames).toBe(3);
    expect(ipOffset(d)).toBe(4);
    expect(tcpChecksumOk(d.bytes, 4)).toBe(true);
    expect(ipChecksumOk(d.bytes, 4)).toBe(true);
  });

  it('Q2 fragsDropVlanTag: a frags-mode VLAN session goes up untagged; fixed keeps the tag', () => {
    for (const drop of [true, false]) {
      const sink = new RecordingSink();
      const lro = new LroManager({
        maxDesc: 8,
        maxAggr: 16,
        mtu: 1500,
        sink,
        getFragHeader,
        skbPool: new SkbPool(),
        quirks: { fragsDropVlanTag: drop },
      });
      const list = new LroFragList();
      const owner = new CountingOwner();
      for (let i = 0; i < 2; i++) {
        const fr = seg({ seq: at(i) });
        lro.vlanHwaccelReceiveFrags(fragsOf(fr, list, owner), fr.length, fr.length, 33, null, 0);
      }
      lro.flushAll();
      expect(sink.got.map((d) => [d.path, d.tag])).toEqual([
        drop ? ['netifReceiveSkb', -1] : ['vlanHwaccelReceiveSkb', 33],
      ]);
    }
  });

  it('Q3 flowKeyIgnoresVlan: equal 4-tuples on two VLANs merge under the first tag; fixed keeps them apart', () => {
    for (const ignore of [true, false]) {
      const { lro, sink } = makeLro({ quirks: { flowKeyIgnoresVlan: ignore } }, true);
      lro.vlanHwaccelReceiveSkb(skbOf(seg({ seq: at(0) })), 1, null);
      lro.vlanHwaccelReceiveSkb(skbOf(seg({ seq: at(1) })), 2, null);
      lro.flushAll();
      expect(sink.got.map((d) => [d.tag, d.skb.wireFrames])).toEqual(
        ignore
          ? [[1, 2]]
          : [
              [1, 1],
              [2, 1],
            ],
      );
    }
  });

  it('Q4: flushPkt with every descriptor busy is a counted no-op (the original crashed)', () => {
    const { lro, sink } = makeLro({ maxDesc: 1 });
    lro.receiveSkb(skbOf(seg({ sport: 1 })), null);
    lro.flushPkt(seg({ sport: 2 }), 14, 34);
    expect(lro.stats.flush_pkt_no_desc).toBe(1);
    expect(lro.stats.no_desc).toBe(1);
    expect(sink.got.length).toBe(0);
  });

  it('Q5 maxAggrAfterAppend: max_aggr = 1 still merges two packets; fixed delivers one each', () => {
    for (const after of [true, false]) {
      const { lro, sink } = makeLro({ maxAggr: 1, quirks: { maxAggrAfterAppend: after } });
      for (let i = 0; i < 4; i++) lro.receiveSkb(skbOf(seg({ seq: at(i) })), null);
      lro.flushAll();
      expect(sink.got.map((d) => d.skb.wireFrames)).toEqual(after ? [2, 2] : [1, 1, 1, 1]);
    }
  });

  it('Q6 gsoSizeOnly: fixed sets gso_type/gso_segs on aggregates and nothing on single packets', () => {
    const { lro, sink } = makeLro({ quirks: { gsoSizeOnly: false } });
    lro.receiveSkb(skbOf(seg({ seq: at(0) })), null);
    lro.receiveSkb(skbOf(seg({ seq: at(1) })), null);
    lro.receiveSkb(skbOf(seg({ sport: 5 })), null);
    lro.flushAll();
    expect(sink.got.map((d) => [d.skb.gsoSize, d.skb.gsoSegs, d.skb.gsoType])).toEqual([
      [MSS, 2, SKB_GSO_TCPV4],
      [0, 0, 0],
    ]);
  });

  it('Q7 lossyMerge: a PSH and intermediate acks in the middle are lost', () => {
    const { lro, sink } = makeLro();
    lro.receiveSkb(skbOf(seg({ seq: at(0), ack: 1 })), null);
    lro.receiveSkb(skbOf(seg({ seq: at(1), ack: 2, flags: 'AP' })), null);
    lro.receiveSkb(skbOf(seg({ seq: at(2), ack: 3 })), null);
    lro.flushAll();
    const d = sink.got[0]!;
    expect(d.skb.wireFrames).toBe(3);
    expect(d.bytes[33]).toBe(0x10);
    expect(field32(d.bytes, 28)).toBe(3);
  });

  it('Q7 fixed (lossyMerge: false): header changes start a new session, PSH ends one', () => {
    const { lro, sink } = makeLro({ quirks: { lossyMerge: false } });
    lro.receiveSkb(skbOf(seg({ seq: at(0), ack: 1, id: 1 })), null);
    lro.receiveSkb(skbOf(seg({ seq: at(1), ack: 1, id: 2 })), null);
    lro.receiveSkb(skbOf(seg({ seq: at(2), ack: 2, id: 3 })), null);
    lro.receiveSkb(skbOf(seg({ seq: at(3), ack: 2, id: 4, flags: 'AP' })), null);
    lro.receiveSkb(skbOf(seg({ seq: at(4), ack: 2, id: 5 })), null);
    lro.flushAll();
    expect(sink.got.map((d) => d.skb.wireFrames)).toEqual([2, 2, 1]);
    expect(lro.stats.flush_header_changed).toBe(1);
    expect(lro.stats.flush_psh).toBe(1);
  });
});

describe('inet_lro frags mode (§2.9)', () => {
  function fragsLro(over: Record<string, unknown> = {}) {
    const sink = new RecordingSink();
    const lro = new LroManager({
      maxDesc: 8,
      maxAggr: 18,
      mtu: 1500,
      sink,
      getFragHeader,
      skbPool: new SkbPool(),
      fragAlignPad: 2,
      ipSummed: CHECKSUM_COMPLETE,
      ...over,
    });
    return { lro, sink, list: new LroFragList(), owner: new CountingOwner() };
  }

  it('§2.9: generated head skb with header copy, first fragment trimmed, truesize accounted', () => {
    const { lro, sink, list, owner } = fragsLro();
    for (let i = 0; i < 3; i++) {
      const fr = seg({ seq: at(i) });
      lro.receiveFrags(fragsOf(fr, list, owner), fr.length, 2048, null, 0);
    }
    lro.flushAll();
    const d = sink.got[0]!;
    expect(d.skb.wireFrames).toBe(3);
    expect(d.skb.nrFrags).toBe(3);
    expect(d.skb.headLen).toBe(52);
    expect(d.skb.data - d.skb.headStart).toBe(2 + 14);
    expect(d.skb.frags[0]!.size).toBe(MSS);
    expect(d.skb.truesize).toBe(256 + 66 + 2 + 3 * 2048);
    expect(d.skb.ipSummed).toBe(CHECKSUM_UNNECESSARY);
    expect(field16(d.bytes, 2)).toBe(52 + 3 * MSS);
    expect(tcpChecksumOk(d.bytes)).toBe(true);
    freeSkb(d.skb);
    expect(owner.released).toBe(3);
  });

  it('§2.9 step 5: nr_frags >= max_aggr flushes (several fragments per frame)', () => {
    const { lro, sink, list, owner } = fragsLro({ maxAggr: 5 });
    for (let i = 0; i < 3; i++) {
      const fr = seg({ seq: at(i) });
      lro.receiveFrags(fragsOf(fr, list, owner, 1000), fr.length, fr.length, null, 0);
    }
    expect(sink.got.map((d) => [d.skb.wireFrames, d.skb.nrFrags])).toEqual([[3, 6]]);
    expect(lro.stats.flush_max_aggr).toBe(1);
  });

  it('§2.9 step 6: a bypassed frame gets a 64-byte header copy, ip_summed and the sum argument', () => {
    const { lro, sink, list, owner } = fragsLro();
    const fr = seg({ payload: 0 });
    lro.receiveFrags(fragsOf(fr, list, owner), fr.length, fr.length, null, 0x1234);
    const d = sink.got[0]!;
    expect([d.skb.ipSummed, d.skb.csum, d.skb.headLen]).toEqual([CHECKSUM_COMPLETE, 0x1234, 66 - 14]);
    expect(d.bytes).toEqual(fr.subarray(14));
  });

  it('§2.9 step 1: a frame the callback refuses gets a 64-byte header copy (LRO_MAX_PG_HLEN)', () => {
    const { lro, sink, list, owner } = fragsLro({ getFragHeader: () => false });
    const fr = seg();
    lro.receiveFrags(fragsOf(fr, list, owner), fr.length, fr.length, null, 7);
    const d = sink.got[0]!;
    expect([d.skb.headLen, d.skb.len, d.skb.csum, lro.stats.bypass_not_lro]).toEqual([64 - 14, fr.length - 14, 7, 1]);
    expect(d.bytes).toEqual(fr.subarray(14));
  });

  it('§2.9 step 2: in-band VLAN frames aggregate in frags mode (mac_hdr_len includes the tag; no Q1 here)', () => {
    const { lro, sink, list, owner } = fragsLro();
    for (let i = 0; i < 3; i++) {
      const fr = seg({ seq: at(i), vlan: 12 });
      lro.receiveFrags(fragsOf(fr, list, owner), fr.length, fr.length, null, 0);
    }
    lro.flushAll();
    const d = sink.got[0]!;
    expect(d.skb.wireFrames).toBe(3);
    expect(d.skb.protocol).toBe(0x8100);
    expect(tcpChecksumOk(d.bytes, 4)).toBe(true);
  });

  it('§2.9: the frags worked example also gives 45 segments and 65212 bytes when max_aggr allows', () => {
    const { lro, sink, list, owner } = fragsLro({ maxAggr: 64 });
    // frames of 2 fragments each would overflow MAX_SKB_FRAGS; one fragment per frame fits 18
    for (let i = 0; i < 18; i++) {
      const fr = seg({ seq: at(i) });
      lro.receiveFrags(fragsOf(fr, list, owner), fr.length, fr.length, null, 0);
    }
    lro.receiveFrags(fragsOf(seg({ seq: at(18) }), list, owner), 1514, 1514, null, 0);
    expect(lro.stats.flush_frags_full).toBe(1);
    expect(sink.got[0]!.skb.nrFrags).toBe(18);
  });
});

describe('inet_lro counters, tracing and config', () => {
  it("§1.4 sumLroStats adds per-queue counters (not V24's bitwise OR)", () => {
    const a = makeLro().lro,
      b = makeLro().lro;
    a.receiveSkb(skbOf(seg({ seq: at(0) })), null);
    a.flushAll();
    b.receiveSkb(skbOf(seg({ seq: at(0) })), null);
    b.receiveSkb(skbOf(seg({ seq: at(1) })), null);
    b.receiveSkb(skbOf(seg({ seq: at(2) })), null);
    b.flushAll();
    const t = sumLroStats([a.stats, b.stats]);
    expect([t.aggregated, t.flushed]).toEqual([4, 2]);
  });

  it('traces every decision with a sentence', () => {
    const log = new TraceLog();
    const { lro } = makeLro({ tracer: log });
    lro.receiveSkb(skbOf(seg({ seq: 20272 - 1448 })), null);
    lro.receiveSkb(skbOf(seg({ seq: 21720 })), null);
    expect(log.events.map((e) => e.text)).toEqual([
      'opened descriptor 0, 1/64 packets, 1500 bytes',
      'flushed descriptor 0: out of order, expected seq 20272, got 21720; 1 packet, 1500 bytes',
      'bypassed: out of order',
    ]);
    expect(log.events.map((e) => e.reason)).toEqual([undefined, 'out_of_order', 'out_of_order']);
  });

  it('rejects a bad config naming the field', () => {
    expect(() => new LroManager({ maxDesc: 0, maxAggr: 64, mtu: 1500, sink: new RecordingSink() })).toThrow(/maxDesc/);
    expect(
      () =>
        new LroManager({
          maxDesc: 8,
          maxAggr: 64,
          mtu: 1500,
          sink: new RecordingSink(),
          quirks: { bogus: true } as never,
        }),
    ).toThrow(/quirks/);
    expect(
      () => new LroManager({ maxDesc: 8, maxAggr: 64, mtu: 1500, sink: new RecordingSink(), getSkbHeader: 3 as never }),
    ).toThrow(/getSkbHeader/);
  });

  it('makeGetSkbHeader refuses non-IP', () => {
    const { lro } = makeLro({ getSkbHeader: makeGetSkbHeader() });
    const s = skbOf(seg());
    s.protocol = 0x0806;
    lro.receiveSkb(s, null);
    expect(lro.stats.bypass_not_lro).toBe(1);
  });
});
