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

/** Six bytes from `off` as one number (48 bits fit a double exactly): a MAC address as a table key. */
export function macKey(b: Uint8Array, off = 0): number {
  return (
    b[off]! * 0x10000000000 +
    b[off + 1]! * 0x100000000 +
    (((b[off + 2]! << 24) | (b[off + 3]! << 16) | (b[off + 4]! << 8) | b[off + 5]!) >>> 0)
  );
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
  buf[off] = v >>> 24;
  buf[off + 1] = (v >>> 16) & 0xff;
  buf[off + 2] = (v >>> 8) & 0xff;
  buf[off + 3] = v & 0xff;
}

/**
 * "2001:db8::1" → 16 bytes. Accepts one "::" and a dotted-quad tail ("::ffff:10.0.0.1"). Throws an Error naming the text
 * when it is not an IPv6 address.
 */
export function parseIpv6(s: string): Uint8Array {
  const bad = (): Error => new Error(`not an IPv6 address: "${s}" (expected eight hex groups like 2001:db8::1)`);
  let text = s;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    // a dotted-quad tail is the last two groups
    let v4: number;
    try {
      v4 = parseIpv4(text.slice(lastColon + 1));
    } catch {
      throw bad();
    }
    text = `${text.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) throw bad();
  const group = (g: string): number => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw bad();
    return parseInt(g, 16);
  };
  const parts = (h: string): number[] => (h === '' ? [] : h.split(':').map(group));
  const head = parts(halves[0]!);
  const rest = halves.length === 2 ? parts(halves[1]!) : [];
  const given = head.length + rest.length;
  if (halves.length === 1 ? given !== 8 : given > 7) throw bad();
  const groups = [...head, ...new Array<number>(8 - given).fill(0), ...rest];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >>> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** Sixteen bytes from `off` in RFC 5952's text form: lower case, leading zeros dropped, the longest run of two or more zero groups as "::". */
export function formatIpv6(b: Uint8Array, off = 0): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[off + 2 * i]! << 8) | b[off + 2 * i + 1]!);
  let bestAt = -1,
    bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hexes = g.map((x) => x.toString(16));
  if (bestAt < 0) return hexes.join(':');
  return `${hexes.slice(0, bestAt).join(':')}::${hexes.slice(bestAt + bestLen).join(':')}`;
}

/** Writes an IPv6 address given as text or 16 bytes at `off`. */
export function writeIpv6(buf: Uint8Array, off: number, a: string | Uint8Array): void {
  buf.set(typeof a === 'string' ? parseIpv6(a) : a.subarray(0, 16), off);
}
