// The e1000's transmit ring (Intel 8254x, datasheet: docs/hw-models/e1000.md "Transmit"): 16-byte
// descriptors, little-endian, in three kinds told apart by CMD.DEXT and DTYP — the legacy descriptor
// (a buffer and its length), the TCP/IP context descriptor (checksum offsets, MSS and header length
// for TSO) and the extended data descriptor (a buffer, with TSE and the IXSM/TXSM insert options).
// The device writes DD into the STA nibble of every descriptor whose command had RS; TXDW interrupts.
import type { VirtualClock } from '../sim/clock.ts';
import type { Tracer } from '../observe/trace.ts';
import { DmaMemory, getAddr64 } from './dma.ts';
import { type BitField, type DescriptorField, type DescriptorLayout, fieldCodec, readBits } from './model.ts';
import { type TxDescriptor, TxQueueDevice, TX_MAX_PACKET } from './tx-queue.ts';

/** Legacy transmit descriptor. */
export const E1000_TX_LEGACY = { BUFFER_ADDR: 0, LENGTH: 8, CSO: 10, CMD: 11, STA: 12, CSS: 13, SPECIAL: 14 } as const;
/** TCP/IP context descriptor (CMD.DEXT = 1, DTYP = 0): where the checksums go and how TSO cuts. */
export const E1000_TX_CONTEXT = {
  IPCSS: 0,
  IPCSO: 1,
  IPCSE: 2,
  TUCSS: 4,
  TUCSO: 5,
  TUCSE: 6,
  /** 32 bits: E1000_TX_PAYLEN_DTYP_TUCMD. */
  PAYLEN_DTYP_TUCMD: 8,
  STA: 12,
  HDRLEN: 13,
  MSS: 14,
} as const;
/** The fields of the context descriptor's dword at PAYLEN_DTYP_TUCMD (TUCMD is byte 11, the legacy CMD byte). */
export const E1000_TX_PAYLEN_DTYP_TUCMD = {
  PAYLEN: { shift: 0, bits: 20 },
  DTYP: { shift: 20, bits: 4 },
  TUCMD: { shift: 24, bits: 8 },
} as const satisfies Record<string, BitField>;
/** Extended data descriptor (CMD.DEXT = 1, DTYP = 1). */
export const E1000_TX_DATA = { BUFFER_ADDR: 0, DTALEN_DTYP_DCMD: 8, STA: 12, POPTS: 13, SPECIAL: 14 } as const;
/** The fields of the data descriptor's dword at DTALEN_DTYP_DCMD: DTYP in the same bits as the context's. */
export const E1000_TX_DTALEN_DTYP_DCMD = {
  DTALEN: { shift: 0, bits: 20 },
  DTYP: { shift: 20, bits: 4 },
  DCMD: { shift: 24, bits: 8 },
} as const satisfies Record<string, BitField>;
export const E1000_TX_DESC_SIZE = 16;
/** The command byte (byte 11 in all three kinds): CMD of the legacy descriptor, DCMD of the data descriptor. */
export const E1000_TX_CMD = { EOP: 0x01, IFCS: 0x02, TSE: 0x04, RS: 0x08, DEXT: 0x20, VLE: 0x40, IDE: 0x80 } as const;
/** TUCMD of the context descriptor: TCP (else UDP), IP (IPv4); TSE, RS and DEXT in the same bits as E1000_TX_CMD. */
export const E1000_TX_TUCMD = {
  TCP: 0x01,
  IP: 0x02,
  TSE: E1000_TX_CMD.TSE,
  RS: E1000_TX_CMD.RS,
  DEXT: E1000_TX_CMD.DEXT,
} as const;
export const E1000_TX_DTYP = { CONTEXT: 0, DATA: 1 } as const;
export const E1000_TX_POPTS = { IXSM: 0x01, TXSM: 0x02 } as const;
export const E1000_TX_STA_DD = 0x01;
/** The 8254x runs at 1 Gb/s. */
export const E1000_LINE_GBPS = 1;

export interface E1000TxOptions {
  entries?: number;
  /** Transmit buffers the driver may hold in flight (each one packet, up to 64 KB + headers). */
  buffers?: number;
  gbps?: number;
  mtu?: number;
  tracer?: Tracer;
}

export class E1000TxNic extends TxQueueDevice {
  readonly descriptors = E1000_TX_DESCRIPTORS;
  constructor(clock: VirtualClock, o: E1000TxOptions = {}) {
    const entries = o.entries ?? 256;
    const dma = new DmaMemory({
      staticBytes: entries * E1000_TX_DESC_SIZE + 256,
      slabs: [
        { size: 2048, count: entries },
        { size: TX_MAX_PACKET, count: o.buffers ?? 64 },
      ],
    });
    super(
      'e1000-tx',
      dma,
      { queue: 0, name: 'tx', role: 'rx', entries, entrySize: E1000_TX_DESC_SIZE, bufferBytes: 0 },
      clock,
      o.gbps ?? E1000_LINE_GBPS,
      (o.mtu ?? 1500) + 18,
      o.tracer,
    );
  }

  protected readDescriptor(addr: number, d: TxDescriptor): void {
    const v = this.dma.view;
    // byte 11 is the command in all three kinds: CMD, TUCMD or DCMD, with RS and DEXT in the same bits
    const cmd = v.getUint8(addr + E1000_TX_LEGACY.CMD);
    d.rs = (cmd & E1000_TX_CMD.RS) !== 0;
    if ((cmd & E1000_TX_CMD.DEXT) === 0) {
      d.kind = 'data';
      d.bufferAddr = getAddr64(v, addr + E1000_TX_LEGACY.BUFFER_ADDR, true);
      d.length = v.getUint16(addr + E1000_TX_LEGACY.LENGTH, true);
      d.eop = (cmd & E1000_TX_CMD.EOP) !== 0;
      d.tse = d.insertIpCsum = d.insertL4Csum = false;
      return;
    }
    // the context's PAYLEN_DTYP_TUCMD and the data's DTALEN_DTYP_DCMD are the same dword, DTYP in the same bits
    const word = v.getUint32(addr + E1000_TX_DATA.DTALEN_DTYP_DCMD, true);
    if (readBits(word, E1000_TX_DTALEN_DTYP_DCMD.DTYP) === E1000_TX_DTYP.CONTEXT) {
      d.kind = 'context';
      d.l3 = v.getUint8(addr + E1000_TX_CONTEXT.IPCSS);
      d.l4 = v.getUint8(addr + E1000_TX_CONTEXT.TUCSS);
      d.hdrLen = v.getUint8(addr + E1000_TX_CONTEXT.HDRLEN);
      d.mss = v.getUint16(addr + E1000_TX_CONTEXT.MSS, true);
      d.tcp = (readBits(word, E1000_TX_PAYLEN_DTYP_TUCMD.TUCMD) & E1000_TX_TUCMD.TCP) !== 0;
      d.eop = false;
      return;
    }
    d.kind = 'data';
    d.bufferAddr = getAddr64(v, addr + E1000_TX_DATA.BUFFER_ADDR, true);
    d.length = readBits(word, E1000_TX_DTALEN_DTYP_DCMD.DTALEN);
    const dcmd = readBits(word, E1000_TX_DTALEN_DTYP_DCMD.DCMD);
    d.eop = (dcmd & E1000_TX_CMD.EOP) !== 0;
    d.tse = (dcmd & E1000_TX_CMD.TSE) !== 0;
    const popts = v.getUint8(addr + E1000_TX_DATA.POPTS);
    d.insertIpCsum = (popts & E1000_TX_POPTS.IXSM) !== 0;
    d.insertL4Csum = (popts & E1000_TX_POPTS.TXSM) !== 0;
  }

  protected reportsStatus(addr: number): boolean {
    return (this.dma.bytes[addr + E1000_TX_LEGACY.CMD]! & E1000_TX_CMD.RS) !== 0;
  }

  protected writeBack(addr: number): void {
    // STA is byte 12 in all three kinds; DD is its bit 0
    this.dma.bytes[addr + E1000_TX_LEGACY.STA]! |= E1000_TX_STA_DD;
  }
}

function txLayout(name: string, fields: Record<string, DescriptorField>): DescriptorLayout {
  return { name, writer: 'driver', size: E1000_TX_DESC_SIZE, fields, ...fieldCodec(fields, true) };
}

const word = (offset: number, f: BitField): DescriptorField => ({ offset, width: 4, ...f });

/** The three transmit descriptors as data (docs/datasheets.ts makes the datasheet's tables of them). */
export const E1000_TX_DESCRIPTORS: readonly DescriptorLayout[] = [
  txLayout('tx_legacy', {
    bufferAddr: { offset: E1000_TX_LEGACY.BUFFER_ADDR, width: 8 },
    length: { offset: E1000_TX_LEGACY.LENGTH, width: 2 },
    cso: { offset: E1000_TX_LEGACY.CSO, width: 1 },
    cmd: { offset: E1000_TX_LEGACY.CMD, width: 1 },
    sta: { offset: E1000_TX_LEGACY.STA, width: 1 },
    css: { offset: E1000_TX_LEGACY.CSS, width: 1 },
    special: { offset: E1000_TX_LEGACY.SPECIAL, width: 2 },
  }),
  txLayout('tx_context', {
    ipcss: { offset: E1000_TX_CONTEXT.IPCSS, width: 1 },
    ipcso: { offset: E1000_TX_CONTEXT.IPCSO, width: 1 },
    ipcse: { offset: E1000_TX_CONTEXT.IPCSE, width: 2 },
    tucss: { offset: E1000_TX_CONTEXT.TUCSS, width: 1 },
    tucso: { offset: E1000_TX_CONTEXT.TUCSO, width: 1 },
    tucse: { offset: E1000_TX_CONTEXT.TUCSE, width: 2 },
    paylen: word(E1000_TX_CONTEXT.PAYLEN_DTYP_TUCMD, E1000_TX_PAYLEN_DTYP_TUCMD.PAYLEN),
    dtyp: word(E1000_TX_CONTEXT.PAYLEN_DTYP_TUCMD, E1000_TX_PAYLEN_DTYP_TUCMD.DTYP),
    tucmd: word(E1000_TX_CONTEXT.PAYLEN_DTYP_TUCMD, E1000_TX_PAYLEN_DTYP_TUCMD.TUCMD),
    sta: { offset: E1000_TX_CONTEXT.STA, width: 1 },
    hdrlen: { offset: E1000_TX_CONTEXT.HDRLEN, width: 1 },
    mss: { offset: E1000_TX_CONTEXT.MSS, width: 2 },
  }),
  txLayout('tx_data', {
    bufferAddr: { offset: E1000_TX_DATA.BUFFER_ADDR, width: 8 },
    dtalen: word(E1000_TX_DATA.DTALEN_DTYP_DCMD, E1000_TX_DTALEN_DTYP_DCMD.DTALEN),
    dtyp: word(E1000_TX_DATA.DTALEN_DTYP_DCMD, E1000_TX_DTALEN_DTYP_DCMD.DTYP),
    dcmd: word(E1000_TX_DATA.DTALEN_DTYP_DCMD, E1000_TX_DTALEN_DTYP_DCMD.DCMD),
    sta: { offset: E1000_TX_DATA.STA, width: 1 },
    popts: { offset: E1000_TX_DATA.POPTS, width: 1 },
    special: { offset: E1000_TX_DATA.SPECIAL, width: 2 },
  }),
];
