// What the lab may set on a model's config by name: how its queues are counted and which fields size
// its receive rings. A model the lab does not know here still runs; it just keeps its own defaults.

export interface ModelKnobs {
  /** Config field holding the number of receive queues (absent: one queue only). */
  queues?: string;
  /** Config fields sizing the receive rings, with the largest value each accepts. */
  rings: { field: string; max: number }[];
  /** Config fields `vnic test-driver` changes one at a time from the defaults, with the values it tries. */
  variants?: Record<string, readonly unknown[]>;
}

export const MODEL_KNOBS: Readonly<Record<string, ModelKnobs>> = {
  ehea: {
    queues: 'queues',
    rings: [
      { field: 'rq1Entries', max: 16384 },
      { field: 'rq2Entries', max: 16384 },
      { field: 'rq3Entries', max: 16384 },
    ],
    variants: { vlanExtract: [false], rxChecksum: [false], queues: [4] },
  },
  myri10ge: {
    queues: 'slices',
    rings: [
      { field: 'smallEntries', max: 4096 },
      { field: 'bigEntries', max: 4096 },
    ],
    variants: { rxChecksum: [false], slices: [4] },
  },
  e1000: { rings: [{ field: 'ringEntries', max: 4096 }], variants: { vlanStrip: [true] } },
  mq: {
    queues: 'queues',
    rings: [{ field: 'ringEntries', max: 8192 }],
    variants: { vlanStrip: [false], rxChecksum: [false], headerSplit: [true], queues: [1] },
  },
};

/** Config fields that make every ring as large as the model allows (for `--batch all`). */
export function largestRings(model: string): Record<string, number> {
  const k = MODEL_KNOBS[model];
  const out: Record<string, number> = {};
  if (k !== undefined) for (const r of k.rings) out[r.field] = r.max;
  return out;
}
