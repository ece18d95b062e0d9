// eHEA-like NIC (IBM POWER Host Ethernet Adapter), per spec §3.1: per port resource (queue) three
// receive queues chosen by frame size (RQ1 inline in the completion entry, RQ2 1522-byte and RQ3
// 9022-byte buffers) and one completion queue for all three; HW checksum verification; VLAN
// extraction that leaves the ethertype reading 0x8100 (LRO_F_EXTRACT_VLAN_ID). Big-endian fields.
// Datasheet: docs/hw-models/ehea.md.
import { z } from 'zod';
import { ETH, ETHERTYPE, UDP, VLAN } from '../wire/constants.ts';
import { fold, sumBytes, sumBytesFolded } from '../wire/checksum.ts';
import { l4PseudoHeaderSum } from '../wire/l4checksum.ts';
import { r16 } from '../wire/bytes.ts';
import {
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
import { FrameDigest } from './frame-checks.ts';
import type { FrameLayout } from '../wire/layout.ts';
import { registerModel } from './registry.ts';
import { Ring } from './ring.ts';
import { DEFAULT_RSS_KEY, Toeplitz } from './rss.ts';

/** Receive work-queue entry the driver posts on RQ1/RQ2/RQ3 (32 bytes, big-endian). */
export const RWQE = { WR_ID: 0, NUM_SEGS: 13, SG_ADDR: 16, SG_LKEY: 24, SG_LEN: 28 } as const;
export const RWQE_SIZE = 32;

/** Completion queue entry the device writes (64-byte record in a 256-byte slot, big-endian). */
export const CQE = {
  WR_ID: 0,
  TYPE: 8,
  VALID: 9,
  STATUS: 10,
  NUM_BYTES: 12,
  VLAN_TAG: 14,
  INET_CSUM: 16,
  HEADER_LENGTH: 18,
  PAGE_OFFSET: 20,
  WQE_COUNT: 22,
  QP_TOKEN: 24,
  TIMESTAMP: 32,
  INLINE_DATA: 64,
} as const;
export const CQE_RECORD_SIZE = 64;
export const CQE_SLOT_SIZE = 256;
/** Bytes of frame + FCS that fit inline in an RQ1 completion. */
export const RQ1_INLINE_MAX = CQE_SLOT_SIZE - CQE_RECORD_SIZE;
/** TYPE byte: bits 0-1 = receive queue number (1, 2, 3). */
export const CQE_TYPE_RQ_MASK = 0x03;
/** VALID byte: bit 7 = phase (toggle): 1 on the device's first lap of the CQ, 0 on the second, … */
export const CQE_VALID_PHASE = 0x80;
export const STATUS = { TCP_CSUM_ERR: 1 << 0, IP_CSUM_ERR: 1 << 1, CRC_ERR: 1 << 2, VLAN_EXTRACTED: 1 << 3 } as const;
/** Buffer bytes an RQ2 / RQ3 WQE must point at (frame + FCS). */
export const RQ2_BUFFER_BYTES = 1522;
export const RQ3_BUFFER_BYTES = 9022;
export const FCS_LEN = 4;
export const EHEA_MAX_QUEUES = 16;
export const EHEA_MAX_MTU = RQ3_BUFFER_BYTES - FCS_LEN - ETH.HLEN - VLAN.HLEN; // 9000

export const EHEA_CAPABILITIES: Capabilities = validateCapabilities(
  {
    vlan: 'extract-keep-ethertype',
    delivery: 'linear',
    headerSplit: false,
    rxChecksum: 'verified',
    maxQueues: EHEA_MAX_QUEUES,
    queueSelect: 'flow-hash',
    moderation: { packetThreshold: true, delayTimer: true, absoluteTimer: false },
    rings: [
      { name: 'rq1', role: 'rx', minEntries: 16, maxEntries: 16384, defaultEntries: 1024, bufferBytes: 0 },
      {
        name: 'rq2',
        role: 'rx',
        minEntries: 16,
        maxEntries: 16384,
        defaultEntries: 1024,
        bufferBytes: RQ2_BUFFER_BYTES,
      },
      {
        name: 'rq3',
        role: 'rx',
        minEntries: 16,
        maxEntries: 16384,
        defaultEntries: 128,
        bufferBytes: RQ3_BUFFER_BYTES,
      },
      { name: 'cq', role: 'completion', minEntries: 48, maxEntries: 49152, defaultEntries: 2176, bufferBytes: 0 },
    ],
    minMtu: 68,
    maxMtu: EHEA_MAX_MTU,
    badFcs: 'report',
    byteOrder: 'big',
  },
  'ehea',
);

export const EheaConfigSchema = z.strictObject({
  ...baseConfigShape(68, EHEA_MAX_MTU),
  /** Port resources (queues), each with RQ1-3 and a CQ; frames pick one by a flow hash. */
  queues: intIn(1, EHEA_MAX_QUEUES).default(1),
  rq1Entries: ringEntries(16, 16384, 1024),
  rq2Entries: ringEntries(16, 16384, 1024),
  rq3Entries: ringEntries(16, 16384, 128),
  /** Remove the outer 802.1Q tag and report it in the CQE (the ethertype keeps reading 0x8100). */
  vlanExtract: z.boolean({ error: 'must be true or false' }).default(true),
  /** Verify IPv4 header and TCP/UDP checksums (off: no checksum status bits at all). */
  rxChecksum: z.boolean({ error: 'must be true or false' }).default(true),
  moderation: moderationSchema(EHEA_CAPABILITIES.moderation),
});
export type EheaConfig = z.input<typeof EheaConfigSchema>;

const RQ_NAMES = ['', 'rq1', 'rq2', 'rq3'] as const;
const RQ_COUNTERS = ['', 'rx_rq1', 'rx_rq2', 'rx_rq3'] as const;

/** Per port resource: RQ1-3 and the CQ. */
interface PortResource {
  rq: [Ring, Ring, Ring, Ring];
  cq: Ring;
}

export class EheaNic extends BaseNic {
  readonly name = 'ehea';
  readonly descriptors = EHEA_DESCRIPTORS;
  readonly config: z.output<typeof EheaConfigSchema>;
  private readonly pr: PortResource[] = [];
  private readonly hash = new Toeplitz(DEFAULT_RSS_KEY);
  private readonly view: DataView;
  private readonly digest = new FrameDigest();

  constructor(config: EheaConfig = {}, env: ModelEnv = {}) {
    const c = parseConfig(EheaConfigSchema, config, 'ehea');
    const caps: Capabilities = {
      ...EHEA_CAPABILITIES,
      vlan: c.vlanExtract ? 'extract-keep-ethertype' : 'none',
      rxChecksum: c.rxChecksum ? 'verified' : 'none',
      maxQueues: c.queues,
      queueSelect: c.queues > 1 ? 'flow-hash' : 'single',
    };
    const cqEntries = c.rq1Entries + c.rq2Entries + c.rq3Entries;
    const perQueue = (c.rq1Entries + c.rq2Entries + c.rq3Entries) * RWQE_SIZE + cqEntries * CQE_SLOT_SIZE + 4 * 64;
    const dma = new DmaMemory({
      staticBytes: perQueue * c.queues,
      slabs: [
        { size: 1536, count: c.rq2Entries * c.queues * c.bufferFactor },
        { size: 9216, count: c.rq3Entries * c.queues * c.bufferFactor },
      ],
      scratchBytes: scratchBytesFor(EHEA_MAX_MTU),
    });
    super(
      caps,
      dma,
      c.queues,
      c,
      env,
      ['rx_cq_full', 'rx_bad_descriptor', 'rx_rq1', 'rx_rq2', 'rx_rq3'],
      ['rx_cq_full', 'rx_bad_descriptor'],
    );
    this.config = c;
    this.view = dma.view;
    for (let q = 0; q < c.queues; q++) {
      const mk = (name: string, entries: number, size: number, role: 'rx' | 'completion', buf: number): Ring => {
        const r = new Ring({
          queue: q,
          name,
          role,
          base: dma.carve(entries * size, role === 'completion' ? 256 : 64),
          entries,
          entrySize: size,
          bufferBytes: buf,
        });
        this.addRing(q, r);
        return r;
      };
      const rq1 = mk('rq1', c.rq1Entries, RWQE_SIZE, 'rx', 0);
      const rq2 = mk('rq2', c.rq2Entries, RWQE_SIZE, 'rx', RQ2_BUFFER_BYTES);
      const rq3 = mk('rq3', c.rq3Entries, RWQE_SIZE, 'rx', RQ3_BUFFER_BYTES);
      const cq = mk('cq', cqEntries, CQE_SLOT_SIZE, 'completion', 0);
      this.pr.push({ rq: [rq1, rq1, rq2, rq3], cq });
      this.setModeration(q, { packets: c.moderation.packets, delayNs: c.moderation.delayUs * 1000, absoluteNs: 0 });
    }
  }

  /** Frames whose FCS and checksum sum came from the sender's claim about their bytes, not from a pass over them. */
  get digestsFromSender(): number {
    return this.digest.fromKnown;
  }

  protected selectQueue(p: FrameLayout, frame: Uint8Array): number {
    return this.hash.hashFrame(frame, p) % this.queueCount;
  }

  protected dmaFrame(
    q: number,
    frame: Uint8Array,
    length: number,
    wireLen: number,
    badFcs: boolean,
    nowNs: number,
  ): void {
    const p = this.parsed,
      c = this.qc[q]!,
      v = this.view,
      mem = this.dma.bytes;
    const extract = this.config.vlanExtract && p.vlanCount > 0 && p.outerTpid === ETHERTYPE.VLAN;
    // extraction drops the TCI and the encapsulated ethertype (frame bytes 14..17): bytes 12..13 keep 0x8100
    const cut = extract ? VLAN.HLEN : 0;
    // the common frame (no tag to cut, no runt padding) is copied straight from the wire into its buffer below
    const direct = cut === 0 && wireLen === length;
    const imageLen = direct ? length : this.assemble(frame, length, wireLen, ETH.HLEN, cut);
    const total = imageLen + FCS_LEN;
    const rqn = total <= RQ1_INLINE_MAX ? 1 : total <= RQ2_BUFFER_BYTES ? 2 : 3;
    const pr = this.pr[q]!;
    const rq = pr.rq[rqn];
    if (rq.available === 0) {
      this.drop(q, 'rx_missed', nowNs, this.tracer.enabled ? `${RQ_NAMES[rqn]} has no posted WQE` : '');
      return;
    }
    if (pr.cq.space === 0) {
      this.drop(
        q,
        'rx_cq_full',
        nowNs,
        this.tracer.enabled ? 'completion queue full (driver has not reported consumption)' : '',
      );
      return;
    }
    const wqeIdx = rq.head,
      wqe = rq.addr(wqeIdx);
    let bufAddr = 0;
    if (rqn !== 1) {
      bufAddr = getAddr64(v, wqe + RWQE.SG_ADDR, false);
      const sgLen = v.getUint32(wqe + RWQE.SG_LEN);
      if (v.getUint8(wqe + RWQE.NUM_SEGS) !== 1 || sgLen < total || !this.dma.isMapped(bufAddr, total)) {
        rq.advanceHead();
        this.drop(
          q,
          'rx_bad_descriptor',
          nowNs,
          this.tracer.enabled
            ? `${RQ_NAMES[rqn]} WQE at ${wqe} points at no usable buffer (addr ${bufAddr}, len ${sgLen})`
            : '',
        );
        return;
      }
    }
    rq.advanceHead();
    const cqeIdx = pr.cq.head,
      slot = pr.cq.addr(cqeIdx);
    const dataAt = rqn === 1 ? slot + CQE.INLINE_DATA : bufAddr;
    if (!direct) this.dmaOut(0, dataAt, imageLen);
    else if (length === frame.length) mem.set(frame, dataAt);
    else mem.set(frame.subarray(0, length), dataAt); // a view only when the caller passed a longer array
    // one pass over the image: the FCS and the sum of its bytes from the IP header on (INET_CSUM; the TCP/UDP check below);
    // the image is the frame unchanged when direct, and then the bytes the sender generated from its pattern need no pass
    const dg = this.digest;
    dg.computeKnown(mem, dataAt, imageLen, ETH.HLEN, direct ? this.known : null);
    let fcs = dg.fcs;
    if (badFcs) fcs = ~fcs >>> 0;
    v.setUint32(dataAt + imageLen, fcs, true); // FCS travels least significant byte first

    // checksum verification reads the wire frame; offsets there are the untouched ones
    let status = 0,
      hdrLen = 0;
    if (this.config.rxChecksum) {
      if (p.ipVersion !== 0) {
        // IPv4: the header; IPv6: the fixed header and the extension headers before the segment (no header checksum)
        const ipSum = sumBytes(frame, p.l3, p.ipHdrLen);
        if (!this.csumTrusted && p.ipVersion === 4 && fold(ipSum) !== 0xffff) status |= STATUS.IP_CSUM_ERR;
        if (p.isTcpOrUdp) {
          hdrLen = p.headerLength - (extract ? VLAN.HLEN : 0);
          if (!this.csumTrusted) {
            const l4Len = p.ipEnd - p.l4;
            const udpNone = p.isUdp && r16(frame, p.l4 + UDP.CSUM) === 0;
            if (udpNone && p.ipVersion === 6)
              status |= STATUS.TCP_CSUM_ERR; // IPv6 UDP must carry a checksum
            else if (!udpNone) {
              // IPv4 UDP checksum 0: none, passes
              // image bytes 14.. are the IP header, then the segment, then zero runt padding when the IP header starts at
              // image byte 14 and the IP packet ends the frame: the segment's sum is then the image sum less the header's
              // (exact integers); otherwise the segment is summed on its own
              const l4Sum =
                p.l3 === ETH.HLEN + cut && p.ipEnd === length ? dg.sum - ipSum : sumBytesFolded(frame, p.l4, l4Len);
              if (fold(l4Sum + l4PseudoHeaderSum(frame, p.l3, p, l4Len)) !== 0xffff) status |= STATUS.TCP_CSUM_ERR;
            }
          }
        }
      }
      if (status !== 0) c.rx_csum_errors++;
      if (hdrLen === 0) status |= STATUS.TCP_CSUM_ERR; // quirk: not TCP/UDP reads as a TCP checksum error
    } else if (p.isTcpOrUdp) hdrLen = p.headerLength - (extract ? VLAN.HLEN : 0);
    if (badFcs) {
      status |= STATUS.CRC_ERR;
      c.rx_crc_errors++;
    }
    if (extract) {
      status |= STATUS.VLAN_EXTRACTED;
      c.rx_vlan_stripped++;
    }

    // stage the record (everything but VALID), then publish by writing the phase bit
    // zeroed word by word (VALID too: it is written last, below): for 64 bytes a third of the cost of fill()
    for (let i = 0; i < CQE_RECORD_SIZE; i += 4) v.setUint32(slot + i, 0);
    v.setUint32(slot + CQE.WR_ID, v.getUint32(wqe + RWQE.WR_ID));
    v.setUint32(slot + CQE.WR_ID + 4, v.getUint32(wqe + RWQE.WR_ID + 4));
    v.setUint8(slot + CQE.TYPE, rqn);
    v.setUint16(slot + CQE.STATUS, status);
    v.setUint16(slot + CQE.NUM_BYTES, total);
    v.setUint16(slot + CQE.VLAN_TAG, extract ? p.outerTci : 0);
    v.setUint16(slot + CQE.INET_CSUM, fold(dg.sum)); // 0 when the image has no byte past the Ethernet header
    v.setUint8(slot + CQE.HEADER_LENGTH, hdrLen);
    v.setUint16(slot + CQE.PAGE_OFFSET, 0);
    v.setUint16(slot + CQE.WQE_COUNT, 1);
    v.setUint32(slot + CQE.QP_TOKEN, q);
    setAddr64(v, slot + CQE.TIMESTAMP, Math.floor(nowNs), false);
    v.setUint8(slot + CQE.VALID, pr.cq.phase ? CQE_VALID_PHASE : 0);
    pr.cq.advanceHead();
    c[RQ_COUNTERS[rqn]!]!++;
    this.completed(
      q,
      imageLen,
      nowNs,
      this.tracer.enabled
        ? `${imageLen} bytes via ${RQ_NAMES[rqn]} entry ${wqeIdx}, CQE ${cqeIdx}, status 0x${status.toString(16)}${extract ? `, VLAN ${p.outerTci & 0xfff} extracted` : ''}`
        : '',
      pr.cq,
    );
  }
}

/** Decoded CQE fields (tests and tools; a driver reads the bytes itself). */
export interface EheaCqe {
  wrId: number;
  rq: number;
  phase: number;
  status: number;
  numBytes: number;
  vlanTag: number;
  inetCsum: number;
  headerLength: number;
  wqeCount: number;
  qpToken: number;
  timestamp: number;
}

export function decodeCqe(v: DataView, at: number): EheaCqe {
  return {
    wrId: getAddr64(v, at + CQE.WR_ID, false),
    rq: v.getUint8(at + CQE.TYPE) & CQE_TYPE_RQ_MASK,
    phase: v.getUint8(at + CQE.VALID) >> 7,
    status: v.getUint16(at + CQE.STATUS),
    numBytes: v.getUint16(at + CQE.NUM_BYTES),
    vlanTag: v.getUint16(at + CQE.VLAN_TAG),
    inetCsum: v.getUint16(at + CQE.INET_CSUM),
    headerLength: v.getUint8(at + CQE.HEADER_LENGTH),
    wqeCount: v.getUint16(at + CQE.WQE_COUNT),
    qpToken: v.getUint32(at + CQE.QP_TOKEN),
    timestamp: getAddr64(v, at + CQE.TIMESTAMP, false),
  };
}

/** Writes a CQE record (without inline data); the inverse of decodeCqe. */
export function encodeCqe(v: DataView, at: number, e: EheaCqe): void {
  for (let i = 0; i < CQE_RECORD_SIZE; i += 4) v.setUint32(at + i, 0);
  setAddr64(v, at + CQE.WR_ID, e.wrId, false);
  v.setUint8(at + CQE.TYPE, e.rq & CQE_TYPE_RQ_MASK);
  v.setUint8(at + CQE.VALID, e.phase ? CQE_VALID_PHASE : 0);
  v.setUint16(at + CQE.STATUS, e.status);
  v.setUint16(at + CQE.NUM_BYTES, e.numBytes);
  v.setUint16(at + CQE.VLAN_TAG, e.vlanTag);
  v.setUint16(at + CQE.INET_CSUM, e.inetCsum);
  v.setUint8(at + CQE.HEADER_LENGTH, e.headerLength);
  v.setUint16(at + CQE.WQE_COUNT, e.wqeCount);
  v.setUint32(at + CQE.QP_TOKEN, e.qpToken);
  setAddr64(v, at + CQE.TIMESTAMP, e.timestamp, false);
}

export interface EheaRwqe {
  wrId: number;
  numSegs: number;
  addr: number;
  lkey: number;
  len: number;
}

export function encodeRwqe(v: DataView, at: number, w: EheaRwqe): void {
  for (let i = 0; i < RWQE_SIZE; i += 4) v.setUint32(at + i, 0);
  setAddr64(v, at + RWQE.WR_ID, w.wrId, false);
  v.setUint8(at + RWQE.NUM_SEGS, w.numSegs);
  setAddr64(v, at + RWQE.SG_ADDR, w.addr, false);
  v.setUint32(at + RWQE.SG_LKEY, w.lkey);
  v.setUint32(at + RWQE.SG_LEN, w.len);
}

export function decodeRwqe(v: DataView, at: number): EheaRwqe {
  return {
    wrId: getAddr64(v, at + RWQE.WR_ID, false),
    numSegs: v.getUint8(at + RWQE.NUM_SEGS),
    addr: getAddr64(v, at + RWQE.SG_ADDR, false),
    lkey: v.getUint32(at + RWQE.SG_LKEY),
    len: v.getUint32(at + RWQE.SG_LEN),
  };
}

export const EHEA_DESCRIPTORS: readonly DescriptorLayout[] = [
  {
    name: 'RWQE',
    writer: 'driver',
    size: RWQE_SIZE,
    fields: {
      wrId: { offset: RWQE.WR_ID, width: 8 },
      numSegs: { offset: RWQE.NUM_SEGS, width: 1 },
      addr: { offset: RWQE.SG_ADDR, width: 8 },
      lkey: { offset: RWQE.SG_LKEY, width: 4 },
      len: { offset: RWQE.SG_LEN, width: 4 },
    },
    encode: (v, at, d) => encodeRwqe(v, at, d as unknown as EheaRwqe),
    decode: (v, at) => ({ ...decodeRwqe(v, at) }),
  },
  {
    name: 'CQE',
    writer: 'device',
    size: CQE_RECORD_SIZE,
    fields: {
      wrId: { offset: CQE.WR_ID, width: 8 },
      rq: { offset: CQE.TYPE, width: 1, shift: 0, bits: 2 },
      phase: { offset: CQE.VALID, width: 1, shift: 7, bits: 1 },
      status: { offset: CQE.STATUS, width: 2 },
      numBytes: { offset: CQE.NUM_BYTES, width: 2 },
      vlanTag: { offset: CQE.VLAN_TAG, width: 2 },
      inetCsum: { offset: CQE.INET_CSUM, width: 2 },
      headerLength: { offset: CQE.HEADER_LENGTH, width: 1 },
      wqeCount: { offset: CQE.WQE_COUNT, width: 2 },
      qpToken: { offset: CQE.QP_TOKEN, width: 4 },
      timestamp: { offset: CQE.TIMESTAMP, width: 8 },
    },
    encode: (v, at, d) => encodeCqe(v, at, d as unknown as EheaCqe),
    decode: (v, at) => ({ ...decodeCqe(v, at) }),
  },
];

registerModel('ehea', (config, env) => new EheaNic(config as EheaConfig, env), EHEA_CAPABILITIES);
