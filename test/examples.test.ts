// Every example runs as its docs say (`npx tsx examples/<name>.ts`, exit 0, its key output), and what it
// demonstrates holds: the example drivers aggregate, keep every byte stream intact and account for every
// frame (also on an impaired link); docs/driver-guide.md quotes only code that is in examples/.
// Each example's main() runs once, in this process (what it printed and returned is shared by the tests
// below); one example is also spawned through tsx, the way the docs run them, and must print the same.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runLab, type LabConfig } from '../lab/index.ts';
import { readCapture } from '../tap/index.ts';
import { main as minimalMain } from '../examples/minimal-driver.ts';
import { main as eheaStyleMain } from '../examples/ehea-style-driver.ts';
import { main as fragsStyleMain } from '../examples/frags-style-driver.ts';
import { main as replayMain } from '../examples/replay-capture.ts';
import { main as featureMatrixMain } from '../examples/feature-matrix.ts';
import { main as runConfigMain } from '../examples/run-config.ts';
import { main as customModelMain } from '../examples/custom-model.ts';
import { vnic } from './support/cli.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);
const tsx = (args: string[]) => run(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, maxBuffer: 1 << 24, env: { ...process.env, NO_COLOR: '1' } });
/** What `fn` printed with console.log, and what it returned. */
const printed = <T>(fn: () => T): { out: string; result: T } => {
  const log = console.log;
  let out = '';
  console.log = (...a: unknown[]) => { out += `${a.map(String).join(' ')}\n`; };
  try { const result = fn(); return { out, result }; } finally { console.log = log; }
};
/** Each example's main(), run once on first use: `npx tsx examples/<name>.ts` calls it and nothing else. */
const MAINS: Record<string, () => unknown> = {
  'minimal-driver.ts': minimalMain, 'ehea-style-driver.ts': eheaStyleMain, 'frags-style-driver.ts': fragsStyleMain,
  'feature-matrix.ts': featureMatrixMain, 'replay-capture.ts': replayMain, 'run-config.ts': () => runConfigMain(),
  'custom-model.ts': customModelMain,
};
const ran = new Map<string, { out: string; result: unknown }>();
function example<T>(file: string): { out: string; result: T } {
  if (!ran.has(file)) ran.set(file, printed(MAINS[file]!));
  return ran.get(file)! as { out: string; result: T };
}
/** An example's main() result (printed output aside): its one run in this file. */
const quiet = <T>(main: () => T): T => example<T>(Object.keys(MAINS).find((f) => MAINS[f] === main)!).result;

describe('every example runs with npx tsx examples/<name>.ts', () => {
  const expected: Record<string, RegExp> = {
    'minimal-driver.ts': /minimal, lro[\s\S]*every byte stream intact\s+yes\s+yes/,
    'ehea-style-driver.ts': /ehea-style, lro[\s\S]*every byte stream intact\s+yes\s+yes\s+yes/,
    'frags-style-driver.ts': /frags-style, lro[\s\S]*every byte stream intact\s+yes\s+yes\s+yes/,
    'feature-matrix.ts': /e1000 \+ software checksum[\s\S]*why not:/,
    'replay-capture.ts': /LRO: 1460 frames in → \d+ packets to the stack, streams intact: yes/,
    'run-config.ts': /examples\/scenario\.json[\s\S]*every byte stream intact\s+yes\s+yes\s+yes/,
    'custom-model.ts': /length 1448[\s\S]*"rx_packets":3,[\s\S]*"rx_runts_padded":1/,
  };

  it('covers every .ts example in examples/ (tests aside)', () => {
    const files = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort();
    expect(files).toEqual(Object.keys(expected).sort());
  });

  it('each prints what the docs show, and runs its main() when run as a script (its last line)', () => {
    for (const f of Object.keys(expected)) {
      expect(example(f).out, f).toMatch(expected[f]!);
      const last = readFileSync(join(ROOT, 'examples', f), 'utf8').trimEnd().split('\n').at(-1);
      expect(last, f).toMatch(/^if \(import\.meta\.url === pathToFileURL\(process\.argv\[1\] \?\? ''\)\.href\) main\((process\.argv\[2\])?\);$/);
    }
  });

  it('npx tsx examples/custom-model.ts exits 0 and prints what its main() prints here', async () => {
    const r = await tsx(['examples/custom-model.ts']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(example('custom-model.ts').out);
  });

  it('examples/scenario.json runs with vnic run --config (exit 0, every engine)', async () => {
    const r = await vnic(['run', '--config', join(ROOT, 'examples/scenario.json'), '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { runs: { label: string; allStreamsOk: boolean }[] };
    expect(out.runs.map((x) => [x.label, x.allStreamsOk])).toEqual([['LRO/GRO off', true], ['LRO', true], ['GRO', true]]);
  });

  it('the minimal driver runs under vnic run --driver minimal when its module is imported (this file imports it)', async () => {
    const r = await vnic(['run', '--model', 'mq', '--driver', 'minimal', '--scenario', 'bulk-1flow', '--engine', 'lro', '--json']);
    expect(r.code).toBe(0);
    const rep = (JSON.parse(r.stdout) as { runs: { lro: { avgAggr: number }; allStreamsOk: boolean }[] }).runs[0]!;
    expect(rep.allStreamsOk).toBe(true);
    expect(rep.lro.avgAggr).toBeGreaterThan(10);
  });
});

describe('examples/minimal-driver.ts', () => {
  it('is under 100 lines, comments included', () => {
    expect(readFileSync(join(ROOT, 'examples/minimal-driver.ts'), 'utf8').trimEnd().split('\n').length).toBeLessThan(100);
  });

  it('aggregates bulk traffic (avg aggr > 10), every stream intact, every frame accounted for', () => {
    const [off, lro] = quiet(minimalMain);
    expect(off!.report.lro.enabled).toBe(false);
    expect(off!.report.framesToStack).toBe(off!.report.framesIn);
    expect(lro!.report.lro.avgAggr).toBeGreaterThan(10);
    expect(lro!.report.framesToStack * 4).toBeLessThan(lro!.report.framesIn);
    for (const r of [off!, lro!]) {
      expect(r.report.allStreamsOk).toBe(true);
      expect(r.report.bytesVerified).toBe(4 << 20);
      expect(r.conservation).toMatchObject({ ok: true, held: 0 });
    }
  });
});

/** The conformance checks of test/drivers.conformance.test.ts, for the example drivers. */
const impaired = { rateGbps: 10, seed: 7, bytesPerFlow: 256 << 10, flows: [{ kind: 'bulk', count: 3 }],
  impairments: { loss: 0.01, reorder: { p: 0.02, depth: 4 }, duplicate: 0.01, corrupt: { p: 0.005 } } };
function conformance(base: LabConfig): void {
  for (const engine of ['off', 'lro'] as const) {
    const r = runLab({ ...base, engine, traffic: impaired });
    expect(r.conservation, engine).toMatchObject({ ok: true, held: 0 });
    expect(r.report.allStreamsOk, engine).toBe(true);
    expect(r.report.bytesVerified, engine).toBe(3 * (256 << 10));
  }
  const a = runLab({ ...base, engine: 'lro', traffic: impaired }), b = runLab({ ...base, engine: 'lro', traffic: impaired });
  expect(JSON.stringify(b.report)).toBe(JSON.stringify(a.report));
}

describe('examples/ehea-style-driver.ts', () => {
  it('aggregates tagged and untagged flows like drivers/ehea, streams intact', () => {
    const [off, lro, sample] = quiet(eheaStyleMain);
    expect(off!.report.allStreamsOk && lro!.report.allStreamsOk && sample!.report.allStreamsOk).toBe(true);
    expect(lro!.report.lro.avgAggr).toBeGreaterThan(5);
    expect(lro!.report.framesToStack).toBeLessThanOrEqual(Math.ceil(sample!.report.framesToStack * 1.05));
    expect(lro!.conservation.ok && off!.conservation.ok).toBe(true);
    // both VLAN-100 flows aggregated: fewer packets than segments on every flow
    for (const [name, f] of Object.entries(lro!.report.flows)) if (f.bytesDelivered > 0 && f.segmentsIn > 100) expect(f.packetsToStack, name).toBeLessThan(f.segmentsIn / 4);
  });

  it('passes the driver conformance checks (impaired link, determinism)', () => conformance({ model: 'ehea', driver: 'ehea-style' }));
});

describe('examples/frags-style-driver.ts', () => {
  it('aggregates in frags mode, streams intact', () => {
    const [off, lro, sample] = quiet(fragsStyleMain);
    expect(off!.report.allStreamsOk && lro!.report.allStreamsOk && sample!.report.allStreamsOk).toBe(true);
    expect(lro!.report.lro.avgAggr).toBeGreaterThan(3);
    expect(lro!.report.framesToStack).toBeLessThanOrEqual(Math.ceil(sample!.report.framesToStack * 1.2));
    expect(lro!.conservation.ok && off!.conservation.ok).toBe(true);
  });

  it('clamps max_aggr to MAX_SKB_FRAGS: a long poll over a real capture makes aggregates of exactly 18', () => {
    const r = runLab({ model: 'myri10ge', driver: 'frags-style', engine: 'lro', batch: 'all', pollBudget: 1_000_000,
      capture: { path: join(ROOT, 'test/captures/bulk_mtu1500.tx.pcap'), onlyTo: '10.77.0.2' } });
    expect(r.report.allStreamsOk).toBe(true);
    const sizes = r.report.counters['aggregateSizes']!;
    expect(Math.max(...Object.keys(sizes).map(Number))).toBe(18);          // a 1448-byte segment is one page chunk
    expect(sizes['18']).toBeGreaterThan(70);
  });

  it('passes the driver conformance checks (impaired link, determinism)', () => conformance({ model: 'myri10ge', driver: 'frags-style' }));

  it('refuses corrupted segments in get_frag_header: none ends up inside an aggregate', () => {
    const r = runLab({ model: 'myri10ge', driver: 'frags-style', engine: 'lro',
      traffic: { rateGbps: 10, seed: 5, bytesPerFlow: 1 << 20, flows: [{ kind: 'bulk' }], impairments: { corrupt: { p: 0.02 } } } });
    expect(r.report.allStreamsOk).toBe(true);
    expect(r.report.lro.reasons['bypass_not_lro']).toBeGreaterThan(0);
  });
});

describe('examples/feature-matrix.ts', () => {
  it('says what support() says, and every supported pair runs intact', () => {
    const rows = quiet(featureMatrixMain);
    const cell = (hw: string, e: string) => rows.find((r) => r.hardware === hw && r.engine === e)!;
    expect(cell('e1000', 'lro').ok).toBe(false);
    expect(cell('e1000 + software checksum', 'lro').ok).toBe(true);
    expect(cell('ehea, rx checksum off', 'lro').ok).toBe(false);
    expect(cell('myri10ge, rx checksum off', 'lro').ok).toBe(false);
    expect(rows.filter((r) => r.ok).every((r) => r.intact === true)).toBe(true);
    expect(rows.filter((r) => r.ok && r.engine !== 'off').every((r) => r.ratio! > 3)).toBe(true);
  });
});

describe('examples/replay-capture.ts', () => {
  it('replays the capture through GRO and LRO and writes readable pcaps to the temp folder', () => {
    const results = quiet(replayMain);
    try {
      for (const { engine, out, run: r } of results) {
        expect(r.report.allStreamsOk, engine).toBe(true);
        expect(statSync(out).size, engine).toBeGreaterThan(2 << 20);
        expect([...readCapture(out)].length, engine).toBe(r.report.framesToStack);
      }
      const [gro, lro] = results;
      expect(lro!.run.report.counters['aggregateSizes']!['45']).toBeGreaterThan(gro!.run.report.counters['aggregateSizes']!['45']!);
    } finally { for (const r of results) rmSync(r.out, { force: true }); }
  });
});

describe('examples/run-config.ts', () => {
  it('loads examples/scenario.json and runs every engine the driver supports', () => {
    const runs = example<ReturnType<typeof runConfigMain>>('run-config.ts').result;
    expect(runs.map((r) => r.report.label)).toEqual(['myri10ge/off', 'myri10ge/lro', 'myri10ge/gro']);
    expect(runs.every((r) => r.report.allStreamsOk && r.conservation.ok)).toBe(true);
  });
});

describe('docs/driver-guide.md', () => {
  it('quotes only code that is compiled and tested: every ```ts block appears verbatim in examples/, drivers/ or this test', () => {
    const guide = readFileSync(join(ROOT, 'docs/driver-guide.md'), 'utf8');
    const files = [
      ...readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.ts')).map((f) => join('examples', f)),
      ...(readdirSync(join(ROOT, 'drivers'), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => join('drivers', f)),
      'test/examples.test.ts',
    ];
    const sources = files.map((f) => readFileSync(join(ROOT, f), 'utf8'));
    const blocks = [...guide.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThan(8);
    for (const b of blocks) expect(sources.some((s) => s.includes(b)), b.slice(0, 200)).toBe(true);
  });
});

describe('README.md', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

  it('keeps the set-up commands verbatim', () => {
    expect(readme).toContain('    npm ci && npm start    # the main demo\n    npm ci && npm test     # typecheck and every test\n');
  });

  it('links only to files that exist (docs/reliability.md is being written)', () => {
    const targets = [...readme.matchAll(/\]\(([^)#]+)(#[^)]*)?\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:/.test(t));
    expect(targets.length).toBeGreaterThan(10);
    for (const t of targets) if (t !== 'docs/reliability.md') expect(existsSync(join(ROOT, t)), t).toBe(true);
  });

  it('lists every example', () => {
    for (const f of readdirSync(join(ROOT, 'examples')).filter((x) => !x.endsWith('.test.ts'))) expect(readme, f).toContain(f);
  });
});
