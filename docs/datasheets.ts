// The receive-descriptor tables of the datasheets (docs/hw-models/<model>.md), generated from what the models
// encode and decode with: each layout (`*_DESCRIPTORS`) gives the size, the writer and every field's byte, size and
// bit range; the model's offset constants give the names a driver reads (`RX_WB.STATUS`), its flag constants the
// bits; reserved gaps are filled in. Only the prose (what a field means) is written here, by field name.
// `npm run docs:figures` refills the `<!-- datasheet:NAME -->` regions; test/datasheets.test.ts fails when a page
// is stale, and this script refuses a layout field without a name or meaning, or a meaning for no field.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { E1000_DESCRIPTORS, RX_DESC } from '../hw-models/e1000.ts';
import { CQE, CQE_SLOT_SIZE, EHEA_DESCRIPTORS, RWQE, STATUS } from '../hw-models/ehea.ts';
import type { DescriptorLayout } from '../hw-models/model.ts';
import { HDR_INFO, MQ_DESCRIPTORS, MQ_ERRORS, MQ_STATUS, PKT_INFO, RX_READ, RX_WB } from '../hw-models/mq.ts';
import { MYRI10GE_DESCRIPTORS, RECV_DESC, RX_DONE } from '../hw-models/myri10ge.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
export const DATASHEET_DIR = join(HERE, 'hw-models');

/** Named bits of a field (a model's flag constants: `{ DD: 0x01, … }`), each with an optional note. */
interface Bits {
  flags: Readonly<Record<string, number>>;
  notes?: Readonly<Record<string, string>>;
  /** Said after the bit list ("written **last**"). */
  after?: string;
}

/** What one field means: prose, or its named bits; for a one-format descriptor, what each side writes. */
type Meaning = string | Bits | { driver: string; device: string };

/** A row the layout does not encode (the model never reads or writes it as a field) but the datasheet shows. */
interface ExtraRow {
  name: string;
  size: number;
}

export interface SheetTable {
  model: string;
  layout: DescriptorLayout;
  /** The heading's words before the generated "(who writes; size)". */
  title: string;
  /** Said in the heading after the size (the C struct's name, or the slot the record sits in). */
  aside?: string;
  /** The model's offset constants for this descriptor: their names are the datasheet's field names. */
  offsets: Readonly<Record<string, number>>;
  /** The slot the entry sits at the start of, when larger than the layout (eHEA: RQ1 data inline in the CQ slot). */
  slot?: { bytes: number; name: string };
  extra?: readonly ExtraRow[];
  /** Driver-written, device-written or both (one format read and written back: two meaning columns). */
  columns?: 'one' | 'read-and-write-back';
  meanings: Readonly<Record<string, Meaning>>;
}

export const SHEETS: readonly SheetTable[] = [
  {
    model: 'ehea',
    layout: layout(EHEA_DESCRIPTORS, 'RWQE'),
    title: 'Receive WQE',
    offsets: RWQE,
    meanings: {
      WR_ID: 'driver cookie, copied verbatim into the CQE (the reference driver uses the ring index)',
      NUM_SEGS: '0 on RQ1; 1 on RQ2/RQ3 (anything else → `rx_bad_descriptor`)',
      SG_ADDR: 'DMA address of the buffer (RQ2/RQ3)',
      SG_LKEY: 'memory-region key; ignored by the model',
      SG_LEN: 'buffer length; must be ≥ frame + 4 (FCS) for the frame it receives',
    },
  },
  {
    model: 'ehea',
    layout: layout(EHEA_DESCRIPTORS, 'CQE'),
    title: 'Completion entry',
    offsets: CQE,
    slot: { bytes: CQE_SLOT_SIZE, name: 'CQ slot' },
    extra: [
      { name: 'PAGE_OFFSET', size: 2 },
      { name: 'INLINE_DATA', size: CQE_SLOT_SIZE - CQE.INLINE_DATA },
    ],
    meanings: {
      WR_ID: 'from the consumed WQE',
      TYPE: 'receive queue 1, 2 or 3 (`CQE_TYPE_RQ_MASK`); other bits 0',
      VALID: 'phase (`CQE_VALID_PHASE`), written **last**; other bits 0',
      STATUS: { flags: STATUS },
      NUM_BYTES: 'bytes transferred **including the 4-byte FCS** (skb length = NUM_BYTES − 4)',
      VLAN_TAG: 'TCI of the extracted tag (PCP/DEI/VID), 0 when none',
      INET_CSUM:
        "1's-complement sum (folded, not complemented) of the DMA'd frame from byte 14 to its end, FCS excluded",
      HEADER_LENGTH:
        "bytes from frame start (as DMA'd) to the end of the TCP/UDP header; **0 when not TCP/UDP** (or an IP fragment, or truncated)",
      PAGE_OFFSET: '0',
      WQE_COUNT: '1',
      QP_TOKEN: 'queue (port resource) number',
      TIMESTAMP: 'arrival time, virtual ns',
      INLINE_DATA: 'RQ1 only: the frame, then its 4 FCS bytes',
    },
  },
  {
    model: 'mq',
    layout: layout(MQ_DESCRIPTORS, 'rx_read'),
    title: 'Descriptor, read format',
    offsets: RX_READ,
    meanings: {
      PKT_ADDR: 'packet buffer (`bufferBytes`)',
      HDR_ADDR: 'header buffer (256 bytes) when `headerSplit`; else ignored (write 0)',
    },
  },
  {
    model: 'mq',
    layout: layout(MQ_DESCRIPTORS, 'rx_writeback'),
    title: 'Descriptor, write-back format',
    aside: 'over the read format',
    offsets: RX_WB,
    meanings: {
      RSS_HASH: 'Toeplitz hash (valid when `PKT_INFO.RSS`)',
      HDR_INFO: {
        flags: HDR_INFO,
        notes: { LEN_MASK: 'header bytes in the header buffer', SPH: 'the frame was split; first descriptor only' },
      },
      PKT_INFO: { flags: PKT_INFO, notes: { VLAN: 'frame carried a tag', RSS: 'hash computed' } },
      STATUS: {
        flags: MQ_STATUS,
        notes: {
          VP: 'tag stripped, `VLAN` valid',
          L4CS: 'TCP/UDP checksum checked',
          IPCS: 'IPv4 checksum checked',
        },
        after: 'written **last**',
      },
      ERRORS: { flags: MQ_ERRORS, notes: { IPE: 'bad IPv4 header checksum', L4E: 'bad TCP/UDP checksum' } },
      LENGTH: "bytes in this descriptor's packet buffer",
      VLAN: 'stripped TCI',
    },
  },
  {
    model: 'e1000',
    layout: layout(E1000_DESCRIPTORS, 'rx_desc'),
    title: 'Receive descriptor',
    offsets: RX_DESC,
    columns: 'read-and-write-back',
    meanings: {
      BUFFER_ADDR: { driver: 'DMA address of a `bufferBytes` buffer', device: 'unchanged' },
      LENGTH: { driver: '0', device: 'bytes placed in this buffer' },
      CSUM: { driver: '0', device: '0 (receive checksum offload is off in this model)' },
      STATUS: { driver: '**0** (must clear before re-posting)', device: 'written **last**; bits below' },
      ERRORS: { driver: '0', device: '0 (CRC errors are dropped, not reported)' },
      SPECIAL: { driver: '0', device: 'VLAN TCI when `VP` (last descriptor of the frame)' },
    },
  },
  {
    model: 'myri10ge',
    layout: layout(MYRI10GE_DESCRIPTORS, 'recv_desc'),
    title: 'Receive descriptor',
    aside: '`mcp_kreq_ether_recv`',
    offsets: RECV_DESC,
    meanings: {
      ADDR_HIGH: "high 32 bits of the chunk's DMA address (0 here)",
      ADDR_LOW: 'low 32 bits',
    },
  },
  {
    model: 'myri10ge',
    layout: layout(MYRI10GE_DESCRIPTORS, 'rx_done'),
    title: 'rx_done entry',
    aside: '`mcp_slot`',
    offsets: RX_DONE,
    meanings: {
      CSUM: "1's-complement sum (folded, not complemented) of the frame from byte 14 (right after the 14-byte Ethernet header, an in-band VLAN tag included) to its end",
      LENGTH: '**pad + frame** bytes (frame length + 2); written **last**; non-zero = valid',
    },
  },
];

function layout(all: readonly DescriptorLayout[], name: string): DescriptorLayout {
  const l = all.find((x) => x.name === name);
  if (l === undefined) throw new Error(`datasheets: no descriptor layout '${name}'`);
  return l;
}

/** "bit 3" or "bits 0–9": where the set bits of `mask` are (one contiguous run). */
function bitRange(mask: number): string {
  const low = 31 - Math.clz32(mask & -mask);
  const high = 31 - Math.clz32(mask);
  return low === high ? `bit ${low}` : `bits ${low}–${high}`;
}

function bitsText(b: Bits): string {
  const parts = Object.entries(b.flags)
    .sort(([, x], [, y]) => x - y)
    .map(([name, mask]) => {
      const note = b.notes?.[name];
      return `${bitRange(mask)} \`${name}\`${note !== undefined ? ` (${note})` : ''}`;
    });
  return parts.join(', ') + (b.after !== undefined ? `; ${b.after}` : '');
}

interface Row {
  byte: number;
  size: number;
  /** The datasheet name, or null for reserved bytes. */
  name: string | null;
  /** A bit field's position ("bits 0–1"), from the layout. */
  bits?: string;
}

/** The rows of one table: every named offset with its size, gaps as reserved rows; refuses what does not add up. */
export function tableRows(t: SheetTable): Row[] {
  const where = `datasheets: ${t.model} ${t.layout.name}`;
  const byOffset = new Map<number, string>();
  for (const [name, offset] of Object.entries(t.offsets)) {
    if (byOffset.has(offset)) throw new Error(`${where}: ${byOffset.get(offset)} and ${name} share byte ${offset}`);
    byOffset.set(offset, name);
  }
  const rows: Row[] = [];
  for (const [field, f] of Object.entries(t.layout.fields)) {
    const name = byOffset.get(f.offset);
    if (name === undefined) throw new Error(`${where}: field ${field} (byte ${f.offset}) has no offset constant`);
    const bits = f.shift !== undefined && f.bits !== undefined ? bitRange(((1 << f.bits) - 1) << f.shift) : undefined;
    rows.push({ byte: f.offset, size: f.width, name, ...(bits !== undefined ? { bits } : {}) });
  }
  for (const x of t.extra ?? []) {
    const byte = t.offsets[x.name];
    if (byte === undefined) throw new Error(`${where}: extra row ${x.name} is not an offset constant`);
    rows.push({ byte, size: x.size, name: x.name });
  }
  const named = new Set(rows.map((r) => r.name));
  const unused = [...byOffset.values()].filter((n) => !named.has(n));
  if (unused.length > 0) throw new Error(`${where}: offset constants in no row: ${unused.join(', ')}`);
  rows.sort((a, b) => a.byte - b.byte);
  const out: Row[] = [];
  let at = 0;
  for (const r of rows) {
    if (r.byte < at) throw new Error(`${where}: ${r.name} at byte ${r.byte} overlaps the row before`);
    if (r.byte > at) out.push({ byte: at, size: r.byte - at, name: null });
    out.push(r);
    at = r.byte + r.size;
  }
  const end = t.slot?.bytes ?? t.layout.size;
  if (at > end) throw new Error(`${where}: rows reach byte ${at}, past the ${end}-byte entry`);
  if (at < end && t.slot === undefined) out.push({ byte: at, size: end - at, name: null });
  return out;
}

function meaningCells(t: SheetTable, r: Row): string[] {
  const two = t.columns === 'read-and-write-back';
  if (r.name === null) {
    const reserved = t.layout.writer === 'driver' ? 'reserved, write 0' : '0';
    return two ? ['0', '0'] : [reserved];
  }
  const m = t.meanings[r.name];
  if (m === undefined) throw new Error(`datasheets: ${t.model} ${t.layout.name}: no meaning for ${r.name}`);
  if (typeof m === 'object' && 'driver' in m) {
    if (!two) throw new Error(`datasheets: ${t.model} ${r.name}: driver/device meanings need two columns`);
    return [m.driver, m.device];
  }
  const text = typeof m === 'string' ? m : bitsText(m);
  return [r.bits !== undefined ? `${r.bits}: ${text}` : text];
}

/** One table's region: the heading (who writes, the size) and the rows. */
export function renderTable(t: SheetTable): string {
  const rows = tableRows(t);
  const unknown = Object.keys(t.meanings).filter((n) => !rows.some((r) => r.name === n));
  if (unknown.length > 0)
    throw new Error(`datasheets: ${t.model} ${t.layout.name}: meanings for no field: ${unknown.join(', ')}`);
  const two = t.columns === 'read-and-write-back';
  const size =
    t.slot !== undefined
      ? `${t.layout.size}-byte record at the start of a ${t.slot.bytes}-byte ${t.slot.name}`
      : `${t.layout.size} bytes`;
  const who = two ? 'driver writes, device writes back' : `${t.layout.writer} writes`;
  const aside = t.aside !== undefined ? `; ${t.aside}` : '';
  const head = two
    ? '| byte | size | field | driver writes | device writes back |'
    : '| byte | size | field | meaning |';
  const lines = [
    `## ${t.title} (${who}; ${size}${aside})`,
    '',
    head,
    two ? '|---|---|---|---|---|' : '|---|---|---|---|',
  ];
  for (const r of rows) {
    const cells = [String(r.byte), String(r.size), r.name === null ? '—' : `\`${r.name}\``, ...meaningCells(t, r)];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** The region's name in a page: `<!-- datasheet:LAYOUT -->`. */
const MARKER = /<!-- datasheet:([A-Za-z0-9_-]+) -->\n[\s\S]*?<!-- \/datasheet:\1 -->/g;

/** `markdown` (docs/hw-models/`model`.md) with every datasheet region refilled; a region naming no layout throws. */
export function fillDatasheet(model: string, markdown: string): string {
  const seen = new Set<string>();
  const out = markdown.replace(MARKER, (_all, name: string) => {
    const t = SHEETS.find((s) => s.model === model && s.layout.name === name);
    if (t === undefined) throw new Error(`datasheets: ${model}.md names no descriptor layout '${name}'`);
    seen.add(name);
    return `<!-- datasheet:${name} -->\n${renderTable(t)}<!-- /datasheet:${name} -->`;
  });
  const missing = SHEETS.filter((s) => s.model === model && !seen.has(s.layout.name)).map((s) => s.layout.name);
  if (missing.length > 0) throw new Error(`datasheets: ${model}.md has no region for ${missing.join(', ')}`);
  return out;
}

/** The models with a datasheet, in SHEETS order. */
export const DATASHEET_MODELS = [...new Set(SHEETS.map((s) => s.model))];

function main(): void {
  for (const model of DATASHEET_MODELS) {
    const file = join(DATASHEET_DIR, `${model}.md`);
    const text = readFileSync(file, 'utf8');
    const filled = fillDatasheet(model, text);
    if (filled !== text) writeFileSync(file, filled);
  }
  process.stderr.write(`docs:figures: ${SHEETS.length} descriptor tables in docs/hw-models/ regenerated\n`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main();
