// The `vnic` command: one front door to the lab. Each subcommand lives in cli/commands/.
// Output rules: --json goes to stdout, everything else to stderr; exit 0 ok, 1 a check failed,
// 2 a usage or input error; one line for a user's mistake, never a stack trace.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { readFileSync } from 'node:fs';
import { loadUserModule } from './load.ts';
import { CheckFailed, UsageError } from './errors.ts';
import { registerCommands } from './commands/index.ts';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('vnic');
  program
    .description('vnic-lab: simulated NICs, NAPI drivers, Linux 2.6.24 inet_lro and GRO, and a stack that checks every byte')
    .version(pkg.version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .option('--load <module>', 'import a module that registers your own driver or NIC model (repeatable), e.g. --load examples/minimal-driver.ts',
      (v: string, prev: string[]) => [...prev, v], [] as string[])
    .hook('preSubcommand', async (cmd) => {
      for (const m of (cmd.opts() as { load: string[] }).load) await loadUserModule(m, '--load');
    })
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
      outputError: (s, write) => write(`vnic: ${s.replace(/^error: /, '').trim().split('\n')[0]}\n`),
    });
  registerCommands(program);
  program.addHelpText('after', `
Examples:
  vnic run                                   the default comparison: LRO off vs on
  vnic run --scenario many-flows --json      every engine on 32 flows, as JSON
  vnic replay capture.pcap --engine gro      a capture through the eHEA model and GRO
  vnic report --html report.html             the HTML report with five charts
  vnic <command> --help                      a command's flags and examples`);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  if (argv.length <= 2) { program.outputHelp(); return 2; }
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return e.code === 'commander.executeSubCommandAsync' ? 1 : 2; // commander has printed the one line already
    }
    if (e instanceof UsageError || e instanceof InvalidArgumentError) { process.stderr.write(`vnic: ${e.message}\n`); return 2; }
    if (e instanceof CheckFailed) { process.stderr.write(`vnic: check failed: ${e.message}\n`); return 1; }
    const err = e as Error;
    process.stderr.write(`vnic: internal error: ${err.message ?? String(e)} (set VNIC_DEBUG=1 for details)\n`);
    if (process.env['VNIC_DEBUG']) process.stderr.write(`${err.stack ?? ''}\n`);
    return 70;
  }
}

// a reader that stops early (`vnic trace | head`) closes the pipe: that is not an error
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); else throw e; });
}
process.exitCode = await main(process.argv);
