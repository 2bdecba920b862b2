// The SPSC handshake of ../shared/bench/spsc.pml as a transition system (filled in by issue #3).
import type { ModelEntry } from './registry.ts';
import { InvariantError } from '../../spec/common/assert.ts';

export const spscEntry: ModelEntry = {
  name: 'spsc',
  description: 'SPSC queue signalling handshake (shared/bench/spsc.pml); not yet implemented',
  defaultBounds: { capacity: 2, items: 4 },
  bugs: [],
  build: () => {
    throw new InvariantError('spsc model not yet implemented');
  },
};
