// A frags-style driver (myri10ge's way), compact: pages carved into small/big chunks, an rx_done ring with the
// NIC's partial checksum, and frags-mode inet_lro — the driver hands over page fragments, inet_lro builds
// the skbs. get_frag_header verifies the TCP checksum in software from the NIC's sum, because LRO must only
// see verified segments. Full sample: drivers/myri10ge/. Run: npx tsx examples/frags-style-driver.ts
import { pathToFileURL } from 'node:url';
import { registerDriver, type Driver, type DriverEnv } from 'vnic-lab/drivers';
import { myri10ge } from 'vnic-lab/hw-models';
import { LRO_IPV4, LRO_TCP, LroFragList, LroManager, sumLroStats, type LroHeader } from 'vnic-lab/lro';
import { CHECKSUM_COMPLETE, CHECKSUM_NONE, CHECKSUM_UNNECESSARY, MAX_SKB_FRAGS, SkbPool } from 'vnic-lab/stack';
import { fold, pseudoHeaderSum, r16, sumBytes } from 'vnic-lab/wire';
import { getScenario, runLab, type RunResult } from 'vnic-lab/lab';
import { comparisonTable } from 'vnic-lab/cli';

const { MXGEFW_PAD, MYRI_PAGE, RECV_DESC, RECV_DESC_SIZE, RX_DONE, RX_DONE_SIZE, csumWithoutVlan } = myri10ge;

/**
 * get_frag_header: the MAC header starts fragment 0; IPv4 (or 802.1Q + IPv4: the NIC summed from byte 14, so
 * the tag's 4 bytes come out of its sum), TCP, not an IP fragment, and both checksums must verify.
 */
function getFragHeader(frags: LroFragList, out: LroHeader, nicSum: number): boolean {
  const b = frags.frags[0]!.mem, mac = frags.frags[0]!.off;
  let iph = mac + 14, type = r16(b, mac + 12), sum = nicSum;
  if (type === 0x8100) { type = r16(b, mac + 16); iph += 4; sum = csumWithoutVlan(sum, r16(b, mac + 14), type); }
  if (type !== 0x0800 || b[iph + 9] !== 6 || (r16(b, iph + 6) & 0x3fff) !== 0) return false;
  const ihl = (b[iph]! & 0x0f) * 4;
  if (fold(sumBytes(b, iph, ihl)) !== 0xffff) return false;                       // IP header checksum
  // The NIC's sum covers the IP header (which sums to 0xffff, i.e. adds nothing) and the TCP segment;
  // add the pseudo-header and a valid TCP checksum makes it all ones.
  if (fold(sum + pseudoHeaderSum(b, iph + 12, iph + 16, 6, r16(b, iph + 2) - ihl)) !== 0xffff) return false;
  out.buf = b; out.macOff = mac; out.iphOff = iph; out.tcphOff = iph + ihl; out.flags = LRO_IPV4 | LRO_TCP;
  return true;
}

/** One receive ring of page chunks: buffer_info, next_to_use (we post), next_to_clean (the device uses), the page being carved. */
interface ChunkRing { name: 'small' | 'big'; base: number; entries: number; chunk: number; bufferInfo: Int32Array;
  nextToUse: number; nextToClean: number; posted: number; page: number; pageOff: number }

/** One slice: the small and big rings, rx_done, NAPI, interrupt, an LroManager in frags mode. */
function openSlice(env: DriverEnv, q: number) {
  const { model: nic, stack, options } = env, v = nic.dma.view, mem = nic.dma.bytes, dma = nic.dma;
  const ring = (name: 'small' | 'big'): ChunkRing => {
    const r = nic.ring(q, name);
    return { name, base: r.base, entries: r.entries, chunk: r.bufferBytes, bufferInfo: new Int32Array(r.entries), nextToUse: 0, nextToClean: 0, posted: 0, page: -1, pageOff: 0 };
  };
  const small = ring('small'), big = ring('big'), done = nic.ring(q, 'rx_done'), frags = new LroFragList();
  const counters = { rx_packets: 0, refill_failed: 0 };
  let doneIdx = 0;
  const useLro = options.engine === 'lro';
  // Engine 'off' uses the same manager with a callback that refuses every frame: inet_lro then builds a
  // plain skb (64-byte header copy + the page fragments, CHECKSUM_COMPLETE with the NIC's sum).
  const lro = new LroManager<number>({
    maxDesc: options.maxDesc ?? 8, maxAggr: Math.min(options.maxAggr ?? 64, MAX_SKB_FRAGS),   // frags mode counts fragments
    mtu: nic.mtu, sink: stack, skbPool: new SkbPool(64), queue: q, tracer: env.tracer, cpu: stack.cpu, fragAlignPad: 2,
    ipSummed: nic.capabilities.rxChecksum === 'partial' ? CHECKSUM_COMPLETE : CHECKSUM_NONE, ipSummedAggr: CHECKSUM_UNNECESSARY,   // no sum: the stack checks
    getFragHeader: useLro ? getFragHeader : () => false,
  });

  /** alloc_rx_buffers (myri10ge_alloc_rx_pages): carve pages into chunks (one page reference per chunk posted), post, doorbell. */
  const allocRxBuffers = (r: ChunkRing): void => {
    while (r.posted < r.entries - 1) {
      if (r.page < 0) { r.page = dma.alloc(MYRI_PAGE); r.pageOff = 0; if (r.page < 0) { counters.refill_failed++; break; } }
      const addr = r.page + r.pageOff;
      dma.ref(addr);                                            // this chunk's reference travels with its fragment
      r.pageOff += r.chunk;
      if (r.pageOff + r.chunk > MYRI_PAGE) { dma.free(r.page); r.page = -1; }   // page used up: drop the carving ref
      v.setUint32(r.base + r.nextToUse * RECV_DESC_SIZE + RECV_DESC.ADDR_HIGH, 0);
      v.setUint32(r.base + r.nextToUse * RECV_DESC_SIZE + RECV_DESC.ADDR_LOW, addr);
      r.bufferInfo[r.nextToUse] = addr; r.nextToUse = (r.nextToUse + 1) % r.entries; r.posted++;
    }
    nic.doorbell(q, r.name, r.nextToUse);
  };

  /** The NAPI poll (myri10ge_clean_rx_done): rx_done slots → fragment lists → lro_receive_frags, flush, refill, napi_complete_done. */
  const poll = (budget: number): number => {
    let n = 0;
    for (; n < budget; n++) {
      const at = done.base + doneIdx * RX_DONE_SIZE, total = v.getUint16(at + RX_DONE.LENGTH);
      if (total === 0) break;                                   // LENGTH 0: nothing more completed
      const sum = v.getUint16(at + RX_DONE.CSUM);
      v.setUint16(at + RX_DONE.LENGTH, 0);                      // hand the slot back
      doneIdx = (doneIdx + 1) % done.entries;
      stack.cpu.charge('descriptor');
      const r = total <= small.chunk ? small : big;             // the frame's chunks, in posting order
      frags.clear(); frags.arrivalNs = nic.clock.now; frags.queue = q;
      for (let left = total; left > 0; left -= r.chunk) {
        frags.add(mem, r.bufferInfo[r.nextToClean]!, Math.min(r.chunk, left), dma, r.bufferInfo[r.nextToClean]!);
        r.nextToClean = (r.nextToClean + 1) % r.entries; r.posted--;
      }
      frags.frags[0]!.off += MXGEFW_PAD; frags.frags[0]!.size -= MXGEFW_PAD;   // the firmware's 2-byte pad
      counters.rx_packets++;
      lro.receiveFrags(frags, total - MXGEFW_PAD, total - MXGEFW_PAD, sum, sum);   // priv = sum for get_frag_header
    }
    lro.flushAll();                                             // lro_flush_all, before refilling, as myri10ge_clean_rx_done
    allocRxBuffers(small); allocRxBuffers(big);
    if (n < budget) { stack.napiComplete(napi); nic.unmaskIrq(q); }   // drained: napi_complete_done, re-arm
    return n;
  };

  const napi = stack.napiAdd(`frags-style-slice${q}`, (_n, budget) => poll(budget), options.pollBudget, q);
  nic.onInterrupt(q, stack.requestIrq(`frags-style-slice${q}`, () => { stack.napiSchedule(napi); }));
  allocRxBuffers(small); allocRxBuffers(big);
  return { lro, counters };
}

registerDriver({
  name: 'frags-style', models: ['myri10ge'], defaultEngine: 'lro',
  summary: 'examples/frags-style-driver.ts: page chunks, partial checksum, frags-mode inet_lro',
  support: (engine, caps) => engine === 'gro' ? { ok: false, why: 'this example shows inet_lro only (drivers/myri10ge has GRO)' }
    : engine === 'lro' && caps.rxChecksum !== 'partial' ? { ok: false, why: 'LRO needs the NIC\'s partial sum to verify TCP checksums with' }
      : { ok: true, why: engine === 'lro' ? 'frags-mode inet_lro per slice, checksums verified in get_frag_header' : 'inet_lro builds a plain skb for every frame' },
  create(env: DriverEnv): Driver {
    const qs: ReturnType<typeof openSlice>[] = [];
    env.stack.registerNetdev({ name: 'eth0', mtu: env.model.mtu, mac: env.model.macAddress });
    const total = (k: 'rx_packets' | 'refill_failed'): number => qs.reduce((n, q) => n + q.counters[k], 0);
    return {
      name: 'frags-style', engine: env.options.engine,
      open: () => { for (let q = 0; q < env.model.queueCount; q++) qs.push(openSlice(env, q)); },
      lroStats: () => env.options.engine === 'lro' ? sumLroStats(qs.map((q) => q.lro.stats)) : null,
      groStats: () => null, drops: () => ({}),
      ethtoolStats: () => ({ rx_packets: total('rx_packets'), refill_failed: total('refill_failed') }),
      get held() { return qs.reduce((n, q) => n + q.lro.activeSessions, 0); },
    };
  },
});

/** Four bulk flows on the myri10ge model: this driver with LRO off and on, and drivers/myri10ge. */
export function main(): RunResult[] {
  const lab = { ...getScenario('bulk-4flows')!.lab, model: 'myri10ge' };
  const runs = [
    runLab({ ...lab, driver: 'frags-style', engine: 'off', label: 'frags-style, off' }),
    runLab({ ...lab, driver: 'frags-style', engine: 'lro', label: 'frags-style, lro' }),
    runLab({ ...lab, driver: 'myri10ge', engine: 'lro', label: 'drivers/myri10ge, lro' }),
  ];
  console.log(comparisonTable(runs.map((r) => r.report)));
  return runs;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
