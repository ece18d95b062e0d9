// The smallest complete LRO driver (walked through in docs/driver-guide.md): the `mq` model's write-back ring,
// a NAPI poll per queue, skb-mode inet_lro; registered as 'minimal'. Run: npx tsx examples/minimal-driver.ts
import { pathToFileURL } from 'node:url';
import { registerDriver, type Driver, type DriverEnv } from 'vnic-lab/drivers';
import { mq } from 'vnic-lab/hw-models';
import { LRO_IPV4, LRO_TCP, LroManager, sumLroStats, type LroHeader } from 'vnic-lab/lro';
import { CHECKSUM_NONE, CHECKSUM_UNNECESSARY, ETH_P_IP, SKB_OVERHEAD, SkbPool, ethTypeTrans, type SkBuff } from 'vnic-lab/stack';
import { getScenario, runLab, type RunResult } from 'vnic-lab/lab';
import { comparisonTable } from 'vnic-lab/cli';

const { RX_READ, RX_WB, RX_DESC_SIZE, MQ_STATUS, MQ_ERRORS } = mq;
const CSUM_CHECKED = MQ_STATUS.L4CS | MQ_STATUS.IPCS, CSUM_ERRORS = MQ_ERRORS.IPE | MQ_ERRORS.L4E;

/** get_skb_header: IPv4 + TCP, IP header at skb.data (after eth_type_trans; a stripped VLAN tag is gone). */
function getSkbHeader(skb: SkBuff, out: LroHeader): boolean {
  const b = skb.buf, iph = skb.data;
  if (skb.protocol !== ETH_P_IP || skb.headLen < 40 || b[iph + 9] !== 6) return false;
  out.buf = b; out.iphOff = iph; out.tcphOff = iph + (b[iph]! & 0x0f) * 4; out.flags = LRO_IPV4 | LRO_TCP;
  return true;
}

/** One receive queue: ring, buffer_info, NAPI poll, interrupt and LroManager. */
function openQueue(env: DriverEnv, q: number) {
  const { model: nic, stack, options } = env, v = nic.dma.view, ring = nic.ring(q, 'rx'), e = ring.entries;
  const bufferInfo = new Int32Array(e), pool = new SkbPool(64);   // slot → buffer (the write-back overwrites the descriptor's copy)
  const counters = { rx_packets: 0, rx_to_lro: 0, alloc_rx_buff_failed: 0 };
  let nextToClean = 0, nextToUse = 0;               // next slot the device completes; next slot we post
  const lro = options.engine !== 'lro' ? null : new LroManager<null>({ maxDesc: options.maxDesc ?? 8,
    maxAggr: options.maxAggr ?? 64, mtu: nic.mtu, sink: stack, skbPool: pool, getSkbHeader, queue: q, tracer: env.tracer, cpu: stack.cpu });
  /** alloc_rx_buffers: a fresh buffer in every empty slot (one always stays empty), then the doorbell once. */
  const allocRxBuffers = (): void => {
    while ((nextToUse + 1) % e !== nextToClean) {
      const addr = nic.dma.alloc(ring.bufferBytes);
      if (addr < 0) { counters.alloc_rx_buff_failed++; break; }      // DMA memory full: retried next poll
      const d = ring.base + nextToUse * RX_DESC_SIZE;
      nic.dma.bytes.fill(0, d, d + RX_DESC_SIZE); v.setUint32(d + RX_READ.PKT_ADDR, addr, true);   // no HDR_ADDR: no split
      bufferInfo[nextToUse] = addr; nextToUse = (nextToUse + 1) % e;
    }
    nic.doorbell(q, 'rx', nextToUse);
  };
  /** The NAPI poll (clean_rx_irq): completions → skbs → LRO (or the stack), flush, refill, napi_complete_done. */
  const poll = (budget: number): number => {
    let done = 0;
    for (; done < budget; done++) {
      const d = ring.base + nextToClean * RX_DESC_SIZE, addr = bufferInfo[nextToClean]!, status = v.getUint16(d + RX_WB.STATUS, true);
      if ((status & MQ_STATUS.DD) === 0) break;                      // DD clear: not written back yet, drained
      v.setUint16(d + RX_WB.STATUS, 0, true); nextToClean = (nextToClean + 1) % e;   // cleaned: no stale DD a lap later
      stack.cpu.charge('descriptor'); stack.cpu.charge('skb_alloc');
      const skb = pool.get().setLinear(nic.dma.bytes, addr, v.getUint16(d + RX_WB.LENGTH, true));
      skb.headOwner = nic.dma; skb.headOwnerAddr = addr;             // freeSkb gives the buffer back
      skb.truesize = SKB_OVERHEAD + ring.bufferBytes; skb.arrivalNs = nic.clock.now; skb.queue = q;
      const ok = (status & CSUM_CHECKED) === CSUM_CHECKED && (v.getUint16(d + RX_WB.ERRORS, true) & CSUM_ERRORS) === 0;
      skb.ipSummed = ok ? CHECKSUM_UNNECESSARY : CHECKSUM_NONE; counters.rx_packets++;
      ethTypeTrans(skb);                                             // skb.data → IP header, protocol set
      const tag = (status & MQ_STATUS.VP) !== 0 ? v.getUint16(d + RX_WB.VLAN, true) : -1;
      if (lro !== null && ok) {                                      // LRO sees hardware-verified frames only
        counters.rx_to_lro++;
        if (tag >= 0) lro.vlanHwaccelReceiveSkb(skb, tag, null); else lro.receiveSkb(skb, null);
      } else if (tag >= 0) stack.vlanHwaccelReceiveSkb(skb, tag);
      else stack.netifReceiveSkb(skb);
    }
    lro?.flushAll();                                                 // lro_flush_all: nothing stays held past the poll
    allocRxBuffers();
    if (done < budget) { stack.napiComplete(napi); nic.unmaskIrq(q); }   // drained: napi_complete_done, re-arm
    return done;
  };
  const napi = stack.napiAdd(`min-rx${q}`, (_napi, budget) => poll(budget), options.pollBudget, q);
  nic.onInterrupt(q, stack.requestIrq(`min-rx${q}`, () => { stack.napiSchedule(napi); }));   // IRQ → schedule the poll
  allocRxBuffers(); nic.unmaskIrq(q);
  return { lro, counters };
}

registerDriver({
  name: 'minimal', models: ['mq'], defaultEngine: 'lro', summary: 'examples/minimal-driver.ts: the mq ring, skb-mode inet_lro',
  support: (engine, caps) => engine === 'gro' ? { ok: false, why: 'the minimal driver shows LRO only (drivers/mq has GRO)' }
    : engine === 'lro' && caps.rxChecksum !== 'verified' ? { ok: false, why: 'LRO needs checksums the NIC verified' }
      : { ok: true, why: engine === 'lro' ? 'skb-mode inet_lro per queue, verified frames only' : 'every frame straight to the stack' },
  create(env: DriverEnv): Driver {
    const nic = env.model, qs: ReturnType<typeof openQueue>[] = [];
    if (nic.capabilities.headerSplit || nic.mtu + 18 > nic.ring(0, 'rx').bufferBytes) throw new Error('minimal driver: needs one buffer per frame (no header split, MTU + 18 ≤ bufferBytes)');
    env.stack.registerNetdev({ name: 'eth0', mtu: nic.mtu, mac: nic.macAddress });
    return {
      name: 'minimal', engine: env.options.engine, open: () => { for (let q = 0; q < nic.queueCount; q++) qs.push(openQueue(env, q)); },
      lroStats: () => env.options.engine === 'lro' ? sumLroStats(qs.map((q) => q.lro!.stats)) : null, groStats: () => null, drops: () => ({}),
      ethtoolStats: () => { const out: Record<string, number> = {}; for (const q of qs) for (const [k, n] of Object.entries(q.counters)) out[k] = (out[k] ?? 0) + n; return out; },
      get held() { return qs.reduce((n, q) => n + (q.lro?.activeSessions ?? 0), 0); },
    };
  },
});

/** LRO off vs on: the bulk-1flow scenario through the mq model and this driver. */
export function main(): RunResult[] {
  const lab = { ...getScenario('bulk-1flow')!.lab, model: 'mq', driver: 'minimal' };
  const runs = (['off', 'lro'] as const).map((engine) => runLab({ ...lab, engine, label: `minimal, ${engine}` }));
  console.log(comparisonTable(runs.map((r) => r.report))); return runs;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
