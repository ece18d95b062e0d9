// The `vnic` command as a program: `buildProgram()` registers every subcommand (cli/commands/index.ts is
// the one list), `runCli(argv, io)` runs one invocation and returns its exit code. The bin (cli/main.ts)
// calls runCli on the process's streams; tests call it in-process with string collectors.
// Output rules: --json goes to stdout, everything else to stderr; exit 0 ok, 1 a check failed,
// 2 a usage or input error; one line for a user's mistake, never a stack trace; 70 for our bugs.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { registerCommands } from './commands/index.ts';
import { CheckFailed, UsageError } from './errors.ts';
import { type CliIO, currentIO, stderr, stdout, withIO } from './io.ts';
import { packageVersion } from './version.ts';

const EXIT_CODES = `
Exit codes: 0 success; 1 a check failed (a byte stream differs, nothing was delivered; one line
each says why); 2 a usage or input error (a flag, a file, a --load module); 70 a bug in vnic-lab.`;

/** Modules this process imported already (an in-process run may load one again: the import is cached and registers nothing new). */
const loaded = new Set<string>();

/**
 * Imports a `--load` module; TypeScript needs tsx, which the built command loads on demand. The
 * module's mistakes are the user's (exit 2), named by file and line: a module that throws, does not
 * parse, is CommonJS, or registers nothing.
 */
async function loadModule(spec: string): Promise<void> {
  const file = resolve(spec);
  if (!existsSync(file)) throw new UsageError(`--load ${spec}: no such file`);
  if (statSync(file).isDirectory()) throw new UsageError(`--load ${spec}: is a directory, not a module`);
  if (/\.[cm]?ts$/.test(file) && !import.meta.url.endsWith('.ts')) {
    // the compiled bin runs on plain node: register tsx's loader for TypeScript modules
    try {
      const api = (await import('tsx/esm/api')) as { register: () => unknown };
      api.register();
    } catch {
      throw new UsageError(`--load ${spec}: loading a TypeScript module needs tsx (npm install --save-dev tsx), or give compiled JavaScript`);
    }
  }
  const { listDrivers } = await import('../drivers/index.ts');
  const { listModels } = await import('../hw-models/registry.ts');
  const before = listDrivers().length + listModels().length;
  try {
    await import(pathToFileURL(file).href);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    const line = lineIn(`${err.message}\n${err.stack ?? ''}`, file);
    throw new UsageError(`--load ${spec}${line !== null ? `:${line}` : ''}: ${loadProblem(err)}`);
  }
  if (!loaded.has(file) && listDrivers().length + listModels().length === before) {
    throw new UsageError(`--load ${spec}: registered no driver or NIC model (an ES module that calls registerDriver or registerModel when imported)`);
  }
  loaded.add(file);
}

/** The line of `file` an error points at (from esbuild's `file:line:col:` or a stack frame), or null. */
function lineIn(text: string, file: string): number | null {
  for (const name of [pathToFileURL(file).href, file]) {
    const at = text.indexOf(`${name}:`);
    if (at < 0) continue;
    const m = /^:(\d+)/.exec(text.slice(at + name.length));
    if (m !== null) return Number(m[1]);
  }
  return null;
}

/** One line for what went wrong in a --load module. */
function loadProblem(err: Error): string {
  const esbuild = /ERROR: (.*)/.exec(err.message);
  if (esbuild !== null) return `does not parse: ${esbuild[1]}`;
  const first = err.message.split('\n')[0]!;
  if (/(require|module|exports) is not defined in ES module scope/.test(first)) return `is CommonJS (${first}); --load takes an ES module (import/export)`;
  if (err instanceof SyntaxError) return `does not parse: ${first}`;
  return `threw ${err.name}: ${first}`;
}

/** The `vnic` program with every subcommand registered. */
export function buildProgram(): Command {
  const program = new Command('vnic');
  program
    .description('vnic-lab: simulated NICs, NAPI drivers, Linux 2.6.24 inet_lro and GRO, and a stack that checks every byte')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .option('--load <module>', 'import a module that registers your own driver or NIC model (repeatable), e.g. --load examples/minimal-driver.ts',
      (v: string, prev: string[]) => [...prev, v], [] as string[])
    .hook('preSubcommand', async (cmd) => {
      for (const m of (cmd.opts() as { load: string[] }).load) await loadModule(m);
    })
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => stdout.write(s),
      writeErr: (s) => stderr.write(s),
      outputError: (s, write) => write(`vnic: ${s.replace(/^error: /, '').trim().split('\n')[0]}\n`),
    });
  registerCommands(program);
  for (const c of program.commands) c.addHelpText('after', EXIT_CODES);
  program.addHelpText('after', `
Examples:
  vnic run                                   the default comparison: LRO off vs on
  vnic run --scenario many-flows --json      every engine on 32 flows, as JSON
  vnic replay capture.pcap --engine gro      a capture through the eHEA model and GRO
  vnic report --html report.html             the HTML report with five charts
  vnic <command> --help                      a command's flags and examples
${EXIT_CODES}`);
  return program;
}

/** Runs one `vnic` invocation (`argv` as process.argv: node, script, args…) on `io`; returns the exit code. */
export function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  return withIO(io, () => run(argv));
}

async function run(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  if (argv.length <= 2) { program.outputHelp(); return 2; }
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return e.code === 'commander.executeSubCommandAsync' ? 1 : 2; // commander has printed the one line already
    }
    if (e instanceof UsageError || e instanceof InvalidArgumentError) { stderr.write(`vnic: ${e.message}\n`); return 2; }
    if (e instanceof CheckFailed) {
      stderr.write(`vnic: check failed: ${e.message}\n`);
      for (const l of e.details) stderr.write(`  ${l}\n`);
      return 1;
    }
    const err = e as Error;
    stderr.write(`vnic: internal error: ${err.message ?? String(e)} (set VNIC_DEBUG=1 for details)\n`);
    if (currentIO().env['VNIC_DEBUG']) stderr.write(`${err.stack ?? ''}\n`);
    return 70;
  }
}
