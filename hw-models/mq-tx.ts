// The mq model's transmit rings (in the style of the 82599's advanced descriptors; datasheet:
// docs/hw-models/mq.md "Transmit"): one ring per queue, 16-byte little-endian descriptors of two kinds
// told apart by DTYP — the advanced context descriptor (MAC/IP/L4 header lengths, IPv4 and L4 type,
// MSS) and the advanced data descriptor (a buffer, DCMD with EOP/RS/TSE, POPTS with IXSM/TXSM, the
// packet's payload length). The device writes DD into STA (bit 0 of byte 12) of RS descriptors.
import type { VirtualClock } from '../sim/clock.ts';
import type { Tracer } from '../observe/trace.ts';
import { DmaMemory } from './dma.ts';
import { type TxDescriptor, TxQueueDevice, TX_MAX_PACKET } from './tx-queue.ts';

/** Advanced context descriptor (DTYP = 2). */
export const MQ_TX_CONTEXT = {
  /** 32 bits: IPLEN in bits 0–8, MACLEN in 9–15, VLAN in 16–31. */
  VLAN_MACIP_LENS: 0,
  SEQNUM_SEED: 4,
  /** 32 bits: TUCMD in bits 9–19 (IPV4 bit 10, L4T bits 11–12: 0 UDP, 1 TCP), DTYP in 20–23, DEXT bit 29. */
  TYPE_TUCMD_MLHL: 8,
  /** 32 bits: IDX in bits 4–6, L4LEN in 8–15, MSS in 16–31. */
  MSS_L4LEN_IDX: 12,
} as const;
/** Advanced data descriptor (DTYP = 3). */
export const MQ_TX_DATA = {
  BUFFER_ADDR: 0,
  /** 32 bits: DTALEN in bits 0–15, DTYP in 20–23, DCMD in 24–31 (byte 11). */
  CMD_TYPE_LEN: 8,
  /** 32 bits: STA in bits 0–3 (DD bit 0), IDX 4–6, POPTS 8–13 (IXSM bit 8, TXSM bit 9), PAYLEN 14–31. */
  OLINFO_STATUS: 12,
} as const;
export const MQ_TX_DESC_SIZE = 16;
export const MQ_TX_DTYP = { CONTEXT: 2, DATA: 3 } as const;
export const MQ_TX_DCMD = { EOP: 0x01, IFCS: 0x02, RS: 0x08, DEXT: 0x20, VLE: 0x40, TSE: 0x80 } as const;
export const MQ_TX_TUCMD = { IPV4: 1 << 10, L4T_TCP: 1 << 11 } as const;
export const MQ_TX_POPTS = { IXSM: 1 << 8, TXSM: 1 << 9 } as const;
export const MQ_TX_STA_DD = 0x01;
export const MQ_TX_DEXT = 1 << 29;
export const MQ_LINE_GBPS = 10;

export interface MqTxOptions {
  queue?: number;
  entries?: number;
  buffers?: number;
  gbps?: number;
  mtu?: number;
  tracer?: Tracer;
}

export class MqTxNic extends TxQueueDevice {
  constructor(clock: VirtualClock, o: MqTxOptions = {}) {
    const entries = o.entries ?? 512;
    const dma = new DmaMemory({
      staticBytes: entries * MQ_TX_DESC_SIZE + 256,
      slabs: [
        { size: 2048, count: entries },
        { size: TX_MAX_PACKET, count: o.buffers ?? 64 },
      ],
    });
    super(
      `mq-tx${o.queue ?? 0}`,
      dma,
      { queue: o.queue ?? 0, name: 'tx', role: 'rx', entries, entrySize: MQ_TX_DESC_SIZE, bufferBytes: 0 },
      clock,
      o.gbps ?? MQ_LINE_GBPS,
      (o.mtu ?? 1500) + 18,
      o.tracer,
    );
  }

  protected readDescriptor(addr: number, d: TxDescriptor): void {
    const v = this.dma.view;
    const word = v.getUint32(addr + 8, true);
    const dtyp = (word >>> 20) & 0xf;
    if (dtyp === MQ_TX_DTYP.CONTEXT) {
      const lens = v.getUint32(addr + MQ_TX_CONTEXT.VLAN_MACIP_LENS, true);
      const mss = v.getUint32(addr + MQ_TX_CONTEXT.MSS_L4LEN_IDX, true);
      d.kind = 'context';
      d.l3 = (lens >>> 9) & 0x7f;
      d.l4 = d.l3 + (lens & 0x1ff);
      d.hdrLen = d.l4 + ((mss >>> 8) & 0xff);
      d.mss = mss >>> 16;
      d.tcp = (word & MQ_TX_TUCMD.L4T_TCP) !== 0;
      d.eop = d.rs = false;
      return;
    }
    const dcmd = word >>> 24;
    const ol = v.getUint32(addr + MQ_TX_DATA.OLINFO_STATUS, true);
    d.kind = 'data';
    d.bufferAddr = Number(v.getBigUint64(addr + MQ_TX_DATA.BUFFER_ADDR, true));
    d.length = word & 0xffff;
    d.eop = (dcmd & MQ_TX_DCMD.EOP) !== 0;
    d.rs = (dcmd & MQ_TX_DCMD.RS) !== 0;
    d.tse = (dcmd & MQ_TX_DCMD.TSE) !== 0;
    d.insertIpCsum = (ol & MQ_TX_POPTS.IXSM) !== 0;
    d.insertL4Csum = (ol & MQ_TX_POPTS.TXSM) !== 0;
  }

  protected reportsStatus(addr: number): boolean {
    const v = this.dma.view;
    const word = v.getUint32(addr + 8, true);
    return ((word >>> 20) & 0xf) === MQ_TX_DTYP.DATA && ((word >>> 24) & MQ_TX_DCMD.RS) !== 0;
  }

  protected writeBack(addr: number): void {
    this.dma.bytes[addr + MQ_TX_DATA.OLINFO_STATUS]! |= MQ_TX_STA_DD;
  }
}
