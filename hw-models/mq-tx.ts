// The mq model's transmit rings (in the style of the 82599's advanced descriptors; datasheet:
// docs/hw-models/mq.md "Transmit"): one ring per queue, 16-byte little-endian descriptors of two kinds
// told apart by DTYP — the advanced context descriptor (MAC/IP/L4 header lengths, IPv4 and L4 type,
// MSS) and the advanced data descriptor (a buffer, DCMD with EOP/RS/TSE, POPTS with IXSM/TXSM, the
// packet's payload length). The device writes DD into STA (bit 0 of byte 12) of RS descriptors.
// Several fields share a dword: each dword's offset is in MQ_TX_CONTEXT / MQ_TX_DATA, its fields' bits
// in the constant named after it (MQ_TX_CMD_TYPE_LEN.DTYP …).
import type { VirtualClock } from '../sim/clock.ts';
import type { Tracer } from '../observe/trace.ts';
import { DmaMemory, getAddr64 } from './dma.ts';
import { type BitField, type DescriptorField, type DescriptorLayout, fieldCodec, readBits } from './model.ts';
import { type TxDescriptor, TxQueueDevice, TX_MAX_PACKET } from './tx-queue.ts';

/** Advanced context descriptor (DTYP = 2). */
export const MQ_TX_CONTEXT = {
  /** 32 bits: MQ_TX_VLAN_MACIP_LENS. */
  VLAN_MACIP_LENS: 0,
  SEQNUM_SEED: 4,
  /** 32 bits: MQ_TX_TYPE_TUCMD_MLHL. */
  TYPE_TUCMD_MLHL: 8,
  /** 32 bits: MQ_TX_MSS_L4LEN_IDX. */
  MSS_L4LEN_IDX: 12,
} as const;
/** The fields of the context descriptor's dword at VLAN_MACIP_LENS. */
export const MQ_TX_VLAN_MACIP_LENS = {
  IPLEN: { shift: 0, bits: 9 },
  MACLEN: { shift: 9, bits: 7 },
  VLAN: { shift: 16, bits: 16 },
} as const satisfies Record<string, BitField>;
/** The fields of the context descriptor's dword at TYPE_TUCMD_MLHL: DTYP and DCMD in the same bits as the data's. */
export const MQ_TX_TYPE_TUCMD_MLHL = {
  TUCMD: { shift: 9, bits: 11 },
  DTYP: { shift: 20, bits: 4 },
  DCMD: { shift: 24, bits: 8 },
} as const satisfies Record<string, BitField>;
/** The fields of the context descriptor's dword at MSS_L4LEN_IDX. */
export const MQ_TX_MSS_L4LEN_IDX = {
  IDX: { shift: 4, bits: 3 },
  L4LEN: { shift: 8, bits: 8 },
  MSS: { shift: 16, bits: 16 },
} as const satisfies Record<string, BitField>;
/** Advanced data descriptor (DTYP = 3). */
export const MQ_TX_DATA = {
  BUFFER_ADDR: 0,
  /** 32 bits: MQ_TX_CMD_TYPE_LEN. */
  CMD_TYPE_LEN: 8,
  /** 32 bits: MQ_TX_OLINFO_STATUS; STA is the low nibble of its first byte (little-endian). */
  OLINFO_STATUS: 12,
} as const;
/** The fields of the data descriptor's dword at CMD_TYPE_LEN. */
export const MQ_TX_CMD_TYPE_LEN = {
  DTALEN: { shift: 0, bits: 16 },
  DTYP: { shift: 20, bits: 4 },
  DCMD: { shift: 24, bits: 8 },
} as const satisfies Record<string, BitField>;
/** The fields of the data descriptor's dword at OLINFO_STATUS. */
export const MQ_TX_OLINFO_STATUS = {
  STA: { shift: 0, bits: 4 },
  IDX: { shift: 4, bits: 3 },
  POPTS: { shift: 8, bits: 6 },
  PAYLEN: { shift: 14, bits: 18 },
} as const satisfies Record<string, BitField>;
export const MQ_TX_DESC_SIZE = 16;
export const MQ_TX_DTYP = { CONTEXT: 2, DATA: 3 } as const;
/** DCMD (both kinds; the context descriptor sets DEXT only). */
export const MQ_TX_DCMD = { EOP: 0x01, IFCS: 0x02, RS: 0x08, DEXT: 0x20, VLE: 0x40, TSE: 0x80 } as const;
/** TUCMD of the context descriptor: IPv4, and L4T (bits 2–3 of TUCMD) 1 for TCP, 0 for UDP. */
export const MQ_TX_TUCMD = { IPV4: 0x02, L4T_TCP: 0x04 } as const;
/** POPTS of the data descriptor. */
export const MQ_TX_POPTS = { IXSM: 0x01, TXSM: 0x02 } as const;
/** STA of the data descriptor. */
export const MQ_TX_STA_DD = 0x01;
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
  readonly descriptors = MQ_TX_DESCRIPTORS;
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
    // the context's TYPE_TUCMD_MLHL and the data's CMD_TYPE_LEN are the same dword, DTYP and DCMD in the same bits
    const word = v.getUint32(addr + MQ_TX_DATA.CMD_TYPE_LEN, true);
    if (readBits(word, MQ_TX_CMD_TYPE_LEN.DTYP) === MQ_TX_DTYP.CONTEXT) {
      const lens = v.getUint32(addr + MQ_TX_CONTEXT.VLAN_MACIP_LENS, true);
      const mss = v.getUint32(addr + MQ_TX_CONTEXT.MSS_L4LEN_IDX, true);
      d.kind = 'context';
      d.l3 = readBits(lens, MQ_TX_VLAN_MACIP_LENS.MACLEN);
      d.l4 = d.l3 + readBits(lens, MQ_TX_VLAN_MACIP_LENS.IPLEN);
      d.hdrLen = d.l4 + readBits(mss, MQ_TX_MSS_L4LEN_IDX.L4LEN);
      d.mss = readBits(mss, MQ_TX_MSS_L4LEN_IDX.MSS);
      d.tcp = (readBits(word, MQ_TX_TYPE_TUCMD_MLHL.TUCMD) & MQ_TX_TUCMD.L4T_TCP) !== 0;
      d.eop = d.rs = false;
      return;
    }
    const dcmd = readBits(word, MQ_TX_CMD_TYPE_LEN.DCMD);
    const popts = readBits(v.getUint32(addr + MQ_TX_DATA.OLINFO_STATUS, true), MQ_TX_OLINFO_STATUS.POPTS);
    d.kind = 'data';
    d.bufferAddr = getAddr64(v, addr + MQ_TX_DATA.BUFFER_ADDR, true);
    d.length = readBits(word, MQ_TX_CMD_TYPE_LEN.DTALEN);
    d.eop = (dcmd & MQ_TX_DCMD.EOP) !== 0;
    d.rs = (dcmd & MQ_TX_DCMD.RS) !== 0;
    d.tse = (dcmd & MQ_TX_DCMD.TSE) !== 0;
    d.insertIpCsum = (popts & MQ_TX_POPTS.IXSM) !== 0;
    d.insertL4Csum = (popts & MQ_TX_POPTS.TXSM) !== 0;
  }

  protected reportsStatus(addr: number): boolean {
    const word = this.dma.view.getUint32(addr + MQ_TX_DATA.CMD_TYPE_LEN, true);
    return (
      readBits(word, MQ_TX_CMD_TYPE_LEN.DTYP) === MQ_TX_DTYP.DATA &&
      (readBits(word, MQ_TX_CMD_TYPE_LEN.DCMD) & MQ_TX_DCMD.RS) !== 0
    );
  }

  protected writeBack(addr: number): void {
    // STA is the low nibble of OLINFO_STATUS's first byte
    this.dma.bytes[addr + MQ_TX_DATA.OLINFO_STATUS]! |= MQ_TX_STA_DD;
  }
}

function txLayout(name: string, fields: Record<string, DescriptorField>): DescriptorLayout {
  return { name, writer: 'driver', size: MQ_TX_DESC_SIZE, fields, ...fieldCodec(fields, true) };
}

const word = (offset: number, f: BitField): DescriptorField => ({ offset, width: 4, ...f });

/** The two transmit descriptors as data (docs/datasheets.ts makes the datasheet's tables of them). */
export const MQ_TX_DESCRIPTORS: readonly DescriptorLayout[] = [
  txLayout('tx_context', {
    ipLen: word(MQ_TX_CONTEXT.VLAN_MACIP_LENS, MQ_TX_VLAN_MACIP_LENS.IPLEN),
    macLen: word(MQ_TX_CONTEXT.VLAN_MACIP_LENS, MQ_TX_VLAN_MACIP_LENS.MACLEN),
    vlan: word(MQ_TX_CONTEXT.VLAN_MACIP_LENS, MQ_TX_VLAN_MACIP_LENS.VLAN),
    seqnumSeed: { offset: MQ_TX_CONTEXT.SEQNUM_SEED, width: 4 },
    tucmd: word(MQ_TX_CONTEXT.TYPE_TUCMD_MLHL, MQ_TX_TYPE_TUCMD_MLHL.TUCMD),
    dtyp: word(MQ_TX_CONTEXT.TYPE_TUCMD_MLHL, MQ_TX_TYPE_TUCMD_MLHL.DTYP),
    dcmd: word(MQ_TX_CONTEXT.TYPE_TUCMD_MLHL, MQ_TX_TYPE_TUCMD_MLHL.DCMD),
    idx: word(MQ_TX_CONTEXT.MSS_L4LEN_IDX, MQ_TX_MSS_L4LEN_IDX.IDX),
    l4Len: word(MQ_TX_CONTEXT.MSS_L4LEN_IDX, MQ_TX_MSS_L4LEN_IDX.L4LEN),
    mss: word(MQ_TX_CONTEXT.MSS_L4LEN_IDX, MQ_TX_MSS_L4LEN_IDX.MSS),
  }),
  txLayout('tx_data', {
    bufferAddr: { offset: MQ_TX_DATA.BUFFER_ADDR, width: 8 },
    dtalen: word(MQ_TX_DATA.CMD_TYPE_LEN, MQ_TX_CMD_TYPE_LEN.DTALEN),
    dtyp: word(MQ_TX_DATA.CMD_TYPE_LEN, MQ_TX_CMD_TYPE_LEN.DTYP),
    dcmd: word(MQ_TX_DATA.CMD_TYPE_LEN, MQ_TX_CMD_TYPE_LEN.DCMD),
    sta: word(MQ_TX_DATA.OLINFO_STATUS, MQ_TX_OLINFO_STATUS.STA),
    idx: word(MQ_TX_DATA.OLINFO_STATUS, MQ_TX_OLINFO_STATUS.IDX),
    popts: word(MQ_TX_DATA.OLINFO_STATUS, MQ_TX_OLINFO_STATUS.POPTS),
    paylen: word(MQ_TX_DATA.OLINFO_STATUS, MQ_TX_OLINFO_STATUS.PAYLEN),
  }),
];
