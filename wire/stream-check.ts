// A socket's check of the byte stream it receives. Without a reference it fingerprints every received byte
// (StreamHash). With a reference — the sender's own generator of the stream, e.g. the link partner's payload pattern —
// it compares each received chunk with the generator's bytes instead (one WebAssembly pass, cheaper than hashing) and,
// while every byte so far was equal, its fingerprint is the generator's fingerprint of the same length, which the
// sender computes anyway for its expectation: one hash of the stream instead of two. At the first chunk that differs,
// or that cannot be compared in WebAssembly, it hashes the equal prefix from the generator and every received byte from
// there on, so the fingerprint is always exactly StreamHash's over the received bytes.
import { bytePassesFor, type BytePasses } from './byte-passes.ts';
import { StreamHash } from './stream-hash.ts';

/** A stream generated from a source of bytes, known to the sender (traffic/payload.ts PayloadPattern.reference). */
export interface StreamReference {
  /** The source: stream byte o + k is bytes[position(o) + k] for every k with position(o) + k < bytes.length. Never changes. */
  readonly bytes: Uint8Array;
  position(streamOffset: number): number;
  /** Feeds stream bytes [from, to) to `hash`, in order. */
  hashInto(hash: StreamHash, from: number, to: number): void;
  /** StreamHash's digest of the stream's first `length` bytes. */
  digest(length: number): string;
}

/** The generator each sender's expectation was made from (attachReference), kept beside the plain-data expectation. */
const expectationReferences = new WeakMap<object, StreamReference>();

/** Records that `expectation`'s stream is `reference`'s first `expectation.bytes` bytes (the sender's own claim). */
export function attachReference(expectation: object, reference: StreamReference): void {
  expectationReferences.set(expectation, reference);
}

/** The generator `expectation` was made from, if its sender said so. */
export function referenceOf(expectation: object): StreamReference | undefined {
  return expectationReferences.get(expectation);
}

/**
 * Makes the existing property `prop` of `o` computed on its first read and kept from then on (it stays in its place
 * among the keys, enumerable, so spreads, JSON and structured clones see the value): a fingerprint nobody reads is
 * never computed.
 */
export function lazyProperty<T extends object, K extends keyof T & string>(o: T, prop: K, compute: () => T[K]): T {
  const keep = (value: T[K]): void => {
    Object.defineProperty(o, prop, { value, writable: true, enumerable: true, configurable: true });
  };
  Object.defineProperty(o, prop, {
    get(): T[K] {
      const value = compute();
      keep(value);
      return value;
    },
    set: keep,
    enumerable: true,
    configurable: true,
  });
  return o;
}

export class StreamCheck {
  private readonly hash = new StreamHash();
  private reference: StreamReference | null = null;
  /** Bytes received and found equal to the reference's first `same` bytes (not hashed while the reference holds). */
  private same = 0;
  /** Bytes compared with the reference rather than hashed. */
  bytesCompared = 0;
  /** The last array compared from, and its memory's WebAssembly passes. */
  private mem: Uint8Array | null = null;
  private passes: BytePasses | undefined;

  /** Bytes received so far. */
  get length(): number {
    return this.reference !== null ? this.same : this.hash.length;
  }

  /** Compares what arrives with `reference` from now on; only before the first byte (else the call changes nothing). */
  compareWith(reference: StreamReference): void {
    if (this.hash.length === 0 && this.same === 0) this.reference = reference;
  }

  /** The next `n` bytes of the stream, at `mem[start]`. */
  update(mem: Uint8Array, start: number, n: number): void {
    const ref = this.reference;
    if (ref !== null) {
      if (this.equalsReference(ref, mem, start, n)) {
        this.same += n;
        this.bytesCompared += n;
        return;
      }
      // the first difference (or bytes outside a WebAssembly memory): the equal prefix from the generator, then hash
      ref.hashInto(this.hash, 0, this.same);
      this.reference = null;
    }
    this.hash.update(mem, start, n);
  }

  /** Every byte received so far was compared equal with `reference`'s stream, and there are `length` of them: the
   *  received stream is exactly that stream's first `length` bytes (no fingerprint needed to know it). */
  equalsStream(reference: StreamReference, length: number): boolean {
    return this.reference === reference && this.same === length;
  }

  /** The fingerprint of the bytes received until now, to compute later: while every byte equalled the reference, the
   *  reference's fingerprint of this length when called; else the hash's, taken now. */
  digestLater(): () => string {
    const ref = this.reference;
    if (ref === null) {
      const digest = this.hash.digest();
      return () => digest;
    }
    const length = this.same;
    return () => ref.digest(length);
  }

  /** StreamHash's fingerprint of every byte received. */
  digest(): string {
    return this.reference !== null ? this.reference.digest(this.same) : this.hash.digest();
  }

  private equalsReference(ref: StreamReference, mem: Uint8Array, start: number, n: number): boolean {
    if (!(Number.isInteger(start) && Number.isInteger(n) && start >= 0 && n >= 0 && start + n <= mem.length)) {
      throw new RangeError(`StreamCheck.update: bytes ${start}..${start + n} are not inside a buffer of ${mem.length}`);
    }
    if (mem !== this.mem) {
      // an array's `buffer` is a call that costs as much as comparing a few hundred bytes: once per array seen
      this.mem = mem;
      this.passes = bytePassesFor(mem.buffer);
    }
    const k = this.passes;
    if (k === undefined) return false;
    const refAt = k.referenceAt(ref.bytes);
    if (refAt < 0) return false;
    const srcLen = ref.bytes.length;
    for (let done = 0; done < n; ) {
      const at = ref.position(this.same + done);
      const run = Math.min(n - done, srcLen - at);
      if (k.same(mem.byteOffset + start + done, refAt + at, run) === 0) return false;
      done += run;
    }
    return true;
  }
}
