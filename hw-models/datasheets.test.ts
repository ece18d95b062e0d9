// The descriptor tables of docs/hw-models/<model>.md agree with the layouts the models encode and decode
// with (`*_DESCRIPTORS`, the same facts as data): each table's heading states the layout's size and who
// writes it, every field of the layout starts a row of that byte and size (a bit field: a row of its
// byte), and no row reaches past the descriptor (or the slot it sits in). Change a layout and this names the datasheet row to fix.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { E1000_DESCRIPTORS } from './e1000.ts';
import { EHEA_DESCRIPTORS } from './ehea.ts';
import type { DescriptorLayout } from './model.ts';
import { MQ_DESCRIPTORS } from './mq.ts';
import { MYRI10GE_DESCRIPTORS } from './myri10ge.ts';

/** The repository root (a hw-models/ test may not import cli/'s test support: test/import-table.test.ts). */
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Per model: its layouts and the datasheet heading (its start) whose table documents each. */
const SHEETS: Record<string, { layouts: readonly DescriptorLayout[]; headings: Record<string, string> }> = {
  ehea: { layouts: EHEA_DESCRIPTORS, headings: { RWQE: 'Receive WQE', CQE: 'Completion entry' } },
  mq: {
    layouts: MQ_DESCRIPTORS,
    headings: { rx_read: 'Descriptor, read format', rx_writeback: 'Descriptor, write-back format' },
  },
  e1000: { layouts: E1000_DESCRIPTORS, headings: { rx_desc: 'Receive descriptor' } },
  myri10ge: { layouts: MYRI10GE_DESCRIPTORS, headings: { recv_desc: 'Receive descriptor', rx_done: 'rx_done entry' } },
};

interface Table {
  heading: string;
  rows: { byte: number; size: number; field: string }[];
}

/** The `| byte | size | field | …` tables of a datasheet, each with the `##` heading above it. */
function tables(markdown: string): Table[] {
  const out: Table[] = [];
  let heading = '';
  let table: Table | undefined;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('## ')) {
      heading = line.slice(3);
      table = undefined;
      continue;
    }
    if (/^\| byte \| size \|/.test(line)) {
      table = { heading, rows: [] };
      out.push(table);
      continue;
    }
    const row = /^\| (\d+) \| (\d+) \| ([^|]+) \|/.exec(line);
    if (table !== undefined && row !== null)
      table.rows.push({ byte: Number(row[1]), size: Number(row[2]), field: row[3]!.trim() });
    else if (!line.startsWith('|')) table = undefined;
  }
  return out;
}

describe('datasheets in docs/hw-models/ against the models’ descriptor layouts', () => {
  for (const [model, { layouts, headings }] of Object.entries(SHEETS)) {
    it(`${model}: every layout has its table, and every field its row`, () => {
      const sheet = tables(readFileSync(join(ROOT, 'docs/hw-models', `${model}.md`), 'utf8'));
      expect(layouts.map((l) => l.name).sort()).toEqual(Object.keys(headings).sort());
      for (const layout of layouts) {
        const t = sheet.find((x) => x.heading.startsWith(headings[layout.name]!));
        expect(t, `${model}.md: no table under "${headings[layout.name]}"`).toBeDefined();
        expect(t!.heading, `${model}.md "${t!.heading}" must state the size`).toMatch(
          new RegExp(`\\b${layout.size}[ -]byte`),
        );
        if (!/read and write-back/.test(t!.heading)) expect(t!.heading).toContain(`${layout.writer} writes`);
        const missing = Object.entries(layout.fields)
          .filter(([, f]) => !t!.rows.some((r) => r.byte === f.offset && (f.shift !== undefined || r.size === f.width)))
          .map(([name, f]) => `${name}: byte ${f.offset}, ${f.width} bytes`);
        expect(missing, `${model}.md "${t!.heading}": rows missing or of the wrong size`).toEqual([]);
        // a row may reach past the record only into the slot the heading names (eHEA: RQ1 data inline in the CQ slot)
        const slot = Math.max(layout.size, ...[...t!.heading.matchAll(/\b(\d+)[ -]byte/g)].map((m) => Number(m[1])));
        expect(
          t!.rows.filter((r) => r.byte + r.size > slot).map((r) => r.field),
          'rows past the descriptor',
        ).toEqual([]);
      }
    });
  }
});
