// Regressions from issue 14: a frame with 13 or more stacked VLAN tags crashed every myri10ge run
// (the stack pulled the tags past the driver's 64-byte header copy; it now pulls them into the linear
// part first, as pskb_may_pull does), and a VLAN-tagged ARP on eHEA (which extracts the tag but leaves
// the EtherType reading 0x8100) reached IP input and was dropped as ip_bad_version.
import { describe, expect, it } from 'vitest';
import { runLab, type LabConfig } from '../lab/run.ts';
import { frame } from '../wire/index.ts';
import type { CaptureRecord } from '../tap/index.ts';

const MODELS = ['ehea', 'myri10ge', 'e1000', 'mq'] as const;
const ENGINES = ['lro', 'gro', 'off'] as const;

function record(data: Uint8Array, index: number): CaptureRecord {
  return {
    index,
    offset: 0,
    tsSec: 0,
    tsNsec: index * 1000,
    data,
    origLen: data.length,
    interfaceId: 0,
    linktype: 1,
  } as CaptureRecord;
}

function deepTagged(tags: number, payload: number): Uint8Array {
  const b = frame().eth({});
  for (let i = 0; i < tags; i++) b.vlan(10 + i);
  return b
    .ipv4({ src: '10.0.0.1', dst: '10.0.0.2' })
    .tcp({ sport: 40000 + tags, dport: 5001, seq: 1000, flags: 'PA' })
    .payload(payload)
    .build();
}

function run(model: string, engine: (typeof ENGINES)[number], frames: Uint8Array[]) {
  const cfg: LabConfig = {
    model,
    engine,
    capture: { path: 'regression' },
    ...(model === 'e1000' && engine === 'lro' ? { softwareChecksum: true } : {}),
  };
  return runLab(cfg, { records: frames.map(record) });
}

const dropsTotal = (d: Record<string, number>): number => Object.values(d).reduce((a, b) => a + b, 0);

describe.each(MODELS)('%s', (model) => {
  it.each(ENGINES)('13 and 40 stacked tags: delivered whole, nothing thrown (engine %s)', (engine) => {
    const r = run(model, engine, [deepTagged(13, 300), deepTagged(40, 300)]);
    expect(r.conservation.ok).toBe(true);
    expect(dropsTotal(r.report.drops)).toBe(0);
    expect(r.stack.stats.tcpIn).toBe(2);
    expect(r.stack.stats.vlanUntagged + r.stack.stats.vlanHwaccel).toBe(13 + 40);
  });

  it.each(ENGINES)('a tagged ARP reaches ARP, not IP input (engine %s)', (engine) => {
    const r = run(model, engine, [frame().eth({}).vlan(7).arp({}).build()]);
    expect(dropsTotal(r.report.drops)).toBe(0);
    expect(r.stack.stats.otherL3).toBe(1);
    expect(r.stack.stats.ipIn).toBe(0);
  });
});
