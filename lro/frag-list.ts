// The page fragments of one received frame, as a driver hands them to LroManager.receiveFrags.
// A driver keeps one LroFragList per queue and refills it for every frame: nothing is allocated.
import { MAX_SKB_FRAGS, SkbFrag } from '../stack/skb.ts';
import type { BufferOwner } from '../stack/skb.ts';

export class LroFragList {
  /** Fragment slots; `count` of them are in use, the first holds the MAC header. */
  readonly frags: SkbFrag[] = Array.from({ length: MAX_SKB_FRAGS }, () => new SkbFrag());
  count = 0;
  /** Virtual time the frame arrived, copied to the skb built from it. */
  arrivalNs = 0;
  /** Wire frame index for traces (-1: unknown). */
  frameId = -1;
  /** Receive queue, copied to the skb built from it. */
  queue = 0;

  clear(): this {
    this.count = 0;
    this.arrivalNs = 0;
    this.frameId = -1;
    return this;
  }

  /** Appends a fragment: `size` bytes at `off` of `mem`, released to `owner` (with `ownerAddr`) when its skb is freed. */
  add(mem: Uint8Array, off: number, size: number, owner: BufferOwner | null = null, ownerAddr = off): this {
    if (this.count >= MAX_SKB_FRAGS)
      throw new RangeError(`a frame has at most MAX_SKB_FRAGS (${MAX_SKB_FRAGS}) fragments`);
    const f = this.frags[this.count++]!;
    f.mem = mem;
    f.off = off;
    f.size = size;
    f.owner = owner;
    f.ownerAddr = ownerAddr;
    return this;
  }
}
