// The NicModel interface drivers program against, and BaseNic: the receive steps every model shares
// (length check → FCS → MAC filter → oversize → runt pad), queue counters, IRQ lines and the scratch
// frame a model scatters into DMA buffers. A model supplies queue selection and the DMA/completion step.
import { VirtualClock } from '../sim/clock.ts';
import { NO_TRACE, type Tracer } from '../observe/trace.ts';
import { ETH } from '../wire/constants.ts';
import { FrameLayout, layoutFrame } from '../wire/layout.ts';
import { formatFrame } from '../wire/format.ts';
import type { Capabilities } from './capabilities.ts';
import { ConfigError } from './capabilities.ts';
import { getAddr64, setAddr64, type DmaMemory } from './dma.ts';
import { IrqLine, type IrqCounters, type IrqHandler, type Moderation } from './irq.ts';
import { NIC_MAX_TAGS } from './frame-checks.ts';
import type { KnownRun } from '../wire/known-bytes.ts';
import type { Ring, RingInfo } from './ring.ts';

/** Flags on receiveFrame (the optional 4th argument). */
export const RX_FLAG = {
  /** The frame arrived with a bad FCS (simulated corruption on the wire). */
  BAD_FCS: 1 << 0,
  /**
   * The frame's checksums cannot be checked (a snaplen-cut capture record extended with zeros):
   * a verifying model reports them good, as the NIC that saw the original frame did.
   */
  CSUM_TRUSTED: 1 << 1,
} as const;

/** Minimum Ethernet frame without FCS; shorter frames are padded by a real sender. */
export const ETH_ZLEN = 60;

/** Named counters of one receive queue. Every frame ends in rx_packets or exactly one drop counter. */
export interface QueueCounters {
  /** Completions written (including completions that carry an error status). */
  rx_packets: number;
  /** Frame bytes (without FCS, after runt padding and VLAN removal) in those completions. */
  rx_bytes: number;
  /** Dropped: no posted buffer (or not enough for the frame) on the ring it needed. */
  rx_missed: number;
  /** Bad FCS: a drop, or a flag on a completion when the model reports (capabilities.badFcs). */
  rx_crc_errors: number;
  /** Dropped: shorter than an Ethernet header, or length beyond the array given. */
  rx_length_errors: number;
  /** Completed with a checksum-error status (verified models only; not a drop). */
  rx_csum_errors: number;
  /** Dropped: longer than MTU + 14 (+4 per VLAN tag, at most 2). */
  rx_oversize: number;
  /** Dropped by the destination-MAC filter. */
  rx_filtered: number;
  /** Frames shorter than 60 bytes padded with zeros (not a drop). */
  rx_runts_padded: number;
  /** VLAN tags removed from the frame and reported in the completion (not a drop). */
  rx_vlan_stripped: number;
  [name: string]: number;
}

export function newQueueCounters(extra: readonly string[] = []): QueueCounters {
  const c: QueueCounters = {
    rx_packets: 0,
    rx_bytes: 0,
    rx_missed: 0,
    rx_crc_errors: 0,
    rx_length_errors: 0,
    rx_csum_errors: 0,
    rx_oversize: 0,
    rx_filtered: 0,
    rx_runts_padded: 0,
    rx_vlan_stripped: 0,
  };
  for (const k of extra) c[k] = 0;
  return c;
}

/** One field of a descriptor layout: `width` bytes at `offset`; a bit field also gives `shift` and `bits`. */
export interface DescriptorField {
  offset: number;
  width: 1 | 2 | 4 | 8;
  shift?: number;
  bits?: number;
}

/** A field packed into a descriptor word with others: `bits` bits from bit `shift` (a model names each in a constant). */
export interface BitField {
  readonly shift: number;
  readonly bits: number;
}

/** The value of bit field `f` of `word`. */
export function readBits(word: number, f: BitField): number {
  return ((word >>> f.shift) & mask(f.bits)) >>> 0;
}

/** The low `bits` bits set (`1 << 32` is 1 in JavaScript, so a whole word is spelled out). */
const mask = (bits: number): number => (bits >= 32 ? 0xffffffff : (1 << bits) - 1);

/** `value` placed in bit field `f` of a word (cut to the field's bits); OR the fields of one word together. */
export function placeBits(value: number, f: BitField): number {
  return ((value & mask(f.bits)) << f.shift) >>> 0;
}

/**
 * The encoder and decoder of a layout whose fields are whole (1, 2, 4 or 8 bytes) or bit fields of a 1-, 2- or 4-byte
 * word, made from its fields: a bit field is written into its word without touching the word's other bits.
 */
export function fieldCodec(
  fields: Readonly<Record<string, DescriptorField>>,
  littleEndian: boolean,
): Pick<DescriptorLayout, 'encode' | 'decode'> {
  const entries = Object.entries(fields);
  const get = (v: DataView, at: number, f: DescriptorField): number =>
    f.width === 1
      ? v.getUint8(at)
      : f.width === 2
        ? v.getUint16(at, littleEndian)
        : f.width === 4
          ? v.getUint32(at, littleEndian)
          : getAddr64(v, at, littleEndian);
  const set = (v: DataView, at: number, f: DescriptorField, x: number): void => {
    if (f.width === 1) v.setUint8(at, x);
    else if (f.width === 2) v.setUint16(at, x, littleEndian);
    else if (f.width === 4) v.setUint32(at, x, littleEndian);
    else setAddr64(v, at, x, littleEndian);
  };
  return {
    encode(v, at, d) {
      for (const [name, f] of entries) {
        const x = d[name] ?? 0;
        if (f.shift === undefined || f.bits === undefined) set(v, at + f.offset, f, x);
        else {
          const keep = get(v, at + f.offset, f) & ~placeBits(-1, { shift: f.shift, bits: f.bits });
          set(v, at + f.offset, f, (keep | placeBits(x, { shift: f.shift, bits: f.bits })) >>> 0);
        }
      }
    },
    decode(v, at) {
      const out: Record<string, number> = {};
      for (const [name, f] of entries) {
        const word = get(v, at + f.offset, f);
        out[name] =
          f.shift === undefined || f.bits === undefined ? word : readBits(word, { shift: f.shift, bits: f.bits });
      }
      return out;
    },
  };
}

/** A descriptor's byte layout as data, with its encoder/decoder (docs/datasheets.ts generates the datasheet tables from it). */
export interface DescriptorLayout {
  name: string;
  /** Who writes it: the driver (posted descriptors) or the device (completions/write-back). */
  writer: 'driver' | 'device';
  size: number;
  fields: Record<string, DescriptorField>;
  encode(v: DataView, at: number, d: Record<string, number>): void;
  decode(v: DataView, at: number): Record<string, number>;
}

/** The hardware interface a driver programs against (see docs/hw-models/<name>.md for each model). */
export interface NicModel {
  readonly name: string;
  /** What this instance does (the model's capabilities narrowed by its config). */
  readonly capabilities: Capabilities;
  readonly dma: DmaMemory;
  readonly clock: VirtualClock;
  readonly queueCount: number;
  /** True when descriptor fields are little-endian (DataView's `littleEndian` argument). */
  readonly littleEndian: boolean;
  /**
   * FrameSink: a frame as on the wire without preamble and FCS; copied at once. `known`: the sender's claim that some of
   * its bytes are a known source's (wire/known-bytes.ts), valid during the call; a model may take their sums from it.
   */
  receiveFrame(frame: Uint8Array, length: number, nowNs: number, flags?: number, known?: KnownRun | null): void;
  rings(queue: number): readonly RingInfo[];
  ring(queue: number, name: string): RingInfo;
  /** Writes a ring's doorbell register: the new tail of an rx ring, or the consumer index of a completion ring. */
  doorbell(queue: number, ring: string, value: number): void;
  /** The device's head index of a ring (rx: next descriptor it will use; completion: next entry it will write). */
  readHead(queue: number, ring: string): number;
  onInterrupt(queue: number, handler: IrqHandler): void;
  maskIrq(queue: number): void;
  /** Re-arms the (one-shot) interrupt; a cause latched meanwhile fires at once (as a clock event). */
  unmaskIrq(queue: number): void;
  /** Whether the queue's interrupt is masked now (it masks itself when it fires; the driver unmasks it). */
  irqMasked(queue: number): boolean;
  /** Descriptors the driver has posted on a driver-produced ring that the device has not consumed yet. */
  postedDescriptors(queue: number, ring: string): number;
  setModeration(queue: number, m: Moderation): void;
  irqCounters(queue: number): Readonly<IrqCounters>;
  counters(queue: number): Readonly<QueueCounters>;
  /** Counters summed over queues. */
  totals(): QueueCounters;
  /** Counter names that are drops: offered = Σ rx_packets + Σ drops. */
  readonly dropCounters: readonly string[];
  readonly framesOffered: number;
  macAddress: string;
  promiscuous: boolean;
  allMulticast: boolean;
  padRunts: boolean;
  mtu: number;
  /** Every descriptor layout the model uses (driver-written and device-written). */
  readonly descriptors: readonly DescriptorLayout[];
  /**
   * Tracing only: the arrival index of the oldest completion on `queue` the driver has not taken yet
   * (drivers call it once per completion they consume, under `tracer.enabled`); -1 when untraced.
   */
  takeCompletedFrame?(queue: number): number;
}

export interface ModelEnv {
  clock?: VirtualClock;
  tracer?: Tracer;
}

export interface BaseSettings {
  mac: string;
  mtu: number;
  promiscuous: boolean;
  allMulticast: boolean;
  padRunts: boolean;
}

/** Staging bytes a model with this maximum MTU needs (pass as DmaMemory's `scratchBytes`). */
export function scratchBytesFor(maxMtu: number): number {
  return maxMtu + 14 + 8 + 64;
}

const BASE_DROPS = ['rx_missed', 'rx_length_errors', 'rx_oversize', 'rx_filtered'] as const;

/** Shared receive steps; subclasses implement `selectQueue` and `dmaFrame`. */
export abstract class BaseNic implements NicModel {
  abstract readonly name: string;
  abstract readonly descriptors: readonly DescriptorLayout[];
  readonly clock: VirtualClock;
  readonly tracer: Tracer;
  readonly dropCounters: readonly string[];
  readonly littleEndian: boolean;
  protected readonly qc: QueueCounters[] = [];
  protected readonly irq: IrqLine[] = [];
  protected readonly ringTable: Map<string, Ring>[] = [];
  protected readonly parsed = new FrameLayout();
  /** Address (in dma.bytes) where the frame is assembled as it will land in buffers (padded, tag removed). */
  protected readonly scratchAt: number;
  protected scratchLen = 0;
  protected frameId = 0;
  /** The frame being received carries RX_FLAG.CSUM_TRUSTED: checksum verification reports good. */
  protected csumTrusted = false;
  /** The sender's claim about the bytes of the frame being received (receiveFrame's `known`), or null. */
  protected known: KnownRun | null = null;
  private offered = 0;
  /** Tracing only: arrival indices of published completions per queue, oldest first (`vnic trace` correlation). */
  private readonly tracedFrames: number[][] = [];
  private readonly macBytes = new Uint8Array(6);
  private mtuValue: number;
  promiscuous: boolean;
  allMulticast: boolean;
  padRunts: boolean;

  constructor(
    readonly capabilities: Capabilities,
    readonly dma: DmaMemory,
    readonly queueCount: number,
    settings: BaseSettings,
    env: ModelEnv,
    extraCounters: readonly string[],
    extraDrops: readonly string[],
  ) {
    this.clock = env.clock ?? new VirtualClock();
    this.tracer = env.tracer ?? NO_TRACE;
    this.littleEndian = capabilities.byteOrder === 'little';
    this.dropCounters = [...BASE_DROPS, ...(capabilities.badFcs === 'drop' ? ['rx_crc_errors'] : []), ...extraDrops];
    for (let q = 0; q < queueCount; q++) {
      this.qc.push(newQueueCounters(extraCounters));
      this.irq.push(new IrqLine(this.clock, q));
      this.ringTable.push(new Map());
    }
    if (dma.scratchBytes < scratchBytesFor(capabilities.maxMtu))
      throw new RangeError(
        `${capabilities.maxMtu}-byte MTU model needs DmaMemory({ scratchBytes: ${scratchBytesFor(capabilities.maxMtu)} }), got ${dma.scratchBytes}`,
      );
    this.scratchAt = dma.scratchAt;
    this.macAddress = settings.mac;
    this.mtuValue = settings.mtu;
    this.promiscuous = settings.promiscuous;
    this.allMulticast = settings.allMulticast;
    this.padRunts = settings.padRunts;
  }

  get framesOffered(): number {
    return this.offered;
  }

  get macAddress(): string {
    return Array.from(this.macBytes, (b) => b.toString(16).padStart(2, '0')).join(':');
  }
  set macAddress(s: string) {
    const parts = s.split(':');
    if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p)))
      throw new ConfigError(
        `${this.name ?? 'nic'}: macAddress = ${JSON.stringify(s)}: must be a MAC address like "02:00:00:00:00:02"`,
        'mac',
      );
    parts.forEach((p, i) => {
      this.macBytes[i] = parseInt(p, 16);
    });
  }

  get mtu(): number {
    return this.mtuValue;
  }
  set mtu(v: number) {
    const { minMtu, maxMtu } = this.capabilities;
    if (!Number.isInteger(v) || v < minMtu || v > maxMtu)
      throw new ConfigError(`${this.name}: mtu = ${v}: must be an integer from ${minMtu} to ${maxMtu}`, 'mtu');
    this.mtuValue = v;
  }

  // ---- registers --------------------------------------------------------------------------

  protected ringOf(queue: number, name: string): Ring {
    const t = this.ringTable[queue];
    if (t === undefined)
      throw new RangeError(`${this.name}: queue ${queue} does not exist (0..${this.queueCount - 1})`);
    const r = t.get(name);
    if (r === undefined)
      throw new RangeError(`${this.name}: queue ${queue} has no ring "${name}" (rings: ${[...t.keys()].join(', ')})`);
    return r;
  }

  rings(queue: number): readonly RingInfo[] {
    const t = this.ringTable[queue];
    if (t === undefined)
      throw new RangeError(`${this.name}: queue ${queue} does not exist (0..${this.queueCount - 1})`);
    return [...t.values()].map((r) => r.info);
  }

  ring(queue: number, name: string): RingInfo {
    return this.ringOf(queue, name).info;
  }

  doorbell(queue: number, ring: string, value: number): void {
    const r = this.ringOf(queue, ring);
    // the register's name for the error only when the value is refused: a string per doorbell was garbage per poll
    if (Number.isInteger(value) && value >= 0 && value < r.info.entries) r.writeTail(value, '');
    else r.writeTail(value, `${this.name} queue ${queue} ${ring} doorbell`);
    if (this.tracer.enabled)
      this.tracer.emit({
        t: this.clock.now,
        layer: 'nic',
        what: 'doorbell',
        text: `${this.name}: queue ${queue} ${ring} doorbell ${value}`,
        queue,
        ring,
        slot: value,
      });
  }

  readHead(queue: number, ring: string): number {
    return this.ringOf(queue, ring).head;
  }

  private line(queue: number): IrqLine {
    const l = this.irq[queue];
    if (l === undefined)
      throw new RangeError(`${this.name}: queue ${queue} does not exist (0..${this.queueCount - 1})`);
    return l;
  }
  onInterrupt(queue: number, handler: IrqHandler): void {
    this.line(queue).handler = handler;
  }
  maskIrq(queue: number): void {
    this.line(queue).mask();
  }
  unmaskIrq(queue: number): void {
    this.line(queue).unmask();
  }
  irqMasked(queue: number): boolean {
    return this.line(queue).masked;
  }
  postedDescriptors(queue: number, ring: string): number {
    return this.ringOf(queue, ring).available;
  }
  setModeration(queue: number, m: Moderation): void {
    this.line(queue).moderation = { ...m };
  }
  irqCounters(queue: number): Readonly<IrqCounters> {
    return this.line(queue).counters;
  }

  counters(queue: number): Readonly<QueueCounters> {
    const c = this.qc[queue];
    if (c === undefined)
      throw new RangeError(`${this.name}: queue ${queue} does not exist (0..${this.queueCount - 1})`);
    return c;
  }

  totals(): QueueCounters {
    const t = newQueueCounters();
    for (const c of this.qc) for (const k of Object.keys(c)) t[k] = (t[k] ?? 0) + c[k]!;
    return t;
  }

  // ---- receive ----------------------------------------------------------------------------

  /** Picks the receive queue for a laid-out frame. */
  protected abstract selectQueue(p: FrameLayout, frame: Uint8Array): number;

  /**
   * Puts the frame (already checked) into DMA memory and publishes its completion, or counts rx_missed.
   * `wireLen` is the length after runt padding; `badFcs` only reaches here when the model reports it.
   */
  protected abstract dmaFrame(
    queue: number,
    frame: Uint8Array,
    length: number,
    wireLen: number,
    badFcs: boolean,
    nowNs: number,
  ): void;

  /**
   * The queue `receiveFrame` would put this frame on (or count its drop on): what a host with one core per queue
   * group steers by before the frame reaches the group's NIC (lab/multicore.ts). Queue 0 for a frame too short to lay out.
   */
  queueFor(frame: Uint8Array, length: number): number {
    if (!(length >= ETH.HLEN && length <= frame.length) || this.queueCount === 1) return 0;
    layoutFrame(frame, 0, length, this.parsed, NIC_MAX_TAGS);
    return this.selectQueue(this.parsed, frame);
  }

  receiveFrame(frame: Uint8Array, length: number, nowNs: number, flags = 0, known: KnownRun | null = null): void {
    this.offered++;
    this.known = known;
    this.frameId++;
    const p = this.parsed;
    if (!(length >= ETH.HLEN && length <= frame.length)) {
      // also catches NaN
      this.drop(
        0,
        'rx_length_errors',
        nowNs,
        this.tracer.enabled ? `length ${length} (array ${frame.length}) cannot hold an Ethernet header` : '',
      );
      return;
    }
    if (this.tracer.enabled)
      this.tracer.emit({
        t: nowNs,
        layer: 'wire',
        what: 'frame',
        text: formatFrame(frame, length),
        frame: this.frameId - 1,
      });
    layoutFrame(frame, 0, length, p, NIC_MAX_TAGS);
    this.csumTrusted = (flags & RX_FLAG.CSUM_TRUSTED) !== 0;
    const q = this.queueCount === 1 ? 0 : this.selectQueue(p, frame);
    const badFcs = (flags & RX_FLAG.BAD_FCS) !== 0;
    if (badFcs && this.capabilities.badFcs === 'drop') {
      this.drop(q, 'rx_crc_errors', nowNs, 'bad FCS');
      return;
    }
    if (!this.macAccepts(frame)) {
      this.drop(q, 'rx_filtered', nowNs, 'destination MAC not ours');
      return;
    }
    const maxLen = this.mtuValue + ETH.HLEN + 4 * p.vlanCount;
    if (length > maxLen) {
      this.drop(
        q,
        'rx_oversize',
        nowNs,
        this.tracer.enabled ? `${length} bytes > ${maxLen} (MTU ${this.mtuValue})` : '',
      );
      return;
    }
    let wireLen = length;
    if (length < ETH_ZLEN && this.padRunts) {
      wireLen = ETH_ZLEN;
      this.qc[q]!.rx_runts_padded++;
    }
    this.dmaFrame(q, frame, length, wireLen, badFcs, nowNs);
  }

  /**
   * Counts a drop on `queue` and traces it. Build `why` only when tracing
   * (`this.tracer.enabled ? \`…\` : ''`), so an untraced run allocates nothing.
   */
  protected drop(queue: number, counter: string, nowNs: number, why: string): void {
    this.qc[queue]![counter]!++;
    if (this.tracer.enabled)
      this.tracer.emit({
        t: nowNs,
        layer: 'nic',
        what: 'drop',
        reason: counter,
        text: `${this.name}: ${why}`,
        queue,
        frame: this.frameId - 1,
      });
  }

  /**
   * Counts a completion, publishes it to the interrupt line and traces it. `ring` is the ring the
   * completion was written to, its head already past the `slots` entries it took (the trace names them).
   */
  protected completed(queue: number, bytes: number, nowNs: number, text: string, ring: Ring, slots = 1): void {
    const c = this.qc[queue]!;
    c.rx_packets++;
    c.rx_bytes += bytes;
    if (this.tracer.enabled) {
      (this.tracedFrames[queue] ??= []).push(this.frameId - 1);
      const n = ring.entries,
        slot = (ring.head - slots + n) % n;
      this.tracer.emit({
        t: nowNs,
        layer: 'nic',
        what: 'dma',
        text: `${this.name}: ${text}`,
        queue,
        frame: this.frameId - 1,
        ring: ring.info.name,
        slot,
        ...(slots > 1 ? { slots } : {}),
      });
    }
    this.irq[queue]!.event();
  }

  takeCompletedFrame(queue: number): number {
    const f = this.tracedFrames[queue];
    return f === undefined || f.length === 0 ? -1 : f.shift()!;
  }

  private macAccepts(frame: Uint8Array): boolean {
    if (this.promiscuous) return true;
    if (frame[0]! & 1) {
      // group address
      let bcast = true;
      for (let i = 0; i < 6; i++)
        if (frame[i] !== 0xff) {
          bcast = false;
          break;
        }
      return bcast || this.allMulticast;
    }
    const m = this.macBytes;
    for (let i = 0; i < 6; i++) if (frame[i] !== m[i]) return false;
    return true;
  }

  /**
   * Builds the DMA image at `scratchAt`: the wire frame zero-padded to `wireLen`, with `cutLen` bytes
   * at `cutAt` left out (VLAN removal). Returns the image length.
   */
  protected assemble(frame: Uint8Array, length: number, wireLen: number, cutAt: number, cutLen: number): number {
    const mem = this.dma.bytes,
      s = this.scratchAt;
    if (length === frame.length) mem.set(frame, s);
    else mem.set(frame.subarray(0, length), s); // a view only when the caller passed a longer array
    if (cutLen > 0) mem.copyWithin(s + cutAt, s + cutAt + cutLen, s + length);
    const out = wireLen - cutLen;
    mem.fill(0, s + length - cutLen, s + out);
    this.scratchLen = out;
    return out;
  }

  /** DMA from the staging area: `n` image bytes from image offset `from` to address `to` (a memmove). */
  protected dmaOut(from: number, to: number, n: number): void {
    this.dma.bytes.copyWithin(to, this.scratchAt + from, this.scratchAt + from + n);
  }

  /** Registers a ring for a queue (model constructors). */
  protected addRing(queue: number, ring: Ring): void {
    this.ringTable[queue]!.set(ring.info.name, ring);
  }
}
