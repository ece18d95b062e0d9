// readBits/placeBits, the packed descriptor words' accessors: every width from 1 to 32 bits, at every position it fits.
import { describe, expect, it } from 'vitest';
import { placeBits, readBits } from './model.ts';

describe('bit fields of a descriptor word', () => {
  it('a value placed in a field reads back, and leaves every other bit clear', () => {
    for (let bits = 1; bits <= 32; bits++)
      for (let shift = 0; shift + bits <= 32; shift++) {
        const all = bits === 32 ? 0xffffffff : 2 ** bits - 1;
        const f = { shift, bits };
        expect(readBits(placeBits(all, f), f)).toBe(all);
        expect(placeBits(all, f)).toBe((all * 2 ** shift) >>> 0);
        expect(readBits(0xffffffff, f)).toBe(all);
        expect(placeBits(0x5a5a5a5a, f) & ~((all * 2 ** shift) >>> 0)).toBe(0);
      }
  });
});
