// The mq driver's transmit side (in the style of ixgbe_xmit_frame_ring / ixgbe_tso / ixgbe_clean_tx_irq,
// reduced): one TX ring per queue; a packet to cut (TSO) or to checksum takes an advanced context
// descriptor and an advanced data descriptor, a plain packet one data descriptor; RS on EOP.
// Layouts: hw-models/mq-tx.ts, docs/hw-models/mq.md "Transmit".
import {
  MQ_TX_CMD_TYPE_LEN,
  MQ_TX_CONTEXT,
  MQ_TX_DATA,
  MQ_TX_DCMD,
  MQ_TX_DTYP,
  MQ_TX_MSS_L4LEN_IDX,
  MQ_TX_OLINFO_STATUS,
  MQ_TX_POPTS,
  MQ_TX_STA_DD,
  MQ_TX_TUCMD,
  MQ_TX_TYPE_TUCMD_MLHL,
  MQ_TX_VLAN_MACIP_LENS,
  MqTxNic,
} from '../../hw-models/mq-tx.ts';
import { setAddr64 } from '../../hw-models/dma.ts';
import { placeBits } from '../../hw-models/model.ts';
import type { VirtualClock } from '../../sim/clock.ts';
import type { Stack } from '../../stack/stack.ts';
import { TxRingDriver, type TxDescriptorWriter, type TxPlan } from '../xmit-ring.ts';

export const MQ_TX_WRITER: TxDescriptorWriter = {
  maxPerPacket: 2,
  write(v: DataView, addrOf: (slot: number) => number, first: number, entries: number, p: TxPlan): number {
    let slot = first;
    const offload = p.tso || p.insertL4Csum;
    if (offload) {
      const c = addrOf(slot);
      const lens = MQ_TX_VLAN_MACIP_LENS,
        type = MQ_TX_TYPE_TUCMD_MLHL,
        mss = MQ_TX_MSS_L4LEN_IDX;
      v.setUint32(
        c + MQ_TX_CONTEXT.VLAN_MACIP_LENS,
        (placeBits(p.l3, lens.MACLEN) | placeBits(p.l4 - p.l3, lens.IPLEN)) >>> 0,
        true,
      );
      v.setUint32(c + MQ_TX_CONTEXT.SEQNUM_SEED, 0, true);
      v.setUint32(
        c + MQ_TX_CONTEXT.TYPE_TUCMD_MLHL,
        (placeBits(MQ_TX_TUCMD.IPV4 | MQ_TX_TUCMD.L4T_TCP, type.TUCMD) |
          placeBits(MQ_TX_DTYP.CONTEXT, type.DTYP) |
          placeBits(MQ_TX_DCMD.DEXT, type.DCMD)) >>>
          0,
        true,
      );
      v.setUint32(
        c + MQ_TX_CONTEXT.MSS_L4LEN_IDX,
        (placeBits(p.tso ? p.mss : 0, mss.MSS) | placeBits(p.hdrLen - p.l4, mss.L4LEN)) >>> 0,
        true,
      );
      slot = (slot + 1) % entries;
    }
    const d = addrOf(slot);
    setAddr64(v, d + MQ_TX_DATA.BUFFER_ADDR, p.buffer, true);
    const dcmd = MQ_TX_DCMD.EOP | MQ_TX_DCMD.IFCS | MQ_TX_DCMD.RS | MQ_TX_DCMD.DEXT | (p.tso ? MQ_TX_DCMD.TSE : 0);
    const cmd = MQ_TX_CMD_TYPE_LEN,
      ol = MQ_TX_OLINFO_STATUS;
    v.setUint32(
      d + MQ_TX_DATA.CMD_TYPE_LEN,
      (placeBits(p.length, cmd.DTALEN) | placeBits(MQ_TX_DTYP.DATA, cmd.DTYP) | placeBits(dcmd, cmd.DCMD)) >>> 0,
      true,
    );
    const popts = offload ? MQ_TX_POPTS.TXSM | (p.tso ? MQ_TX_POPTS.IXSM : 0) : 0;
    const paylen = p.tso ? p.length - p.hdrLen : p.length;
    v.setUint32(d + MQ_TX_DATA.OLINFO_STATUS, (placeBits(popts, ol.POPTS) | placeBits(paylen, ol.PAYLEN)) >>> 0, true);
    return offload ? 2 : 1;
  },
  done(v: DataView, addr: number): boolean {
    return (v.getUint8(addr + MQ_TX_DATA.OLINFO_STATUS) & MQ_TX_STA_DD) !== 0;
  },
};

export interface MqTxSetup {
  clock: VirtualClock;
  stack: Stack;
  mac: Uint8Array;
  mtu: number;
  queues?: number;
  tso?: boolean;
  txChecksum?: boolean;
  gbps?: number;
  entries?: number;
}

/** An mq NIC's transmit side and its driver: one ring (and TX interrupt) per queue. */
export function mqTransmitter(o: MqTxSetup): { nics: MqTxNic[]; driver: TxRingDriver } {
  const nics = Array.from(
    { length: o.queues ?? 1 },
    (_, queue) =>
      new MqTxNic(o.clock, {
        queue,
        mtu: o.mtu,
        tracer: o.stack.tracer,
        ...(o.gbps !== undefined ? { gbps: o.gbps } : {}),
        ...(o.entries !== undefined ? { entries: o.entries } : {}),
      }),
  );
  const driver = new TxRingDriver('mq', nics, MQ_TX_WRITER, o.stack, o.mac, o.mtu, {
    tso: o.tso ?? true,
    txChecksum: o.txChecksum ?? true,
  });
  return { nics, driver };
}
