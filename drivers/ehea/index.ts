// Registers the eHEA sample driver (model `ehea`): skb-mode inet_lro per port resource, as Linux
// 2.6.24's drivers/net/ehea did, or modern eHEA's GRO, or neither.
import type { Capabilities } from '../../hw-models/capabilities.ts';
import { GRO_NEEDS_NAPI, registerDriver, supportedEnv, type DriverInfo, type Engine, type EngineSupport, type ResolvedDriverOptions } from '../driver.ts';
import { EheaDriver } from './driver.ts';

export { EheaDriver, EheaRxQueue, EheaCqe, EHEA_LRO_MAX_AGGR, EHEA_MAX_LRO_DESCRIPTORS, RQ1_SKB_BYTES, restoreExtractedProtocol } from './driver.ts';
export type { EheaQueueStats } from './driver.ts';
export { poll } from './poll.ts';

export function eheaSupport(engine: Engine, caps: Capabilities, options: ResolvedDriverOptions): EngineSupport {
  if (caps.delivery !== 'linear') return { ok: false, why: 'the eHEA driver posts linear buffers (RQ1 inline, RQ2/RQ3); this model delivers page fragments' };
  if (engine === 'off') return { ok: true, why: 'every frame goes straight to netif_receive_skb (vlan_hwaccel_receive_skb when the NIC extracted the tag)' };
  if (engine === 'gro') {
    if (options.nonNapi === true) return GRO_NEEDS_NAPI;
    return { ok: true, why: caps.rxChecksum === 'verified'
      ? 'napi_gro_receive with the hw VLAN tag on the skb; checksums trusted (CHECKSUM_UNNECESSARY from the CQE status)'
      : 'napi_gro_receive; the NIC does not verify checksums here, so GRO checks each segment in software (CHECKSUM_NONE)' };
  }
  if (caps.rxChecksum !== 'verified') {
    return { ok: false, why: 'LRO needs checksums verified before aggregation: inet_lro recomputes the aggregate checksum from the original checksum fields, so an unverified bad segment would turn into a valid-looking aggregate (this model instance has rxChecksum off)' };
  }
  const vlan = caps.vlan === 'extract-keep-ethertype'
    ? 'tagged flows aggregate (LRO_F_EXTRACT_VLAN_ID, lro_vlan_hwaccel_receive_skb)'
    : 'VLAN extraction is off: in-band tagged frames are refused by get_skb_hdr (their IP header is not at skb->data) and go up unaggregated';
  return { ok: true, why: `skb-mode inet_lro per port resource, max_aggr ${options.maxAggr ?? 64}, ${options.maxDesc ?? 8} descriptors, checksums verified by the NIC; ${vlan}` };
}

export const EHEA_DRIVER: DriverInfo = {
  name: 'ehea',
  models: ['ehea'],
  summary: 'IBM eHEA (2.6.24): RQ1 inline / RQ2 / RQ3 linear buffers, HW checksum + VLAN extract, skb-mode inet_lro per port resource',
  // the lab shows LRO by default; the 2.6.24 module parameter use_lro defaulted to 0 (LRO off)
  defaultEngine: 'lro',
  support: eheaSupport,
  create: (env) => new EheaDriver(supportedEnv(EHEA_DRIVER, env), env.options.engine),
};

registerDriver(EHEA_DRIVER);
