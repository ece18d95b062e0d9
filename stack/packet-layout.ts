// The stack reads an skb's IP and TCP headers through wire's one frame layout (layoutPacket). The layout wants the
// headers in one piece: a linear skb is laid out in place; for an skb whose headers reach into page fragments (frags
// mode, a 64-byte header copy), the first bytes are copied into a preallocated window first, as pskb_may_pull would.
import { FrameLayout, layoutPacket } from '../wire/layout.ts';
import type { SkBuff } from './skb.ts';

/** Covers IPv4 (60) + TCP (60) with room to spare: the usual window of a non-linear skb. */
const SMALL_WINDOW = 256;
/** IPv6's longest header chain the layout walks (8 extension headers of up to 2048 bytes) + the fixed header + TCP. */
const LARGE_WINDOW = 8 * 2048 + 40 + 60;
/** Bytes past an offset the layout may still read there (a TCP header with options). */
const READ_AHEAD = 60;

export class SkbLayout {
  readonly layout = new FrameLayout();
  /** The bytes the layout's offsets are relative to: `buf[base + offset]`. */
  buf: Uint8Array;
  base = 0;
  private readonly small = new Uint8Array(SMALL_WINDOW);
  private large: Uint8Array | null = null;

  constructor() {
    this.buf = this.small;
  }

  /**
   * Lays out the packet `at` bytes past `skb.data` (0, or 4 past an in-band 802.1Q tag; `etherType`: the protocol
   * eth_type_trans and untagging left). Allocates nothing but, once, the large window.
   */
  lay(skb: SkBuff, etherType: number, at = 0): FrameLayout {
    const L = this.layout;
    if (skb.headLen >= skb.len) {
      this.buf = skb.buf;
      this.base = skb.data + at;
      return layoutPacket(skb.buf, skb.data + at, skb.len - at, etherType, L);
    }
    let n = Math.min(skb.len - at, SMALL_WINDOW);
    skb.copyBits(at, this.small, 0, n);
    this.buf = this.small;
    this.base = 0;
    layoutPacket(this.small, 0, skb.len - at, etherType, L);
    const reached = (L.l4 >= 0 ? L.l4 : Math.max(L.refusalAt, 0)) + READ_AHEAD;
    if (reached <= n || n === skb.len - at) return L;
    // a long IPv6 header chain: lay it out again from a window that holds all of it
    this.large ??= new Uint8Array(LARGE_WINDOW);
    n = Math.min(skb.len - at, LARGE_WINDOW);
    skb.copyBits(at, this.large, 0, n);
    this.buf = this.large;
    return layoutPacket(this.large, 0, skb.len - at, etherType, L);
  }
}
