// Defaults that work everywhere (issue 14): every model/driver pair has a default engine it can run
// (the driver's own, else LRO where the driver can, else GRO), and a replay's MTU comes from the
// capture when none is given (its largest IP packet, at least 1500, at most the model's maximum).
import { describe, expect, it } from 'vitest';
import { defaultEngine, largestIpPacket, runLab } from '../lab/run.ts';
import { driverForModel } from '../drivers/index.ts';
import { modelCapabilities } from '../hw-models/registry.ts';
import { frame } from '../wire/index.ts';
import { readCapture, type CaptureRecord } from '../tap/index.ts';
import { capturePath } from './captures.ts';

function records(frames: Uint8Array[], origLen?: number): CaptureRecord[] {
  return frames.map(
    (data, index) =>
      ({
        index,
        offset: 0,
        tsSec: 0,
        tsNsec: index * 1000,
        data,
        origLen: origLen ?? data.length,
        interfaceId: 0,
        linktype: 1,
      }) as CaptureRecord,
  );
}

describe('the default engine of each model with its own driver', () => {
  it.each([
    ['ehea', 'lro'],
    ['myri10ge', 'lro'],
    ['e1000', 'gro'],
    ['mq', 'gro'],
  ])('%s: %s', (model, engine) => {
    expect(defaultEngine(driverForModel(model)!, modelCapabilities(model)!)).toBe(engine);
  });

  it('e1000 with default flags replays the bulk capture with GRO, every byte intact', () => {
    const r = runLab({ model: 'e1000', capture: { path: capturePath('bulk_mtu1500.tx.pcap') } });
    expect(r.engine).toBe('gro');
    expect(r.report.label).toBe('e1000/e1000/gro');
    expect(r.report.bytesDelivered).toBe(2 << 20);
    expect(r.report.allStreamsOk).toBe(true);
  });
});

describe('the MTU from the capture', () => {
  const tcp = (payload: number) =>
    frame()
      .eth({})
      .ipv4({ src: '10.0.0.1', dst: '10.0.0.2' })
      .tcp({ sport: 1, dport: 2, seq: 1, flags: 'A' })
      .payload(payload)
      .build();

  it('the largest IP packet by wire length: header-only records count whole, non-IP frames not at all', () => {
    expect(largestIpPacket(readCapture(capturePath('bulk_mtu1500.tx.pcap')))).toBe(1500);
    expect(largestIpPacket(readCapture(capturePath('parallel4_mtu1500.tx.pcap')))).toBe(1500);
    const cut = tcp(4000).slice(0, 128);
    expect(largestIpPacket(records([cut], 14 + 40 + 4000))).toBe(4040);
    expect(largestIpPacket(records([frame().eth({ type: 0x88b5 }).payload(8000).build()]))).toBe(0);
  });

  it('a 1500-byte capture runs at the default 1500', () => {
    const r = runLab({ capture: { path: capturePath('bulk_mtu1500.tx.pcap') } });
    expect(r.mtu).toEqual({ value: 1500, from: 'default', largestIpPacket: 1500 });
  });

  it('a jumbo capture runs at its largest packet, capped at the model maximum; an asked MTU wins', () => {
    const r = runLab({ model: 'mq', capture: { path: 'jumbo' } }, { records: records([tcp(100), tcp(6000)]) });
    expect(r.mtu).toEqual({ value: 6040, from: 'capture', largestIpPacket: 6040 });
    expect(r.report.dropsTotal).toBe(0);
    const big = runLab({ model: 'mq', capture: { path: 'jumbo' } }, { records: records([tcp(9500)]) });
    expect(big.mtu).toEqual({ value: 9000, from: 'capture', largestIpPacket: 9540 });
    expect(big.report.drops['rx_oversize']).toBe(1);
    const asked = runLab({ model: 'mq', mtu: 1500, capture: { path: 'jumbo' } }, { records: records([tcp(6000)]) });
    expect(asked.mtu).toEqual({ value: 1500, from: 'config', largestIpPacket: 0 });
    expect(asked.report.drops['rx_oversize']).toBe(1);
  });
});
