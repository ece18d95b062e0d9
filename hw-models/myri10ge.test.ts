import { nicConformance } from '../test/hw-models.conformance.ts';
import { Myri10geNic } from './myri10ge.ts';

nicConformance('myri10ge', () => new Myri10geNic({ slices: 4, smallEntries: 64, bigEntries: 64 }), [
  { reason: 'myri10ge coalesces with a delay timer only', cases: ['moderation-count', 'moderation-absolute'] },
  { reason: 'myri10ge has no header split', cases: ['header-split'] },
]);

import { describe, expect, it } from 'vitest';
import { reference } from '../test/support/reference-drivers.ts';
import { frame } from '../wire/index.ts';
import { fold, pseudoHeaderSum, sumBytes } from '../wire/checksum.ts';
import { RECV_DESC, RX_DONE, RX_DONE_SIZE, csumWithoutVlan } from './myri10ge.ts';

describe('myri10ge specifics', () => {
  it('writes a 2-byte zero pad, then the frame; rx_done LENGTH counts the pad; CSUM is the sum from byte 14', () => {
    const nic = new Myri10geNic({ smallEntries: 16, bigEntries: 16 });
    const v = nic.dma.view,
      mem = nic.dma.bytes;
    const page = nic.dma.alloc(4096);
    mem.fill(0xee, page, page + 4096);
    const big = nic.ring(0, 'big');
    v.setUint32(big.base + RECV_DESC.ADDR_HIGH, 0);
    v.setUint32(big.base + RECV_DESC.ADDR_LOW, page);
    nic.doorbell(0, 'big', 1);
    const f = frame()
      .ipv4({ src: '192.168.1.1', dst: '192.168.1.2' })
      .tcp({ seq: 7, flags: 'PA' })
      .payload(1000)
      .build();
    nic.receiveFrame(f, f.length, 0);
    expect([mem[page], mem[page + 1]]).toEqual([0, 0]);
    expect(Array.from(mem.subarray(page + 2, page + 2 + f.length))).toEqual(Array.from(f));
    expect(mem[page + 2 + f.length]).toBe(0xee); // nothing beyond the frame
    const done = nic.ring(0, 'rx_done').base;
    expect(v.getUint16(done + RX_DONE.LENGTH)).toBe(f.length + 2);
    const csum = v.getUint16(done + RX_DONE.CSUM);
    expect(csum).toBe(fold(sumBytes(f, 14, f.length - 14)));
    // what the driver's get_frag_header does with it: the IP header sums to 0xffff, so the partial sum
    // plus the pseudo-header verifies the TCP checksum
    const tcpLen = f.length - 34;
    expect(fold(csum + pseudoHeaderSum(f, 26, 30, 6, tcpLen))).toBe(0xffff);
  });

  it('exact partial checksum of a known frame', () => {
    const nic = new Myri10geNic({ smallEntries: 16, bigEntries: 16 });
    reference(nic).fill();
    const f = new Uint8Array(64);
    f.set([0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00]);
    for (let i = 14; i < 64; i++) f[i] = i; // words 0x0e0f, 0x1011, … 0x3e3f
    nic.receiveFrame(f, 64, 0);
    const c = reference(nic).reap()[0]!;
    // Σ (i<<8 | i+1) for i = 14, 16, …, 62 = 25 words: 257·Σi + 25 = 257·950 + 25 = 244175 → fold
    expect(244175).toBe(25 * 1 + 257 * 950);
    expect(c.partialCsum).toBe(fold(244175));
    expect(c.partialCsum).toBe(0xb9d2); // 0x3b9cf → 0xb9cf + 3
  });

  it('small frames use the small ring; bigger frames span big chunks in order', () => {
    const nic = new Myri10geNic({ smallEntries: 16, bigEntries: 16, mtu: 9000 });
    reference(nic).fill();
    const sizes = [60, 126, 127, 1514, 4094, 4095, 9014];
    const sent = sizes.map((n) =>
      frame()
        .ipv4()
        .tcp()
        .payload(n - 54)
        .build(),
    );
    for (const f of sent) nic.receiveFrame(f, f.length, 0);
    const got = reference(nic).reap();
    expect(got.map((c) => c.ring)).toEqual(['small', 'small', 'big', 'big', 'big', 'big', 'big']);
    expect(got.map((c) => c.fragments)).toEqual([1, 1, 1, 1, 1, 2, 3]); // (2 + 9014) = 4096 + 4096 + 824
    got.forEach((c, k) => expect(Array.from(c.frame)).toEqual(Array.from(sent[k]!)));
    expect(nic.totals().rx_small).toBe(2);
    expect(nic.totals().rx_big).toBe(5);
  });

  it('with 1024-byte big chunks a 1514-byte frame takes two (1024 + 492 bytes incl. pad)', () => {
    const nic = new Myri10geNic({ smallEntries: 16, bigEntries: 16, bigBytes: 1024 });
    reference(nic).fill(1);
    const f = frame().ipv4().tcp().payload(1460).build();
    nic.receiveFrame(f, f.length, 0);
    expect(nic.totals().rx_missed).toBe(1); // one chunk posted, two needed
    reference(nic).fill(1);
    nic.receiveFrame(f, f.length, 0);
    const c = reference(nic).reap()[0]!;
    expect(c.fragments).toBe(2);
    expect(c.fields.LENGTH).toBe(1516);
    expect(Array.from(c.frame)).toEqual(Array.from(f));
  });

  it('tags stay in-band; csumWithoutVlan removes the tag words from the partial sum', () => {
    const nic = new Myri10geNic({ smallEntries: 16, bigEntries: 16 });
    reference(nic).fill();
    const tagged = frame().vlan(300).ipv4().tcp().payload(200).build();
    const plain = frame().ipv4().tcp().payload(200).build();
    nic.receiveFrame(tagged, tagged.length, 0);
    nic.receiveFrame(plain, plain.length, 0);
    const [t, p] = reference(nic).reap();
    expect(Array.from(t!.frame)).toEqual(Array.from(tagged));
    expect(csumWithoutVlan(t!.partialCsum, 300, 0x0800)).toBe(p!.partialCsum);
  });

  it('the driver hands rx_done slots back by zeroing LENGTH; a slot not handed back stops the NIC', () => {
    const nic = new Myri10geNic({ smallEntries: 16, bigEntries: 16 }); // rx_done: 32 slots
    reference(nic).fill();
    const v = nic.dma.view,
      done = nic.ring(0, 'rx_done');
    const f = frame().ipv4().tcp().payload(10).build();
    v.setUint16(done.base + 0 * RX_DONE_SIZE + RX_DONE.LENGTH, 99); // slot 0 still owned by the driver
    nic.receiveFrame(f, f.length, 0);
    expect(nic.totals().rx_done_full).toBe(1);
    v.setUint16(done.base + RX_DONE.LENGTH, 0);
    nic.receiveFrame(f, f.length, 0);
    expect(nic.totals().rx_packets).toBe(1);
  });

  it('a page carved into 32 small chunks is held once per chunk and returns when every chunk is freed', () => {
    const nic = new Myri10geNic({ smallEntries: 64, bigEntries: 16 });
    reference(nic).fill();
    const small = nic.ring(0, 'small');
    const first = nic.dma.view.getUint32(small.base + RECV_DESC.ADDR_LOW);
    expect(nic.dma.refcount(first)).toBe(32); // page used up: carving reference dropped
    const f = frame().ipv4().tcp().payload(10).build();
    for (let i = 0; i < 32; i++) nic.receiveFrame(f, f.length, 0);
    reference(nic).reap();
    expect(nic.dma.refcount(first)).toBe(0);
  });
});
