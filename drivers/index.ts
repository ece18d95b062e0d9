// drivers/: the sample drivers, one folder each, registered by importing this module.
export * from './driver.ts';
import './ehea/index.ts';
import './myri10ge/index.ts';
import './e1000/index.ts';
import './mq/index.ts';
export { receiveSkb, RxQueue, LRO_MAX_AGGR, LRO_MAX_DESC, CSUM_NONE, CSUM_GOOD, CSUM_BAD, type CsumVerdict, type DriverLroConfig } from './rx-queue.ts';
export { RxRing, CompletionQueue, NO_BUFFER, type RxBufferSource } from './rx-ring.ts';
