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
import { E1000TxNic } from '../hw-models/e1000-tx.ts';
import type { DescriptorLayout } from '../hw-models/model.ts';
import { MqTxNic } from '../hw-models/mq-tx.ts';
import { VirtualClock } from '../sim/clock.ts';

const page = (model: string) => readFileSync(join(DATASHEET_DIR, `${model}.md`), 'utf8');

/** The layouts of a model's transmit ring, for the models that have one (hw-models/*-tx.ts). */
const TX_LAYOUTS: Readonly<Record<string, readonly DescriptorLayout[]>> = {
  e1000: new E1000TxNic(new VirtualClock()).descriptors,
  mq: new MqTxNic(new VirtualClock()).descriptors,
};

describe('datasheets in docs/hw-models/, generated from the descriptor layouts', () => {
  for (const model of ['ehea', 'myri10ge', 'e1000', 'mq']) {
    it(`${model}.md holds a generated table for every layout the model uses, as npm run docs:figures writes it`, () => {
      expect(DATASHEET_MODELS).toContain(model);
      const tables = SHEETS.filter((s) => s.model === model);
      expect(tables.map((s) => s.layout)).toEqual([...createModel(model).descriptors, ...(TX_LAYOUTS[model] ?? [])]);
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

  it('a transmit dword that packs fields: each one’s bits and name from the model’s constant, unnamed bits reserved', () => {
    const e1000 = page('e1000');
    expect(e1000).toContain('### Data descriptor (driver writes; 16 bytes; `DEXT` = 1, `DTYP` = 1; `E1000_TX_DATA`)');
    expect(e1000).toContain(
      '| 8 | 4 | `DTALEN_DTYP_DCMD` | bits 0–19 `DTALEN`: bytes in the buffer; bits 20–23 `DTYP`: 1 (data); bits 24–31 `DCMD`: bit 0 `EOP`',
    );
    expect(page('mq')).toContain(
      '| 12 | 4 | `MSS_L4LEN_IDX` | bits 0–3 reserved; bits 4–6 `IDX`: context slot (0: the model keeps one context); bit 7 reserved; bits 8–15 `L4LEN`',
    );
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
  const packed: SheetTable = {
    ...table,
    layout: {
      ...layout,
      fields: {
        addr: { offset: 0, width: 4 },
        len: { offset: 4, width: 4, shift: 0, bits: 12 },
        kind: { offset: 4, width: 4, shift: 16, bits: 4 },
      },
    },
    offsets: { ADDR: 0, LEN_KIND: 4 },
    words: { LEN_KIND: { LEN: { shift: 0, bits: 12 }, KIND: { shift: 16, bits: 4 } } },
    meanings: { ADDR: 'buffer', LEN: 'bytes', KIND: 'what' },
  };
  it('renders a packed dword: its fields in bit order, the gaps between them reserved', () => {
    expect(renderTable(packed)).toContain(
      '| 4 | 4 | `LEN_KIND` | bits 0–11 `LEN`: bytes; bits 12–15 reserved; bits 16–19 `KIND`: what; bits 20–31 reserved |',
    );
  });
  it.each<[string, Partial<SheetTable>, string]>([
    [
      'a packed field the constant does not name',
      { words: { LEN_KIND: { LEN: { shift: 0, bits: 12 }, KIND: { shift: 16, bits: 5 } } } },
      "field kind (byte 4) is none of LEN_KIND's bit fields",
    ],
    [
      'a named bit field no layout field has',
      {
        words: {
          LEN_KIND: { LEN: { shift: 0, bits: 12 }, KIND: { shift: 16, bits: 4 }, FLAGS: { shift: 24, bits: 8 } },
        },
      },
      "LEN_KIND's bit fields in no layout field: FLAGS",
    ],
    ['a packed field without a meaning', { meanings: { ADDR: 'buffer', LEN: 'bytes' } }, 'no meaning for KIND'],
    [
      'a meaning for the dword instead of its fields',
      { meanings: { ADDR: 'buffer', LEN: 'bytes', KIND: 'what', LEN_KIND: 'both' } },
      'meanings for no field: LEN_KIND',
    ],
  ])('%s', (_what, change, message) => {
    expect(() => renderTable({ ...packed, ...change })).toThrow(message);
  });
  it('a page region naming no layout', () => {
    expect(() => fillDatasheet('mq', '<!-- datasheet:nope -->\n<!-- /datasheet:nope -->\n')).toThrow(
      "mq.md names no descriptor layout 'nope'",
    );
  });
});
