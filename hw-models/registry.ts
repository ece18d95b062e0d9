// Models by name: registerModel(name, factory, capabilities), createModel(name, config), listModels().
// A model file registers itself when imported; hw-models/index.ts imports the built-in ones.
import type { VirtualClock } from '../sim/clock.ts';
import type { Tracer } from '../observe/trace.ts';
import { validateCapabilities, type Capabilities } from './capabilities.ts';
import type { NicModel } from './model.ts';

export type ModelFactory = (config: unknown, env: { clock?: VirtualClock; tracer?: Tracer }) => NicModel;

interface Entry {
  name: string;
  factory: ModelFactory;
  capabilities: Capabilities;
}
const models = new Map<string, Entry>();

const NAME_RE = /^[a-z][a-z0-9_-]*$/;

/** Registers a model; the capabilities are validated (what the hardware can do at most). */
export function registerModel(name: string, factory: ModelFactory, capabilities: unknown): void {
  if (!NAME_RE.test(name))
    throw new RangeError(
      `model name ${JSON.stringify(name)}: must be lower-case letters, digits, '-' or '_', starting with a letter`,
    );
  if (models.has(name)) throw new RangeError(`model "${name}" is already registered`);
  models.set(name, { name, factory, capabilities: validateCapabilities(capabilities, name) });
}

/** Makes a model by name; `config` is validated by the model (errors name field, value and rule). */
export function createModel(
  name: string,
  config: unknown = {},
  env: { clock?: VirtualClock; tracer?: Tracer } = {},
): NicModel {
  const e = models.get(name);
  if (e === undefined)
    throw new RangeError(`unknown NIC model "${name}" (registered: ${[...models.keys()].join(', ') || 'none'})`);
  return e.factory(config, env);
}

export function listModels(): { name: string; capabilities: Capabilities }[] {
  return [...models.values()].map((e) => ({ name: e.name, capabilities: e.capabilities }));
}

export function modelCapabilities(name: string): Capabilities | undefined {
  return models.get(name)?.capabilities;
}

export function isRegistered(name: string): boolean {
  return models.has(name);
}
