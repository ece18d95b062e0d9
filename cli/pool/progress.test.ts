// The sweep's progress line: done/total, a bar, and the time left at the pace so far.
import { describe, expect, it } from 'vitest';
import { clock, progressLine } from './progress.ts';

describe('progressLine', () => {
  it('shows done/total and an ETA from the pace so far', () => {
    expect(progressLine(0, 96, 0)).toBe(`[${'.'.repeat(30)}] 0/96`);
    expect(progressLine(24, 96, 30, 'ehea lro')).toBe(`[${'#'.repeat(8)}${'.'.repeat(22)}] 24/96 ETA 1:30 ehea lro`);
    expect(progressLine(96, 96, 120)).toBe(`[${'#'.repeat(30)}] 96/96 ETA 0:00`);
  });
  it('formats times as m:ss, h:mm:ss past an hour', () => {
    expect(clock(59.6)).toBe('1:00');
    expect(clock(3725)).toBe('1:02:05');
  });
});
