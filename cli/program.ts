// The `vnic` command as a program: `buildProgram()` registers every subcommand (cli/commands/index.ts is
// the one list), `runCli(argv, io)` runs one invocation and returns its exit code. The bin (cli/main.ts)
// calls runCli on the process's streams; tests call it in-process with string collectors.
// Output rules: --json goes to stdout, everything else to stderr; exit 0 ok, 1 a check failed,
// 2 a usage or input error; one line for a user's mistake, never a stack trace; 70 for our bugs.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { registerCommands } from './commands/index.ts';
import { CheckFailed, UsageError } from './errors.ts';
import { type CliIO, currentIO, stderr, stdout, withIO } from './io.ts';
import { loadUserModule } from './load.ts';
import { packageVersion } from './version.ts';

const EXIT_CODES = `
Exit codes: 0 success; 1 a check failed (a byte stream differs, nothing was delivered; one line
each says why); 2 a usage or input error (a flag, a file, a --load module); 70 a bug in vnic-lab.`;

/** The `vnic` program with every subcommand registered. */
export function buildProgram(): Command {
  const program = new Command('vnic');
  program
    .description(
      'vnic-lab: simulated NICs, NAPI drivers, Linux 2.6.24 inet_lro and GRO, and a stack that checks every byte',
    )
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .option(
      '--load <module>',
      'import a module that registers your own driver or NIC model (repeatable), e.g. --load examples/minimal-driver.ts',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .hook('preSubcommand', async (cmd) => {
      for (const m of (cmd.opts() as { load: string[] }).load)
        await loadUserModule(m, '--load', { mustRegister: true });
    })
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => stdout.write(s),
      writeErr: (s) => stderr.write(s),
      outputError: (s, write) =>
        write(
          `vnic: ${
            s
              .replace(/^error: /, '')
              .trim()
              .split('\n')[0]
          }\n`,
        ),
    });
  registerCommands(program);
  for (const c of program.commands) c.addHelpText('after', EXIT_CODES);
  program.addHelpText(
    'after',
    `
Examples:
  vnic run                                   the default comparison: LRO off vs on
  vnic run --scenario many-flows --json      every engine on 32 flows, as JSON
  vnic replay capture.pcap --engine gro      a capture through the eHEA model and GRO
  vnic report --html report.html             the HTML report with five charts
  sudo vnic kernel-check capture.pcap        the lab's GRO against this machine's kernel GRO
  vnic <command> --help                      a command's flags and examples
${EXIT_CODES}`,
  );
  return program;
}

/** Runs one `vnic` invocation (`argv` as process.argv: node, script, args…) on `io`; returns the exit code. */
export function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  return withIO(io, () => run(argv));
}

async function run(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  if (argv.length <= 2) {
    program.outputHelp();
    return 2;
  }
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
        return 0;
      return e.code === 'commander.executeSubCommandAsync' ? 1 : 2; // commander has printed the one line already
    }
    if (e instanceof UsageError || e instanceof InvalidArgumentError) {
      stderr.write(`vnic: ${e.message}\n`);
      return 2;
    }
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
