// The e1000 driver's transmit side (e1000_xmit_frame / e1000_tso / e1000_tx_csum / e1000_clean_tx_irq,
// reduced): a plain packet takes one legacy descriptor; a packet to cut (TSO) or to checksum takes a
// TCP/IP context descriptor and an extended data descriptor. RS on the EOP descriptor, whose DD the
// clean-up reads. Layouts: hw-models/e1000-tx.ts, docs/hw-models/e1000.md "Transmit".
import {
  E1000_TX_CMD,
  E1000_TX_CONTEXT,
  E1000_TX_DATA,
  E1000_TX_DESC_SIZE,
  E1000_TX_DTALEN_DTYP_DCMD,
  E1000_TX_DTYP,
  E1000_TX_LEGACY,
  E1000_TX_PAYLEN_DTYP_TUCMD,
  E1000_TX_POPTS,
  E1000_TX_STA_DD,
  E1000_TX_TUCMD,
  E1000TxNic,
} from '../../hw-models/e1000-tx.ts';
import { setAddr64 } from '../../hw-models/dma.ts';
import { placeBits } from '../../hw-models/model.ts';
import { IPV4, TCP } from '../../wire/constants.ts';
import type { VirtualClock } from '../../sim/clock.ts';
import type { Stack } from '../../stack/stack.ts';
import { TxRingDriver, type TxDescriptorWriter, type TxPlan } from '../xmit-ring.ts';

export const E1000_TX_WRITER: TxDescriptorWriter = {
  maxPerPacket: 2,
  write(v: DataView, addrOf: (slot: number) => number, first: number, entries: number, p: TxPlan): number {
    if (!p.tso && !p.insertL4Csum) {
      const a = addrOf(first);
      for (let k = 0; k < E1000_TX_DESC_SIZE; k += 4) v.setUint32(a + k, 0, true);
      setAddr64(v, a + E1000_TX_LEGACY.BUFFER_ADDR, p.buffer, true);
      v.setUint16(a + E1000_TX_LEGACY.LENGTH, p.length, true);
      v.setUint8(a + E1000_TX_LEGACY.CMD, E1000_TX_CMD.EOP | E1000_TX_CMD.IFCS | E1000_TX_CMD.RS);
      return 1;
    }
    const c = addrOf(first);
    for (let k = 0; k < E1000_TX_DESC_SIZE; k += 4) v.setUint32(c + k, 0, true);
    v.setUint8(c + E1000_TX_CONTEXT.IPCSS, p.l3);
    v.setUint8(c + E1000_TX_CONTEXT.IPCSO, p.l3 + IPV4.CSUM);
    v.setUint16(c + E1000_TX_CONTEXT.IPCSE, p.l4 - 1, true);
    v.setUint8(c + E1000_TX_CONTEXT.TUCSS, p.l4);
    v.setUint8(c + E1000_TX_CONTEXT.TUCSO, p.l4 + TCP.CSUM);
    const tucmd = E1000_TX_TUCMD.DEXT | E1000_TX_TUCMD.IP | E1000_TX_TUCMD.TCP | (p.tso ? E1000_TX_TUCMD.TSE : 0);
    const ctx = E1000_TX_PAYLEN_DTYP_TUCMD;
    v.setUint32(
      c + E1000_TX_CONTEXT.PAYLEN_DTYP_TUCMD,
      (placeBits(p.length - p.hdrLen, ctx.PAYLEN) |
        placeBits(E1000_TX_DTYP.CONTEXT, ctx.DTYP) |
        placeBits(tucmd, ctx.TUCMD)) >>>
        0,
      true,
    );
    v.setUint8(c + E1000_TX_CONTEXT.HDRLEN, p.hdrLen);
    v.setUint16(c + E1000_TX_CONTEXT.MSS, p.tso ? p.mss : 0, true);
    const d = addrOf((first + 1) % entries);
    for (let k = 0; k < E1000_TX_DESC_SIZE; k += 4) v.setUint32(d + k, 0, true);
    setAddr64(v, d + E1000_TX_DATA.BUFFER_ADDR, p.buffer, true);
    const dcmd =
      E1000_TX_CMD.DEXT | E1000_TX_CMD.EOP | E1000_TX_CMD.IFCS | E1000_TX_CMD.RS | (p.tso ? E1000_TX_CMD.TSE : 0);
    const data = E1000_TX_DTALEN_DTYP_DCMD;
    v.setUint32(
      d + E1000_TX_DATA.DTALEN_DTYP_DCMD,
      (placeBits(p.length, data.DTALEN) | placeBits(E1000_TX_DTYP.DATA, data.DTYP) | placeBits(dcmd, data.DCMD)) >>> 0,
      true,
    );
    v.setUint8(d + E1000_TX_DATA.POPTS, E1000_TX_POPTS.TXSM | (p.tso ? E1000_TX_POPTS.IXSM : 0));
    return 2;
  },
  done(v: DataView, addr: number): boolean {
    return (v.getUint8(addr + E1000_TX_LEGACY.STA) & E1000_TX_STA_DD) !== 0;
  },
};

export interface E1000TxSetup {
  clock: VirtualClock;
  stack: Stack;
  mac: Uint8Array;
  mtu: number;
  /** The 8254x offers TSO and TX checksum offload (82544 and later); false: the stack segments and checksums. */
  tso?: boolean;
  txChecksum?: boolean;
  gbps?: number;
  entries?: number;
}

/** An e1000's transmit side and its driver: one ring. */
export function e1000Transmitter(o: E1000TxSetup): { nic: E1000TxNic; driver: TxRingDriver } {
  const nic = new E1000TxNic(o.clock, {
    mtu: o.mtu,
    tracer: o.stack.tracer,
    ...(o.gbps !== undefined ? { gbps: o.gbps } : {}),
    ...(o.entries !== undefined ? { entries: o.entries } : {}),
  });
  const driver = new TxRingDriver('e1000', [nic], E1000_TX_WRITER, o.stack, o.mac, o.mtu, {
    tso: o.tso ?? true,
    txChecksum: o.txChecksum ?? true,
  });
  return { nic, driver };
}
