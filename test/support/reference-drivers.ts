// The tests' reference drivers: the smallest driver per model that posts buffers, reaps completions and
// frees buffers, so the model tests and the conformance suite (test/hw-models.conformance.ts) can drive a
// model without a real driver. Written against each model's datasheet (its exported offsets and codecs);
// not for real drivers to copy blindly (those are drivers/). Tests only: the models know nothing of them.
import {
  CQE,
  CQE_SLOT_SIZE,
  FCS_LEN,
  RWQE_SIZE,
  STATUS,
  decodeCqe,
  encodeRwqe,
  type EheaNic,
} from '../../hw-models/ehea.ts';
import {
  MXGEFW_PAD,
  MYRI_PAGE,
  RECV_DESC,
  RECV_DESC_SIZE,
  RX_DONE,
  RX_DONE_SIZE,
  type Myri10geNic,
} from '../../hw-models/myri10ge.ts';
import { RX_STATUS, decodeE1000RxDesc } from '../../hw-models/e1000.ts';
import {
  HDR_INFO,
  MQ_ERRORS,
  MQ_HDR_BUFFER_BYTES,
  MQ_STATUS,
  PKT_INFO,
  decodeMqWriteback,
  encodeMqRead,
} from '../../hw-models/mq.ts';
import type { NicModel } from '../../hw-models/model.ts';
import { WritebackReference, type WritebackView } from './writeback-reference.ts';

/** One completion as the reference driver (tests only) reads it back. */
export interface RefCompletion {
  queue: number;
  /** The rx ring whose buffer(s) held the frame. */
  ring: string;
  /** The frame bytes as DMA'd (a fresh copy; without firmware pad or FCS). */
  frame: Uint8Array;
  /** VLAN TCI reported outside the frame, -1 when none. */
  vlanTag: number;
  /** Checksum verdict from status bits: 'none' when the model did not verify. */
  csum: 'none' | 'ok' | 'bad';
  /** 16-bit partial sum (CHECKSUM_COMPLETE style), -1 when not provided. */
  partialCsum: number;
  crcError: boolean;
  /** Buffers the frame spans. */
  fragments: number;
  /** RSS hash reported, -1 when none. */
  rssHash: number;
  /** Raw descriptor fields by datasheet name. */
  fields: Record<string, number>;
}

/** A minimal driver for the conformance tests: post, reap, re-post. Not for real drivers to copy blindly. */
export interface ReferenceDriver {
  /** Posts fresh buffers on every rx ring of every queue (at most `limitPerRing` per ring) and rings doorbells; returns how many. */
  fill(limitPerRing?: number): number;
  /** Reads every published completion of every queue, frees its buffers, and reports consumption to the device. */
  reap(): RefCompletion[];
  /** Driver shutdown (device idle): frees every buffer still posted or held. */
  teardown(): void;
}

/** Builds the reference driver of a model that is not built in (a test passes it to nicConformance). */
export type ReferenceFactory = (nic: NicModel) => ReferenceDriver;

/** The built-in models' reference drivers, by model name. */
const BUILT_IN: Record<string, ReferenceFactory> = {
  ehea: (nic) => new EheaReference(nic as EheaNic),
  myri10ge: (nic) => new MyriReference(nic as Myri10geNic),
  e1000: (nic) => new WritebackReference(nic, 'rx', nic.ring(0, 'rx').bufferBytes, e1000View),
  mq: (nic) =>
    new WritebackReference(
      nic,
      'rx',
      nic.ring(0, 'rx').bufferBytes,
      mqView,
      nic.capabilities.headerSplit ? MQ_HDR_BUFFER_BYTES : 0,
      encodeMqRead,
    ),
};

const drivers = new WeakMap<NicModel, ReferenceDriver>();

/**
 * The reference driver of `nic`, one per model instance (so `reference(nic).fill()` then
 * `reference(nic).reap()` share their rings' state). `make` builds it for a model that is not built in.
 */
export function reference(nic: NicModel, make?: ReferenceFactory): ReferenceDriver {
  let d = drivers.get(nic);
  if (d === undefined) {
    const factory = make ?? BUILT_IN[nic.name];
    if (factory === undefined)
      throw new Error(`no reference driver for model "${nic.name}": pass one to nicConformance`);
    d = factory(nic);
    drivers.set(nic, d);
  }
  return d;
}

const EHEA_RQ_NAMES = ['', 'rq1', 'rq2', 'rq3'] as const;

/** The tests' minimal eHEA driver: wr_id = ring index; one shadow array of buffer addresses per RQ2/RQ3. */
class EheaReference implements ReferenceDriver {
  private readonly st: {
    shadow: Int32Array[];
    outstanding: number[];
    tail: number[];
    cqHead: number;
    cqPhase: number;
  }[] = [];
  constructor(private readonly nic: EheaNic) {
    for (let q = 0; q < nic.queueCount; q++) {
      const e = (n: string): number => nic.ring(q, n).entries;
      this.st.push({
        shadow: [new Int32Array(0), new Int32Array(0), new Int32Array(e('rq2')), new Int32Array(e('rq3'))],
        outstanding: [0, 0, 0, 0],
        tail: [0, 0, 0, 0],
        cqHead: 0,
        cqPhase: 1,
      });
    }
  }

  fill(limitPerRing = Infinity): number {
    const nic = this.nic,
      v = nic.dma.view;
    let posted = 0;
    for (let q = 0; q < nic.queueCount; q++) {
      const s = this.st[q]!;
      for (let rq = 1; rq <= 3; rq++) {
        const info = nic.ring(q, EHEA_RQ_NAMES[rq]!);
        let n = 0;
        while (n < limitPerRing && s.outstanding[rq]! < info.entries - 1) {
          let addr = 0;
          if (rq !== 1) {
            addr = nic.dma.alloc(info.bufferBytes);
            if (addr < 0) break;
            s.shadow[rq]![s.tail[rq]!] = addr;
          }
          encodeRwqe(v, info.base + s.tail[rq]! * RWQE_SIZE, {
            wrId: s.tail[rq]!,
            numSegs: rq === 1 ? 0 : 1,
            addr,
            lkey: 0,
            len: info.bufferBytes,
          });
          s.tail[rq] = (s.tail[rq]! + 1) % info.entries;
          s.outstanding[rq]!++;
          n++;
          posted++;
        }
        if (n > 0) nic.doorbell(q, EHEA_RQ_NAMES[rq]!, s.tail[rq]!);
      }
    }
    return posted;
  }

  teardown(): void {
    for (let q = 0; q < this.nic.queueCount; q++) {
      const s = this.st[q]!;
      for (let rq = 2; rq <= 3; rq++) {
        const entries = s.shadow[rq]!.length;
        for (let k = 0; k < s.outstanding[rq]!; k++)
          this.nic.dma.free(s.shadow[rq]![(s.tail[rq]! - 1 - k + entries) % entries]!);
        s.outstanding[rq] = 0;
      }
    }
  }

  reap(): RefCompletion[] {
    const nic = this.nic,
      v = nic.dma.view,
      mem = nic.dma.bytes;
    const out: RefCompletion[] = [];
    for (let q = 0; q < nic.queueCount; q++) {
      const s = this.st[q]!,
        cq = nic.ring(q, 'cq');
      let n = 0;
      for (;;) {
        const at = cq.base + s.cqHead * CQE_SLOT_SIZE;
        if (v.getUint8(at + CQE.VALID) >> 7 !== s.cqPhase) break;
        const e = decodeCqe(v, at);
        const len = e.numBytes - FCS_LEN;
        const dataAt = e.rq === 1 ? at + CQE.INLINE_DATA : s.shadow[e.rq]![e.wrId]!;
        const fr = mem.slice(dataAt, dataAt + len);
        if (e.rq !== 1) nic.dma.free(dataAt);
        s.outstanding[e.rq]!--;
        const hasL4 = e.headerLength > 0;
        const verified = nic.capabilities.rxChecksum === 'verified';
        const bad = (e.status & STATUS.IP_CSUM_ERR) !== 0 || (hasL4 && (e.status & STATUS.TCP_CSUM_ERR) !== 0);
        out.push({
          queue: q,
          ring: EHEA_RQ_NAMES[e.rq]!,
          frame: fr,
          vlanTag: e.status & STATUS.VLAN_EXTRACTED ? e.vlanTag : -1,
          csum: !verified ? 'none' : bad ? 'bad' : hasL4 ? 'ok' : 'none',
          partialCsum: -1,
          crcError: (e.status & STATUS.CRC_ERR) !== 0,
          fragments: 1,
          rssHash: -1,
          fields: { ...e },
        });
        s.cqHead++;
        if (s.cqHead === cq.entries) {
          s.cqHead = 0;
          s.cqPhase ^= 1;
        }
        n++;
      }
      if (n > 0) nic.doorbell(q, 'cq', s.cqHead);
    }
    return out;
  }
}

/** The tests' minimal myri10ge driver: carves chunks from pages (one page reference per chunk). */
class MyriReference implements ReferenceDriver {
  private readonly st: {
    shadow: Int32Array[];
    clean: number[];
    tail: number[];
    outstanding: number[];
    page: number[];
    pageOff: number[];
    doneHead: number;
  }[] = [];
  constructor(private readonly nic: Myri10geNic) {
    for (let q = 0; q < nic.queueCount; q++) {
      this.st.push({
        shadow: [new Int32Array(nic.ring(q, 'small').entries), new Int32Array(nic.ring(q, 'big').entries)],
        clean: [0, 0],
        tail: [0, 0],
        outstanding: [0, 0],
        page: [-1, -1],
        pageOff: [0, 0],
        doneHead: 0,
      });
    }
  }

  fill(limitPerRing = Infinity): number {
    const nic = this.nic,
      dma = nic.dma,
      v = dma.view;
    let posted = 0;
    for (let q = 0; q < nic.queueCount; q++) {
      const s = this.st[q]!;
      (['small', 'big'] as const).forEach((name, r) => {
        const info = nic.ring(q, name);
        let n = 0;
        while (n < limitPerRing && s.outstanding[r]! < info.entries - 1) {
          if (s.page[r]! < 0 || s.pageOff[r]! + info.bufferBytes > MYRI_PAGE) {
            if (s.page[r]! >= 0) dma.free(s.page[r]!); // drop the carving reference of the used-up page
            const p = dma.alloc(MYRI_PAGE);
            if (p < 0) {
              s.page[r] = -1;
              break;
            }
            s.page[r] = p;
            s.pageOff[r] = 0;
          }
          const addr = s.page[r]! + s.pageOff[r]!;
          dma.ref(addr); // one reference per chunk handed to the NIC
          s.pageOff[r]! += info.bufferBytes;
          const at = info.base + s.tail[r]! * RECV_DESC_SIZE;
          v.setUint32(at + RECV_DESC.ADDR_HIGH, 0);
          v.setUint32(at + RECV_DESC.ADDR_LOW, addr);
          s.shadow[r]![s.tail[r]!] = addr;
          s.tail[r] = (s.tail[r]! + 1) % info.entries;
          s.outstanding[r]!++;
          n++;
          posted++;
        }
        if (n > 0) nic.doorbell(q, name, s.tail[r]!);
      });
    }
    return posted;
  }

  teardown(): void {
    for (let q = 0; q < this.nic.queueCount; q++) {
      const s = this.st[q]!;
      for (let r = 0; r < 2; r++) {
        const entries = s.shadow[r]!.length;
        for (let k = 0; k < s.outstanding[r]!; k++) this.nic.dma.free(s.shadow[r]![(s.clean[r]! + k) % entries]!);
        s.outstanding[r] = 0;
        if (s.page[r]! >= 0) {
          this.nic.dma.free(s.page[r]!);
          s.page[r] = -1;
        }
      }
    }
  }

  reap(): RefCompletion[] {
    const nic = this.nic,
      v = nic.dma.view,
      mem = nic.dma.bytes,
      cfg = nic.config;
    const out: RefCompletion[] = [];
    for (let q = 0; q < nic.queueCount; q++) {
      const s = this.st[q]!,
        done = nic.ring(q, 'rx_done');
      for (;;) {
        const at = done.base + s.doneHead * RX_DONE_SIZE;
        const total = v.getUint16(at + RX_DONE.LENGTH);
        if (total === 0) break;
        const csum = v.getUint16(at + RX_DONE.CSUM);
        const r = total <= cfg.smallBytes ? 0 : 1;
        const chunk = r === 0 ? cfg.smallBytes : cfg.bigBytes;
        const need = r === 0 ? 1 : Math.ceil(total / chunk);
        const fr = new Uint8Array(total - MXGEFW_PAD);
        let got = -MXGEFW_PAD;
        for (let k = 0; k < need; k++) {
          const ent = nic.ring(q, r === 0 ? 'small' : 'big').entries;
          const addr = s.shadow[r]![s.clean[r]!]!;
          s.clean[r] = (s.clean[r]! + 1) % ent;
          s.outstanding[r]!--;
          let n = Math.min(chunk, fr.length - got),
            a = addr;
          if (got < 0) {
            a += MXGEFW_PAD;
            n -= MXGEFW_PAD;
            got = 0;
          }
          fr.set(mem.subarray(a, a + n), got);
          got += n;
          nic.dma.free(addr);
        }
        v.setUint16(at + RX_DONE.LENGTH, 0); // hand the slot back
        s.doneHead = (s.doneHead + 1) % done.entries;
        out.push({
          queue: q,
          ring: r === 0 ? 'small' : 'big',
          frame: fr,
          vlanTag: -1,
          csum: 'none',
          partialCsum: cfg.rxChecksum ? csum : -1,
          crcError: false,
          fragments: need,
          rssHash: -1,
          fields: { CSUM: csum, LENGTH: total },
        });
      }
    }
    return out;
  }
}

function e1000View(v: DataView, at: number): WritebackView {
  const d = decodeE1000RxDesc(v, at);
  return {
    dd: (d.status & RX_STATUS.DD) !== 0,
    eop: (d.status & RX_STATUS.EOP) !== 0,
    length: d.length,
    hdrLength: 0,
    vlanTag: d.status & RX_STATUS.VP ? d.special : -1,
    csum: 'none',
    rssHash: -1,
    fields: { ...d },
  };
}

function mqView(v: DataView, at: number): WritebackView {
  const w = decodeMqWriteback(v, at);
  const eop = (w.status & MQ_STATUS.EOP) !== 0;
  let csum: 'none' | 'ok' | 'bad' = 'none';
  if (eop && (w.status & MQ_STATUS.L4CS) !== 0) csum = w.errors & (MQ_ERRORS.IPE | MQ_ERRORS.L4E) ? 'bad' : 'ok';
  else if (eop && (w.status & MQ_STATUS.IPCS) !== 0 && (w.errors & MQ_ERRORS.IPE) !== 0) csum = 'bad';
  return {
    dd: (w.status & MQ_STATUS.DD) !== 0,
    eop,
    length: w.length,
    hdrLength: w.hdrInfo & HDR_INFO.SPH ? w.hdrInfo & HDR_INFO.LEN_MASK : 0,
    vlanTag: w.status & MQ_STATUS.VP ? w.vlan : -1,
    csum,
    rssHash: w.pktInfo & PKT_INFO.RSS ? w.rssHash : -1,
    fields: { ...w },
  };
}
