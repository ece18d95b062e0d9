// TCP options as values: parse the option bytes of a header into a list, emit a list back to bytes.
// Padding after an EOL is not represented (emitted as zeros); unknown kinds keep their bytes.

import { TCPOPT, TCPOLEN } from './constants.ts';
import { WireError } from './error.ts';

export type TcpOption =
  | { kind: 'eol' }
  | { kind: 'nop' }
  | { kind: 'mss'; value: number }
  | { kind: 'wscale'; shift: number }
  | { kind: 'sackPermitted' }
  | { kind: 'sack'; blocks: [number, number][] }
  | { kind: 'timestamp'; tsval: number; tsecr: number }
  | { kind: 'unknown'; type: number; data: Uint8Array };

/** Bytes `opt` takes on the wire. */
export function tcpOptionLength(opt: TcpOption): number {
  switch (opt.kind) {
    case 'eol':
    case 'nop':
      return 1;
    case 'mss':
      return TCPOLEN.MSS;
    case 'wscale':
      return TCPOLEN.WSCALE;
    case 'sackPermitted':
      return TCPOLEN.SACK_PERM;
    case 'sack':
      return 2 + TCPOLEN.SACK_BLOCK * opt.blocks.length;
    case 'timestamp':
      return TCPOLEN.TIMESTAMP;
    case 'unknown':
      return 2 + opt.data.length;
  }
}

/** Bytes a list of options takes, before padding to a multiple of 4. */
export function tcpOptionsLength(opts: readonly TcpOption[]): number {
  let n = 0;
  for (const o of opts) n += tcpOptionLength(o);
  return n;
}

function put32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 24;
  buf[off + 1] = (v >>> 16) & 0xff;
  buf[off + 2] = (v >>> 8) & 0xff;
  buf[off + 3] = v & 0xff;
}

function get32(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}

/** Writes `opts` at `off` (no padding); returns the bytes written. */
export function emitTcpOptions(opts: readonly TcpOption[], buf: Uint8Array, off: number): number {
  let p = off;
  for (const o of opts) {
    switch (o.kind) {
      case 'eol':
        buf[p++] = TCPOPT.EOL;
        break;
      case 'nop':
        buf[p++] = TCPOPT.NOP;
        break;
      case 'mss':
        buf[p] = TCPOPT.MSS;
        buf[p + 1] = TCPOLEN.MSS;
        buf[p + 2] = (o.value >>> 8) & 0xff;
        buf[p + 3] = o.value & 0xff;
        p += 4;
        break;
      case 'wscale':
        buf[p] = TCPOPT.WSCALE;
        buf[p + 1] = TCPOLEN.WSCALE;
        buf[p + 2] = o.shift & 0xff;
        p += 3;
        break;
      case 'sackPermitted':
        buf[p] = TCPOPT.SACK_PERM;
        buf[p + 1] = TCPOLEN.SACK_PERM;
        p += 2;
        break;
      case 'sack':
        buf[p] = TCPOPT.SACK;
        buf[p + 1] = 2 + TCPOLEN.SACK_BLOCK * o.blocks.length;
        p += 2;
        for (const [l, r] of o.blocks) {
          put32(buf, p, l);
          put32(buf, p + 4, r);
          p += 8;
        }
        break;
      case 'timestamp':
        buf[p] = TCPOPT.TIMESTAMP;
        buf[p + 1] = TCPOLEN.TIMESTAMP;
        put32(buf, p + 2, o.tsval);
        put32(buf, p + 6, o.tsecr);
        p += 10;
        break;
      case 'unknown':
        buf[p] = o.type;
        buf[p + 1] = 2 + o.data.length;
        buf.set(o.data, p + 2);
        p += 2 + o.data.length;
        break;
    }
  }
  return p - off;
}

/** Option bytes as a fresh array, padded with zeros (EOL) to a multiple of 4 when `pad` is set. */
export function encodeTcpOptions(opts: readonly TcpOption[], pad = true): Uint8Array {
  const n = tcpOptionsLength(opts);
  const out = new Uint8Array(pad ? (n + 3) & ~3 : n);
  emitTcpOptions(opts, out, 0);
  return out;
}

const FIXED: Record<number, [string, number]> = {
  [TCPOPT.MSS]: ['mss', TCPOLEN.MSS],
  [TCPOPT.WSCALE]: ['wscale', TCPOLEN.WSCALE],
  [TCPOPT.SACK_PERM]: ['sackPermitted', TCPOLEN.SACK_PERM],
  [TCPOPT.TIMESTAMP]: ['timestamp', TCPOLEN.TIMESTAMP],
};

/** Why a TCP option list is malformed, as the walker reports it. */
export const TCP_OPTION_PROBLEMS = [
  'length_missing',
  'length_below_2',
  'length_past_end',
  'fixed_length_wrong',
  'sack_length_wrong',
] as const;
export type TcpOptionProblem = (typeof TCP_OPTION_PROBLEMS)[number];

/**
 * What one walk over a TCP header's options found, filled in place (allocation-free): the offset of the kind byte of each
 * option wire/ knows (-1 when absent; the last one when repeated), where the options end (an EOL, or the header end), and
 * the first problem with the byte offset of the length byte at fault.
 */
export class TcpOptionScan {
  mss = -1;
  wscale = -1;
  sackPermitted = -1;
  sack = -1;
  timestamp = -1;
  /** Options other than NOP and EOL. */
  count = 0;
  problem: TcpOptionProblem | null = null;
  /** The option kind and length byte at fault, and the length byte's offset (when `problem` is set). */
  problemKind = 0;
  problemLength = 0;
  problemAt = -1;
  /** The end of the option bytes walked (the header end): for messages. */
  end = 0;
}

/**
 * The one TCP option walker: steps over the `len` option bytes at `off` (EOL ends them: what follows is padding), records
 * each known option's offset in `s` and stops at the first malformed length byte (missing, below 2, past the options,
 * wrong for a fixed-length kind, or a SACK that is not 2 + 8 × blocks). Returns true when the options are well formed.
 */
export function scanTcpOptions(buf: Uint8Array, off: number, len: number, s: TcpOptionScan): boolean {
  s.mss = -1;
  s.wscale = -1;
  s.sackPermitted = -1;
  s.sack = -1;
  s.timestamp = -1;
  s.count = 0;
  s.problem = null;
  s.problemKind = 0;
  s.problemLength = 0;
  s.problemAt = -1;
  const end = off + len;
  s.end = end;
  let p = off;
  while (p < end) {
    const kind = buf[p]!;
    if (kind === TCPOPT.EOL) break;
    if (kind === TCPOPT.NOP) {
      p++;
      continue;
    }
    s.problemKind = kind;
    s.problemAt = p + 1;
    if (p + 1 >= end) {
      s.problem = 'length_missing';
      return false;
    }
    const olen = buf[p + 1]!;
    s.problemLength = olen;
    if (olen < 2) {
      s.problem = 'length_below_2';
      return false;
    }
    if (p + olen > end) {
      s.problem = 'length_past_end';
      return false;
    }
    switch (kind) {
      case TCPOPT.MSS:
        if (olen !== TCPOLEN.MSS) {
          s.problem = 'fixed_length_wrong';
          return false;
        }
        s.mss = p;
        break;
      case TCPOPT.WSCALE:
        if (olen !== TCPOLEN.WSCALE) {
          s.problem = 'fixed_length_wrong';
          return false;
        }
        s.wscale = p;
        break;
      case TCPOPT.SACK_PERM:
        if (olen !== TCPOLEN.SACK_PERM) {
          s.problem = 'fixed_length_wrong';
          return false;
        }
        s.sackPermitted = p;
        break;
      case TCPOPT.TIMESTAMP:
        if (olen !== TCPOLEN.TIMESTAMP) {
          s.problem = 'fixed_length_wrong';
          return false;
        }
        s.timestamp = p;
        break;
      case TCPOPT.SACK:
        if ((olen - 2) % TCPOLEN.SACK_BLOCK !== 0 || olen < 2 + TCPOLEN.SACK_BLOCK) {
          s.problem = 'sack_length_wrong';
          return false;
        }
        s.sack = p;
        break;
    }
    s.count++;
    p += olen;
  }
  s.problemKind = 0;
  s.problemLength = 0;
  s.problemAt = -1;
  return true;
}

/** The WireError a scan's problem is reported as (names the option and its length byte). */
export function tcpOptionError(s: TcpOptionScan): WireError {
  const kind = s.problemKind,
    olen = s.problemLength,
    at = s.problemAt;
  switch (s.problem) {
    case 'length_missing':
      return new WireError('tcp', `option ${kind} length`, at, 'missing: the options end after the kind byte');
    case 'length_below_2':
      return new WireError('tcp', `option ${kind} length`, at, `${olen} is below the minimum 2`);
    case 'length_past_end':
      return new WireError(
        'tcp',
        `option ${kind} length`,
        at,
        `${olen} runs ${at - 1 + olen - s.end} bytes past the end of the options`,
      );
    case 'sack_length_wrong':
      return new WireError('tcp', 'option sack length', at, `${olen}, must be 2 + 8 × blocks (1 or more)`);
    default: {
      const fixed = FIXED[kind];
      return new WireError('tcp', `option ${fixed?.[0] ?? kind} length`, at, `${olen}, must be ${fixed?.[1] ?? '?'}`);
    }
  }
}

/**
 * Parses the `len` option bytes at `off`. Stops at EOL (what follows is padding). A length byte
 * that is missing, below 2, runs past the options, or is wrong for a known kind gives a WireError.
 */
export function parseTcpOptions(buf: Uint8Array, off: number, len: number): TcpOption[] | WireError {
  const s = new TcpOptionScan();
  if (!scanTcpOptions(buf, off, len, s)) return tcpOptionError(s);
  // the scan vouched for every length byte: list the options
  const out: TcpOption[] = [];
  const end = off + len;
  for (let p = off; p < end; ) {
    const kind = buf[p]!;
    if (kind === TCPOPT.EOL) {
      out.push({ kind: 'eol' });
      break;
    }
    if (kind === TCPOPT.NOP) {
      out.push({ kind: 'nop' });
      p++;
      continue;
    }
    const olen = buf[p + 1]!;
    out.push(optionAt(buf, p, kind, olen));
    p += olen;
  }
  return out;
}

const checkScan = new TcpOptionScan();

/** The same checks as parseTcpOptions without building the list (allocates nothing for good options). */
export function checkTcpOptions(buf: Uint8Array, off: number, len: number): WireError | undefined {
  return scanTcpOptions(buf, off, len, checkScan) ? undefined : tcpOptionError(checkScan);
}

function optionAt(buf: Uint8Array, p: number, kind: number, olen: number): TcpOption {
  switch (kind) {
    case TCPOPT.MSS:
      return { kind: 'mss', value: (buf[p + 2]! << 8) | buf[p + 3]! };
    case TCPOPT.WSCALE:
      return { kind: 'wscale', shift: buf[p + 2]! };
    case TCPOPT.SACK_PERM:
      return { kind: 'sackPermitted' };
    case TCPOPT.TIMESTAMP:
      return { kind: 'timestamp', tsval: get32(buf, p + 2), tsecr: get32(buf, p + 6) };
    case TCPOPT.SACK: {
      const blocks: [number, number][] = [];
      for (let q = p + 2; q < p + olen; q += 8) blocks.push([get32(buf, q), get32(buf, q + 4)]);
      return { kind: 'sack', blocks };
    }
    default:
      return { kind: 'unknown', type: kind, data: buf.slice(p + 2, p + olen) };
  }
}
