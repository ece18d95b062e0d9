// Adding a NIC model in one file: "toy", a single-queue NIC with 8-byte descriptors that the device
// writes back in place. It reuses the shared receive steps (BaseNic: length → FCS → MAC filter →
// oversize → runt pad), DMA memory, rings and interrupts; it only decides where bytes go.
// Run it through the shared conformance suite: examples/custom-model.test.ts. Run the demo below with
// `npx tsx examples/custom-model.ts`: three frames through the model, read back from its ring as a driver would.
import { z } from 'zod';
import { pathToFileURL } from 'node:url';
import {
  BaseNic, DmaMemory, Ring, baseConfigShape, parseConfig, registerModel, ringEntries, scratchBytesFor,
  validateCapabilities, type Capabilities, type DescriptorLayout, type ModelEnv,
} from 'vnic-lab/hw-models';
import { formatFrame, frame, type FrameLayout } from 'vnic-lab/wire';

/** The descriptor (8 bytes, little-endian). Driver writes ADDR and zeroes the rest; device writes LENGTH, then FLAGS. */
export const TOY_DESC = { ADDR: 0, LENGTH: 4, FLAGS: 6 } as const;
export const TOY_DESC_SIZE = 8;
export const TOY_FLAGS = { DONE: 0x1 } as const;
export const TOY_BUFFER_BYTES = 2048;

export const TOY_CAPABILITIES: Capabilities = validateCapabilities({
  vlan: 'none', delivery: 'linear', headerSplit: false, rxChecksum: 'none', maxQueues: 1, queueSelect: 'single',
  moderation: { packetThreshold: false, delayTimer: false, absoluteTimer: false },
  rings: [{ name: 'rx', role: 'rx-writeback', minEntries: 4, maxEntries: 1024, defaultEntries: 64, bufferBytes: TOY_BUFFER_BYTES }],
  minMtu: 68, maxMtu: 1500, badFcs: 'drop', byteOrder: 'little',
}, 'toy');

export const ToyConfigSchema = z.strictObject({ ...baseConfigShape(68, 1500), ringEntries: ringEntries(4, 1024, 64) });

export const TOY_DESCRIPTORS: readonly DescriptorLayout[] = [{
  name: 'toy_desc', writer: 'device', size: TOY_DESC_SIZE,
  fields: { addr: { offset: TOY_DESC.ADDR, width: 4 }, length: { offset: TOY_DESC.LENGTH, width: 2 }, flags: { offset: TOY_DESC.FLAGS, width: 2 } },
  encode: (v, at, d) => { v.setUint32(at + TOY_DESC.ADDR, d.addr!, true); v.setUint16(at + TOY_DESC.LENGTH, d.length!, true); v.setUint16(at + TOY_DESC.FLAGS, d.flags!, true); },
  decode: (v, at) => ({ addr: v.getUint32(at + TOY_DESC.ADDR, true), length: v.getUint16(at + TOY_DESC.LENGTH, true), flags: v.getUint16(at + TOY_DESC.FLAGS, true) }),
}];

export class ToyNic extends BaseNic {
  readonly name = 'toy';
  readonly descriptors = TOY_DESCRIPTORS;
  private readonly rx: Ring;

  constructor(config: z.input<typeof ToyConfigSchema> = {}, env: ModelEnv = {}) {
    const c = parseConfig(ToyConfigSchema, config, 'toy');
    const dma = new DmaMemory({ staticBytes: c.ringEntries * TOY_DESC_SIZE, slabs: [{ size: TOY_BUFFER_BYTES, count: c.ringEntries * c.bufferFactor }], scratchBytes: scratchBytesFor(1500) });
    super(TOY_CAPABILITIES, dma, 1, c, env, [], []);
    this.rx = new Ring({ queue: 0, name: 'rx', role: 'rx-writeback', base: dma.carve(c.ringEntries * TOY_DESC_SIZE), entries: c.ringEntries, entrySize: TOY_DESC_SIZE, bufferBytes: TOY_BUFFER_BYTES });
    this.addRing(0, this.rx);
  }

  protected selectQueue(_p: FrameLayout): number { return 0; }

  protected dmaFrame(q: number, frame: Uint8Array, length: number, wireLen: number, _badFcs: boolean, nowNs: number): void {
    const rx = this.rx, v = this.dma.view;
    if (rx.available === 0) { this.drop(q, 'rx_missed', nowNs, this.tracer.enabled ? 'no descriptor posted' : ''); return; }
    const n = this.assemble(frame, length, wireLen, 0, 0);         // the padded frame, in the staging area
    const d = rx.addr(rx.advanceHead());
    const addr = v.getUint32(d + TOY_DESC.ADDR, true);
    this.dmaOut(0, addr, n);
    v.setUint16(d + TOY_DESC.LENGTH, n, true);
    v.setUint16(d + TOY_DESC.FLAGS, TOY_FLAGS.DONE, true);        // publish last
    this.completed(q, n, nowNs, this.tracer.enabled ? `${n} bytes` : '', rx);
  }
}

registerModel('toy', (config, env) => new ToyNic(config as z.input<typeof ToyConfigSchema>, env), TOY_CAPABILITIES);

/** Posts buffers, offers three frames (one too short: the model pads it to 60 bytes), reads the completions back. */
export function main(): void {
  const nic = new ToyNic({ ringEntries: 16 });
  const rx = nic.ring(0, 'rx'), v = nic.dma.view, posted = rx.entries - 1;
  const desc = (i: number) => rx.base + i * TOY_DESC_SIZE;
  for (let i = 0; i < posted; i++) v.setUint32(desc(i) + TOY_DESC.ADDR, nic.dma.alloc(TOY_BUFFER_BYTES), true);
  nic.doorbell(0, 'rx', posted);                                   // the device owns entries [0, posted)
  for (const n of [1448, 100, 0]) { const f = frame().ipv4({ id: n }).tcp({ seq: n }).payload(n).build(); nic.receiveFrame(f, f.length, 0); }
  for (let i = 0; i < posted; i++) {
    const d = desc(i), addr = v.getUint32(d + TOY_DESC.ADDR, true);
    if ((v.getUint16(d + TOY_DESC.FLAGS, true) & TOY_FLAGS.DONE) !== 0)
      console.log(`queue 0 ring rx: ${formatFrame(nic.dma.bytes.subarray(addr, addr + v.getUint16(d + TOY_DESC.LENGTH, true)))}`);
    nic.dma.free(addr);
  }
  console.log(`counters: ${JSON.stringify(nic.totals())}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
