import { describe, it, expect } from 'vitest';
import { formatFrame, formatTcpFlags } from './format.ts';
import { frame } from './builder.ts';
import { hex, LITERAL } from '../test/support/wire.ts';

const MACS = '02:00:00:00:00:01 > 02:00:00:00:00:02';

describe('formatFrame', () => {
  it("TCP data with a VLAN tag (the brief's example)", () => {
    const f = frame()
      .vlan(100)
      .tcp({ flags: 'PA', seq: 1000, ack: 1, ts: [1, 2] })
      .payload(1448)
      .build();
    expect(formatFrame(f)).toBe(
      `${MACS}, vlan 100, 10.0.0.1.40000 > 10.0.0.2.5001: Flags [P.], seq 1000:2448, ack 1, win 65535, options [nop,nop,TS val 1 ecr 2], length 1448`,
    );
  });

  it('literal frames', () => {
    expect(formatFrame(hex(LITERAL.tcpPsh))).toBe(
      `${MACS}, 10.0.0.1.40000 > 10.0.0.2.5001: Flags [P.], seq 1000:1004, ack 1, win 65535, options [nop,nop,TS val 1 ecr 2], length 4`,
    );
    expect(formatFrame(hex(LITERAL.udpVlan))).toBe(`${MACS}, vlan 100 p 3, 10.0.0.1.1234 > 10.0.0.2.53: UDP, length 5`);
    expect(formatFrame(hex(LITERAL.syn))).toBe(
      `${MACS}, 10.0.0.1.40000 > 10.0.0.2.5001: Flags [S], seq 16909060, win 64240, options [mss 1460,sackOK,TS val 5 ecr 0,nop,wscale 7], length 0`,
    );
    expect(formatFrame(hex(LITERAL.arpReply))).toBe(
      '02:00:00:00:00:02 > 02:00:00:00:00:01, ARP, Reply 10.0.0.2 is-at 02:00:00:00:00:02, length 28',
    );
  });

  it('pure ACK omits seq; SYN-ACK, FIN, RST, URG, ECE, CWR; sack and unknown options; seq wraps', () => {
    expect(formatFrame(frame().tcp({ ack: 5 }).build())).toBe(
      `${MACS}, 10.0.0.1.40000 > 10.0.0.2.5001: Flags [.], ack 5, win 65535, length 0`,
    );
    expect(
      formatFrame(
        frame()
          .tcp({
            flags: 'SA',
            seq: 7,
            ack: 9,
            options: [
              {
                kind: 'sack',
                blocks: [
                  [1, 2],
                  [3, 4],
                ],
              },
              { kind: 'unknown', type: 30, data: Uint8Array.of(0xab, 0xcd) },
              { kind: 'eol' },
            ],
          })
          .build(),
      ),
    ).toBe(
      `${MACS}, 10.0.0.1.40000 > 10.0.0.2.5001: Flags [S.], seq 7, ack 9, win 65535, options [sack 2 {1:2}{3:4},unknown-30 0xabcd,eol], length 0`,
    );
    expect(formatFrame(frame().tcp({ flags: 'FA', seq: 0xfffffffe }).payload(4).build())).toBe(
      `${MACS}, 10.0.0.1.40000 > 10.0.0.2.5001: Flags [F.], seq 4294967294:2, ack 0, win 65535, length 4`,
    );
    expect(formatFrame(frame().tcp({ flags: 'R', seq: 3 }).build())).toBe(
      `${MACS}, 10.0.0.1.40000 > 10.0.0.2.5001: Flags [R], seq 3, win 65535, length 0`,
    );
    expect(formatFrame(frame().tcp({ flags: 'UAEW', urgent: 2 }).build())).toBe(
      `${MACS}, 10.0.0.1.40000 > 10.0.0.2.5001: Flags [.UEW], ack 0, win 65535, urg 2, length 0`,
    );
    expect(formatTcpFlags(0)).toBe('none');
    expect(formatTcpFlags(0x12)).toBe('S.');
  });

  it('QinQ, ARP request, unknown EtherType, IPv6, ICMP, other protocols, fragments', () => {
    expect(formatFrame(frame().vlan({ vid: 10, tpid: 0x88a8 }).vlan({ vid: 20, dei: true }).udp().build())).toBe(
      `${MACS}, vlan 10 (802.1ad), vlan 20 DEI, 10.0.0.1.40000 > 10.0.0.2.5001: UDP, length 0`,
    );
    expect(formatFrame(frame().eth({ dst: 'ff:ff:ff:ff:ff:ff' }).arp().pad(60).build())).toBe(
      '02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28',
    );
    expect(formatFrame(frame().eth({ type: 0x88cc }).payload(46).build())).toBe(`${MACS}, ethertype 0x88cc, length 46`);
    // an IPv6 EtherType is decoded as IPv6 (the pattern bytes 00 01 02 … give version 0)
    expect(formatFrame(frame().eth({ type: 0x86dd }).payload(40).build())).toBe(
      `${MACS}, [malformed: ipv6 version at byte 14: 0, must be 6]`,
    );
    expect(formatFrame(frame().ipv4({ protocol: 1 }).payload(64).build())).toBe(
      `${MACS}, 10.0.0.1 > 10.0.0.2: ICMP, length 64`,
    );
    expect(formatFrame(frame().ipv4({ protocol: 47 }).payload(8).build())).toBe(
      `${MACS}, 10.0.0.1 > 10.0.0.2: ip-proto-47 8`,
    );
    expect(formatFrame(frame().ipv4({ protocol: 6, fragOffset: 185, mf: true, id: 9 }).payload(100).build())).toBe(
      `${MACS}, 10.0.0.1 > 10.0.0.2: frag (id 9, offset 1480, more, proto 6), length 100`,
    );
  });

  it('IPv6: TCP and UDP behind extension headers, fragments, ICMPv6 (checksums Good in tshark: checked by hand)', () => {
    expect(
      formatFrame(
        frame()
          .ipv6({ src: '2001:db8::1', dst: 'fd00::2' })
          .tcp({ flags: 'PA', seq: 1000, ack: 1, ts: [1, 2] })
          .payload(100)
          .build(),
      ),
    ).toBe(
      `${MACS}, 2001:db8::1.40000 > fd00::2.5001: Flags [P.], seq 1000:1100, ack 1, win 65535, options [nop,nop,TS val 1 ecr 2], length 100`,
    );
    expect(
      formatFrame(
        frame()
          .vlan(7)
          .ipv6({ ext: [{ kind: 'hopByHop' }, { kind: 'destination' }] })
          .udp({ sport: 53, dport: 5353 })
          .payload(12)
          .build(),
      ),
    ).toBe(`${MACS}, vlan 7, fd00::1.53 > fd00::2.5353: UDP, length 12`);
    expect(
      formatFrame(
        frame()
          .ipv6({ ext: [{ kind: 'fragment', offset: 1448, more: true, id: 77 }] })
          .tcp()
          .payload(64)
          .build(),
      ),
    ).toBe(`${MACS}, fd00::1 > fd00::2: frag (offset 1448, more, id 77, proto 6), length 84`);
    expect(formatFrame(frame().ipv6({ nextHeader: 58 }).payload(24).build())).toBe(
      `${MACS}, fd00::1 > fd00::2: ICMP6, length 24`,
    );
    expect(formatFrame(frame().ipv6({ payloadLength: 99 }).tcp().build())).toBe(
      `${MACS}, [malformed: ipv6 payloadLength at byte 18: 99 (139 bytes with the header) is larger than the 60 bytes available]`,
    );
  });

  it('describes malformed frames instead of throwing', () => {
    expect(formatFrame(new Uint8Array(6))).toBe('[malformed: ethernet header at byte 0: truncated: 6 bytes, need 14]');
    expect(formatFrame(frame().tcp({ dataOffset: 3 }).build())).toBe(
      `${MACS}, 10.0.0.1 > 10.0.0.2: [malformed: tcp dataOffset at byte 46: 3 is below the minimum 5]`,
    );
    expect(formatFrame(frame().ipv4({ totalLength: 999 }).build())).toBe(
      `${MACS}, [malformed: ipv4 totalLength at byte 16: 999 is larger than the 20 bytes available]`,
    );
    expect(formatFrame(frame().vlan(3).build(), 16)).toBe(
      `${MACS}, [malformed: vlan header at byte 12: truncated: 4 bytes, need 6 (tag and inner type)]`,
    );
    expect(formatFrame(frame().udp({ length: 4 }).build())).toBe(
      `${MACS}, 10.0.0.1 > 10.0.0.2: [malformed: udp length at byte 38: 4 is below the minimum 8]`,
    );
    expect(
      formatFrame(
        frame()
          .tcp({ options: Uint8Array.of(8, 0) })
          .build(),
      ),
    ).toBe(`${MACS}, 10.0.0.1 > 10.0.0.2: [malformed: tcp option 8 length at byte 55: 0 is below the minimum 2]`);
  });
});
