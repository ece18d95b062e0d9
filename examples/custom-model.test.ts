// The example model runs the same conformance suite as the built-in ones, skipping what it lacks.
import { nicConformance } from '../test/hw-models.conformance.ts';
import { ToyNic } from './custom-model.ts';

nicConformance('toy', () => new ToyNic({ ringEntries: 64 }), [
  { reason: 'toy has one queue', cases: ['rss-spreads-flows'] },
  { reason: 'toy interrupts on every completion', cases: ['moderation-count', 'moderation-timer', 'moderation-absolute'] },
  { reason: 'toy has no header split', cases: ['header-split'] },
]);
