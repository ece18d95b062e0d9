// A modern multi-queue NIC: N queues picked by Toeplitz RSS (IPv4/TCP 4-tuple, other IPv4 2-tuple)
// through a 128-entry indirection table, VLAN strip into the descriptor, verified checksums, optional
// header split (headers into a small header buffer, payload into page buffers), per-queue interrupt
// moderation. 16-byte descriptors written back in place (DD last), little-endian. Datasheet:
// docs/hw-models/mq.md.
import { z } from 'zod';
import { ETH, ETHERTYPE, VLAN } from '../wire/constants.ts';
import {
  ConfigError,
  baseConfigShape,
  intIn,
  moderationSchema,
  parseConfig,
  ringEntries,
  validateCapabilities,
  type Capabilities,
} from './capabilities.ts';
import { DmaMemory, getAddr64, setAddr64 } from './dma.ts';
import { BaseNic, scratchBytesFor, type DescriptorLayout, type ModelEnv } from './model.ts';
import { ipv4HeaderOk, l4ChecksumOk } from './frame-checks.ts';
import type { FrameLayout } from '../wire/layout.ts';
import { registerModel } from './registry.ts';
import { Ring } from './ring.ts';
import { DEFAULT_RSS_KEY, Toeplitz } from './rss.ts';

/** Read format: what the driver posts (16 bytes, little-endian). */
export const RX_READ = { PKT_ADDR: 0, HDR_ADDR: 8 } as const;
/** Write-back format: what the device writes over the same 16 bytes (little-endian); STATUS.DD last. */
export const RX_WB = { RSS_HASH: 0, HDR_INFO: 4, PKT_INFO: 6, STATUS: 8, ERRORS: 10, LENGTH: 12, VLAN: 14 } as const;
export const RX_DESC_SIZE = 16;
/** HDR_INFO: bits 0-9 header bytes in the header buffer, bit 15 SPH (the frame was split). */
export const HDR_INFO = { LEN_MASK: 0x03ff, SPH: 0x8000 } as const;
export const PKT_INFO = { IPV4: 0x01, TCP: 0x02, UDP: 0x04, VLAN: 0x08, RSS: 0x10, IPV6: 0x20 } as const;
export const MQ_STATUS = { DD: 0x01, EOP: 0x02, VP: 0x08, L4CS: 0x20, IPCS: 0x40 } as const;
export const MQ_ERRORS = { IPE: 0x01, L4E: 0x02 } as const;
export const MQ_HDR_BUFFER_BYTES = 256;
export const MQ_MAX_QUEUES = 64;
export const MQ_RETA_SIZE = 128;
export const MQ_MAX_MTU = 9000;

export const MQ_CAPABILITIES: Capabilities = validateCapabilities(
  {
    vlan: 'strip',
    delivery: 'page-frags',
    headerSplit: true,
    rxChecksum: 'verified',
    maxQueues: MQ_MAX_QUEUES,
    queueSelect: 'toeplitz-rss',
    moderation: { packetThreshold: true, delayTimer: true, absoluteTimer: true },
    rings: [
      { name: 'rx', role: 'rx-writeback', minEntries: 16, maxEntries: 8192, defaultEntries: 512, bufferBytes: 2048 },
    ],
    minMtu: 68,
    maxMtu: MQ_MAX_MTU,
    badFcs: 'drop',
    byteOrder: 'little',
  },
  'mq',
);

const PKT_SIZES = [1024, 2048, 4096];

export const MqConfigSchema = z.strictObject({
  ...baseConfigShape(68, MQ_MAX_MTU),
  queues: intIn(1, MQ_MAX_QUEUES).default(4),
  ringEntries: ringEntries(16, 8192, 512),
  /** Packet buffer bytes per descriptor (4096 = a page). */
  bufferBytes: z
    .number({ error: `must be one of ${PKT_SIZES.join(', ')}` })
    .refine((n) => PKT_SIZES.includes(n), { error: `must be one of ${PKT_SIZES.join(', ')}` })
    .default(2048),
  /** Put Ethernet..TCP/UDP headers in a 256-byte header buffer, payload in the packet buffer(s). */
  headerSplit: z.boolean({ error: 'must be true or false' }).default(false),
  vlanStrip: z.boolean({ error: 'must be true or false' }).default(true),
  rxChecksum: z.boolean({ error: 'must be true or false' }).default(true),
  /** The 40-byte Toeplitz key. */
  rssKey: z
    .array(intIn(0, 255))
    .length(40, { error: 'must have exactly 40 bytes' })
    .default([...DEFAULT_RSS_KEY]),
  /** Indirection table: 128 queue numbers, indexed by the low 7 bits of the hash (default: i mod queues). */
  reta: z
    .array(intIn(0, MQ_MAX_QUEUES - 1))
    .length(MQ_RETA_SIZE, { error: `must have exactly ${MQ_RETA_SIZE} entries` })
    .optional(),
  moderation: moderationSchema(MQ_CAPABILITIES.moderation),
});
export type MqConfig = z.input<typeof MqConfigSchema>;

export class MqNic extends BaseNic {
  readonly name = 'mq';
  readonly descriptors = MQ_DESCRIPTORS;
  readonly config: z.output<typeof MqConfigSchema>;
  private readonly rx: Ring[] = [];
  private readonly view: DataView;
  private toeplitz: Toeplitz;
  private readonly reta: Uint8Array;
  /** RSS hash of the frame being received (selectQueue → deliver). */
  private hash = 0;

  constructor(config: MqConfig = {}, env: ModelEnv = {}) {
    const c = parseConfig(MqConfigSchema, config, 'mq');
    if (c.reta !== undefined) {
      const bad = c.reta.findIndex((x) => x >= c.queues);
      if (bad >= 0)
        throw new ConfigError(
          `mq config: reta.${bad} = ${c.reta[bad]}: must be a queue number from 0 to ${c.queues - 1}`,
          `reta.${bad}`,
        );
    }
    const caps: Capabilities = {
      ...MQ_CAPABILITIES,
      vlan: c.vlanStrip ? 'strip' : 'none',
      delivery: c.headerSplit ? 'page-frags' : 'linear',
      headerSplit: c.headerSplit,
      rxChecksum: c.rxChecksum ? 'verified' : 'none',
      maxQueues: c.queues,
      queueSelect: c.queues > 1 ? 'toeplitz-rss' : 'single',
      rings: [{ ...MQ_CAPABILITIES.rings[0]!, bufferBytes: c.bufferBytes }],
    };
    const slabs = [{ size: c.bufferBytes, count: c.ringEntries * c.queues * c.bufferFactor }];
    if (c.headerSplit) slabs.push({ size: MQ_HDR_BUFFER_BYTES, count: c.ringEntries * c.queues * c.bufferFactor });
    const dma = new DmaMemory({
      staticBytes: c.queues * (c.ringEntries * RX_DESC_SIZE + 128),
      slabs,
      scratchBytes: scratchBytesFor(MQ_MAX_MTU),
    });
    super(
      caps,
      dma,
      c.queues,
      c,
      env,
      ['rx_bad_descriptor', 'rx_header_split', 'rx_rss_hashed'],
      ['rx_bad_descriptor'],
    );
    this.config = c;
    this.view = dma.view;
    this.toeplitz = new Toeplitz(c.rssKey);
    this.reta = Uint8Array.from(c.reta ?? Array.from({ length: MQ_RETA_SIZE }, (_, i) => i % c.queues));
    for (let q = 0; q < c.queues; q++) {
      const r = new Ring({
        queue: q,
        name: 'rx',
        role: 'rx-writeback',
        base: dma.carve(c.ringEntries * RX_DESC_SIZE, 128),
        entries: c.ringEntries,
        entrySize: RX_DESC_SIZE,
        bufferBytes: c.bufferBytes,
      });
      this.rx.push(r);
      this.addRing(q, r);
      this.setModeration(q, {
        packets: c.moderation.packets,
        delayNs: c.moderation.delayUs * 1000,
        absoluteNs: c.moderation.absoluteUs * 1000,
      });
    }
  }

  /** Replaces the RSS key (40 bytes) and, optionally, the indirection table. */
  setRss(key: ArrayLike<number>, reta?: ArrayLike<number>): void {
    if (key.length !== 40) throw new RangeError(`mq: RSS key has ${key.length} bytes; must have exactly 40`);
    this.toeplitz = new Toeplitz(key);
    if (reta !== undefined) {
      if (reta.length !== MQ_RETA_SIZE)
        throw new RangeError(`mq: indirection table has ${reta.length} entries; must have ${MQ_RETA_SIZE}`);
      for (let i = 0; i < MQ_RETA_SIZE; i++) {
        const x = reta[i]!;
        if (!Number.isInteger(x) || x < 0 || x >= this.queueCount)
          throw new RangeError(`mq: reta[${i}] = ${x}: must be a queue number from 0 to ${this.queueCount - 1}`);
        this.reta[i] = x;
      }
    }
  }

  /** The Toeplitz hash this NIC computes for a frame's tuple (tests, tools). */
  rssHash(saddr: number, daddr: number, sport: number, dport: number, withPorts: boolean): number {
    return this.toeplitz.hashIpv4(saddr, daddr, sport, dport, withPorts);
  }

  protected selectQueue(p: FrameLayout, frame: Uint8Array): number {
    if (p.ipVersion === 0) {
      this.hash = 0;
      return 0;
    }
    this.hash = this.toeplitz.hashFrame(frame, p);
    return this.reta[this.hash & (MQ_RETA_SIZE - 1)]!;
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
      rx = this.rx[q]!,
      c = this.qc[q]!,
      bsize = this.config.bufferBytes,
      mem = this.dma.bytes;
    if (this.queueCount === 1) this.selectQueue(p, frame); // BaseNic skips selection with one queue; the hash is still reported
    const strip = this.config.vlanStrip && p.vlanCount > 0 && p.outerTpid === ETHERTYPE.VLAN;
    const imageLen = this.assemble(frame, length, wireLen, strip ? ETH.TYPE : 0, strip ? VLAN.HLEN : 0);
    const hdrLen = p.isTcpOrUdp ? p.headerLength - (strip ? VLAN.HLEN : 0) : 0;
    const split = this.config.headerSplit && hdrLen > 0 && hdrLen <= MQ_HDR_BUFFER_BYTES && imageLen > hdrLen;
    const pktBytes = imageLen - (split ? hdrLen : 0);
    const need = Math.ceil(pktBytes / bsize);
    if (rx.available < need) {
      this.drop(
        q,
        'rx_missed',
        nowNs,
        this.tracer.enabled ? `queue ${q}: ${rx.available} descriptors posted, frame needs ${need}` : '',
      );
      return;
    }
    for (let k = 0; k < need; k++) {
      const d = rx.addr(rx.peek(k));
      const ok =
        this.dma.isMapped(getAddr64(v, d + RX_READ.PKT_ADDR, true), Math.min(bsize, pktBytes - k * bsize)) &&
        (!split || k > 0 || this.dma.isMapped(getAddr64(v, d + RX_READ.HDR_ADDR, true), hdrLen));
      if (!ok) {
        for (let j = 0; j < need; j++) rx.advanceHead();
        this.drop(
          q,
          'rx_bad_descriptor',
          nowNs,
          this.tracer.enabled ? `queue ${q}: descriptor at ${d} points at no usable buffer` : '',
        );
        return;
      }
    }
    let status = 0,
      errors = 0,
      pktInfo = 0;
    if (p.ipVersion === 4) pktInfo |= PKT_INFO.IPV4 | PKT_INFO.RSS;
    else if (p.ipVersion === 6) pktInfo |= PKT_INFO.IPV6 | PKT_INFO.RSS;
    if (p.isTcp) pktInfo |= PKT_INFO.TCP;
    if (p.isUdp) pktInfo |= PKT_INFO.UDP;
    if (p.vlanCount > 0) pktInfo |= PKT_INFO.VLAN;
    if (this.config.rxChecksum && p.ipVersion !== 0) {
      if (p.ipVersion === 4) {
        // IPv6 has no header checksum: IPCS stays clear
        status |= MQ_STATUS.IPCS;
        if (!this.csumTrusted && !ipv4HeaderOk(frame, 0, p.l3, p.ipHdrLen)) errors |= MQ_ERRORS.IPE;
      }
      if (p.isTcpOrUdp) {
        status |= MQ_STATUS.L4CS;
        // over the image in DMA memory (its sum runs as WebAssembly); stripping moved the headers up by the tag
        const cut = strip ? VLAN.HLEN : 0;
        if (!this.csumTrusted && !l4ChecksumOk(mem, this.scratchAt, p, p.l3 - cut, p.l4 - cut)) errors |= MQ_ERRORS.L4E;
      }
      if (errors !== 0) c.rx_csum_errors++;
    }
    if (strip) {
      status |= MQ_STATUS.VP;
      c.rx_vlan_stripped++;
    }
    if (p.ipVersion !== 0) c.rx_rss_hashed!++;
    let src = 0;
    for (let k = 0; k < need; k++) {
      const d = rx.addr(rx.advanceHead());
      let hdrInfo = 0;
      if (k === 0 && split) {
        this.dmaOut(0, getAddr64(v, d + RX_READ.HDR_ADDR, true), hdrLen);
        src = hdrLen;
        hdrInfo = hdrLen | HDR_INFO.SPH;
      }
      const n = Math.min(bsize, imageLen - src);
      this.dmaOut(src, getAddr64(v, d + RX_READ.PKT_ADDR, true), n);
      src += n;
      const last = k === need - 1;
      // write-back over the read format; STATUS (with DD) last
      v.setUint32(d + RX_WB.RSS_HASH, p.ipVersion !== 0 ? this.hash : 0, true);
      v.setUint16(d + RX_WB.HDR_INFO, hdrInfo, true);
      v.setUint16(d + RX_WB.PKT_INFO, pktInfo, true);
      v.setUint16(d + RX_WB.ERRORS, last ? errors : 0, true);
      v.setUint16(d + RX_WB.LENGTH, n, true);
      v.setUint16(d + RX_WB.VLAN, last && strip ? p.outerTci : 0, true);
      v.setUint16(d + RX_WB.STATUS, MQ_STATUS.DD | (last ? status | MQ_STATUS.EOP : 0), true);
    }
    if (split) c.rx_header_split!++;
    this.completed(
      q,
      imageLen,
      nowNs,
      this.tracer.enabled
        ? `${imageLen} bytes in ${need} descriptor(s)${split ? `, ${hdrLen}-byte header split` : ''}, RSS 0x${this.hash.toString(16)}`
        : '',
      rx,
      need,
    );
  }
}

/**
 * The config of the part of an mq NIC that serves `owned` (queue numbers of the whole NIC, in order) for one core of a
 * host whose cores each own a group of queues (lab/multicore.ts): only those queues, their rings and buffers in a DMA
 * region of their own, and an indirection table that sends every hash the whole NIC sends to an owned queue to that
 * queue's place in the group (other entries never see a frame: the host steers only the group's frames here). The RSS
 * hash written into each descriptor is the whole NIC's, since the key is the same.
 */
export function mqQueueGroupConfig(config: MqConfig, owned: readonly number[]): MqConfig {
  const c = parseConfig(MqConfigSchema, config, 'mq');
  if (owned.length === 0 || owned.some((q) => !Number.isInteger(q) || q < 0 || q >= c.queues))
    throw new ConfigError(
      `mq: a queue group must name queues from 0 to ${c.queues - 1}, not [${owned.join(', ')}]`,
      'queues',
    );
  const reta = c.reta ?? Array.from({ length: MQ_RETA_SIZE }, (_, i) => i % c.queues);
  return { ...config, queues: owned.length, reta: reta.map((q) => Math.max(0, owned.indexOf(q))) };
}

export interface MqWriteback {
  rssHash: number;
  hdrInfo: number;
  pktInfo: number;
  status: number;
  errors: number;
  length: number;
  vlan: number;
}

export function encodeMqWriteback(v: DataView, at: number, w: MqWriteback): void {
  v.setUint32(at + RX_WB.RSS_HASH, w.rssHash >>> 0, true);
  v.setUint16(at + RX_WB.HDR_INFO, w.hdrInfo, true);
  v.setUint16(at + RX_WB.PKT_INFO, w.pktInfo, true);
  v.setUint16(at + RX_WB.STATUS, w.status, true);
  v.setUint16(at + RX_WB.ERRORS, w.errors, true);
  v.setUint16(at + RX_WB.LENGTH, w.length, true);
  v.setUint16(at + RX_WB.VLAN, w.vlan, true);
}

export function decodeMqWriteback(v: DataView, at: number): MqWriteback {
  return {
    rssHash: v.getUint32(at + RX_WB.RSS_HASH, true),
    hdrInfo: v.getUint16(at + RX_WB.HDR_INFO, true),
    pktInfo: v.getUint16(at + RX_WB.PKT_INFO, true),
    status: v.getUint16(at + RX_WB.STATUS, true),
    errors: v.getUint16(at + RX_WB.ERRORS, true),
    length: v.getUint16(at + RX_WB.LENGTH, true),
    vlan: v.getUint16(at + RX_WB.VLAN, true),
  };
}

export function encodeMqRead(v: DataView, at: number, pktAddr: number, hdrAddr: number): void {
  setAddr64(v, at + RX_READ.PKT_ADDR, pktAddr, true);
  setAddr64(v, at + RX_READ.HDR_ADDR, hdrAddr, true);
}

export const MQ_DESCRIPTORS: readonly DescriptorLayout[] = [
  {
    name: 'rx_read',
    writer: 'driver',
    size: RX_DESC_SIZE,
    fields: { pktAddr: { offset: RX_READ.PKT_ADDR, width: 8 }, hdrAddr: { offset: RX_READ.HDR_ADDR, width: 8 } },
    encode: (v, at, d) => encodeMqRead(v, at, d.pktAddr!, d.hdrAddr!),
    decode: (v, at) => ({
      pktAddr: getAddr64(v, at + RX_READ.PKT_ADDR, true),
      hdrAddr: getAddr64(v, at + RX_READ.HDR_ADDR, true),
    }),
  },
  {
    name: 'rx_writeback',
    writer: 'device',
    size: RX_DESC_SIZE,
    fields: {
      rssHash: { offset: RX_WB.RSS_HASH, width: 4 },
      hdrInfo: { offset: RX_WB.HDR_INFO, width: 2 },
      pktInfo: { offset: RX_WB.PKT_INFO, width: 2 },
      status: { offset: RX_WB.STATUS, width: 2 },
      errors: { offset: RX_WB.ERRORS, width: 2 },
      length: { offset: RX_WB.LENGTH, width: 2 },
      vlan: { offset: RX_WB.VLAN, width: 2 },
    },
    encode: (v, at, d) => encodeMqWriteback(v, at, d as unknown as MqWriteback),
    decode: (v, at) => ({ ...decodeMqWriteback(v, at) }),
  },
];

registerModel('mq', (config, env) => new MqNic(config as MqConfig, env), MQ_CAPABILITIES);
