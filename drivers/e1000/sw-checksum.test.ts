import { describe, expect, it } from 'vitest';
import { TcpChecksumVerifier } from './sw-checksum.ts';
import { SkBuff, ethTypeTrans } from '../../stack/skb.ts';
import { frame } from '../../wire/builder.ts';
import { CSUM_BAD, CSUM_GOOD, CSUM_NONE } from '../rx-queue.ts';

/** The frame as the e1000 driver hands it over: after eth_type_trans, linear, or with its bytes past `head` in a page fragment. */
function skbOf(f: Uint8Array, head = f.length): SkBuff {
  const skb = new SkBuff().setLinear(f, 0, head);
  if (head < f.length) skb.addFrag(f, head, f.length - head);
  ethTypeTrans(skb);
  return skb;
}

const v4 = (): Uint8Array => frame().tcp({ seq: 1, ts: [1, 2] }).payload(301).build();
const v6 = (): Uint8Array =>
  frame()
    .ipv6({ ext: [{ kind: 'hopByHop' }] })
    .tcp({ seq: 1, ts: [1, 2] })
    .payload(301)
    .build();
const v6Tagged = (): Uint8Array => frame().vlan(5).ipv6().tcp({ seq: 1 }).payload(40).build();

describe('the e1000 software checksum', () => {
  it('verifies TCP over IPv4 and IPv6 (extension headers, an in-band tag, headers split across a page fragment)', () => {
    const v = new TcpChecksumVerifier();
    for (const [f, ipLen] of [
      [v4(), 20 + 32 + 301],
      [v6(), 40 + 8 + 32 + 301],
      [v6Tagged(), 40 + 20 + 40],
    ] as const) {
      for (const head of [f.length, 64, 30]) {
        expect(v.verify(skbOf(f, head))).toBe(CSUM_GOOD);
        expect(v.bytes).toBe(ipLen);
        const bad = f.slice();
        bad[bad.length - 7]! ^= 0x10;
        expect(v.verify(skbOf(bad, head))).toBe(CSUM_BAD);
      }
    }
  });

  it('leaves what it does not check to the stack: UDP, fragments, not IP', () => {
    const v = new TcpChecksumVerifier();
    expect(v.verify(skbOf(frame().ipv6().udp().payload(9).build()))).toBe(CSUM_NONE);
    expect(v.verify(skbOf(frame().ipv4({ mf: true }).tcp().payload(9).build()))).toBe(CSUM_NONE);
    expect(v.verify(skbOf(frame().arp().build()))).toBe(CSUM_NONE);
    expect(v.bytes).toBe(0);
  });
});
