// vitest globalSetup (vitest.config.ts): the tests that spawn `vnic` (cli/test-support.ts `vnicProcess`) run the
// built bin, dist/cli/main.js, as a user does; a Node start through tsx costs three times the CPU. So before
// any test file runs, dist/ is rebuilt when a product source is newer than the last build (`npm ci` builds it
// through `prepare`; an edit since then rebuilds here, incrementally). Once per vitest run, in the main process.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** tsconfig.build.json's `include`: the layers dist/ is compiled from. */
const LAYERS = ['wire', 'sim', 'hw-models', 'drivers', 'lro', 'stack', 'traffic', 'tap', 'lab', 'cli', 'report'];
/** What the last build wrote last (tsconfig.build.json `tsBuildInfoFile`). */
const STAMP = join(ROOT, 'dist/.tsbuildinfo');

/** The newest modification time among the sources dist/ is built from (tests included: cheap, and harmless). */
function newestSource(): number {
  let newest = statSync(join(ROOT, 'tsconfig.build.json')).mtimeMs;
  for (const layer of LAYERS) {
    for (const f of readdirSync(join(ROOT, layer), { recursive: true }) as string[]) {
      if (f.endsWith('.ts')) newest = Math.max(newest, statSync(join(ROOT, layer, f)).mtimeMs);
    }
  }
  return newest;
}

export default function buildWhenStale(): void {
  const built = existsSync(STAMP) && existsSync(join(ROOT, 'dist/cli/main.js')) ? statSync(STAMP).mtimeMs : -1;
  if (built >= newestSource()) return;
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  process.stdout.write('dist/ is older than the sources: npm run build (the spawned-bin tests run dist/cli/main.js)\n');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
}
