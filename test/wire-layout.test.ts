// The fast frame layout (wire/layout.ts) held against the checked decoder (wire/decode.ts) on random and hostile
// frames: the same offsets and fields for every frame the decoder accepts, and a refusal at the same byte for every
// frame it rejects. The frames come from fuzz/'s generators (hostile IPv4 kinds, valid flows, IPv6 chains) and
// from raw random bytes; each is laid out at a random offset inside a larger buffer.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decodeFrame,
  layoutFrame,
  layoutPacket,
  frame,
  FrameLayout,
  WireError,
  parseIpv4,
  tcpOptionLength,
  TCPOPT,
  ETHERTYPE,
  type DecodedFrame,
} from '../wire/index.ts';
import { HOSTILE_KINDS, hostileFrame, ipv6Frame, validFlows } from '../fuzz/index.ts';
import { Prng } from '../sim/prng.ts';

/** What the layout must say for a frame the checked decoder accepted. */
function expectedLayout(d: DecodedFrame, len: number): Partial<FrameLayout> {
  const tag = d.vlans[0];
  const ipv4 = d.ipv4,
    ipv6 = d.ipv6,
    tcp = d.tcp;
  let tsOff = -1;
  if (tcp !== undefined && d.l4Offset !== undefined) {
    let at = d.l4Offset + 20;
    for (const o of tcp.options) {
      if (o.kind === 'timestamp') tsOff = at;
      if (o.kind === 'eol') break;
      at += tcpOptionLength(o);
    }
  }
  return {
    len,
    vlanCount: d.vlans.length,
    outerTpid: tag?.tpid ?? 0,
    outerTci: tag === undefined ? 0 : (tag.pcp << 13) | (tag.dei ? 0x1000 : 0) | tag.vid,
    etherType: d.innerType,
    l3: d.l3Offset,
    ipVersion: ipv4 !== undefined ? 4 : ipv6 !== undefined ? 6 : 0,
    ipHdrLen: ipv4 !== undefined ? ipv4.ihl * 4 : ipv6 !== undefined ? ipv6.upperOffset : 0,
    ipEnd:
      ipv4 !== undefined
        ? d.l3Offset + ipv4.totalLength
        : ipv6 !== undefined
          ? d.l3Offset + 40 + ipv6.payloadLength
          : -1,
    srcOff: ipv4 !== undefined ? d.l3Offset + 12 : ipv6 !== undefined ? d.l3Offset + 8 : -1,
    addrLen: ipv4 !== undefined ? 4 : ipv6 !== undefined ? 16 : 0,
    saddr: ipv4 !== undefined ? parseIpv4(ipv4.src) : 0,
    daddr: ipv4 !== undefined ? parseIpv4(ipv4.dst) : 0,
    fragment:
      ipv4 !== undefined
        ? ipv4.mf || ipv4.fragOffset !== 0
        : ipv6?.fragment != null && (ipv6.fragment.more || ipv6.fragment.offset !== 0),
    fragOffset: ipv4 !== undefined ? ipv4.fragOffset * 8 : (ipv6?.fragment?.offset ?? 0),
    l4Proto: ipv4?.protocol ?? ipv6?.upperProtocol ?? -1,
    l4: d.l4Offset ?? -1,
    l4HdrLen: tcp !== undefined ? tcp.dataOffset * 4 : d.udp !== undefined ? 8 : 0,
    sport: tcp?.sport ?? d.udp?.sport ?? 0,
    dport: tcp?.dport ?? d.udp?.dport ?? 0,
    tsOff,
    payload: d.payloadOffset,
    payloadLen: d.payloadLength,
    refusal: null,
    refusalAt: -1,
  };
}

const L = new FrameLayout();
function fieldsOf(l: FrameLayout): Partial<FrameLayout> {
  const { tcpOptions: _omit, ...rest } = l;
  return rest;
}

/** Lays `f` out at `at` inside a buffer filled with `junk`, and compares with decodeFrame. */
function holdsAgainstDecoder(f: Uint8Array, at: number, junk: number): void {
  const buf = new Uint8Array(at + f.length + 7).fill(junk);
  buf.set(f, at);
  layoutFrame(buf, at, f.length, L);
  const d = decodeFrame(f);
  if (d instanceof WireError) {
    expect({ refused: L.refusal !== null, at: L.refusalAt }, `${d.message} / ${L.refusal}`).toEqual({
      refused: true,
      at: d.offset,
    });
  } else {
    expect(fieldsOf(L)).toEqual(expectedLayout(d, f.length));
  }
}

const seed = fc.integer({ min: 0, max: 0x7fffffff });
const placement = fc.tuple(fc.integer({ min: 0, max: 37 }), fc.integer({ min: 0, max: 255 }));

describe('layoutFrame agrees with decodeFrame', () => {
  it('on every hostile IPv4 kind the fuzzer makes', () => {
    fc.assert(
      fc.property(seed, fc.constantFrom(...HOSTILE_KINDS), placement, (s, kind, [at, junk]) => {
        holdsAgainstDecoder(hostileFrame(new Prng(s), kind), at, junk);
      }),
      { numRuns: 3000 },
    );
  });

  it('on valid flows (tags, timestamps, partial segments)', () => {
    fc.assert(
      fc.property(seed, placement, (s, [at, junk]) => {
        for (const flow of validFlows(new Prng(s), 2, 6)) for (const f of flow.frames) holdsAgainstDecoder(f, at, junk);
      }),
      { numRuns: 200 },
    );
  });

  it('on IPv6 frames with extension headers, valid and mutated', () => {
    fc.assert(
      fc.property(seed, placement, (s, [at, junk]) => {
        holdsAgainstDecoder(ipv6Frame(new Prng(s)), at, junk);
      }),
      { numRuns: 5000 },
    );
  });

  it('on random bytes behind an IPv4, IPv6, ARP or tag EtherType', () => {
    const types = [ETHERTYPE.IPV4, ETHERTYPE.IPV6, ETHERTYPE.ARP, ETHERTYPE.VLAN, ETHERTYPE.QINQ];
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 200 }),
        fc.constantFrom(...types),
        fc.nat(15),
        placement,
        (bytes, type, version, [at, junk]) => {
          const f = bytes.slice();
          if (f.length >= 14) {
            f[12] = type >>> 8;
            f[13] = type & 0xff;
          }
          if (f.length >= 15) f[14] = (version << 4) | (f[14]! & 15);
          holdsAgainstDecoder(f, at, junk);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('on UDP length fields and TCP option bytes near their limits, over IPv4 and IPv6', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.boolean(),
        fc.nat(40),
        fc.integer({ min: -3, max: 3 }),
        fc.uint8Array({ maxLength: 40 }),
        placement,
        (v6, udp, payload, delta, opts, [at, junk]) => {
          const b = frame();
          if (v6) b.ipv6({});
          else b.ipv4({});
          if (udp) b.udp({ length: Math.max(0, 8 + payload + delta) });
          else b.tcp({ options: opts.slice(0, 40) });
          holdsAgainstDecoder(b.payload(payload).build(), at, junk);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('finds the IPv6 timestamp option and the one option walker refuses what the decoder refuses', () => {
    const r = new Prng(7);
    let withTs = 0,
      refused = 0;
    for (let i = 0; i < 2000; i++) {
      const f = ipv6Frame(r, 0.3);
      layoutFrame(f, 0, f.length, L);
      if (L.tsOff >= 0) {
        withTs++;
        expect(f[L.tsOff]).toBe(TCPOPT.TIMESTAMP);
      }
      if (L.refusal !== null) refused++;
    }
    // the generators reach both sides of the property
    expect(withTs).toBeGreaterThan(200);
    expect(refused).toBeGreaterThan(200);
  });
});

describe('layoutPacket: an IP packet with no link header in front of it', () => {
  it('lays out from the IP header what layoutFrame finds 14 bytes (one tag: 18) into the frame, offsets from the IP header', () => {
    for (const tagged of [false, true]) {
      const b = frame();
      if (tagged) b.vlan(7);
      const f = b
        .tcp({ ts: [1, 2] })
        .payload(100)
        .build();
      const whole = layoutFrame(f, 0, f.length, new FrameLayout());
      const l3 = whole.l3;
      const p = layoutPacket(f, l3, f.length - l3, ETHERTYPE.IPV4, new FrameLayout());
      expect([p.refusal, p.l3, p.isIpv4, p.isTcp, p.l4, p.l4HdrLen, p.ipEnd, p.headerLength]).toEqual([
        null,
        0,
        true,
        true,
        whole.l4 - l3,
        whole.l4HdrLen,
        whole.ipEnd - l3,
        whole.headerLength - l3,
      ]);
    }
  });

  it('refuses what is not the EtherType it was told (an IPv6 header read as IPv4), and takes any other type as payload', () => {
    const v6 = frame().ipv6({}).tcp({}).payload(10).build();
    expect(layoutPacket(v6, 14, v6.length - 14, ETHERTYPE.IPV4, new FrameLayout()).refusal).toBe('ipv4_version');
    expect(layoutPacket(v6, 14, v6.length - 14, ETHERTYPE.IPV6, new FrameLayout()).isTcp).toBe(true);
    const arp = layoutPacket(v6, 14, 28, ETHERTYPE.ARP, new FrameLayout());
    expect([arp.refusal, arp.payload, arp.payloadLen]).toEqual([null, 0, 28]);
  });
});
