// `vnic --help` starts fast because building the program loads none of the lab: each command's action
// imports the layers it runs with `await import()` (cli/commands/index.ts). This walks the static
// imports from the bin, as Node would load them, and names any heavy module that crept in.
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Every module the bin loads before it parses a flag: repository files and package names. */
function staticImports(_entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    // `import type …` is erased; anything else (even `import { type X }`, kept by verbatimModuleSyntax) loads the module
    for (const m of text.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?'([^']+)'/gm)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) visit(join(dirname(file), spec));
      else if (!spec.startsWith('node:')) packages.add(spec);
    }
  };
  visit(join(ROOT, 'cli/main.ts'));
  return { files: [...files].map((f) => relative(ROOT, f)).sort(), packages: [...packages].sort() };
}

describe('what `vnic --help` loads', () => {
  it('commander and the CLI’s own light modules: no zod, no lab layer', () => {
    const { files, packages } = staticImports(join(ROOT, 'cli/main.ts'));
    expect(packages).toEqual(['commander']);
    // the scenario table and the forwarding host's addresses it names are plain data the help text lists
    const light = new Set(['lab/scenarios.ts', 'lab/forward-net.ts']);
    const heavy = files.filter((f) => !f.startsWith('cli/') && !light.has(f));
    expect(heavy, 'load these in the command’s action with await import()').toEqual([]);
    expect(files).not.toContain('cli/commands/matrix.ts');
  });
});
