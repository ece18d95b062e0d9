// Capture replay from a file path (Node only: reads through tap/'s readCapture).

import { readCapture } from '../tap/index.ts';
import type { VirtualClock } from '../sim/clock.ts';
import type { FrameTx } from './link.ts';
import { ReplaySource, captureExpectations, type StreamNote } from './replay.ts';
import type { FlowExpectation } from '../wire/flow.ts';

/** A ReplaySource over the capture at `path` (pcap or pcapng). */
export function replayFile(clock: VirtualClock, tx: FrameTx, path: string, config: unknown = {}): ReplaySource {
  return new ReplaySource(clock, tx, readCapture(path), config);
}

/** The expected TCP streams of the capture at `path` (frames to `onlyTo` only, when given). */
export function fileExpectations(path: string, onlyTo?: string): { flows: FlowExpectation[]; notes: StreamNote[] } {
  return captureExpectations(readCapture(path), onlyTo);
}
