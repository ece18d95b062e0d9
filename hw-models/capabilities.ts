// What a model can do, as data (zod-validated), and the shared pieces of every model's config schema.
// Config errors name the field, the value given and what is allowed.
import { z } from 'zod';

export const RingCapabilitySchema = z.strictObject({
  name: z.string().min(1),
  role: z.enum(['rx', 'rx-writeback', 'completion']),
  minEntries: z.number().int().min(2),
  maxEntries: z.number().int().min(2),
  defaultEntries: z.number().int().min(2),
  /** Buffer bytes a posted descriptor points at (0: none). */
  bufferBytes: z.number().int().min(0),
});

export const CapabilitiesSchema = z.strictObject({
  /** none: tags stay in the frame; strip: removed, tag in the descriptor (hwaccel path); extract-keep-ethertype: tag removed but the ethertype still reads 0x8100 (LRO_F_EXTRACT_VLAN_ID). */
  vlan: z.enum(['none', 'strip', 'extract-keep-ethertype']),
  /** linear: one buffer per frame (or a chain of buffers); page-frags: page chunks the driver attaches as skb fragments. */
  delivery: z.enum(['linear', 'page-frags']),
  headerSplit: z.boolean(),
  /** none · verified (status bits say good/bad) · partial (a 16-bit sum for CHECKSUM_COMPLETE). */
  rxChecksum: z.enum(['none', 'verified', 'partial']),
  maxQueues: z.number().int().min(1),
  /** How a frame picks its queue when there are several. */
  queueSelect: z.enum(['single', 'toeplitz-rss', 'flow-hash']),
  moderation: z.strictObject({ packetThreshold: z.boolean(), delayTimer: z.boolean(), absoluteTimer: z.boolean() }),
  rings: z.array(RingCapabilitySchema).min(1),
  minMtu: z.number().int().min(68),
  maxMtu: z.number().int().min(68),
  /** What happens to a frame with a bad FCS: dropped (rx_crc_errors) or completed with an error bit. */
  badFcs: z.enum(['drop', 'report']),
  /** Byte order of every multi-byte descriptor field. */
  byteOrder: z.enum(['big', 'little']),
});
export type Capabilities = z.infer<typeof CapabilitiesSchema>;
export type RingCapability = z.infer<typeof RingCapabilitySchema>;

/** A config (or capabilities) value that is not allowed. The message names model, field, value and the rule. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'ConfigError';
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

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined) return 'missing';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Parses `input` with `schema`; on failure throws a ConfigError listing every bad field. */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown, who: string): z.output<S> {
  const r = schema.safeParse(input ?? {});
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => {
    if (i.code === 'unrecognized_keys') {
      const base = i.path.map(String).join('.');
      return `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => (base ? `${base}.${k}` : k)).join(', ')}`;
    }
    const field = i.path.map(String).join('.') || '(config)';
    return `${field} = ${show(valueAt(input, i.path))}: ${i.message}`;
  });
  const first = r.error.issues[0]!;
  throw new ConfigError(`${who} config: ${lines.join('; ')}`, first.path.map(String).join('.'));
}

/** An integer field with a message that says the allowed range. */
export function intIn(min: number, max: number): z.ZodNumber {
  const msg = `must be an integer from ${min} to ${max}`;
  return z.number({ error: msg }).int({ error: msg }).min(min, { error: msg }).max(max, { error: msg });
}

/** A ring size: a power of two in [min, max] (index arithmetic wraps with a mask on real hardware). */
export function ringEntries(min: number, max: number, dflt: number) {
  const msg = `must be a power of two from ${min} to ${max}`;
  return z
    .number({ error: msg })
    .int({ error: msg })
    .min(min, { error: msg })
    .max(max, { error: msg })
    .refine((n) => (n & (n - 1)) === 0, { error: msg })
    .default(dflt);
}

const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

/** Interrupt moderation in microseconds / packets; a model that lacks a knob rejects non-zero values. */
export function moderationSchema(caps: { packetThreshold: boolean; delayTimer: boolean; absoluteTimer: boolean }) {
  const off = (what: string) => z.literal(0, { error: `this model has no ${what}; only 0 is allowed` });
  return z
    .strictObject({
      packets: caps.packetThreshold ? intIn(0, 4096).default(0) : off('packet-count threshold').default(0),
      delayUs: caps.delayTimer ? intIn(0, 65535).default(0) : off('delay timer').default(0),
      absoluteUs: caps.absoluteTimer ? intIn(0, 65535).default(0) : off('absolute timer').default(0),
    })
    .default({ packets: 0, delayUs: 0, absoluteUs: 0 });
}

/** Fields every model's config has. */
export function baseConfigShape(minMtu: number, maxMtu: number, defaultMtu = 1500) {
  return {
    mac: z
      .string({ error: 'must be a MAC address like "02:00:00:00:00:02"' })
      .regex(MAC_RE, { error: 'must be a MAC address like "02:00:00:00:00:02"' })
      .default('02:00:00:00:00:02'),
    mtu: intIn(minMtu, maxMtu).default(defaultMtu),
    promiscuous: z.boolean({ error: 'must be true or false' }).default(false),
    /** Accept every multicast frame (there is no multicast hash table in these models). */
    allMulticast: z.boolean({ error: 'must be true or false' }).default(true),
    /** Pad frames shorter than 60 bytes with zeros, as a real sender's MAC does (off for virtual-link captures). */
    padRunts: z.boolean({ error: 'must be true or false' }).default(true),
    /** DMA buffers allocated per posted ring entry (room for buffers held by skbs in flight). */
    bufferFactor: intIn(1, 8).default(2),
  };
}

export function validateCapabilities(input: unknown, who: string): Capabilities {
  const caps = parseConfig(CapabilitiesSchema, input, `${who} capabilities`);
  if (caps.minMtu > caps.maxMtu)
    throw new ConfigError(
      `${who} capabilities: minMtu = ${caps.minMtu}: must not exceed maxMtu (${caps.maxMtu})`,
      'minMtu',
    );
  return caps;
}
