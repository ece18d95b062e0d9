import { nicConformance } from '../test/hw-models.conformance.ts';
import { E1000Nic } from './e1000.ts';

nicConformance('e1000', () => new E1000Nic({ ringEntries: 64, vlanStrip: true }), [
  { reason: 'e1000 has one queue, no RSS', cases: ['rss-spreads-flows'] },
  { reason: 'e1000 moderates with RDTR/RADV timers only', cases: ['moderation-count'] },
  { reason: 'legacy descriptors have no header split', cases: ['header-split'] },
]);

import { describe, expect, it } from 'vitest';
import { reference } from '../test/support/reference-drivers.ts';
import { frame } from '../wire/index.ts';
import { VirtualClock } from '../sim/clock.ts';
import { E1000_TIMER_UNIT_NS, RX_DESC, RX_STATUS } from './e1000.ts';

const f100 = frame().ipv4().tcp().payload(46).build();

describe('e1000 specifics', () => {
  it('writes the legacy descriptor back in place, byte for byte (little-endian), DD|EOP|IXSM|VP', () => {
    const nic = new E1000Nic({ ringEntries: 8, vlanStrip: true });
    const v = nic.dma.view,
      mem = nic.dma.bytes,
      rx = nic.ring(0, 'rx');
    const buf = nic.dma.alloc(2048);
    v.setUint32(rx.base + RX_DESC.BUFFER_ADDR, buf, true);
    nic.doorbell(0, 'rx', 1); // RDT = 1
    const tagged = frame().vlan({ vid: 0x123, pcp: 7 }).ipv4().tcp().payload(46).build();
    nic.receiveFrame(tagged, tagged.length, 0);
    expect(Array.from(mem.subarray(rx.base, rx.base + 16))).toEqual([
      buf & 0xff,
      (buf >> 8) & 0xff,
      (buf >> 16) & 0xff,
      buf >>> 24,
      0,
      0,
      0,
      0, // BUFFER_ADDR kept
      100,
      0, // LENGTH: 104 - 4 (tag stripped)
      0,
      0, // CSUM: not computed
      RX_STATUS.DD | RX_STATUS.EOP | RX_STATUS.IXSM | RX_STATUS.VP,
      0, // STATUS, ERRORS
      0x23,
      0xe1, // SPECIAL: TCI 0xe123
    ]);
    expect(Array.from(mem.subarray(buf, buf + 100))).toEqual(Array.from(f100));
    expect(nic.readHead(0, 'rx')).toBe(1); // RDH
  });

  it('frames longer than a buffer span descriptors; only the last has EOP', () => {
    const nic = new E1000Nic({ ringEntries: 16, mtu: 9000 });
    reference(nic).fill();
    const f = frame()
      .ipv4()
      .tcp()
      .payload(9014 - 54)
      .build();
    nic.receiveFrame(f, f.length, 0);
    const rx = nic.ring(0, 'rx'),
      v = nic.dma.view;
    const idx = [0, 1, 2, 3, 4, 5];
    expect(idx.map((i) => v.getUint8(rx.base + i * 16 + RX_DESC.STATUS))).toEqual([5, 5, 5, 5, 7, 0]);
    expect(idx.map((i) => v.getUint16(rx.base + i * 16 + RX_DESC.LENGTH, true))).toEqual([
      2048, 2048, 2048, 2048, 822, 0,
    ]);
    const c = reference(nic).reap()[0]!;
    expect(c.fragments).toBe(5);
    expect(Array.from(c.frame)).toEqual(Array.from(f));
  });

  it('a frame needing more descriptors than posted is missed whole (RDH does not move)', () => {
    const nic = new E1000Nic({ ringEntries: 16, mtu: 9000 });
    reference(nic).fill(4);
    const f = frame()
      .ipv4()
      .tcp()
      .payload(9014 - 54)
      .build();
    nic.receiveFrame(f, f.length, 0);
    expect(nic.counters(0).rx_missed).toBe(1);
    expect(nic.readHead(0, 'rx')).toBe(0);
  });

  it('RDTR: the interrupt fires rdtr × 1.024 µs after the last packet, restarted by each packet', () => {
    const clock = new VirtualClock();
    const nic = new E1000Nic({ ringEntries: 16, rdtr: 100 }, { clock });
    reference(nic).fill();
    const at: number[] = [];
    nic.onInterrupt(0, () => at.push(clock.now));
    for (const t of [0, 50_000, 90_000]) clock.at(t, () => nic.receiveFrame(f100, 100, clock.now));
    clock.run();
    expect(at).toEqual([90_000 + 100 * E1000_TIMER_UNIT_NS]); // 192 400 ns
    expect(nic.irqCounters(0).irq_by_delay).toBe(1);
  });

  it('RADV caps the delay: fires radv × 1.024 µs after the first packet even while packets keep coming', () => {
    const clock = new VirtualClock();
    const nic = new E1000Nic({ ringEntries: 64, rdtr: 100, radv: 200 }, { clock });
    reference(nic).fill();
    const at: number[] = [];
    nic.onInterrupt(0, () => {
      at.push(clock.now);
      nic.unmaskIrq(0);
    });
    for (let t = 0; t < 600_000; t += 50_000) clock.at(t, () => nic.receiveFrame(f100, 100, clock.now));
    clock.run();
    // packets every 50 µs keep restarting RDTR (102.4 µs); RADV (204.8 µs) from the first pending packet wins:
    // 0 → 204 800; 250 000 → 454 800; then 500 000 and 550 000 → RDTR at 550 000 + 102 400
    expect(at).toEqual([204_800, 454_800, 652_400]);
    expect(nic.irqCounters(0).irq_by_absolute).toBe(2);
    expect(nic.irqCounters(0).irq_by_delay).toBe(1);
  });

  it('RADV is ignored when RDTR is 0 (immediate interrupts), as on the real part', () => {
    const nic = new E1000Nic({ ringEntries: 16, radv: 200 });
    reference(nic).fill();
    let n = 0;
    nic.onInterrupt(0, () => n++);
    nic.receiveFrame(f100, 100, 0);
    expect(n).toBe(1);
  });

  it('without CTRL.VME the tag stays in the frame', () => {
    const nic = new E1000Nic({ ringEntries: 16 });
    expect(nic.capabilities.vlan).toBe('none');
    reference(nic).fill();
    const tagged = frame().vlan(5).ipv4().tcp().payload(46).build();
    nic.receiveFrame(tagged, tagged.length, 0);
    const c = reference(nic).reap()[0]!;
    expect(Array.from(c.frame)).toEqual(Array.from(tagged));
    expect(c.vlanTag).toBe(-1);
  });
});
