// A TCP flow's identity and what its receiver must end up with: the contract between the link
// partner (which knows what it sent) and the stack's sockets (which know what arrived).

/** A 4-tuple in the receive direction; addresses as unsigned 32-bit numbers. */
export interface FlowKey {
  saddr: number;
  daddr: number;
  sport: number;
  dport: number;
}

/** What the socket of a flow must receive: `bytes` bytes starting at sequence `isn`, fingerprinted by `digest` (sim/hash.ts StreamHash). */
export interface FlowExpectation {
  key: FlowKey;
  isn: number;
  bytes: number;
  digest: string;
}

export function formatAddr(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

/** "10.0.0.1:40000>10.0.0.2:5001": the name a flow goes by in reports and JSON. */
export function flowName(k: FlowKey): string {
  return `${formatAddr(k.saddr)}:${k.sport}>${formatAddr(k.daddr)}:${k.dport}`;
}

/** A number that identifies the 4-tuple exactly, for Map keys without building strings on the hot path. */
export function flowId(saddr: number, daddr: number, sport: number, dport: number): bigint {
  return (BigInt(saddr >>> 0) << 64n) | (BigInt(daddr >>> 0) << 32n) | (BigInt(sport) << 16n) | BigInt(dport);
}
