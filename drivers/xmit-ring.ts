// The transmit half of a sample driver, common to the drivers whose devices have TX rings (the
// descriptor layouts are each driver's own: drivers/e1000/xmit.ts, drivers/mq/xmit.ts).
// ndo_start_xmit copies the Ethernet header and the packet into one transmit buffer in the device's
// DMA memory (the lab's devices each own their memory; a real driver maps the skb's pages instead),
// writes a context descriptor when the packet needs TSO or checksum insertion, then the data
// descriptor with RS on its EOP, and rings the doorbell. The TX interrupt schedules a NAPI context
// whose poll reclaims every packet whose EOP descriptor has DD (freeing its buffer and its skb) and
// wakes a stopped queue once a packet fits again.
import { ipv4HeaderLength, tcpHeaderLength } from '../wire/fields.ts';
import { IPV6 } from '../wire/constants.ts';
import type { TxQueueDevice } from '../hw-models/tx-queue.ts';
import { CHECKSUM_PARTIAL, freeSkb, type SkBuff } from '../stack/skb.ts';
import type { NapiStruct } from '../stack/napi.ts';
import type { Stack } from '../stack/stack.ts';
import { NETIF_F_IP_CSUM, NETIF_F_SG, NETIF_F_TSO, type TxDevice } from '../stack/xmit.ts';

/** What the descriptors of one packet must say. */
export interface TxPlan {
  /** DMA address and length of the packet (Ethernet header first). */
  buffer: number;
  length: number;
  /** Offsets of the IPv4 and TCP headers, and where the payload starts. */
  l3: number;
  l4: number;
  hdrLen: number;
  /** Cut at `mss` (TSO); else insert the TCP checksum when `insertL4Csum`. */
  tso: boolean;
  mss: number;
  insertL4Csum: boolean;
}

/** A driver's descriptor layout: writes a packet's descriptors from ring slot `first` and says how many it used. */
export interface TxDescriptorWriter {
  /** The most descriptors one packet takes (a context and a data descriptor). */
  readonly maxPerPacket: number;
  write(view: DataView, slotAddr: (slot: number) => number, first: number, entries: number, p: TxPlan): number;
  /** True when the device wrote DD into the descriptor at `addr`. */
  done(view: DataView, addr: number): boolean;
}

export interface TxRingCounters {
  tx_busy: number;
  tx_no_buffer: number;
  tx_cleaned: number;
  tx_wakes: number;
}

export class TxRingDriver implements TxDevice {
  readonly features: number;
  readonly txQueues: number;
  wake: ((queue: number) => void) | null = null;
  readonly counters: TxRingCounters = { tx_busy: 0, tx_no_buffer: 0, tx_cleaned: 0, tx_wakes: 0 };
  private readonly tails: number[];
  private readonly nextToClean: number[];
  /** Per ring slot: the EOP slot of the packet starting there (-1: none), its skb and buffer (on the first slot). */
  private readonly eopOf: Int32Array[];
  private readonly skbOf: (SkBuff | null)[][];
  private readonly bufOf: Int32Array[];
  private readonly stopped: boolean[];

  constructor(
    readonly name: string,
    private readonly devices: readonly TxQueueDevice[],
    private readonly writer: TxDescriptorWriter,
    private readonly stack: Stack,
    readonly mac: Uint8Array,
    readonly mtu: number,
    o: { tso: boolean; txChecksum: boolean },
  ) {
    this.features = NETIF_F_SG | (o.txChecksum ? NETIF_F_IP_CSUM : 0) | (o.tso && o.txChecksum ? NETIF_F_TSO : 0);
    this.txQueues = devices.length;
    this.tails = devices.map(() => 0);
    this.nextToClean = devices.map(() => 0);
    this.eopOf = devices.map((d) => new Int32Array(d.ring.entries).fill(-1));
    this.skbOf = devices.map((d) => new Array<SkBuff | null>(d.ring.entries).fill(null));
    this.bufOf = devices.map((d) => new Int32Array(d.ring.entries));
    this.stopped = devices.map(() => false);
    devices.forEach((d, q) => {
      const napi = stack.napiAdd(`${name}-tx${q}`, (n, budget) => this.clean(n, q, budget), 64, q);
      d.irq.handler = stack.requestIrq(`${name}-tx${q}`, () => stack.napiSchedule(napi));
    });
  }

  private free(q: number): number {
    const n = this.devices[q]!.ring.entries;
    return n - 1 - ((this.tails[q]! - this.nextToClean[q]! + n) % n);
  }

  startXmit(skb: SkBuff, l2: Uint8Array, q: number): boolean {
    const dev = this.devices[q]!;
    if (this.free(q) < this.writer.maxPerPacket) {
      this.counters.tx_busy++;
      this.stopped[q] = true;
      return false;
    }
    const length = 14 + skb.len;
    const buffer = dev.dma.alloc(length);
    if (buffer < 0) {
      this.counters.tx_no_buffer++;
      this.stopped[q] = true;
      return false;
    }
    const mem = dev.dma.bytes;
    mem.set(l2.subarray(0, 14), buffer);
    skb.copyBits(0, mem, buffer + 14, skb.len);
    // the offloads are IPv4's: an IPv6 packet reaches the ring already cut and checksummed (stack/xmit.ts)
    const l3 = 14,
      v4 = mem[buffer + l3]! >> 4 === 4,
      l4 = l3 + (v4 ? ipv4HeaderLength(mem, buffer + l3) : IPV6.HLEN);
    const hdrLen = l4 + tcpHeaderLength(mem, buffer + l4);
    const tso = v4 && skb.gsoSize > 0 && skb.len + 14 > hdrLen + skb.gsoSize && (this.features & NETIF_F_TSO) !== 0;
    const plan: TxPlan = {
      buffer,
      length,
      l3,
      l4,
      hdrLen,
      tso,
      mss: skb.gsoSize,
      insertL4Csum: v4 && !tso && skb.ipSummed === CHECKSUM_PARTIAL && (this.features & NETIF_F_IP_CSUM) !== 0,
    };
    const first = this.tails[q]!;
    const n = dev.ring.entries;
    const used = this.writer.write(dev.dma.view, (s) => dev.ring.addr(s), first, n, plan);
    this.eopOf[q]![first] = (first + used - 1) % n;
    this.skbOf[q]![first] = skb;
    this.bufOf[q]![first] = buffer;
    this.tails[q] = (first + used) % n;
    dev.traceFrame = skb.frameId;
    dev.writeTail(this.tails[q]!);
    return true;
  }

  /** The TX NAPI poll: reclaim finished packets, wake a stopped queue, re-arm the interrupt when done. */
  private clean(napi: NapiStruct, q: number, budget: number): number {
    const dev = this.devices[q]!;
    const n = dev.ring.entries;
    let work = 0;
    while (work < budget && this.nextToClean[q] !== this.tails[q]) {
      const first = this.nextToClean[q]!;
      const eop = this.eopOf[q]![first]!;
      this.stack.cpu.charge('descriptor');
      if (!this.writer.done(dev.dma.view, dev.ring.addr(eop))) break;
      dev.dma.free(this.bufOf[q]![first]!);
      freeSkb(this.skbOf[q]![first]!);
      this.skbOf[q]![first] = null;
      this.eopOf[q]![first] = -1;
      this.nextToClean[q] = (eop + 1) % n;
      this.counters.tx_cleaned++;
      work++;
    }
    if (this.stopped[q] && this.free(q) >= this.writer.maxPerPacket) {
      this.stopped[q] = false;
      this.counters.tx_wakes++;
      this.wake?.(q);
    }
    if (work < budget) {
      this.stack.napiComplete(napi);
      dev.irq.unmask();
    }
    return work;
  }

  /** Packets handed to the rings and not yet reclaimed. */
  get inFlight(): number {
    let k = 0;
    for (const s of this.skbOf) for (const x of s) if (x !== null) k++;
    return k;
  }
}
