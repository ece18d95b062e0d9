// Every "§" the code and docs cite resolves in docs/spec/inet_lro.md: the section exists, and so does
// the numbered step or rule ("§2.2 rule 9", "§2.1 step 5a") or the quirk ("§2.10 Q7") it names. Every quoted
// gro.md heading cited after spec/gro.md names a heading there. Citations of other documents (an RFC,
// a datasheet) are left alone.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/cli.ts';

const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', 'captures', 'api']);

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) {
      if (!SKIP_DIRS.has(e)) sourceFiles(p, out);
    } else if (/\.(ts|md)$/.test(e)) out.push(p);
  }
  return out;
}

/** Section number → its text (heading to the next heading), from `## 2. …` / `### 2.10 …` headings. */
function sections(markdown: string): Map<string, string> {
  const out = new Map<string, string>();
  let current: string | undefined;
  for (const line of markdown.split('\n')) {
    const h = /^#{2,4} (\d+(?:\.\d+)*)\.? /.exec(line);
    if (h !== null) {
      current = h[1]!;
      out.set(current, '');
      continue;
    }
    if (/^#{1,4} /.test(line)) {
      current = undefined;
      continue;
    }
    if (current !== undefined) out.set(current, `${out.get(current)!}${line}\n`);
  }
  return out;
}

const INET_LRO = sections(readFileSync(join(ROOT, 'docs/spec/inet_lro.md'), 'utf8'));
const GRO_HEADINGS = readFileSync(join(ROOT, 'docs/spec/gro.md'), 'utf8')
  .split('\n')
  .filter((l) => l.startsWith('## '))
  .map((l) => l.slice(3));

/** Why the citation `§<section>[ rule|step <n>| Q<n>]` does not resolve, or null when it does. */
function unresolved(section: string, kind: string | undefined, item: string | undefined): string | null {
  const body = INET_LRO.get(section);
  if (body === undefined) return `no section ${section}`;
  if (kind === undefined || item === undefined) return null;
  if (kind === 'Q') return new RegExp(`\\*\\*Q${item}\\*\\*`).test(body) ? null : `no quirk Q${item} in §${section}`;
  const [, n, letter] = /^(\d+)([a-z]?)$/.exec(item)!;
  if (!new RegExp(`^${n}\\. `, 'm').test(body)) return `no ${kind} ${n} in §${section}`;
  if (
    letter !== '' &&
    !new RegExp(`^\\s+${letter}\\. `, 'm').test(body.split(new RegExp(`^${n}\\. `, 'm'))[1]!.split(/^\d+\. /m)[0]!)
  ) {
    return `no ${kind} ${n}${letter} in §${section}`;
  }
  return null;
}

interface Citation {
  where: string;
  text: string;
  problem: string | null;
}

function citations(): Citation[] {
  const out: Citation[] = [];
  for (const file of sourceFiles(ROOT)) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      const where = `${relative(ROOT, file)}:${i + 1}`;
      for (const m of line.matchAll(/§(\d+(?:\.\d+)*)(?: (rule|step) (\d+[a-z]?)| (Q)(\d+))?/g)) {
        // another document's section: an RFC, a datasheet or another page (the citation may wrap a line)
        const before = `${lines[i - 1] ?? ''} ${line.slice(0, m.index)}`;
        if (/(RFC ?\d+|datasheet)\s*$/i.test(before)) continue;
        const page = /([\w./-]+\.md)\s*$/.exec(before);
        if (page !== null && !page[1]!.endsWith('inet_lro.md')) continue;
        out.push({ where, text: m[0], problem: unresolved(m[1]!, m[2] ?? m[4], m[3] ?? m[5]) });
      }
      for (const m of line.matchAll(/spec\/gro\.md "([^"]+)"/g)) {
        out.push({
          where,
          text: m[0],
          problem: GRO_HEADINGS.some((h) => h.startsWith(m[1]!)) ? null : `no heading "${m[1]}" in docs/spec/gro.md`,
        });
      }
    });
  }
  return out;
}

describe('spec citations', () => {
  it('every § of inet_lro.md and every gro.md heading the code and docs cite exists', () => {
    const all = citations();
    expect(all.length).toBeGreaterThan(100);
    expect(all.filter((c) => c.problem !== null).map((c) => `${c.where}: ${c.text}: ${c.problem}`)).toEqual([]);
  });

  it('a citation of a missing section, step, rule or quirk is reported', () => {
    expect(unresolved('9.9', undefined, undefined)).toBe('no section 9.9');
    expect(unresolved('2.2', 'rule', '10')).toBe('no rule 10 in §2.2');
    expect(unresolved('2.1', 'step', '5c')).toBeNull();
    expect(unresolved('2.1', 'step', '5d')).toBe('no step 5d in §2.1');
    expect(unresolved('2.10', 'Q', '8')).toBe('no quirk Q8 in §2.10');
    expect(unresolved('2.10', 'Q', '7')).toBeNull();
  });
});
