// vitest globalSetup (vitest.config.ts): the tests that spawn `vnic` (test/support/cli.ts `vnicProcess`) run the
// built bin, dist/cli/main.js, as a user does; a Node start through tsx costs three times the CPU. So before
// any test file runs, dist/ is rebuilt when a product source is newer than the last build (`npm ci` builds it
// through `prepare`; an edit since then rebuilds here, incrementally). Once per vitest run, in the main process.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILT_WORKER_ENV } from '../cli/pool/built-worker.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** tsconfig.build.json's `include`: the layers dist/ is compiled from (its comments and trailing commas aside). */
const LAYERS = (
  JSON.parse(
    readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')
      .replace(/^\s*\/\/.*$/gm, '')
      .replace(/,(\s*[}\]])/g, '$1'),
  ) as { include: string[] }
).include;
/** What the last build wrote last (tsconfig.build.json `tsBuildInfoFile`). */
const STAMP = join(ROOT, 'dist/.tsbuildinfo');

/** Test code in those layers: not what the bin runs, so an edit there needs no rebuild. */
const TEST_CODE = /\.(test|conformance)\.ts$/;

/** The newest modification time among the sources dist/ is built from. */
function newestSource(): number {
  let newest = statSync(join(ROOT, 'tsconfig.build.json')).mtimeMs;
  for (const layer of LAYERS) {
    for (const f of readdirSync(join(ROOT, layer), { recursive: true }) as string[]) {
      if (f.endsWith('.ts') && !TEST_CODE.test(`/${f}`))
        newest = Math.max(newest, statSync(join(ROOT, layer, f)).mtimeMs);
    }
  }
  return newest;
}

export default function buildWhenStale(): void {
  rebuildWhenStale();
  // dist/ is now the sources compiled: the tests' worker pools (cli/pool/pool.ts) start their threads from the
  // compiled task module rather than loading the lab through tsx in each thread (half the CPU per thread).
  // Test workers are forked after this global setup, so they inherit the variable. Set beforehand, even empty
  // (`VNIC_POOL_BUILT_WORKER= npx vitest run ...`: threads through tsx, to compare), it is left as it is.
  process.env[BUILT_WORKER_ENV] ??= join(ROOT, 'dist/cli/pool/task.js');
}

function rebuildWhenStale(): void {
  const built = existsSync(STAMP) && existsSync(join(ROOT, 'dist/cli/main.js')) ? statSync(STAMP).mtimeMs : -1;
  if (built >= newestSource()) return;
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  process.stdout.write('dist/ is older than the sources: npm run build (the spawned-bin tests run dist/cli/main.js)\n');
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  } catch {
    // type errors: tsc writes dist/ regardless, and the typecheck beside the tests fails the run with them
    process.stdout.write('npm run build reported errors (above); the tests run on what it wrote\n');
  }
  // as npm run build does: npm makes the bin executable only when it links it at install, so a dist/ deleted and
  // rebuilt would leave `npx vnic` with "Permission denied"
  if (existsSync(join(ROOT, 'dist/cli/main.js'))) chmodSync(join(ROOT, 'dist/cli/main.js'), 0o755);
  // an incremental build that finds only comments changed may leave the stamp as it was: mark this check done
  const now = new Date();
  utimesSync(STAMP, now, now);
}
