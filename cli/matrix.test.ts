// vnic matrix: the JSON against the exported schema, the refusals each driver's support() gives, the
// combinations no model has, the human table, no progress bar when stderr is not a terminal, and
// one-line usage errors.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Ran, vnic as runVnic } from '../test/support/cli.ts';
import {
  MatrixRowSchema,
  MatrixSchema,
  MatrixShardSchema,
  mergeMatrixShards,
  realisations,
  renderMatrix,
  unrealised,
  type Matrix,
  type MatrixShard,
} from './commands/matrix.ts';

/** `vnic ...args` in-process (cli/bin.test.ts spawns the bin). */
const vnic = (...args: string[]) => runVnic(args);
const vnicEnv = (env: Record<string, string>, ...args: string[]) => runVnic(args, { env: { NO_COLOR: '1', ...env } });
const vnicInProcess = runVnic;

const cfg = (r: { modelConfig: Record<string, unknown>; softwareChecksum: boolean }) =>
  [
    ...Object.entries(r.modelConfig).map(([k, v]) => `${k}=${String(v)}`),
    ...(r.softwareChecksum ? ['softwareChecksum'] : []),
  ].join(' ');

describe('vnic matrix --quick --json', () => {
  let m: Matrix;
  let ran: Ran;
  beforeAll(async () => {
    ran = await vnic('matrix', '--quick', '--json', '--jobs', '2');
    m = MatrixSchema.parse(JSON.parse(ran.stdout));
  }, 180_000);

  it('exits 0, prints only JSON on stdout and no progress bar on a piped stderr', () => {
    expect(ran.code).toBe(0);
    expect(ran.stderr).toBe('');
    expect(m.traffic).toBe('vlan-mixed');
    expect(m.bytesPerFlow).toBe(24 << 10);
  });

  it('has a row for every realisable configuration × engine, each valid against MatrixRowSchema', () => {
    expect(m.rows).toHaveLength(realisations().length * 3);
    expect(m.rows).toHaveLength(96);
    for (const r of m.rows) expect(MatrixRowSchema.safeParse(r).success).toBe(true);
    // ehea 8, mq 16, myri10ge 4, e1000 2 hardware configurations (its softwareChecksum is the driver's)
    expect(new Set(m.rows.map((r) => `${r.model}/${r.vlan}/${r.delivery}/${r.checksum}/${r.queues}`)).size).toBe(30);
  });

  it('refuses exactly the engines the drivers cannot run, with their reasons', () => {
    const refused = m.rows.filter((r) => !r.supported).map((r) => `${r.model} ${cfg(r)} q${r.queues} ${r.engine}`);
    expect(refused).toEqual([
      'ehea vlanExtract=true rxChecksum=false q1 lro',
      'ehea vlanExtract=true rxChecksum=false q4 lro',
      'ehea vlanExtract=false rxChecksum=false q1 lro',
      'ehea vlanExtract=false rxChecksum=false q4 lro',
      'mq vlanStrip=true headerSplit=false rxChecksum=false q1 lro',
      'mq vlanStrip=true headerSplit=false rxChecksum=false q4 lro',
      'mq vlanStrip=true headerSplit=true rxChecksum=false q1 lro',
      'mq vlanStrip=true headerSplit=true rxChecksum=false q4 lro',
      'mq vlanStrip=false headerSplit=false rxChecksum=false q1 lro',
      'mq vlanStrip=false headerSplit=false rxChecksum=false q4 lro',
      'mq vlanStrip=false headerSplit=true rxChecksum=false q1 lro',
      'mq vlanStrip=false headerSplit=true rxChecksum=false q4 lro',
      'myri10ge rxChecksum=false q1 lro',
      'myri10ge rxChecksum=false q4 lro',
      'e1000 vlanStrip=true q1 lro',
      'e1000 vlanStrip=false q1 lro',
    ]);
    const e1000 = m.rows.find((r) => r.model === 'e1000' && !r.softwareChecksum && r.engine === 'lro')!;
    expect(e1000.result).toBeNull();
    expect(e1000.why).toMatch(/^the e1000 verifies no receive checksums, .*set softwareChecksum: true/);
    const ehea = m.rows.find((r) => r.model === 'ehea' && r.modelConfig['rxChecksum'] === false && r.engine === 'lro')!;
    expect(ehea.why).toBe(
      'LRO needs checksums verified before aggregation: inet_lro recomputes the aggregate checksum from the original checksum fields, so an unverified bad segment would turn into a valid-looking aggregate (this model instance has rxChecksum off)',
    );
    const sw = m.rows.find(
      (r) => r.model === 'e1000' && r.softwareChecksum && r.engine === 'lro' && r.vlan === 'strip',
    )!;
    expect(sw.supported).toBe(true);
    expect(sw.result).not.toBeNull();
  });

  it('runs every supported row to a verified end', () => {
    for (const r of m.rows.filter((x) => x.supported)) {
      expect(r.result, `${r.model} ${cfg(r)} ${r.engine}`).not.toBeNull();
      expect(r.result!.streamsOk, `${r.model} ${cfg(r)} ${r.engine}`).toBe(true);
      if (r.engine === 'off') expect(r.result!.aggregationRatio).toBe(1);
    }
    const gro = m.rows.find(
      (r) =>
        r.model === 'mq' &&
        r.vlan === 'strip' &&
        r.delivery === 'header-split' &&
        r.checksum === 'verified' &&
        r.queues === 4 &&
        r.engine === 'gro',
    )!;
    expect(gro.result!.aggregationRatio).toBeGreaterThan(2);
  });

  it("4 shards (each in this process's thread, one from JOB_COMPLETION_INDEX) merged equal the pooled unsharded run, byte for byte", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vnic-shards-'));
    const shards = await Promise.all(
      [0, 1, 2, 3].map((i) =>
        i === 2
          ? vnicEnv({ JOB_COMPLETION_INDEX: '2' }, 'matrix', '--quick', '--shard', '4', '--jobs', '1')
          : vnic('matrix', '--quick', '--shard', `${i}/4`, '--jobs', '1'),
      ),
    );
    const files = shards.map((r, i) => {
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      const part = MatrixShardSchema.parse(JSON.parse(r.stdout));
      expect(part.shard).toEqual({ index: i, count: 4 });
      expect(part.rows).toHaveLength(24);
      const f = join(dir, `${i}.json`);
      writeFileSync(f, r.stdout);
      return f;
    });
    const merged = await vnic('merge', '--json', files[3]!, files[1]!, files[0]!, files[2]!);
    expect(merged.code).toBe(0);
    expect(merged.stdout).toBe(ran.stdout);
    const table = await vnic('merge', ...files);
    expect(table.stdout).toBe(`${renderMatrix(m, false)}\n`);
  }, 180_000);

  it('lists the hardware combinations no model has', () => {
    expect(m.noModel).toEqual(unrealised());
    expect(m.noModel).toHaveLength(30);
    expect(m.noModel).toContainEqual({ vlan: 'strip', delivery: 'page-frags', checksum: 'partial', queues: 1 });
    expect(m.noModel).toContainEqual({ vlan: 'in-band', delivery: 'page-frags', checksum: 'verified', queues: 4 });
    expect(m.noModel).not.toContainEqual({ vlan: 'in-band', delivery: 'page-frags', checksum: 'partial', queues: 4 });
    for (const r of m.rows)
      expect(m.noModel).not.toContainEqual({
        vlan: r.vlan,
        delivery: r.delivery,
        checksum: r.checksum,
        queues: r.queues,
      });
  });
});

describe('vnic matrix (table)', () => {
  it('prints one row per configuration and engine, refusals as numbered notes, and what no model has', async () => {
    // in this thread: the default --jobs (one per core) would start a worker pool for 12 rows
    const r = await vnic('matrix', '--quick', '--model', 'e1000', '--jobs', '1');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toMatch(/\x1b\[/);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('traffic vlan-mixed, 24 KiB per bulk flow: 12 rows');
    expect(lines[2]!.split(/\s{2,}/)).toEqual([
      'model',
      'config',
      'VLAN',
      'delivery',
      'rx csum',
      'queues',
      'engine',
      'aggr',
      'cycles/KB',
      'Gb/s',
      'p50',
      'streams OK',
    ]);
    const rows = lines.slice(4, 16).map((l) =>
      l
        .trim()
        .split(/\s{2,}/)
        .slice(0, 7),
    );
    expect(rows).toEqual([
      ['e1000', 'vlanStrip on', 'strip', 'linear', 'none', '1', 'lro'],
      ['e1000', 'vlanStrip on', 'strip', 'linear', 'none', '1', 'gro'],
      ['e1000', 'vlanStrip on', 'strip', 'linear', 'none', '1', 'off'],
      ['e1000', 'vlanStrip on, softwareChecksum on', 'strip', 'linear', 'none', '1', 'lro'],
      ['e1000', 'vlanStrip on, softwareChecksum on', 'strip', 'linear', 'none', '1', 'gro'],
      ['e1000', 'vlanStrip on, softwareChecksum on', 'strip', 'linear', 'none', '1', 'off'],
      ['e1000', 'vlanStrip off', 'in-band', 'linear', 'none', '1', 'lro'],
      ['e1000', 'vlanStrip off', 'in-band', 'linear', 'none', '1', 'gro'],
      ['e1000', 'vlanStrip off', 'in-band', 'linear', 'none', '1', 'off'],
      ['e1000', 'vlanStrip off, softwareChecksum on', 'in-band', 'linear', 'none', '1', 'lro'],
      ['e1000', 'vlanStrip off, softwareChecksum on', 'in-band', 'linear', 'none', '1', 'gro'],
      ['e1000', 'vlanStrip off, softwareChecksum on', 'in-band', 'linear', 'none', '1', 'off'],
    ]);
    expect(lines[4]!.trimEnd().endsWith('lro  refused [1]')).toBe(true);
    expect(lines[10]!.trimEnd().endsWith('lro  refused [1]')).toBe(true);
    expect(lines[5]!.trimEnd().endsWith('yes')).toBe(true);
    const tail = lines.slice(lines.indexOf('refused:'));
    expect(tail[1]).toMatch(/^ {2}\[1\] the e1000 verifies no receive checksums/);
    expect(tail.slice(3)).toEqual([
      'no model realises (30 of 54 combinations):',
      '  in-band + linear: partial/1q, partial/4q',
      '  in-band + page-frags: verified/1q, verified/4q',
      '  in-band + header-split: partial/1q, partial/4q',
      '  strip + linear: partial/1q, partial/4q',
      '  strip + page-frags: any checksum, any queues',
      '  strip + header-split: partial/1q, partial/4q',
      '  extract-keep-ethertype + linear: partial/1q, partial/4q',
      '  extract-keep-ethertype + page-frags: any checksum, any queues',
      '  extract-keep-ethertype + header-split: any checksum, any queues',
      '',
    ]);
  });

  it('--help says why the default traffic is vlan-mixed', async () => {
    const r = await vnic('matrix', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('The default traffic is vlan-mixed');
    expect(r.stdout).toContain('Examples:');
  });
});

describe('vnic matrix --forward: the forwarding axis', () => {
  it('route, 2.6.24 (the default kernel): each row says whether egress equals ingress; LRO rows differ, GRO and off do not', async () => {
    const r = await vnic('matrix', '--quick', '--model', 'e1000', '--forward', 'route', '--json', '--jobs', '1');
    expect(r.code).toBe(0);
    const m = MatrixSchema.parse(JSON.parse(r.stdout));
    expect([m.traffic, m.forward]).toEqual(['bulk-4flows', { mode: 'route', kernel: '2.6.24' }]);
    expect(m.rows.map((x) => [x.engine, x.softwareChecksum, x.forward?.egressIdenticalToIngress ?? null])).toEqual([
      ['lro', false, null],
      ['gro', false, true],
      ['off', false, true],
      ['lro', true, false],
      ['gro', true, true],
      ['off', true, true],
      ['lro', false, null],
      ['gro', false, true],
      ['off', false, true],
      ['lro', true, false],
      ['gro', true, true],
      ['off', true, true],
    ]);
    expect(
      m.rows.filter((x) => x.forward?.egressIdenticalToIngress === false).map((x) => x.forward!.egressDiffering),
    ).toEqual([7, 7]);
    expect(m.rows.every((x) => x.result === null || x.result.streamsOk)).toBe(true);
  }, 180_000);

  it('bridge, 2.6.27: LRO is turned off on the port, so every row sends on what it received; the table says so', async () => {
    const r = await vnicEnv(
      {},
      'matrix',
      '--quick',
      '--model',
      'e1000',
      '--forward',
      'bridge',
      '--kernel',
      '2.6.27',
      '--jobs',
      '1',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('traffic bulk-4flows, 24 KiB per bulk flow, bridged (kernel 2.6.27): 12 rows');
    expect(r.stdout).toContain('egress = ingress');
    expect(r.stdout).not.toContain('differ)');
  }, 180_000);
});

describe('vnic matrix usage errors: exit 2, one line', () => {
  it.each([
    [
      ['matrix', '--traffic', 'nope'],
      'vnic: --traffic nope: no such scenario (scenarios: bulk-1flow, bulk-4flows, many-flows, small-messages, vlan-mixed, lossy-link, jumbo, moderated-2g, rr-small, slow-start, forward, bridge)',
    ],
    [['matrix', '--flow-kib', 'x'], "vnic: --flow-kib takes a whole number, not 'x'"],
    [['matrix', '--model', 'rtl8139'], "vnic: --model must be one of ehea, mq, myri10ge, e1000, not 'rtl8139'"],
    [['matrix', '--engine', 'tso'], "vnic: --engine must be one of lro, gro, off, not 'tso'"],
    [['matrix', '--bogus'], "vnic: unknown option '--bogus'"],
    [['matrix', '--forward', 'tunnel'], "vnic: --forward must be one of off, route, bridge, not 'tunnel'"],
    [['matrix', '--kernel', '2.6.27'], 'vnic: --kernel applies with --forward route|bridge'],
    [
      ['matrix', '--forward', 'bridge', '--traffic', 'vlan-mixed'],
      "vnic: --forward bridge: --traffic vlan-mixed has VLAN-tagged flows, and the bridge's transmit path sends untagged frames only (choose untagged traffic, e.g. --traffic bulk-4flows)",
    ],
  ])('%j', async (args, line) => {
    const r = await vnic(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`${line}\n`);
    expect(r.stdout).toBe('');
  });
});

describe('vnic merge refuses what is not one whole sweep', () => {
  const shard = (index: number, count: number, over: Partial<MatrixShard> = {}): MatrixShard => ({
    kind: 'vnic-matrix-shard',
    shard: { index, count },
    flags: { quick: true },
    traffic: 'vlan-mixed',
    bytesPerFlow: 24 << 10,
    total: 0,
    rows: [],
    noModel: [],
    ...over,
  });
  it('names a missing shard, a duplicate, and shards of different sweeps', () => {
    expect(() => mergeMatrixShards([shard(0, 3), shard(2, 3)], ['a', 'b'])).toThrow('merge: shard 1/3 missing');
    expect(() => mergeMatrixShards([shard(0, 2), shard(0, 2)], ['a', 'b'])).toThrow('merge: b: shard 0/2 is also in a');
    expect(() =>
      mergeMatrixShards([shard(0, 2), shard(1, 2, { flags: { quick: true, model: 'mq' } })], ['a', 'b']),
    ).toThrow(
      'merge: b: flags {"quick":true,"model":"mq"} differs from a\'s {"quick":true}: shards of different sweeps',
    );
    expect(() => mergeMatrixShards([shard(0, 2), shard(1, 3)], ['a', 'b'])).toThrow(
      "merge: b: shard count 3 differs from a's 2",
    );
  });
  it('exits 2 with one line for a file that is not a shard', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vnic-merge-'));
    const f = join(dir, 'x.json');
    writeFileSync(f, JSON.stringify({ rows: [] }));
    const r = await vnicInProcess(['merge', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(`^vnic: shard ${f}: field kind: .*\\(a vnic matrix --shard output is expected\\)\n$`),
    );
  });
  it.each([
    [['matrix', '--shard', '4/4'], 'vnic: --shard 4/4: index 4 is not below the count 4 (indexes run 0…3)'],
    [
      ['matrix', '--shard', 'x'],
      "vnic: --shard takes INDEX/COUNT (from 0, e.g. 0/4) or COUNT with JOB_COMPLETION_INDEX set, not 'x'",
    ],
    [['matrix', '--jobs', '0'], 'vnic: --jobs must be between 1 and 1024, not 0'],
  ])('%j', async (args, line) => {
    const r = await vnicInProcess(args, { env: { NO_COLOR: '1' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`${line}\n`);
  });
});
