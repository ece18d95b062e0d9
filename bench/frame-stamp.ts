// The benchmarks replay rings of prebuilt frames: this turns a slot into the next segment of its flow
// by rewriting TCP seq and IP ID in place and patching both checksums (RFC 1624) from the values the
// frame was built with (seq 0, IP ID 0).
import { incrementalUpdate16, incrementalUpdate32 } from '../wire/checksum.ts';

/** Offsets of the IPv4 and TCP headers in an untagged Ethernet frame. */
export const IP = 14,
  TCPH = 34;

/** The IPv4 and TCP checksum fields of a frame as built. */
export function builtChecksums(fr: Uint8Array): { ip: number; tcp: number } {
  return { ip: (fr[IP + 10]! << 8) | fr[IP + 11]!, tcp: (fr[TCPH + 16]! << 8) | fr[TCPH + 17]! };
}

/** Writes `seq` and `id` into frame `b` (built with seq 0, ID 0 and checksums `tcpCsum0`, `ipCsum0`). */
export function stampSeqAndId(b: Uint8Array, seq: number, id: number, tcpCsum0: number, ipCsum0: number): void {
  b[TCPH + 4] = seq >>> 24;
  b[TCPH + 5] = seq >>> 16;
  b[TCPH + 6] = seq >>> 8;
  b[TCPH + 7] = seq;
  const tc = incrementalUpdate32(tcpCsum0, 0, seq);
  b[TCPH + 16] = tc >>> 8;
  b[TCPH + 17] = tc;
  b[IP + 4] = id >>> 8;
  b[IP + 5] = id;
  const ic = incrementalUpdate16(ipCsum0, 0, id);
  b[IP + 10] = ic >>> 8;
  b[IP + 11] = ic;
}
