// "Bytes become fields in wire/ and nowhere else", enforced: outside wire/, no file defines a byte helper or a frame
// parser of its own, and none does the header arithmetic wire/ names (IHL and data-offset math, big-endian byte
// assembly, EtherType compares against literals). Tests (here and beside each layer) read bytes on purpose, as
// independent judges of wire/, and examples/ mirror the C drivers line for line (docs/c-companion.md): neither is held.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NOT_HELD = new Set(['wire', 'test', 'examples', 'node_modules', 'dist']);

/** What wire/ alone may do, each as a pattern exact enough to have no false hits in the tree. */
const RULES: readonly { name: string; pattern: RegExp; instead: string }[] = [
  {
    name: 'a byte helper or frame parser defined',
    pattern:
      /(?:\bfunction\s+|\b(?:const|let|var)\s+|^\s*(?:(?:private|protected|public|static|readonly)\s+)+)(r16|r32|w16|w32|rd16|rd32|be16|be32|fold|fold32|sum16|sumBytes|parseFrame|decodeFrame|layoutFrame)\b\s*(?:[=(<:])/m,
    instead: 'import it from wire/',
  },
  {
    name: 'IPv4 header length from the IHL nibble',
    pattern: /&\s*(?:0x0?f|15)\s*\)\s*(?:<<\s*2|\*\s*4)/,
    instead: 'FrameLayout.ipHdrLen or ipv4HeaderLength (wire/fields.ts)',
  },
  {
    name: 'TCP header length from the data-offset nibble',
    pattern: />>>?\s*4\s*\)\s*(?:<<\s*2|\*\s*4)/,
    instead: 'FrameLayout.l4HdrLen or tcpHeaderLength (wire/fields.ts)',
  },
  {
    name: 'a big-endian field assembled from bytes',
    pattern: /\]!?\s*<<\s*8\s*\)?\s*\|\s*[\w.]+\[/,
    instead: 'r16/r32 (wire/bytes.ts) or the layout',
  },
  {
    name: 'an EtherType compared with a literal',
    pattern: /[!=]==?\s*0x(?:0800|86dd|8100|88a8)\b|\b0x(?:0800|86dd|8100|88a8)\s*[!=]==?/i,
    instead: 'ETHERTYPE (wire/constants.ts) or FrameLayout.ipVersion',
  },
];

/**
 * Reads still to move, each with who moves them: the #21 engines work owns lro/ and the LRO/GRO benches. A listed
 * file is excused only the rules listed for it.
 */
const PENDING: Readonly<Record<string, readonly string[]>> = {};

function heldFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (NOT_HELD.has(relative(ROOT, p)) || name.startsWith('.')) return [];
    if (statSync(p).isDirectory()) return heldFiles(p);
    return p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

/** Every line of `source` a rule matches, comments left out (they may quote the kernel's C). */
function breaches(file: string, source: string): string[] {
  const out: string[] = [];
  source.split('\n').forEach((line, i) => {
    const code = line.replace(/\/\/.*$/, '').replace(/^\s*\*.*$/, '');
    for (const r of RULES)
      if (r.pattern.test(code) && !(PENDING[file] ?? []).includes(r.name))
        out.push(`${file}:${i + 1}: ${r.name} (${r.instead}): ${line.trim()}`);
  });
  return out;
}

describe('bytes become fields in wire/ and nowhere else', () => {
  it('holds for every product file outside wire/ (and docs/, fuzz/, bench/, lab/, cli/)', () => {
    const files = heldFiles(ROOT);
    expect(files.length).toBeGreaterThan(100); // the walk found the code
    const found = files.flatMap((f) => breaches(relative(ROOT, f), readFileSync(f, 'utf8')));
    expect(found).toEqual([]);
  });

  it('each rule catches what it names, and passes what wire/ offers instead', () => {
    const hits = (code: string): string[] => breaches('x.ts', code).map((l) => l.split(': ')[1]!.split(' (')[0]!);
    expect(hits('function r16(b: Uint8Array, o: number) {')).toEqual(['a byte helper or frame parser defined']);
    expect(hits('const fold = (s: number) => s;')).toEqual(['a byte helper or frame parser defined']);
    expect(hits('  private sum16(b: Uint8Array): number {')).toEqual(['a byte helper or frame parser defined']);
    expect(hits('const ihl = (b[iph]! & 0x0f) * 4;')).toEqual(['IPv4 header length from the IHL nibble']);
    expect(hits('l4 = l3 + ((mem[at]! & 15) << 2);')).toEqual(['IPv4 header length from the IHL nibble']);
    expect(hits('const doff = (b[tcph + TCP.DOFF]! >>> 4) << 2;')).toEqual([
      'TCP header length from the data-offset nibble',
    ]);
    expect(hits('const t = (b[o + 12]! << 8) | b[o + 13]!;')).toEqual(['a big-endian field assembled from bytes']);
    expect(hits('if (type !== 0x0800) return;')).toEqual(['an EtherType compared with a literal']);
    expect(hits('if (0x86DD === t) return;')).toEqual(['an EtherType compared with a literal']);
    // what stays allowed: wire/'s names, a byte swap of a sum, a little-endian CRC word, a comment quoting C
    for (const ok of [
      'const ihl = ipv4HeaderLength(b, l3), doff = tcpHeaderLength(b, l4);',
      'const t = r16(b, o + ETH.TYPE);',
      'acc = fold(acc + ((c & 0xff) << 8) | (c >>> 8));',
      'c ^= b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16);',
      "import { fold, sumBytes } from '../wire/checksum.ts';",
      '  // *tcph = (u8 *)iph + (iph->ihl_version & 0x0f) * 4;',
      'export const ETH_P_IP = 0x0800;',
    ])
      expect(hits(ok), ok).toEqual([]);
  });
});
