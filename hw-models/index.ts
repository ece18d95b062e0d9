// hw-models/: simulated NIC hardware. Shared DMA memory, rings, interrupts and the model registry;
// importing this module registers the built-in models (ehea, myri10ge, e1000, mq).
export * from './capabilities.ts';
export * from './dma.ts';
export * from './irq.ts';
export * from './ring.ts';
export * from './frame-checks.ts';
export * from './rss.ts';
export * from './model.ts';
export * from './registry.ts';
export * as ehea from './ehea.ts';
export * as myri10ge from './myri10ge.ts';
export * as e1000 from './e1000.ts';
export * as mq from './mq.ts';
export { EheaNic } from './ehea.ts';
export { Myri10geNic } from './myri10ge.ts';
export { E1000Nic } from './e1000.ts';
export { MqNic } from './mq.ts';
