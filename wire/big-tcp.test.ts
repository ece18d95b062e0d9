// BIG TCP lengths: an IP length field of 0 on a packet past 64 KB means "as long as the packet" (Linux GRO
// and TSO); on anything shorter it stays a bad length. Both parsers (layoutFrame, decodeFrame) agree.
import { describe, expect, it } from 'vitest';
import { decodeFrame, frame, FrameLayout, layoutFrame, WireError } from './index.ts';

function big(family: 4 | 6, payload: number): Uint8Array {
  const b = frame();
  if (family === 4) b.ipv4({ src: '10.0.0.1', dst: '10.0.0.2' });
  else b.ipv6({ src: 'fd00::1', dst: 'fd00::2' });
  const f = b.tcp({ sport: 1, dport: 2, seq: 7, flags: 'A' }).payload(new Uint8Array(payload)).build();
  // the length field as GRO writes it past 64 KB (the builder wrote the low 16 bits)
  f[family === 4 ? 16 : 18] = 0;
  f[family === 4 ? 17 : 19] = 0;
  return f;
}

describe('BIG TCP length convention', () => {
  for (const family of [4, 6] as const) {
    it(`IPv${family}: length field 0 on a packet past 64 KB reads as the packet's length`, () => {
      const f = big(family, 70_000);
      const d = decodeFrame(f);
      if (d instanceof WireError) throw d;
      expect([d.tcp?.seq, d.payloadLength]).toEqual([7, 70_000]);
      const L = layoutFrame(f, 0, f.length, new FrameLayout());
      expect([L.refusal, L.ipEnd, L.payloadLen]).toEqual([null, f.length, 70_000]);
    });

    it(`IPv${family}: length field 0 on a packet that fits 16 bits stays a bad length`, () => {
      const f = big(family, 1000);
      expect(layoutFrame(f, 0, f.length, new FrameLayout()).refusal).not.toBeNull();
      if (family === 4) expect(decodeFrame(f)).toBeInstanceOf(WireError);
    });
  }
});
