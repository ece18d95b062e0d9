// StreamCheck: the fingerprint of the received bytes is StreamHash's whether the socket compares with the sender's
// generator or hashes, whatever arrives: the generator's stream, a changed byte anywhere, chunks in plain memory,
// chunks across the pattern's period.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { StreamCheck, attachReference, lazyProperty, referenceOf } from '../wire/stream-check.ts';
import { StreamHash } from '../wire/stream-hash.ts';
import { wasmBytes, bytePassesFor, REFERENCE_AREA } from '../wire/byte-passes.ts';
import { PayloadPattern, PATTERN_PERIOD } from './payload.ts';

const MSS = 1448;
const pattern = new PayloadPattern(5, MSS);

/** The stream of `salt` from byte `from`, `len` bytes, as a fresh array. */
function streamBytes(salt: number, from: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let k = 0; k < len; k++) out[k] = pattern.bytes[PayloadPattern.start(from + k, salt)]!;
  return out;
}

describe('StreamCheck', () => {
  it('equals StreamHash over the received bytes, compared or hashed, with or without a changed byte (property)', () => {
    const mem = wasmBytes(4 * MSS);
    const plain = new Uint8Array(4 * MSS);
    expect(bytePassesFor(mem.buffer)).toBeDefined();
    fc.assert(
      fc.property(
        fc.nat(PATTERN_PERIOD - 1),
        // chunk lengths (0 included), in which memory each chunk lies, and an optional byte to flip
        fc.array(fc.record({ len: fc.nat(2 * MSS), wasm: fc.boolean() }), { minLength: 1, maxLength: 12 }),
        fc.option(fc.record({ at: fc.nat(30_000), bit: fc.nat(7) })),
        (salt, chunks, flip) => {
          const check = new StreamCheck(),
            hash = new StreamHash();
          check.compareWith(pattern.reference(salt));
          let offset = 0;
          for (const c of chunks) {
            const bytes = streamBytes(salt, offset, c.len);
            if (flip !== null && flip.at >= offset && flip.at < offset + c.len)
              bytes[flip.at - offset]! ^= 1 << flip.bit;
            const into = c.wasm ? mem : plain;
            const at = (offset * 7) % MSS; // any alignment
            into.set(bytes, at);
            check.update(into, at, c.len);
            hash.update(into, at, c.len);
            offset += c.len;
          }
          expect(check.length).toBe(offset);
          expect(check.digest()).toBe(hash.digest());
        },
      ),
      { numRuns: 300 },
    );
  });

  it('compares a whole stream of the generator with it, across the period, and shares the sender fingerprint', () => {
    const mem = wasmBytes(2 * MSS);
    const salt = PATTERN_PERIOD - 3000; // the stream wraps round the period after 3000 bytes
    const check = new StreamCheck(),
      hash = new StreamHash();
    check.compareWith(pattern.reference(salt));
    for (let offset = 0; offset < 200 * MSS; offset += MSS) {
      mem.set(streamBytes(salt, offset, MSS), 2);
      check.update(mem, 2, MSS);
      hash.update(mem, 2, MSS);
    }
    expect(check.bytesCompared).toBe(200 * MSS);
    expect(check.digest()).toBe(hash.digest());
    expect(pattern.streamDigest(salt, 200 * MSS)).toBe(hash.digest());
    expect(pattern.streamDigest(salt, 100 * MSS)).toBe(pattern.reference(salt).digest(100 * MSS)); // a shorter prefix after a longer one
  });

  it('a first difference in the last byte of a chunk: compared before, hashed from that chunk on', () => {
    const mem = wasmBytes(2 * MSS);
    const check = new StreamCheck(),
      hash = new StreamHash();
    check.compareWith(pattern.reference(0));
    for (let i = 0; i < 3; i++) {
      const bytes = streamBytes(0, i * MSS, MSS);
      if (i === 1) bytes[MSS - 1]! ^= 0x80;
      mem.set(bytes, 0);
      check.update(mem, 0, MSS);
      hash.update(mem, 0, MSS);
    }
    expect(check.bytesCompared).toBe(MSS);
    expect(check.digest()).toBe(hash.digest());
  });

  it('a reference too large for a memory is hashed; a reference is taken only before the first byte', () => {
    const big = new Uint8Array(REFERENCE_AREA + 1);
    const check = new StreamCheck();
    check.compareWith({
      bytes: big,
      position: (o) => o % big.length,
      hashInto: (h, from, to) => h.update(big, from, to - from),
      digest: () => 'never asked',
    });
    const mem = wasmBytes(100);
    check.update(mem, 0, 100);
    expect(check.bytesCompared).toBe(0);
    const late = new StreamCheck();
    late.update(mem, 0, 10);
    late.compareWith(pattern.reference(0));
    late.update(mem, 10, 10);
    expect(late.bytesCompared).toBe(0);
    const h = new StreamHash();
    h.update(mem, 0, 100);
    expect(check.digest()).toBe(h.digest());
    const compared = new StreamCheck();
    compared.compareWith(pattern.reference(0));
    expect(() => compared.update(mem, 90, 11)).toThrow(
      'StreamCheck.update: bytes 90..101 are not inside a buffer of 100',
    );
  });
});

describe('StreamCheck.equalsStream: the verdict without fingerprints', () => {
  const mem = wasmBytes(2 * MSS);
  function received(salt: number, frames: number, flipIn = -1): StreamCheck {
    const check = new StreamCheck();
    check.compareWith(pattern.reference(salt));
    for (let i = 0; i < frames; i++) {
      const bytes = streamBytes(salt, i * MSS, MSS);
      if (i === flipIn) bytes[7]! ^= 1;
      mem.set(bytes, 0);
      check.update(mem, 0, MSS);
    }
    return check;
  }

  it('holds for the same generator and length only, and never after a differing byte', () => {
    expect(pattern.reference(9)).toBe(pattern.reference(9)); // one object per salt
    expect(received(9, 5).equalsStream(pattern.reference(9), 5 * MSS)).toBe(true);
    expect(received(9, 5).equalsStream(pattern.reference(9), 6 * MSS)).toBe(false); // bytes still missing
    expect(received(9, 5).equalsStream(pattern.reference(10), 5 * MSS)).toBe(false); // another stream
    expect(received(9, 5).equalsStream(new PayloadPattern(5, MSS).reference(9), 5 * MSS)).toBe(false);
    const bad = received(9, 5, 3);
    expect(bad.equalsStream(pattern.reference(9), 5 * MSS)).toBe(false);
    expect(bad.digest()).not.toBe(pattern.streamDigest(9, 5 * MSS));
  });

  it('a snapshot of the fingerprint stays the fingerprint of the bytes received until then', () => {
    for (const flip of [-1, 1]) {
      const check = received(4, 3, flip);
      const later = check.digestLater();
      const now = check.digest();
      mem.set(streamBytes(4, 3 * MSS, MSS), 0);
      check.update(mem, 0, MSS);
      expect(later()).toBe(now);
      expect(check.digest()).not.toBe(now);
    }
  });

  it('an expectation keeps its generator and computes its lazy fingerprint on first read, in place', () => {
    let computed = 0;
    const e = lazyProperty({ bytes: 10, digest: '', after: 1 }, 'digest', () => {
      computed++;
      return 'd';
    });
    attachReference(e, pattern.reference(1));
    expect(computed).toBe(0);
    expect(referenceOf(e)).toBe(pattern.reference(1));
    expect(referenceOf({ ...e })).toBeUndefined(); // a copy is plain data
    expect(JSON.stringify(e)).toBe('{"bytes":10,"digest":"d","after":1}');
    expect(e.digest).toBe('d');
    expect(computed).toBe(1);
  });
});
