// lro/: Linux 2.6.24 inet_lro (LroManager) and modern GRO (GroEngine), with their counters.
export {
  LroManager,
  LroHeader,
  LRO_IPV4,
  LRO_TCP,
  LRO_F_NAPI,
  LRO_F_EXTRACT_VLAN_ID,
  LRO_MAX_PG_HLEN,
  lroConfigSchema,
  lroQuirksSchema,
  configError,
} from './inet-lro.ts';
export type { LroConfig, LroQuirks, GetSkbHeader, GetFragHeader } from './inet-lro.ts';
export { LroFragList } from './frag-list.ts';
export { HeaderSlab } from './header-slab.ts';
export { newLroStats, sumLroStats } from './stats.ts';
export type { LroStats, LroReasonCounters } from './stats.ts';
export * from './reasons.ts';
export {
  GroEngine,
  groBucket,
  groConfigSchema,
  newGroStats,
  sumGroStats,
  GRO_HASH_BUCKETS,
  MAX_GRO_SKBS,
  GRO_MAX_SIZE,
  GRO_LEGACY_MAX_SIZE,
} from './gro.ts';
export type { GroConfig, GroStats, GroReasonCounters } from './gro.ts';
