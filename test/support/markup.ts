// Test helpers for report/: a small tag scanner over our own markup (every '<' in text is escaped,
// so each '<' starts a real tag) and an entity decoder, enough to check structure without a DOM.

export interface Tag {
  name: string;
  kind: 'open' | 'close' | 'self' | 'doctype';
  attrs: Map<string, string>;
}

const ATTR = /([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;

/** Every tag in document order. Throws on a '<' that does not start a tag, or on a tag that never ends. */
export function scanTags(markup: string): Tag[] {
  const tags: Tag[] = [];
  let i = markup.indexOf('<');
  while (i !== -1) {
    const end = markup.indexOf('>', i);
    if (end === -1) throw new Error(`unterminated tag at ${i}`);
    const raw = markup.slice(i + 1, end);
    if (raw.startsWith('!')) {
      tags.push({ name: '!doctype', kind: 'doctype', attrs: new Map() });
    } else {
      const m = /^(\/?)([A-Za-z][A-Za-z0-9-]*)([\s\S]*?)(\/?)$/.exec(raw);
      if (!m) throw new Error(`not a tag at ${i}: <${raw.slice(0, 40)}`);
      const attrs = new Map<string, string>();
      for (const a of m[3]!.matchAll(ATTR)) attrs.set(a[1]!.toLowerCase(), decodeEntities(a[2] ?? a[3] ?? a[4] ?? ''));
      tags.push({ name: m[2]!.toLowerCase(), kind: m[1] ? 'close' : m[4] ? 'self' : 'open', attrs });
    }
    i = markup.indexOf('<', end);
  }
  return tags;
}

const VOID = new Set(['meta', 'br', 'hr', 'img', 'input', 'link']);

/** Checks that open and close tags pair up (HTML void elements aside); returns the problem or null. */
export function nestingProblem(tags: readonly Tag[]): string | null {
  const stack: string[] = [];
  for (const t of tags) {
    if (t.kind === 'open' && !VOID.has(t.name)) stack.push(t.name);
    else if (t.kind === 'close') {
      const top = stack.pop();
      if (top !== t.name) return `</${t.name}> closes <${top ?? 'nothing'}>`;
    }
  }
  return stack.length ? `unclosed <${stack.join('>, <')}>` : null;
}

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, e: string) => {
    const l = e.toLowerCase();
    if (l === 'amp') return '&';
    if (l === 'lt') return '<';
    if (l === 'gt') return '>';
    if (l === 'quot') return '"';
    if (l === 'apos') return "'";
    return String.fromCodePoint(l.startsWith('#x') ? parseInt(l.slice(2), 16) : parseInt(l.slice(1), 10));
  });
}

/** Text between each `<name …>` and its `</name>` (no nesting of the same name inside), entities decoded. */
export function textsOf(markup: string, name: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}>`, 'g');
  for (const m of markup.matchAll(re)) out.push(decodeEntities(m[1]!.replace(/<[^>]*>/g, '')));
  return out;
}

/** Attributes of every element whose class list has `cls`. */
export function elementsWithClass(markup: string, cls: string): Map<string, string>[] {
  return scanTags(markup)
    .filter((t) => t.kind !== 'close' && (t.attrs.get('class') ?? '').split(/\s+/).includes(cls))
    .map((t) => t.attrs);
}
