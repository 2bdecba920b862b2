// Test helper: a concrete index-level spec refines the abstract FIFO through its abstraction
// function: abs(op_concrete(s)) == op_abstract(abs(s)) for every operation, and the invariant
// holds after every step. Model-based (fc.commands): check() never mutates, run() asserts.
import fc from 'fast-check';
import {
  abstractDequeue,
  abstractEmpty,
  abstractEnqueue,
  abstractIsEmpty,
  abstractIsFull,
  abstractLength,
  type AbstractQueue,
} from '../../../spec/queue/abstract.ts';
import { canonical } from '../../../traces/refinement/queue-commands.ts';

export interface SpecOps<S, T> {
  enqueue(s: S, item: T): { readonly state: S; readonly ok: boolean };
  dequeue(s: S): { readonly state: S; readonly item: T | null };
  full(s: S): boolean;
  empty(s: S): boolean;
  length(s: S): number;
  abstraction(s: S): AbstractQueue<T>;
  invariant(s: S): string | null;
}

interface Model<T> {
  q: AbstractQueue<T>;
}
interface Real<S> {
  s: S;
}

/** Plain comparisons (not `expect`) on this hot path: each run executes dozens of steps. */
function same(what: string, seen: unknown, expected: unknown): void {
  if (canonical(seen) !== canonical(expected)) {
    throw new Error(`${what}: expected ${canonical(expected)}, saw ${canonical(seen)}`);
  }
}

function commute<S, T>(ops: SpecOps<S, T>, m: Model<T>, r: Real<S>): void {
  same('invariant', ops.invariant(r.s), null);
  same('abstraction', ops.abstraction(r.s), m.q);
  same('full', ops.full(r.s), abstractIsFull(m.q));
  same('empty', ops.empty(r.s), abstractIsEmpty(m.q));
  same('length', ops.length(r.s), abstractLength(m.q));
}

export function specRefinementProperty<S, T>(opts: {
  readonly item: fc.Arbitrary<T>;
  readonly initial: fc.Arbitrary<{ readonly state: S; readonly usable: number }>;
  readonly ops: SpecOps<S, T>;
}) {
  const { ops } = opts;
  class Enq implements fc.Command<Model<T>, Real<S>> {
    constructor(readonly x: T) {}
    check = () => true;
    run(m: Model<T>, r: Real<S>): void {
      const c = ops.enqueue(r.s, this.x);
      const a = abstractEnqueue(m.q, this.x);
      same('enqueue result', c.ok, a !== null);
      r.s = c.state;
      if (a) m.q = a;
      commute(ops, m, r);
    }
    toString = () => `enqueue(${fc.stringify(this.x)})`;
  }
  class Deq implements fc.Command<Model<T>, Real<S>> {
    check = () => true;
    run(m: Model<T>, r: Real<S>): void {
      const c = ops.dequeue(r.s);
      const a = abstractDequeue(m.q);
      same('dequeue result', c.item, a ? a.item : null);
      r.s = c.state;
      if (a) m.q = a.queue;
      commute(ops, m, r);
    }
    toString = () => 'dequeue';
  }
  const cmds = fc.commands([opts.item.map((x) => new Enq(x)), fc.constant(new Deq())], {
    maxCommands: 30,
    size: 'max',
  });
  return fc.property(opts.initial, cmds, (init, commands) => {
    fc.modelRun(
      () => ({ model: { q: abstractEmpty<T>(init.usable) }, real: { s: init.state } }),
      commands,
    );
  });
}

/** Start indices: 0, just below the wrap, or anywhere. */
export function startArb(width: 16 | 32): fc.Arbitrary<number> {
  const max = width === 16 ? 0xffff : 0xffff_ffff;
  return fc.oneof(
    fc.constant(0),
    fc.constant(max - 2),
    fc.integer({ min: max - 20, max }),
    fc.integer({ min: 0, max }),
  );
}
