// The example model runs the same conformance suite as the built-in ones, skipping what it lacks.
import { nicConformance } from '../test/hw-models.conformance.ts';
import { WritebackReference } from '../test/support/writeback-reference.ts';
import { TOY_BUFFER_BYTES, TOY_DESC, TOY_FLAGS, ToyNic } from './custom-model.ts';

nicConformance('toy', () => new ToyNic({ ringEntries: 64 }), [
  { reason: 'toy has one queue', cases: ['rss-spreads-flows'] },
  { reason: 'toy interrupts on every completion', cases: ['moderation-count', 'moderation-timer', 'moderation-absolute'] },
  { reason: 'toy has no header split', cases: ['header-split'] },
], (nic) =>
  // the tests' reference driver for its write-back ring: where a descriptor says done, length and flags
  new WritebackReference(nic, 'rx', TOY_BUFFER_BYTES, (v, at) => {
    const flags = v.getUint16(at + TOY_DESC.FLAGS, true);
    return { dd: (flags & TOY_FLAGS.DONE) !== 0, eop: true, length: v.getUint16(at + TOY_DESC.LENGTH, true), hdrLength: 0, vlanTag: -1, csum: 'none', rssHash: -1, fields: { flags } };
  }, 0, (v, at, pkt) => v.setUint32(at + TOY_DESC.ADDR, pkt, true)),
);
