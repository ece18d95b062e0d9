// The descriptor tables of docs/hw-models/<model>.md are generated from the models' layouts (docs/datasheets.ts,
// `npm run docs:figures`): each page is what the generator makes of it, every layout a model uses has its table,
// and the generator refuses a table that does not add up (a field without a name or meaning, rows that overlap).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DATASHEET_DIR,
  DATASHEET_MODELS,
  SHEETS,
  fillDatasheet,
  renderTable,
  type SheetTable,
} from '../docs/datasheets.ts';
import { createModel } from '../hw-models/index.ts';
import type { DescriptorLayout } from '../hw-models/model.ts';

const page = (model: string) => readFileSync(join(DATASHEET_DIR, `${model}.md`), 'utf8');

describe('datasheets in docs/hw-models/, generated from the descriptor layouts', () => {
  for (const model of ['ehea', 'myri10ge', 'e1000', 'mq']) {
    it(`${model}.md holds a generated table for every layout the model uses, as npm run docs:figures writes it`, () => {
      expect(DATASHEET_MODELS).toContain(model);
      const tables = SHEETS.filter((s) => s.model === model);
      expect(tables.map((s) => s.layout)).toEqual([...createModel(model).descriptors]);
      expect(fillDatasheet(model, page(model)), `${model}.md is stale: npm run docs:figures`).toBe(page(model));
    });
  }

  it('one row per offset constant with the layout’s size, the bit range of a bit field, gaps as reserved bytes', () => {
    const ehea = page('ehea');
    expect(ehea).toContain('## Receive WQE (driver writes; 32 bytes)');
    expect(ehea).toContain('| 8 | 5 | — | reserved, write 0 |');
    expect(ehea).toContain('| 8 | 1 | `TYPE` | bits 0–1: receive queue 1, 2 or 3');
    expect(ehea).toContain('| 9 | 1 | `VALID` | bit 7: phase');
    expect(ehea).toContain('## Completion entry (device writes; 64-byte record at the start of a 256-byte CQ slot)');
    expect(page('mq')).toContain('| 8 | 2 | `STATUS` | bit 0 `DD`, bit 1 `EOP`, bit 3 `VP`');
    expect(page('e1000')).toContain('| byte | size | field | driver writes | device writes back |');
  });
});

describe('the generator refuses a table that does not add up', () => {
  const layout: DescriptorLayout = {
    name: 'toy',
    writer: 'driver',
    size: 8,
    fields: { addr: { offset: 0, width: 4 }, len: { offset: 4, width: 2 } },
    encode: () => {},
    decode: () => ({}),
  };
  const table: SheetTable = {
    model: 'toy',
    layout,
    title: 'Toy descriptor',
    offsets: { ADDR: 0, LEN: 4 },
    meanings: { ADDR: 'buffer', LEN: 'bytes' },
  };

  it('renders the toy: a trailing gap is reserved', () => {
    expect(renderTable(table)).toBe(
      [
        '## Toy descriptor (driver writes; 8 bytes)',
        '',
        '| byte | size | field | meaning |',
        '|---|---|---|---|',
        '| 0 | 4 | `ADDR` | buffer |',
        '| 4 | 2 | `LEN` | bytes |',
        '| 6 | 2 | — | reserved, write 0 |',
        '',
      ].join('\n'),
    );
  });
  it.each<[string, Partial<SheetTable>, string]>([
    ['a field without an offset constant', { offsets: { ADDR: 0 } }, 'field len (byte 4) has no offset constant'],
    ['an offset constant in no row', { offsets: { ADDR: 0, LEN: 4, FLAGS: 7 } }, 'offset constants in no row: FLAGS'],
    ['a field without a meaning', { meanings: { ADDR: 'buffer' } }, 'no meaning for LEN'],
    ['a meaning for no field', { meanings: { ADDR: 'a', LEN: 'b', CSUM: 'c' } }, 'meanings for no field: CSUM'],
    ['two constants on one byte', { offsets: { ADDR: 0, LEN: 4, LENGTH: 4 } }, 'LEN and LENGTH share byte 4'],
    [
      'rows that overlap',
      {
        layout: { ...layout, fields: { ...layout.fields, len: { offset: 2, width: 2 } } },
        offsets: { ADDR: 0, LEN: 2 },
      },
      'LEN at byte 2 overlaps the row before',
    ],
  ])('%s', (_what, change, message) => {
    expect(() => renderTable({ ...table, ...change })).toThrow(message);
  });
  it('a page region naming no layout', () => {
    expect(() => fillDatasheet('mq', '<!-- datasheet:nope -->\n<!-- /datasheet:nope -->\n')).toThrow(
      "mq.md names no descriptor layout 'nope'",
    );
  });
});
