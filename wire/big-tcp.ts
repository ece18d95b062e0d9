// BIG TCP lengths: a packet Linux GRO builds (or TSO is handed) past 64 KB cannot say its length in the
// 16-bit IP length field, so the field says 0 and the length is the packet's own (iph_totlen for IPv4;
// IPv6 payload length 0, with no hop-by-hop jumbo option since the kernel dropped it). Only a packet
// longer than the field can hold may use the convention: a 0 with less behind it stays a bad length.

/** The most an IPv4 total length or an IPv6 payload length field can say (IP_MAX_MTU, IPV6_MAXPLEN). */
export const IP_LENGTH_FIELD_MAX = 65535;

/** The IPv4 packet's length: the total length field, or for a BIG TCP packet (field 0) the `available` bytes from its header on. */
export function ipv4PacketLength(totalLengthField: number, available: number): number {
  return totalLengthField === 0 && available > IP_LENGTH_FIELD_MAX ? available : totalLengthField;
}

/** The IPv6 payload's length: the payload length field, or for a BIG TCP packet (field 0) the `available` bytes after the fixed header. */
export function ipv6PayloadLength(payloadLengthField: number, available: number): number {
  return payloadLengthField === 0 && available > IP_LENGTH_FIELD_MAX ? available : payloadLengthField;
}
