// The transmit side of the mock kernel: dev_queue_xmit without a qdisc. A packet (data at its IPv4
// header, with the Ethernet header the neighbour layer chose) goes to one of the device's TX rings —
// the ring its receive queue maps to, as skb_tx_hash does for a recorded receive queue — through a
// FIFO per ring that holds packets while the driver has stopped that ring (ring full) and drops past
// its limit (tx_queue_full). On the way: a GSO packet the device cannot cut (no NETIF_F_TSO, or a
// fixed IP ID the device would renumber) is cut in software (stack/gso.ts, tcp_gso_segment's rules);
// a CHECKSUM_PARTIAL packet on a device without NETIF_F_IP_CSUM gets its TCP checksum in software.
// The devices' offloads are IPv4's (NETIF_F_TSO, NETIF_F_IP_CSUM; no TSO6 or IPV6_CSUM modelled), so
// an IPv6 packet (a forwarded one) is cut and checksummed in software, as Linux does for such a device.
import { IPPROTO, IPV6, TCP } from '../wire/constants.ts';
import { finish, sumBytes } from '../wire/checksum.ts';
import { ipv4HeaderLength, tcpHeaderLength } from '../wire/fields.ts';
import { FrameLayout } from '../wire/layout.ts';
import { l4ChecksumField, l4PseudoHeaderSum, layoutIpPacket } from '../wire/l4checksum.ts';
import type { Cpu } from '../sim/cost.ts';
import { NO_TRACE, type Tracer } from '../observe/trace.ts';
import { CHECKSUM_PARTIAL, CHECKSUM_UNNECESSARY, SKB_GSO_TCP_FIXEDID, type SkBuff, freeSkb } from './skb.ts';
import { segment } from './gso.ts';

/** Transmit feature bits, values as in Linux. */
export const NETIF_F_SG = 1 << 0;
export const NETIF_F_IP_CSUM = 1 << 1;
export const NETIF_F_TSO = 1 << 16;

/** What a driver offers the transmit path (ndo_start_xmit and the device's transmit features). */
export interface TxDevice {
  readonly name: string;
  /** NETIF_F_* transmit features. */
  readonly features: number;
  readonly txQueues: number;
  readonly mtu: number;
  readonly mac: Uint8Array;
  /**
   * ndo_start_xmit: `l2` (the Ethernet header) then the skb's bytes go out on ring `queue`. True: the
   * driver owns the skb now. False (NETDEV_TX_BUSY): the ring is full, the skb stays the caller's and the
   * driver calls `wake(queue)` when the ring has room again.
   */
  startXmit(skb: SkBuff, l2: Uint8Array, queue: number): boolean;
  /** netif_wake_queue: set by the transmit path. */
  wake: ((queue: number) => void) | null;
}

export interface XmitStats {
  /** Packets handed to dev_queue_xmit. */
  xmitPackets: number;
  /** Packets (or software segments) the driver took. */
  driverPackets: number;
  /** GSO packets the device cut itself (TSO). */
  tsoPackets: number;
  /** GSO packets cut in software, and the segments they became. */
  gsoSoftwarePackets: number;
  gsoSoftwareSegments: number;
  /** CHECKSUM_PARTIAL packets whose checksum the stack filled (skb_checksum_help). */
  csumSoftware: number;
  /** Times a ring was full and its queue stopped, and packets that waited in the FIFO. */
  queueStopped: number;
  queuedWhileStopped: number;
  /** Dropped: the FIFO of a stopped ring was full. */
  tx_queue_full: number;
}

interface TxFifo {
  skbs: (SkBuff | null)[];
  l2: Uint8Array[];
  head: number;
  len: number;
  stopped: boolean;
}

export class XmitPath {
  readonly stats: XmitStats = {
    xmitPackets: 0,
    driverPackets: 0,
    tsoPackets: 0,
    gsoSoftwarePackets: 0,
    gsoSoftwareSegments: 0,
    csumSoftware: 0,
    queueStopped: 0,
    queuedWhileStopped: 0,
    tx_queue_full: 0,
  };
  private readonly fifos: TxFifo[];
  private readonly scratch = new Uint8Array(65536 + 64);
  /** The packet checksumHelp fills in, laid out. */
  private readonly layout = new FrameLayout();

  constructor(
    readonly dev: TxDevice,
    private readonly cpu: Cpu,
    private readonly tracer: Tracer = NO_TRACE,
    /** Packets a stopped ring's FIFO holds (txqueuelen, 1000). */
    readonly queueLen = 1000,
  ) {
    this.fifos = Array.from({ length: dev.txQueues }, () => ({
      skbs: new Array<SkBuff | null>(queueLen).fill(null),
      l2: Array.from({ length: queueLen }, () => new Uint8Array(14)),
      head: 0,
      len: 0,
      stopped: false,
    }));
    dev.wake = (q) => this.wake(q);
  }

  /** dev_queue_xmit: `skb` (data at the IPv4 header) with Ethernet header `l2` onto the ring of its receive queue. */
  xmit(skb: SkBuff, l2: Uint8Array): void {
    this.stats.xmitPackets++;
    const q = skb.queue % this.dev.txQueues;
    const hdr = this.headerLen(skb);
    if (skb.gsoSize > 0 && skb.len > hdr + skb.gsoSize && this.needsSoftwareGso(skb)) {
      const segs = segment(skb);
      this.stats.gsoSoftwarePackets++;
      this.stats.gsoSoftwareSegments += segs.length;
      this.cpu.charge('csum_byte', skb.len);
      if (this.tracer.enabled)
        this.tracer.emit({
          t: this.cpu.now,
          layer: 'stack',
          what: 'gso',
          reason: 'gso_software',
          text: `${this.dev.name}: software GSO cut a ${skb.len}-byte packet into ${segs.length} segments of ${skb.gsoSize} bytes`,
          frame: skb.frameId,
        });
      for (const s of segs) {
        s.frameId = skb.frameId;
        this.enqueue(s, l2, q);
      }
      freeSkb(skb);
      return;
    }
    if (skb.gsoSize > 0 && skb.len > hdr + skb.gsoSize) this.stats.tsoPackets++;
    else if (skb.ipSummed === CHECKSUM_PARTIAL && ((this.dev.features & NETIF_F_IP_CSUM) === 0 || this.ipv6))
      this.checksumHelp(skb);
    this.enqueue(skb, l2, q);
  }

  /** The device cannot cut it: no TSO, or the IP IDs must stay fixed and the device would count them up (no NETIF_F_TSO_MANGLEID). */
  private needsSoftwareGso(skb: SkBuff): boolean {
    return this.ipv6 || (this.dev.features & NETIF_F_TSO) === 0 || (skb.gsoType & SKB_GSO_TCP_FIXEDID) !== 0;
  }

  /** The packet headerLen last looked at is IPv6 (no NETIF_F_TSO6 or NETIF_F_IPV6_CSUM on these devices). */
  private ipv6 = false;

  private headerLen(skb: SkBuff): number {
    skb.copyBits(0, this.scratch, 0, Math.min(skb.len, 60));
    this.ipv6 = this.scratch[0]! >> 4 === 6;
    const ihl = this.ipv6 ? IPV6.HLEN : ipv4HeaderLength(this.scratch, 0);
    if (skb.len < ihl + TCP.HLEN) return skb.len;
    skb.copyBits(ihl, this.scratch, ihl, TCP.HLEN);
    return ihl + tcpHeaderLength(this.scratch, ihl);
  }

  /** skb_checksum_help: the full TCP checksum into the header (the packet is linearised into scratch to sum it). */
  private checksumHelp(skb: SkBuff): void {
    const b = this.scratch;
    skb.copyBits(0, b, 0, skb.len);
    const L = layoutIpPacket(b, 0, skb.len, this.layout);
    const field = l4ChecksumField(L);
    if (field < 0 || L.l4Proto !== IPPROTO.TCP) return;
    const l4Len = L.ipEnd - L.l4;
    b[field] = 0;
    b[field + 1] = 0;
    const sum = finish(sumBytes(b, L.l4, l4Len, l4PseudoHeaderSum(b, 0, L)));
    writeAt(skb, field, sum);
    skb.ipSummed = CHECKSUM_UNNECESSARY;
    this.stats.csumSoftware++;
    this.cpu.charge('csum_byte', l4Len);
  }

  private enqueue(skb: SkBuff, l2: Uint8Array, q: number): void {
    const f = this.fifos[q]!;
    if (!f.stopped && f.len === 0 && this.send(skb, l2, q)) return;
    if (f.len >= this.queueLen) {
      this.stats.tx_queue_full++;
      if (this.tracer.enabled)
        this.tracer.emit({
          t: this.cpu.now,
          layer: 'stack',
          what: 'drop',
          reason: 'tx_queue_full',
          text: `${this.dev.name} ring ${q}: stopped and its queue of ${this.queueLen} is full: dropped`,
          frame: skb.frameId,
        });
      freeSkb(skb);
      return;
    }
    const at = (f.head + f.len) % this.queueLen;
    f.skbs[at] = skb;
    f.l2[at]!.set(l2.subarray(0, 14));
    f.len++;
    this.stats.queuedWhileStopped++;
  }

  /** ndo_start_xmit; a full ring stops the queue. */
  private send(skb: SkBuff, l2: Uint8Array, q: number): boolean {
    this.cpu.charge('xmit');
    if (this.dev.startXmit(skb, l2, q)) {
      this.stats.driverPackets++;
      return true;
    }
    const f = this.fifos[q]!;
    if (!f.stopped) this.stats.queueStopped++;
    f.stopped = true;
    return false;
  }

  /** netif_wake_queue: the ring has room; send what waited, in order. */
  private wake(q: number): void {
    const f = this.fifos[q]!;
    f.stopped = false;
    while (f.len > 0) {
      const skb = f.skbs[f.head]!;
      if (!this.send(skb, f.l2[f.head]!, q)) return;
      f.skbs[f.head] = null;
      f.head = (f.head + 1) % this.queueLen;
      f.len--;
    }
  }

  /** Packets waiting in the FIFOs of stopped rings. */
  get held(): number {
    let n = 0;
    for (const f of this.fifos) n += f.len;
    return n;
  }
}

/** Writes a 16-bit value at byte `off` of the skb's data (linear or in a fragment). */
function writeAt(skb: SkBuff, off: number, v: number): void {
  let done = 0;
  skb.forEachChunk(off, 2, (mem, start, n) => {
    for (let k = 0; k < n; k++) mem[start + k] = done + k === 0 ? v >>> 8 : v & 0xff;
    done += n;
  });
}
