// The forwarding host's addresses, apart from its machinery so that scenario tables can name them cheaply.

/** The addresses of the two subnets and the router's interfaces. */
export const FORWARD_NET = {
  ingressAddr: '10.0.0.254',
  egressAddr: '10.0.1.254',
  egressNet: '10.0.1.0',
  egressPrefix: 24,
  routerIngressMac: '02:00:00:00:00:fe',
  routerEgressMac: '02:00:00:00:01:fe',
  farHostMac: '02:00:00:00:01:02',
  /** Over IPv6 (`--ip 6`) each 10.0.X.Y is 2001:db8:X::Y (ipv6Counterpart): the sender 2001:db8::1, the far host 2001:db8:1::2. */
  ingressAddr6: '2001:db8::254',
  egressAddr6: '2001:db8:1::254',
  egressNet6: '2001:db8:1::',
  egressPrefix6: 64,
} as const;

/**
 * The IPv6 address the lab gives the host that has `v4` over IPv4: 10.0.X.Y becomes 2001:db8:X::Y (so 10.0.0.1 is the
 * default sender 2001:db8::1); undefined for any other address.
 */
export function ipv6Counterpart(v4: string): string | undefined {
  const m = /^10\.0\.(\d{1,3})\.(\d{1,3})$/.exec(v4);
  if (m === null || Number(m[1]) > 255 || Number(m[2]) > 255) return undefined;
  return m[1] === '0' ? `2001:db8::${m[2]}` : `2001:db8:${m[1]}::${m[2]}`;
}
