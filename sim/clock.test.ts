import { describe, expect, it } from 'vitest';
import { VirtualClock } from './clock.ts';

describe('VirtualClock.post', () => {
  it('runs posted events in time order, ties in scheduling order, among events with handles', () => {
    const c = new VirtualClock();
    const ran: string[] = [];
    c.post(20, () => ran.push('post 20'));
    const t = c.at(10, () => ran.push('at 10'));
    c.post(10, () => ran.push('post 10'));
    c.at(5, () => ran.push('at 5 (cancelled)')).cancel();
    c.post(1, () => {
      ran.push('post 1');
      c.post(0, () => ran.push('post in the past: now')); // reuses no slot still queued
    });
    expect(t.at).toBe(10);
    c.run();
    expect(ran).toEqual(['post 1', 'post in the past: now', 'at 10', 'post 10', 'post 20']);
    expect(c.now).toBe(20);
  });

  it('a chain of posted events runs in order, one queued at a time', () => {
    const c = new VirtualClock();
    let n = 0;
    const next = (): void => {
      if (++n < 10_000) c.post(c.now + 1, next);
    };
    c.post(1, next);
    expect(c.pending).toBe(1);
    c.run();
    expect(n).toBe(10_000);
    expect(c.now).toBe(10_000);
    expect(c.pending).toBe(0);
  });
});
