// docs/c-companion.md: the minimal driver as 2.6.24 C and moved to GRO compiles (gcc -fsyntax-only against the
// declarations-only headers stub docs/c/include/lab-kernel.h), and every block the page quotes — C or
// TypeScript — is in docs/c/, examples/ or drivers/ verbatim.
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const C_FILES = ['docs/c/minimal-lro.c', 'docs/c/minimal-gro.c'];
// .ci/run installs gcc; on a machine without a C compiler there is nothing to compile the C with
const HAVE_GCC = spawnSync('gcc', ['--version']).status === 0;

describe('docs/c-companion.md', () => {
  it.skipIf(!HAVE_GCC)('its C compiles: gcc -fsyntax-only -Wall -Wextra -Werror against docs/c/include', () => {
    for (const f of C_FILES) {
      expect(
        () =>
          execFileSync(
            'gcc',
            [
              '-fsyntax-only',
              '-Wall',
              '-Wextra',
              '-Werror',
              '-std=gnu99',
              '-I',
              join(ROOT, 'docs/c/include'),
              join(ROOT, f),
            ],
            { stdio: 'pipe' },
          ),
        f,
      ).not.toThrow();
    }
  });

  it.skipIf(!HAVE_GCC)('the compile check can fail: a call the stub does not declare is an error', () => {
    const broken = readFileSync(join(ROOT, C_FILES[0]!), 'utf8').replace(
      'lro_flush_all(&r->lro_mgr);',
      'lro_flush_everything(&r->lro_mgr);',
    );
    const r = spawnSync(
      'gcc',
      ['-fsyntax-only', '-Wall', '-Werror', '-x', 'c', '-I', join(ROOT, 'docs/c/include'), '-'],
      { input: broken },
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr.toString()).toMatch(/lro_flush_everything/);
  });

  it('quotes only code that is in docs/c/, examples/ or drivers/, verbatim', () => {
    const page = readFileSync(join(ROOT, 'docs/c-companion.md'), 'utf8');
    const sources = [
      ...C_FILES.map((f) => readFileSync(join(ROOT, f), 'utf8')),
      ...readdirSync(join(ROOT, 'examples'))
        .filter((f) => f.endsWith('.ts'))
        .map((f) => readFileSync(join(ROOT, 'examples', f), 'utf8')),
      ...readdirSync(join(ROOT, 'drivers'), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.ts'))
        .map((f) => readFileSync(join(ROOT, 'drivers', f), 'utf8')),
    ];
    const blocks = [...page.matchAll(/```(?:c|ts)\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(14);
    for (const b of blocks)
      expect(
        sources.some((s) => s.includes(b)),
        b.slice(0, 120),
      ).toBe(true);
  });

  it('shows the 2.6.24 pieces the issue names, and the GRO move', () => {
    const lro = readFileSync(join(ROOT, C_FILES[0]!), 'utf8'),
      gro = readFileSync(join(ROOT, C_FILES[1]!), 'utf8');
    for (const s of [
      'struct net_lro_desc lro_arr[',
      'get_skb_header',
      'lro_receive_skb(',
      'lro_vlan_hwaccel_receive_skb(',
      'r->vgrp',
      'select INET_LRO',
      'module_param(use_lro',
      'netif_rx_complete(',
    ])
      expect(lro).toContain(s);
    expect(lro.indexOf('lro_flush_all(')).toBeLessThan(lro.indexOf('netif_rx_complete('));
    for (const s of ['napi_gro_receive(', 'napi_complete(']) expect(gro).toContain(s);
    for (const s of ['lro_', 'INET_LRO']) expect(gro.replace(/^\/\*[\s\S]*?\*\//, '')).not.toContain(s);
  });
});
