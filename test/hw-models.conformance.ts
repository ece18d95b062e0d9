// One conformance suite for every NIC model: descriptor layouts, ring ownership and rx_missed, MTU,
// runts, MAC filter, FCS, checksum status and VLAN handling per capability, RSS, interrupt moderation,
// DMA buffer accounting and conservation. A model that lacks a feature names the case in `skips` with a
// reason; the suite then asserts the feature really is absent instead of testing it.
import { describe, expect, it } from 'vitest';
import { frame } from '../wire/index.ts';
import { fold, sumBytes } from '../wire/checksum.ts';
import { Prng } from '../sim/prng.ts';
import { CapabilitiesSchema, ConfigError } from '../hw-models/capabilities.ts';
import { RX_FLAG, type DescriptorLayout, type NicModel } from '../hw-models/model.ts';
import { reference, type RefCompletion, type ReferenceFactory } from './support/reference-drivers.ts';
import { createModel, isRegistered } from '../hw-models/registry.ts';

export interface ConformanceSkip {
  reason: string;
  cases: SkippableCase[];
}

/** Cases that depend on an optional feature, and how the suite checks that a skipping model truly lacks it. */
const OPTIONAL = {
  'rss-spreads-flows': { needs: 'more than one queue', present: (m: NicModel) => m.queueCount > 1 },
  'moderation-count': {
    needs: 'a packet-count threshold',
    present: (m: NicModel) => m.capabilities.moderation.packetThreshold,
  },
  'moderation-timer': { needs: 'a delay timer', present: (m: NicModel) => m.capabilities.moderation.delayTimer },
  'moderation-absolute': {
    needs: 'an absolute timer',
    present: (m: NicModel) => m.capabilities.moderation.absoluteTimer,
  },
  'header-split': { needs: 'header split enabled', present: (m: NicModel) => m.capabilities.headerSplit },
} as const;
export type SkippableCase = keyof typeof OPTIONAL;

const DST = '02:00:00:00:00:02';

function tcpFrame(
  payload: number,
  opts: { sport?: number; saddr?: string; seq?: number; vlan?: number } = {},
): Uint8Array {
  let b = frame().eth({ dst: DST });
  if (opts.vlan !== undefined) b = b.vlan(opts.vlan);
  return b
    .ipv4({ src: opts.saddr ?? '10.0.0.1', dst: '10.0.0.2' })
    .tcp({ sport: opts.sport ?? 40000, dport: 5001, seq: opts.seq ?? 1 })
    .payload(payload)
    .build();
}

function offer(m: NicModel, f: Uint8Array, flags = 0): void {
  m.receiveFrame(f, f.length, m.clock.now, flags);
}

function sumDrops(m: NicModel): number {
  const t = m.totals();
  return m.dropCounters.reduce((a, k) => a + (t[k] ?? 0), 0);
}

function only<T>(xs: T[]): T {
  expect(xs).toHaveLength(1);
  return xs[0]!;
}

/**
 * A descriptor layout's encoder and decoder agree, every field sits at its offset (read back raw from the bytes),
 * whole fields do not overlap, nor do the bit fields of one word, and nothing is written outside the descriptor.
 * For the receive layouts of every model (below) and the transmit ones (test/tx-ring.test.ts).
 */
export function expectLayoutRoundTrip(d: DescriptorLayout, le: boolean): void {
  const buf = new Uint8Array(d.size + 16);
  const v = new DataView(buf.buffer);
  const vals: Record<string, number> = {};
  let i = 0;
  const covered = new Map<number, string>();
  const coveredBits = new Map<string, string>();
  for (const [fname, f] of Object.entries(d.fields)) {
    expect(f.offset + f.width, `${d.name}.${fname} inside the descriptor`).toBeLessThanOrEqual(d.size);
    const bits = f.bits ?? Math.min(f.width * 8, 48);
    vals[fname] = (0x5a3c97e1 * (i + 1) + 0x1234567) % 2 ** Math.min(bits, 31) || 1;
    i++;
    if (f.bits === undefined)
      for (let b = f.offset; b < f.offset + f.width; b++) {
        expect(covered.get(b), `${d.name}.${fname} overlaps ${covered.get(b)}`).toBeUndefined();
        covered.set(b, fname);
      }
    else
      for (let b = f.shift ?? 0; b < (f.shift ?? 0) + f.bits; b++) {
        const key = `${f.offset}:${b}`;
        expect(b, `${d.name}.${fname} past its ${f.width}-byte word`).toBeLessThan(f.width * 8);
        expect(coveredBits.get(key), `${d.name}.${fname} overlaps ${coveredBits.get(key)}`).toBeUndefined();
        coveredBits.set(key, fname);
      }
  }
  d.encode(v, 8, vals);
  expect(d.decode(v, 8)).toEqual(vals);
  for (const [fname, f] of Object.entries(d.fields)) {
    const at = 8 + f.offset;
    let raw: number;
    if (f.width === 1) raw = v.getUint8(at);
    else if (f.width === 2) raw = v.getUint16(at, le);
    else if (f.width === 4) raw = v.getUint32(at, le);
    else
      raw = le
        ? v.getUint32(at, true) + v.getUint32(at + 4, true) * 2 ** 32
        : v.getUint32(at) * 2 ** 32 + v.getUint32(at + 4);
    if (f.bits !== undefined) raw = Math.floor(raw / 2 ** (f.shift ?? 0)) % 2 ** f.bits;
    expect(raw, `${d.name}.${fname} at byte ${f.offset}`).toBe(vals[fname]);
  }
  expect(
    buf.subarray(0, 8).every((x) => x === 0) && buf.subarray(8 + d.size).every((x) => x === 0),
    `${d.name} writes only its ${d.size} bytes`,
  ).toBe(true);
}

/**
 * Registers the suite for one model. `make` returns a fresh model with its optional features switched on;
 * `makeReference` builds its reference driver (test/support/reference-drivers.ts) when it is not a built-in model.
 */
export function nicConformance(
  name: string,
  make: () => NicModel,
  skips: ConformanceSkip[] = [],
  makeReference?: ReferenceFactory,
): void {
  const ref = (m: NicModel) => reference(m, makeReference);
  const skipped = new Map<string, string>();
  for (const s of skips) for (const c of s.cases) skipped.set(c, s.reason);

  describe(`${name}: NIC conformance`, () => {
    it('capabilities validate and the model is registered under its name', () => {
      const m = make();
      expect(m.name).toBe(name);
      expect(isRegistered(name)).toBe(true);
      expect(CapabilitiesSchema.safeParse(m.capabilities).success).toBe(true);
      expect(m.queueCount).toBeLessThanOrEqual(m.capabilities.maxQueues);
    });

    it('config errors name the field, the value and what is allowed', () => {
      expect(() => createModel(name, { mtu: 1_000_000 })).toThrow(ConfigError);
      expect(() => createModel(name, { mtu: 1_000_000 })).toThrow(/mtu = 1000000: must be an integer from \d+ to \d+/);
      expect(() => createModel(name, { mac: 'nope' })).toThrow(/mac = "nope": must be a MAC address/);
      expect(() => createModel(name, { bogusField: 1 })).toThrow(/unknown field bogusField/);
      const m = make();
      expect(() => {
        m.mtu = m.capabilities.maxMtu + 1;
      }).toThrow(/mtu = \d+: must be an integer/);
    });

    it('descriptor layouts round-trip and sit at their documented offsets', () => {
      const m = make();
      const le = m.littleEndian;
      expect(m.descriptors.length).toBeGreaterThan(0);
      for (const d of m.descriptors) expectLayoutRoundTrip(d, le);
    });

    it('delivers frames byte for byte into posted buffers', () => {
      const m = make();
      ref(m).fill();
      const sizes = [60, 64, 100, 200, 1000, 1514];
      const sent = sizes.map((n) => tcpFrame(n - 54));
      for (const f of sent) offer(m, f);
      const got = ref(m).reap();
      expect(got.map((c) => c.frame.length)).toEqual(sizes);
      got.forEach((c, k) => expect(Array.from(c.frame)).toEqual(Array.from(sent[k]!)));
      expect(m.totals().rx_packets).toBe(sizes.length);
      expect(m.totals().rx_bytes).toBe(sizes.reduce((a, b) => a + b, 0));
    });

    it('an empty ring drops the frame into rx_missed', () => {
      const m = make();
      offer(m, tcpFrame(100));
      expect(m.totals().rx_missed).toBe(1);
      expect(m.totals().rx_packets).toBe(0);
      expect(ref(m).reap()).toEqual([]);
    });

    it('a full ring counts rx_missed, and reposting after reaping resumes delivery', () => {
      const m = make();
      ref(m).fill(4);
      for (let i = 0; i < 5; i++) offer(m, tcpFrame(100, { seq: i }));
      expect(m.totals().rx_packets).toBe(4);
      expect(m.totals().rx_missed).toBe(1);
      expect(ref(m).reap()).toHaveLength(4);
      ref(m).fill(4);
      offer(m, tcpFrame(100, { seq: 9 }));
      expect(only(ref(m).reap()).frame.length).toBe(154);
    });

    it('returns every DMA buffer: after reaping and a driver teardown no byte is in use', () => {
      const m = make();
      ref(m).fill();
      expect(m.dma.counters.bytesInUse).toBeGreaterThan(0);
      for (let i = 0; i < 20; i++) offer(m, tcpFrame(i * 70, { seq: i }));
      expect(ref(m).reap()).toHaveLength(20);
      ref(m).fill();
      for (let i = 0; i < 20; i++) offer(m, tcpFrame(i * 70, { seq: i }));
      expect(ref(m).reap()).toHaveLength(20);
      ref(m).teardown();
      expect(m.dma.counters.bytesInUse).toBe(0);
      expect(m.dma.counters.failedAllocations).toBe(0);
      expect(m.dma.counters.allocations).toBe(m.dma.counters.releases);
    });

    it('drops frames longer than the MTU allows (tagged frames get 4 bytes more)', () => {
      const m = make();
      ref(m).fill();
      offer(m, tcpFrame(1460)); // 1514: MTU 1500 exactly
      offer(m, tcpFrame(1461));
      offer(m, tcpFrame(1460, { vlan: 7 })); // 1518 tagged
      offer(m, tcpFrame(1461, { vlan: 7 }));
      m.mtu = 1000;
      offer(m, tcpFrame(960));
      offer(m, tcpFrame(961));
      const t = m.totals();
      expect(t.rx_oversize).toBe(3);
      expect(t.rx_packets).toBe(3);
      expect(
        ref(m)
          .reap()
          .map((c) => c.frame.length),
      ).toEqual([1514, m.capabilities.vlan === 'none' ? 1518 : 1514, 1014]);
    });

    it('pads runts to 60 bytes with zeros, or leaves them when padding is off', () => {
      const m = make();
      ref(m).fill();
      const arp = frame().eth({ dst: 'ff:ff:ff:ff:ff:ff' }).arp({}).build();
      expect(arp.length).toBe(42);
      offer(m, arp);
      m.padRunts = false;
      offer(m, arp);
      const [a, b] = ref(m).reap();
      expect(Array.from(a!.frame)).toEqual([...arp, ...new Array(18).fill(0)]);
      expect(Array.from(b!.frame)).toEqual(Array.from(arp));
      expect(m.totals().rx_runts_padded).toBe(1);
      offer(m, arp.subarray(0, 13));
      expect(m.totals().rx_length_errors).toBe(1);
    });

    it('filters by destination MAC; broadcast, multicast (allMulticast) and promiscuous mode pass', () => {
      const m = make();
      ref(m).fill();
      const to = (dst: string) => frame().eth({ dst }).ipv4().tcp().payload(10).build();
      offer(m, to('02:00:00:00:00:99'));
      offer(m, to('ff:ff:ff:ff:ff:ff'));
      offer(m, to('01:00:5e:00:00:01'));
      m.allMulticast = false;
      offer(m, to('01:00:5e:00:00:01'));
      m.promiscuous = true;
      offer(m, to('02:00:00:00:00:99'));
      m.promiscuous = false;
      m.macAddress = '02:00:00:00:00:99';
      offer(m, to('02:00:00:00:00:99'));
      expect(m.totals().rx_filtered).toBe(2);
      expect(ref(m).reap()).toHaveLength(4);
    });

    it('bad FCS: dropped into rx_crc_errors or completed with the CRC error flag, per capability', () => {
      const m = make();
      ref(m).fill();
      offer(m, tcpFrame(100), RX_FLAG.BAD_FCS);
      expect(m.totals().rx_crc_errors).toBe(1);
      const got = ref(m).reap();
      if (m.capabilities.badFcs === 'drop') {
        expect(got).toEqual([]);
        expect(m.dropCounters).toContain('rx_crc_errors');
      } else {
        expect(only(got).crcError).toBe(true);
        expect(m.dropCounters).not.toContain('rx_crc_errors');
      }
    });

    it(`checksum status per capability (${make().capabilities.rxChecksum})`, () => {
      const m = make();
      ref(m).fill();
      const good = tcpFrame(300);
      const badTcp = frame().eth({ dst: DST }).ipv4().tcp({ checksum: 0x1234 }).payload(300).build();
      const badIp = frame().eth({ dst: DST }).ipv4({ checksum: 0x1234 }).tcp().payload(300).build();
      for (const f of [good, badTcp, badIp]) offer(m, f);
      const got = ref(m).reap();
      expect(got).toHaveLength(3);
      const caps = m.capabilities.rxChecksum;
      if (caps === 'verified') {
        expect(got.map((c) => c.csum)).toEqual(['ok', 'bad', 'bad']);
        expect(m.totals().rx_csum_errors).toBe(2);
      } else {
        expect(got.map((c) => c.csum)).toEqual(['none', 'none', 'none']);
        expect(m.totals().rx_csum_errors).toBe(0);
      }
      if (caps === 'partial') {
        got.forEach((c, k) => {
          const f = [good, badTcp, badIp][k]!;
          expect(c.partialCsum).toBe(fold(sumBytes(f, 14, f.length - 14)));
        });
      } else got.forEach((c) => expect(c.partialCsum).toBe(-1));
    });

    it(`VLAN handling per capability (${make().capabilities.vlan})`, () => {
      const m = make();
      ref(m).fill();
      const tci = (5 << 13) | 100;
      const tagged = frame().eth({ dst: DST }).vlan({ vid: 100, pcp: 5 }).ipv4().tcp().payload(200).build();
      const plain = frame().eth({ dst: DST }).ipv4().tcp().payload(200).build();
      offer(m, tagged);
      offer(m, plain);
      const [t, p] = ref(m).reap();
      expect(p!.vlanTag).toBe(-1);
      expect(Array.from(p!.frame)).toEqual(Array.from(plain));
      const mode = m.capabilities.vlan;
      if (mode === 'none') {
        expect(t!.vlanTag).toBe(-1);
        expect(Array.from(t!.frame)).toEqual(Array.from(tagged));
        expect(m.totals().rx_vlan_stripped).toBe(0);
      } else {
        expect(t!.vlanTag).toBe(tci);
        expect(m.totals().rx_vlan_stripped).toBe(1);
        if (mode === 'strip') {
          expect(Array.from(t!.frame)).toEqual(Array.from(plain)); // the tag is gone, the ethertype is the inner one
        } else {
          // LRO_F_EXTRACT_VLAN_ID: TCI and inner ethertype removed, bytes 12..13 still 0x8100, IP header at byte 14
          expect(Array.from(t!.frame)).toEqual([...tagged.subarray(0, 14), ...tagged.subarray(18)]);
          expect((t!.frame[12]! << 8) | t!.frame[13]!).toBe(0x8100);
          expect(t!.frame[14]).toBe(0x45);
        }
      }
    });

    it('the interrupt is one-shot: it masks itself, and unmasking with work pending fires again', () => {
      const m = make();
      ref(m).fill();
      const calls: number[] = [];
      for (let q = 0; q < m.queueCount; q++) {
        m.onInterrupt(q, (qq) => calls.push(qq));
        m.setModeration(q, { packets: 0, delayNs: 0, absoluteNs: 0 });
      }
      offer(m, tcpFrame(100));
      expect(calls).toHaveLength(1);
      const q = calls[0]!;
      offer(m, tcpFrame(100, { seq: 2 }));
      expect(calls).toHaveLength(1);
      m.unmaskIrq(q);
      expect(calls).toHaveLength(1); // not inside unmask
      m.clock.run();
      expect(calls).toEqual([q, q]);
      expect(m.irqCounters(q).irq_by_unmask).toBe(1);
      m.unmaskIrq(q);
      m.maskIrq(q);
      offer(m, tcpFrame(100, { seq: 3 }));
      m.clock.run();
      expect(calls).toHaveLength(2);
      m.unmaskIrq(q);
      m.clock.run();
      expect(calls).toHaveLength(3);
    });

    const optional = (c: SkippableCase, body: () => void): void => {
      const reason = skipped.get(c);
      if (reason !== undefined) {
        it(`${c}: not applicable (${reason}) — the model really lacks ${OPTIONAL[c].needs}`, () => {
          expect(OPTIONAL[c].present(make())).toBe(false);
        });
        return;
      }
      it(c, () => {
        expect(OPTIONAL[c].present(make()), `model lacks ${OPTIONAL[c].needs}: pass it in skips with a reason`).toBe(
          true,
        );
        body();
      });
    };

    optional('rss-spreads-flows', () => {
      const m = make();
      ref(m).fill();
      for (let k = 0; k < 3; k++)
        for (let f = 0; f < 64; f++) offer(m, tcpFrame(64, { sport: 1000 + f * 7, saddr: `10.0.${f}.1`, seq: k }));
      const got = ref(m).reap();
      expect(got).toHaveLength(192);
      const queueOf = new Map<number, Set<number>>();
      for (const c of got) {
        const sport = (c.frame[34]! << 8) | c.frame[35]!;
        (queueOf.get(sport) ?? queueOf.set(sport, new Set()).get(sport)!).add(c.queue);
      }
      expect(queueOf.size).toBe(64);
      for (const qs of queueOf.values()) expect(qs.size).toBe(1); // a flow stays on one queue
      const used = new Set(got.map((c) => c.queue));
      expect(used.size).toBe(m.queueCount); // and 64 flows reach every queue
    });

    const oneQueueFlow = (m: NicModel): number => {
      ref(m).fill();
      offer(m, tcpFrame(10));
      const q = only(ref(m).reap()).queue;
      for (let i = 0; i < m.queueCount; i++) {
        m.unmaskIrq(i);
      }
      m.clock.run();
      return q;
    };

    optional('moderation-count', () => {
      const m = make();
      const q = oneQueueFlow(m);
      let n = 0;
      m.onInterrupt(q, () => n++);
      m.setModeration(q, { packets: 4, delayNs: 0, absoluteNs: 0 });
      const before = m.irqCounters(q).irqs;
      for (let i = 0; i < 3; i++) offer(m, tcpFrame(10, { seq: i }));
      expect(n).toBe(0);
      offer(m, tcpFrame(10, { seq: 3 }));
      expect(n).toBe(1);
      expect(m.irqCounters(q).irq_by_count).toBeGreaterThanOrEqual(1);
      expect(m.irqCounters(q).irqs - before).toBe(1);
    });

    optional('moderation-timer', () => {
      const m = make();
      const q = oneQueueFlow(m);
      const fired: number[] = [];
      m.onInterrupt(q, () => fired.push(m.clock.now));
      m.setModeration(q, { packets: 0, delayNs: 50_000, absoluteNs: 0 });
      const t0 = m.clock.now;
      offer(m, tcpFrame(10, { seq: 1 }));
      m.clock.run(t0 + 30_000);
      offer(m, tcpFrame(10, { seq: 2 })); // restarts the delay
      m.clock.run(t0 + 79_999);
      expect(fired).toEqual([]);
      m.clock.run(t0 + 80_000);
      expect(fired).toEqual([t0 + 80_000]);
      expect(m.irqCounters(q).irq_by_delay).toBe(1);
    });

    optional('moderation-absolute', () => {
      const m = make();
      const q = oneQueueFlow(m);
      const fired: number[] = [];
      m.onInterrupt(q, () => fired.push(m.clock.now));
      m.setModeration(q, { packets: 0, delayNs: 50_000, absoluteNs: 100_000 });
      const t0 = m.clock.now;
      for (let i = 0; i < 5; i++) m.clock.at(t0 + i * 30_000, () => offer(m, tcpFrame(10, { seq: i })));
      m.clock.run(t0 + 99_999);
      expect(fired).toEqual([]);
      m.clock.run(t0 + 100_000);
      expect(fired).toEqual([t0 + 100_000]);
      expect(m.irqCounters(q).irq_by_absolute).toBe(1);
    });

    optional('header-split', () => {
      const m = make();
      ref(m).fill();
      const f = tcpFrame(1000);
      offer(m, f);
      offer(m, frame().eth({ dst: 'ff:ff:ff:ff:ff:ff' }).arp({}).build());
      const got = ref(m).reap();
      const tcp = got.find((c) => c.frame.length === f.length),
        arp = got.find((c) => c.frame.length === 60);
      expect(Array.from(tcp!.frame)).toEqual(Array.from(f));
      expect(tcp!.fields.firstHdrLength).toBe(54);
      expect(arp!.fields.firstHdrLength).toBe(0);
    });

    it('conservation: frames offered = completions + drops, under a mixed seeded workload', () => {
      const m = make();
      const rng = new Prng(7);
      let reaped = 0;
      ref(m).fill(2);
      for (let i = 0; i < 600; i++) {
        const r = rng.int(10);
        const sport = 2000 + rng.int(16);
        let f: Uint8Array,
          flags = 0;
        if (r === 0) f = frame().eth({ dst: '02:00:00:00:00:77' }).ipv4().tcp().payload(20).build();
        else if (r === 1) {
          f = tcpFrame(100, { sport });
          flags = RX_FLAG.BAD_FCS;
        } else if (r === 2) f = tcpFrame(1600, { sport });
        else if (r === 3) f = frame().eth({ dst: 'ff:ff:ff:ff:ff:ff' }).arp({}).build();
        else if (r === 4) f = tcpFrame(rng.int(1400), { sport, vlan: 1 + rng.int(4000) });
        else if (r === 5) f = frame().eth({ dst: DST }).ipv4().udp({ sport }).payload(rng.int(300)).build();
        else f = tcpFrame(rng.int(1460), { sport, seq: i });
        if (rng.chance(0.02)) {
          m.receiveFrame(f, 5, m.clock.now);
          continue;
        }
        m.receiveFrame(f, f.length, m.clock.now, flags);
        if (rng.chance(0.05)) {
          reaped += ref(m).reap().length;
          ref(m).fill(rng.int(4));
        }
      }
      reaped += ref(m).reap().length;
      const t = m.totals();
      expect(m.framesOffered).toBe(600);
      expect(t.rx_packets + sumDrops(m)).toBe(600);
      expect(reaped).toBe(t.rx_packets);
      expect(t.rx_missed).toBeGreaterThan(0);
      expect(t.rx_filtered).toBeGreaterThan(0);
      expect(t.rx_oversize).toBeGreaterThan(0);
      expect(t.rx_length_errors).toBeGreaterThan(0);
    });
  });
}

export type { RefCompletion };
