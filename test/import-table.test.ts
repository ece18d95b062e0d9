// DESIGN.md's import table, enforced: every production and test file of a core layer imports only its
// own layer and the layers the table lists for it; a layer's test file may also import test/ helpers.
// Folders the table gives "everything" (cli/, report/, examples/, bench/, test/, docs/) are not checked.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** docs/architecture.md "Layers and who may import whom", one row per folder. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  wire: [],
  sim: ['wire'],
  observe: ['wire', 'sim'],
  tap: ['wire'],
  'hw-models': ['wire', 'sim', 'observe'],
  stack: ['wire', 'sim', 'observe'],
  lro: ['wire', 'sim', 'observe', 'stack'],
  drivers: ['wire', 'sim', 'observe', 'tap', 'hw-models', 'stack', 'lro'],
  traffic: ['wire', 'sim', 'observe', 'tap'],
  lab: ['wire', 'sim', 'observe', 'tap', 'hw-models', 'stack', 'lro', 'drivers', 'traffic'],
  fuzz: ['wire', 'sim', 'observe', 'tap', 'hw-models', 'stack', 'lro', 'drivers', 'traffic', 'lab'],
};

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) return [];
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every relative module a file imports or re-exports (static and dynamic). */
function importsOf(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(
    /(?:^|\n)\s*(?:import|export)\b[^'"\n;]*?\bfrom\s+['"](\.[^'"]+)['"]|(?:^|\n)\s*import\s+['"](\.[^'"]+)['"]|\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g,
  )) {
    out.push((m[1] ?? m[2] ?? m[3])!);
  }
  return out;
}

describe('the import table', () => {
  it('holds for every production and test file of the core layers', () => {
    const breaches: string[] = [];
    let checked = 0;
    for (const layer of Object.keys(MAY_IMPORT)) {
      for (const file of tsFiles(join(ROOT, layer))) {
        const rel = relative(ROOT, file);
        const isTest = rel.endsWith('.test.ts');
        for (const spec of importsOf(readFileSync(file, 'utf8'))) {
          checked++;
          const target = relative(ROOT, resolve(dirname(file), spec)).split('/')[0]!;
          if (target === layer || MAY_IMPORT[layer]!.includes(target) || (isTest && target === 'test')) continue;
          breaches.push(`${rel} imports ${spec} (${target}/ is not in ${layer}/'s row)`);
        }
      }
    }
    expect(breaches).toEqual([]);
    expect(checked).toBeGreaterThan(300); // the walk found the code
  });

  it('recognises the import forms it checks', () => {
    expect(
      importsOf(
        `import { a } from './x.ts';\nimport type { B } from "../y/z.ts";\nexport * from './w.ts';\nimport './side.ts';\nconst m = await import('../q.ts');`,
      ),
    ).toEqual(['./x.ts', '../y/z.ts', './w.ts', './side.ts', '../q.ts']);
  });
});
