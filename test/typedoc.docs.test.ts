// The API reference builds without a warning: TypeDoc over every layer's entry point (typedoc.json, which
// also sets treatWarningsAsErrors) with broken {@link}s, bad paths and referenced-but-unexported types
// all validated. `--emit none` checks without writing docs/api. Takes ~20 s: part of `npm run docs:check`.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('npm run docs:api', () => {
  it('TypeDoc finds no errors and no warnings', async () => {
    const r = await promisify(execFile)(process.execPath, ['node_modules/typedoc/bin/typedoc', '--emit', 'none'], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      maxBuffer: 1 << 24,
    }).then(
      (x) => ({ code: 0, out: x.stdout + x.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    );
    expect(r.out).not.toMatch(/\[(warning|error)\]/);
    expect(r.code).toBe(0);
  }, 180_000);
});
