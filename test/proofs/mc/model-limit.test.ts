// A successor the model cannot represent (ModelLimitReached, spec/common/transition.ts) ends every
// search as `incomplete` (reason `modelLimit`, the model's message), never as a crash or `holds`;
// a bug of the model (InvariantError) still propagates.
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import { checkModel } from '../../../proofs/mc/engine.ts';
import { simulate } from '../../../proofs/mc/simulate.ts';
import { InvariantError } from '../../../spec/common/assert.ts';
import {
  ModelLimitReached,
  type State,
  type TransitionSystem,
} from '../../../spec/common/transition.ts';
import { captureIo } from '../../helpers/io.ts';

/** A counter that the model can represent up to `limit` only; `fail` throws from there instead. */
function counter(limit: number, fail: () => never): TransitionSystem {
  return {
    name: 'limited-counter',
    stateWords: 1,
    actions: [{ name: 'c.inc', pd: 'c' }],
    invariants: [],
    initialStates: () => [Uint32Array.of(0)],
    successors(s: State, emit: (action: number, next: State) => void): void {
      if (s[0]! >= limit) fail();
      emit(0, Uint32Array.of(s[0]! + 1));
    },
    toItf: (s: State) => ({ c: s[0]! }),
  };
}

const limitReached = (): never => {
  throw new ModelLimitReached('counter: more than 3 in flight');
};

describe('ModelLimitReached ends a search as incomplete (modelLimit)', () => {
  for (const search of ['bfs', 'dfs'] as const) {
    it(`${search}: incomplete with the model's message, not holds and not a throw`, () => {
      const r = checkModel(counter(3, limitReached), { search });
      expect(r).toMatchObject({
        verdict: 'incomplete',
        incompleteReason: 'modelLimit',
        message: 'counter: more than 3 in flight',
      });
      expect(r.states).toBe(4);
    });
  }

  it('random walks: incomplete (modelLimit), with the seed of the walk that reached it', () => {
    const r = simulate(counter(3, limitReached), { seed: 5, runs: 10, maxSteps: 100 });
    expect(r).toMatchObject({ verdict: 'incomplete', incompleteReason: 'modelLimit' });
    expect(r.message).toBe('counter: more than 3 in flight');
    expect(r.walkSeed).toBeTypeOf('number');
  });

  it('below the limit nothing changes (the counter runs out of steps first)', () => {
    const r = simulate(counter(1000, limitReached), { seed: 5, runs: 2, maxSteps: 10 });
    expect(r).toMatchObject({ verdict: 'incomplete', incompleteReason: 'simulation' });
  });

  it('an InvariantError (a bug) is not turned into a verdict', () => {
    const bug = (): never => {
      throw new InvariantError('model bug');
    };
    expect(() => checkModel(counter(2, bug), { search: 'bfs' })).toThrow(InvariantError);
    expect(() => checkModel(counter(2, bug), { search: 'dfs' })).toThrow(InvariantError);
    expect(() => simulate(counter(2, bug), { seed: 1, runs: 1, maxSteps: 10 })).toThrow(
      InvariantError,
    );
  });

  it('sddf mc net-pipeline under armv8 with 4 clients, random: the 63 message slots run out → incomplete, exit 1, no stack trace', async () => {
    const io = captureIo();
    const status = await main(
      [
        'mc',
        'net-pipeline',
        '--memory-model',
        'armv8',
        '--bound',
        'acquire=1',
        '--bound',
        'clients=4',
        '--bound',
        'frames=4',
        '--bound',
        'rxBuffers=4',
        '--search',
        'random',
        '--format',
        'json',
      ],
      io,
    );
    const stdout = io.stdout.join('');
    expect(io.stderr.join('')).not.toMatch(/InvariantError|\n\s+at /);
    expect(status).toBe(1);
    const doc = JSON.parse(stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({
      model: 'net-pipeline',
      verdict: 'incomplete',
      incompleteReason: 'modelLimit',
    });
    expect(doc['message']).toMatch(/more than 63 stores in flight/);
  });
});
