// Where the `vnic` command writes and which environment it reads. The bin (cli/main.ts) runs it on the
// process's own streams; `runCli(argv, io)` runs it in-process with any streams (tests capture the text).
// Commands write through `stdout` and `stderr` below, never through `process.stdout` directly, so each
// in-process run sees only its own output even when several run at once (AsyncLocalStorage keeps the
// current run's streams across awaits).
import { AsyncLocalStorage } from 'node:async_hooks';

/** A text sink: `process.stdout`, or a test's string collector. */
export interface CliStream {
  write(text: string): unknown;
  /** A terminal: colour and progress bars only then. */
  readonly isTTY?: boolean;
}

/** The streams and environment one `vnic` invocation uses. */
export interface CliIO {
  stdout: CliStream;
  stderr: CliStream;
  /** Read for NO_COLOR, CI and VNIC_DEBUG. */
  env: Readonly<Record<string, string | undefined>>;
}

/** The process's own streams and environment: what the installed `vnic` command uses. */
export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

const current = new AsyncLocalStorage<CliIO>();

/** Runs `fn` with `io` as the streams every command writes to. */
export function withIO<T>(io: CliIO, fn: () => T): T {
  return current.run(io, fn);
}

/** The streams of the invocation running now (the process's own outside any `withIO`). */
export function currentIO(): CliIO {
  return current.getStore() ?? processIO();
}

function streamOf(pick: (io: CliIO) => CliStream): CliStream {
  return {
    write: (text: string) => pick(currentIO()).write(text),
    get isTTY() {
      return pick(currentIO()).isTTY === true;
    },
  };
}

/** The current invocation's standard output: --json documents and tables. */
export const stdout: CliStream = streamOf((io) => io.stdout);
/** The current invocation's standard error: progress, usage errors and check failures. */
export const stderr: CliStream = streamOf((io) => io.stderr);
