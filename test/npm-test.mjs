// `npm test`: the typecheck (tsc --noEmit over everything, tests included) and vitest run side by side
// rather than one after the other, so the single-threaded tsc uses a core while vitest's workers use the rest.
// vitest prints as it goes; tsc's errors follow it. Fails when either fails. Arguments go to vitest
// (`npm test -- cli/` runs the typecheck and the tests under cli/).
// Plain JavaScript run by node: it starts before anything is compiled.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
/** The file a package's `bin` names: where `npx <name>` would start, without npx's own start-up. */
function bin(pkg, name) {
  const manifest = require.resolve(`${pkg}/package.json`);
  const b = JSON.parse(readFileSync(manifest, 'utf8')).bin;
  return join(dirname(manifest), typeof b === 'string' ? b : b[name]);
}

/** Runs `node script ...args`; resolves its exit code (and its output, when captured). */
function run(script, args, capture) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: capture ? 'pipe' : 'inherit' });
    let out = '';
    if (capture) {
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
    }
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), out }));
  });
}

// --incremental: an unchanged tree is re-checked from node_modules/.cache in a few seconds; a fresh clone pays it once
const typecheck = run(
  bin('typescript', 'tsc'),
  ['--noEmit', '-p', '.', '--incremental', '--tsBuildInfoFile', 'node_modules/.cache/vnic-typecheck.tsbuildinfo'],
  true,
);
const tests = run(bin('vitest', 'vitest'), ['run', ...process.argv.slice(2)], false);
const [tsc, vitest] = await Promise.all([typecheck, tests]);
if (tsc.code !== 0) process.stderr.write(`\ntsc --noEmit -p . failed (exit ${tsc.code}):\n${tsc.out}`);
else process.stdout.write('tsc --noEmit -p .: no type errors\n');
process.exitCode = tsc.code !== 0 ? tsc.code : vitest.code;
