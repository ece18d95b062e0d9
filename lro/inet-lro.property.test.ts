// Property tests for LroManager (skb and frags mode) and GroEngine: random segment streams (in order,
// reordered, duplicated, mixed flags and options, several flows, VLAN) lose and duplicate nothing,
// keep every flow's byte stream, deliver valid packets, and their counters add up.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LroManager } from './inet-lro.ts';
import { GroEngine } from './gro.ts';
import { LroFragList } from './frag-list.ts';
import {
  seg,
  skbOf,
  RecordingSink,
  makeGetSkbHeader,
  getFragHeader,
  fragsOf,
  CountingOwner,
  ipChecksumOk,
  tcpChecksumOk,
  field16,
  field32,
  streamByte,
  ipOffset,
} from '../test/support/lro.ts';
import type { Delivery } from '../test/support/lro.ts';
import { SkbPool, freeSkb } from '../stack/skb.ts';
import type { LroStats } from './stats.ts';

const FLAGS = ['AP', 'AF', 'AU', 'AS', 'AR', 'AE', 'AW', ''];
const TS_ODD = ['back', 'none', 'zero'] as const;

/** `odd` < 75 is a plain full-sized ACK segment; above it, one oddity each (fast-check biases integers toward the minimum). */
const pktArb = fc.record({
  flow: fc.integer({ min: 0, max: 4 }),
  odd: fc.integer({ min: 0, max: 99 }),
  shortLen: fc.integer({ min: 0, max: 1447 }),
  tsStep: fc.integer({ min: 0, max: 3 }),
  ackBump: fc.integer({ min: 0, max: 9 }),
  dup: fc.integer({ min: 0, max: 19 }),
  swap: fc.integer({ min: 0, max: 19 }),
  flushAfter: fc.integer({ min: 0, max: 29 }),
});

const scenarioArb = fc.record({
  pkts: fc.array(pktArb, { minLength: 1, maxLength: 100, size: 'max' }),
  maxDesc: fc.integer({ min: 1, max: 4 }),
  maxAggr: fc.integer({ min: 1, max: 64 }),
  mode: fc.constantFrom('skb', 'frags') as fc.Arbitrary<'skb' | 'frags'>,
  lossyMerge: fc.boolean(),
  maxAggrAfterAppend: fc.boolean(),
  flowKeyIgnoresVlan: fc.boolean(),
  inbandVlanLength: fc.boolean(),
  fragSize: fc.constantFrom(4096, 800),
});

interface Input {
  flow: number;
  frame: Uint8Array;
  seq: number;
  len: number;
  vlan: 'none' | 'hw' | 'inband';
}

/** Flows: 0 plain, 1 plain, 2 hw-accel VLAN, 3 in-band VLAN, 4 same 4-tuple as 0 but on hw VLAN 9 (Q3). */
const FLOW_SPORT = [40000, 40001, 40002, 40003, 40000];
const FLOW_VLAN: Input['vlan'][] = ['none', 'none', 'hw', 'inband', 'hw'];
const HW_TAG = [0, 0, 2, 0, 9];

type Pkt = typeof pktArb extends fc.Arbitrary<infer T> ? T : never;

function buildInputs(pkts: Pkt[]): { inputs: Input[]; flushAfter: boolean[] } {
  const seq = [1000, 900000, 7, 0xfffff000, 0x40000000];
  const ts = [100, 100, 100, 100, 100];
  const ack = [1, 1, 1, 1, 1];
  const inputs: Input[] = [];
  const flushAfter: boolean[] = [];
  for (const p of pkts) {
    const f = p.flow;
    const o = p.odd - 75;
    ts[f]! += p.tsStep === 3 ? 1 : 0;
    if (p.ackBump === 5) ack[f]!++;
    const len = o >= 0 && o < 6 ? p.shortLen : 1448;
    const flags = o >= 6 && o < 6 + FLAGS.length ? FLAGS[o - 6]! : 'A';
    const tsOdd = o >= 14 && o < 17 ? TS_ODD[o - 14]! : 'ok';
    const tos = o === 17 ? 3 : o === 18 ? 1 : 0;
    // o 19: NOP,NOP,SACK (12 option bytes that are not the timestamp layout); o 20: MSS (doff 6)
    const options =
      o === 19
        ? new Uint8Array([1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 9])
        : o === 20
          ? new Uint8Array([2, 4, 5, 0xb4])
          : undefined;
    const tsv: [number, number] | null =
      options !== undefined || tsOdd === 'none'
        ? null
        : tsOdd === 'zero'
          ? [ts[f]!, 0]
          : tsOdd === 'back'
            ? [ts[f]! - 50, 1]
            : [ts[f]!, 1];
    const frame = seg({
      seq: seq[f]!,
      payload: len,
      flags,
      ts: tsv,
      ack: ack[f]!,
      tos,
      sport: FLOW_SPORT[f]!,
      ...(options !== undefined ? { options } : {}),
      ...(FLOW_VLAN[f] === 'inband' ? { vlan: 3 } : {}),
    });
    const inp: Input = { flow: f, frame, seq: seq[f]!, len, vlan: FLOW_VLAN[f]! };
    inputs.push(inp);
    flushAfter.push(p.flushAfter === 13);
    if (p.dup === 11) {
      inputs.push(inp);
      flushAfter.push(false);
    }
    if (p.swap === 7 && inputs.length >= 2) {
      const a = inputs[inputs.length - 2]!;
      inputs[inputs.length - 2] = inputs[inputs.length - 1]!;
      inputs[inputs.length - 1] = a;
    }
    seq[f] = (seq[f]! + len) >>> 0;
  }
  return { inputs, flushAfter };
}

/** The flow a delivery belongs to (by source port and, for flow 4, the hw tag). */
function flowOf(d: Delivery): number {
  const ip = ipOffset(d);
  const sport = field16(d.bytes, ip + 20);
  // flow 4 shares flow 0's 4-tuple; frags mode may drop its tag (Q2), so tell them apart by sequence space
  if (sport === 40000) return payloadOf(d.bytes, ip).seq >= 0x40000000 ? 4 : 0;
  return FLOW_SPORT.indexOf(sport);
}

function payloadOf(b: Uint8Array, ip: number): { seq: number; data: Uint8Array } {
  const ihl = (b[ip]! & 0x0f) * 4;
  const doff = (b[ip + ihl + 12]! >>> 4) * 4;
  return { seq: field32(b, ip + ihl + 4), data: b.subarray(ip + ihl + doff, ip + field16(b, ip + 2)) };
}

function checkLroCounters(s: LroStats, inputs: number, delivered: number): void {
  expect(s.aggregated).toBe(s.held + s.appended);
  expect(inputs).toBe(s.aggregated + s.bypassed);
  expect(delivered).toBe(s.flushed + s.bypassed);
  expect(s.flushed).toBe(
    s.flush_out_of_order +
      s.flush_ineligible +
      s.flush_max_aggr +
      s.flush_64k +
      s.flush_all +
      s.flush_pkt +
      s.flush_frags_full +
      s.flush_header_changed +
      s.flush_psh,
  );
  expect(s.bypassed).toBe(
    s.bypass_not_lro +
      s.bypass_not_tcp +
      s.bypass_no_desc +
      s.bypass_length_mismatch +
      s.bypass_no_payload +
      s.bypass_ip_options +
      s.bypass_tcp_flags +
      s.bypass_ecn_ce +
      s.bypass_tcp_options +
      s.bypass_tsval_backwards +
      s.bypass_tsecr_zero +
      s.bypass_out_of_order,
  );
  expect(s.no_desc).toBe(s.bypass_no_desc);
}

/** Per flow, delivered payloads in delivery order must equal input payloads in input order; every byte matches its seq. */
function checkStreams(inputs: Input[], got: Delivery[], tcpCsum: boolean): void {
  const want = new Map<number, number[]>();
  for (const i of inputs) {
    const a = want.get(i.flow) ?? [];
    for (let k = 0; k < i.len; k++) a.push(streamByte((i.seq + k) >>> 0, FLOW_SPORT[i.flow]));
    want.set(i.flow, a);
  }
  const have = new Map<number, number[]>();
  let frames = 0;
  for (const d of got) {
    const ip = ipOffset(d);
    expect(ipChecksumOk(d.bytes, ip)).toBe(true);
    if (tcpCsum) expect(tcpChecksumOk(d.bytes, ip)).toBe(true);
    expect(field16(d.bytes, ip + 2)).toBe(d.bytes.length - ip);
    const f = flowOf(d);
    const { seq, data } = payloadOf(d.bytes, ip);
    let bad = 0;
    for (let k = 0; k < data.length; k++) if (data[k] !== streamByte((seq + k) >>> 0, FLOW_SPORT[f])) bad++;
    expect(bad).toBe(0);
    const a = have.get(f) ?? [];
    for (const v of data) a.push(v);
    have.set(f, a);
    frames += d.skb.wireFrames;
  }
  expect(frames).toBe(inputs.length);
  for (const [f, a] of want) {
    const h = have.get(f) ?? [];
    expect(h.length).toBe(a.length);
    let bad = 0;
    for (let k = 0; k < a.length; k++) if (h[k] !== a[k]) bad++;
    expect(bad).toBe(0);
  }
}

describe('inet_lro properties', () => {
  it('random streams: nothing lost or duplicated, byte streams kept, packets valid, counters add up', () => {
    let appended = 0;
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const { inputs, flushAfter } = buildInputs(sc.pkts);
        const sink = new RecordingSink();
        const pool = new SkbPool();
        const lro = new LroManager({
          maxDesc: sc.maxDesc,
          maxAggr: sc.mode === 'frags' ? Math.min(sc.maxAggr, 18) : sc.maxAggr,
          mtu: 1500,
          sink,
          getSkbHeader: makeGetSkbHeader(false),
          getFragHeader,
          skbPool: pool,
          quirks: {
            lossyMerge: sc.lossyMerge,
            maxAggrAfterAppend: sc.maxAggrAfterAppend,
            flowKeyIgnoresVlan: sc.flowKeyIgnoresVlan,
            inbandVlanLength: sc.inbandVlanLength,
          },
        });
        const list = new LroFragList();
        const owner = new CountingOwner();
        let frags = 0;
        inputs.forEach((inp, i) => {
          if (sc.mode === 'skb') {
            const skb = skbOf(inp.frame);
            if (inp.vlan === 'hw') lro.vlanHwaccelReceiveSkb(skb, HW_TAG[inp.flow]!, null);
            else lro.receiveSkb(skb, null);
          } else {
            fragsOf(inp.frame, list, owner, sc.fragSize);
            frags += list.count;
            if (inp.vlan === 'hw')
              lro.vlanHwaccelReceiveFrags(list, inp.frame.length, inp.frame.length, HW_TAG[inp.flow]!, null, 0);
            else lro.receiveFrags(list, inp.frame.length, inp.frame.length, null, 0);
          }
          if (flushAfter[i]) lro.flushAll();
        });
        lro.flushAll();
        checkStreams(inputs, sink.got, true);
        checkLroCounters(lro.stats, inputs.length, sink.got.length);
        appended += lro.stats.appended;
        if (sc.mode === 'frags') {
          for (const d of sink.got) freeSkb(d.skb);
          expect(owner.released).toBe(frags);
          expect(pool.inUse).toBe(0);
        }
      }),
      { numRuns: 300 },
    );
    expect(appended).toBeGreaterThan(1000);
  });
});

describe('GRO properties', () => {
  it('random streams: nothing lost or duplicated, byte streams kept, counters add up', () => {
    let merged = 0;
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const { inputs, flushAfter } = buildInputs(sc.pkts);
        const sink = new RecordingSink();
        const g = new GroEngine({ sink });
        inputs.forEach((inp, i) => {
          const skb = skbOf(inp.frame);
          if (inp.vlan === 'hw') {
            skb.vlanPresent = true;
            skb.vlanTci = HW_TAG[inp.flow]!;
          }
          g.groReceive(skb);
          if (flushAfter[i]) g.flush();
        });
        g.flush();
        // GRO aggregates carry the pseudo-header sum (CHECKSUM_PARTIAL), not a full TCP checksum
        checkStreams(inputs, sink.got, false);
        const s = g.stats;
        expect(s.received).toBe(inputs.length);
        expect(s.received).toBe(s.merged + s.held + s.passed);
        expect(sink.got.length).toBe(s.flushed + s.passed);
        expect(g.heldPackets).toBe(0);
        merged += s.merged;
      }),
      { numRuns: 300 },
    );
    expect(merged).toBeGreaterThan(1000);
  });
});
