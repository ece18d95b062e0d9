// vnic trace: the narration of a 5-frame capture line by line, no colour when piped or NO_COLOR, the
// --json events, the default lesson (bulk-1flow on the eHEA with LRO), and one-line usage errors.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frame } from '../wire/index.ts';
import { CaptureWriter } from '../tap/index.ts';
import { runLab } from '../lab/run.ts';
import { narrate, TraceWindow } from '../lab/narrate.ts';
import { LabEvents } from '../observe/trace.ts';
import { renderStories } from './trace-narrator.ts';

import { vnic } from '../test/support/cli.ts';

const plain = (...args: string[]) => vnic(args);

let dir = '';
let cap = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vnic-trace-'));
  cap = join(dir, 'five.pcap');
  // three in-order segments, one after a 1448-byte hole, then a UDP datagram
  const w = CaptureWriter.open(cap, { format: 'pcap' });
  [1000, 2448, 3896, 6792].forEach((seq, i) =>
    w.write({
      tsSec: 1,
      tsNsec: i * 1000,
      data: frame()
        .eth({})
        .ipv4({ id: i })
        .tcp({ seq, ack: 1, ts: [100 + i, 50] })
        .payload(1448)
        .build(),
    }),
  );
  w.write({
    tsSec: 1,
    tsNsec: 4000,
    data: frame().eth({}).ipv4({ id: 9 }).udp({ sport: 53, dport: 5353 }).payload(40).build(),
  });
  w.close();
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('vnic trace <capture>', () => {
  it('narrates every frame: ring entry, poll, LRO decision with its reason, what the stack did; then the counters', async () => {
    const r = await plain('trace', cap, '--batch', 'all', '--every-frame');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      `capture ${cap} on ehea (driver ehea), engine lro: frames 0–4 of 5`,
      '',
      'frame 0  10.0.0.1.40000 > 10.0.0.2.5001: Flags [.], seq 0:1448, options [nop,nop,TS val 100 ecr 50], length 1448',
      '  nic     eHEA RQ2 entry 0, CQE 0, 1514 bytes, status 0x0',
      '  irq     interrupt eth0-pr0 → NAPI poll scheduled',
      '  driver  RQ2 completion, wr_id 0, 1514 bytes, status 0x0',
      '  napi    poll 1 of eth0-pr0 (budget 64): packet 1 of 5 taken in this poll',
      '  lro     session opened: descriptor 0, 1/64 packets, 1500 bytes',
      '          ↳ inet_lro keeps one descriptor per flow; the first in-order segment opens it and later ones are appended to it',
      'frame 1  10.0.0.1.40000 > 10.0.0.2.5001: Flags [.], seq 1448:2896, options [nop,nop,TS val 101 ecr 50], length 1448',
      '  nic     eHEA RQ2 entry 1, CQE 1, 1514 bytes, status 0x0',
      '  driver  RQ2 completion, wr_id 1, 1514 bytes, status 0x0',
      '  napi    poll 1 of eth0-pr0 (budget 64): packet 2 of 5 taken in this poll',
      '  lro     appended to descriptor 0, 2/64 packets, 2948 bytes (+1448)',
      'frame 2  10.0.0.1.40000 > 10.0.0.2.5001: Flags [.], seq 2896:4344, options [nop,nop,TS val 102 ecr 50], length 1448',
      '  nic     eHEA RQ2 entry 2, CQE 2, 1514 bytes, status 0x0',
      '  driver  RQ2 completion, wr_id 2, 1514 bytes, status 0x0',
      '  napi    poll 1 of eth0-pr0 (budget 64): packet 3 of 5 taken in this poll',
      '  lro     appended to descriptor 0, 3/64 packets, 4396 bytes (+1448)',
      'frame 3  10.0.0.1.40000 > 10.0.0.2.5001: Flags [.], seq 5792:7240, options [nop,nop,TS val 103 ecr 50], length 1448',
      '  nic     eHEA RQ2 entry 3, CQE 3, 1514 bytes, status 0x0',
      '  driver  RQ2 completion, wr_id 3, 1514 bytes, status 0x0',
      '  napi    poll 1 of eth0-pr0 (budget 64): packet 4 of 5 taken in this poll',
      '  lro     flushed descriptor 0: out of order, expected seq 4344, got 5792; 3 packets, 4396 bytes — frames 0–2',
      '          ↳ the segment does not start where the session ends: the session is flushed and a new one may open',
      '  stack   delivered in order: 4344 bytes in 3 segments, rcv_nxt 4344',
      "  tcp     ACK sent: ack 4344 (quick-ack mode: one of a new flow's first segments, or after out-of-order data)",
      '          ↳ a new connection starts in quick-ack mode (Linux: up to 16 ACKs), so the sender gets its first ACKs at once',
      '  lro     bypass: out of order → goes up alone',
      '  stack   seq 5792 queued out of order: expected 4344 (1448 bytes, 1 segment)',
      '          ↳ the segment starts beyond rcv_nxt: TCP queues it and sends a duplicate ACK',
      '  tcp     ACK sent: ack 4344 (duplicate ACK)',
      '          ↳ a duplicate ACK tells the sender which byte is missing',
      'frame 4  10.0.0.1.53 > 10.0.0.2.5353: UDP, length 40',
      '  nic     eHEA RQ1 entry 0, CQE 4, 82 bytes, status 0x0',
      '  driver  RQ1 completion, wr_id 0, 82 bytes, status 0x0',
      '  napi    poll 1 of eth0-pr0 (budget 64): packet 5 of 5 taken in this poll',
      '  lro     bypass: driver callback said not for LRO → goes up alone',
      '          ↳ the driver’s get_skb_header callback said this frame is not for LRO (not TCP, or the NIC found no L4 header)',
      '  stack   UDP delivered (68 bytes)',
      '  napi    poll 1 of eth0-pr0 ends: 5 of its budget 64 used (napi_complete: the interrupt is re-armed)',
      '  napi    poll 2 of eth0-pr0 ends: 0 of its budget 64 used (napi_complete: the interrupt is re-armed)',
      '',
      'counters (whole run)',
      '  frames in 5 → packets to the stack 3 (aggregation 1.67×)',
      '  LRO: 3 aggregated, 1 flushed (avg 3.00 per flush), no_desc 0',
      '  ACKs sent 2, drops 0, bytes delivered 4,344, every byte stream intact: yes',
      '  lro bypass_not_lro: 1',
      '  lro bypass_out_of_order: 1',
      '  lro flush_out_of_order: 1',
      '  (5 frames narrated)',
      '',
    ]);
  });

  it('prints no ANSI codes when piped, with or without NO_COLOR, nor on a terminal with NO_COLOR', async () => {
    for (const [env, tty] of [
      [{ NO_COLOR: '1' }, false],
      [{}, false],
      [{ NO_COLOR: '1' }, true],
    ] as const) {
      const r = await vnic(['trace', cap], { env, tty });
      expect(r.code).toBe(0);
      expect(r.stdout).not.toMatch(/\x1b\[/);
      expect(r.stdout).toContain(
        // the five frames are 1 µs apart: one burst under the default --batch bursts, in the ring before the first poll
        'flushed descriptor 0: out of order, expected seq 4344, got 5792; 3 packets, 4396 bytes — frames 0–2',
      );
    }
    const coloured = await vnic(['trace', cap], { env: {}, tty: true });
    expect(coloured.stdout).toMatch(/\x1b\[1m/);
    expect(coloured.stdout.replace(/\x1b\[\d+m/g, '')).toBe((await plain('trace', cap)).stdout);
  });

  it('--json prints the narrated events, one JSON object a line, with their decisions', async () => {
    const r = await plain('trace', cap, '--batch', 'all', '--json');
    expect(r.code).toBe(0);
    const events = r.stdout
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as { layer: string; what: string; reason?: string; frame: number; story: number; text: string },
      );
    const decisions = events
      .filter((e) => ['lro', 'tcp', 'stack'].includes(e.layer))
      .map((e) => [e.story, e.layer, e.what, e.reason ?? '']);
    expect(decisions).toEqual([
      [0, 'lro', 'held', ''],
      [1, 'lro', 'appended', ''],
      [2, 'lro', 'appended', ''],
      [3, 'lro', 'flushed', 'out_of_order'],
      [3, 'tcp', 'deliver', ''],
      [3, 'tcp', 'ack', 'quick'],
      [3, 'lro', 'bypass', 'out_of_order'],
      [3, 'tcp', 'ofo', 'out_of_order'],
      [3, 'tcp', 'ack', 'dup'],
      [4, 'lro', 'bypass', 'not_lro'],
      [4, 'stack', 'deliver', ''],
    ]);
    expect(events.filter((e) => e.layer === 'nic').map((e) => [e.frame, e.text])).toEqual([
      [0, 'ehea: 1514 bytes via rq2 entry 0, CQE 0, status 0x0'],
      [1, 'ehea: 1514 bytes via rq2 entry 1, CQE 1, status 0x0'],
      [2, 'ehea: 1514 bytes via rq2 entry 2, CQE 2, status 0x0'],
      [3, 'ehea: 1514 bytes via rq2 entry 3, CQE 3, status 0x0'],
      [4, 'ehea: 82 bytes via rq1 entry 0, CQE 4, status 0x0'],
    ]);
  });

  it('--packets and --from choose the frames', async () => {
    const r = await plain('trace', cap, '--batch', 'all', '--from', '3', '--packets', '1', '--json');
    const stories = new Set(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { story: number }).story),
    );
    expect([...stories]).toEqual([3]);
  });
});

describe('the narrator', () => {
  it('colours layer names and verdicts on a terminal', () => {
    const window = new TraceWindow(5);
    runLab({ capture: { path: cap }, batch: 'all' }, { tracer: window.subscribeTo(new LabEvents()) });
    const stories = narrate(window.events, { from: 0, count: 5 });
    expect(stories.map((s) => s.frame)).toEqual([0, 1, 2, 3, 4]);
    const coloured = renderStories(stories, true).join('\n');
    expect(coloured).toContain(
      '\x1b[2mlro    \x1b[22m \x1b[32msession opened: descriptor 0, 1/64 packets, 1500 bytes\x1b[39m',
    );
    expect(coloured).toContain('\x1b[33mbypass: out of order → goes up alone\x1b[39m');
    expect(renderStories(stories, false).join('\n')).not.toMatch(/\x1b\[/);
  });

  it('collapses 3 or more frames that take the same path into one line', () => {
    const eight = join(dir, 'eight.pcap');
    const w = CaptureWriter.open(eight, { format: 'pcap' });
    for (let i = 0; i < 8; i++)
      w.write({
        tsSec: 1,
        tsNsec: i,
        data: frame()
          .eth({})
          .ipv4({ id: i })
          .tcp({ seq: 1000 + i * 1448, ack: 1, ts: [100, 50] })
          .payload(1448)
          .build(),
      });
    w.close();
    const window = new TraceWindow(8);
    runLab({ capture: { path: eight }, batch: 'all' }, { tracer: window.subscribeTo(new LabEvents()) });
    const lines = renderStories(narrate(window.events, { from: 0, count: 8 }), false, true);
    expect(lines.filter((l) => l.startsWith('frame ') || l.startsWith('  …'))).toEqual([
      'frame 0  10.0.0.1.40000 > 10.0.0.2.5001: Flags [.], seq 0:1448, options [nop,nop,TS val 100 ecr 50], length 1448',
      'frame 1  10.0.0.1.40000 > 10.0.0.2.5001: Flags [.], seq 1448:2896, options [nop,nop,TS val 100 ecr 50], length 1448',
      '  … frames 2–6 (5): the same path as frame 1; ring entries 2–6; poll 1; 0 ACKs sent; last: appended to descriptor 0, 7/64 packets, 10188 bytes (+1448)',
      'frame 7  10.0.0.1.40000 > 10.0.0.2.5001: Flags [.], seq 10136:11584, options [nop,nop,TS val 100 ecr 50], length 1448',
    ]);
  });
});

describe('vnic trace with no source: the lesson', () => {
  it('shows a session opening, appends, the flush at the end of the poll and the ACKs', async () => {
    const r = await plain('trace');
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out.split('\n')[0]).toBe('scenario bulk-1flow on ehea (driver ehea), engine lro: frames 0–39 of 2,897');
    for (const s of [
      '  lro     session opened: descriptor 0, 1/64 packets, 1500 bytes',
      '  lro     appended to descriptor 0, 2/64 packets, 2948 bytes (+1448)',
      '  lro     flushed descriptor 0 at the end of the poll (lro_flush_all): 3 packets, 4396 bytes — frames 1–3',
      '  stack   delivered in order: 4344 bytes in 3 segments, rcv_nxt 5792',
      "  tcp     ACK sent: ack 5792 (quick-ack mode: one of a new flow's first segments, or after out-of-order data)",
      '  lro     flushed descriptor 0 at the end of the poll (lro_flush_all): 5 packets, 7292 bytes — frames 4–8',
      '  napi    poll 2 of eth0-pr0 (budget 64): packet 2 of 3 taken in this poll',
      '  nic     eHEA RQ2 entry 2, CQE 2, 1514 bytes, status 0x0',
    ])
      expect(out).toContain(`${s}\n`);
    expect(out).toMatch(/counters \(whole run\)\n {2}frames in 2,897 → packets to the stack \d/);
  });
});

describe('usage errors: exit 2, one line', () => {
  it.each([
    [['trace', '--packets', '0'], 'vnic: --packets must be between 1 and 100000, not 0'],
    [['trace', '--packets', 'many'], "vnic: --packets takes a whole number, not 'many'"],
    [
      ['trace', '--scenario', 'nope'],
      'vnic: --scenario nope: no such scenario (scenarios: bulk-1flow, bulk-4flows, many-flows, small-messages, vlan-mixed, lossy-link, jumbo, moderated-2g, rr-small, slow-start, forward, bridge)',
    ],
    [['trace', '/nonexistent/x.pcap'], 'vnic: capture /nonexistent/x.pcap: no such file'],
    [['trace', '--only-to', '10.0.0.2'], 'vnic: --only-to applies to a capture'],
  ])('%j', async (args, line) => {
    const r = await plain(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`${line}\n`);
    expect(r.stdout).toBe('');
  });

  it('an engine the driver cannot run names the reason', async () => {
    const r = await plain('trace', '--model', 'e1000', '--engine', 'lro', '--packets', '5');
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n').filter((l) => l !== '')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^vnic: engine lro cannot run with driver e1000 on this e1000: the e1000 verifies no receive checksums/,
    );
  });
});
