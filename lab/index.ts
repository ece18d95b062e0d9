// lab/: one run of the whole receive path (model + driver + engine + traffic → report).
export * from './run.ts';
export * from './run-report.ts';
export { fillStackReport } from './stack-report.ts';
export * from './knobs.ts';
export * from './output.ts';
export * from './scenarios.ts';
export * from './narrate.ts';
export * from './seeds.ts';
export * from './multicore.ts';
export { FeedReader, FeedStopped, FeedWriter, type FeedEnds, type FeedPort, type FeedTaker } from './frame-feed.ts';
