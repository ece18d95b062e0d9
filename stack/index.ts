// stack/: the mock kernel — skb, net_device, NAPI and the NET_RX softirq, netif_rx backlog,
// IPv4 and TCP receive, sockets that fingerprint each byte stream, ACK generation.
export * from './skb.ts';
export type { EngineWatch, FragFrame, RxSink } from './rx-sink.ts';
export type { ForwardKernel } from './forward.ts';
export * from './skb-util.ts';
export * from './netdev.ts';
export * from './napi.ts';
export * from './stats.ts';
export { TcpLayer, TcpFlow, segsOf, type AckCounting, type SendToWire, type TcpOptions } from './tcp.ts';
export {
  Stack,
  type StackOptions,
  type FlowResult,
  type FlowVerdict,
  type VerifyResult,
  type IrqEntry,
} from './stack.ts';
export { segment, segmentFrames } from './gso.ts';
