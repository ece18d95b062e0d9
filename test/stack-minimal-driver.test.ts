// The stack end to end before the real drivers exist: a tiny NIC that DMAs frames into a ring in a
// Uint8Array and raises an interrupt, a driver whose NAPI poll reads completion descriptors with a
// DataView and builds skbs over the DMA memory, and the stack verifying the byte stream. Default
// cost profile: every figure of the run report must add up and repeat exactly.
import { describe, it, expect } from 'vitest';
import { VirtualClock } from '../sim/clock.ts';
import { Cpu, COST_KINDS, DEFAULT_COST_PROFILE } from '../sim/cost.ts';
import type { FlowKey, FlowExpectation } from '../sim/flows.ts';
import { RunReportBuilder, RunReportSchema, type RunReport } from '../lab/run-report.ts';
import { TraceLog } from '../observe/trace.ts';
import { Stack } from '../stack/stack.ts';
import { NetDevice, ethtoolStats } from '../stack/netdev.ts';
import { fillStackReport } from '../lab/stack-report.ts';
import { SkbPool, ethTypeTrans, CHECKSUM_NONE, type BufferOwner } from '../stack/skb.ts';
import type { NapiStruct } from '../stack/napi.ts';
import { expectationOf, testStream } from './support/skb.ts';
import { frame, parseIpv4, decodeFrame, WireError } from '../wire/index.ts';

const SLOT = 2048;
const DESC = { LEN: 0, FLAGS: 2, SIZE: 4 } as const; // completion entry: u16 length, u8 flags
const DONE = 1;

/** The "hardware": posted buffers, a completion ring, an interrupt line. */
class TinyNic {
  readonly mem: Uint8Array;
  readonly desc: Uint8Array;
  readonly dv: DataView;
  readonly posted: boolean[];
  readonly arrival: number[];
  head = 0;
  irqEnabled = true;
  framesIn = 0;
  rxMissed = 0;
  dmaInUse = 0;
  peakDma = 0;
  raiseIrq: () => void = () => {};
  constructor(
    readonly slots: number,
    private readonly clock: VirtualClock,
  ) {
    this.mem = new Uint8Array(slots * SLOT);
    this.desc = new Uint8Array(slots * DESC.SIZE);
    this.dv = new DataView(this.desc.buffer);
    this.posted = new Array<boolean>(slots).fill(true);
    this.arrival = new Array<number>(slots).fill(0);
  }
  receiveFrame(f: Uint8Array, len: number): void {
    this.framesIn++;
    if (!this.posted[this.head]) {
      this.rxMissed++;
      return;
    }
    this.mem.set(f.subarray(0, len), this.head * SLOT);
    this.dv.setUint16(this.head * DESC.SIZE + DESC.LEN, len);
    this.desc[this.head * DESC.SIZE + DESC.FLAGS] = DONE;
    this.arrival[this.head] = this.clock.now;
    this.posted[this.head] = false;
    this.dmaInUse += SLOT;
    this.peakDma = Math.max(this.peakDma, this.dmaInUse);
    this.head = (this.head + 1) % this.slots;
    if (this.irqEnabled) {
      this.irqEnabled = false;
      this.raiseIrq();
    }
  }
}

/** The driver: IRQ handler → napiSchedule; poll reads completions, builds skbs, delivers, re-arms below budget. */
function tinyDriver(stack: Stack, nic: TinyNic) {
  const pool = new SkbPool(64);
  let tail = 0;
  const dev = stack.registerNetdev(new NetDevice({ name: 'tiny0' }));
  const owner: BufferOwner = {
    release: (_mem, addr) => {
      nic.posted[addr / SLOT] = true;
      nic.dmaInUse -= SLOT;
    },
  }; // refill on free
  const pending = (): boolean => (nic.desc[tail * DESC.SIZE + DESC.FLAGS]! & DONE) !== 0;
  const poll = (napi: NapiStruct, budget: number): number => {
    let done = 0;
    stack.occupancy.record(0, stack.cpu.now, (nic.head - tail + nic.slots) % nic.slots || (pending() ? nic.slots : 0));
    while (done < budget && pending()) {
      stack.cpu.charge('descriptor');
      const len = nic.dv.getUint16(tail * DESC.SIZE + DESC.LEN);
      nic.desc[tail * DESC.SIZE + DESC.FLAGS] = 0;
      stack.cpu.charge('skb_alloc');
      const skb = pool.get().setLinear(nic.mem, tail * SLOT, len);
      skb.headOwner = owner;
      skb.headOwnerAddr = tail * SLOT;
      skb.arrivalNs = nic.arrival[tail]!;
      skb.ipSummed = CHECKSUM_NONE;
      dev.stats.rx_packets++;
      dev.stats.rx_bytes += len;
      ethTypeTrans(skb);
      stack.netifReceiveSkb(skb);
      tail = (tail + 1) % nic.slots;
      done++;
    }
    if (done < budget) {
      stack.napiComplete(napi);
      nic.irqEnabled = true;
      if (pending()) {
        nic.irqEnabled = false;
        nic.raiseIrq();
      } // a frame slipped in: the device raises again
    }
    return done;
  };
  const napi = stack.napiAdd('tiny0-rx0', poll, 64, 0);
  nic.raiseIrq = stack.requestIrq('tiny0', () => {
    stack.napiSchedule(napi);
  });
  dev.registerStatsProvider(() => ({ rx_missed: nic.rxMissed }));
  return { dev, pool };
}

const KEY: FlowKey = { saddr: parseIpv4('10.0.0.1'), daddr: parseIpv4('10.0.0.2'), sport: 40000, dport: 5001 };
const ISN = 4_000_000_000; // wraps past 2^32 during the run

interface RunResult {
  report: RunReport;
  acks: number[];
  stack: Stack;
  nic: TinyNic;
  exp: FlowExpectation;
  poolInUse: number;
}

function run(segments: number, gapNs: number, slots: number, traced = false): RunResult {
  const clock = new VirtualClock();
  const cpu = new Cpu(clock, DEFAULT_COST_PROFILE);
  const acks: number[] = [];
  const stack = new Stack({
    clock,
    cpu,
    ...(traced ? { tracer: new TraceLog() } : {}),
    sendToWire: (f, len) => {
      const d = decodeFrame(f, len);
      if (d instanceof WireError) throw d;
      acks.push((d.tcp!.ack - ISN) >>> 0);
    },
  });
  const nic = new TinyNic(slots, clock);
  const { pool } = tinyDriver(stack, nic);
  const stream = testStream(segments * 1448, 3);
  const exp = expectationOf(KEY, ISN, stream);
  for (let i = 0; i < segments; i++) {
    const f = frame()
      .ipv4({ id: i })
      .tcp({ seq: (ISN + i * 1448) >>> 0, ack: 1, flags: 'A', ts: [1000 + i, 5] })
      .payload(stream.subarray(i * 1448, (i + 1) * 1448))
      .build();
    clock.at(i * gapNs, () => nic.receiveFrame(f, f.length));
  }
  clock.run();
  const b = new RunReportBuilder('tiny')
    .duration(clock.now)
    .framesIn(nic.framesIn)
    .addDrops({ rx_missed: nic.rxMissed })
    .peakDmaBytes(nic.peakDma);
  fillStackReport(b, stack, [exp]);
  return { report: b.build(), acks, stack, nic, exp, poolInUse: pool.inUse };
}

describe('minimal driver over a tiny ring, end to end', () => {
  it('delivers a 300-segment stream intact, one interrupt per frame at a gentle rate, ACK every segment in quick-ack (the first 16), then every 2nd', () => {
    const { report: r, acks, stack, nic, poolInUse } = run(300, 10_000, 64);
    expect(r.allStreamsOk).toBe(true);
    expect(r.flows['10.0.0.1:40000>10.0.0.2:5001']).toEqual({
      bytesDelivered: 300 * 1448,
      segmentsIn: 300,
      packetsToStack: 300,
      acksSent: 158,
      byteStreamOk: true,
    });
    expect(r.framesIn).toBe(300);
    expect(r.framesToStack).toBe(300);
    expect(r.dropsTotal).toBe(0);
    expect(acks.length).toBe(16 + 284 / 2);
    expect(acks[157]).toBe(300 * 1448);
    expect(stack.stats.interrupts).toBe(300);
    expect(nic.rxMissed).toBe(0);
    expect(poolInUse).toBe(0);
    expect(nic.dmaInUse).toBe(0);
    expect(r.peakDmaBytes).toBe(SLOT);
    expect(RunReportSchema.safeParse(r).success).toBe(true);
    // CPU: the total is exactly the sum of events × profile cost
    const snap = stack.cpu.snapshot();
    let sum = 0;
    for (const k of COST_KINDS) {
      expect(snap.byKind[k]).toBe(Math.round(snap.events[k] * DEFAULT_COST_PROFILE.cycles[k]));
      sum += snap.byKind[k];
    }
    expect(r.cpu.cycles).toBe(sum);
    expect(snap.events.interrupt).toBe(300);
    expect(snap.events.tcp_rcv).toBe(300);
    expect(snap.events.copy_byte).toBe(300 * 1448);
    expect(snap.events.csum_byte).toBe(300 * (1448 + 32 + 20));
    expect(snap.events.ack_build).toBe(158);
    expect(ethtoolStats(stack.devices[0]!)).toMatchObject({ rx_packets: 300, rx_bytes: 300 * 1514, rx_missed: 0 });
    // latency: per frame the CPU work before delivery, identical for every frame at this rate
    expect(r.latency.samples).toBe(300);
    expect(r.latency.p50Us).toBeGreaterThan(0);
  });

  it('under a 1.2 µs burst the CPU falls behind: polls batch up to the weight, latency grows, the stream still verifies', () => {
    const { report: r, stack } = run(400, 1_200, 512);
    expect(r.allStreamsOk).toBe(true);
    expect(r.dropsTotal).toBe(0);
    expect(stack.stats.interrupts).toBeLessThan(400);
    expect(stack.stats.napiPolls).toBeLessThan(400);
    expect(r.latency.p99Us).toBeGreaterThan(r.latency.p50Us);
    expect(r.latency.maxUs).toBeGreaterThanOrEqual(r.latency.p99Us);
    expect(r.ringOccupancy['0']!.peak).toBeGreaterThan(1);
    expect(r.cpu.utilisation).toBeGreaterThan(0.9);
  });

  it('a ring too small for the burst drops at the NIC (rx_missed) and every frame is accounted for', () => {
    const { report: r, stack, nic } = run(400, 1_200, 16);
    expect(nic.rxMissed).toBeGreaterThan(0);
    expect(r.drops['rx_missed']).toBe(nic.rxMissed);
    expect(r.framesToStack + nic.rxMissed).toBe(400);
    expect(r.allStreamsOk).toBe(false); // no retransmission in this test: the holes stay
    expect(stack.stats.consumed + stack.stats.dropped + stack.held).toBe(stack.stats.skbsIn);
  });

  it('is deterministic: same inputs, byte-identical report', () => {
    const a = JSON.stringify(run(200, 1_500, 128).report);
    const b = JSON.stringify(run(200, 1_500, 128, true).report);
    expect(b).toBe(a);
  });
});
