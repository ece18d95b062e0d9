// Flags shared by the commands that run the receive path (replay, run, trace, matrix, report),
// and their translation into a lab config.
import { type Command, Option } from 'commander';
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { choiceFlag, intFlag, UsageError } from '../errors.ts';
import type { LabConfig } from '../../lab/run.ts';
import { ipv6Counterpart } from '../../lab/forward-net.ts';

export interface PathFlags {
  model?: string;
  driver?: string;
  engine?: 'lro' | 'gro' | 'off';
  maxAggr?: number;
  maxDesc?: number;
  mtu?: number;
  queues?: number;
  pollBudget?: number;
  batch?: 'bursts' | 'timestamps' | 'all';
  burstGapUs?: number;
  groFlushTimeoutUs?: number;
  deferHardIrqs?: number;
  onlyTo?: string;
  swCsum?: boolean;
  ackCounting?: 'gso_segs' | 'per-packet';
  seed?: number;
  groMaxSize?: number;
  groIpv4MaxSize?: number;
}

/** Adds the model/driver/engine flags of `vnic replay` to a command. */
export function addPathFlags(cmd: Command): Command {
  return cmd
    .option('--model <name>', 'NIC model (vnic models)')
    .option('--driver <name>', "driver (default: the model's own; vnic drivers)")
    .addOption(
      new Option('--engine <engine>', 'receive aggregation: lro, gro or off').argParser(
        choiceFlag('--engine', ['lro', 'gro', 'off'] as const),
      ),
    )
    .option('--max-aggr <n>', 'LRO max_aggr (default: the driver’s)', intFlag('--max-aggr', 1, 65535))
    .option('--max-desc <n>', 'LRO max_desc (default: the driver’s)', intFlag('--max-desc', 1, 1024))
    .option('--mtu <n>', 'MTU (default 1500; replay: the capture’s largest IP packet)', intFlag('--mtu', 68, 9000))
    .option('--queues <n>', 'receive queues (RSS / flow hash)', intFlag('--queues', 1, 64))
    .option('--poll-budget <n>', 'NAPI weight: frames per poll (default 64)', intFlag('--poll-budget', 1, 100_000_000))
    .addOption(
      new Option(
        '--batch <mode>',
        "replay: 'bursts' (default): the capture's arrival gaps split it into bursts, each in the ring whole before its poll; 'timestamps': every frame at its own time, interrupts decide the polls; 'all': every frame in the rings before the first poll",
      ).argParser(choiceFlag('--batch', ['bursts', 'timestamps', 'all'] as const)),
    )
    .option(
      '--burst-gap-us <n>',
      '--batch bursts: frames closer than this many µs are one burst (default 8)',
      intFlag('--burst-gap-us', 1, 1_000_000),
    )
    .option(
      '--gro-flush-timeout-us <n>',
      'NAPI gro_flush_timeout: a completion arms a timer that re-polls instead of flushing GRO (default 0: off)',
      intFlag('--gro-flush-timeout-us', 0, 1_000_000),
    )
    .option(
      '--defer-hard-irqs <n>',
      'NAPI napi_defer_hard_irqs: with --gro-flush-timeout-us, completions in a row that keep the interrupt masked (default 0)',
      intFlag('--defer-hard-irqs', 0, 2_147_483_647),
    )
    .option('--sw-csum', 'e1000: verify checksums in software so LRO may run')
    .option(
      '--gro-max-size <bytes>',
      "the device's gro_max_size, GRO's limit for IPv6 packets: up to 524280 (BIG TCP), default 65536",
      intFlag('--gro-max-size', 0, 524280),
    )
    .option(
      '--gro-ipv4-max-size <bytes>',
      "the device's gro_ipv4_max_size, GRO's limit for IPv4 packets (past 64 KB their total length says 0), default 65536",
      intFlag('--gro-ipv4-max-size', 0, 524280),
    )
    .addOption(
      new Option(
        '--ack-counting <mode>',
        "delayed ACKs count an aggregate as its segments ('gso_segs') or as one ('per-packet')",
      ).argParser(choiceFlag('--ack-counting', ['gso_segs', 'per-packet'] as const)),
    );
}

/** The lab settings named by the flags (only those given). */
export function labFromFlags(f: PathFlags): Partial<LabConfig> {
  const c: Partial<LabConfig> = {};
  if (f.model !== undefined) c.model = f.model;
  if (f.driver !== undefined) c.driver = f.driver;
  if (f.engine !== undefined) c.engine = f.engine;
  if (f.maxAggr !== undefined) c.maxAggr = f.maxAggr;
  if (f.groMaxSize !== undefined) c.groMaxSize = f.groMaxSize;
  if (f.groIpv4MaxSize !== undefined) c.groIpv4MaxSize = f.groIpv4MaxSize;
  if (f.maxDesc !== undefined) c.maxDesc = f.maxDesc;
  if (f.mtu !== undefined) c.mtu = f.mtu;
  if (f.queues !== undefined) c.queues = f.queues;
  if (f.pollBudget !== undefined) c.pollBudget = f.pollBudget;
  if (f.batch !== undefined) c.batch = f.batch;
  if (f.burstGapUs !== undefined) c.burstGapUs = f.burstGapUs;
  if (f.groFlushTimeoutUs !== undefined) c.groFlushTimeoutUs = f.groFlushTimeoutUs;
  if (f.deferHardIrqs !== undefined) c.deferHardIrqs = f.deferHardIrqs;
  if (f.swCsum !== undefined) c.softwareChecksum = f.swCsum;
  if (f.ackCounting !== undefined) c.ackCounting = f.ackCounting;
  return c;
}

/** Checks that a capture file exists and is readable before anything starts. */
export function checkReadable(path: string, what: string): void {
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new UsageError(`${what} ${path}: is a directory, not a ${what} file`);
    if (!st.isFile()) throw new UsageError(`${what} ${path}: not a file`);
    accessSync(path, constants.R_OK);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      `${what} ${path}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? (e as Error).message})`}`,
    );
  }
}

/** Where a --out file goes: it must end in .pcap or .pcapng. */
export function outFormat(path: string): 'pcap' | 'pcapng' {
  const p = path.toLowerCase();
  if (p.endsWith('.pcapng')) return 'pcapng';
  if (p.endsWith('.pcap')) return 'pcap';
  throw new UsageError(`--out ${path}: the file name must end in .pcap or .pcapng`);
}

/** The `--load` modules given to the program, as absolute paths (what a worker thread imports before its runs). */
export function loadedModules(program: Command): string[] {
  return ((program.opts() as { load?: string[] }).load ?? []).map((m) => resolve(m));
}

/** An output file's folder must exist and be writable, and the path must not be a folder: checked before any run. */
export function checkWritable(flag: string, path: string): void {
  const dir = dirname(resolve(path));
  try {
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory())
      throw new UsageError(`${flag} ${path}: is a directory`);
    if (!statSync(dir).isDirectory()) throw new UsageError(`${flag} ${path}: ${dir} is not a directory`);
    accessSync(dir, constants.W_OK);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      `${flag} ${path}: ${code === 'ENOENT' ? `no such directory ${dir}` : `cannot write (${code ?? (e as Error).message})`}`,
    );
  }
}

/** `--ip 4|6` of the commands that generate traffic (run, trace): the TCP flows' IP version. */
export function ipVersionOption(): Option {
  return new Option(
    '--ip <version>',
    "the generated TCP flows' IP version: 4 (default) or 6 (2001:db8::1 → 2001:db8::2, a flow's 10.0.X.Y becomes 2001:db8:X::Y, so the forward scenario routes to 2001:db8:1::2; inet_lro leaves IPv6 to the stack, GRO merges it)",
  ).argParser(choiceFlag('--ip', ['4', '6'] as const));
}

/**
 * Applies `--ip` to a config's generated traffic (its `ipv6` field); a capture has no flows to switch. With `--ip 6` a
 * flow's IPv4 addresses become their IPv6 counterparts (10.0.X.Y → 2001:db8:X::Y: the forward scenario's far host).
 */
export function withIpVersion(cfg: LabConfig, ip: '4' | '6' | undefined): LabConfig {
  if (ip === undefined) return cfg;
  if (cfg.traffic === undefined) throw new UsageError(`--ip ${ip} applies to generated traffic, not to a capture`);
  const traffic = cfg.traffic as { flows?: unknown };
  const flows =
    ip === '6' && Array.isArray(traffic.flows)
      ? traffic.flows.map((f: unknown) => {
          const g = { ...(f as Record<string, unknown>) };
          for (const k of ['src', 'dst'] as const) {
            const a = g[k];
            if (typeof a === 'string' && !a.includes(':')) g[k] = ipv6Counterpart(a) ?? a;
          }
          return g;
        })
      : traffic.flows;
  return {
    ...cfg,
    traffic: { ...(cfg.traffic as object), ...(flows !== undefined ? { flows } : {}), ipv6: ip === '6' },
  };
}

/** What --only-to's help says it takes. */
export const ONLY_TO_HELP = 'keep only frames addressed to this IPv4, IPv6 or MAC address';

/** Checks --only-to's value: exit 2 naming the flag when it is no address (the parser loads with the lab, not at startup). */
export async function checkOnlyTo(onlyTo: string | undefined): Promise<void> {
  if (onlyTo === undefined) return;
  const { DESTINATION_FORMS, isDestination } = await import('../../traffic/destination-filter.ts');
  if (!isDestination(onlyTo)) throw new UsageError(`--only-to takes ${DESTINATION_FORMS}, not '${onlyTo}'`);
}
