import { describe, expect, it } from 'vitest';
import { TsoNic } from './tso.ts';
import { frame, decodeFrame, WireError, checksum, verifyL4Checksum, TCP_FLAG } from '../wire/index.ts';

describe('TsoNic', () => {
  it('cuts a 10,000-byte super-segment into MSS frames as a TSO NIC puts them on the wire', () => {
    const payload = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7 + 3) & 0xff);
    const sup = frame()
      .ipv4({ src: '10.0.0.1', dst: '10.0.0.2', df: true })
      .tcp({ seq: 0xfffff000, ack: 5, flags: 'AP', ts: [111, 222] })
      .payload(payload)
      .build();
    sup[18] = 0x12;
    sup[19] = 0x34; // IP ID 0x1234
    const out: Uint8Array[] = [];
    const nic = new TsoNic(128 + 1448, (f, n) => out.push(f.slice(0, n)));
    nic.transmit(sup, 14, 34, 10_000, 1448);
    expect(out.map((f) => f.length)).toEqual([...Array(6).fill(66 + 1448), 66 + 10_000 - 6 * 1448]);
    expect(nic.stats).toEqual({ superSegments: 1, frames: 7 });
    let at = 0;
    out.forEach((f, i) => {
      const d = decodeFrame(f);
      if (d instanceof WireError) throw d;
      expect(d.ipv4!.id).toBe(0x1234 + i);
      expect(d.ipv4!.totalLength).toBe(f.length - 14);
      expect(checksum(f, 14, 20)).toBe(0);
      expect(verifyL4Checksum(f, 14)).toBe(true);
      expect(d.tcp!.seq).toBe((0xfffff000 + at) >>> 0);
      expect((d.tcp!.flags & TCP_FLAG.PSH) !== 0).toBe(i === 6); // PSH only on the last frame
      expect(d.tcp!.options).toEqual(expect.arrayContaining([expect.objectContaining({ tsval: 111, tsecr: 222 })]));
      expect(f.subarray(d.payloadOffset)).toEqual(payload.subarray(at, at + d.payloadLength));
      at += d.payloadLength;
    });
    expect(at).toBe(10_000);
  });

  it('refuses a super-segment past the 64 KB IP limit', () => {
    const sup = new Uint8Array(66 + 70_000);
    sup.set(frame().ipv4({}).tcp({}).build());
    const nic = new TsoNic(2048, () => {});
    expect(() => nic.transmit(sup, 14, 34, 70_000, 1448)).toThrow(/64 KB/);
  });

  it('cuts an IPv6 super-segment: payload length per frame, the IPv6 pseudo-header in every checksum', () => {
    const payload = Uint8Array.from({ length: 3000 }, (_, i) => (i * 5 + 1) & 0xff);
    const sup = frame()
      .ipv6({ src: '2001:db8::1', dst: '2001:db8::2' })
      .tcp({ seq: 1, flags: 'AP', ts: [3, 4] })
      .payload(payload)
      .build();
    const out: Uint8Array[] = [];
    new TsoNic(128 + 1428, (f, n) => out.push(f.slice(0, n))).transmit(sup, 14, 54, 3000, 1428);
    expect(out.map((f) => f.length)).toEqual([86 + 1428, 86 + 1428, 86 + 144]);
    for (const f of out) {
      const d = decodeFrame(f);
      if (d instanceof WireError) throw d;
      expect(d.ipv6!.payloadLength).toBe(f.length - 54);
      expect(verifyL4Checksum(f, 14)).toBe(true);
    }
  });
});
