#!/usr/bin/env node
// The `vnic` command (package.json `bin`: dist/cli/main.js once built; `tsx cli/main.ts` in a checkout):
// runs cli/program.ts on the process's own streams and exits with its code.
import { processIO } from './io.ts';
import { runCli } from './program.ts';

// a reader that stops early (`vnic trace | head`) closes the pipe: that is not an error
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    else throw e;
  });
}
process.exitCode = await runCli(process.argv, processIO());
