// vnic matrix: its flags and help. The matrix itself (rows, schemas, rendering) is ./matrix.ts, loaded
// when the command runs so that `vnic --help` loads none of the lab (cli/commands/index.ts).
import { type Command, Option } from 'commander';
import { availableParallelism } from 'node:os';
import type { Engine } from '../../drivers/index.ts';
import { SCENARIOS } from '../../lab/scenarios.ts';
import { choiceFlag, intFlag } from '../errors.ts';
import { currentIO } from '../io.ts';
import { parseShard } from '../pool/shard.ts';
import { loadedModules } from './common.ts';

export interface MatrixFlags {
  traffic?: string;
  json?: boolean;
  quick?: boolean;
  flowKib?: number;
  model?: string;
  engine?: Engine;
  jobs?: number;
  shard?: string;
  forward?: 'off' | 'route' | 'bridge';
  kernel?: '2.6.24' | '2.6.27' | 'modern';
}

export const DEFAULT_TRAFFIC = 'vlan-mixed';
/** With --forward: untagged bulk traffic (a tag would be the whole story behind a bridge, whose transmit path sends none). */
export const DEFAULT_FORWARD_TRAFFIC = 'bulk-4flows';
export const DEFAULT_FLOW_KIB = 1024;
export const QUICK_FLOW_KIB = 24;

export function registerMatrix(program: Command): void {
  program
    .command('matrix')
    .description(
      'every hardware feature combination × LRO/GRO/off for one traffic: who can run what, and what it achieves',
    )
    .option(
      '--traffic <name>',
      `the scenario whose traffic to use (default ${DEFAULT_TRAFFIC}; with --forward ${DEFAULT_FORWARD_TRAFFIC}): ${SCENARIOS.map((s) => s.name).join(', ')}`,
    )
    .option(
      '--flow-kib <n>',
      `bytes per bulk flow, KiB (default ${DEFAULT_FLOW_KIB}; --quick: ${QUICK_FLOW_KIB})`,
      intFlag('--flow-kib', 1, 1 << 20),
    )
    .option('--quick', `a small run for a quick look or a test (${QUICK_FLOW_KIB} KiB per flow)`)
    .option(
      '--model <name>',
      "only this model's rows",
      choiceFlag('--model', ['ehea', 'mq', 'myri10ge', 'e1000'] as const),
    )
    .addOption(
      new Option('--engine <engine>', "only this engine's rows").argParser(
        choiceFlag('--engine', ['lro', 'gro', 'off'] as const),
      ),
    )
    .addOption(
      new Option(
        '--forward <mode>',
        "the host sends on what it receives: 'route' (ip_forward to a second NIC) or 'bridge' (a learning bridge); each row then says whether egress equals ingress and what was dropped (default 'off')",
      ).argParser(choiceFlag('--forward', ['off', 'route', 'bridge'] as const)),
    )
    .addOption(
      new Option(
        '--kernel <policy>',
        "with --forward: whose rules, '2.6.24' (LRO aggregates sent on as they are; the default), '2.6.27' (dev_disable_lro) or 'modern'",
      ).argParser(choiceFlag('--kernel', ['2.6.24', '2.6.27', 'modern'] as const)),
    )
    .option('--json', 'print { "traffic", "bytesPerFlow", "rows": [...], "noModel": [...] } on stdout')
    .option(
      '--jobs <n>',
      `runs at a time, each in a worker thread (default: the core count, ${availableParallelism()} here)`,
      intFlag('--jobs', 1, 1024),
    )
    .option(
      '--shard <i/n>',
      'run only shard i of n (from 0; a bare n takes i from JOB_COMPLETION_INDEX) and print it as JSON for vnic merge',
    )
    .addHelpText(
      'after',
      `
Forwarding axis (--forward route|bridge): the run's NIC becomes a router's or a bridge's ingress
port, an mq NIC with TSO the egress, and each row adds whether the egress equals the ingress frame by
frame (from the IP header on) and the forwarding drops; the flows are sent to 10.0.1.2 behind the
router, or to the far host's MAC behind the bridge.

Axes: VLAN handling (in-band: the tag stays in the frame, as with no VLAN offload · strip-and-report ·
extract-keep-ethertype), delivery (linear · page-frags · header split), receive checksum offload
(none · verified · partial), queues (1 · 4), engine (lro · gro · off). Each row is a model with the
config fields that realise it: ehea vlanExtract/rxChecksum/queues, mq vlanStrip/headerSplit/
rxChecksum/queues, myri10ge rxChecksum/slices, e1000 vlanStrip and the driver's software checksum.
A refused row gives the driver's reason; combinations no model has are listed at the end.

The default traffic is vlan-mixed: two tagged and two untagged bulk flows plus UDP/ARP/ICMP, so
the VLAN mode matters to LRO (extracted vs stripped vs in-band tags; GRO merges all three, as Linux's
vlan_gro_receive does), non-TCP frames bypass, and the four
flows spread over the queues. bulk-4flows has no tags: its VLAN axis would change nothing.

Examples:
  vnic matrix
  vnic matrix --traffic bulk-4flows --model mq
  vnic matrix --quick --json | jq '.rows[] | select(.supported == false) | .why'
  vnic matrix --forward route --model mq
  vnic matrix --forward bridge --kernel 2.6.27 --quick
  vnic matrix --jobs 8
  for i in 0 1 2 3; do vnic matrix --shard $i/4 > results/$i.json; done; vnic merge results/*.json`,
    )
    .action(async (f: MatrixFlags) => {
      const shard = f.shard !== undefined ? parseShard(f.shard, currentIO().env) : undefined;
      const { runMatrixCommand } = await import('./matrix.ts');
      await runMatrixCommand(f, shard, { jobs: f.jobs ?? availableParallelism(), loads: loadedModules(program) });
    });
}
