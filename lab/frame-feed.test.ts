// The frame feed between the thread generating a wire and a worker running some of the host's cores: frames arrive
// whole, in order, with their times, flags and claims, however they fall into batches; either end failing stops the
// other with a reason instead of a wait.
import { describe, expect, it } from 'vitest';
import { FeedReader, FeedStopped, FeedWriter } from './frame-feed.ts';
import { KnownRun, type KnownBytes } from '../wire/known-bytes.ts';

const source: KnownBytes = { crcThrough: () => 0, sum: () => 0 };

function frameOf(k: number, length: number): Uint8Array {
  const f = new Uint8Array(length);
  for (let i = 0; i < length; i++) f[i] = (k * 31 + i) & 0xff;
  return f;
}

describe('FeedWriter → FeedReader', () => {
  it('hands on every frame in order, across batches and a frame longer than a batch', () => {
    const w = new FeedWriter();
    // more frames than a batch holds, and one longer than a batch (it travels alone); few enough batches that one
    // thread can write them all before reading (a feed has 16 of 64 KiB)
    const lengthOf = (k: number) => (k === 150 ? 700_000 : k % 100 === 0 ? 9018 : k % 2 === 0 ? 1514 : 60);
    const sent: { core: number; bytes: number[]; at: number; flags: number; known: number[] | null }[] = [];
    const claim = new KnownRun();
    for (let k = 0; k < 300; k++) {
      const length = lengthOf(k);
      // a longer array than the frame: only `length` bytes travel
      const frame = frameOf(k, length + 3);
      claim.set(source, 54, k * 1448, length - 54);
      const known = k % 3 === 0 ? null : claim;
      w.push(k % 2, frame, length, k * 1230.5, k & 7, known);
      sent.push({
        core: k % 2,
        bytes: Array.from(frame.subarray(0, length)),
        at: k * 1230.5,
        flags: k & 7,
        known: known === null ? null : [54, k * 1448, length - 54],
      });
    }
    w.end({ done: 'yes' });
    const got: typeof sent = [];
    const tail = new FeedReader(w.ends, source).drain((core, frame, length, nowNs, flags, known) => {
      expect(frame.length).toBe(length);
      if (known !== null) expect(known.source).toBe(source);
      got.push({
        core,
        bytes: Array.from(frame),
        at: nowNs,
        flags,
        known: known === null ? null : [known.at, known.start, known.length],
      });
    });
    expect(tail).toEqual({ done: 'yes' });
    expect(got.length).toBe(sent.length);
    expect(got).toEqual(sent);
  });

  it('an aborted feed stops the reader with FeedStopped', () => {
    const w = new FeedWriter();
    w.push(0, frameOf(1, 100), 100, 5, 0, null);
    w.abort();
    const r = new FeedReader(w.ends, null);
    expect(() => r.drain(() => {})).toThrow(FeedStopped);
  });

  it('a reader that failed stops the writer once it needs a batch back', () => {
    const w = new FeedWriter();
    new FeedReader(w.ends, null).fail();
    const frame = frameOf(2, 1514);
    expect(() => {
      for (let k = 0; k < 100_000; k++) w.push(0, frame, 1514, k, 0, null);
    }).toThrow(FeedStopped);
  });

  it('a claim with no source to refer to is refused', () => {
    const w = new FeedWriter();
    const claim = new KnownRun();
    claim.set(source, 0, 0, 10);
    w.push(0, frameOf(3, 60), 60, 1, 0, claim);
    w.end(null);
    expect(() => new FeedReader(w.ends, null).drain(() => {})).toThrow('claims known bytes');
  });
});
