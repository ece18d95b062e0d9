// vitest setup for the test files that share a worker (vitest.config.ts): the built-in NIC models and drivers
// registered in the product's order (hw-models/index.ts, drivers/index.ts) before any test file runs. Otherwise the
// first file that imports one driver or model directly (drivers/mq/mq.test.ts) would register it first, and every
// later file in that worker would list them (`vnic drivers`, the fuzzer's combinations) in another order than the bin.
import '../../hw-models/index.ts';
import '../../drivers/index.ts';
