import { describe, it, expect } from 'vitest';
import { VirtualClock } from '../sim/clock.ts';
import { StreamHash } from '../wire/stream-hash.ts';
import { TraceLog } from '../observe/trace.ts';
import { frame, sumBytes, fold, pseudoHeaderSum, IPPROTO } from '../wire/index.ts';
import { FRAME_FLAG, type FrameTx } from './link.ts';
import { Impairments } from './impair.ts';
import { TrafficConfigError, type ImpairmentConfigInput } from './config.ts';
import { FakeReceiver } from '../test/support/fake-receiver.ts';
import { createLinkPartner } from './partner.ts';

class Collect implements FrameTx {
  readonly frames: Uint8Array[] = [];
  readonly flags: number[] = [];
  transmit(f: Uint8Array, len: number, flags = 0): void {
    this.frames.push(f.slice(0, len));
    this.flags.push(flags);
  }
  backlog(): number {
    return 0;
  }
  addReadyListener(): void {}
}

// Frame i carries i in its first two payload bytes. 14 + 20 + 20 header bytes, payload at 54.
const PAY = 54;
function tagged(i: number, payload = 200): Uint8Array {
  const p = new Uint8Array(payload);
  p[0] = i >> 8;
  p[1] = i & 0xff;
  for (let k = 2; k < payload; k++) p[k] = (i * 7 + k) & 0xff;
  return frame()
    .tcp({ seq: i * payload, flags: 'A' })
    .payload(p)
    .build();
}
const tagOf = (f: Uint8Array): number => (f[PAY]! << 8) | f[PAY + 1]!;

function run(config: ImpairmentConfigInput, n = 10_000): { out: Collect; imp: Impairments; sent: Uint8Array[] } {
  const out = new Collect();
  const imp = new Impairments(out, { seed: 1234, ...config });
  const sent: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const f = tagged(i);
    sent.push(f);
    imp.transmit(f, f.length);
  }
  imp.flush();
  return { out, imp, sent };
}

function tcpChecksumOk(f: Uint8Array): boolean {
  const l4Len = f.length - 34;
  return fold(sumBytes(f, 34, l4Len, pseudoHeaderSum(f, 26, 30, IPPROTO.TCP, l4Len))) === 0xffff;
}
const ipChecksumOk = (f: Uint8Array): boolean => fold(sumBytes(f, 14, 20)) === 0xffff;

// Byte comparisons by loop: vitest's deep equality over ~10k Uint8Arrays per test is what made this file slow.
/** The offsets where `a` and `b` differ (within the shorter; a length difference is the caller's). */
function diffOffsets(a: Uint8Array, b: Uint8Array): number[] {
  const out: number[] = [];
  for (let k = 0; k < Math.min(a.length, b.length); k++) if (a[k] !== b[k]) out.push(k);
  return out;
}
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && diffOffsets(a, b).length === 0;
/** The indices i where frames[i] is not byte-for-byte expected[i] (and any index only one side has). */
function differingFrames(frames: readonly Uint8Array[], expected: readonly Uint8Array[]): number[] {
  const bad: number[] = [];
  for (let i = 0; i < Math.max(frames.length, expected.length); i++) {
    const f = frames[i],
      e = expected[i];
    if (f === undefined || e === undefined || !sameBytes(f, e)) bad.push(i);
  }
  return bad;
}

describe('Impairments', () => {
  it('passes frames through untouched when everything is off', () => {
    const { out, imp, sent } = run({}, 100);
    expect(imp.passThrough).toBe(true);
    expect(differingFrames(out.frames, sent)).toEqual([]);
    expect(imp.stats).toMatchObject({ offered: 100, forwarded: 100, lost: 0 });
  });

  it('loss: drops at the configured rate (exact count for the seed), never the same frame twice', () => {
    const { out, imp } = run({ loss: 0.1 });
    expect(imp.stats.lost).toBe(1023);
    expect(out.frames.length).toBe(10_000 - 1023);
    const tags = out.frames.map(tagOf);
    expect(tags).toEqual([...tags].sort((a, b) => a - b)); // order kept
  });

  it('duplicate: the copy follows the original, flagged', () => {
    const { out, imp } = run({ duplicate: 0.05 });
    expect(imp.stats.duplicated).toBe(466);
    expect(out.frames.length).toBe(10_466);
    let dups = 0;
    const unlike: number[] = [];
    for (let i = 1; i < out.frames.length; i++) {
      if (out.flags[i]! & FRAME_FLAG.DUPLICATE) {
        dups++;
        if (!sameBytes(out.frames[i]!, out.frames[i - 1]!)) unlike.push(i);
      }
    }
    expect(dups).toBe(466);
    expect(unlike, 'duplicates unlike their original').toEqual([]);
  });

  it('reorder: holds frames back at the rate and releases each after at most depth later frames', () => {
    for (const depth of [1, 3, 8]) {
      const { out, imp } = run({ reorder: { p: 0.1, depth } });
      expect(out.frames.length).toBe(10_000);
      expect(new Set(out.frames.map(tagOf)).size).toBe(10_000);
      expect(imp.stats.reordered + imp.stats.reorderSkipped).toBeGreaterThan(900);
      // how many later frames overtook each frame
      const tags = out.frames.map(tagOf);
      let maxOvertaken = 0,
        displaced = 0;
      const seen: number[] = [];
      tags.forEach((t) => {
        let overtaken = 0;
        for (let k = seen.length - 1; k >= 0 && k >= seen.length - 64; k--) if (seen[k]! > t) overtaken++;
        if (overtaken > 0) displaced++;
        maxOvertaken = Math.max(maxOvertaken, overtaken);
        seen.push(t);
      });
      expect(maxOvertaken).toBeLessThanOrEqual(depth);
      expect(maxOvertaken).toBe(depth);
      expect(displaced).toBe(imp.stats.reordered);
      expect(out.flags.filter((f) => f & FRAME_FLAG.REORDERED).length).toBe(imp.stats.reordered);
    }
    const { imp } = run({ reorder: { p: 0.1, depth: 3 } });
    expect(imp.stats.reordered).toBe(1013);
  });

  it('reorder: a held frame leaves after holdNs when no more frames come', () => {
    const clock = new VirtualClock();
    const out = new Collect();
    const imp = new Impairments(out, { seed: 5, reorder: { p: 1, depth: 2, holdNs: 1000 } }, clock);
    const f = tagged(1);
    imp.transmit(f, f.length);
    expect(out.frames.length).toBe(0);
    expect(imp.heldFrames()).toBe(1);
    clock.run();
    expect(clock.now).toBe(1000);
    expect(out.frames.map(tagOf)).toEqual([1]);
    expect(imp.stats.reorderTimeoutReleases).toBe(1);
  });

  it('corrupt payload: one byte of the payload changed, TCP checksum stale, IP checksum fine', () => {
    const { out, imp, sent } = run({ corrupt: { p: 0.02, where: 'payload' } });
    expect(imp.stats.corrupted).toBe(208);
    let n = 0;
    const wrong: string[] = [];
    out.frames.forEach((f, i) => {
      const diff = diffOffsets(f, sent[i]!);
      if (out.flags[i]! & FRAME_FLAG.CORRUPTED) {
        n++;
        if (diff.length !== 1 || diff[0]! < PAY || tcpChecksumOk(f) || !ipChecksumOk(f))
          wrong.push(`frame ${i}: changed at ${diff.join(',')}`);
      } else if (diff.length !== 0 || f.length !== sent[i]!.length)
        wrong.push(`frame ${i}: not corrupted, yet changed at ${diff.join(',')}`);
    });
    expect(wrong).toEqual([]);
    expect(n).toBe(208);
  });

  it('corrupt header: one byte of the IP/TCP headers changed', () => {
    const { out, imp, sent } = run({ corrupt: { p: 0.02, where: 'header' } });
    expect(imp.stats.corrupted).toBe(208);
    const wrong: string[] = [];
    out.frames.forEach((f, i) => {
      if (!(out.flags[i]! & FRAME_FLAG.CORRUPTED)) return;
      const diff = diffOffsets(f, sent[i]!);
      if (diff.length !== 1 || diff[0]! < 14 || diff[0]! >= PAY || (ipChecksumOk(f) && tcpChecksumOk(f)))
        wrong.push(`frame ${i}: changed at ${diff.join(',')}`);
    });
    expect(wrong).toEqual([]);
  });

  it('bad checksum: the TCP or IP checksum field altered, nothing else', () => {
    for (const which of ['tcp', 'ip', 'any'] as const) {
      const { out, imp, sent } = run({ badChecksum: { p: 0.03, which } });
      let tcp = 0,
        ip = 0;
      const untouchedButChanged: number[] = [];
      out.frames.forEach((f, i) => {
        const diff = diffOffsets(f, sent[i]!);
        if (!(out.flags[i]! & FRAME_FLAG.BAD_CSUM)) {
          if (diff.length !== 0 || f.length !== sent[i]!.length) untouchedButChanged.push(i);
          return;
        }
        if (diff.every((k) => k === 50 || k === 51)) {
          tcp++;
          expect(tcpChecksumOk(f)).toBe(false);
        } else if (diff.every((k) => k === 24 || k === 25)) {
          ip++;
          expect(ipChecksumOk(f)).toBe(false);
        } else throw new Error(`unexpected change at ${diff.join(',')}`);
      });
      expect(untouchedButChanged).toEqual([]);
      expect(tcp + ip).toBe(imp.stats.badChecksum);
      if (which === 'tcp') expect([tcp, ip]).toEqual([300, 0]);
      if (which === 'ip') expect([tcp, ip]).toEqual([0, 300]);
      if (which === 'any') expect([tcp, ip]).toEqual([156, 141]);
    }
  });

  it('truncate: the frame cut after the IP header, the lengths left as they were', () => {
    const { out, imp, sent } = run({ truncate: 0.01 });
    expect(imp.stats.truncated).toBe(120);
    const wrong: number[] = [];
    out.frames.forEach((f, i) => {
      const s = sent[i]!;
      const ok =
        out.flags[i]! & FRAME_FLAG.TRUNCATED
          ? f.length < s.length && f.length >= 34 && sameBytes(f, s.subarray(0, f.length))
          : sameBytes(f, s);
      if (!ok) wrong.push(i);
    });
    expect(wrong).toEqual([]);
  });

  it('pad: 1..maxBytes zero bytes appended after the IP packet', () => {
    const { out, imp, sent } = run({ pad: { p: 0.05, maxBytes: 6 } });
    expect(imp.stats.padded).toBe(493);
    const extra = new Set<number>();
    out.frames.forEach((f, i) => {
      const s = sent[i]!;
      if (!sameBytes(f.subarray(0, s.length), s)) throw new Error(`frame ${i}: the IP packet changed`);
      const n = f.length - s.length;
      if (out.flags[i]! & FRAME_FLAG.PADDED) {
        extra.add(n);
        expect([...f.subarray(s.length)].every((b) => b === 0)).toBe(true);
      } else expect(n).toBe(0);
    });
    expect([...extra].sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('counts are the same whichever other impairments are on (one PRNG per kind), and a seed repeats exactly', () => {
    const alone = run({ duplicate: 0.05 }).imp.stats.duplicated;
    const mixed = run({ duplicate: 0.05, corrupt: { p: 0.3 }, pad: { p: 0.2 } });
    expect(mixed.imp.stats.duplicated).toBe(alone);
    const again = run({ duplicate: 0.05, corrupt: { p: 0.3 }, pad: { p: 0.2 } });
    const digest = (fs: Uint8Array[]): string => {
      const h = new StreamHash();
      for (const f of fs) h.update(f, 0, f.length);
      return h.digest();
    };
    expect(digest(again.out.frames)).toBe(digest(mixed.out.frames));
    expect(again.out.frames.length).toBe(mixed.out.frames.length);
  });

  it('rejects a probability above 1 naming the field', () => {
    expect(() => new Impairments(new Collect(), { loss: 1.5 })).toThrow(TrafficConfigError);
    expect(() => new Impairments(new Collect(), { loss: 1.5 })).toThrow(
      /loss: 1\.5 — Too big: expected number to be <=1/,
    );
    expect(() => new Impairments(new Collect(), { reorder: { p: 0.1, depth: 0 } })).toThrow(/reorder\.depth: 0/);
  });
});

describe('loss recovery', () => {
  it('every flow delivers its whole stream under 10 % loss and reordering (and corruption)', () => {
    const clock = new VirtualClock();
    const rx = new FakeReceiver(clock, { ackDelayNs: 5_000 });
    const log = new TraceLog();
    const { partner, impairments } = createLinkPartner(
      clock,
      rx,
      {
        seed: 77,
        rateGbps: 10,
        rtoNs: 200_000,
        impairments: {
          loss: 0.1,
          reorder: { p: 0.1, depth: 4 },
          duplicate: 0.02,
          corrupt: { p: 0.02 },
          truncate: 0.01,
        },
        flows: [
          { kind: 'bulk', bytes: 300_000, count: 3, sendWindow: 32768 },
          { kind: 'messages', sport: 41000, messageBytes: 300, messages: 50, thinkNs: 2_000 },
          { kind: 'rr', sport: 42000, requestBytes: 5000, requests: 10 },
        ],
      },
      log,
    );
    rx.partner = partner;
    let doneAt = -1;
    partner.onAllAcked = () => {
      doneAt = clock.now;
    };
    partner.start();
    clock.run(1e10);
    expect(doneAt).toBeGreaterThan(0);
    expect(partner.allAcked()).toBe(true);
    const exp = partner.expectedFlows();
    expect(exp.map((e) => e.bytes)).toEqual([300_000, 300_000, 300_000, 15_000, 50_000]);
    expect(rx.check(exp)).toEqual([true, true, true, true, true]);
    const st = impairments!.stats;
    expect(st.lost).toBeGreaterThan(0.08 * st.offered);
    expect(st.reordered).toBeGreaterThan(0);
    const reps = partner.flowReports();
    expect(reps.every((r) => r.retransmits > 0)).toBe(true);
    expect(reps.some((r) => r.fastRetransmits > 0)).toBe(true);
    expect(reps.some((r) => r.timeouts > 0)).toBe(true);
    // every loss, fast retransmit and timeout is in the trace with its reason
    const count = (reason: string) => log.events.filter((e) => e.reason === reason).length;
    expect(count('impair_loss')).toBe(st.lost);
    expect(count('impair_reorder')).toBe(st.reordered);
    expect(count('fast_retransmit')).toBe(reps.reduce((n, r) => n + r.fastRetransmits, 0));
    expect(count('rto')).toBe(reps.reduce((n, r) => n + r.timeouts, 0));
    expect(log.events.every((e) => e.layer === 'traffic')).toBe(true);
  });

  it('recovers a whole stream when the host closes its window (zero-window probe on the timer)', () => {
    const clock = new VirtualClock();
    const rx = new FakeReceiver(clock, { ackDelayNs: 2_000, window: 0 });
    const { partner } = createLinkPartner(clock, rx, {
      rateGbps: 10,
      rtoNs: 50_000,
      flows: [{ kind: 'bulk', bytes: 10 * 1448 }],
    });
    rx.partner = partner;
    partner.start();
    clock.run(1e9);
    expect(partner.allAcked()).toBe(true);
    expect(rx.check(partner.expectedFlows())).toEqual([true]);
    expect(partner.flowReports()[0]!.windowLimited).toBeGreaterThan(0);
  });
});
