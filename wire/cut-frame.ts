// Rebuilding a frame a capture cut short (tcpdump -s 128): the bytes past the snap length are made up
// so the frame has its wire length again and the headers as captured still verify. The made-up
// payload is zeros except one 16-bit word, placed in the made-up part at an even offset from the L4
// header, whose value brings the TCP or UDP checksum (as captured) to a valid sum. Nothing that was
// captured changes: a checksum that was wrong where its bytes are present stays wrong.

import { fold, ipv6PseudoHeaderSum, pseudoHeaderSum, sumBytes } from './checksum.ts';
import { IPPROTO, UDP } from './constants.ts';
import { type FrameLayout, layoutFrame } from './layout.ts';

/** What rebuilding did: 'verifies' — the L4 checksum as captured now holds over the made-up payload; 'unverifiable' — zeros only (the cut fell inside a header, the packet is a fragment or not TCP/UDP, or no word fits). */
export type CutFrameRebuild = 'verifies' | 'unverifiable';

/**
 * Extends `frame[0, captured)` to `wireLen` bytes in place (`frame` must hold `wireLen`): zeros, then
 * one compensating word so the captured L4 checksum verifies. `L` is reused scratch.
 */
export function rebuildCutFrame(frame: Uint8Array, captured: number, wireLen: number, L: FrameLayout): CutFrameRebuild {
  frame.fill(0, captured, wireLen);
  layoutFrame(frame, 0, wireLen, L);
  if (L.ipVersion === 0 || L.fragment || L.l4 < 0 || L.l4HdrLen === 0) return 'unverifiable';
  const proto = L.l4Proto;
  if (proto !== IPPROTO.TCP && proto !== IPPROTO.UDP) return 'unverifiable';
  const l4 = L.l4,
    end = L.ipEnd;
  if (captured < l4 + L.l4HdrLen || captured >= end) return 'unverifiable';
  // UDP with checksum 0: none was computed, nothing to keep valid
  if (proto === IPPROTO.UDP && frame[l4 + UDP.CSUM] === 0 && frame[l4 + UDP.CSUM + 1] === 0) return 'verifies';
  const at = captured + ((captured - l4) & 1);
  if (at + 2 > end) return 'unverifiable';
  const l4Len = end - l4;
  const pseudo =
    L.ipVersion === 4
      ? pseudoHeaderSum(frame, L.srcOff, L.srcOff + 4, proto, l4Len)
      : ipv6PseudoHeaderSum(frame, L.srcOff, L.srcOff + 16, proto, l4Len);
  const sum = fold(pseudo + sumBytes(frame, l4, l4Len));
  const word = 0xffff - sum;
  frame[at] = word >>> 8;
  frame[at + 1] = word & 0xff;
  return 'verifies';
}
