// The socket buffer: what a driver hands the kernel and what LRO/GRO merge. Modelled on Linux's
// struct sk_buff closely enough that kernel code reads across: linear data, page fragments, a
// frag_list chain, len/data_len/truesize, ip_summed/csum, protocol, a hardware VLAN tag, GSO fields.
// Skbs come from a pool and are reset on release: the hot path allocates nothing.
import { etherTypeAt } from '../wire/fields.ts';

export const CHECKSUM_NONE = 0;
export const CHECKSUM_UNNECESSARY = 1;
export const CHECKSUM_COMPLETE = 2;
export const CHECKSUM_PARTIAL = 3;
export type IpSummed = 0 | 1 | 2 | 3;
export const IP_SUMMED_NAMES = [
  'CHECKSUM_NONE',
  'CHECKSUM_UNNECESSARY',
  'CHECKSUM_COMPLETE',
  'CHECKSUM_PARTIAL',
] as const;

/** Linux 2.6.24 with 4 KiB pages: 65536 / PAGE_SIZE + 2. */
export const MAX_SKB_FRAGS = 18;
export const PAGE_SIZE = 4096;
export const ETH_HLEN = 14;
export const VLAN_HLEN = 4;
export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_8021Q = 0x8100;
export const ETH_P_8021AD = 0x88a8;
export const ETH_P_IPV6 = 0x86dd;
export const SKB_GSO_TCPV4 = 1 << 0;
export const SKB_GSO_TCP_ECN = 1 << 2;
export const SKB_GSO_TCP_FIXEDID = 1 << 3;
export const SKB_GSO_TCPV6 = 1 << 4;
/** Bytes of bookkeeping charged to truesize for every skb (sizeof(struct sk_buff) on 64-bit 2.6.24, rounded). */
export const SKB_OVERHEAD = 256;

/** Who gets a buffer back when the skb that points into it is freed (a driver's DMA allocator, a page pool). */
export interface BufferOwner {
  /** Called once per reference when the skb holding it is freed. `addr` is the offset the reference was made with. */
  release(mem: Uint8Array, addr: number): void;
}

/** One page fragment: `size` bytes at `off` of `mem` (a DMA memory or a page). */
export class SkbFrag {
  mem: Uint8Array = EMPTY;
  off = 0;
  size = 0;
  owner: BufferOwner | null = null;
  /** The address the owner is told about on release (the page's base, say), independent of trimming `off`. */
  ownerAddr = 0;
}

const EMPTY = new Uint8Array(0);

export class SkBuff {
  /** Backing store of the linear part; `data`..`tail` of it is the linear data. */
  buf: Uint8Array = EMPTY;
  /** Offset in `buf` where the linear data begins (moves with pull/push). */
  data = 0;
  /** Offset in `buf` one past the linear data. */
  tail = 0;
  /** Start of the buffer region the skb may push into (headroom limit). */
  headStart = 0;
  /** One past the buffer region the linear data may grow into (skb_end_pointer: the tailroom limit). */
  end = 0;
  /** Offsets in `buf` of the MAC, network and transport headers (-1 when unset). */
  macHeader = -1;
  networkHeader = -1;
  transportHeader = -1;
  /** Total bytes: linear + page fragments + frag_list. */
  len = 0;
  /** Bytes not in the linear part. */
  dataLen = 0;
  /** Memory charged to this skb (buffer sizes plus SKB_OVERHEAD, plus chained skbs). */
  truesize = 0;
  readonly frags: SkbFrag[] = Array.from({ length: MAX_SKB_FRAGS }, () => new SkbFrag());
  nrFrags = 0;
  /** Head of the chained skbs (skb_shinfo(skb)->frag_list) and, on a chained skb, the next one. */
  fragList: SkBuff | null = null;
  next: SkBuff | null = null;
  protocol = 0;
  ipSummed: IpSummed = CHECKSUM_NONE;
  /** CHECKSUM_COMPLETE: the 16-bit sum the hardware computed; CHECKSUM_PARTIAL: unused here. */
  csum = 0;
  vlanPresent = false;
  vlanTci = 0;
  gsoSize = 0;
  gsoSegs = 0;
  gsoType = 0;
  /** The receive queue that produced it. */
  queue = 0;
  /** Virtual time (ns) the first wire frame in this skb arrived at the NIC. */
  arrivalNs = 0;
  /** Wire frames this skb carries (1, or the number merged by LRO/GRO). */
  wireFrames = 1;
  /** Index of the (first) wire frame in arrival order at the NIC, for traces; -1 when unknown. */
  frameId = -1;
  /** Returns the linear buffer on free. */
  headOwner: BufferOwner | null = null;
  headOwnerAddr = 0;
  /** The pool it came from (null: not pooled). */
  pool: SkbPool | null = null;

  /** Bytes in the linear part. */
  get headLen(): number {
    return this.tail - this.data;
  }

  /** Points the skb at `len` bytes of `buf` from `off`, with `headroom` bytes before them it may push into. */
  setLinear(buf: Uint8Array, off: number, len: number, headroom = 0, tailroom = 0): this {
    this.buf = buf;
    this.data = off;
    this.tail = off + len;
    this.headStart = off - headroom;
    this.end = off + len + tailroom;
    this.len = len;
    this.dataLen = 0;
    return this;
  }

  /** skb_pull: drops `n` bytes from the front of the linear data. */
  pull(n: number): void {
    if (n > this.headLen) throw new RangeError(`skb pull of ${n} bytes past linear data (${this.headLen})`);
    this.data += n;
    this.len -= n;
  }

  /**
   * __pskb_pull_tail: makes the first `n` bytes of the data linear, moving them from the page
   * fragments into the tailroom (fragments emptied are released to their owners). Without enough
   * tailroom the head is reallocated, as pskb_expand_head does: a rare path (deep tag stacks behind a
   * short header copy) that may allocate. False when the skb is shorter than `n` or the bytes are
   * beyond the fragments (in chained skbs).
   */
  pullTail(n: number): boolean {
    const need = n - this.headLen;
    if (need <= 0) return true;
    let inFrags = 0;
    for (let k = 0; k < this.nrFrags; k++) inFrags += this.frags[k]!.size;
    if (need > inFrags) return false;
    if (this.tail + need > this.end) this.expandHead(need);
    let left = need;
    let drop = 0;
    for (let k = 0; k < this.nrFrags && left > 0; k++) {
      const f = this.frags[k]!;
      const take = Math.min(left, f.size);
      this.buf.set(f.mem.subarray(f.off, f.off + take), this.tail);
      this.tail += take;
      left -= take;
      f.off += take;
      f.size -= take;
      if (f.size === 0) {
        if (f.owner !== null) f.owner.release(f.mem, f.ownerAddr);
        f.owner = null;
        drop++;
      }
    }
    if (drop > 0) {
      // the emptied fragments leave the front of the array; the SkbFrag objects rotate to its end
      const gone = this.frags.splice(0, drop);
      this.frags.splice(this.nrFrags - drop, 0, ...gone);
      this.nrFrags -= drop;
    }
    this.dataLen -= need;
    return true;
  }

  /** pskb_expand_head: a new head buffer with `extra` more bytes of tailroom; the old one goes back to its owner. */
  private expandHead(extra: number): void {
    const from = this.headStart;
    const fresh = new Uint8Array(this.end - from + extra);
    fresh.set(this.buf.subarray(from, this.tail));
    if (this.headOwner !== null) this.headOwner.release(this.buf, this.headOwnerAddr);
    this.headOwner = null;
    this.buf = fresh;
    this.data -= from;
    this.tail -= from;
    this.end = fresh.length;
    this.headStart = 0;
    if (this.macHeader >= 0) this.macHeader -= from;
    if (this.networkHeader >= 0) this.networkHeader -= from;
    if (this.transportHeader >= 0) this.transportHeader -= from;
  }

  /** skb_push: extends the linear data `n` bytes to the front. */
  push(n: number): void {
    if (this.data - n < this.headStart) throw new RangeError(`skb push of ${n} bytes past headroom`);
    this.data -= n;
    this.len += n;
  }

  /** Attaches a page fragment (skb_fill_page_desc) and accounts it in len/data_len. */
  addFrag(mem: Uint8Array, off: number, size: number, owner: BufferOwner | null = null, ownerAddr = off): SkbFrag {
    if (this.nrFrags >= MAX_SKB_FRAGS) throw new RangeError(`skb has MAX_SKB_FRAGS (${MAX_SKB_FRAGS}) fragments`);
    const f = this.frags[this.nrFrags++]!;
    f.mem = mem;
    f.off = off;
    f.size = size;
    f.owner = owner;
    f.ownerAddr = ownerAddr;
    this.len += size;
    this.dataLen += size;
    return f;
  }

  /** Byte `i` of the skb's data (linear, then fragments, then frag_list), without copying. */
  byteAt(i: number): number {
    const hl = this.headLen;
    if (i < hl) return this.buf[this.data + i]!;
    i -= hl;
    for (let k = 0; k < this.nrFrags; k++) {
      const f = this.frags[k]!;
      if (i < f.size) return f.mem[f.off + i]!;
      i -= f.size;
    }
    for (let s = this.fragList; s !== null; s = s.next) {
      if (i < s.len) return s.byteAt(i);
      i -= s.len;
    }
    throw new RangeError('skb byteAt past end');
  }

  /** skb_copy_bits: copies `len` bytes from data offset `off` into `dst` at `dstOff`. */
  copyBits(off: number, dst: Uint8Array, dstOff: number, len: number): void {
    if (off + len > this.len) throw new RangeError(`skb copy of ${len} bytes at ${off} past len ${this.len}`);
    const hl = this.headLen;
    if (off < hl) {
      const n = Math.min(len, hl - off);
      dst.set(this.buf.subarray(this.data + off, this.data + off + n), dstOff);
      dstOff += n;
      len -= n;
      off = 0;
    } else off -= hl;
    for (let k = 0; k < this.nrFrags && len > 0; k++) {
      const f = this.frags[k]!;
      if (off < f.size) {
        const n = Math.min(len, f.size - off);
        dst.set(f.mem.subarray(f.off + off, f.off + off + n), dstOff);
        dstOff += n;
        len -= n;
        off = 0;
      } else off -= f.size;
    }
    for (let s = this.fragList; s !== null && len > 0; s = s.next) {
      if (off < s.len) {
        const n = Math.min(len, s.len - off);
        s.copyBits(off, dst, dstOff, n);
        dstOff += n;
        len -= n;
        off = 0;
      } else off -= s.len;
    }
  }

  /** Visits the data as contiguous chunks (linear, fragments, chained skbs) from data offset `off` for `len` bytes. */
  forEachChunk(off: number, len: number, fn: (mem: Uint8Array, start: number, n: number) => void): void {
    const hl = this.headLen;
    if (off < hl) {
      const n = Math.min(len, hl - off);
      if (n > 0) fn(this.buf, this.data + off, n);
      len -= n;
      off = 0;
    } else off -= hl;
    for (let k = 0; k < this.nrFrags && len > 0; k++) {
      const f = this.frags[k]!;
      if (off < f.size) {
        const n = Math.min(len, f.size - off);
        fn(f.mem, f.off + off, n);
        len -= n;
        off = 0;
      } else off -= f.size;
    }
    for (let s = this.fragList; s !== null && len > 0; s = s.next) {
      if (off < s.len) {
        const n = Math.min(len, s.len - off);
        s.forEachChunk(off, n, fn);
        len -= n;
        off = 0;
      } else off -= s.len;
    }
  }

  /** A fresh Uint8Array with all `len` bytes (for tests, traces and pcap output; allocates). */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.len);
    this.copyBits(0, out, 0, this.len);
    return out;
  }

  /** Clears every field back to its freshly-allocated state (does not release buffers). */
  reset(): void {
    this.buf = EMPTY;
    this.data = 0;
    this.tail = 0;
    this.headStart = 0;
    this.end = 0;
    this.macHeader = -1;
    this.networkHeader = -1;
    this.transportHeader = -1;
    this.len = 0;
    this.dataLen = 0;
    this.truesize = 0;
    for (let k = 0; k < this.nrFrags; k++) {
      const f = this.frags[k]!;
      f.mem = EMPTY;
      f.owner = null;
      f.off = 0;
      f.size = 0;
      f.ownerAddr = 0;
    }
    this.nrFrags = 0;
    this.fragList = null;
    this.next = null;
    this.protocol = 0;
    this.ipSummed = CHECKSUM_NONE;
    this.csum = 0;
    this.vlanPresent = false;
    this.vlanTci = 0;
    this.gsoSize = 0;
    this.gsoSegs = 0;
    this.gsoType = 0;
    this.queue = 0;
    this.arrivalNs = 0;
    this.wireFrames = 1;
    this.frameId = -1;
    this.headOwner = null;
    this.headOwnerAddr = 0;
  }
}

/** kfree_skb: gives every buffer back to its owner, frees the chained skbs, returns the skb to its pool. */
export function freeSkb(skb: SkBuff): void {
  let s: SkBuff | null = skb;
  while (s !== null) {
    const nextChained: SkBuff | null = s === skb ? skb.fragList : s.next;
    if (s.headOwner !== null) s.headOwner.release(s.buf, s.headOwnerAddr);
    for (let k = 0; k < s.nrFrags; k++) {
      const f = s.frags[k]!;
      if (f.owner !== null) f.owner.release(f.mem, f.ownerAddr);
    }
    if (s !== skb) releaseToPool(s);
    s = nextChained;
  }
  releaseToPool(skb);
}

function releaseToPool(s: SkBuff): void {
  const pool = s.pool;
  s.reset();
  s.pool = pool;
  if (pool !== null) pool.put(s);
}

/** A free list of skbs. `get()` reuses a released one, or allocates while the pool is growing to its working size. */
export class SkbPool {
  private free: SkBuff[] = [];
  /** Skbs created by this pool (its high-water mark). */
  created = 0;
  inUse = 0;
  peakInUse = 0;

  constructor(prealloc = 0) {
    for (let i = 0; i < prealloc; i++) this.free.push(this.make());
  }

  get(): SkBuff {
    const s = this.free.pop() ?? this.make();
    if (++this.inUse > this.peakInUse) this.peakInUse = this.inUse;
    return s;
  }

  put(s: SkBuff): void {
    this.inUse--;
    this.free.push(s);
  }

  private make(): SkBuff {
    const s = new SkBuff();
    s.pool = this;
    this.created++;
    return s;
  }
}

/**
 * eth_type_trans: records the MAC header, sets `protocol` from the ethertype, and pulls the 14-byte
 * Ethernet header. An in-band 802.1Q tag stays in the data (protocol reads ETH_P_8021Q), as in Linux.
 * The linear part must hold at least the Ethernet header.
 */
export function ethTypeTrans(skb: SkBuff): number {
  skb.macHeader = skb.data;
  skb.protocol = etherTypeAt(skb.buf, skb.data);
  skb.pull(ETH_HLEN);
  skb.networkHeader = skb.data;
  return skb.protocol;
}
