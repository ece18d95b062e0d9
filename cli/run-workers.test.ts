// `vnic run --cpus N --workers W`: one run of a host with several simulated cores split over worker threads gives the
// report and the `--out` bytes of the same run on one thread, for generated open-loop traffic and for a replay.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { vnic } from '../test/support/cli.ts';
import { RunOutputSchema } from './index.ts';
import { readCapture } from '../tap/index.ts';
import { capturePath } from '../test/captures.ts';

const dir = mkdtempSync(join(tmpdir(), 'vnic-workers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configFile(name: string, config: object): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(config));
  return path;
}

const openLoop = configFile('open-loop.json', {
  model: 'mq',
  queues: 4,
  traffic: { seed: 5, openLoop: true, bytesPerFlow: 150_000, flows: [{ kind: 'bulk', count: 4, mss: 1448 }] },
});

describe('vnic run --workers', () => {
  it('open-loop traffic on 2 cores: the same JSON and the same pcapng on one thread and on two', async () => {
    const args = ['run', '--config', openLoop, '--cpus', '2', '--engine', 'gro', '--json'];
    const one = join(dir, 'one.pcapng'),
      two = join(dir, 'two.pcapng');
    const [a, b] = await Promise.all([vnic([...args, '--out', one]), vnic([...args, '--workers', '2', '--out', two])]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    expect(readFileSync(two).equals(readFileSync(one))).toBe(true);
    const run = RunOutputSchema.parse(JSON.parse(a.stdout)).runs[0]!;
    expect(run.allStreamsOk).toBe(true);
    expect(run.counters['conservation']!['ok']).toBe(1);
    // the packets of both cores, on the interfaces of the whole NIC's queues, in time order
    const recs = [...readCapture(one)].map((r) => ({ t: r.tsSec * 1e9 + r.tsNsec, q: r.interfaceId }));
    expect(recs).toHaveLength(run.framesToStack);
    expect(new Set(recs.map((r) => r.q % 2))).toEqual(new Set([0, 1]));
    expect(recs.every((r, i) => i === 0 || r.t >= recs[i - 1]!.t)).toBe(true);
    // the cores' own files are gone
    expect(readdirSync(dir).filter((f) => f.includes('.core'))).toEqual([]);
  }, 180_000);

  it('a replay on 4 cores over 2 workers: the same JSON and pcap as on one thread', async () => {
    const replay = configFile('replay.json', {
      model: 'mq',
      queues: 4,
      capture: { path: capturePath('parallel4_mtu1500.tx.pcap'), onlyTo: '10.77.0.2' },
    });
    const args = ['run', '--config', replay, '--cpus', '4', '--engine', 'gro', '--json'];
    const one = join(dir, 'r1.pcap'),
      three = join(dir, 'r3.pcap');
    const [a, b] = await Promise.all([
      vnic([...args, '--out', one]),
      vnic([...args, '--workers', '2', '--out', three]),
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    expect(readFileSync(three).equals(readFileSync(one))).toBe(true);
    expect(RunOutputSchema.parse(JSON.parse(a.stdout)).runs[0]!.allStreamsOk).toBe(true);
  }, 180_000);

  it('a worker that fails before its first frame ends the run with the error of the run on one thread', async () => {
    // a directory where core 1's part file goes: only the second worker fails, opening it (an --out in a missing
    // directory is refused before the run, exit 2, and reaches no worker)
    const out = join(dir, 'blocked.pcapng');
    mkdirSync(`${out}.core1.part`, { recursive: true });
    const args = ['run', '--config', openLoop, '--cpus', '2', '--engine', 'gro', '--out', out];
    const [a, b] = await Promise.all([vnic(args), vnic([...args, '--workers', '2'])]);
    expect(a.code).toBe(70);
    expect(b.code).toBe(70);
    expect(b.stderr).toBe(a.stderr);
    expect(a.stderr).toContain('blocked.pcapng.core1.part');
  }, 180_000);

  it('--out and --out-egress in a missing directory: exit 2 naming the flag, before the run', async () => {
    for (const flag of ['--out', '--out-egress']) {
      const r = await vnic(['run', '--engine', 'gro', '--scenario', 'forward', flag, join(dir, 'no', 'such.pcap')]);
      expect({ code: r.code, stderr: r.stderr }).toEqual({
        code: 2,
        stderr: `vnic: ${flag} ${join(dir, 'no', 'such.pcap')}: no such directory ${join(dir, 'no')}\n`,
      });
    }
  });

  it('a capture cut short: exit 2 and the same line on one thread and on two workers, found before or during the run', async () => {
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, readFileSync(capturePath('parallel4_mtu1500.tx.pcap')).subarray(0, 150_000));
    // without an MTU the capture is scanned for one before the first frame; with one, the wire meets the cut
    for (const mtu of [{}, { mtu: 1500 }]) {
      const config = configFile('cut.json', {
        model: 'mq',
        queues: 4,
        ...mtu,
        capture: { path: cut, onlyTo: '10.77.0.2' },
      });
      const args = ['run', '--config', config, '--cpus', '2', '--engine', 'gro', '--json'];
      const [a, b] = await Promise.all([vnic(args), vnic([...args, '--workers', '2'])]);
      expect(a.code, a.stderr).toBe(2);
      expect(b.code, b.stderr).toBe(2);
      expect(b.stderr).toBe(a.stderr);
      expect(a.stderr).toContain('is cut short');
    }
  }, 180_000);

  it('exit 2 and one line for what cannot split', async () => {
    const cases: [string[], string][] = [
      [
        ['run', '--model', 'mq', '--cpus', '2', '--engine', 'gro'],
        "vnic: cpus: 2 — closed-loop traffic: the senders answer the host's ACKs, so every core's timing feeds back into the wire, and such a run stays on one core (traffic.openLoop: true, or a replay, can split)\n",
      ],
      [
        ['run', '--open-loop', '--cpus', '2', '--engine', 'lro'],
        "vnic: cpus: 2 — model 'ehea' cannot split its queues across cores (only mq's RSS indirection table steers a queue group to a core)\n",
      ],
      [
        ['run', '--model', 'mq', '--open-loop', '--workers', '2', '--engine', 'gro'],
        'vnic: --workers 2: the run has one simulated core, so there is nothing to split: add --cpus N (N > 1; mq, open-loop traffic or a replay)\n',
      ],
    ];
    for (const [args, line] of cases) {
      const r = await vnic(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toBe(line);
    }
  });
});
