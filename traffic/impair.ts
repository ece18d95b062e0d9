// Impairments between a sender and the link: loss, reorder (hold back up to `depth` frames),
// duplication, a corrupted byte, a bad checksum field, truncation and Ethernet padding, each drawn
// from its own seeded PRNG at a configured probability and counted.

import { Prng } from '../sim/prng.ts';
import type { VirtualClock, Timer } from '../sim/clock.ts';
import { NO_TRACE, type Tracer } from '../observe/trace.ts';
import { ETH, ICMP, IPPROTO, IPV4, IPV6, TCP } from '../wire/index.ts';
import { FRAME_FLAG, type FrameTx } from './link.ts';
import { FrameLayout, layoutFrame, copyBytes, r16, w16 } from '../wire/index.ts';
import { parseImpairmentConfig, type ImpairmentConfig } from './config.ts';

export interface ImpairmentStats {
  /** Frames offered by the sender. */
  offered: number;
  /** Frames handed downstream (duplicates included). */
  forwarded: number;
  lost: number;
  /** Frames held back and released later. */
  reordered: number;
  /** Frames that would have been held but every hold slot was busy. */
  reorderSkipped: number;
  /** Held frames released by the hold timeout rather than by later frames. */
  reorderTimeoutReleases: number;
  duplicated: number;
  corrupted: number;
  /** Corruption drawn but the frame has no byte of the chosen region. */
  corruptSkipped: number;
  badChecksum: number;
  badChecksumSkipped: number;
  truncated: number;
  truncateSkipped: number;
  padded: number;
}

/** A frame held back: `seq` is its place in arrival order; `left` the later frames still to let past. */
interface Held {
  buf: Uint8Array;
  len: number;
  flags: number;
  left: number;
  used: boolean;
  seq: number;
}

const MAX_FRAME = 65536 + 1600;

/** A composable stage: `transmit` here, frames come out of `downstream` impaired. */
export class Impairments implements FrameTx {
  readonly stats: ImpairmentStats = {
    offered: 0,
    forwarded: 0,
    lost: 0,
    reordered: 0,
    reorderSkipped: 0,
    reorderTimeoutReleases: 0,
    duplicated: 0,
    corrupted: 0,
    corruptSkipped: 0,
    badChecksum: 0,
    badChecksumSkipped: 0,
    truncated: 0,
    truncateSkipped: 0,
    padded: 0,
  };
  readonly config: ImpairmentConfig;
  private readonly lossRng: Prng;
  private readonly reorderRng: Prng;
  private readonly dupRng: Prng;
  private readonly corruptRng: Prng;
  private readonly csumRng: Prng;
  private readonly truncRng: Prng;
  private readonly padRng: Prng;
  private readonly scratch = new Uint8Array(MAX_FRAME);
  private readonly layout = new FrameLayout();
  private readonly held: Held[] = [];
  private heldCount = 0;
  /** Frames that reached the reorder step (or were lost), in order: what "later" means for a held frame. */
  private arrivals = 0;
  private holdTimer: Timer | undefined;
  private readonly onHoldTimeout = (): void => {
    this.holdTimer = undefined;
    this.releaseAll(true);
  };

  constructor(
    private readonly downstream: FrameTx,
    config: unknown,
    private readonly clock?: VirtualClock,
    defaultSeed = 1,
    private readonly tracer: Tracer = NO_TRACE,
  ) {
    this.config = parseImpairmentConfig(config);
    const root = new Prng(this.config.seed ?? defaultSeed);
    // One generator per kind, forked in a fixed order: enabling one impairment does not shift another's draws.
    this.lossRng = root.fork();
    this.reorderRng = root.fork();
    this.dupRng = root.fork();
    this.corruptRng = root.fork();
    this.csumRng = root.fork();
    this.truncRng = root.fork();
    this.padRng = root.fork();
    const slots = this.config.reorder.p > 0 ? this.config.reorder.depth + 1 : 0;
    for (let i = 0; i < slots; i++)
      this.held.push({ buf: new Uint8Array(2048), len: 0, flags: 0, left: 0, used: false, seq: 0 });
  }

  /** True when every impairment is off: the stage passes frames straight through. */
  get passThrough(): boolean {
    const c = this.config;
    return (
      c.loss === 0 &&
      c.reorder.p === 0 &&
      c.duplicate === 0 &&
      c.corrupt.p === 0 &&
      c.badChecksum.p === 0 &&
      c.truncate === 0 &&
      c.pad.p === 0
    );
  }

  backlog(): number {
    return this.downstream.backlog();
  }
  addReadyListener(fn: () => void): void {
    this.downstream.addReadyListener(fn);
  }

  /** Frames currently held back by the reorder impairment. */
  heldFrames(): number {
    return this.heldCount;
  }

  transmit(frame: Uint8Array, length: number, flags = 0): void {
    const c = this.config;
    this.stats.offered++;
    if (this.lossRng.chance(c.loss)) {
      this.stats.lost++;
      if (this.tracer.enabled)
        this.trace('drop', 'impair_loss', `lost frame ${this.stats.offered - 1} (${length} bytes)`);
      this.tick();
      return;
    }
    let buf = frame;
    let len = length;
    const modify = this.corruptRng.chance(c.corrupt.p);
    const badCsum = this.csumRng.chance(c.badChecksum.p);
    const trunc = this.truncRng.chance(c.truncate);
    const pad = this.padRng.chance(c.pad.p);
    if (modify || badCsum || trunc || pad) {
      if (length + c.pad.maxBytes <= this.scratch.length) {
        copyBytes(frame, 0, this.scratch, 0, length);
        buf = this.scratch;
        layoutFrame(buf, 0, len, this.layout);
        if (modify) flags |= this.corrupt(buf, len);
        if (badCsum) flags |= this.spoilChecksum(buf, len);
        if (trunc) {
          const n = this.truncate(len);
          if (n < len) {
            len = n;
            flags |= FRAME_FLAG.TRUNCATED;
          }
        }
        if (this.tracer.enabled) this.traceChanges(flags);
        if (pad) {
          const n = 1 + this.padRng.int(c.pad.maxBytes);
          buf.fill(0, len, len + n);
          len += n;
          flags |= FRAME_FLAG.PADDED;
          this.stats.padded++;
        }
      }
    }
    const dup = this.dupRng.chance(c.duplicate);
    if (dup && this.tracer.enabled)
      this.trace('impair', 'impair_duplicate', `duplicated frame ${this.stats.offered - 1}`);
    this.reorderOrSend(buf, len, flags);
    if (dup) {
      this.stats.duplicated++;
      this.reorderOrSend(buf, len, flags | FRAME_FLAG.DUPLICATE);
    }
  }

  private trace(what: string, reason: string, text: string): void {
    this.tracer.emit({ t: this.clock?.now ?? 0, layer: 'traffic', what, reason, text });
  }

  private traceChanges(flags: number): void {
    const n = this.stats.offered - 1;
    if (flags & FRAME_FLAG.CORRUPTED) this.trace('impair', 'impair_corrupt', `corrupted a byte of frame ${n}`);
    if (flags & FRAME_FLAG.BAD_CSUM)
      this.trace('impair', 'impair_bad_checksum', `altered a checksum field of frame ${n}`);
    if (flags & FRAME_FLAG.TRUNCATED) this.trace('impair', 'impair_truncate', `truncated frame ${n}`);
  }

  /** Releases every held frame now (end of traffic). */
  flush(): void {
    this.releaseAll(false);
  }

  private reorderOrSend(buf: Uint8Array, len: number, flags: number): void {
    const r = this.config.reorder;
    const seq = this.arrivals++;
    if (this.reorderRng.chance(r.p)) {
      let slot: Held | undefined;
      for (const h of this.held)
        if (!h.used) {
          slot = h;
          break;
        }
      if (slot !== undefined) {
        if (slot.buf.length < len) slot.buf = new Uint8Array(len);
        copyBytes(buf, 0, slot.buf, 0, len);
        slot.len = len;
        slot.flags = flags | FRAME_FLAG.REORDERED;
        slot.used = true;
        slot.seq = seq;
        slot.left = 1 + this.reorderRng.int(r.depth);
        this.heldCount++;
        this.stats.reordered++;
        if (this.tracer.enabled)
          this.trace('impair', 'impair_reorder', `held a frame back for up to ${slot.left} later frames`);
        if (this.holdTimer === undefined && this.clock !== undefined)
          this.holdTimer = this.clock.after(r.holdNs, this.onHoldTimeout);
        return;
      }
      this.stats.reorderSkipped++;
    }
    this.forward(buf, len, flags, seq);
    this.releaseDue();
  }

  /** A lost frame also goes past the held ones. */
  private tick(): void {
    const seq = this.arrivals++;
    if (this.heldCount === 0) return;
    this.passed(seq);
    this.releaseDue();
  }

  /** A frame that arrived as number `seq` went out (or was lost): held frames older than it have one fewer to wait for. */
  private passed(seq: number): void {
    for (const h of this.held) if (h.used && h.seq < seq) h.left--;
  }

  /** Sends held frames whose wait is over, oldest first (an older frame going out does not count against a newer one). */
  private releaseDue(): void {
    while (this.heldCount > 0) {
      let due: Held | undefined;
      for (const h of this.held) if (h.used && h.left <= 0 && (due === undefined || h.seq < due.seq)) due = h;
      if (due === undefined) return;
      this.release(due);
    }
  }

  private release(h: Held): void {
    h.left = Number.MAX_SAFE_INTEGER; // still marked used while forwarded, so a re-entrant transmit cannot reuse its buffer
    this.forward(h.buf, h.len, h.flags, h.seq);
    h.used = false;
    this.heldCount--;
    if (this.heldCount === 0 && this.holdTimer !== undefined) {
      this.holdTimer.cancel();
      this.holdTimer = undefined;
    }
  }

  private releaseAll(byTimeout: boolean): void {
    for (;;) {
      let oldest: Held | undefined;
      for (const h of this.held) if (h.used && (oldest === undefined || h.seq < oldest.seq)) oldest = h;
      if (oldest === undefined) break;
      if (byTimeout) this.stats.reorderTimeoutReleases++;
      this.release(oldest);
    }
  }

  private forward(buf: Uint8Array, len: number, flags: number, seq: number): void {
    this.stats.forwarded++;
    this.downstream.transmit(buf, len, flags);
    if (this.heldCount > 0) this.passed(seq);
  }

  private corrupt(buf: Uint8Array, len: number): number {
    const L = this.layout;
    const where = this.config.corrupt.where;
    let lo = 0,
      hi = 0;
    const hdrLo = Math.max(L.l3, 0);
    // the payload of TCP, UDP and ICMP (after its 8-byte header); other packets are all header
    const payLo = L.isTcpOrUdp
      ? L.payload
      : L.l4Proto === IPPROTO.ICMP && L.l4 + ICMP.HLEN <= len
        ? L.l4 + ICMP.HLEN
        : -1;
    const hdrHi = payLo >= 0 ? payLo : L.l4 >= 0 ? L.l4 : Math.min(len, hdrLo + IPV4.HLEN);
    const payHi = L.ipEnd >= 0 ? L.ipEnd : len;
    if (where === 'payload') {
      lo = payLo;
      hi = payHi;
    } else if (where === 'header') {
      lo = hdrLo;
      hi = hdrHi;
    } else {
      lo = hdrLo;
      hi = len;
    }
    if (lo < 0 || hi <= lo) {
      this.stats.corruptSkipped++;
      return 0;
    }
    const at = lo + this.corruptRng.int(hi - lo);
    buf[at] = buf[at]! ^ (1 + this.corruptRng.int(255));
    this.stats.corrupted++;
    return FRAME_FLAG.CORRUPTED;
  }

  private spoilChecksum(buf: Uint8Array, len: number): number {
    const L = this.layout;
    const which = this.config.badChecksum.which;
    const canTcp = L.isTcp && L.l4 + TCP.CSUM + 2 <= len;
    const canIp = L.ipVersion === 4; // IPv6 has no header checksum
    let useTcp: boolean;
    if (which === 'tcp') useTcp = true;
    else if (which === 'ip') useTcp = false;
    else useTcp = canTcp && (!canIp || this.csumRng.chance(0.5));
    if (useTcp ? !canTcp : !canIp) {
      this.stats.badChecksumSkipped++;
      return 0;
    }
    const off = useTcp ? L.l4 + TCP.CSUM : L.l3 + IPV4.CSUM;
    const old = r16(buf, off);
    let v = old ^ (1 + this.csumRng.int(0xfffe));
    // 0x0000 and 0xffff are the same 1's-complement value: that swap would still verify.
    if ((old === 0 && v === 0xffff) || (old === 0xffff && v === 0)) v ^= 1;
    w16(buf, off, v);
    this.stats.badChecksum++;
    return FRAME_FLAG.BAD_CSUM;
  }

  private truncate(len: number): number {
    const L = this.layout;
    const min = L.ipVersion === 4 ? L.l3 + IPV4.HLEN : L.ipVersion === 6 ? L.l3 + IPV6.HLEN : ETH.HLEN;
    if (len - 1 <= min) {
      this.stats.truncateSkipped++;
      return len;
    }
    this.stats.truncated++;
    return min + this.truncRng.int(len - min);
  }
}
