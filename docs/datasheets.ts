// The descriptor tables of the datasheets (docs/hw-models/<model>.md), receive and transmit, generated from what the
// models encode and decode with: each layout (`*_DESCRIPTORS`, `*_TX_DESCRIPTORS`) gives the size, the writer and
// every field's byte, size and bit range; the model's offset constants give the names a driver reads (`RX_WB.STATUS`),
// the constant named after a dword its packed fields (`MQ_TX_CMD_TYPE_LEN.DTYP`), its flag constants the bits;
// reserved gaps (bytes, and bits of a packed dword) are filled in. Only the prose (what a field means) is written
// here, by field name. `npm run docs:figures` refills the `<!-- datasheet:NAME -->` regions; test/datasheets.test.ts
// fails when a page is stale, and this script refuses a layout field without a name or meaning, or a meaning for no
// field.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { E1000_DESCRIPTORS, RX_DESC } from '../hw-models/e1000.ts';
import { CQE, CQE_SLOT_SIZE, EHEA_DESCRIPTORS, RWQE, STATUS } from '../hw-models/ehea.ts';
import {
  E1000_TX_CMD,
  E1000_TX_CONTEXT,
  E1000_TX_DATA,
  E1000_TX_DESCRIPTORS,
  E1000_TX_DTALEN_DTYP_DCMD,
  E1000_TX_DTYP,
  E1000_TX_LEGACY,
  E1000_TX_PAYLEN_DTYP_TUCMD,
  E1000_TX_POPTS,
  E1000_TX_STA_DD,
  E1000_TX_TUCMD,
} from '../hw-models/e1000-tx.ts';
import type { BitField, DescriptorLayout } from '../hw-models/model.ts';
import {
  MQ_TX_CMD_TYPE_LEN,
  MQ_TX_CONTEXT,
  MQ_TX_DATA,
  MQ_TX_DCMD,
  MQ_TX_DESCRIPTORS,
  MQ_TX_DTYP,
  MQ_TX_MSS_L4LEN_IDX,
  MQ_TX_OLINFO_STATUS,
  MQ_TX_POPTS,
  MQ_TX_STA_DD,
  MQ_TX_TUCMD,
  MQ_TX_TYPE_TUCMD_MLHL,
  MQ_TX_VLAN_MACIP_LENS,
} from '../hw-models/mq-tx.ts';
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
  /**
   * Dwords that pack several fields, by offset-constant name: the model's constant that names each field's bits.
   * The row's meaning is then one per packed field (by its name), and its unnamed bits are listed as reserved.
   */
  words?: Readonly<Record<string, Readonly<Record<string, BitField>>>>;
  /** A table under a page's own section (`## Transmit`) is one heading level down. */
  heading?: '##' | '###';
  meanings: Readonly<Record<string, Meaning>>;
}

/** Said of a transmit descriptor's STA: the one field the device writes back. */
const TX_STATUS = (dd: number): Bits => ({
  flags: { DD: dd },
  notes: { DD: 'descriptor done: written by the device once the packet has left, when the command had `RS`' },
});

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
    model: 'mq',
    layout: layout(MQ_TX_DESCRIPTORS, 'tx_context'),
    title: 'Advanced context descriptor',
    aside: '`DTYP` = 2; `MQ_TX_CONTEXT`',
    heading: '###',
    offsets: MQ_TX_CONTEXT,
    words: {
      VLAN_MACIP_LENS: MQ_TX_VLAN_MACIP_LENS,
      TYPE_TUCMD_MLHL: MQ_TX_TYPE_TUCMD_MLHL,
      MSS_L4LEN_IDX: MQ_TX_MSS_L4LEN_IDX,
    },
    meanings: {
      IPLEN: 'IP header bytes',
      MACLEN: 'bytes before the IP header',
      VLAN: "VLAN tag (not used by the lab's driver)",
      SEQNUM_SEED: '0',
      TUCMD: { flags: MQ_TX_TUCMD, notes: { IPV4: 'IPv4', L4T_TCP: 'TCP, else UDP: `L4T`, bits 2–3, is 1 or 0' } },
      DTYP: `${MQ_TX_DTYP.CONTEXT} (context)`,
      DCMD: { flags: { DEXT: MQ_TX_DCMD.DEXT }, notes: { DEXT: '1' }, after: 'other bits 0' },
      IDX: 'context slot (0: the model keeps one context)',
      L4LEN: 'TCP header bytes',
      MSS: 'payload bytes per TSO frame',
    },
  },
  {
    model: 'mq',
    layout: layout(MQ_TX_DESCRIPTORS, 'tx_data'),
    title: 'Advanced data descriptor',
    aside: '`DTYP` = 3; `MQ_TX_DATA`',
    heading: '###',
    offsets: MQ_TX_DATA,
    words: { CMD_TYPE_LEN: MQ_TX_CMD_TYPE_LEN, OLINFO_STATUS: MQ_TX_OLINFO_STATUS },
    meanings: {
      BUFFER_ADDR: "the packet's bytes (Ethernet header first)",
      DTALEN: 'bytes in the buffer',
      DTYP: `${MQ_TX_DTYP.DATA} (data)`,
      DCMD: {
        flags: MQ_TX_DCMD,
        notes: {
          EOP: 'last descriptor of the packet',
          IFCS: 'insert the FCS',
          RS: 'report status',
          DEXT: '1',
          VLE: 'VLAN insertion, not modelled',
          TSE: 'cut at the MSS',
        },
      },
      STA: TX_STATUS(MQ_TX_STA_DD),
      IDX: 'context slot (0)',
      POPTS: {
        flags: MQ_TX_POPTS,
        notes: { IXSM: 'insert the IPv4 checksum', TXSM: 'insert the TCP checksum' },
      },
      PAYLEN: "payload bytes when TSO, else the packet's bytes",
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
    model: 'e1000',
    layout: layout(E1000_TX_DESCRIPTORS, 'tx_legacy'),
    title: 'Legacy transmit descriptor',
    aside: '`DEXT` = 0; constants `E1000_TX_LEGACY`',
    heading: '###',
    offsets: E1000_TX_LEGACY,
    meanings: {
      BUFFER_ADDR: "the packet's bytes (Ethernet header first)",
      LENGTH: 'bytes in the buffer',
      CSO: "checksum offset (not used by the lab's driver)",
      CMD: {
        flags: E1000_TX_CMD,
        notes: {
          EOP: 'last descriptor of the packet',
          IFCS: 'insert the FCS',
          TSE: 'data descriptors only',
          RS: 'report status',
          DEXT: '0 here',
          VLE: 'VLAN insertion, not modelled',
          IDE: 'interrupt delay, not modelled',
        },
      },
      STA: TX_STATUS(E1000_TX_STA_DD),
      CSS: "checksum start (not used by the lab's driver)",
      SPECIAL: "VLAN tag (not used by the lab's driver)",
    },
  },
  {
    model: 'e1000',
    layout: layout(E1000_TX_DESCRIPTORS, 'tx_context'),
    title: 'TCP/IP context descriptor',
    aside: '`DEXT` = 1, `DTYP` = 0; `E1000_TX_CONTEXT`',
    heading: '###',
    offsets: E1000_TX_CONTEXT,
    words: { PAYLEN_DTYP_TUCMD: E1000_TX_PAYLEN_DTYP_TUCMD },
    meanings: {
      IPCSS: 'IPv4 header start',
      IPCSO: 'where the IPv4 header checksum goes',
      IPCSE: 'IPv4 checksum end',
      TUCSS: 'TCP header start',
      TUCSO: 'where the TCP checksum goes',
      TUCSE: 'TCP checksum end (0: to the end)',
      PAYLEN: 'payload bytes (TSO)',
      DTYP: `${E1000_TX_DTYP.CONTEXT} (context)`,
      TUCMD: {
        flags: E1000_TX_TUCMD,
        notes: { TCP: 'TCP, else UDP', IP: 'IPv4', TSE: 'cut the packets that follow', RS: 'report status', DEXT: '1' },
      },
      STA: TX_STATUS(E1000_TX_STA_DD),
      HDRLEN: 'header bytes repeated on every TSO frame',
      MSS: 'payload bytes per TSO frame',
    },
  },
  {
    model: 'e1000',
    layout: layout(E1000_TX_DESCRIPTORS, 'tx_data'),
    title: 'Data descriptor',
    aside: '`DEXT` = 1, `DTYP` = 1; `E1000_TX_DATA`',
    heading: '###',
    offsets: E1000_TX_DATA,
    words: { DTALEN_DTYP_DCMD: E1000_TX_DTALEN_DTYP_DCMD },
    meanings: {
      BUFFER_ADDR: "the packet's bytes",
      DTALEN: 'bytes in the buffer',
      DTYP: `${E1000_TX_DTYP.DATA} (data)`,
      DCMD: {
        flags: E1000_TX_CMD,
        notes: {
          EOP: 'last descriptor of the packet',
          IFCS: 'insert the FCS',
          TSE: 'cut at the MSS',
          RS: 'report status',
          DEXT: '1',
          VLE: 'VLAN insertion, not modelled',
          IDE: 'interrupt delay, not modelled',
        },
      },
      STA: TX_STATUS(E1000_TX_STA_DD),
      POPTS: {
        flags: E1000_TX_POPTS,
        notes: { IXSM: 'insert the IPv4 checksum', TXSM: 'insert the TCP checksum' },
      },
      SPECIAL: "VLAN tag (not used by the lab's driver)",
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
  /** A packed dword's fields (named by the model's constant for it), in bit order. */
  parts?: { name: string; shift: number; bits: number }[];
}

const mask = (f: BitField): number => (((1 << f.bits) - 1) << f.shift) >>> 0;

/** The rows of one table: every named offset with its size, gaps as reserved rows; refuses what does not add up. */
export function tableRows(t: SheetTable): Row[] {
  const where = `datasheets: ${t.model} ${t.layout.name}`;
  const byOffset = new Map<number, string>();
  for (const [name, offset] of Object.entries(t.offsets)) {
    if (byOffset.has(offset)) throw new Error(`${where}: ${byOffset.get(offset)} and ${name} share byte ${offset}`);
    byOffset.set(offset, name);
  }
  const rows: Row[] = [];
  const packed = new Map<string, Row & { parts: NonNullable<Row['parts']> }>();
  for (const [field, f] of Object.entries(t.layout.fields)) {
    const name = byOffset.get(f.offset);
    if (name === undefined) throw new Error(`${where}: field ${field} (byte ${f.offset}) has no offset constant`);
    const word = t.words?.[name];
    if (word !== undefined) {
      const part = Object.entries(word).find(([, b]) => b.shift === f.shift && b.bits === f.bits);
      if (part === undefined || f.shift === undefined || f.bits === undefined)
        throw new Error(`${where}: field ${field} (byte ${f.offset}) is none of ${name}'s bit fields`);
      let row = packed.get(name);
      if (row === undefined) {
        row = { byte: f.offset, size: f.width, name, parts: [] };
        packed.set(name, row);
        rows.push(row);
      }
      if (row.size !== f.width) throw new Error(`${where}: ${name}'s fields disagree on its size`);
      row.parts.push({ name: part[0], shift: f.shift, bits: f.bits });
      continue;
    }
    const bits =
      f.shift !== undefined && f.bits !== undefined ? bitRange(mask({ shift: f.shift, bits: f.bits })) : undefined;
    rows.push({ byte: f.offset, size: f.width, name, ...(bits !== undefined ? { bits } : {}) });
  }
  for (const [name, word] of Object.entries(t.words ?? {})) {
    const row = packed.get(name);
    const unused = Object.keys(word).filter((b) => !row?.parts.some((p) => p.name === b));
    if (unused.length > 0) throw new Error(`${where}: ${name}'s bit fields in no layout field: ${unused.join(', ')}`);
    row!.parts.sort((a, b) => a.shift - b.shift);
    let at = 0;
    for (const p of row!.parts) {
      if (p.shift < at) throw new Error(`${where}: ${name}'s ${p.name} overlaps the bit field before`);
      at = p.shift + p.bits;
    }
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

function meaningText(t: SheetTable, name: string, allowTwo: boolean): string | { driver: string; device: string } {
  const m = t.meanings[name];
  if (m === undefined) throw new Error(`datasheets: ${t.model} ${t.layout.name}: no meaning for ${name}`);
  if (typeof m === 'object' && 'driver' in m) {
    if (!allowTwo) throw new Error(`datasheets: ${t.model} ${name}: driver/device meanings need two columns`);
    return m;
  }
  return typeof m === 'string' ? m : bitsText(m);
}

/** A packed dword's meaning: each field's bits, name and meaning in bit order, unnamed bits as reserved. */
function partsText(t: SheetTable, r: Row & { parts: NonNullable<Row['parts']> }): string {
  const out: string[] = [];
  let at = 0;
  const reserved = (from: number, to: number) =>
    out.push(`${bitRange(mask({ shift: from, bits: to - from }))} reserved`);
  for (const p of r.parts) {
    if (p.shift > at) reserved(at, p.shift);
    out.push(`${bitRange(mask(p))} \`${p.name}\`: ${meaningText(t, p.name, false) as string}`);
    at = p.shift + p.bits;
  }
  if (at < r.size * 8) reserved(at, r.size * 8);
  return out.join('; ');
}

function meaningCells(t: SheetTable, r: Row): string[] {
  const two = t.columns === 'read-and-write-back';
  if (r.name === null) {
    const reserved = t.layout.writer === 'driver' ? 'reserved, write 0' : '0';
    return two ? ['0', '0'] : [reserved];
  }
  if (r.parts !== undefined) {
    if (two) throw new Error(`datasheets: ${t.model} ${r.name}: a packed dword needs one meaning column`);
    return [partsText(t, { ...r, parts: r.parts })];
  }
  const m = meaningText(t, r.name, two);
  if (typeof m === 'object') return [m.driver, m.device];
  return [r.bits !== undefined ? `${r.bits}: ${m}` : m];
}

/** One table's region: the heading (who writes, the size) and the rows. */
export function renderTable(t: SheetTable): string {
  const rows = tableRows(t);
  const named = rows.flatMap((r) =>
    r.parts !== undefined ? r.parts.map((p) => p.name) : r.name !== null ? [r.name] : [],
  );
  const twice = named.filter((n, i) => named.indexOf(n) !== i);
  if (twice.length > 0)
    throw new Error(`datasheets: ${t.model} ${t.layout.name}: two fields named ${twice.join(', ')}`);
  const unknown = Object.keys(t.meanings).filter((n) => !named.includes(n));
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
    `${t.heading ?? '##'} ${t.title} (${who}; ${size}${aside})`,
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
