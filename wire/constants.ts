// Field offsets and protocol numbers for every header wire/ knows. Offsets are relative to the start
// of their header; hot paths in other layers read fields with their own DataView using these names.

/** Ethernet II header: destination, source, EtherType (or the first tag's TPID). */
export const ETH = { DST: 0, SRC: 6, TYPE: 12, HLEN: 14 } as const;

/** An 802.1Q / 802.1ad tag, offsets from the tag's TPID (frame byte 12 for the outer tag). TYPE is the EtherType that follows the tag. */
export const VLAN = { TPID: 0, TCI: 2, TYPE: 4, HLEN: 4 } as const;

/** IPv4 header (RFC 791). HLEN is the size without options. */
export const IPV4 = { VER_IHL: 0, TOS: 1, TOT_LEN: 2, ID: 4, FRAG: 6, TTL: 8, PROTO: 9, CSUM: 10, SRC: 12, DST: 16, HLEN: 20 } as const;

/** IPv6 fixed header (RFC 8200): version/traffic class/flow label word, payload length, next header, hop limit, addresses. */
export const IPV6 = { VER_TC_FLOW: 0, PAYLOAD_LEN: 4, NEXT: 6, HOP_LIMIT: 7, SRC: 8, DST: 24, HLEN: 40 } as const;

/** IPv6 extension header numbers (RFC 8200 §4): hop-by-hop, routing, fragment, destination options. */
export const IPV6_EXT = { HOPOPTS: 0, ROUTING: 43, FRAGMENT: 44, DSTOPTS: 60 } as const;

/** Bits of the IPv4 flags/fragment-offset word (the offset counts 8-byte units). */
export const IPV4_FRAG = { RESERVED: 0x8000, DF: 0x4000, MF: 0x2000, OFFSET_MASK: 0x1fff } as const;

/** TCP header (RFC 9293). HLEN is the size without options; DOFF holds the data offset in its high nibble. */
export const TCP = { SPORT: 0, DPORT: 2, SEQ: 4, ACK: 8, DOFF: 12, FLAGS: 13, WINDOW: 14, CSUM: 16, URP: 18, HLEN: 20 } as const;

/** UDP header (RFC 768). */
export const UDP = { SPORT: 0, DPORT: 2, LEN: 4, CSUM: 6, HLEN: 8 } as const;

/** ARP for Ethernet/IPv4 (RFC 826); HLEN is the whole 28-byte packet. */
export const ARP = { HTYPE: 0, PTYPE: 2, HLEN_FIELD: 4, PLEN_FIELD: 5, OPER: 6, SHA: 8, SPA: 14, THA: 18, TPA: 24, HLEN: 28 } as const;

/** ARP opcodes. */
export const ARPOP = { REQUEST: 1, REPLY: 2 } as const;

/** The TCP flag bits of byte TCP.FLAGS. */
export const TCP_FLAG = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32, ECE: 64, CWR: 128 } as const;

/** TCP option kinds. */
export const TCPOPT = { EOL: 0, NOP: 1, MSS: 2, WSCALE: 3, SACK_PERM: 4, SACK: 5, TIMESTAMP: 8 } as const;

/** The fixed total lengths (kind + length byte + data) of the TCP options that have one. */
export const TCPOLEN = { MSS: 4, WSCALE: 3, SACK_PERM: 2, TIMESTAMP: 10, SACK_BLOCK: 8 } as const;

export const IPPROTO = { ICMP: 1, TCP: 6, UDP: 17 } as const;

export const ETHERTYPE = { IPV4: 0x0800, ARP: 0x0806, VLAN: 0x8100, QINQ: 0x88a8, IPV6: 0x86dd } as const;

/** True for the TPIDs that announce a VLAN tag (802.1Q 0x8100, 802.1ad 0x88a8). */
export function isVlanTpid(type: number): boolean {
  return type === ETHERTYPE.VLAN || type === ETHERTYPE.QINQ;
}
