// Helpers shared by the wire/ tests.

export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  return Uint8Array.from(clean.match(/../g) ?? [], (x) => parseInt(x, 16));
}

export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** RFC 1071 the slow way (end-around carry after every word), independent of checksum.ts. */
export function refChecksum(parts: Uint8Array[]): number {
  const all: number[] = [];
  for (const p of parts) all.push(...p);
  let s = 0;
  for (let i = 0; i < all.length; i += 2) {
    s += (all[i]! << 8) | (all[i + 1] ?? 0);
    if (s > 0xffff) s = (s & 0xffff) + 1;
  }
  return ~s & 0xffff;
}

/** The IPv4 pseudo-header as bytes. */
export function pseudoHeader(ipHeader: Uint8Array, proto: number, l4Len: number): Uint8Array {
  return Uint8Array.of(...ipHeader.subarray(12, 20), 0, proto, l4Len >>> 8, l4Len & 0xff);
}

/**
 * Literal frames, bytes assembled by hand (struct.pack) with checksums computed by a separate
 * program, and checked Good by tshark (see tshark.test.ts).
 */
export const LITERAL = {
  /** 10.0.0.1.40000 > 10.0.0.2.5001 PSH|ACK seq 1000 ack 1 win 65535, NOP NOP TS 1 2, id 0x1234, DF, payload 00 01 02 03 */
  tcpPsh:
    '020000000002 020000000001 0800 45000038 12344000 4006148a 0a000001 0a000002' +
    ' 9c401389 000003e8 00000001 8018ffff acf50000 0101080a 00000001 00000002 00010203',
  /** vlan 100 pcp 3; 10.0.0.1.1234 > 10.0.0.2.53 UDP "hello", id 7, ttl 63, no DF */
  udpVlan:
    '020000000002 020000000001 8100 6064 0800 45000021 00070000 3f1167c3 0a000001 0a000002' +
    ' 04d20035 000da2f8 68656c6c6f',
  /** SYN seq 0x01020304 win 64240, options mss 1460, sackOK, TS 5 0, nop, wscale 7 */
  syn:
    '020000000002 020000000001 0800 4500003c 00004000 400626ba 0a000001 0a000002' +
    ' 9c401389 01020304 00000000 a002faf0 85380000 020405b4 0402080a 00000005 00000000 01030307',
  /** ARP reply 10.0.0.2 is-at 02:00:00:00:00:02 to 10.0.0.1, padded to 60 bytes */
  arpReply:
    '020000000001 020000000002 0806 0001 0800 06 04 0002 020000000002 0a000002 020000000001 0a000001' +
    ' 000000000000000000000000000000000000',
} as const;
