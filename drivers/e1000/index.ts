// Registers the e1000 sample driver: which engines work on an e1000 with given capabilities, and why.
import { GRO_NEEDS_NAPI, registerDriver, supportedEnv, type DriverInfo, type Engine, type EngineSupport, type ResolvedDriverOptions } from '../driver.ts';
import type { Capabilities } from '../../hw-models/capabilities.ts';
import { E1000Driver } from './driver.ts';

export function e1000Support(engine: Engine, caps: Capabilities, options: ResolvedDriverOptions): EngineSupport {
  const inband = caps.vlan !== 'strip';
  if (engine === 'off') {
    return { ok: true, why: options.softwareChecksum === true
      ? 'every frame goes straight to the stack; the driver verifies TCP checksums itself (softwareChecksum) and marks good frames CHECKSUM_UNNECESSARY'
      : 'every frame goes straight to the stack with CHECKSUM_NONE; the stack verifies TCP checksums in software (csum_byte)' };
  }
  if (engine === 'gro') {
    if (options.nonNapi === true) return GRO_NEEDS_NAPI;
    return { ok: true, why: 'GRO verifies the TCP checksum of CHECKSUM_NONE frames in software itself, so the e1000 needs no checksum offload'
      + (inband ? '; with vlanStrip off, VLAN-tagged frames keep their tag in-band and GRO merges them under it (vlan_gro_receive)' : '; stripped tags go to GRO as the skb\'s hardware tag') };
  }
  if (options.softwareChecksum !== true) {
    return { ok: false, why: 'the e1000 verifies no receive checksums, and inet_lro recomputes the aggregate\'s TCP checksum from the original checksum fields without reading the payload, '
      + 'so a corrupted frame would become a valid-looking aggregate; set softwareChecksum: true (the driver checksums every TCP frame, csum_byte per byte) or use GRO' };
  }
  const q1 = inband && options.lroQuirks?.['inbandVlanLength'] !== false;
  return { ok: true, why: 'skb mode (frag_list), only frames whose TCP checksum the driver verified in software; others go up alone'
    + (q1 ? '; with vlanStrip off, tagged flows stay in-band and hit quirk Q1: they never aggregate beyond one packet (enable vlanStrip, or lroQuirks.inbandVlanLength: false)' : '') };
}

export const E1000_DRIVER: DriverInfo = {
  name: 'e1000',
  models: ['e1000'],
  summary: 'Intel 8254x-style legacy descriptors, one queue, no rx checksum offload: GRO works, LRO only with softwareChecksum',
  defaultEngine: 'gro',                                                // LRO needs softwareChecksum; GRO checks CHECKSUM_NONE frames itself
  support: e1000Support,
  create: (env) => new E1000Driver(supportedEnv(E1000_DRIVER, env)),
};

registerDriver(E1000_DRIVER);
