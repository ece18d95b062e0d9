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
} as const;
