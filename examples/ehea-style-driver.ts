// An eHEA-style driver, compact: three receive queues (RQ1 inline, RQ2/RQ3 buffers) feeding one completion
// queue read by phase bit, skb-mode inet_lro with hardware VLAN extraction (LRO_F_EXTRACT_VLAN_ID).
// The full sample is drivers/ehea/; the datasheet docs/hw-models/ehea.md. Run: npx tsx examples/ehea-style-driver.ts
import { pathToFileURL } from 'node:url';
import { registerDriver, type Driver, type DriverEnv } from 'vnic-lab/drivers';
import { copyBytes, ehea } from 'vnic-lab/hw-models';
import { HeaderSlab, LRO_IPV4, LRO_TCP, LroManager, sumLroStats, type LroHeader } from 'vnic-lab/lro';
import { CHECKSUM_NONE, CHECKSUM_UNNECESSARY, SKB_OVERHEAD, SkbPool, ethTypeTrans, type RxSink, type SkBuff } from 'vnic-lab/stack';
import { getScenario, runLab, type RunResult } from 'vnic-lab/lab';
import { comparisonTable } from 'vnic-lab/cli';

const { CQE, CQE_SLOT_SIZE, CQE_TYPE_RQ_MASK, FCS_LEN, RWQE, RWQE_SIZE, STATUS, RQ2_BUFFER_BYTES, RQ3_BUFFER_BYTES } = ehea;
const BUF = [0, 0, RQ2_BUFFER_BYTES, RQ3_BUFFER_BYTES];        // buffer bytes per RQ (RQ1 has none: data is inline)
const ERRORS = STATUS.TCP_CSUM_ERR | STATUS.IP_CSUM_ERR | STATUS.CRC_ERR;

/** get_skb_hdr. `hdrLen` is the CQE's HEADER_LENGTH (our `priv`): 0 = the NIC found no TCP/UDP header. */
function getSkbHeader(skb: SkBuff, out: LroHeader, hdrLen: number): boolean {
  const b = skb.buf, iph = skb.data;                           // IP header right after the 14 bytes, tag or not
  if (hdrLen === 0 || b[iph + 9] !== 6) return false;
  const tcph = iph + (b[iph]! & 0x0f) * 4;
  if (hdrLen !== 14 + tcph - iph + (b[tcph + 12]! >> 4) * 4) return false;   // headers not where the NIC says
  out.buf = b; out.iphOff = iph; out.tcphOff = tcph; out.flags = LRO_IPV4 | LRO_TCP;
  return true;
}

/** One port resource: RQ1-3, the CQ, NAPI, interrupt, LRO. */
function openQueue(env: DriverEnv, q: number) {
  const { model: nic, stack, options } = env, v = nic.dma.view, mem = nic.dma.bytes;
  // the NIC's status bits are a verdict only while it checks checksums (rxChecksum); otherwise the stack checks
  const verified = nic.capabilities.rxChecksum === 'verified' ? CHECKSUM_UNNECESSARY : CHECKSUM_NONE;
  const rq = [1, 2, 3].map((r) => nic.ring(q, `rq${r}`)), cq = nic.ring(q, 'cq');
  const bufferInfo = rq.map((r) => new Int32Array(r.entries));  // ring index (= wr_id) → buffer address
  const nextToUse = [0, 0, 0], posted = [0, 0, 0];
  const counters = { rx_packets: 0, rx_rq1: 0, rx_error_completion: 0, refill_failed: 0 };
  const pool = new SkbPool(64), rq1Slab = new HeaderSlab(256);  // RQ1 frames are copied out of the CQ slot
  let cqIdx = 0, phase = 1;
  // The NIC kept 0x8100 in the ethertype; the stack's hw-accel entry points read what really follows.
  const sink: RxSink = stack;
  const lro = options.engine !== 'lro' ? null : new LroManager<number>({
    maxDesc: options.maxDesc ?? 8, maxAggr: options.maxAggr ?? 64, mtu: nic.mtu, sink, getSkbHeader, queue: q, tracer: env.tracer, cpu: stack.cpu,
    features: { napi: true, extractVlanId: true },              // the tag is gone from the frame, 0x8100 stays
    ipSummed: CHECKSUM_UNNECESSARY, ipSummedAggr: CHECKSUM_UNNECESSARY });

  /** alloc_rx_buffers (ehea_refill_rq1/2/3): a WQE in every free slot of each RQ, then its doorbell. */
  const allocRxBuffers = (): void => {
    for (let r = 0; r < 3; r++) {
      const ring = rq[r]!;
      while (posted[r]! < ring.entries - 1) {
        const addr = r === 0 ? 0 : nic.dma.alloc(BUF[r + 1]!);
        if (addr < 0) { counters.refill_failed++; break; }
        const w = ring.base + nextToUse[r]! * RWQE_SIZE;
        mem.fill(0, w, w + RWQE_SIZE);
        v.setUint32(w + RWQE.WR_ID + 4, nextToUse[r]!);         // our cookie: the ring index
        v.setUint8(w + RWQE.NUM_SEGS, r === 0 ? 0 : 1);
        v.setUint32(w + RWQE.SG_ADDR + 4, addr); v.setUint32(w + RWQE.SG_LEN, BUF[r + 1]!);
        bufferInfo[r]![nextToUse[r]!] = addr; nextToUse[r] = (nextToUse[r]! + 1) % ring.entries; posted[r]!++;
      }
      nic.doorbell(q, `rq${r + 1}`, nextToUse[r]!);
    }
  };

  /** The NAPI poll (ehea_poll): CQEs by phase bit → skbs → LRO (or the stack), flush, refill, napi_complete_done. */
  const poll = (budget: number): number => {
    let done = 0;
    for (; done < budget; done++) {
      const c = cq.base + cqIdx * CQE_SLOT_SIZE;
      if (v.getUint8(c + CQE.VALID) >> 7 !== phase) break;      // not our phase: the CQ is drained
      if (++cqIdx === cq.entries) { cqIdx = 0; phase ^= 1; }
      const r = (v.getUint8(c + CQE.TYPE) & CQE_TYPE_RQ_MASK) - 1, wrId = v.getUint32(c + CQE.WR_ID + 4);
      const status = v.getUint16(c + CQE.STATUS), hdrLen = v.getUint8(c + CQE.HEADER_LENGTH);
      const len = v.getUint16(c + CQE.NUM_BYTES) - FCS_LEN, addr = bufferInfo[r]![wrId]!;
      posted[r]!--;
      stack.cpu.charge('descriptor');
      const err = status & ERRORS;                              // ehea_check_cqe: TCP_CSUM_ERR alone on non-TCP/UDP is fine
      if (err !== 0 && !(err === STATUS.TCP_CSUM_ERR && hdrLen === 0)) {
        counters.rx_error_completion++;                         // a counted drop; the buffer goes back
        if (r > 0) nic.dma.free(addr);
        continue;
      }
      stack.cpu.charge('skb_alloc');
      const skb = pool.get();
      if (r === 0) {                                            // RQ1: copy out, the slot is reused next lap
        const slab = rq1Slab.alloc(), off = rq1Slab.lastOff;
        copyBytes(mem, c + CQE.INLINE_DATA, slab, off, len); stack.cpu.charge('copy_byte', len);
        skb.setLinear(slab, off, len); skb.headOwner = rq1Slab; skb.headOwnerAddr = off; counters.rx_rq1++;
      } else { skb.setLinear(mem, addr, len); skb.headOwner = nic.dma; skb.headOwnerAddr = addr; }
      skb.truesize = SKB_OVERHEAD + (r === 0 ? 256 : BUF[r + 1]!); skb.queue = q;
      skb.arrivalNs = v.getUint32(c + CQE.TIMESTAMP) * 2 ** 32 + v.getUint32(c + CQE.TIMESTAMP + 4); skb.ipSummed = verified;
      counters.rx_packets++;
      ethTypeTrans(skb);                                        // tagged: protocol 0x8100, data at the IP header
      const tag = (status & STATUS.VLAN_EXTRACTED) !== 0 ? v.getUint16(c + CQE.VLAN_TAG) : -1;
      if (lro !== null) {
        if (tag >= 0) lro.vlanHwaccelReceiveSkb(skb, tag, hdrLen); else lro.receiveSkb(skb, hdrLen);
      } else if (tag >= 0) sink.vlanHwaccelReceiveSkb(skb, tag);
      else sink.netifReceiveSkb(skb);
    }
    lro?.flushAll();                                            // lro_flush_all
    nic.doorbell(q, 'cq', cqIdx);                               // how far we read: the device may reuse those slots
    allocRxBuffers();
    if (done < budget) { stack.napiComplete(napi); nic.unmaskIrq(q); }   // drained: napi_complete_done, re-arm
    return done;
  };

  const napi = stack.napiAdd(`ehea-style-pr${q}`, (_n, budget) => poll(budget), options.pollBudget, q);
  nic.onInterrupt(q, stack.requestIrq(`ehea-style-pr${q}`, () => { stack.napiSchedule(napi); }));
  allocRxBuffers();
  return { lro, counters };
}

registerDriver({
  name: 'ehea-style', models: ['ehea'], defaultEngine: 'lro',
  summary: 'examples/ehea-style-driver.ts: RQ1/RQ2/RQ3 + CQ, skb-mode inet_lro with VLAN extraction',
  support: (engine, caps) => engine === 'gro' ? { ok: false, why: 'this example shows inet_lro only (drivers/ehea has GRO)' }
    : engine === 'lro' && caps.rxChecksum !== 'verified' ? { ok: false, why: 'LRO needs checksums the NIC verified' }
      : { ok: true, why: engine === 'lro' ? 'skb-mode inet_lro per port resource, LRO_F_EXTRACT_VLAN_ID' : 'every frame straight to the stack' },
  create(env: DriverEnv): Driver {
    const qs: ReturnType<typeof openQueue>[] = [];
    env.stack.registerNetdev({ name: 'eth0', mtu: env.model.mtu, mac: env.model.macAddress });
    const total = (k: keyof ReturnType<typeof openQueue>['counters']): number => qs.reduce((n, q) => n + q.counters[k], 0);
    return {
      name: 'ehea-style', engine: env.options.engine,
      open: () => { for (let q = 0; q < env.model.queueCount; q++) qs.push(openQueue(env, q)); },
      lroStats: () => env.options.engine === 'lro' ? sumLroStats(qs.map((q) => q.lro!.stats)) : null,
      groStats: () => null,
      drops: () => ({ rx_error_completion: total('rx_error_completion') }),
      ethtoolStats: () => ({ rx_packets: total('rx_packets'), rx_rq1: total('rx_rq1'), rx_error_completion: total('rx_error_completion'), refill_failed: total('refill_failed') }),
      get held() { return qs.reduce((n, q) => n + (q.lro?.activeSessions ?? 0), 0); },
    };
  },
});

/** The vlan-mixed scenario (two tagged, two untagged bulk flows, some UDP/ARP/ICMP): this driver with LRO off and on, and drivers/ehea. */
export function main(): RunResult[] {
  const lab = { ...getScenario('vlan-mixed')!.lab, model: 'ehea' };
  const runs = [
    runLab({ ...lab, driver: 'ehea-style', engine: 'off', label: 'ehea-style, off' }),
    runLab({ ...lab, driver: 'ehea-style', engine: 'lro', label: 'ehea-style, lro' }),
    runLab({ ...lab, driver: 'ehea', engine: 'lro', label: 'drivers/ehea, lro' }),
  ];
  console.log(comparisonTable(runs.map((r) => r.report)));
  return runs;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
