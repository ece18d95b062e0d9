import { describe, expect, it } from 'vitest';
import { getScenario } from '../lab/scenarios.ts';
import { DEFAULTS, fromQuery, toLabConfig, toQuery } from './config.ts';

describe('the playground configuration', () => {
  it('round-trips through a URL query, defaults left out', () => {
    const c = {
      ...DEFAULTS,
      scenario: 'lossy-link',
      engine: 'gro' as const,
      compare: 'lro' as const,
      mtu: 9000,
      maxDesc: 4,
      csum: 'off' as const,
    };
    const q = toQuery(c);
    expect(q).toBe('scenario=lossy-link&engine=gro&compare=lro&mtu=9000&maxDesc=4&csum=off');
    expect(fromQuery(q)).toEqual({ config: c, problems: [] });
    expect(toQuery(DEFAULTS)).toBe('');
  });

  it('names each setting it cannot use and keeps the others', () => {
    expect(fromQuery('engine=gro&mtu=99999&colour=red')).toEqual({
      config: { ...DEFAULTS, engine: 'gro' },
      problems: [
        'colour: not a setting (settings: scenario, model, driver, engine, compare, rate, flows, mtu, budget, maxAggr, maxDesc, moderation, vlan, csum, seed)',
        'mtu=99999: Too big: expected number to be <=9000',
      ],
    });
  });

  it('stands for the scenario’s own lab configuration, with the chosen model and engine', () => {
    expect(toLabConfig(DEFAULTS, 'lro')).toEqual({ ...getScenario('bulk-1flow')!.lab, model: 'ehea', engine: 'lro' });
  });

  it('puts rate, flows, seed, NAPI weight and LRO limits where the lab reads them', () => {
    const lab = toLabConfig(
      { ...DEFAULTS, scenario: 'bulk-4flows', rate: 1, flows: 6, seed: 9, budget: 16, maxAggr: 20, maxDesc: 2 },
      'gro',
    );
    expect(lab).toMatchObject({
      engine: 'gro',
      pollBudget: 16,
      maxAggr: 20,
      maxDesc: 2,
      traffic: { rateGbps: 1, seed: 9, flows: [{ kind: 'bulk', count: 6 }] },
    });
    expect(getScenario('bulk-4flows')!.lab.traffic['rateGbps']).toBe(10); // the scenario itself is untouched
  });

  it('says moderation, VLAN and checksum offload in each model’s own config words', () => {
    expect(toLabConfig({ ...DEFAULTS, moderation: 50, vlan: 'off', csum: 'off' }, 'lro').modelConfig).toEqual({
      moderation: { delayUs: 50 },
      vlanExtract: false,
      rxChecksum: false,
    });
    const e1000 = toLabConfig({ ...DEFAULTS, model: 'e1000', moderation: 100, vlan: 'on', csum: 'on' }, 'lro');
    expect(e1000.modelConfig).toEqual({ rdtr: 98, vlanStrip: true });
    expect(e1000.softwareChecksum).toBe(true);
    expect(() => toLabConfig({ ...DEFAULTS, model: 'myri10ge', vlan: 'on' }, 'lro')).toThrow(
      'VLAN offload: model myri10ge keeps tags in the frame (no VLAN offload)',
    );
    expect(() => toLabConfig({ ...DEFAULTS, scenario: 'nope' }, 'lro')).toThrow(
      /^scenario nope: no such scenario \(scenarios: bulk-1flow, /,
    );
  });
});
