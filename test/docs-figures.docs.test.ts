// The figures in docs/figures/ and the tables inside docs/lro.md and docs/performance.md are generated
// by docs/figures.ts from lab runs. This test regenerates them and fails when the committed ones differ.
// Part of `npm run docs:check` (vitest.slow.config.ts), which CI runs.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIGURES_DIR, PAGES, fillMarkers, generateFigures } from '../docs/figures.ts';

const STALE = 'docs figures are stale: run npm run docs:figures';

describe('docs figures', () => {
  const out = mkdtempSync(join(tmpdir(), 'vnic-figures-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('the committed figures and pages equal a fresh generation byte for byte', () => {
    const figs = generateFigures(out);
    const committed = readdirSync(FIGURES_DIR).sort();
    const fresh = readdirSync(out).sort();
    expect(committed, STALE).toEqual(fresh);
    const stale: string[] = [];
    for (const f of fresh)
      if (readFileSync(join(out, f), 'utf8') !== readFileSync(join(FIGURES_DIR, f), 'utf8'))
        stale.push(`docs/figures/${f}`);
    for (const page of PAGES) {
      const text = readFileSync(page, 'utf8');
      if (fillMarkers(text, figs) !== text) stale.push(page);
    }
    expect(stale, STALE).toEqual([]);
  }, 240_000);
});
