// Configuration of the link partner, its flows, impairments and replay, as zod schemas. Parse with
// `parseTrafficConfig` (or the schema's `parse`): an error names the field, the value and what is allowed.

import { z } from 'zod';
import { parseIpv4, parseIpv6, parseMac } from '../wire/index.ts';
import { DESTINATION_FORMS, isDestination } from './destination-filter.ts';

const u8 = z.number().int().min(0).max(255);
const u16 = z.number().int().min(0).max(65535);
const u32 = z.number().int().min(0).max(0xffffffff);
const probability = z.number().min(0).max(1);
const nsDuration = z.number().min(0).max(Number.MAX_SAFE_INTEGER);

function validIpv4(s: string): boolean {
  try {
    parseIpv4(s);
    return true;
  } catch {
    return false;
  }
}
function validIpv6(s: string): boolean {
  try {
    parseIpv6(s);
    return true;
  } catch {
    return false;
  }
}
function validMac(s: string): boolean {
  try {
    parseMac(s);
    return true;
  } catch {
    return false;
  }
}

export const Ipv4Address = z.string().refine(validIpv4, { error: 'expected a dotted-quad IPv4 address like 10.0.0.1' });
/** An IPv4 or an IPv6 address; which one a flow needs is checked against its `ipv6` switch. */
export const IpAddress = z.string().refine((s) => (s.includes(':') ? validIpv6(s) : validIpv4(s)), {
  error: 'expected an IPv4 address like 10.0.0.1 or an IPv6 address like 2001:db8::1',
});
/** The addresses a TCP flow takes when its config gives none. */
export const DEFAULT_FLOW_ADDRESSES = {
  4: { src: '10.0.0.1', dst: '10.0.0.2' },
  6: { src: '2001:db8::1', dst: '2001:db8::2' },
} as const;
export const MacAddress = z.string().refine(validMac, { error: 'expected a MAC address like 02:00:00:00:00:01' });

export const VlanTagConfig = z.object({
  vid: z.number().int().min(0).max(4095),
  pcp: z.number().int().min(0).max(7).default(0),
});

/** Where PSH goes on a bulk flow's segments: never, on every Nth, or on the last of each burst of K (Linux sets it at the end of each ~64 KiB burst) and on the last segment of the stream. */
export const PshPattern = z.union([
  z.literal('never'),
  z.object({ every: z.number().int().min(1) }).strict(),
  z.object({ burst: z.number().int().min(1) }).strict(),
]);

/** Fields every TCP flow kind shares. `count` > 1 makes that many flows, source ports sport, sport+1, … */
const tcpCommon = {
  /** Over IPv6 (default: TrafficConfig.ipv6). inet_lro leaves IPv6 alone, as 2.6.24 did; GRO merges it. */
  ipv6: z.boolean().optional(),
  /** Addresses of the family `ipv6` names; default 10.0.0.1 → 10.0.0.2, or 2001:db8::1 → 2001:db8::2 over IPv6. */
  src: IpAddress.optional(),
  dst: IpAddress.optional(),
  sport: u16.default(40000),
  dport: u16.default(5001),
  count: z.number().int().min(1).max(4096).default(1),
  /** Default 1448 (MTU 1500 less IPv4, TCP and timestamps); over IPv6 1428 (its header is 20 bytes longer). */
  mss: z.number().int().min(1).max(9000).default(1448),
  /** Carry the timestamp option (NOP, NOP, TS: 12 bytes, as Linux sends it). */
  timestamps: z.boolean().default(true),
  /** TSval at virtual time 0; it then advances by one per `tsTickNs`. */
  tsvalStart: u32.default(1),
  tsTickNs: z.number().positive().default(1_000_000),
  /** 'echo': the last TSval from the host's ACKs (starting at `tsecrInitial`); a number: that value, fixed. */
  tsecr: z.union([z.literal('echo'), u32]).default('echo'),
  tsecrInitial: u32.default(1),
  /** IP ID: incrementing from `ipIdStart`, fixed 0 (needs DF), or random from the flow's PRNG. */
  ipId: z.enum(['increment', 'zero', 'random']).default('increment'),
  ipIdStart: u16.default(0),
  df: z.boolean().default(true),
  ttl: u8.default(64),
  vlan: VlanTagConfig.optional(),
  /** The whole TOS byte: DSCP << 2 | ECN. */
  tos: u8.default(0),
  /** The window field of the data segments (the sender's own receive window). */
  window: u16.default(65535),
  /** The ack field of the data segments (the sender receives nothing; ACK is always set). */
  ack: u32.default(1),
  /** Sequence number of the first payload byte; drawn from the flow's PRNG when absent. */
  isn: u32.optional(),
  /** Most unacknowledged bytes in flight (also the size of the retransmit buffer). */
  sendWindow: z
    .number()
    .int()
    .min(1)
    .max(1 << 24)
    .default(65536),
  /** Also limit by the window the host advertises in its ACKs. */
  useReceiverWindow: z.boolean().default(true),
  /** Window scale the host's window field is shifted by. */
  receiverWindowShift: z.number().int().min(0).max(14).default(0),
};

export const BulkFlowConfig = z
  .object({
    kind: z.literal('bulk'),
    ...tcpCommon,
    psh: PshPattern.default({ burst: 45 }),
    /** Stream length; falls back to TrafficConfig.bytesPerFlow, else the flow runs until durationNs. */
    bytes: z.number().int().min(1).optional(),
  })
  .strict();

export const MessageFlowConfig = z
  .object({
    kind: z.literal('messages'),
    ...tcpCommon,
    /** Each message goes out as one segment with PSH, so it must fit in the MSS. */
    messageBytes: z.number().int().min(1).max(9000),
    messages: z.number().int().min(1).optional(),
    /** Pause after each message before the next is written. */
    thinkNs: nsDuration.default(0),
  })
  .strict()
  .refine((f) => f.messageBytes <= f.mss, {
    error: 'messageBytes must not exceed mss (one segment per message)',
    path: ['messageBytes'],
  });

export const RequestResponseFlowConfig = z
  .object({
    kind: z.literal('rr'),
    ...tcpCommon,
    /** A request of this many bytes (split at the MSS, PSH on its last segment); the next waits for the ACK covering it. */
    requestBytes: z.number().int().min(1),
    requests: z.number().int().min(1).optional(),
    thinkNs: nsDuration.default(0),
  })
  .strict();

export const BackgroundConfig = z
  .object({
    kind: z.literal('background'),
    /** Fraction of all frames that are background (0 ≤ share < 1); interleaved deterministically with the TCP frames. */
    share: z.number().min(0).lt(1),
    /** Relative weights of the kinds of background frame. */
    mix: z
      .object({
        udp: z.number().min(0).default(1),
        arp: z.number().min(0).default(1),
        icmp: z.number().min(0).default(1),
      })
      .strict()
      .prefault({})
      .refine((m) => m.udp + m.arp + m.icmp > 0, { error: 'at least one of udp, arp, icmp needs a weight above 0' }),
    src: Ipv4Address.default('10.0.0.1'),
    dst: Ipv4Address.default('10.0.0.2'),
    udpBytes: z.number().int().min(0).max(1472).default(64),
    icmpBytes: z.number().int().min(0).max(1472).default(56),
    vlan: VlanTagConfig.optional(),
  })
  .strict();

export const FlowConfig = z.discriminatedUnion('kind', [
  BulkFlowConfig,
  MessageFlowConfig,
  RequestResponseFlowConfig,
  BackgroundConfig,
]);

export const ImpairmentConfig = z
  .object({
    /** Seed of the impairments' PRNG; defaults to TrafficConfig.seed. */
    seed: u32.optional(),
    loss: probability.default(0),
    /** Hold a frame back and release it after 1..depth later frames (or after holdNs without traffic). */
    reorder: z
      .object({
        p: probability.default(0),
        depth: z.number().int().min(1).max(1024).default(3),
        holdNs: nsDuration.default(100_000),
      })
      .strict()
      .prefault({}),
    duplicate: probability.default(0),
    /** Flip one byte; 'header' means the IP/L4 headers; checksums are left stale. */
    corrupt: z
      .object({ p: probability.default(0), where: z.enum(['payload', 'header', 'any']).default('payload') })
      .strict()
      .prefault({}),
    /** Alter the TCP or IP checksum field. */
    badChecksum: z
      .object({ p: probability.default(0), which: z.enum(['tcp', 'ip', 'any']).default('tcp') })
      .strict()
      .prefault({}),
    /** Cut the frame somewhere after the IP header (header lengths left stale). */
    truncate: probability.default(0),
    /** Append 1..maxBytes zero bytes after the frame (Ethernet padding past the IP packet). */
    pad: z
      .object({ p: probability.default(0), maxBytes: z.number().int().min(1).max(1500).default(8) })
      .strict()
      .prefault({}),
  })
  .strict();

/** The MSS a TCP flow over IPv6 gets when it names none: 1500 less 40 (IPv6), 20 (TCP) and 12 (timestamps). */
export const IPV6_DEFAULT_MSS = 1428;

/** Over IPv6 a flow without `mss` gets IPV6_DEFAULT_MSS, so the default flow still fits a 1500-byte MTU. */
function ipv6MssDefault(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || !Array.isArray((input as { flows?: unknown }).flows)) return input;
  const c = input as { ipv6?: unknown; flows: unknown[] };
  const flows = c.flows.map((f) => {
    if (typeof f !== 'object' || f === null) return f;
    const fc = f as { kind?: unknown; ipv6?: unknown; mss?: unknown };
    const v6 = fc.ipv6 ?? c.ipv6;
    return fc.kind !== 'background' && v6 === true && fc.mss === undefined ? { ...fc, mss: IPV6_DEFAULT_MSS } : f;
  });
  return { ...c, flows };
}

/** The traffic configuration's fields as given (before the IPv6 flows' MSS default is filled in): what `TrafficConfigInput` describes. */
export const TrafficConfigFields = z
  .object({
    seed: u32.default(1),
    rateGbps: z.number().positive().max(1000).default(10),
    /** Frames shorter than 60 bytes reach the NIC padded with zeros to 60, as on a real wire. */
    padShortFrames: z.boolean().default(true),
    /** Send at line rate ignoring windows and ACKs (no retransmission, and the TSecr stays `tsecrInitial`): what the wire carries does not depend on the host. */
    openLoop: z.boolean().default(false),
    /** Stop writing new data at this virtual time. */
    durationNs: z.number().positive().optional(),
    bytesPerFlow: z.number().int().min(1).optional(),
    /** Retransmission timeout (doubles per consecutive timeout, up to 64×); with a congestion-controlled sender, its floor (Linux: 200 ms). */
    rtoNs: z.number().positive().default(1_000_000),
    /**
     * The TCP senders: 'fixed-window' sends whatever `sendWindow` and the receiver's window allow (no
     * congestion control); '2.6.24' and 'modern' are closed-loop senders (slow start, congestion
     * avoidance, NewReno recovery, RFC 6298 timer) that grow their window per ACK (2.6.24, tcp_abc 0)
     * or per acknowledged segment (modern Linux).
     */
    sender: z.enum(['fixed-window', '2.6.24', 'modern']).default('fixed-window'),
    /** Congestion control of the closed-loop senders. */
    congestion: z
      .strictObject({
        algorithm: z.enum(['cubic', 'newreno']).default('cubic'),
        /** Initial window in segments (RFC 6928: 10). */
        initialWindow: z.number().int().min(1).max(1024).default(10),
      })
      .prefault({}),
    /** Round-trip propagation delay of the path: the host's ACKs reach the partner this much later. */
    pathDelayNs: nsDuration.default(0),
    /**
     * TCP segmentation offload on the sending side: a sender hands its NIC super-segments of up to
     * 64 KB, which the partner's NIC cuts into MSS-sized frames sent back to back.
     */
    tso: z.boolean().default(false),
    /** Every TCP flow goes over IPv6 unless it says otherwise (`vnic run --ip 6`); background frames stay IPv4. */
    ipv6: z.boolean().default(false),
    partnerMac: MacAddress.default('02:00:00:00:00:01'),
    nicMac: MacAddress.default('02:00:00:00:00:02'),
    impairments: ImpairmentConfig.prefault({}),
    flows: z.array(FlowConfig).min(1),
  })
  .strict()
  .superRefine((c, ctx) => {
    c.flows.forEach((f, i) => {
      if (f.kind === 'background') return;
      const v6 = f.ipv6 ?? c.ipv6;
      for (const field of ['src', 'dst'] as const) {
        const a = f[field];
        if (a !== undefined && a.includes(':') !== v6)
          ctx.addIssue({
            code: 'custom',
            path: ['flows', i, field],
            message: v6
              ? 'expected an IPv6 address like 2001:db8::1: the flow goes over IPv6 (ipv6 is true)'
              : 'expected an IPv4 address like 10.0.0.1: the flow goes over IPv4 (set ipv6 to true for IPv6)',
          });
      }
    });
    c.flows.forEach((f, i) => {
      if (c.durationNs !== undefined) return;
      if (f.kind === 'bulk' && f.bytes === undefined && c.bytesPerFlow === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['flows', i, 'bytes'],
          message: 'a bulk flow needs bytes, or TrafficConfig.bytesPerFlow or durationNs',
        });
      }
      if (f.kind === 'messages' && f.messages === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['flows', i, 'messages'],
          message: 'a messages flow needs messages, or TrafficConfig.durationNs',
        });
      }
      if (f.kind === 'rr' && f.requests === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['flows', i, 'requests'],
          message: 'an rr flow needs requests, or TrafficConfig.durationNs',
        });
      }
    });
  });

export const TrafficConfig = z.preprocess(ipv6MssDefault, TrafficConfigFields);

export const ReplayConfig = z
  .object({
    /** 'recorded': at the capture's times relative to its first record; 'asap': as fast as the target takes them (line rate through a Link, all at once through DirectTx). */
    timing: z.enum(['recorded', 'asap']).default('recorded'),
    /**
     * With 'recorded': frames less than this far apart (after `onlyTo`) are one burst and arrive together at the
     * burst's first frame's time, as a sender's burst sits whole in the receiver's ring before its NAPI poll runs.
     * Unset: every frame at its own time.
     */
    burstGapNs: z.number().nonnegative().max(1e9).optional(),
    /** Keep only frames to this IPv4 address (IPv4 destination, or ARP target), IPv6 address (IPv6 destination) or MAC (Ethernet destination). */
    onlyTo: z
      .string()
      .refine(isDestination, { error: `expected ${DESTINATION_FORMS}` })
      .optional(),
  })
  .strict();

export type BulkFlowConfig = z.infer<typeof BulkFlowConfig>;
export type MessageFlowConfig = z.infer<typeof MessageFlowConfig>;
export type RequestResponseFlowConfig = z.infer<typeof RequestResponseFlowConfig>;
export type BackgroundConfig = z.infer<typeof BackgroundConfig>;
export type FlowConfig = z.infer<typeof FlowConfig>;
export type ImpairmentConfig = z.infer<typeof ImpairmentConfig>;
export type TrafficConfig = z.infer<typeof TrafficConfig>;
export type ReplayConfig = z.infer<typeof ReplayConfig>;
export type TrafficConfigInput = z.input<typeof TrafficConfigFields>;
export type ImpairmentConfigInput = z.input<typeof ImpairmentConfig>;
export type ReplayConfigInput = z.input<typeof ReplayConfig>;

/** Thrown for a bad configuration; the message has one line per problem: `field: value — what is allowed`. */
export class TrafficConfigError extends Error {
  constructor(
    readonly what: string,
    readonly issues: readonly string[],
  ) {
    super(`${what}: invalid configuration\n  ${issues.join('\n  ')}`);
    this.name = 'TrafficConfigError';
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function formatPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const k of path) s += typeof k === 'number' ? `[${k}]` : s === '' ? String(k) : `.${String(k)}`;
  return s === '' ? '(root)' : s;
}

/** Parses with `schema`; throws TrafficConfigError naming every bad field, its value and what is allowed. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data as z.infer<S>;
  const lines = r.error.issues.map((iss) => {
    const v = valueAt(input, iss.path);
    const shown = v === undefined ? 'missing' : JSON.stringify(v);
    return `${formatPath(iss.path)}: ${shown} — ${iss.message}`;
  });
  throw new TrafficConfigError(what, lines);
}

export function parseTrafficConfig(input: unknown): TrafficConfig {
  return parseWith(TrafficConfig, input, 'traffic config');
}
export function parseImpairmentConfig(input: unknown): ImpairmentConfig {
  return parseWith(ImpairmentConfig, input, 'impairment config');
}
export function parseReplayConfig(input: unknown): ReplayConfig {
  return parseWith(ReplayConfig, input, 'replay config');
}
