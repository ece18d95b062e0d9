// The rules a NAPI driver keeps, and the watcher that checks them during one lab run. `vnic test-driver`
// (lab/test-driver.ts) attaches a RuleWatch to every run; the first broken rule stops the run, so what
// is reported is the cause, not the byte-stream damage that follows from it.
import type { NicModel } from '../hw-models/model.ts';
import type { Driver } from '../drivers/driver.ts';
import type { Stack } from '../stack/stack.ts';
import type { NapiStruct, NapiWatch } from '../stack/napi.ts';
import type { EngineWatch, FragFrame } from '../stack/rx-sink.ts';
import { CHECKSUM_UNNECESSARY, type SkBuff } from '../stack/skb.ts';
import { IPPROTO } from '../wire/constants.ts';
import { csumBlockAdd, fold, pseudoHeaderSumAddrs, sumBytes } from '../wire/checksum.ts';
import { FrameLayout, layoutFrame } from '../wire/layout.ts';
import type { RunResult } from './run.ts';

/** Every rule, with what breaking it means and the one-line fix. */
export const DRIVER_RULES = {
  'poll-over-budget': {
    broken: 'the poll processed more frames than its budget',
    fix: 'count one unit of budget per frame and leave the loop when done === budget',
  },
  'poll-not-completed': {
    broken: 'the poll returned less than its budget without napi_complete or without re-enabling the interrupt',
    fix: 'when done < budget: stack.napiComplete(napi), then nic.unmaskIrq(queue)',
  },
  'irq-enabled-while-polling': {
    broken: 're-enabled the interrupt while work was pending (the poll used its whole budget and stays scheduled)',
    fix: 're-enable the interrupt only after napiComplete, in the done < budget branch',
  },
  'engine-not-flushed': {
    broken: 'LRO/GRO still held packets when NAPI completed',
    fix: 'call lro.flushAll() before napiComplete (GRO: napi.attachGro(gro) flushes it at completion)',
  },
  'unverified-checksum-to-lro': {
    broken: 'a frame whose TCP checksum nobody verified (hardware or software) was handed to LRO',
    fix: 'hand LRO only frames marked CHECKSUM_UNNECESSARY (NIC status bits or a software check), in frags mode only frames get_frag_header verified; send the rest to the stack',
  },
  'buffer-leak': {
    broken: 'an skb or ring buffer leaked: DMA memory in use after the run drained exceeds what the rings held at open',
    fix: 'every dropped frame must go through freeSkb (or dma.free its buffer); a recycled buffer goes back on the ring',
  },
  'double-free': {
    broken: 'an skb or ring buffer was freed twice',
    fix: 'clear the shadow slot when a buffer leaves the ring, and free an skb only where nobody else will (LRO and the stack free what they are handed)',
  },
  'ring-not-refilled': {
    broken: 'frames were missed while buffers sat unposted (the ring was left short after a poll)',
    fix: 'refill every slot the poll emptied before the poll returns (a failed allocation is counted and retried next poll)',
  },
  conservation: {
    broken: 'a frame was lost or duplicated: offered ≠ NIC drops + driver drops + delivered + held',
    fix: 'deliver each completed frame exactly once or count it in drops() under a reason',
  },
  'byte-stream': {
    broken: 'a TCP byte stream reached the socket different from what was sent',
    fix: 'check header offsets, fragment lengths and VLAN handling of the skbs the driver builds',
  },
} as const;

export type RuleName = keyof typeof DRIVER_RULES;
export const RULE_NAMES = Object.keys(DRIVER_RULES) as RuleName[];

/** One broken rule: which, where (poll or frame), and what was seen. */
export interface Violation {
  rule: RuleName;
  /** "poll 12 (eth0-rx0, t=1.234567 ms)", "frame accepted by LRO at t=…", or "end of run". */
  where: string;
  detail: string;
}

/** Thrown inside the run to stop it at the first broken rule (caught by `checkRun`). */
export class RuleBroken extends Error {
  override name = 'RuleBroken';
  constructor(readonly violation: Violation) {
    super(`${violation.rule}: ${violation.detail}`);
  }
}

/** A ring short by more than this fraction of what was posted at open counts as "not refilled". */
const SHORT_RING_FRACTION = 0.25;

/** Watches one run: NAPI polls and completions, what LRO accepts, DMA memory, missed frames. */
export class RuleWatch implements NapiWatch, EngineWatch {
  private polls = 0;
  private current: { napi: NapiStruct; index: number } | null = null;
  private readonly dmaAtOpen: number;
  /** Per queue: driver-produced rings, how many buffers a full one holds (entries - 1) and the bytes of one buffer. */
  private readonly rxRings: { ring: string; full: number; bufferBytes: number }[][] = [];
  /** Per queue: rx_missed seen so far, and the poll that last left the ring short (null: refilled). */
  private readonly missedSeen: number[] = [];
  private readonly shortAfter: (string | null)[] = [];
  private failedAllocsAtPoll = 0;
  private readonly layout = new FrameLayout();

  constructor(
    private readonly model: NicModel,
    private readonly driver: Driver,
    private readonly stack: Stack,
  ) {
    this.dmaAtOpen = model.dma.counters.bytesInUse;
    for (let q = 0; q < model.queueCount; q++) {
      this.rxRings.push(
        model
          .rings(q)
          .filter((r) => r.role !== 'completion')
          .map((r) => ({ ring: r.name, full: r.entries - 1, bufferBytes: r.bufferBytes })),
      );
      this.missedSeen.push(model.counters(q).rx_missed);
      this.shortAfter.push(this.shortRing(q, 'open'));
    }
    stack.napiWatch = this;
    stack.engineWatch = this;
  }

  private where(): string {
    const c = this.current;
    return c === null
      ? `outside any poll (t=${ms(this.model.clock.now)})`
      : `poll ${c.index} (${c.napi.name}, t=${ms(this.stack.cpu.now)})`;
  }

  private broken(rule: RuleName, detail: string, where = this.where()): never {
    throw new RuleBroken({ rule, where, detail });
  }

  beforePoll(napi: NapiStruct): void {
    this.current = { napi, index: ++this.polls };
    this.failedAllocsAtPoll = this.model.dma.counters.failedAllocations;
    this.checkMissed();
  }

  afterPoll(napi: NapiStruct, weight: number, work: number): void {
    const q = napi.queue;
    if (work > weight) this.broken('poll-over-budget', `returned ${work} with a budget of ${weight}`);
    if (work < weight) {
      if (napi.scheduled)
        this.broken(
          'poll-not-completed',
          `returned ${work} of ${weight} but never called napiComplete: the context stays on the poll list`,
        );
      if (this.model.irqMasked(q) && !napi.irqDeferred)
        this.broken(
          'poll-not-completed',
          `returned ${work} of ${weight} and completed NAPI, but queue ${q}'s interrupt stays masked: the queue goes deaf`,
        );
    } else if (napi.scheduled && !this.model.irqMasked(q)) {
      this.broken(
        'irq-enabled-while-polling',
        `returned its whole budget (${work}) and stays scheduled, yet queue ${q}'s interrupt was re-enabled`,
      );
    }
    this.noteShortRing(q);
    this.current = null;
  }

  completing(napi: NapiStruct): void {
    const others = this.stack.napis.some((n) => n !== napi && n.scheduled);
    // gro_flush_timeout: GRO keeps packets across the completion, its timer re-polls
    if (!others && this.driver.held > napi.heldAcrossComplete)
      this.broken(
        'engine-not-flushed',
        `${this.driver.held} packet(s) still held by LRO/GRO at napiComplete of ${napi.name}`,
      );
  }

  lroAccept(skb: SkBuff): void {
    if (skb.ipSummed !== CHECKSUM_UNNECESSARY) {
      this.broken(
        'unverified-checksum-to-lro',
        `frame of ${skb.len} bytes on queue ${skb.queue} (arrived t=${ms(skb.arrivalNs)}) joined an LRO session with ip_summed ${skb.ipSummed} (CHECKSUM_UNNECESSARY is ${CHECKSUM_UNNECESSARY})`,
      );
    }
  }

  /**
   * Frags mode has no ip_summed to look at: get_frag_header is where the driver verifies. A frame LRO accepts
   * whose IPv4 header or TCP checksum does not verify (corrupted traffic) was never verified.
   */
  lroAcceptFrags(frame: FragFrame, len: number): void {
    const bad = this.badChecksum(frame, len);
    if (bad !== null) {
      this.broken(
        'unverified-checksum-to-lro',
        `frame of ${len} bytes on queue ${frame.queue} (arrived t=${ms(frame.arrivalNs)}) joined an LRO session in frags mode with ${bad}: get_frag_header accepted it unverified`,
      );
    }
  }

  /** Which checksum of a frags-mode IPv4/TCP frame does not verify, or null (all good, or not a frame this checks). */
  private badChecksum(frame: FragFrame, len: number): string | null {
    const f0 = frame.frags[0]!;
    const L = layoutFrame(f0.mem, f0.off, len, this.layout);
    if (!L.isIpv4 || !L.isTcp || L.l3 + L.ipHdrLen > f0.size) return null;
    if (fold(sumBytes(f0.mem, f0.off + L.l3, L.ipHdrLen)) !== 0xffff) return 'a bad IPv4 header checksum';
    // the TCP segment is frame bytes [l4, ipEnd), spread over the fragments
    let sum = fold(pseudoHeaderSumAddrs(L.saddr, L.daddr, IPPROTO.TCP, L.ipEnd - L.l4));
    for (let k = 0, at = 0; k < frame.count && at < L.ipEnd; k++) {
      const f = frame.frags[k]!,
        from = Math.max(at, L.l4),
        to = Math.min(at + f.size, L.ipEnd);
      if (to > from) sum = csumBlockAdd(sum, fold(sumBytes(f.mem, f.off + from - at, to - from)), from - L.l4);
      at += f.size;
    }
    return sum === 0xffff ? null : 'a bad TCP checksum';
  }

  /** A ring left short after a poll that had no allocation failure: remember where, in case frames are missed. */
  private noteShortRing(q: number): void {
    this.shortAfter[q] =
      this.model.dma.counters.failedAllocations !== this.failedAllocsAtPoll ? null : this.shortRing(q, this.where());
  }

  private shortRing(q: number, when: string): string | null {
    for (const r of this.rxRings[q] ?? []) {
      const now = this.model.postedDescriptors(q, r.ring);
      if (r.full - now > r.full * SHORT_RING_FRACTION)
        return `${r.ring} had ${now} of ${r.full} buffers posted after ${when}`;
    }
    return null;
  }

  /** DMA bytes the rings hold now (buffer-less rings aside). */
  private postedBytes(): number {
    let n = 0;
    for (let q = 0; q < this.model.queueCount; q++) {
      for (const r of this.rxRings[q]!)
        if (r.bufferBytes > 0)
          n += this.model.postedDescriptors(q, r.ring) * Math.max(0, this.model.dma.classFor(r.bufferBytes));
    }
    return n;
  }

  private checkMissed(): void {
    for (let q = 0; q < this.model.queueCount; q++) {
      const missed = this.model.counters(q).rx_missed;
      const short = this.shortAfter[q];
      if (missed > this.missedSeen[q]! && short !== undefined && short !== null) {
        this.broken(
          'ring-not-refilled',
          `queue ${q} missed ${missed - this.missedSeen[q]!} frame(s) while ${short}`,
          short.replace(/^.* after /, ''),
        );
      }
      this.missedSeen[q] = missed;
    }
  }

  /** An error the run threw, as the rule it breaks (a double free surfaces as the DMA allocator's RangeError), or null. */
  violationOf(e: unknown): Violation | null {
    if (e instanceof RuleBroken) return e.violation;
    const m = e instanceof Error ? e.message : '';
    if (/double free|ref of free buffer/.test(m)) return { rule: 'double-free', where: this.where(), detail: m };
    return null;
  }

  /** The end-of-run rules, once the clock is idle. */
  finish(r: RunResult): Violation[] {
    this.current = null;
    try {
      this.checkMissed();
    } catch (e) {
      if (e instanceof RuleBroken) return [e.violation];
      throw e;
    }
    const end = 'end of run';
    if (this.driver.held > 0)
      return [
        {
          rule: 'engine-not-flushed',
          where: end,
          detail: `${this.driver.held} packet(s) still held by LRO/GRO after the run drained`,
        },
      ];
    const inUse = this.model.dma.counters.bytesInUse,
      rings = Math.max(this.dmaAtOpen, this.postedBytes());
    if (this.stack.held === 0 && inUse > rings) {
      return [
        {
          rule: 'buffer-leak',
          where: end,
          detail: `${inUse - rings} bytes of DMA memory in use beyond the ${rings} the rings hold`,
        },
      ];
    }
    const out: Violation[] = [];
    const c = r.conservation;
    if (!c.ok) {
      const diff = c.offered - (c.nicDrops + c.driverDrops + c.delivered + c.held);
      out.push({
        rule: 'conservation',
        where: end,
        detail: `offered ${c.offered} ≠ NIC drops ${c.nicDrops} + driver drops ${c.driverDrops} + delivered ${c.delivered} + held ${c.held} (${diff > 0 ? `${diff} lost` : `${-diff} duplicated`})`,
      });
    }
    const v = this.stack.verify(r.expectations);
    const bad = v.flows.filter((f) => !f.byteStreamOk);
    if (bad.length > 0) {
      out.push({
        rule: 'byte-stream',
        where: end,
        detail:
          bad
            .slice(0, 3)
            .map(
              (f) =>
                `${f.name}: ${f.bytesDelivered} of ${f.expectedBytes} bytes, digest ${f.digest === f.expectedDigest ? 'equal' : 'differs'}`,
            )
            .join('; ') + (bad.length > 3 ? `; and ${bad.length - 3} more flow(s)` : ''),
      });
    }
    return out;
  }
}

function ms(ns: number): string {
  return `${(ns / 1e6).toFixed(6)} ms`;
}
