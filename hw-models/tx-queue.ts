// The transmit half of a NIC, shared by the models whose datasheets have one (e1000-tx.ts, mq-tx.ts):
// a driver-produced descriptor ring in DMA memory and its doorbell (TDT); the device walks the ring
// from its head, takes context descriptors (the offload parameters) and gathers one packet's data
// descriptors up to EOP, applies what they ask for (TSO: cut at the MSS; IPv4 and TCP/UDP checksum
// insertion), puts the frames on the wire, and once the wire has carried them writes DD back into
// every descriptor that asked for a report (RS) and raises the TX interrupt. Each model file says
// how its descriptors read (`readDescriptor`) and how its DD is written (`writeBack`).
import { r16, r32, w16, w32 } from '../wire/bytes.ts';
import { IPV4, IPPROTO, TCP, TCP_FLAG, UDP } from '../wire/constants.ts';
import { finish, pseudoHeaderSumAddrs, sumBytes } from '../wire/checksum.ts';
import type { VirtualClock } from '../sim/clock.ts';
import { NO_TRACE, type Tracer } from '../observe/trace.ts';
import type { DmaMemory } from './dma.ts';
import type { DescriptorLayout } from './model.ts';
import { IrqLine, NO_MODERATION } from './irq.ts';
import { Ring, type RingInfo } from './ring.ts';

/** One descriptor as the device read it (reused; the model's `readDescriptor` fills it). */
export class TxDescriptor {
  /** 'context': offload parameters for the packets that follow; 'data': a buffer of packet bytes. */
  kind: 'context' | 'data' = 'data';
  bufferAddr = 0;
  length = 0;
  /** Last descriptor of the packet. */
  eop = false;
  /** Report status: write DD back when done. */
  rs = false;
  /** Data: cut this packet at the context's MSS. */
  tse = false;
  /** Data: insert the IPv4 header checksum / the TCP or UDP checksum. */
  insertIpCsum = false;
  insertL4Csum = false;
  /** Context: offsets of the IP and L4 headers in the packet, header length, MSS, L4 is TCP. */
  l3 = 0;
  l4 = 0;
  hdrLen = 0;
  mss = 0;
  tcp = true;
}

/** The offload context the last context descriptor loaded. */
interface TxContext {
  l3: number;
  l4: number;
  hdrLen: number;
  mss: number;
  tcp: boolean;
}

export interface TxCounters {
  tx_packets: number;
  tx_frames: number;
  tx_bytes: number;
  tx_descriptors: number;
  tx_context_descriptors: number;
  tx_tso_packets: number;
  tx_tso_frames: number;
  tx_csum_inserted: number;
  /** A packet the device refused: more bytes than its gather buffer, TSO without a context, no TCP header where TSO needs one. */
  tx_bad_packet: number;
}

export type WireEmit = (frame: Uint8Array, length: number, nowNs: number) => void;

/** Bytes on the wire beyond the frame: preamble + SFD (8), FCS (4), inter-frame gap (12). */
const WIRE_OVERHEAD = 24;
/** The largest packet a descriptor chain may carry (a 64 KB TSO payload plus headers). */
export const TX_MAX_PACKET = 65535 + 14 + 4;

export abstract class TxQueueDevice {
  readonly ring: Ring;
  readonly irq: IrqLine;
  readonly counters: TxCounters = {
    tx_packets: 0,
    tx_frames: 0,
    tx_bytes: 0,
    tx_descriptors: 0,
    tx_context_descriptors: 0,
    tx_tso_packets: 0,
    tx_tso_frames: 0,
    tx_csum_inserted: 0,
    tx_bad_packet: 0,
  };
  /** For traces: the index of the (first) received frame the packet now being sent came from (-1: none), set by the driver before the doorbell. */
  traceFrame = -1;
  /** Where frames go (the far side's receiveFrame); null: the wire is unplugged and frames are counted only. */
  wire: WireEmit | null = null;
  private readonly d = new TxDescriptor();
  private readonly ctx: TxContext = { l3: 14, l4: 34, hdrLen: 54, mss: 0, tcp: true };
  /** The packet being gathered and the frame being cut from it. */
  private readonly pkt = new Uint8Array(TX_MAX_PACKET);
  private readonly frame: Uint8Array;
  private wireBusyUntil = 0;
  /** Descriptors processed but not yet written back: the ring index one past each packet's EOP and the time its last frame left. */
  private readonly doneEnd: Int32Array;
  private readonly doneAt: Float64Array;
  private doneHead = 0;
  private doneLen = 0;
  private wbNext = 0;
  private readonly onWireDone = (): void => this.writeBackDone();

  protected constructor(
    readonly name: string,
    readonly dma: DmaMemory,
    info: Omit<RingInfo, 'base'>,
    protected readonly clock: VirtualClock,
    /** Line rate of the wire, Gb/s (bits per ns). */
    private readonly gbps: number,
    maxFrame: number,
    protected readonly tracer: Tracer = NO_TRACE,
  ) {
    this.ring = new Ring({ ...info, base: dma.carve(info.entries * info.entrySize, 128) });
    this.irq = new IrqLine(clock, info.queue, NO_MODERATION);
    this.frame = new Uint8Array(maxFrame);
    this.doneEnd = new Int32Array(info.entries);
    this.doneAt = new Float64Array(info.entries);
  }

  /** The ring's descriptor kinds as data (the model file's `*_TX_DESCRIPTORS`; the datasheet's tables are made of them). */
  abstract readonly descriptors: readonly DescriptorLayout[];
  /** Reads the descriptor at DMA address `addr` into `d`. */
  protected abstract readDescriptor(addr: number, d: TxDescriptor): void;
  /** Writes the descriptor at `addr` back with DD set (the model's status byte). */
  protected abstract writeBack(addr: number): void;
  /** True when the descriptor at `addr` asked for a status report (RS). */
  protected abstract reportsStatus(addr: number): boolean;

  /** The doorbell (TDT): the driver has written descriptors up to `tail` (exclusive). The device transmits every complete packet. */
  writeTail(tail: number): void {
    this.ring.writeTail(tail, `${this.name} TDT`);
    this.transmitPending();
  }

  private transmitPending(): void {
    const ring = this.ring,
      d = this.d;
    for (;;) {
      // a packet is complete when an EOP descriptor lies between head and tail
      const avail = ring.available;
      let end = -1;
      for (let k = 0; k < avail; k++) {
        this.readDescriptor(ring.addr(ring.peek(k)), d);
        if (d.kind === 'data' && d.eop) {
          end = k + 1;
          break;
        }
      }
      if (end < 0) return;
      let len = 0,
        tse = false,
        ipCsum = false,
        l4Csum = false,
        bad = false;
      for (let k = 0; k < end; k++) {
        const i = ring.advanceHead();
        this.readDescriptor(ring.addr(i), d);
        this.counters.tx_descriptors++;
        if (d.kind === 'context') {
          this.counters.tx_context_descriptors++;
          const c = this.ctx;
          c.l3 = d.l3;
          c.l4 = d.l4;
          c.hdrLen = d.hdrLen;
          c.mss = d.mss;
          c.tcp = d.tcp;
          continue;
        }
        if (len + d.length > this.pkt.length || !this.dma.isMapped(d.bufferAddr, d.length)) bad = true;
        else this.pkt.set(this.dma.bytes.subarray(d.bufferAddr, d.bufferAddr + d.length), len);
        len += d.length;
        tse ||= d.tse;
        ipCsum ||= d.insertIpCsum;
        l4Csum ||= d.insertL4Csum;
      }
      this.counters.tx_packets++;
      if (bad) this.counters.tx_bad_packet++;
      else if (tse) this.segment(len, ipCsum);
      else {
        if (ipCsum || l4Csum) this.insertChecksums(this.pkt, len, ipCsum, l4Csum);
        this.put(this.pkt, len);
      }
      this.doneEnd[(this.doneHead + this.doneLen) % this.doneEnd.length] = ring.head;
      this.doneAt[(this.doneHead + this.doneLen) % this.doneAt.length] = this.wireBusyUntil;
      this.doneLen++;
      this.clock.at(Math.ceil(this.wireBusyUntil), this.onWireDone);
    }
  }

  /** TSO: the context's headers on every frame, `mss` payload bytes each, IP ID counting up, PSH/FIN on the last frame only, CWR on the first only, both checksums computed. */
  private segment(len: number, ipCsum: boolean): void {
    const c = this.ctx,
      p = this.pkt,
      f = this.frame;
    const payload = len - c.hdrLen;
    if (!c.tcp || c.mss <= 0 || c.hdrLen + c.mss > f.length || payload <= 0 || c.l4 + TCP.HLEN > c.hdrLen) {
      this.counters.tx_bad_packet++;
      return;
    }
    this.counters.tx_tso_packets++;
    f.set(p.subarray(0, c.hdrLen));
    const seq0 = r32(p, c.l4 + TCP.SEQ),
      id0 = r16(p, c.l3 + IPV4.ID),
      flags = p[c.l4 + TCP.FLAGS]!;
    for (let done = 0, i = 0; done < payload; done += c.mss, i++) {
      const n = Math.min(c.mss, payload - done);
      const last = done + n === payload;
      f.set(p.subarray(c.hdrLen + done, c.hdrLen + done + n), c.hdrLen);
      w16(f, c.l3 + IPV4.TOT_LEN, c.hdrLen - c.l3 + n);
      w16(f, c.l3 + IPV4.ID, (id0 + i) & 0xffff);
      w32(f, c.l4 + TCP.SEQ, (seq0 + done) >>> 0);
      let fl = last ? flags : flags & ~(TCP_FLAG.PSH | TCP_FLAG.FIN);
      if (i > 0) fl &= ~TCP_FLAG.CWR;
      f[c.l4 + TCP.FLAGS] = fl;
      this.insertChecksums(f, c.hdrLen + n, ipCsum, true);
      this.counters.tx_tso_frames++;
      this.put(f, c.hdrLen + n, i, Math.ceil(payload / c.mss));
    }
  }

  /** Fills the IPv4 header checksum and/or the TCP/UDP checksum (over the pseudo-header) of the frame in `b`. */
  private insertChecksums(b: Uint8Array, len: number, ip: boolean, l4: boolean): void {
    const c = this.ctx;
    if (ip) {
      w16(b, c.l3 + IPV4.CSUM, 0);
      w16(b, c.l3 + IPV4.CSUM, finish(sumBytes(b, c.l3, c.l4 - c.l3)));
    }
    if (l4) {
      const at = c.l4 + (c.tcp ? TCP.CSUM : UDP.CSUM);
      const l4Len = len - c.l4;
      w16(b, at, 0);
      const ph = pseudoHeaderSumAddrs(
        r32(b, c.l3 + IPV4.SRC),
        r32(b, c.l3 + IPV4.DST),
        c.tcp ? IPPROTO.TCP : IPPROTO.UDP,
        l4Len,
      );
      const s = finish(sumBytes(b, c.l4, l4Len, ph));
      w16(b, at, !c.tcp && s === 0 ? 0xffff : s);
    }
    this.counters.tx_csum_inserted++;
  }

  /** One frame onto the wire: it occupies the wire for its bytes plus preamble, FCS and gap. */
  private put(b: Uint8Array, len: number, segment = 0, segments = 1): void {
    const now = this.clock.now;
    this.wireBusyUntil = Math.max(this.wireBusyUntil, now) + ((len + WIRE_OVERHEAD) * 8) / this.gbps;
    this.counters.tx_frames++;
    this.counters.tx_bytes += len;
    if (this.tracer.enabled)
      this.tracer.emit({
        t: now,
        layer: 'nic',
        what: 'tx',
        text: `${this.name} ring entry ${this.ring.head === 0 ? this.ring.entries - 1 : this.ring.head - 1}: ${len}-byte frame onto the egress wire${segments > 1 ? ` (TSO segment ${segment + 1} of ${segments}, flags 0x${b[this.ctx.l4 + TCP.FLAGS]!.toString(16)})` : ''}`,
        ...(this.traceFrame >= 0 ? { frame: this.traceFrame } : {}),
        queue: this.ring.info.queue,
      });
    this.wire?.(b, len, now);
  }

  /** The wire carried every frame of the packets due by now: DD into their RS descriptors, and the TX interrupt. */
  private writeBackDone(): void {
    const now = this.clock.now;
    let reported = false;
    while (this.doneLen > 0 && this.doneAt[this.doneHead]! <= now) {
      const end = this.doneEnd[this.doneHead]!;
      this.doneHead = (this.doneHead + 1) % this.doneEnd.length;
      this.doneLen--;
      while (this.wbNext !== end) {
        const addr = this.ring.addr(this.wbNext);
        if (this.reportsStatus(addr)) {
          this.writeBack(addr);
          reported = true;
        }
        this.wbNext = (this.wbNext + 1) % this.ring.entries;
      }
    }
    if (reported) this.irq.event();
  }
}
