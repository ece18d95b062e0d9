// Registers the mq sample driver: which engines work on an mq NIC with given capabilities, and why.
import { GRO_NEEDS_NAPI, registerDriver, supportedEnv, type DriverInfo, type Engine, type EngineSupport, type ResolvedDriverOptions } from '../driver.ts';
import type { Capabilities } from '../../hw-models/capabilities.ts';
import { MqDriver } from './driver.ts';

export function mqSupport(engine: Engine, caps: Capabilities, options: ResolvedDriverOptions): EngineSupport {
  const inband = caps.vlan !== 'strip';
  const verified = caps.rxChecksum === 'verified';
  const perQueue = caps.maxQueues > 1 ? `one per queue (${caps.maxQueues}), ` : '';
  if (engine === 'off') {
    return { ok: true, why: `every frame goes straight to the stack; ${verified ? 'L4CS+IPCS frames as CHECKSUM_UNNECESSARY, the rest CHECKSUM_NONE' : 'rxChecksum is off, so every frame is CHECKSUM_NONE and the stack checksums it'}` };
  }
  if (engine === 'gro') {
    if (options.nonNapi === true) return GRO_NEEDS_NAPI;
    return { ok: true, why: `${perQueue}GroEngine per NAPI context, flushed at napi_complete; `
      + (verified ? 'verified frames are trusted, error frames are re-checked by GRO and go up alone' : 'rxChecksum is off: GRO verifies every TCP checksum in software')
      + (inband ? '; vlanStrip is off, so tagged frames keep their tag in-band and GRO merges them under it (vlan_gro_receive)' : '') };
  }
  if (!verified) {
    return { ok: false, why: 'rxChecksum is off, so the NIC gives no checksum verdict; inet_lro recomputes the aggregate\'s TCP checksum from the original checksum fields without reading the payload, '
      + 'so a corrupted frame would become a valid-looking aggregate (this driver has no softwareChecksum mode); turn rxChecksum on or use GRO' };
  }
  const q1 = inband && options.lroQuirks?.['inbandVlanLength'] !== false;
  return { ok: true, why: `${perQueue}LroManager in skb mode (also with header split: headers linear, payload in fragments), only frames with L4CS+IPCS and no error bits`
    + (q1 ? '; vlanStrip is off, so tagged flows stay in-band and hit quirk Q1: they never aggregate beyond one packet' : '') };
}

export const MQ_DRIVER: DriverInfo = {
  name: 'mq',
  models: ['mq'],
  summary: 'modern multi-queue NIC: Toeplitz RSS, verified checksums, VLAN strip, optional header split; GRO per queue by default',
  defaultEngine: 'gro',
  support: mqSupport,
  create: (env) => new MqDriver(supportedEnv(MQ_DRIVER, env)),
};

registerDriver(MQ_DRIVER);
