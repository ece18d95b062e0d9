// How docs/figures.ts fills the `<!-- figure:NAME -->` regions of a page. Regenerating every figure and
// comparing it with the committed one takes lab runs: test/docs-figures.docs.test.ts (npm run docs:check).
import { describe, expect, it } from 'vitest';
import { fillMarkers } from '../docs/figures.ts';

describe('fillMarkers', () => {
  it('replaces the body of each marked region with the named figure and leaves the rest alone', () => {
    const md =
      'intro\n<!-- figure:a -->\nold\nlines\n<!-- /figure:a -->\nmiddle\n<!-- figure:b.svg -->\n<!-- /figure:b.svg -->\nend\n';
    expect(fillMarkers(md, { 'a.md': '| x |\n', 'b.svg': '<svg/>' })).toBe(
      'intro\n<!-- figure:a -->\n| x |\n<!-- /figure:a -->\nmiddle\n<!-- figure:b.svg -->\n<svg/>\n<!-- /figure:b.svg -->\nend\n',
    );
  });

  it('is idempotent', () => {
    const figs = { 'a.md': 'new\n' };
    const once = fillMarkers('<!-- figure:a -->\nold\n<!-- /figure:a -->\n', figs);
    expect(fillMarkers(once, figs)).toBe(once);
  });

  it('names an unknown figure', () => {
    expect(() => fillMarkers('<!-- figure:nope -->\n<!-- /figure:nope -->\n', {})).toThrow("no figure named 'nope'");
  });
});
