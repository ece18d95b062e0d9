// e1000-like NIC (Intel 8254x, legacy receive descriptors): one queue, 16-byte descriptors written
// back in place (DD bit last), frames longer than a buffer chained over descriptors (EOP on the last),
// no checksum verification, optional VLAN strip (CTRL.VME), RDTR/RADV interrupt delay timers.
// Little-endian fields. Datasheet: docs/hw-models/e1000.md.
import { z } from 'zod';
import { ETH, ETHERTYPE, VLAN } from '../wire/constants.ts';
import {
  baseConfigShape,
  intIn,
  parseConfig,
  ringEntries,
  validateCapabilities,
  type Capabilities,
} from './capabilities.ts';
import { DmaMemory, getAddr64, setAddr64 } from './dma.ts';
import { BaseNic, scratchBytesFor, type DescriptorLayout, type ModelEnv } from './model.ts';
import type { FrameLayout } from '../wire/layout.ts';
import { registerModel } from './registry.ts';
import { Ring } from './ring.ts';

/** Legacy receive descriptor (16 bytes, little-endian): the driver writes BUFFER_ADDR (and zeroes the rest); the device writes the rest back. */
export const RX_DESC = { BUFFER_ADDR: 0, LENGTH: 8, CSUM: 10, STATUS: 12, ERRORS: 13, SPECIAL: 14 } as const;
export const RX_DESC_SIZE = 16;
export const RX_STATUS = { DD: 0x01, EOP: 0x02, IXSM: 0x04, VP: 0x08, TCPCS: 0x20, IPCS: 0x40, PIF: 0x80 } as const;
export const RX_ERRORS = { CE: 0x01, SE: 0x02, SEQ: 0x04, CXE: 0x10, TCPE: 0x20, IPE: 0x40, RXE: 0x80 } as const;
/** RDTR / RADV count in units of 1.024 µs. */
export const E1000_TIMER_UNIT_NS = 1024;
export const E1000_MAX_MTU = 9000;

export const E1000_CAPABILITIES: Capabilities = validateCapabilities(
  {
    vlan: 'strip',
    delivery: 'linear',
    headerSplit: false,
    rxChecksum: 'none',
    maxQueues: 1,
    queueSelect: 'single',
    moderation: { packetThreshold: false, delayTimer: true, absoluteTimer: true },
    rings: [
      { name: 'rx', role: 'rx-writeback', minEntries: 8, maxEntries: 4096, defaultEntries: 256, bufferBytes: 2048 },
    ],
    minMtu: 68,
    maxMtu: E1000_MAX_MTU,
    badFcs: 'drop',
    byteOrder: 'little',
  },
  'e1000',
);

const BSIZES = [256, 512, 1024, 2048, 4096, 8192, 16384];

export const E1000ConfigSchema = z.strictObject({
  ...baseConfigShape(68, E1000_MAX_MTU),
  ringEntries: ringEntries(8, 4096, 256),
  /** RCTL.BSIZE (with BSEX for 4096 and up). */
  bufferBytes: z
    .number({ error: `must be one of ${BSIZES.join(', ')}` })
    .refine((n) => BSIZES.includes(n), { error: `must be one of ${BSIZES.join(', ')}` })
    .default(2048),
  /** CTRL.VME: strip the 802.1Q tag into SPECIAL and set VP. */
  vlanStrip: z.boolean({ error: 'must be true or false' }).default(false),
  /** Receive delay timer (restarted by every packet), units of 1.024 µs; 0 = interrupt at once. */
  rdtr: intIn(0, 65535).default(0),
  /** Absolute delay timer (from the first packet), units of 1.024 µs; used only when rdtr > 0. */
  radv: intIn(0, 65535).default(0),
});
export type E1000Config = z.input<typeof E1000ConfigSchema>;

export class E1000Nic extends BaseNic {
  readonly name = 'e1000';
  readonly descriptors = E1000_DESCRIPTORS;
  readonly config: z.output<typeof E1000ConfigSchema>;
  private readonly rx: Ring;
  private readonly view: DataView;

  constructor(config: E1000Config = {}, env: ModelEnv = {}) {
    const c = parseConfig(E1000ConfigSchema, config, 'e1000');
    const caps: Capabilities = {
      ...E1000_CAPABILITIES,
      vlan: c.vlanStrip ? 'strip' : 'none',
      rings: [{ ...E1000_CAPABILITIES.rings[0]!, bufferBytes: c.bufferBytes }],
    };
    const dma = new DmaMemory({
      staticBytes: c.ringEntries * RX_DESC_SIZE + 128,
      slabs: [{ size: c.bufferBytes, count: c.ringEntries * c.bufferFactor }],
      scratchBytes: scratchBytesFor(E1000_MAX_MTU),
    });
    super(caps, dma, 1, c, env, ['rx_bad_descriptor'], ['rx_bad_descriptor']);
    this.config = c;
    this.view = dma.view;
    this.rx = new Ring({
      queue: 0,
      name: 'rx',
      role: 'rx-writeback',
      base: dma.carve(c.ringEntries * RX_DESC_SIZE, 128),
      entries: c.ringEntries,
      entrySize: RX_DESC_SIZE,
      bufferBytes: c.bufferBytes,
    });
    this.addRing(0, this.rx);
    this.setModeration(0, {
      packets: 0,
      delayNs: c.rdtr * E1000_TIMER_UNIT_NS,
      absoluteNs: c.rdtr > 0 ? c.radv * E1000_TIMER_UNIT_NS : 0,
    });
  }

  protected selectQueue(_p: FrameLayout): number {
    return 0;
  }

  protected dmaFrame(
    q: number,
    frame: Uint8Array,
    length: number,
    wireLen: number,
    _badFcs: boolean,
    nowNs: number,
  ): void {
    const p = this.parsed,
      v = this.view,
      rx = this.rx,
      bsize = this.config.bufferBytes;
    const strip = this.config.vlanStrip && p.vlanCount > 0 && p.outerTpid === ETHERTYPE.VLAN;
    const imageLen = this.assemble(frame, length, wireLen, strip ? ETH.TYPE : 0, strip ? VLAN.HLEN : 0);
    const need = Math.ceil(imageLen / bsize);
    if (rx.available < need) {
      this.drop(
        q,
        'rx_missed',
        nowNs,
        this.tracer.enabled
          ? `${rx.available} descriptors posted (RDH ${rx.head}, RDT ${rx.tail}), frame needs ${need}`
          : '',
      );
      return;
    }
    for (let k = 0; k < need; k++) {
      const addr = getAddr64(v, rx.addr(rx.peek(k)) + RX_DESC.BUFFER_ADDR, true);
      if (!this.dma.isMapped(addr, Math.min(bsize, imageLen - k * bsize))) {
        const bad = rx.peek(k);
        for (let j = 0; j < need; j++) rx.advanceHead();
        this.drop(
          q,
          'rx_bad_descriptor',
          nowNs,
          this.tracer.enabled ? `descriptor ${bad} points at no usable buffer (addr ${addr})` : '',
        );
        return;
      }
    }
    for (let k = 0, off = 0; k < need; k++) {
      const d = rx.addr(rx.advanceHead());
      const n = Math.min(bsize, imageLen - off);
      this.dmaOut(off, getAddr64(v, d + RX_DESC.BUFFER_ADDR, true), n);
      off += n;
      const last = k === need - 1;
      v.setUint16(d + RX_DESC.LENGTH, n, true);
      v.setUint16(d + RX_DESC.CSUM, 0, true);
      v.setUint8(d + RX_DESC.ERRORS, 0);
      v.setUint16(d + RX_DESC.SPECIAL, last && strip ? p.outerTci : 0, true);
      // publish: STATUS (with DD) is written last
      v.setUint8(
        d + RX_DESC.STATUS,
        RX_STATUS.DD | RX_STATUS.IXSM | (last ? RX_STATUS.EOP : 0) | (last && strip ? RX_STATUS.VP : 0),
      );
    }
    if (strip) this.qc[q]!.rx_vlan_stripped++;
    this.completed(
      q,
      imageLen,
      nowNs,
      this.tracer.enabled ? `${imageLen} bytes in ${need} descriptor(s)` : '',
      rx,
      need,
    );
  }
}

export interface E1000RxDesc {
  bufferAddr: number;
  length: number;
  csum: number;
  status: number;
  errors: number;
  special: number;
}

export function encodeE1000RxDesc(v: DataView, at: number, d: E1000RxDesc): void {
  setAddr64(v, at + RX_DESC.BUFFER_ADDR, d.bufferAddr, true);
  v.setUint16(at + RX_DESC.LENGTH, d.length, true);
  v.setUint16(at + RX_DESC.CSUM, d.csum, true);
  v.setUint8(at + RX_DESC.STATUS, d.status);
  v.setUint8(at + RX_DESC.ERRORS, d.errors);
  v.setUint16(at + RX_DESC.SPECIAL, d.special, true);
}

export function decodeE1000RxDesc(v: DataView, at: number): E1000RxDesc {
  return {
    bufferAddr: getAddr64(v, at + RX_DESC.BUFFER_ADDR, true),
    length: v.getUint16(at + RX_DESC.LENGTH, true),
    csum: v.getUint16(at + RX_DESC.CSUM, true),
    status: v.getUint8(at + RX_DESC.STATUS),
    errors: v.getUint8(at + RX_DESC.ERRORS),
    special: v.getUint16(at + RX_DESC.SPECIAL, true),
  };
}

export const E1000_DESCRIPTORS: readonly DescriptorLayout[] = [
  {
    name: 'rx_desc',
    writer: 'device',
    size: RX_DESC_SIZE,
    fields: {
      bufferAddr: { offset: RX_DESC.BUFFER_ADDR, width: 8 },
      length: { offset: RX_DESC.LENGTH, width: 2 },
      csum: { offset: RX_DESC.CSUM, width: 2 },
      status: { offset: RX_DESC.STATUS, width: 1 },
      errors: { offset: RX_DESC.ERRORS, width: 1 },
      special: { offset: RX_DESC.SPECIAL, width: 2 },
    },
    encode: (v, at, d) => encodeE1000RxDesc(v, at, d as unknown as E1000RxDesc),
    decode: (v, at) => ({ ...decodeE1000RxDesc(v, at) }),
  },
];

registerModel('e1000', (config, env) => new E1000Nic(config as E1000Config, env), E1000_CAPABILITIES);
