// Robustness at the edges: mutated and truncated pcap/pcapng files (a corpus generated here) through
// the whole lab, records claiming 4 GiB, config files with wrong types, unknown keys and
// out-of-range values, and bad flags on every CLI command — a clear one-line error, never a crash.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../drivers/index.ts';
import { CaptureError, CaptureWriter } from '../tap/index.ts';
import { runLab, LabError, parseLabConfig } from '../lab/run.ts';
import { Prng } from '../sim/prng.ts';
import { vnic } from './support/cli.ts';
import { buildCase, allCombos } from '../fuzz/index.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'vnic-robust-'));

/** A small capture of 40 records from the fuzzer's case builder: valid flows, and hostile frames when asked. */
function corpusBase(format: 'pcap' | 'pcapng', hostileShare: number): Uint8Array {
  const path = join(dir, `base.${format}`);
  const c = buildCase({ seed: 42, combo: allCombos()[0]!, frames: 40, hostileShare });
  const w = CaptureWriter.open(path, { format, nanosecond: true });
  for (const r of c.records)
    w.write({
      tsSec: 1,
      tsNsec: r.index * 1200,
      data: r.data,
      ...(format === 'pcapng' && r.index % 7 === 0 ? { comment: `record ${r.index}` } : {}),
    });
  w.close();
  return new Uint8Array(readFileSync(path));
}

interface Outcome {
  kind: 'ok' | 'capture-error' | 'other';
  offset?: number;
  message?: string;
}

/**
 * Replays the file through the lab; a CaptureError must name the file and a byte offset inside it.
 * `streams`: also require intact byte streams (only meaningful when every frame is valid: the
 * expectations are assembled from the capture, so a damaged segment would poison them).
 */
function replay(path: string, batch: 'timestamps' | 'all', size: number, streams: boolean): Outcome {
  try {
    const r = runLab({ model: 'myri10ge', engine: 'lro', batch, capture: { path } });
    if (!r.conservation.ok) return { kind: 'other', message: `conservation ${JSON.stringify(r.conservation)}` };
    if (streams && !r.report.allStreamsOk) return { kind: 'other', message: 'byte streams' };
    return { kind: 'ok' };
  } catch (e) {
    if (e instanceof CaptureError) {
      if (!(e.offset >= 0 && e.offset <= size))
        return { kind: 'other', message: `offset ${e.offset} outside the file (${size})` };
      if (!e.message.startsWith(`${path}: `) || !/byte \d+|empty file/.test(e.message) || e.message.includes('\n'))
        return { kind: 'other', message: e.message };
      return { kind: 'capture-error', offset: e.offset, message: e.message };
    }
    return { kind: 'other', message: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

describe('captures truncated at every offset, through the whole lab', () => {
  for (const format of ['pcap', 'pcapng'] as const) {
    it(`${format}: each cut replays with intact streams or stops with a CaptureError naming an offset in the file`, () => {
      const base = corpusBase(format, 0);
      const counts = { ok: 0, 'capture-error': 0, other: 0 };
      const others: string[] = [];
      const path = join(dir, `cut.${format}`);
      // every offset of the headers, then a stride through the records (tap/ tests cut the reader at every offset)
      const step = Math.max(1, Math.floor(base.length / 150));
      for (let n = 0; n <= base.length; n = n < 80 ? n + 1 : n + step) {
        writeFileSync(path, base.subarray(0, n));
        const o = replay(path, n % 2 === 0 ? 'timestamps' : 'all', n, true);
        counts[o.kind]++;
        if (o.kind === 'other') others.push(`${n}: ${o.message}`);
      }
      expect(others).toEqual([]);
      expect(counts.ok).toBeGreaterThan(0); // cuts at record boundaries
      expect(counts['capture-error']).toBeGreaterThan(counts.ok);
    });
  }
});

describe('mutated captures (flipped bytes, a seeded corpus)', () => {
  for (const format of ['pcap', 'pcapng'] as const) {
    it(`${format}: 120 mutants replay with every frame accounted for, or fail with a CaptureError; nothing else escapes`, () => {
      const base = corpusBase(format, 0.3);
      const rng = new Prng(format === 'pcap' ? 1 : 2);
      const path = join(dir, `mut.${format}`);
      const others: string[] = [];
      let errors = 0;
      for (let i = 0; i < 120; i++) {
        const m = base.slice();
        const flips = 1 + rng.int(4);
        // bias to the headers: the first 64 bytes and each record header are where the lengths live
        for (let k = 0; k < flips; k++) {
          const at = rng.chance(0.3) ? rng.int(64) : rng.int(m.length);
          m[at] = rng.int(256);
        }
        writeFileSync(path, m);
        const o = replay(path, 'timestamps', m.length, false);
        if (o.kind === 'other') others.push(`mutant ${i}: ${o.message}`);
        if (o.kind === 'capture-error') errors++;
      }
      expect(others).toEqual([]);
      expect(errors).toBeGreaterThan(0);
    });
  }
});

function le32(v: number): number[] {
  return [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24];
}

describe('records claiming 4 GiB', () => {
  it('classic pcap: the lab stops at the record with its offset, without allocating it', () => {
    const rec = (len: number, cap: number): number[] => [...le32(1), ...le32(0), ...le32(cap), ...le32(len)];
    const bytes = Uint8Array.from([
      ...le32(0xa1b2c3d4),
      2,
      0,
      4,
      0,
      ...le32(0),
      ...le32(0),
      ...le32(0xffffffff),
      ...le32(1),
      ...rec(60, 60),
      ...new Array<number>(60).fill(0),
      ...rec(0xfffffff0, 0xfffffff0),
      1,
      2,
      3,
    ]);
    const path = join(dir, 'huge.pcap');
    writeFileSync(path, bytes);
    const before = process.memoryUsage().arrayBuffers;
    const o = replay(path, 'timestamps', bytes.length, true);
    expect(o.kind).toBe('capture-error');
    expect(o.offset).toBe(24 + 16 + 60);
    expect(o.message).toBe(`${path}: record 2 at byte 100 claims 4294967280 bytes (limit 262144)`);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
  });

  it('a header-only record whose original length says 1.5 GB: refused with its offset, not rebuilt to that size', () => {
    // a damaged high byte of orig_len, as a byte-flip mutant made it: replay would rebuild the cut frame to 1.5 GB
    const rec = (len: number, cap: number): number[] => [...le32(1), ...le32(0), ...le32(cap), ...le32(len)];
    const bytes = Uint8Array.from([
      ...le32(0xa1b2c3d4),
      2,
      0,
      4,
      0,
      ...le32(0),
      ...le32(0),
      ...le32(96),
      ...le32(1),
      ...rec(60, 60),
      ...new Array<number>(60).fill(0),
      ...rec(0x5a0005dc, 60),
      ...new Array<number>(60).fill(0),
    ]);
    const path = join(dir, 'orig-len.pcap');
    writeFileSync(path, bytes);
    const before = process.memoryUsage().arrayBuffers;
    const o = replay(path, 'timestamps', bytes.length, true);
    expect(o.kind).toBe('capture-error');
    expect(o.offset).toBe(24 + 16 + 60);
    expect(o.message).toBe(
      `${path}: record 2 at byte 100 says 1509950940 bytes were on the wire (limit 1048576): its length field is damaged`,
    );
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
  });
});

describe('config files', () => {
  const cases: [string, unknown, RegExp][] = [
    ['wrong type', { model: 42, traffic: { flows: [{ kind: 'bulk', bytes: 1000 }] } }, /^run config: model: /],
    ['unknown key', { modle: 'ehea', traffic: { flows: [{ kind: 'bulk', bytes: 1000 }] } }, /modle/],
    ['out of range', { mtu: 20, traffic: { flows: [{ kind: 'bulk', bytes: 1000 }] } }, /^run config: mtu: /],
    ['out of range, nested', { pollBudget: 0, traffic: { flows: [{ kind: 'bulk', bytes: 1000 }] } }, /pollBudget/],
    ['neither traffic nor capture', { model: 'ehea' }, /exactly one of traffic or capture/],
  ];
  for (const [name, cfg, re] of cases) {
    it(`${name}: a LabError naming the field`, () => {
      expect(() => parseLabConfig(cfg)).toThrow(LabError);
      expect(() => parseLabConfig(cfg)).toThrow(re);
    });
  }

  it('a bad traffic field names its path', () => {
    expect(() => runLab({ traffic: { flows: [{ kind: 'bulk', bytes: 1000, mss: 'big' }] } })).toThrow(
      /flows\[0\]\.mss/,
    );
    expect(() => runLab({ traffic: { flows: [{ kind: 'bulk', bytes: 1000 }], impairments: { loss: 2 } } })).toThrow(
      /impairments\.loss/,
    );
    expect(() => runLab({ traffic: { flows: [{ kind: 'bulk', bytes: 1000, colour: 'red' }] } })).toThrow(/colour/);
  });

  it('a bad model config field names the model and field', () => {
    expect(() =>
      runLab({ modelConfig: { rq2Entries: 3 }, traffic: { flows: [{ kind: 'bulk', bytes: 1000 }] } }),
    ).toThrow(/rq2Entries/);
    expect(() =>
      runLab({ modelConfig: { warpDrive: true }, traffic: { flows: [{ kind: 'bulk', bytes: 1000 }] } }),
    ).toThrow(/warpDrive/);
  });
});

describe('the CLI: bad flags and bad input exit 2 with one line', () => {
  it('every command, an unknown flag and a bad value; a config file with a bad field; a 4 GiB record', async () => {
    const hugePath = join(dir, 'huge-cli.pcap');
    writeFileSync(
      hugePath,
      Uint8Array.from([
        ...le32(0xa1b2c3d4),
        2,
        0,
        4,
        0,
        ...le32(0),
        ...le32(0),
        ...le32(65535),
        ...le32(1),
        ...le32(1),
        ...le32(0),
        ...le32(0xfffffff0),
        ...le32(0xfffffff0),
      ]),
    );
    const cfgPath = join(dir, 'bad-config.json');
    writeFileSync(cfgPath, JSON.stringify({ pollBudget: 'many', traffic: { flows: [{ kind: 'bulk', bytes: 1000 }] } }));
    const notJson = join(dir, 'not.json');
    writeFileSync(notJson, '{ "model": ');
    const runs: [string[], RegExp][] = [
      [['run', '--no-such-flag'], /unknown option/],
      [['run', '--poll-budget', 'x'], /--poll-budget/],
      [['run', '--config', cfgPath], /pollBudget/],
      [['run', '--config', notJson], /not valid JSON/],
      [['run', '--config', join(dir, 'missing.json')], /missing\.json/],
      [['replay', '--no-such-flag', 'x.pcap'], /unknown option/],
      [['replay', join(dir, 'missing.pcap')], /missing\.pcap/],
      [['replay', hugePath], /claims 4294967280 bytes/],
      [['replay', hugePath, '--engine', 'turbo'], /turbo/],
      [['models', '--no-such-flag'], /unknown option/],
      [['drivers', '--no-such-flag'], /unknown option/],
      [['scenarios', '--no-such-flag'], /unknown option/],
      [['trace', '--no-such-flag'], /unknown option/],
      [['matrix', '--no-such-flag'], /unknown option/],
      [['report', '--no-such-flag'], /unknown option/],
      [['no-such-command'], /unknown command/],
    ];
    // in-process (test/support/cli.ts): the same program and streams as the bin, which cli/bin.test.ts spawns
    const results = await Promise.all(runs.map(([a]) => vnic(a)));
    results.forEach((r, i) => {
      const [args, re] = runs[i]!;
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
      const lines = r.stderr.trimEnd().split('\n');
      expect([args.join(' '), lines.length]).toEqual([args.join(' '), 1]);
      expect(lines[0]).toMatch(/^vnic: /);
      expect(lines[0]).toMatch(re);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }, 60_000);

  it('the fuzz command too', async () => {
    const fuzz = (args: string[]): Promise<{ code: number | null; stderr: string }> =>
      new Promise((resolve) => {
        // the built entry (test/built-bin.ts rebuilt dist/ before any test ran), as the spawned vnic tests run the
        // built bin: four starts through tsx cost about four CPU-seconds more
        const p = spawn(process.execPath, ['dist/cli/fuzz-main.js', ...args], { cwd: ROOT });
        let stderr = '';
        p.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
        });
        p.on('close', (code) => resolve({ code, stderr }));
      });
    const rs = await Promise.all([
      fuzz(['--frames', 'lots']),
      fuzz(['--bogus']),
      fuzz(['--hostile-share', '2']),
      fuzz(['--combo', 'ehea/e1000/lro']),
    ]);
    for (const r of rs) {
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^fuzz: /);
    }
  }, 60_000);
});
