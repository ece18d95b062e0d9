// Rebuilding frames a capture cut short: the captured bytes stay, the rest is made up so the L4
// checksum as captured verifies (checked by summing the whole rebuilt segment, the receiver's way).
import { describe, expect, it } from 'vitest';
import { frame } from './builder.ts';
import { FrameLayout, layoutFrame } from './layout.ts';
import { rebuildCutFrame } from './cut-frame.ts';
import { fold, ipv6PseudoHeaderSum, pseudoHeaderSum, sumBytes } from './checksum.ts';

/** True when the TCP/UDP checksum of the frame verifies (the sum over pseudo-header and segment is 0xffff). */
function l4Verifies(b: Uint8Array): boolean {
  const L = layoutFrame(b, 0, b.length, new FrameLayout());
  const len = L.ipEnd - L.l4;
  const pseudo =
    L.ipVersion === 4
      ? pseudoHeaderSum(b, L.srcOff, L.srcOff + 4, L.l4Proto, len)
      : ipv6PseudoHeaderSum(b, L.srcOff, L.srcOff + 16, L.l4Proto, len);
  return fold(pseudo + sumBytes(b, L.l4, len)) === 0xffff;
}

function cut(whole: Uint8Array, snap: number): Uint8Array {
  const b = new Uint8Array(whole.length);
  b.set(whole.subarray(0, snap));
  return b;
}

const payload = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);

describe('rebuildCutFrame', () => {
  it.each([128, 96, 97, 68, 1512])('a TCP/IPv4 frame cut at %i: captured bytes kept, checksum verifies', (snap) => {
    const whole = frame()
      .eth({})
      .ipv4({ src: '10.77.0.1', dst: '10.77.0.2' })
      .tcp({ sport: 5, dport: 6, seq: 9, flags: 'A', ts: [1, 2] })
      .payload(payload(1448))
      .build();
    const b = cut(whole, snap);
    expect(rebuildCutFrame(b, snap, whole.length, new FrameLayout())).toBe('verifies');
    expect(b.subarray(0, snap)).toEqual(whole.subarray(0, snap));
    expect(l4Verifies(b)).toBe(true);
    // made up: zeros but for one word
    const madeUp = [...b.subarray(snap)].filter((x) => x !== 0).length;
    expect(madeUp).toBeLessThanOrEqual(2);
  });

  it('tagged TCP/IPv6 and UDP with a checksum verify too', () => {
    const v6 = frame()
      .eth({})
      .vlan(5)
      .ipv6({ src: '2001:db8::1', dst: '2001:db8::2' })
      .tcp({ sport: 1, dport: 2, seq: 3, flags: 'A' })
      .payload(payload(900))
      .build();
    const b6 = cut(v6, 128);
    expect(rebuildCutFrame(b6, 128, v6.length, new FrameLayout())).toBe('verifies');
    expect(l4Verifies(b6)).toBe(true);
    const udp = frame()
      .eth({})
      .ipv4({ src: '10.0.0.1', dst: '10.0.0.2' })
      .udp({ sport: 53, dport: 5353 })
      .payload(payload(500))
      .build();
    const bu = cut(udp, 100);
    expect(rebuildCutFrame(bu, 100, udp.length, new FrameLayout())).toBe('verifies');
    expect(l4Verifies(bu)).toBe(true);
  });

  it('a wrong checksum where the bytes are present stays wrong; a cut inside the TCP header is unverifiable', () => {
    const whole = frame()
      .eth({})
      .ipv4({ src: '10.77.0.1', dst: '10.77.0.2' })
      .tcp({ sport: 5, dport: 6, seq: 9, flags: 'A' })
      .payload(payload(600))
      .build();
    const inHeader = cut(whole, 40);
    expect(rebuildCutFrame(inHeader, 40, whole.length, new FrameLayout())).toBe('unverifiable');
    expect([...inHeader.subarray(40)].every((x) => x === 0)).toBe(true);
    const full = whole.slice();
    full[whole.length - 1] = full[whole.length - 1]! ^ 1;
    expect(l4Verifies(full)).toBe(false); // an uncut frame is never touched by a replay
    const oneShort = cut(whole, whole.length - 1);
    expect(rebuildCutFrame(oneShort, whole.length - 1, whole.length, new FrameLayout())).toBe('unverifiable'); // no room for a word
  });
});
