import { describe, expect, it } from 'vitest';
import { LabEvents, type TraceEvent } from '../observe/trace.ts';
import { runLab } from '../lab/run.ts';

const ev = (layer: TraceEvent['layer'], what: string): TraceEvent => ({ t: 1, layer, what, text: what });

describe('LabEvents', () => {
  it('is enabled exactly while someone listens', () => {
    const bus = new LabEvents();
    expect(bus.enabled).toBe(false);
    const fn = () => {};
    bus.on('lro', fn);
    expect(bus.enabled).toBe(true);
    bus.off('lro', fn);
    expect(bus.enabled).toBe(false);
  });

  it('hands each event to its layer’s listeners and to every `event` listener', () => {
    const bus = new LabEvents();
    const lro: string[] = [],
      all: string[] = [];
    bus.on('lro', (e) => lro.push(e.what)).on('event', (e) => all.push(`${e.layer}/${e.what}`));
    bus.emit(ev('nic', 'dma'));
    bus.emit(ev('lro', 'held'));
    expect(lro).toEqual(['held']);
    expect(all).toEqual(['nic/dma', 'lro/held']);
  });

  it('leaves a run unchanged: the same report with a subscriber as without', () => {
    const cfg = {
      model: 'ehea',
      engine: 'lro' as const,
      traffic: { seed: 3, rateGbps: 10, bytesPerFlow: 1 << 18, flows: [{ kind: 'bulk', count: 2 }] },
    };
    let n = 0;
    const traced = runLab(cfg, {
      tracer: new LabEvents().on('event', () => {
        n++;
      }),
    });
    const plain = runLab(cfg);
    expect(n).toBeGreaterThan(1000);
    expect(JSON.stringify(traced.report)).toBe(JSON.stringify(plain.report));
  });
});
