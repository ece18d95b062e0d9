// Registers the myri10ge sample driver (model `myri10ge`): frags-mode inet_lro per slice with
// software checksum verification against the NIC's partial sum, as Linux 2.6.24's myri10ge did, or GRO.
import type { Capabilities } from '../../hw-models/capabilities.ts';
import { GRO_NEEDS_NAPI, registerDriver, supportedEnv, type DriverInfo, type Engine, type EngineSupport, type ResolvedDriverOptions } from '../driver.ts';
import { MAX_SKB_FRAGS } from '../../stack/skb.ts';
import { Myri10geDriver, MYRI10GE_LRO_MAX_PKTS } from './driver.ts';

export { Myri10geDriver, MyriSlice, MYRI10GE_LRO_MAX_PKTS, MYRI10GE_MAX_LRO_DESCRIPTORS, MYRI10GE_HLEN, MYRI10GE_ALIGN_PAD } from './driver.ts';
export type { MyriSliceStats } from './driver.ts';
export { poll } from './poll.ts';

export function myri10geSupport(engine: Engine, caps: Capabilities, options: ResolvedDriverOptions): EngineSupport {
  if (caps.delivery !== 'page-frags') return { ok: false, why: 'the myri10ge driver posts page chunks and receives frames as page fragments; this model delivers linear buffers' };
  if (engine === 'off') return { ok: true, why: 'each frame becomes an skb with a 64-byte header copy and the rest as page fragments, CHECKSUM_COMPLETE with the NIC\'s partial sum' };
  if (engine === 'gro') {
    if (options.nonNapi === true) return GRO_NEEDS_NAPI;
    return { ok: true, why: caps.rxChecksum === 'partial'
      ? 'napi_gro_receive; GRO validates each segment from the CHECKSUM_COMPLETE sum (which starts at an in-band tag); in-band 802.1Q frames merge under their tag (vlan_gro_receive)'
      : 'napi_gro_receive; rx checksums off, so GRO sums each segment in software (CHECKSUM_NONE)' };
  }
  if (caps.rxChecksum !== 'partial') {
    return { ok: false, why: 'LRO needs checksums verified before aggregation and myri10ge verifies them in get_frag_header from the NIC\'s partial sum; with rx checksums off there is no sum (the original then skipped LRO and built its own skbs), and inet_lro would turn a bad segment into a valid-looking aggregate' };
  }
  const aggr = Math.min(options.maxAggr ?? MYRI10GE_LRO_MAX_PKTS, MAX_SKB_FRAGS);
  return { ok: true, why: `frags-mode inet_lro per slice, max_aggr min(${options.maxAggr ?? MYRI10GE_LRO_MAX_PKTS}, MAX_SKB_FRAGS) = ${aggr} fragments, ${options.maxDesc ?? 8} descriptors; TCP checksums verified in software against the NIC's partial sum; VLAN tags stay in-band (802.1Q frames aggregate, their tag subtracted from the sum)` };
}

export const MYRI10GE_DRIVER: DriverInfo = {
  name: 'myri10ge',
  models: ['myri10ge'],
  summary: 'Myricom myri10ge (2.6.24): page-chunk small/big rings, partial checksum, frags-mode inet_lro per slice',
  defaultEngine: 'lro',                                              // myri10ge_lro defaulted to 1
  support: myri10geSupport,
  create: (env) => new Myri10geDriver(supportedEnv(MYRI10GE_DRIVER, env), env.options.engine),
};

registerDriver(MYRI10GE_DRIVER);
