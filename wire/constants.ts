// Field offsets and protocol numbers for every header wire/ knows. Offsets are relative to the start
// of their header; hot paths in other layers read fields with their own DataView using these names.

/** Ethernet II header: destination, source, EtherType (or the first tag's TPID). */
export const ETH = { DST: 0, SRC: 6, TYPE: 12, HLEN: 14 } as const;

/** An 802.1Q / 802.1ad tag, offsets from the tag's TPID (frame byte 12 for the outer tag). TYPE is the EtherType that follows the tag. */
export const VLAN = { TPID: 0, TCI: 2, TYPE: 4, HLEN: 4 } as const;

/** IPv4 header (RFC 791). HLEN is the size without options. */
export const IPV4 = {
  VER_IHL: 0,
  TOS: 1,
  TOT_LEN: 2,
  ID: 4,
  FRAG: 6,
  TTL: 8,
  PROTO: 9,
  CSUM: 10,
  SRC: 12,
  DST: 16,
  HLEN: 20,
} as const;

/** Bits of the IPv4 flags/fragment-offset word (the offset counts 8-byte units). */
export const IPV4_FRAG = { RESERVED: 0x8000, DF: 0x4000, MF: 0x2000, OFFSET_MASK: 0x1fff } as const;

/** TCP header (RFC 9293). HLEN is the size without options; DOFF holds the data offset in its high nibble. */
export const TCP = {
  SPORT: 0,
  DPORT: 2,
  SEQ: 4,
  ACK: 8,
  DOFF: 12,
  FLAGS: 13,
  WINDOW: 14,
  CSUM: 16,
  URP: 18,
  HLEN: 20,
} as const;

/** UDP header (RFC 768). */
export const UDP = { SPORT: 0, DPORT: 2, LEN: 4, CSUM: 6, HLEN: 8 } as const;

/** ICMP echo (RFC 792): the 8-byte header before the data. */
export const ICMP = { TYPE: 0, CODE: 1, CSUM: 2, ID: 4, SEQ: 6, HLEN: 8 } as const;

/** ARP for Ethernet/IPv4 (RFC 826); HLEN is the whole 28-byte packet. */
export const ARP = {
  HTYPE: 0,
  PTYPE: 2,
  HLEN_FIELD: 4,
  PLEN_FIELD: 5,
  OPER: 6,
  SHA: 8,
  SPA: 14,
  THA: 18,
  TPA: 24,
  HLEN: 28,
} as const;

/** ARP opcodes. */
export const ARPOP = { REQUEST: 1, REPLY: 2 } as const;

/** The TCP flag bits of byte TCP.FLAGS. */
export const TCP_FLAG = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32, ECE: 64, CWR: 128 } as const;

/** TCP option kinds. */
export const TCPOPT = { EOL: 0, NOP: 1, MSS: 2, WSCALE: 3, SACK_PERM: 4, SACK: 5, TIMESTAMP: 8 } as const;

/** The fixed total lengths (kind + length byte + data) of the TCP options that have one. */
export const TCPOLEN = { MSS: 4, WSCALE: 3, SACK_PERM: 2, TIMESTAMP: 10, SACK_BLOCK: 8 } as const;

/** The timestamp option's fields, offsets from its kind byte (FrameLayout.tsOff). */
export const TCPOPT_TS = { TSVAL: 2, TSECR: 6 } as const;

/** IPv6 fixed header (RFC 8200); HLEN is the fixed part, extension headers follow it. */
export const IPV6 = { VER_TC_FL: 0, PAYLOAD_LEN: 4, NEXT_HDR: 6, HOP_LIMIT: 7, SRC: 8, DST: 24, HLEN: 40 } as const;

/** An IPv6 extension header: next header, length (8-byte units after the first 8; AH: 4-byte units after the first 8, minus 2 words). */
export const IPV6_EXT = { NEXT_HDR: 0, LEN: 1, HLEN: 8 } as const;

/** The IPv6 fragment header (8 bytes): offset in 8-byte units in the high 13 bits of FRAG, M flag in bit 0. */
export const IPV6_FRAG = { NEXT_HDR: 0, FRAG: 2, ID: 4, HLEN: 8, OFFSET_MASK: 0xfff8, MF: 1 } as const;

export const IPPROTO = {
  HOPOPTS: 0,
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  ROUTING: 43,
  FRAGMENT: 44,
  ESP: 50,
  AH: 51,
  ICMPV6: 58,
  NONE: 59,
  DSTOPTS: 60,
} as const;

/** Most 802.1Q/802.1ad tags a frame may stack before it is refused: Linux's VLAN_MAX_DEPTH. */
export const MAX_VLAN_TAGS = 8;

/** Most IPv6 extension headers walked before the upper-layer header must appear (RFC 8200's recommended order has at most 7). */
export const MAX_IPV6_EXT_HEADERS = 8;

export const ETHERTYPE = { IPV4: 0x0800, ARP: 0x0806, VLAN: 0x8100, QINQ: 0x88a8, IPV6: 0x86dd } as const;

/** True for the TPIDs that announce a VLAN tag (802.1Q 0x8100, 802.1ad 0x88a8). */
export function isVlanTpid(type: number): boolean {
  return type === ETHERTYPE.VLAN || type === ETHERTYPE.QINQ;
}
