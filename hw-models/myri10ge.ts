// myri10ge-like NIC (Myricom 10GbE), per spec §3.2: page-chunk receive buffers on a small and a big
// ring per slice, frames split across big chunks, a 2-byte firmware pad before every frame, a 16-bit
// partial checksum over everything after the Ethernet header, VLAN tags left in-band, optional RSS
// slices. Big-endian fields. Datasheet: docs/hw-models/myri10ge.md.
import { z } from 'zod';
import { ETH } from '../wire/constants.ts';
import { fold } from '../wire/checksum.ts';
import { bytesSum } from '../wire/byte-passes.ts';
import {
  baseConfigShape,
  intIn,
  moderationSchema,
  parseConfig,
  ringEntries,
  validateCapabilities,
  type Capabilities,
} from './capabilities.ts';
import { DmaMemory } from './dma.ts';
import { BaseNic, scratchBytesFor, type DescriptorLayout, type ModelEnv } from './model.ts';
import type { FrameLayout } from '../wire/layout.ts';
import { registerModel } from './registry.ts';
import { Ring } from './ring.ts';
import { DEFAULT_RSS_KEY, Toeplitz } from './rss.ts';

/** Receive descriptor the driver posts on the small or big ring (mcp_kreq_ether_recv; 8 bytes, big-endian). */
export const RECV_DESC = { ADDR_HIGH: 0, ADDR_LOW: 4 } as const;
export const RECV_DESC_SIZE = 8;
/** rx_done entry the device writes (mcp_slot; 4 bytes, big-endian). LENGTH != 0 means valid; the driver zeroes it. */
export const RX_DONE = { CSUM: 0, LENGTH: 2 } as const;
export const RX_DONE_SIZE = 4;
/** Bytes of firmware pad before each frame (MXGEFW_PAD): puts the IP header on a 4-byte boundary. */
export const MXGEFW_PAD = 2;
export const MYRI_PAGE = 4096;
export const MYRI_MAX_SLICES = 16;
export const MYRI_MAX_MTU = 9000;

export const MYRI10GE_CAPABILITIES: Capabilities = validateCapabilities(
  {
    vlan: 'none',
    delivery: 'page-frags',
    headerSplit: false,
    rxChecksum: 'partial',
    maxQueues: MYRI_MAX_SLICES,
    queueSelect: 'flow-hash',
    moderation: { packetThreshold: false, delayTimer: true, absoluteTimer: false },
    rings: [
      { name: 'small', role: 'rx', minEntries: 16, maxEntries: 4096, defaultEntries: 512, bufferBytes: 128 },
      { name: 'big', role: 'rx', minEntries: 16, maxEntries: 4096, defaultEntries: 512, bufferBytes: 4096 },
      { name: 'rx_done', role: 'completion', minEntries: 32, maxEntries: 8192, defaultEntries: 1024, bufferBytes: 0 },
    ],
    minMtu: 68,
    maxMtu: MYRI_MAX_MTU,
    badFcs: 'drop',
    byteOrder: 'big',
  },
  'myri10ge',
);

const chunkSize = (allowed: readonly number[], dflt: number) =>
  z
    .number({ error: `must be one of ${allowed.join(', ')}` })
    .refine((n) => allowed.includes(n), { error: `must be one of ${allowed.join(', ')}` })
    .default(dflt);

export const Myri10geConfigSchema = z.strictObject({
  ...baseConfigShape(68, MYRI_MAX_MTU),
  /** RSS slices; each has its own small/big/rx_done rings and interrupt. */
  slices: intIn(1, MYRI_MAX_SLICES).default(1),
  smallEntries: ringEntries(16, 4096, 512),
  bigEntries: ringEntries(16, 4096, 512),
  /** Bytes of a small-ring chunk; a frame goes there when pad + frame fits. */
  smallBytes: chunkSize([64, 128, 256, 512], 128),
  /** Bytes of a big-ring chunk; longer frames continue in the next big chunks. */
  bigBytes: chunkSize([1024, 2048, 4096], 4096),
  /** Deliver the partial checksum (off: CSUM reads 0). */
  rxChecksum: z.boolean({ error: 'must be true or false' }).default(true),
  moderation: moderationSchema(MYRI10GE_CAPABILITIES.moderation),
});
export type Myri10geConfig = z.input<typeof Myri10geConfigSchema>;

interface Slice {
  small: Ring;
  big: Ring;
  done: Ring;
}

export class Myri10geNic extends BaseNic {
  readonly name = 'myri10ge';
  readonly descriptors = MYRI10GE_DESCRIPTORS;
  readonly config: z.output<typeof Myri10geConfigSchema>;
  private readonly slices: Slice[] = [];
  private readonly hash = new Toeplitz(DEFAULT_RSS_KEY);
  private readonly view: DataView;

  constructor(config: Myri10geConfig = {}, env: ModelEnv = {}) {
    const c = parseConfig(Myri10geConfigSchema, config, 'myri10ge');
    const caps: Capabilities = {
      ...MYRI10GE_CAPABILITIES,
      rxChecksum: c.rxChecksum ? 'partial' : 'none',
      maxQueues: c.slices,
      queueSelect: c.slices > 1 ? 'flow-hash' : 'single',
      rings: MYRI10GE_CAPABILITIES.rings.map((r) =>
        r.name === 'small'
          ? { ...r, bufferBytes: c.smallBytes }
          : r.name === 'big'
            ? { ...r, bufferBytes: c.bigBytes }
            : r,
      ),
    };
    const doneEntries = c.smallEntries + c.bigEntries;
    const pagesPerSlice = Math.ceil((c.smallEntries * c.smallBytes + c.bigEntries * c.bigBytes) / MYRI_PAGE) + 2;
    const dma = new DmaMemory({
      staticBytes: c.slices * ((c.smallEntries + c.bigEntries) * RECV_DESC_SIZE + doneEntries * RX_DONE_SIZE + 3 * 64),
      slabs: [{ size: MYRI_PAGE, count: pagesPerSlice * c.slices * c.bufferFactor }],
      scratchBytes: scratchBytesFor(MYRI_MAX_MTU),
    });
    super(
      caps,
      dma,
      c.slices,
      c,
      env,
      ['rx_done_full', 'rx_bad_descriptor', 'rx_small', 'rx_big'],
      ['rx_done_full', 'rx_bad_descriptor'],
    );
    this.config = c;
    this.view = dma.view;
    for (let q = 0; q < c.slices; q++) {
      const mk = (name: string, entries: number, size: number, role: 'rx' | 'completion', buf: number): Ring => {
        const r = new Ring({
          queue: q,
          name,
          role,
          base: dma.carve(entries * size),
          entries,
          entrySize: size,
          bufferBytes: buf,
        });
        this.addRing(q, r);
        return r;
      };
      this.slices.push({
        small: mk('small', c.smallEntries, RECV_DESC_SIZE, 'rx', c.smallBytes),
        big: mk('big', c.bigEntries, RECV_DESC_SIZE, 'rx', c.bigBytes),
        done: mk('rx_done', doneEntries, RX_DONE_SIZE, 'completion', 0),
      });
      this.setModeration(q, { packets: 0, delayNs: c.moderation.delayUs * 1000, absoluteNs: 0 });
    }
  }

  protected selectQueue(p: FrameLayout, frame: Uint8Array): number {
    return this.hash.hashFrame(frame, p) % this.queueCount;
  }

  protected dmaFrame(
    q: number,
    frame: Uint8Array,
    length: number,
    wireLen: number,
    _badFcs: boolean,
    nowNs: number,
  ): void {
    const s = this.slices[q]!,
      v = this.view,
      mem = this.dma.bytes,
      c = this.qc[q]!;
    const imageLen = this.assemble(frame, length, wireLen, 0, 0);
    const total = MXGEFW_PAD + imageLen;
    const small = total <= this.config.smallBytes;
    const ring = small ? s.small : s.big;
    const chunk = small ? this.config.smallBytes : this.config.bigBytes;
    const need = small ? 1 : Math.ceil(total / chunk);
    if (ring.available < need) {
      this.drop(
        q,
        'rx_missed',
        nowNs,
        this.tracer.enabled ? `${ring.info.name} ring has ${ring.available} chunks posted, frame needs ${need}` : '',
      );
      return;
    }
    const doneAt = s.done.addr(s.done.head);
    if (v.getUint16(doneAt + RX_DONE.LENGTH) !== 0) {
      this.drop(
        q,
        'rx_done_full',
        nowNs,
        this.tracer.enabled ? 'rx_done slot still owned by the driver (LENGTH not zeroed)' : '',
      );
      return;
    }
    for (let k = 0; k < need; k++) {
      // check every chunk before writing any
      const d = ring.addr(ring.peek(k));
      const addr = v.getUint32(d + RECV_DESC.ADDR_HIGH) * 0x100000000 + v.getUint32(d + RECV_DESC.ADDR_LOW);
      if (!this.dma.isMapped(addr, Math.min(chunk, total - k * chunk))) {
        for (let j = 0; j < need; j++) ring.advanceHead();
        this.drop(
          q,
          'rx_bad_descriptor',
          nowNs,
          this.tracer.enabled ? `${ring.info.name} descriptor at ${d} points at no usable buffer (addr ${addr})` : '',
        );
        return;
      }
    }
    // the pad and frame as one byte stream laid over `need` chunks
    let src = -MXGEFW_PAD;
    for (let k = 0; k < need; k++) {
      const d = ring.addr(ring.advanceHead());
      const addr = v.getUint32(d + RECV_DESC.ADDR_HIGH) * 0x100000000 + v.getUint32(d + RECV_DESC.ADDR_LOW);
      let n = Math.min(chunk, imageLen - src),
        at = addr;
      if (src < 0) {
        mem[at] = 0;
        mem[at + 1] = 0;
        at += MXGEFW_PAD;
        n -= MXGEFW_PAD;
        src = 0;
      }
      this.dmaOut(src, at, n);
      src += n;
    }
    const csum =
      this.config.rxChecksum && imageLen > ETH.HLEN
        ? fold(bytesSum(mem, this.scratchAt + ETH.HLEN, imageLen - ETH.HLEN))
        : 0;
    v.setUint16(doneAt + RX_DONE.CSUM, csum);
    v.setUint16(doneAt + RX_DONE.LENGTH, total); // publish: LENGTH is written last
    s.done.advanceHead();
    if (small) c.rx_small!++;
    else c.rx_big!++;
    this.completed(
      q,
      imageLen,
      nowNs,
      this.tracer.enabled ? `${imageLen} bytes in ${need} ${ring.info.name} chunk(s), csum 0x${csum.toString(16)}` : '',
      s.done,
    );
  }
}

/** 802.1Q-aware helper a driver needs: the partial sum without the 4 tag bytes (the firmware sums from byte 14). */
export function csumWithoutVlan(csum: number, tagTci: number, innerType: number): number {
  // subtracting in 1's complement = adding the complement
  return fold(csum + (~tagTci & 0xffff) + (~innerType & 0xffff));
}

export const MYRI10GE_DESCRIPTORS: readonly DescriptorLayout[] = [
  {
    name: 'recv_desc',
    writer: 'driver',
    size: RECV_DESC_SIZE,
    fields: { addrHigh: { offset: RECV_DESC.ADDR_HIGH, width: 4 }, addrLow: { offset: RECV_DESC.ADDR_LOW, width: 4 } },
    encode: (v, at, d) => {
      v.setUint32(at + RECV_DESC.ADDR_HIGH, d.addrHigh!);
      v.setUint32(at + RECV_DESC.ADDR_LOW, d.addrLow!);
    },
    decode: (v, at) => ({
      addrHigh: v.getUint32(at + RECV_DESC.ADDR_HIGH),
      addrLow: v.getUint32(at + RECV_DESC.ADDR_LOW),
    }),
  },
  {
    name: 'rx_done',
    writer: 'device',
    size: RX_DONE_SIZE,
    fields: { csum: { offset: RX_DONE.CSUM, width: 2 }, length: { offset: RX_DONE.LENGTH, width: 2 } },
    encode: (v, at, d) => {
      v.setUint16(at + RX_DONE.CSUM, d.csum!);
      v.setUint16(at + RX_DONE.LENGTH, d.length!);
    },
    decode: (v, at) => ({ csum: v.getUint16(at + RX_DONE.CSUM), length: v.getUint16(at + RX_DONE.LENGTH) }),
  },
];

registerModel('myri10ge', (config, env) => new Myri10geNic(config as Myri10geConfig, env), MYRI10GE_CAPABILITIES);
