// wire/: packet formats. Field offsets, typed views, Repr values with parse/emit, checksums,
// a frame builder for tests, a decoder and a tcpdump-style formatter.

export * from './constants.ts';
export * from './error.ts';
export * from './address.ts';
export * from './checksum.ts';
export * from './tcp-options.ts';
export * from './builder.ts';
export * from './view.ts';
export * from './ethernet.ts';
export * from './ipv4.ts';
export * from './ipv6.ts';
export * from './big-tcp.ts';
export * from './bytes.ts';
export * from './fields.ts';
export * from './layout.ts';
export * from './tcp.ts';
export * from './udp.ts';
export * from './arp.ts';
export * from './decode.ts';
export * from './format.ts';
export * from './l4checksum.ts';
export * from './cut-frame.ts';
export { StreamHash } from './stream-hash.ts';
export { StreamCheck, type StreamReference } from './stream-check.ts';
export { KnownRun, type KnownBytes } from './known-bytes.ts';
export * from './flow.ts';
export * from './icmp-error.ts';
