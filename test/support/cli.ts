// Running `vnic` from tests. `vnic(...)` runs it in-process through runCli (cli/program.ts) with string
// collectors for stdout and stderr: the same program, flags, output and exit codes as the bin, without
// paying a Node start per case. `vnicProcess(...)` spawns the bin itself: one smoke test per command.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CliIO } from '../../cli/io.ts';
import { runCli } from '../../cli/program.ts';

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface VnicOptions {
  /** The environment the command reads (NO_COLOR, CI, VNIC_DEBUG); default `{ NO_COLOR: '1' }`. */
  env?: Record<string, string | undefined>;
  /** Whether stdout and stderr look like a terminal (colour, progress bars); default false, like a pipe. */
  tty?: boolean;
}

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The built bin (package.json `bin`), kept current by test/built-bin.ts before the tests run. */
const BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** `vnic ...args` in-process: its exit code and everything it wrote. */
export async function vnic(args: readonly string[], o: VnicOptions = {}): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  const tty = o.tty === true;
  const io: CliIO = {
    stdout: { write: (t: string) => (stdout += t), isTTY: tty },
    stderr: { write: (t: string) => (stderr += t), isTTY: tty },
    env: o.env ?? { NO_COLOR: '1' },
  };
  const code = await runCli(['node', 'vnic', ...args], io);
  return { code, stdout, stderr };
}

/** `vnic ...args` as a process (`node dist/cli/main.js`, the built bin, from the repository root or `cwd`). */
export function vnicProcess(
  args: readonly string[],
  o: { env?: Record<string, string | undefined>; cwd?: string } = {},
): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: o.cwd ?? ROOT, env: { ...process.env, NO_COLOR: '1', ...o.env }, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
      },
    );
  });
}
