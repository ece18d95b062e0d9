// TCP (RFC 9293): view over the header bytes, a checked constructor naming the bad field, and a
// plain Repr (options as a list, see tcp-options.ts) with parse/emit.

import { TCP, TCP_FLAG } from './constants.ts';
import { WireError } from './error.ts';
import { type TcpOption, parseTcpOptions, checkTcpOptions, emitTcpOptions, tcpOptionsLength } from './tcp-options.ts';
import { HeaderView, captured } from './view.ts';

export class TcpView extends HeaderView {
  /**
   * `len` is the segment length available (the IP payload). Rejects a truncated header, data offset
   * below 5 or past the segment, and malformed options (a zero, short or overlong length byte).
   */
  static checked(buf: Uint8Array, off = 0, len = buf.length - off): TcpView | WireError {
    const have = captured(buf, off, len);
    if (have < TCP.HLEN) return new WireError('tcp', 'header', off, `truncated: ${have} bytes, need ${TCP.HLEN}`);
    const v = new TcpView(buf, off);
    const doff = v.dataOffset;
    if (doff < 5) return new WireError('tcp', 'dataOffset', off + TCP.DOFF, `${doff} is below the minimum 5`);
    if (doff * 4 > len)
      return new WireError(
        'tcp',
        'dataOffset',
        off + TCP.DOFF,
        `${doff} (${doff * 4} bytes) runs past the ${len}-byte segment`,
      );
    if (doff * 4 > have)
      return new WireError(
        'tcp',
        'dataOffset',
        off + TCP.DOFF,
        `${doff} (${doff * 4} bytes) runs past the ${have} bytes captured`,
      );
    return checkTcpOptions(buf, off + TCP.HLEN, doff * 4 - TCP.HLEN) ?? v;
  }
  get sport(): number {
    return this.dv.getUint16(this.off + TCP.SPORT);
  }
  set sport(v: number) {
    this.dv.setUint16(this.off + TCP.SPORT, v);
  }
  get dport(): number {
    return this.dv.getUint16(this.off + TCP.DPORT);
  }
  set dport(v: number) {
    this.dv.setUint16(this.off + TCP.DPORT, v);
  }
  get seq(): number {
    return this.dv.getUint32(this.off + TCP.SEQ);
  }
  set seq(v: number) {
    this.dv.setUint32(this.off + TCP.SEQ, v >>> 0);
  }
  get ack(): number {
    return this.dv.getUint32(this.off + TCP.ACK);
  }
  set ack(v: number) {
    this.dv.setUint32(this.off + TCP.ACK, v >>> 0);
  }
  /** Header length in 32-bit words. */
  get dataOffset(): number {
    return this.buf[this.off + TCP.DOFF]! >>> 4;
  }
  set dataOffset(v: number) {
    this.buf[this.off + TCP.DOFF] = ((v & 0xf) << 4) | (this.buf[this.off + TCP.DOFF]! & 0x0f);
  }
  get headerLength(): number {
    return this.dataOffset * 4;
  }
  /** The eight flag bits (TCP_FLAG). */
  get flags(): number {
    return this.buf[this.off + TCP.FLAGS]!;
  }
  set flags(v: number) {
    this.buf[this.off + TCP.FLAGS] = v & 0xff;
  }
  get fin(): boolean {
    return (this.flags & TCP_FLAG.FIN) !== 0;
  }
  get syn(): boolean {
    return (this.flags & TCP_FLAG.SYN) !== 0;
  }
  get rst(): boolean {
    return (this.flags & TCP_FLAG.RST) !== 0;
  }
  get psh(): boolean {
    return (this.flags & TCP_FLAG.PSH) !== 0;
  }
  get ackFlag(): boolean {
    return (this.flags & TCP_FLAG.ACK) !== 0;
  }
  get urg(): boolean {
    return (this.flags & TCP_FLAG.URG) !== 0;
  }
  get ece(): boolean {
    return (this.flags & TCP_FLAG.ECE) !== 0;
  }
  get cwr(): boolean {
    return (this.flags & TCP_FLAG.CWR) !== 0;
  }
  get window(): number {
    return this.dv.getUint16(this.off + TCP.WINDOW);
  }
  set window(v: number) {
    this.dv.setUint16(this.off + TCP.WINDOW, v);
  }
  get checksum(): number {
    return this.dv.getUint16(this.off + TCP.CSUM);
  }
  set checksum(v: number) {
    this.dv.setUint16(this.off + TCP.CSUM, v);
  }
  get urgent(): number {
    return this.dv.getUint16(this.off + TCP.URP);
  }
  set urgent(v: number) {
    this.dv.setUint16(this.off + TCP.URP, v);
  }
  /** Offset in `buf` of the first payload byte. */
  get payloadOffset(): number {
    return this.off + this.headerLength;
  }
  /** The options parsed (allocates; not for hot paths). */
  options(): TcpOption[] | WireError {
    return parseTcpOptions(this.buf, this.off + TCP.HLEN, this.headerLength - TCP.HLEN);
  }
}

export interface TcpRepr {
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  /** Header length in 32-bit words. */
  dataOffset: number;
  flags: number;
  window: number;
  checksum: number;
  urgent: number;
  options: TcpOption[];
}

/** Parses a checked header at `off`; `len` is the segment length available (by default to the end of `buf`). */
export function parseTcpHeader(buf: Uint8Array, off = 0, len = buf.length - off): TcpRepr | WireError {
  const v = TcpView.checked(buf, off, len);
  if (v instanceof WireError) return v;
  const options = v.options();
  if (options instanceof WireError) return options;
  return {
    sport: v.sport,
    dport: v.dport,
    seq: v.seq,
    ack: v.ack,
    dataOffset: v.dataOffset,
    flags: v.flags,
    window: v.window,
    checksum: v.checksum,
    urgent: v.urgent,
    options,
  };
}

/** The data offset (in words) that fits `options`, padded to a multiple of 4. */
export function tcpDataOffsetFor(options: readonly TcpOption[]): number {
  return (TCP.HLEN + ((tcpOptionsLength(options) + 3) & ~3)) / 4;
}

/**
 * Writes every field as given (checksum and data offset included) and the options, zero-padded up to
 * `dataOffset * 4` bytes. Throws a RangeError when the options do not fit that data offset. Returns the header length.
 */
export function emitTcpHeader(r: TcpRepr, buf: Uint8Array, off = 0): number {
  const hlen = r.dataOffset * 4;
  const optLen = tcpOptionsLength(r.options);
  if (TCP.HLEN + optLen > Math.max(hlen, TCP.HLEN))
    throw new RangeError(`emitTcpHeader: ${optLen} option bytes do not fit data offset ${r.dataOffset}`);
  const v = new TcpView(buf, off);
  v.sport = r.sport;
  v.dport = r.dport;
  v.seq = r.seq;
  v.ack = r.ack;
  buf[off + TCP.DOFF] = (r.dataOffset & 0xf) << 4;
  v.flags = r.flags;
  v.window = r.window;
  v.checksum = r.checksum;
  v.urgent = r.urgent;
  const n = emitTcpOptions(r.options, buf, off + TCP.HLEN);
  buf.fill(0, off + TCP.HLEN + n, off + Math.max(hlen, TCP.HLEN));
  return Math.max(hlen, TCP.HLEN);
}
