// drivers/: the sample drivers, one folder each, registered by importing this module.
export * from './driver.ts';
import './ehea/index.ts';
import './myri10ge/index.ts';
import './e1000/index.ts';
import './mq/index.ts';
export { deliverToStack } from './deliver.ts';
