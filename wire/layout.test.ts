import { describe, expect, it } from 'vitest';
import { FrameLayout, LAYOUT_REFUSALS, layoutFrame } from './layout.ts';
import { frame } from './builder.ts';
import { ETHERTYPE, IPPROTO, MAX_VLAN_TAGS } from './constants.ts';
import { formatIpv6, parseIpv6 } from './address.ts';
import { decodeFrame } from './decode.ts';
import { WireError } from './error.ts';
import { hex, LITERAL } from '../test/support/wire.ts';

const L = new FrameLayout();

describe('layoutFrame', () => {
  it('a timestamped IPv4/TCP literal', () => {
    const f = hex(LITERAL.tcpPsh);
    layoutFrame(f, 0, f.length, L);
    expect([
      L.l3,
      L.ipVersion,
      L.ipHdrLen,
      L.ipEnd,
      L.l4Proto,
      L.l4,
      L.l4HdrLen,
      L.sport,
      L.dport,
      L.tsOff,
      L.payload,
      L.payloadLen,
      L.refusal,
    ]).toEqual([14, 4, 20, 70, IPPROTO.TCP, 34, 32, 40000, 5001, 56, 66, 4, null]);
    expect([L.saddr, L.daddr, L.srcOff, L.addrLen, L.fragment]).toEqual([0x0a000001, 0x0a000002, 26, 4, false]);
  });

  it('IPv6/TCP behind hop-by-hop, routing, destination options and an atomic fragment header', () => {
    const f = frame()
      .vlan(9)
      .ipv6({
        src: '2001:db8::1',
        dst: 'fd00::2',
        ext: [
          { kind: 'hopByHop' },
          { kind: 'routing', length: 24 },
          { kind: 'destination', length: 16 },
          { kind: 'fragment' },
        ],
      })
      .tcp({ sport: 1, dport: 2, ts: [5, 6] })
      .payload(100)
      .build();
    layoutFrame(f, 0, f.length, L);
    const l3 = 18,
      ext = 8 + 24 + 16 + 8;
    expect([
      L.vlanCount,
      L.etherType,
      L.l3,
      L.ipVersion,
      L.ipHdrLen,
      L.l4Proto,
      L.l4,
      L.l4HdrLen,
      L.fragment,
      L.payloadLen,
      L.refusal,
    ]).toEqual([1, ETHERTYPE.IPV6, l3, 6, 40 + ext, IPPROTO.TCP, l3 + 40 + ext, 32, false, 100, null]);
    expect(formatIpv6(f, L.srcOff)).toBe('2001:db8::1');
    expect(f[L.tsOff]).toBe(8);
  });

  it('a non-first IPv6 fragment: the protocol is known, its bytes are not a header', () => {
    const f = frame()
      .ipv6({ ext: [{ kind: 'fragment', offset: 1448, more: true }] })
      .tcp()
      .payload(64)
      .build();
    layoutFrame(f, 0, f.length, L);
    expect([L.fragment, L.fragOffset, L.l4Proto, L.l4, L.l4HdrLen, L.payload, L.refusal]).toEqual([
      true,
      1448,
      IPPROTO.TCP,
      62,
      0,
      62,
      null,
    ]);
  });

  it('names each refusal', () => {
    const cases: [Uint8Array, string][] = [
      [new Uint8Array(13), 'runt'],
      [
        frame()
          .ipv6({ ext: [{ kind: 'routing' }, { kind: 'hopByHop' }] })
          .tcp()
          .build(),
        'ipv6_hop_by_hop_not_first',
      ],
      [
        frame()
          .ipv6({ ext: Array.from({ length: 9 }, () => ({ kind: 'destination' as const })) })
          .udp()
          .build(),
        'ipv6_too_many_ext_headers',
      ],
      [frame().ipv6({ payloadLength: 2000 }).tcp().build(), 'ipv6_payload_length_past_frame'],
      [
        frame()
          .ipv6({ ext: [{ kind: 'routing', length: 16 }], payloadLength: 8 })
          .build(),
        'ipv6_ext_header_truncated',
      ],
      [frame().ipv4({ version: 6 }).tcp().build(), 'ipv4_version'],
      [
        frame()
          .tcp({ options: Uint8Array.of(8, 9) })
          .build(),
        'tcp_option',
      ],
      [frame().udp({ length: 3 }).build(), 'udp_length_short'],
    ];
    for (const [f, why] of cases) {
      expect(layoutFrame(f, 0, f.length, L).refusal, why).toBe(why);
      expect(decodeFrame(f), why).toBeInstanceOf(WireError);
    }
    expect(LAYOUT_REFUSALS).toContain('vlan_too_many');
  });

  it(`stacks up to ${MAX_VLAN_TAGS} tags; one more is refused by both decoders`, () => {
    const tagged = (n: number): Uint8Array => {
      const b = frame();
      for (let i = 0; i < n; i++) b.vlan(i + 1);
      return b.udp().build();
    };
    expect(layoutFrame(tagged(MAX_VLAN_TAGS), 0, 200, L).refusal).toBe(null);
    expect(L.vlanCount).toBe(MAX_VLAN_TAGS);
    const f = tagged(MAX_VLAN_TAGS + 1);
    expect([layoutFrame(f, 0, f.length, L).refusal, L.refusalAt]).toEqual(['vlan_too_many', 12 + 4 * MAX_VLAN_TAGS]);
    expect((decodeFrame(f) as WireError).message).toBe(
      `vlan tags at byte ${12 + 4 * MAX_VLAN_TAGS}: more than ${MAX_VLAN_TAGS} stacked tags`,
    );
  });
});

describe('IPv6 addresses', () => {
  it('RFC 5952 text forms round-trip', () => {
    for (const [text, canon] of [
      ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
      ['::', '::'],
      ['::1', '::1'],
      ['fe80::', 'fe80::'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
      ['::ffff:10.0.0.1', '::ffff:a00:1'],
    ] as const) {
      expect(formatIpv6(parseIpv6(text))).toBe(canon);
    }
    for (const bad of ['1::2::3', '12345::', '1:2:3:4:5:6:7', 'g::', '1:2:3:4:5:6:7:8:9'])
      expect(() => parseIpv6(bad)).toThrow(`not an IPv6 address: "${bad}"`);
  });
});
