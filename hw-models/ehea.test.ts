import { nicConformance } from '../test/hw-models.conformance.ts';
import { EheaNic } from './ehea.ts';

nicConformance('ehea', () => new EheaNic({ queues: 4, rq1Entries: 64, rq2Entries: 64, rq3Entries: 16 }), [
  { reason: 'eHEA has no absolute interrupt timer', cases: ['moderation-absolute'] },
  { reason: 'eHEA delivers linear buffers, no header split', cases: ['header-split'] },
]);

import { describe, expect, it } from 'vitest';
import { reference } from '../test/support/reference-drivers.ts';
import { frame } from '../wire/index.ts';
import { fold, sumBytes } from '../wire/checksum.ts';
import { VirtualClock } from '../sim/clock.ts';
import { RX_FLAG } from './model.ts';
import { crc32 } from './frame-checks.ts';
import { CQE, CQE_SLOT_SIZE, RQ1_INLINE_MAX, RWQE, RWQE_SIZE, STATUS, decodeCqe } from './ehea.ts';

const tcp = (payload: number) => frame().ipv4().tcp({ seq: 1000 }).payload(payload).build();

describe('ehea specifics', () => {
  it('picks RQ1/RQ2/RQ3 by frame + FCS size: ≤192 inline, ≤1522, else jumbo', () => {
    const nic = new EheaNic({ rq1Entries: 16, rq2Entries: 16, rq3Entries: 16, mtu: 9000 });
    reference(nic).fill();
    const sizes = [60, RQ1_INLINE_MAX - 4, RQ1_INLINE_MAX - 3, 1518, 1519, 9014];
    for (const n of sizes) {
      const f = tcp(n - 54);
      nic.receiveFrame(f, f.length, 0);
    }
    const got = reference(nic).reap();
    expect(got.map((c) => c.ring)).toEqual(['rq1', 'rq1', 'rq2', 'rq2', 'rq3', 'rq3']);
    expect(got.map((c) => c.frame.length)).toEqual(sizes);
    expect(got.map((c) => c.fields.numBytes)).toEqual(sizes.map((n) => n + 4));
    const t = nic.totals();
    expect([t.rx_rq1, t.rx_rq2, t.rx_rq3]).toEqual([2, 2, 2]);
  });

  it('writes an RQ1 frame inline after the 64-byte record, followed by its FCS; the whole CQE is exact', () => {
    const clock = new VirtualClock();
    const nic = new EheaNic({ rq1Entries: 16, rq2Entries: 16, rq3Entries: 16 }, { clock });
    reference(nic).fill();
    const f = tcp(46); // 100-byte frame
    nic.receiveFrame(f, f.length, 0x1_2345_6789);
    const cq = nic.ring(0, 'cq');
    const v = nic.dma.view,
      mem = nic.dma.bytes,
      at = cq.base;
    const rec = Array.from(mem.subarray(at, at + 64));
    const csum = fold(sumBytes(f, 14, f.length - 14));
    const expected = [
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0, // WR_ID: ring index 0 of RQ1
      1,
      0x80, // TYPE: RQ1; VALID: phase 1 (first lap)
      0,
      0, // STATUS: no error, no VLAN
      0,
      104, // NUM_BYTES: 100 + FCS
      0,
      0, // VLAN_TAG
      csum >> 8,
      csum & 0xff, // INET_CSUM: 1's-complement sum from byte 14
      54,
      0, // HEADER_LENGTH: 14 + 20 + 20; reserved
      0,
      0,
      0,
      1, // PAGE_OFFSET 0, WQE_COUNT 1
      0,
      0,
      0,
      0, // QP_TOKEN: queue 0
      0,
      0,
      0,
      0, // reserved
      0,
      0,
      0,
      1,
      0x23,
      0x45,
      0x67,
      0x89, // TIMESTAMP (ns, big-endian)
      ...new Array(24).fill(0),
    ];
    expect(rec).toEqual(expected);
    expect(Array.from(mem.subarray(at + CQE.INLINE_DATA, at + CQE.INLINE_DATA + 100))).toEqual(Array.from(f));
    expect(v.getUint32(at + CQE.INLINE_DATA + 100, true)).toBe(crc32(f, 0, 100));
    expect(crc32(new TextEncoder().encode('123456789'), 0, 9)).toBe(0xcbf43926); // the CRC-32 check value
  });

  it('RQ2 buffers receive the frame and its FCS at the address the WQE gave; wr_id comes back', () => {
    const nic = new EheaNic({ rq1Entries: 16, rq2Entries: 16, rq3Entries: 16 });
    const v = nic.dma.view;
    const rq2 = nic.ring(0, 'rq2');
    const buf = nic.dma.alloc(1522);
    const w = rq2.base; // driver posts one WQE by hand
    v.setUint32(w + RWQE.WR_ID, 0xdead);
    v.setUint32(w + RWQE.WR_ID + 4, 0xbeef);
    v.setUint8(w + RWQE.NUM_SEGS, 1);
    v.setUint32(w + RWQE.SG_ADDR + 4, buf);
    v.setUint32(w + RWQE.SG_LEN, 1522);
    nic.doorbell(0, 'rq2', 1);
    const f = tcp(1000);
    nic.receiveFrame(f, f.length, 0);
    const e = decodeCqe(v, nic.ring(0, 'cq').base);
    expect(e.wrId).toBe(0xdead * 2 ** 32 + 0xbeef);
    expect(e.rq).toBe(2);
    expect(Array.from(nic.dma.bytes.subarray(buf, buf + f.length))).toEqual(Array.from(f));
    expect(v.getUint32(buf + f.length, true)).toBe(crc32(f, 0, f.length));
    expect(nic.readHead(0, 'rq2')).toBe(1);
    expect(RWQE_SIZE).toBe(32);
  });

  it('a WQE that points at no buffer is consumed and counted, not written', () => {
    const nic = new EheaNic({ rq1Entries: 16, rq2Entries: 16, rq3Entries: 16 });
    const v = nic.dma.view,
      w = nic.ring(0, 'rq2').base;
    v.setUint8(w + RWQE.NUM_SEGS, 1);
    v.setUint32(w + RWQE.SG_ADDR + 4, 12345);
    v.setUint32(w + RWQE.SG_LEN, 1522);
    nic.doorbell(0, 'rq2', 1);
    const f = tcp(1000);
    nic.receiveFrame(f, f.length, 0);
    expect(nic.counters(0).rx_bad_descriptor).toBe(1);
    expect(nic.counters(0).rx_packets).toBe(0);
  });

  it('VLAN extraction: buffer reads dst, src, 0x8100, then the IP header; CQE has the TCI and VLAN_EXTRACTED', () => {
    const nic = new EheaNic({ rq1Entries: 16, rq2Entries: 16, rq3Entries: 16 });
    reference(nic).fill();
    const f = frame().vlan({ vid: 42, pcp: 3 }).ipv4().tcp().payload(500).build();
    nic.receiveFrame(f, f.length, 0);
    const c = reference(nic).reap()[0]!;
    expect(c.frame.length).toBe(f.length - 4);
    expect(Array.from(c.frame.subarray(0, 16))).toEqual([...f.subarray(0, 12), 0x81, 0x00, 0x45, 0x00]);
    expect(c.fields.status).toBe(STATUS.VLAN_EXTRACTED);
    expect(c.fields.vlanTag).toBe((3 << 13) | 42);
    expect(c.fields.headerLength).toBe(54); // counted in the buffer, after extraction
    const off = new EheaNic({ rq1Entries: 16, rq2Entries: 16, rq3Entries: 16, vlanExtract: false });
    reference(off).fill();
    off.receiveFrame(f, f.length, 0);
    const d = reference(off).reap()[0]!;
    expect(Array.from(d.frame)).toEqual(Array.from(f));
    expect(d.fields.headerLength).toBe(58);
  });

  it('checksum status bits, and the quirk: a non-TCP/UDP frame reads TCP_CSUM_ERR with header length 0', () => {
    const nic = new EheaNic({ rq1Entries: 16, rq2Entries: 16, rq3Entries: 16 });
    reference(nic).fill();
    const frames = [
      tcp(300),
      frame().ipv4().tcp({ checksum: 1 }).payload(300).build(),
      frame().ipv4({ checksum: 1 }).tcp().payload(300).build(),
      frame().ipv4().udp({ checksum: 0 }).payload(30).build(),
      frame().eth({ dst: 'ff:ff:ff:ff:ff:ff' }).arp({}).build(),
      frame().ipv4({ protocol: 1 }).payload(40).build(),
    ];
    for (const f of frames) nic.receiveFrame(f, f.length, 0);
    nic.receiveFrame(frames[0]!, frames[0]!.length, 0, RX_FLAG.BAD_FCS);
    const got = reference(nic).reap();
    expect(got.map((c) => [c.fields.status, c.fields.headerLength])).toEqual([
      [0, 54],
      [STATUS.TCP_CSUM_ERR, 54],
      [STATUS.IP_CSUM_ERR, 54],
      [0, 42],
      [STATUS.TCP_CSUM_ERR, 0],
      [STATUS.TCP_CSUM_ERR, 0],
      [STATUS.CRC_ERR, 54],
    ]);
    expect(nic.totals().rx_csum_errors).toBe(2);
    expect(nic.totals().rx_crc_errors).toBe(1);
    const last = got[6]!;
    expect(last.crcError).toBe(true);
  });

  it('the CQ phase bit flips on every lap; the driver reports its consumer index with the cq doorbell', () => {
    const nic = new EheaNic({ rq1Entries: 16, rq2Entries: 16, rq3Entries: 16 }); // CQ: 48 entries
    const cq = nic.ring(0, 'cq');
    expect(cq.entries).toBe(48);
    const f = tcp(10);
    const phases: number[] = [];
    for (let i = 0; i < 100; i++) {
      reference(nic).fill();
      nic.receiveFrame(f, f.length, 0);
      const at = cq.base + (i % 48) * CQE_SLOT_SIZE;
      phases.push(nic.dma.bytes[at + CQE.VALID]! >> 7);
      expect(reference(nic).reap()).toHaveLength(1);
    }
    expect(phases.slice(0, 48).every((p) => p === 1)).toBe(true);
    expect(phases.slice(48, 96).every((p) => p === 0)).toBe(true);
    expect(phases.slice(96).every((p) => p === 1)).toBe(true);
  });

  it('a CQ the driver never drains fills up and counts rx_cq_full', () => {
    const nic = new EheaNic({ rq1Entries: 64, rq2Entries: 16, rq3Entries: 16 }); // CQ 96 entries, 95 usable
    const v = nic.dma.view,
      rq1 = nic.ring(0, 'rq1');
    for (let i = 0; i < 63; i++) v.setUint32(rq1.base + i * RWQE_SIZE + RWQE.WR_ID + 4, i);
    nic.doorbell(0, 'rq1', 63);
    const f = tcp(10);
    for (let i = 0; i < 63; i++) nic.receiveFrame(f, f.length, 0);
    nic.doorbell(0, 'rq1', 62); // 63 more RQ1 WQEs (head is at 63)
    for (let i = 0; i < 40; i++) nic.receiveFrame(f, f.length, 0);
    expect(nic.counters(0).rx_packets).toBe(95);
    expect(nic.counters(0).rx_cq_full).toBe(8);
  });

  it('spreads flows over port resources by a hash of the 4-tuple; each flow keeps its queue', () => {
    const nic = new EheaNic({ queues: 16, rq1Entries: 16, rq2Entries: 16, rq3Entries: 16 });
    reference(nic).fill();
    const q = new Map<number, Set<number>>();
    for (let r = 0; r < 2; r++)
      for (let s = 0; s < 128; s++) {
        const f = frame()
          .ipv4()
          .tcp({ sport: 30000 + s })
          .payload(10)
          .build();
        nic.receiveFrame(f, f.length, 0);
        for (const c of reference(nic).reap()) (q.get(s) ?? q.set(s, new Set()).get(s)!).add(c.queue);
        reference(nic).fill();
      }
    expect([...q.values()].every((x) => x.size === 1)).toBe(true);
    expect(new Set([...q.values()].map((x) => [...x][0])).size).toBe(16);
  });

  it('config errors name field, value and rule', () => {
    expect(() => new EheaNic({ queues: 17 })).toThrow('ehea config: queues = 17: must be an integer from 1 to 16');
    expect(() => new EheaNic({ rq2Entries: 100 })).toThrow(
      'ehea config: rq2Entries = 100: must be a power of two from 16 to 16384',
    );
    expect(() => new EheaNic({ moderation: { absoluteUs: 5 } })).toThrow(
      'moderation.absoluteUs = 5: this model has no absolute timer; only 0 is allowed',
    );
  });
});
