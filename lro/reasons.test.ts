// The reason lists are the one place a reason is named: the stats objects, their order (the run report's JSON
// and the tables follow it) and the trace explanations come from them.
import { describe, expect, it } from 'vitest';
import { newLroStats } from './stats.ts';
import { newGroStats } from './gro.ts';
import {
  GRO_FLUSH_REASONS,
  GRO_NOT_ELIGIBLE_REASONS,
  GRO_PASS_REASONS,
  LRO_BYPASS_REASONS,
  LRO_FLUSH_REASONS,
  counterKeys,
  reasonExplanations,
} from './reasons.ts';

describe('the reason lists', () => {
  it('yield the LRO counters, in the order the stats have always had', () => {
    expect(Object.keys(newLroStats())).toEqual([
      'aggregated',
      'flushed',
      'no_desc',
      'held',
      'appended',
      'bypassed',
      ...LRO_BYPASS_REASONS.map((r) => `bypass_${r.name}`),
      ...LRO_FLUSH_REASONS.map((r) => `flush_${r.name}`),
      'flush_pkt_no_desc',
      'frags_released_unused',
    ]);
    expect(LRO_BYPASS_REASONS.map((r) => r.name).join(' ')).toBe(
      'not_lro not_tcp no_desc length_mismatch no_payload ip_options tcp_flags ecn_ce tcp_options tsval_backwards tsecr_zero out_of_order',
    );
    expect(LRO_FLUSH_REASONS.map((r) => r.name).join(' ')).toBe(
      'out_of_order ineligible max_aggr 64k all pkt frags_full header_changed psh',
    );
    expect(Object.values(newLroStats()).every((v) => v === 0)).toBe(true);
  });

  it('yield the GRO counters, in the order the stats have always had', () => {
    const keys = Object.keys(newGroStats());
    expect(keys.slice(0, 6)).toEqual(['received', 'merged', 'held', 'passed', 'flushed', 'evicted']);
    expect(keys.slice(6)).toEqual([
      ...GRO_NOT_ELIGIBLE_REASONS.map((r) => `not_eligible_${r.name}`),
      ...GRO_PASS_REASONS.map((r) => `pass_${r.name}`),
      'csum_trusted',
      'csum_complete',
      'csum_software',
      ...GRO_FLUSH_REASONS.map((r) => `flush_${r.name}`),
    ]);
    expect(keys).toHaveLength(6 + 8 + 3 + 3 + 18);
  });

  it('name each reason once per list, with a trace text', () => {
    for (const list of [
      LRO_BYPASS_REASONS,
      LRO_FLUSH_REASONS,
      GRO_NOT_ELIGIBLE_REASONS,
      GRO_PASS_REASONS,
      GRO_FLUSH_REASONS,
    ]) {
      const names = list.map((r) => r.name);
      expect(new Set(names).size).toBe(names.length);
      for (const r of list) expect(r.text.length, r.name).toBeGreaterThan(0);
    }
    expect(counterKeys(GRO_FLUSH_REASONS, 'flush_').max_size).toBe('flush_max_size');
  });

  it('carry the one-time explanations vnic trace gives', () => {
    const why = reasonExplanations();
    expect(Object.keys(why).sort()).toEqual(
      [
        'lro/64k',
        'lro/all',
        'lro/ineligible',
        'lro/max_aggr',
        'lro/no_desc',
        'lro/no_payload',
        'lro/not_lro',
        'lro/not_tcp',
        'lro/out_of_order',
        'lro/psh',
        'lro/tcp_flags',
        'lro/tcp_options',
        'lro/tsecr_zero',
      ].sort(),
    );
    expect(why['lro/max_aggr']).toBe('the session reached max_aggr packets and is flushed');
  });
});
