// The benchmarks replay rings of prebuilt frames: this turns a slot into the next segment of its flow
// by rewriting TCP seq and IP ID in place and patching both checksums (RFC 1624) from the values the
// frame was built with (seq 0, IP ID 0).
import { r16, w16, w32 } from '../wire/bytes.ts';
import { fold32 } from '../wire/checksum.ts';

/** Offsets of the IPv4 and TCP headers in an untagged Ethernet frame. */
export const IP = 14,
  TCPH = 34;

/** The IPv4 and TCP checksum fields of a frame as built. */
export function builtChecksums(fr: Uint8Array): { ip: number; tcp: number } {
  return { ip: r16(fr, IP + 10), tcp: r16(fr, TCPH + 16) };
}

/** RFC 1624 eqn. 3 for a 16-bit word that was 0 (~0 is 0xffff): wire's incrementalUpdate16(check, 0, word),
 *  whose general-purpose fold loop two end-around carries replace (the sum stays below 2^18). */
function fromZero16(check: number, word: number): number {
  return ~fold32((~check & 0xffff) + 0xffff + word) & 0xffff;
}

/** Writes `seq` and `id` into frame `b` (built with seq 0, ID 0 and checksums `tcpCsum0`, `ipCsum0`). */
export function stampSeqAndId(b: Uint8Array, seq: number, id: number, tcpCsum0: number, ipCsum0: number): void {
  w32(b, TCPH + 4, seq);
  w16(b, TCPH + 16, fromZero16(fromZero16(tcpCsum0, seq >>> 16), seq & 0xffff));
  w16(b, IP + 4, id);
  w16(b, IP + 10, fromZero16(ipCsum0, id));
}
