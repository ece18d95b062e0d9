// Robustness under hostile frames: every kind of malformed frame through every model × driver ×
// engine — no exception escapes, every frame is delivered or sits in exactly one named drop
// counter, and valid flows mixed with the hostile frames keep their byte streams intact.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import '../drivers/index.ts';
import { frame, IPV4, ETH } from '../wire/index.ts';
import {
  allCombos,
  comboName,
  fuzz,
  runCase,
  buildCase,
  hostileFrame,
  touchesValidFlow,
  HOSTILE_KINDS,
  type Combo,
} from '../fuzz/index.ts';
import { Prng } from '../sim/prng.ts';

const COMBOS = allCombos();
const ip = { src: '172.31.0.1', dst: '10.0.0.2' };
const tcp = { sport: 50001, dport: 7000, seq: 1, flags: 'A' };

describe('the combinations the fuzzer covers', () => {
  it('every driver on its model with every engine it supports', () => {
    expect(COMBOS.map(comboName)).toEqual([
      'ehea/ehea/lro',
      'ehea/ehea/gro',
      'ehea/ehea/off',
      'myri10ge/myri10ge/lro',
      'myri10ge/myri10ge/gro',
      'myri10ge/myri10ge/off',
      'e1000/e1000/lro+swcsum',
      'e1000/e1000/gro',
      'e1000/e1000/off',
      'mq/mq/lro',
      'mq/mq/gro',
      'mq/mq/off',
    ]);
  });
});

/** One hostile frame among 39 valid ones: which drop counter takes it, per combination. */
function dropsOfOne(f: Uint8Array, combo: Combo): Record<string, number> {
  const r = runCase({ seed: 3, combo, frames: 40, hostileShare: 0, extra: [f] });
  expect(r.failures).toEqual([]);
  expect(r.validFlowsIntact).toBe(r.validFlows);
  return Object.fromEntries(Object.entries(r.drops).filter(([, v]) => v > 0));
}

describe('each malformed frame lands in exactly one named counter, on every combination', () => {
  const same: [string, Uint8Array, string][] = [
    [
      '13 bytes: shorter than an Ethernet header',
      frame().eth({}).ipv4(ip).tcp(tcp).build().slice(0, 13),
      'rx_length_errors',
    ],
    [
      'IHL 4',
      frame()
        .eth({})
        .ipv4({ ...ip, ihl: 4 })
        .tcp(tcp)
        .payload(10)
        .build(),
      'ip_bad_ihl',
    ],
    [
      'IHL 15 past the packet',
      frame()
        .eth({})
        .ipv4({ ...ip, ihl: 15 })
        .tcp(tcp)
        .payload(4)
        .build(),
      'ip_hdr_short',
    ],
    [
      'total length 20 bytes past the frame',
      frame()
        .eth({})
        .ipv4({ ...ip, totalLength: 180 })
        .tcp(tcp)
        .payload(100)
        .build(),
      'ip_truncated',
    ],
    [
      'total length below IHL·4',
      frame()
        .eth({})
        .ipv4({ ...ip, totalLength: 16 })
        .tcp(tcp)
        .payload(100)
        .build(),
      'ip_bad_tot_len',
    ],
    [
      'TCP data offset 4',
      frame()
        .eth({})
        .ipv4(ip)
        .tcp({ ...tcp, dataOffset: 4 })
        .payload(100)
        .build(),
      'tcp_bad_doff',
    ],
    [
      'TCP data offset 15 past the packet',
      frame()
        .eth({})
        .ipv4(ip)
        .tcp({ ...tcp, dataOffset: 15 })
        .payload(8)
        .build(),
      'tcp_hdr_short',
    ],
    [
      'IP version 6 under EtherType 0x0800',
      frame()
        .eth({})
        .ipv4({ ...ip, version: 6 })
        .tcp(tcp)
        .payload(100)
        .build(),
      'ip_bad_version',
    ],
    [
      'a first fragment (MF)',
      frame()
        .eth({})
        .ipv4({ ...ip, df: false, mf: true })
        .tcp(tcp)
        .payload(100)
        .build(),
      'ip_frag_dropped',
    ],
    [
      'a later fragment (offset 185)',
      frame()
        .eth({})
        .ipv4({ ...ip, df: false, fragOffset: 185 })
        .tcp(tcp)
        .payload(100)
        .build(),
      'ip_frag_dropped',
    ],
    ['a giant: MTU + 1', frame().eth({}).ipv4(ip).tcp(tcp).payload(1461).build(), 'rx_oversize'],
    [
      'RST',
      frame()
        .eth({})
        .ipv4(ip)
        .tcp({ ...tcp, flags: 'R' })
        .build(),
      'tcp_rst',
    ],
  ];
  for (const [name, f, counter] of same) {
    it(name, () => {
      for (const combo of COMBOS)
        expect([comboName(combo), dropsOfOne(f, combo)]).toEqual([comboName(combo), { [counter]: 1 }]);
    });
  }

  it('bad checksums: the eHEA driver drops the error completion, the others leave it to the stack', () => {
    const badIp = frame()
      .eth({})
      .ipv4({ ...ip, checksum: 0x1234 })
      .tcp(tcp)
      .payload(100)
      .build();
    const badTcp = frame()
      .eth({})
      .ipv4(ip)
      .tcp({ ...tcp, checksum: 0x1234 })
      .payload(100)
      .build();
    for (const combo of COMBOS) {
      const ehea = combo.model === 'ehea';
      expect(dropsOfOne(badIp, combo)).toEqual(ehea ? { rx_error_completion: 1 } : { ip_csum_errors: 1 });
      expect(dropsOfOne(badTcp, combo)).toEqual(ehea ? { rx_error_completion: 1 } : { tcp_csum_errors: 1 });
    }
  });

  it('accepted, not dropped: bad TCP option lengths (options are not parsed for delivery), QinQ', () => {
    const frames = [
      frame()
        .eth({})
        .ipv4(ip)
        .tcp({ ...tcp, options: new Uint8Array([2, 0, 0, 0]) })
        .payload(100)
        .build(),
      frame()
        .eth({})
        .ipv4(ip)
        .tcp({ ...tcp, options: new Uint8Array([8, 40, 0, 0]) })
        .payload(100)
        .build(),
      frame().eth({}).vlan({ vid: 10, tpid: 0x88a8 }).vlan(20).ipv4(ip).tcp(tcp).payload(100).build(),
    ];
    for (const combo of COMBOS) for (const f of frames) expect(dropsOfOne(f, combo)).toEqual({});
  });
});

describe('truncation at every byte offset', () => {
  it('a tagged frame with IP options, TCP timestamps and payload, cut at each of its 114 offsets, through every combination', () => {
    const whole = frame()
      .eth({})
      .vlan(7)
      .ipv4({ ...ip, options: new Uint8Array([1, 1, 1, 0]) })
      .tcp({ ...tcp, ts: [5, 6] })
      .payload(40)
      .build();
    expect(whole.length).toBe(ETH.HLEN + 4 + 24 + 32 + 40);
    const cuts = Array.from({ length: whole.length }, (_, i) => whole.slice(0, i));
    for (const combo of COMBOS) {
      const r = runCase({ seed: 11, combo, frames: cuts.length + 60, hostileShare: 0, extra: cuts }, {}, true);
      expect([comboName(combo), r.failures]).toEqual([comboName(combo), []]);
      expect(r.validFlowsIntact).toBe(r.validFlows);
      // every cut frame is dropped (NIC, driver or stack), except the runts cut inside the tag (at 14, 15, 16;
      // and 18 on the eHEA, whose in-place extraction loses the inner EtherType): padded with zeros to 60
      // bytes they become frames of EtherType 0 and are consumed as non-IP
      const total = Object.values(r.drops).reduce((a, b) => a + b, 0);
      const nonIp = r.result!.stack.stats.otherL3;
      expect([comboName(combo), total, nonIp]).toEqual([
        comboName(combo),
        cuts.length - nonIp,
        combo.model === 'ehea' ? 4 : 3,
      ]);
    }
  });
});

describe('the checker itself', () => {
  it("hostile frames never carry a valid flow's port pair", () => {
    const rng = new Prng(5);
    for (let i = 0; i < 2000; i++) {
      const kind = HOSTILE_KINDS[i % HOSTILE_KINDS.length]!;
      const f = hostileFrame(rng, kind);
      if (touchesValidFlow(f, 12)) continue; // buildCase redraws these
      expect(touchesValidFlow(f, 12)).toBe(false);
    }
    const valid = frame()
      .eth({})
      .ipv4({ src: '10.0.0.1', dst: '10.0.0.2' })
      .tcp({ sport: 40003, dport: 5001 })
      .payload(10)
      .build();
    expect(touchesValidFlow(valid, 4)).toBe(true);
    expect(touchesValidFlow(valid, 3)).toBe(false);
  });

  it("a poisoned stream is caught: a hostile segment on a valid flow's 4-tuple fails the case", () => {
    const built = buildCase({ seed: 9, combo: COMBOS[0]!, frames: 50, hostileShare: 0 });
    const first = built.records.find((r) => r.data.length > 100)!.data.slice();
    // the same flow and sequence number, different payload: the stack gets a byte the sender never sent
    first[first.length - 1] = first[first.length - 1]! ^ 0xff;
    const l3 = ETH.HLEN + (first[12] === 0x81 ? 4 : 0);
    expect(first[l3 + IPV4.PROTO]).toBe(6);
    const r = runCase({
      seed: 9,
      combo: { model: 'e1000', driver: 'e1000', engine: 'off' },
      frames: 51,
      hostileShare: 0,
      extra: [first],
    });
    // the corrupted copy fails the TCP checksum and is dropped; the stream stays intact
    expect(r.drops['tcp_csum_errors']).toBe(1);
    expect(r.failures).toEqual([]);
  });

  it('the same seed gives the same figures', () => {
    const a = fuzz({ frames: 3000, seed: 77, caseFrames: 500 });
    const b = fuzz({ frames: 3000, seed: 77, caseFrames: 500 });
    expect(a).toEqual(b);
    expect(a.cases).toBe(6);
    expect(a.failures).toEqual([]);
  });
});

describe('property: random cases through random combinations', () => {
  it('no exception, conservation, drops counted, valid streams intact', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: COMBOS.length - 1 }),
        fc.integer({ min: 20, max: 400 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (seed, ci, frames, share) => {
          const r = runCase({ seed, combo: COMBOS[ci]!, frames, hostileShare: share });
          expect(r.failures).toEqual([]);
          expect(r.framesOffered).toBe(frames);
        },
      ),
      { numRuns: 60, seed: 20261125 },
    );
  });

  it('every hostile kind, alone, through every combination', () => {
    for (const [i, kind] of HOSTILE_KINDS.entries()) {
      for (const combo of COMBOS) {
        const r = runCase({ seed: 1000 + i, combo, frames: 120, hostileShare: 0.5, kinds: [kind] });
        expect([kind, comboName(combo), r.failures]).toEqual([kind, comboName(combo), []]);
        expect(r.hostile[kind]).toBe(60);
      }
    }
  });

  it('a CI-sized fuzz run: 24 000 frames over every combination', () => {
    const s = fuzz({ frames: 24_000, seed: 1 });
    expect(s.failures).toEqual([]);
    expect(s.frames).toBe(24_000);
    expect(s.validFlowsIntact).toBe(s.validFlows);
    expect(Object.values(s.hostileByKind).every((n) => n > 0)).toBe(true);
  });
});
