// What the playground runs: its controls as one value that round-trips through the page's URL, and
// the lab configuration (the same one `vnic run --config FILE --json` takes) it stands for.
import { z } from 'zod';
import type { LabConfig } from '../lab/run.ts';
import { getScenario, SCENARIOS } from '../lab/scenarios.ts';
import { modelCapabilities } from '../hw-models/index.ts';

const ENGINES = ['lro', 'gro', 'off'] as const;
const optInt = (lo: number, hi: number) => z.coerce.number().int().min(lo).max(hi).optional();

/** The controls. Absent numbers keep the scenario's, the driver's or the model's own value. */
export const PlaygroundSchema = z.strictObject({
  /** A scenario name, or 'capture' for an uploaded pcap/pcapng (which a URL cannot carry). */
  scenario: z.string().default('bulk-1flow'),
  model: z.string().default('ehea'),
  /** Empty: the driver written for the model. */
  driver: z.string().default(''),
  engine: z.enum(ENGINES).default('lro'),
  /** A second engine run side by side on the same configuration; empty: none. */
  compare: z.enum(['', ...ENGINES]).default(''),
  /** Sender rate, Gb/s. */
  rate: z.coerce.number().min(0.001).max(400).optional(),
  /** Flows of the scenario's first flow group. */
  flows: optInt(1, 256),
  mtu: optInt(68, 9000),
  /** NAPI weight. */
  budget: optInt(1, 4096),
  maxAggr: optInt(1, 65535),
  maxDesc: optInt(1, 1024),
  /** Interrupt moderation: a delay timer in µs (0: an interrupt per completion while unmasked). */
  moderation: optInt(0, 65535),
  /** Hardware VLAN tag handling: the model's default, on (strip/extract) or off (tags stay in the frame). */
  vlan: z.enum(['default', 'on', 'off']).default('default'),
  /** Receive checksum offload: the model's default, on or off. */
  csum: z.enum(['default', 'on', 'off']).default('default'),
  seed: optInt(0, 2 ** 31 - 1),
});
export type PlaygroundConfig = z.output<typeof PlaygroundSchema>;

export const DEFAULTS: PlaygroundConfig = PlaygroundSchema.parse({});

/** Reads the controls from a URL query; a bad field is reported, and the rest kept. */
export function fromQuery(query: string): { config: PlaygroundConfig; problems: string[] } {
  const raw: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(query)) raw[k] = v;
  const problems: string[] = [];
  const known = Object.keys(PlaygroundSchema.shape);
  for (const k of Object.keys(raw))
    if (!known.includes(k)) {
      problems.push(`${k}: not a setting (settings: ${known.join(', ')})`);
      delete raw[k];
    }
  for (;;) {
    const r = PlaygroundSchema.safeParse(raw);
    if (r.success) return { config: r.data, problems };
    const issue = r.error.issues[0]!;
    const key = String(issue.path[0]);
    problems.push(`${key}=${raw[key] ?? ''}: ${issue.message}`);
    delete raw[key];
  }
}

/** The controls as a URL query, defaults left out. */
export function toQuery(c: PlaygroundConfig): string {
  const q = new URLSearchParams();
  for (const k of Object.keys(PlaygroundSchema.shape) as (keyof PlaygroundConfig)[]) {
    const v = c[k];
    if (v === undefined || v === DEFAULTS[k]) continue;
    q.set(k, String(v));
  }
  return q.toString();
}

export class PlaygroundError extends Error {
  override name = 'PlaygroundError';
}

/**
 * The lab configuration for one engine. With `capture`, the frames come from the uploaded file (its
 * name is the capture path, as `vnic replay FILE` would have it).
 */
export function toLabConfig(c: PlaygroundConfig, engine: 'lro' | 'gro' | 'off', capture?: string): LabConfig {
  const lab: LabConfig = { model: c.model, engine };
  if (capture !== undefined) lab.capture = { path: capture };
  else {
    const s = getScenario(c.scenario);
    if (s === undefined)
      throw new PlaygroundError(
        `scenario ${c.scenario}: no such scenario (scenarios: ${SCENARIOS.map((x) => x.name).join(', ')})`,
      );
    const { traffic, ...rest } = structuredClone(s.lab);
    Object.assign(lab, rest, { model: c.model, engine });
    const t = traffic as { rateGbps?: number; seed?: number; flows?: Record<string, unknown>[] };
    if (c.rate !== undefined) t.rateGbps = c.rate;
    if (c.seed !== undefined) t.seed = c.seed;
    if (c.flows !== undefined && t.flows?.[0] !== undefined) t.flows[0]['count'] = c.flows;
    lab.traffic = t;
  }
  if (c.driver !== '') lab.driver = c.driver;
  if (c.mtu !== undefined) lab.mtu = c.mtu;
  if (c.budget !== undefined) lab.pollBudget = c.budget;
  if (c.maxAggr !== undefined) lab.maxAggr = c.maxAggr;
  if (c.maxDesc !== undefined) lab.maxDesc = c.maxDesc;
  const model = modelConfig(c);
  if (model.softwareChecksum !== undefined) lab.softwareChecksum = model.softwareChecksum;
  if (Object.keys(model.fields).length > 0) lab.modelConfig = model.fields;
  return lab;
}

/** Moderation, VLAN and checksum controls in the words of the chosen model's config (docs/hw-models/). */
function modelConfig(c: PlaygroundConfig): { fields: Record<string, unknown>; softwareChecksum?: boolean } {
  const caps = modelCapabilities(c.model);
  if (caps === undefined) return { fields: {} };
  const fields: Record<string, unknown> = {};
  const out: { fields: Record<string, unknown>; softwareChecksum?: boolean } = { fields };
  if (c.moderation !== undefined && c.moderation > 0) {
    if (c.model === 'e1000')
      fields['rdtr'] = Math.max(1, Math.round(c.moderation / 1.024)); // RDTR counts 1.024 µs units
    else if (caps.moderation.delayTimer) fields['moderation'] = { delayUs: c.moderation };
    else throw new PlaygroundError(`moderation: model ${c.model} has no delay timer`);
  }
  if (c.vlan !== 'default') {
    if (caps.vlan === 'none')
      throw new PlaygroundError(`VLAN offload: model ${c.model} keeps tags in the frame (no VLAN offload)`);
    fields[c.model === 'ehea' ? 'vlanExtract' : 'vlanStrip'] = c.vlan === 'on';
  }
  if (c.csum !== 'default') {
    if (c.model === 'e1000')
      out.softwareChecksum = c.csum === 'on'; // no receive checksum offload: the driver may verify in software
    else fields['rxChecksum'] = c.csum === 'on';
  }
  return out;
}
