// vnic trace: a narrated per-packet trace for learning — for each of the first N frames, the ring entry it
// landed in, the NAPI poll that took it, the LRO/GRO decision and its reason, and what the stack did;
// then the run's counters. --json prints the narrated events as JSON lines on stdout.
import type { Command } from 'commander';
import { Option } from 'commander';
import { readFileSync } from 'node:fs';
import type { LabConfig } from '../../lab/run.ts';
import { SCENARIOS, getScenario } from '../../lab/scenarios.ts';
import type { RunReport } from '../../lab/run-report.ts';
import { UsageError, choiceFlag, intFlag } from '../errors.ts';
import { aggregationRatio, fmtInt, paint, reasonLines, useColour } from '../format.ts';
import { stdout } from '../io.ts';
import type { FrameStory } from '../../lab/narrate.ts';
import {
  ONLY_TO_HELP,
  addPathFlags,
  checkOnlyTo,
  checkReadable,
  ipVersionOption,
  labFromFlags,
  withIpVersion,
  type PathFlags,
} from './common.ts';
import { runOrExplain } from './replay.ts';

interface TraceFlags extends PathFlags {
  scenario?: string;
  config?: string;
  packets?: number;
  from?: number;
  json?: boolean;
  seed?: number;
  everyFrame?: boolean;
  kernel?: '2.6.24' | '2.6.27' | 'modern';
  ip?: '4' | '6';
}

export const DEFAULT_TRACE_SCENARIO = 'bulk-1flow';

export function registerTrace(program: Command): void {
  const cmd = program
    .command('trace')
    .description(
      'narrate what happens to each frame: ring entry, NAPI poll, LRO/GRO decision and reason, stack verdict',
    )
    .argument('[capture]', 'a pcap or pcapng file to replay (instead of a scenario)');
  addPathFlags(cmd)
    .addOption(
      new Option('--scenario <name>', `a named scenario: ${SCENARIOS.map((s) => s.name).join(', ')}`).conflicts(
        'config',
      ),
    )
    .option('--config <file>', 'a run configuration in JSON (fields as in docs; flags override it)')
    .option('--only-to <addr>', `capture: ${ONLY_TO_HELP}`)
    .option('--seed <n>', 'traffic seed', intFlag('--seed'))
    .addOption(ipVersionOption())
    .option('--packets <n>', 'how many frames to narrate (default 40)', intFlag('--packets', 1, 100_000))
    .addOption(
      new Option('--kernel <policy>', "a forwarding scenario's kernel: '2.6.24', '2.6.27' or 'modern'").argParser(
        choiceFlag('--kernel', ['2.6.24', '2.6.27', 'modern'] as const),
      ),
    )
    .option('--from <n>', 'first frame to narrate (default 0)', intFlag('--from'))
    .option(
      '--every-frame',
      'narrate every frame in full (default: 3 or more frames in a row that take the same path print as one line)',
    )
    .option(
      '--json',
      'print the narrated events as JSON lines on stdout: a TraceEvent each, plus "story" (the frame it is narrated with)',
    )
    .addHelpText(
      'after',
      `
With no capture, scenario or config: the ${DEFAULT_TRACE_SCENARIO} scenario on the eHEA with LRO, first 40 frames —
a session opening, appends, the flush at the end of each NAPI poll, and the ACKs. Frames are numbered in order of arrival at the NIC. The whole run is
simulated; the counters at the end are the whole run's.

Examples:
  vnic trace
  vnic trace --scenario lossy-link --packets 80
  vnic trace --scenario vlan-mixed --engine gro --from 100
  vnic trace --scenario forward --engine lro --kernel 2.6.24 --packets 12
  vnic trace --scenario bridge --engine gro --packets 12
  vnic trace capture.pcap --only-to 10.77.0.2 --model myri10ge
  vnic trace --json | jq -c 'select(.layer == "lro")'`,
    )
    .action(async (capture: string | undefined, f: TraceFlags) => {
      const { cfg, source } = traceConfig(capture, f);
      await checkOnlyTo(f.onlyTo);
      const { runLab } = await import('../../lab/run.ts');
      const { narrate, TraceWindow } = await import('../../lab/narrate.ts');
      const { LabEvents } = await import('../../observe/trace.ts');
      const { renderStories } = await import('../trace-narrator.ts');
      const from = f.from ?? 0,
        count = f.packets ?? 40;
      const window = new TraceWindow(from + count);
      const res = runOrExplain(() => runLab(cfg, { tracer: window.subscribeTo(new LabEvents()) }));
      const stories = narrate(window.events, { from, count });
      if (f.json) {
        const lines: string[] = [];
        for (const s of stories)
          for (const e of s.events) lines.push(JSON.stringify({ ...e, frame: e.frame ?? s.frame, story: s.frame }));
        stdout.write(lines.length > 0 ? `${lines.join('\n')}\n` : '');
        return;
      }
      const colour = useColour(stdout);
      const p = paint(colour);
      const model = cfg.model ?? 'ehea',
        engine = res.engine;
      const last = Math.min(from + count, res.report.framesIn) - 1;
      const out: string[] = [];
      out.push(
        p.bold(
          `${source} on ${model} (driver ${res.driver.name ?? model}), engine ${engine}: frames ${from}–${last} of ${fmtInt(res.report.framesIn)}`,
        ),
      );
      out.push('');
      out.push(...renderStories(stories, colour, f.everyFrame !== true));
      if (stories.length === 0)
        out.push(p.dim(`(no frames in ${from}–${from + count - 1}: the run had ${res.report.framesIn})`));
      out.push('');
      out.push(...footer(res.report, stories, colour));
      stdout.write(`${out.join('\n')}\n`);
    });
}

function traceConfig(capture: string | undefined, f: TraceFlags): { cfg: LabConfig; source: string } {
  const given = [capture !== undefined, f.scenario !== undefined, f.config !== undefined].filter(Boolean).length;
  if (given > 1) throw new UsageError('give one of <capture>, --scenario or --config');
  if (f.onlyTo !== undefined && capture === undefined) throw new UsageError('--only-to applies to a capture');
  let cfg: LabConfig, source: string;
  if (capture !== undefined) {
    checkReadable(capture, 'capture');
    cfg = { capture: { path: capture, ...(f.onlyTo !== undefined ? { onlyTo: f.onlyTo } : {}) } };
    source = `capture ${capture}`;
  } else if (f.config !== undefined) {
    checkReadable(f.config, '--config');
    let v: unknown;
    try {
      v = JSON.parse(readFileSync(f.config, 'utf8'));
    } catch (e) {
      throw new UsageError(`--config ${f.config}: not valid JSON (${(e as Error).message})`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw new UsageError(`--config ${f.config}: must hold a JSON object`);
    cfg = v as LabConfig;
    source = `config ${f.config}`;
  } else {
    const name = f.scenario ?? DEFAULT_TRACE_SCENARIO;
    const s = getScenario(name);
    if (s === undefined)
      throw new UsageError(
        `--scenario ${name}: no such scenario (scenarios: ${SCENARIOS.map((x) => x.name).join(', ')})`,
      );
    cfg = { ...s.lab };
    source = `scenario ${name}`;
  }
  cfg = { ...cfg, ...labFromFlags(f) };
  if (f.seed !== undefined && cfg.traffic !== undefined) cfg.traffic = { ...(cfg.traffic as object), seed: f.seed };
  if (f.kernel !== undefined) {
    if (cfg.forward === undefined)
      throw new UsageError(
        '--kernel applies to a forwarding run (--scenario forward or bridge, or a config with "forward")',
      );
    cfg.forward = { ...cfg.forward, kernel: f.kernel };
  }
  return { cfg: withIpVersion(cfg, f.ip), source };
}

/** The whole run in a few lines: what went in, what the engine did, what the stack got. */
function footer(r: RunReport, stories: readonly FrameStory[], colour: boolean): string[] {
  const p = paint(colour);
  const out = [p.bold('counters (whole run)')];
  out.push(
    `  frames in ${fmtInt(r.framesIn)} → packets to the stack ${fmtInt(r.framesToStack)} (aggregation ${aggregationRatio(r).toFixed(2)}×)`,
  );
  if (r.lro.enabled)
    out.push(
      `  LRO: ${fmtInt(r.lro.aggregated)} aggregated, ${fmtInt(r.lro.flushed)} flushed (avg ${r.lro.avgAggr.toFixed(2)} per flush), no_desc ${fmtInt(r.lro.noDesc)}`,
    );
  out.push(
    `  ACKs sent ${fmtInt(r.acksSent)}, drops ${fmtInt(r.dropsTotal)}, bytes delivered ${fmtInt(r.bytesDelivered)}, every byte stream intact: ${r.allStreamsOk ? p.green('yes') : p.red('NO')}`,
  );
  for (const l of reasonLines(r)) out.push(`  ${l}`);
  const fw = r.forward;
  if (fw !== undefined) {
    const n = (k: string) => fmtInt(Number(fw[k] ?? 0));
    out.push(
      `  ${fw['mode'] === 'bridge' ? 'bridging' : 'forwarding'} (kernel ${String(fw['kernel'])}): ${n('forwarded')} packets ${fw['mode'] === 'bridge' ? 'bridged' : 'forwarded'} (${n('forwardedAggregates')} aggregates)${fw['lroDisabledByForwarding'] === 1 ? ', LRO disabled by dev_disable_lro' : ''}; ingress frames ${n('ingressFrames')}, egress frames ${n('egressFrames')}, ${n('egressDiffering')} differ; egress identical to ingress: ${fw['egressIdenticalToIngress'] === true ? p.green('yes') : p.red('no')}`,
    );
  }
  out.push(p.dim(`  (${stories.length} frames narrated)`));
  return out;
}
