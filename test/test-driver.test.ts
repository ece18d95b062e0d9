// `vnic test-driver`: every sample driver and example passes it; each copy of the minimal driver that breaks
// one rule on purpose (test/broken-drivers.ts) is reported with exactly that rule, where it broke and its
// fix; drivers load from a folder outside the repo (TypeScript and JavaScript ESM), CommonJS and broken
// files exit 2 naming file and line.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getDriver } from '../drivers/index.ts';
import { DRIVER_RULES, RULE_NAMES } from '../lab/driver-rules.ts';
import { testDriver, type MatrixPart } from '../lab/test-driver.ts';
import { loadUserModule } from '../cli/load.ts';
import { BROKEN_DRIVERS, BROKEN_FRAGS_DRIVER, brokenCopy } from './broken-drivers.ts';
import { type Ran, vnic, vnicProcess } from './support/cli.ts';
import { HELP_RULES } from '../cli/commands/test-driver.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MINIMAL = readFileSync(join(ROOT, 'examples/minimal-driver.ts'), 'utf8');
/** The `vnic` bin, spawned in the temp folder (outside the repository): how a user runs it. */
const vnicThere = (args: string[]) => vnicProcess(args, { cwd: dir });
/**
 * `vnic` in-process, working in the temp folder as a user there does (relative paths resolve there): for what
 * the bin's own start-up and TypeScript loader (tsx) take no part in.
 */
async function vnicInThere(args: string[]): Promise<Ran> {
  const back = process.cwd();
  process.chdir(dir);
  try {
    return await vnic(args);
  } finally {
    process.chdir(back);
  }
}

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vnic-driver-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/**
 * The part of the matrix each broken copy runs: the runs that catch every defect of test/broken-drivers.ts (the
 * budget rules need a poll that uses its budget, the checksum rule corrupted traffic with LRO, the silent drop
 * the three-flow traffic, the rest any run), with both engines the minimal driver has: 12 runs instead of 65. The whole
 * matrix still runs for the good drivers (the examples below, test/drivers.conformance.test.ts) and for the broken
 * copy that `vnic test-driver` reports below.
 */
const CATCHING: MatrixPart = { configs: ['defaults', 'pollBudget=2'], traffic: ['clean', 'corrupted', 'vlan-mixed'] };

describe('each rule broken on purpose in a copy of the minimal driver is reported, alone', () => {
  it('the table breaks every rule once (and vnic test-driver --help lists the same rules)', () => {
    expect(BROKEN_DRIVERS.map((b) => b.rule).sort()).toEqual([...RULE_NAMES].sort());
    expect(HELP_RULES).toEqual(RULE_NAMES);
  });
  for (const b of BROKEN_DRIVERS) {
    it(`${b.rule}: ${b.why}`, async () => {
      const file = join(dir, `broken-${b.rule}.ts`);
      writeFileSync(file, brokenCopy(MINIMAL, b, `broken-${b.rule}`));
      await loadUserModule(file, 'test');
      const r = testDriver(getDriver(`broken-${b.rule}`)!, undefined, CATCHING);
      expect(r.runs.length).toBe(2 * 2 * 3);
      expect(r.ok).toBe(false);
      expect(r.broken.map((x) => x.rule)).toEqual([b.rule]);
      const v = r.broken[0]!.first.violation;
      expect(v.where).toMatch(
        b.rule === 'buffer-leak' || b.rule === 'conservation' || b.rule === 'byte-stream'
          ? /^end of run$/
          : /^poll \d+ \(broken-\S+ \w|^poll \d+ \(min-rx\d+, t=/,
      );
      expect(v.detail.length).toBeGreaterThan(10);
    });
  }
});

describe('the checksum rule in frags mode (page fragments, verified in get_frag_header)', () => {
  it(`${BROKEN_FRAGS_DRIVER.why}: reported as unverified-checksum-to-lro alone`, async () => {
    const source = readFileSync(join(ROOT, 'examples/frags-style-driver.ts'), 'utf8');
    const file = join(dir, 'broken-frags.ts');
    writeFileSync(file, brokenCopy(source, BROKEN_FRAGS_DRIVER, 'broken-frags', 'frags-style'));
    await loadUserModule(file, 'test');
    const r = testDriver(getDriver('broken-frags')!, undefined, CATCHING);
    expect(r.runs.length).toBe(2 * 2 * 3);
    expect(r.broken.map((x) => x.rule)).toEqual(['unverified-checksum-to-lro']);
    const v = r.broken[0]!.first.violation;
    expect(v.where).toMatch(/^poll \d+ \(frags-style-slice\d+, t=/);
    expect(v.detail).toMatch(
      /joined an LRO session in frags mode with a bad (TCP|IPv4 header) checksum: get_frag_header accepted it unverified$/,
    );
  });
});

describe('the example drivers pass (the sample drivers: test/drivers.conformance.test.ts)', () => {
  for (const example of ['minimal-driver.ts', 'ehea-style-driver.ts', 'frags-style-driver.ts']) {
    it(`examples/${example}`, async () => {
      const name = /registerDriver\(\{\s*name: '([^']+)'/.exec(
        readFileSync(join(ROOT, 'examples', example), 'utf8'),
      )![1]!;
      await loadUserModule(join(ROOT, 'examples', example), 'test');
      const r = testDriver(getDriver(name)!);
      expect(r.broken).toEqual([]);
      expect(r.runs.length).toBeGreaterThan(20);
    });
  }
});

describe('a driver written in a folder outside the repo', () => {
  it('loads with --load (TypeScript, imports by package name), runs, and passes vnic test-driver (exit 0)', async () => {
    const file = join(dir, 'my-driver.ts');
    writeFileSync(file, MINIMAL.replaceAll(`'minimal'`, `'my-driver'`));
    const spawned = vnicThere([
      '--load',
      file,
      'run',
      '--model',
      'mq',
      '--driver',
      'my-driver',
      '--engine',
      'lro',
      '--json',
    ]);
    // the spawn is the bin loading a TypeScript driver from outside the repo; the verdict is the same in-process
    // (and runs on the other core meanwhile)
    const t = await vnicInThere(['test-driver', './my-driver.ts', '--json']);
    const run = await spawned;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).runs[0].allStreamsOk).toBe(true);
    expect(t.code).toBe(0);
    const out = JSON.parse(t.stdout) as { ok: boolean; drivers: { driver: string; broken: unknown[] }[] };
    expect(out.ok).toBe(true);
    expect(out.drivers.map((d) => [d.driver, d.broken])).toEqual([['my-driver', []]]);
  }, 180_000);

  // a copy of the e1000 driver: the smallest matrix of the sample drivers (60 runs; mq's 125 run in
  // test/drivers.conformance.test.ts), since what this case adds is the .mjs loading
  it('JavaScript ESM (.mjs) loads the same way', async () => {
    const file = join(dir, 'tiny.mjs');
    writeFileSync(
      file,
      `import { registerDriver, getDriver } from 'vnic-lab/drivers';
const e1000 = getDriver('e1000');
registerDriver({ ...e1000, name: 'tiny-js', summary: 'the e1000 driver under another name' });
`,
    );
    const r = await vnic(['test-driver', file]);
    expect(r.stdout).toMatch(/driver tiny-js: every rule holds/);
    expect(r.code).toBe(0);
  });

  it('a broken copy exits 1 and names the rule, where it broke and the fix', async () => {
    const b = BROKEN_DRIVERS.find((x) => x.rule === 'engine-not-flushed')!;
    writeFileSync(join(dir, 'unflushed.ts'), brokenCopy(MINIMAL, b, 'unflushed'));
    const r = await vnic(['test-driver', join(dir, 'unflushed.ts')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`FAIL  engine-not-flushed: ${DRIVER_RULES['engine-not-flushed'].broken}`);
    expect(r.stdout).toMatch(
      /first: mq defaults, engine lro, clean traffic — poll \d+ \(min-rx\d, t=[\d.]+ ms\): \d+ packet\(s\) still held by LRO\/GRO at napiComplete/,
    );
    expect(r.stdout).toContain(`fix: ${DRIVER_RULES['engine-not-flushed'].fix}`);
    expect(r.stderr).toBe('vnic: check failed: driver unflushed: engine-not-flushed\n');
  });

  it('CommonJS, a syntax error, a missing import and a throw at load each exit 2 with file and line', async () => {
    // refused before anything is imported (the file's text, its name, whether it exists): the same in-process
    const refused: [string, string, RegExp][] = [
      [
        'old.cjs',
        `const { registerDriver } = require('vnic-lab/drivers');\n`,
        /^vnic: test-driver old\.cjs: CommonJS is not supported \(a \.cjs file is CommonJS\); write an ES module/,
      ],
      [
        'old.js',
        `// a driver\nconst lab = require('vnic-lab/drivers');\nmodule.exports = {};\n`,
        /^vnic: test-driver old\.js: CommonJS is not supported \(it uses require\( at line 2\)/,
      ],
    ];
    // failing while the bin's TypeScript loader (tsx) imports them: it is what names the file and line, so spawned
    const failing: [string, string, RegExp][] = [
      [
        'typo.ts',
        `import { registerDriver } from 'vnic-lab/drivers';\n\nregisterDriver({ name: 'x', \n  models: ['mq'],, });\n`,
        /^vnic: test-driver typo\.ts: syntax error at .*typo\.ts:4:\d+: /,
      ],
      [
        'nope.ts',
        `import { x } from 'vnic-lab/nope';\nconsole.log(x);\n`,
        /^vnic: test-driver nope\.ts: cannot import 'vnic-lab\/nope' at .*nope\.ts:1 \(the lab offers vnic-lab\/wire, /,
      ],
      [
        'throws.ts',
        `import { registerDriver } from 'vnic-lab/drivers';\n\nregisterDriver({ name: 'mq' } as never);\n`,
        /^vnic: test-driver throws\.ts: driver 'mq' is already registered \(at .*throws\.ts:3\)$/m,
      ],
    ];
    for (const [name, text] of [...refused, ...failing]) writeFileSync(join(dir, name), text);
    const spawned = Promise.all(failing.map(([name]) => vnicThere(['test-driver', name])));
    const inProcess: Ran[] = [];
    for (const [name] of refused) inProcess.push(await vnicInThere(['test-driver', name]));
    const results = [...inProcess, ...(await spawned)];
    [...refused, ...failing].forEach(([name, , expected], i) => {
      expect(results[i]!.stderr, name).toMatch(expected);
      expect(results[i]!.code, name).toBe(2);
    });
    const missing = await vnicInThere(['--load', 'absent.ts', 'drivers']);
    expect([missing.code, missing.stderr]).toEqual([2, 'vnic: --load absent.ts: no such file\n']);
  }, 240_000); // three Node starts on a shared machine
});
