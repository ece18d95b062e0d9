// Text forms of MAC and IPv4 addresses: parse (throws on bad text) and format.

const HEX2: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** "02:00:00:00:00:01" (also "-" separators) → 6 bytes. Throws an Error naming the text when it is not a MAC address. */
export function parseMac(s: string): Uint8Array {
  const parts = s.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new Error(`not a MAC address: "${s}" (expected six hex bytes like 02:00:00:00:00:01)`);
  }
  return Uint8Array.from(parts, (p) => parseInt(p, 16));
}

/** Six bytes from `off` → "02:00:00:00:00:01". */
export function formatMac(b: Uint8Array, off = 0): string {
  return `${HEX2[b[off]!]}:${HEX2[b[off + 1]!]}:${HEX2[b[off + 2]!]}:${HEX2[b[off + 3]!]}:${HEX2[b[off + 4]!]}:${HEX2[b[off + 5]!]}`;
}

/** "10.0.0.1" → 0x0a000001 (unsigned). Throws an Error naming the text when it is not a dotted-quad IPv4 address. */
export function parseIpv4(s: string): number {
  const parts = s.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) {
    throw new Error(`not an IPv4 address: "${s}" (expected four decimal bytes like 10.0.0.1)`);
  }
  return parts.reduce((a, p) => a * 256 + Number(p), 0) >>> 0;
}

/** 0x0a000001 → "10.0.0.1". */
export function formatIpv4(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

/** Writes a MAC address given as text or bytes at `off`. */
export function writeMac(buf: Uint8Array, off: number, mac: string | Uint8Array): void {
  buf.set(typeof mac === 'string' ? parseMac(mac) : mac.subarray(0, 6), off);
}

/** Reads a big-endian IPv4 address at `off` as an unsigned number. */
export function readIpv4(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}

/** Writes an IPv4 address given as text or u32 at `off`. */
export function writeIpv4(buf: Uint8Array, off: number, a: string | number): void {
  const v = typeof a === 'string' ? parseIpv4(a) : a >>> 0;
  buf[off] = v >>> 24; buf[off + 1] = (v >>> 16) & 0xff; buf[off + 2] = (v >>> 8) & 0xff; buf[off + 3] = v & 0xff;
}

/** "fdaa::1" → 16 bytes (RFC 4291 text form, with :: and without an embedded IPv4 part). */
export function parseIpv6(s: string): Uint8Array {
  const halves = s.split('::');
  if (halves.length > 2) throw new Error(`bad IPv6 address "${s}": more than one ::`);
  const groups = (h: string | undefined): number[] => (h === undefined || h === '' ? [] : h.split(':').map((g) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw new Error(`bad IPv6 address "${s}": group "${g}"`);
    return parseInt(g, 16);
  }));
  const head = groups(halves[0]), tail = groups(halves[1]);
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  if (head.length + tail.length + fill !== 8 || fill < 0 || (halves.length === 2 && fill === 0)) throw new Error(`bad IPv6 address "${s}": not 8 groups`);
  const all = [...head, ...new Array<number>(fill).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => { out[2 * i] = g >>> 8; out[2 * i + 1] = g & 0xff; });
  return out;
}
