// traffic/: the link partner — TCP senders, background traffic, capture replay and impairments,
// sending Ethernet frames to a NIC model at line rate on the virtual clock.

export { Link, DirectTx, FRAME_FLAG, WIRE, wireBytes, wireTimeNs } from './link.ts';
export type { FrameSink, FrameTx, LinkStats } from './link.ts';
export { Impairments } from './impair.ts';
export type { ImpairmentStats } from './impair.ts';
export { LinkPartner, createLinkPartner } from './partner.ts';
export type { TcpFlowStats, PartnerStats, FlowReport, PartnerSetup } from './partner.ts';
export { ReplaySource, StreamAssembler, CaptureStreams, captureExpectations } from './replay.ts';
export {
  DestinationFilter,
  parseDestination,
  isDestination,
  DESTINATION_FORMS,
  type Destination,
} from './destination-filter.ts';
export type { ReplayStats, StreamNote, RecordClaims } from './replay.ts';
export { replayFile, fileExpectations } from './replay-file.ts';
export {
  BulkFlowConfig,
  MessageFlowConfig,
  RequestResponseFlowConfig,
  BackgroundConfig,
  FlowConfig,
  PshPattern,
  VlanTagConfig,
  ImpairmentConfig,
  TrafficConfig,
  ReplayConfig,
  Ipv4Address,
  MacAddress,
  TrafficConfigError,
  parseTrafficConfig,
  parseImpairmentConfig,
  parseReplayConfig,
  parseWith,
  TrafficConfigFields,
} from './config.ts';
export type { TrafficConfigInput, ImpairmentConfigInput, ReplayConfigInput } from './config.ts';
export { TSO_MAX_BYTES, TsoNic, type TsoStats, type FrameEmit } from './tso.ts';
export {
  CongestionControl,
  type CongestionAlgorithm,
  type CongestionSettings,
  type CongestionStats,
  type WindowGrowth,
} from './congestion.ts';
