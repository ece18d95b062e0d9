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
    case 'eol': case 'nop': return 1;
    case 'mss': return TCPOLEN.MSS;
    case 'wscale': return TCPOLEN.WSCALE;
    case 'sackPermitted': return TCPOLEN.SACK_PERM;
    case 'sack': return 2 + TCPOLEN.SACK_BLOCK * opt.blocks.length;
    case 'timestamp': return TCPOLEN.TIMESTAMP;
    case 'unknown': return 2 + opt.data.length;
  }
}

/** Bytes a list of options takes, before padding to a multiple of 4. */
export function tcpOptionsLength(opts: readonly TcpOption[]): number {
  let n = 0;
  for (const o of opts) n += tcpOptionLength(o);
  return n;
}

function put32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 24; buf[off + 1] = (v >>> 16) & 0xff; buf[off + 2] = (v >>> 8) & 0xff; buf[off + 3] = v & 0xff;
}

function get32(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}

/** Writes `opts` at `off` (no padding); returns the bytes written. */
export function emitTcpOptions(opts: readonly TcpOption[], buf: Uint8Array, off: number): number {
  let p = off;
  for (const o of opts) {
    switch (o.kind) {
      case 'eol': buf[p++] = TCPOPT.EOL; break;
      case 'nop': buf[p++] = TCPOPT.NOP; break;
      case 'mss': buf[p] = TCPOPT.MSS; buf[p + 1] = TCPOLEN.MSS; buf[p + 2] = (o.value >>> 8) & 0xff; buf[p + 3] = o.value & 0xff; p += 4; break;
      case 'wscale': buf[p] = TCPOPT.WSCALE; buf[p + 1] = TCPOLEN.WSCALE; buf[p + 2] = o.shift & 0xff; p += 3; break;
      case 'sackPermitted': buf[p] = TCPOPT.SACK_PERM; buf[p + 1] = TCPOLEN.SACK_PERM; p += 2; break;
      case 'sack':
        buf[p] = TCPOPT.SACK; buf[p + 1] = 2 + TCPOLEN.SACK_BLOCK * o.blocks.length; p += 2;
        for (const [l, r] of o.blocks) { put32(buf, p, l); put32(buf, p + 4, r); p += 8; }
        break;
      case 'timestamp': buf[p] = TCPOPT.TIMESTAMP; buf[p + 1] = TCPOLEN.TIMESTAMP; put32(buf, p + 2, o.tsval); put32(buf, p + 6, o.tsecr); p += 10; break;
      case 'unknown': buf[p] = o.type; buf[p + 1] = 2 + o.data.length; buf.set(o.data, p + 2); p += 2 + o.data.length; break;
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

/**
 * Parses the `len` option bytes at `off`. Stops at EOL (what follows is padding). A length byte
 * that is missing, below 2, runs past the options, or is wrong for a known kind gives a WireError.
 */
export function parseTcpOptions(buf: Uint8Array, off: number, len: number): TcpOption[] | WireError {
  const out: TcpOption[] = [];
  const bad = walkTcpOptions(buf, off, len, out);
  return bad ?? out;
}

/** The same checks as parseTcpOptions without building the list (allocates nothing for good options). */
export function checkTcpOptions(buf: Uint8Array, off: number, len: number): WireError | undefined {
  return walkTcpOptions(buf, off, len, null);
}

function walkTcpOptions(buf: Uint8Array, off: number, len: number, out: TcpOption[] | null): WireError | undefined {
  const end = off + len;
  let p = off;
  while (p < end) {
    const kind = buf[p]!;
    if (kind === TCPOPT.EOL) { out?.push({ kind: 'eol' }); break; }
    if (kind === TCPOPT.NOP) { out?.push({ kind: 'nop' }); p++; continue; }
    if (p + 1 >= end) return new WireError('tcp', `option ${kind} length`, p + 1, 'missing: the options end after the kind byte');
    const olen = buf[p + 1]!;
    if (olen < 2) return new WireError('tcp', `option ${kind} length`, p + 1, `${olen} is below the minimum 2`);
    if (p + olen > end) return new WireError('tcp', `option ${kind} length`, p + 1, `${olen} runs ${p + olen - end} bytes past the end of the options`);
    const fixed = FIXED[kind];
    if (fixed !== undefined && olen !== fixed[1]) {
      return new WireError('tcp', `option ${fixed[0]} length`, p + 1, `${olen}, must be ${fixed[1]}`);
    }
    if (kind === TCPOPT.SACK && ((olen - 2) % TCPOLEN.SACK_BLOCK !== 0 || olen < 2 + TCPOLEN.SACK_BLOCK)) {
      return new WireError('tcp', 'option sack length', p + 1, `${olen}, must be 2 + 8 × blocks (1 or more)`);
    }
    if (out !== null) out.push(optionAt(buf, p, kind, olen));
    p += olen;
  }
  return undefined;
}

function optionAt(buf: Uint8Array, p: number, kind: number, olen: number): TcpOption {
  switch (kind) {
    case TCPOPT.MSS: return { kind: 'mss', value: (buf[p + 2]! << 8) | buf[p + 3]! };
    case TCPOPT.WSCALE: return { kind: 'wscale', shift: buf[p + 2]! };
    case TCPOPT.SACK_PERM: return { kind: 'sackPermitted' };
    case TCPOPT.TIMESTAMP: return { kind: 'timestamp', tsval: get32(buf, p + 2), tsecr: get32(buf, p + 6) };
    case TCPOPT.SACK: {
      const blocks: [number, number][] = [];
      for (let q = p + 2; q < p + olen; q += 8) blocks.push([get32(buf, q), get32(buf, q + 4)]);
      return { kind: 'sack', blocks };
    }
    default: return { kind: 'unknown', type: kind, data: buf.slice(p + 2, p + olen) };
  }
}
