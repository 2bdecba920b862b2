// The parallel search's shared store and frontier hand-off, specified as a transition system and
// checked with our own engine before the code was written (EXAMPLES.md §10, after TLC's
// OpenAddressing.tla; issue #11 part 3). The code it specifies: proofs/mc/parallel.ts (the
// coordinator) and proofs/mc/parallel-worker.ts (the workers), ADR 007 "Parallel search".
//
//   npx sddf mc --model proofs/mc/specs/parallel-store.ts                   # holds
//   npx sddf mc --model proofs/mc/specs/parallel-store.ts --bug no-cas      # violated
//
// What is modelled. A level of BFS is a set of chunks of successor fingerprints (a real chunk holds
// frontier states; what matters here is the fingerprints their expansion inserts). The coordinator
// hands chunks to idle workers; a worker inserts its chunk's fingerprints one by one into the
// shared open-addressing table and returns the chunk. A slot is two words, h2 (0 = empty) and h1
// (0 = not yet published; both hashes are never 0), accessed only with atomic operations (JS
// Atomics: sequentially consistent):
//
//   insert(h1, h2): i = home(h1)
//     loop: s2 = load(t2[i])
//           if s2 == 0: if CAS(t2[i], 0, h2) { store(t1[i], h1); id = add(count, 1); return NEW }
//                       else retry slot i
//           else if s2 == h2: wait until load(t1[i]) != 0   (the claimer publishes h1 right
//                                                             after its CAS)
//                 if t1[i] == h1: return SEEN
//           i = i + 1 mod slots
//
// The table grows only while every worker is idle: a worker checks `count >= pauseAt` before each
// fingerprint and, when so, returns the rest of its chunk; the coordinator re-queues that rest,
// waits for all workers, grows (here: raises pauseAt; a rehash moves entries, it does not change
// which fingerprints are in), and goes on. Properties:
//   once        every fingerprint is answered NEW at most once (so each state is expanded once)
//               and every chunk item is processed at most once;
//   unique      no fingerprint owns two slots;
//   grow-idle   the table never grows while a worker is inside an insertion;
//   quiescence  at the end every chunk is done, every item processed once, every fingerprint of
//               the level answered NEW exactly once and in the table, and `count` is their number.
// Seeded bugs, each caught: `no-wait` (a reader takes an unpublished h1 for a mismatch and probes
// on: the fingerprint takes a second slot, `unique`), `no-cas` (claim by load-then-store: one
// claim overwrites another, whose fingerprint is later answered NEW again, `once`), `grow-busy`
// (grow without waiting for the workers, `grow-idle`), `requeue-all` (a paused chunk is re-queued
// whole, `once`).
import { guardedSystem, type GuardedAction, type Vars } from '../guarded.ts';
import type { ModelEntry, ModelOptions } from '../../models/types.ts';

const SLOTS = 4;
/** Fingerprints 1..3 as (h1, h2) = (f, f); home slots: 1 → 0, 2 → 0 (a collision), 3 → 1. */
const FPS = [1, 2, 3] as const;
const home = (fp: number): number => (fp === 3 ? 1 : 0);
/** The level: chunks of fingerprints (their expansion's successors); 1 and 2 recur across chunks. */
const CHUNKS: readonly (readonly number[])[] = [[1, 2], [2, 3], [1]];
const WORKERS = 2;

// Worker program counter.
const IDLE = 0;
const CHECK = 1; // before the next item: pause if count >= pauseAt, done if no item left
const LOAD = 2; // s2 = load(t2[i])
const CLAIM = 3; // CAS(t2[i], 0, h2) (bug no-cas: plain store)
const PUBLISH = 4; // store(t1[i], h1)
const COUNT = 5; // id = add(count, 1)
const WAIT = 6; // h2 matched: wait for t1[i] != 0, compare h1
const RETURNED = 7; // chunk handed back (finished or paused)

// Chunk state at the coordinator.
const QUEUED = 0;
const ASSIGNED = 1;
const DONE = 2;

type Var = string;

function variables(): Vars<Var> {
  const v: Vars<Var> = { count: 0, pauseAt: 2, pausedChunks: 0, grows: 0, badGrow: 0 };
  for (let i = 0; i < SLOTS; i++) {
    v[`t1.${i}`] = 0;
    v[`t2.${i}`] = 0;
    v[`owner.${i}`] = 0;
  }
  for (const f of FPS) v[`new.${f}`] = 0;
  CHUNKS.forEach((items, c) => {
    v[`chunk${c}.state`] = QUEUED;
    v[`chunk${c}.start`] = 0;
    items.forEach((_, k) => {
      v[`chunk${c}.done${k}`] = 0;
    });
  });
  for (let w = 0; w < WORKERS; w++) {
    v[`w${w}.pc`] = IDLE;
    v[`w${w}.chunk`] = 0;
    v[`w${w}.item`] = 0;
    v[`w${w}.slot`] = 0;
    v[`w${w}.paused`] = 0;
  }
  return v;
}

function build(opts: ModelOptions): ReturnType<typeof guardedSystem> {
  const bug = opts.bug;
  const actions: GuardedAction<Var>[] = [];
  const fpOf = (s: Readonly<Vars<Var>>, w: number): number =>
    CHUNKS[s[`w${w}.chunk`]!]![s[`w${w}.item`]!]!;
  const next = (i: number): number => (i + 1) % SLOTS;
  const anyBusy = (s: Readonly<Vars<Var>>): boolean =>
    Array.from({ length: WORKERS }, (_, w) => s[`w${w}.pc`]).some((pc) => pc !== IDLE);

  for (let w = 0; w < WORKERS; w++) {
    const pd = `worker${w}`;
    const pc = `w${w}.pc`;
    const finishItem = (s: Vars<Var>): void => {
      s[`chunk${s[`w${w}.chunk`]!}.done${s[`w${w}.item`]!}`]! += 1;
      s[`w${w}.item`]! += 1;
      s[pc] = CHECK;
    };
    actions.push(
      {
        name: `${pd}.check`,
        pd,
        when: (s) => s[pc] === CHECK,
        then: (s) => {
          const items = CHUNKS[s[`w${w}.chunk`]!]!;
          if (s[`w${w}.item`]! >= items.length) {
            s[pc] = RETURNED;
          } else if (s['count']! >= s['pauseAt']!) {
            s[`w${w}.paused`] = 1;
            s[pc] = RETURNED;
          } else {
            s[`w${w}.slot`] = home(fpOf(s, w));
            s[pc] = LOAD;
          }
        },
      },
      {
        name: `${pd}.load_h2`,
        pd,
        touches: 'table',
        when: (s) => s[pc] === LOAD,
        then: (s) => {
          const i = s[`w${w}.slot`]!;
          const h2 = s[`t2.${i}`]!;
          if (h2 === 0) s[pc] = CLAIM;
          else if (h2 === fpOf(s, w)) s[pc] = WAIT;
          else s[`w${w}.slot`] = next(i); // another fingerprint: probe on, no need for h1
        },
      },
      {
        name: `${pd}.claim`,
        pd,
        touches: 'table',
        when: (s) => s[pc] === CLAIM,
        then: (s) => {
          const i = s[`w${w}.slot`]!;
          const fp = fpOf(s, w);
          if (bug === 'no-cas' || s[`t2.${i}`] === 0) {
            s[`t2.${i}`] = fp;
            s[`owner.${i}`] = fp;
            s[pc] = PUBLISH;
          } else {
            // CAS lost: the value it returned is the winner's h2, handled as a load would.
            if (s[`t2.${i}`] === fp) s[pc] = WAIT;
            else {
              s[`w${w}.slot`] = next(i);
              s[pc] = LOAD;
            }
          }
        },
      },
      {
        name: `${pd}.publish_h1`,
        pd,
        touches: 'table',
        when: (s) => s[pc] === PUBLISH,
        then: (s) => {
          s[`t1.${s[`w${w}.slot`]!}`] = fpOf(s, w);
          s[pc] = COUNT;
        },
      },
      {
        name: `${pd}.count`,
        pd,
        when: (s) => s[pc] === COUNT,
        then: (s) => {
          s['count']! += 1;
          s[`new.${fpOf(s, w)}`]! += 1;
          finishItem(s);
        },
      },
      {
        name: `${pd}.compare_h1`,
        pd,
        touches: 'table',
        // Spins until the claimer has published h1 (bug no-wait: does not wait).
        when: (s) => s[pc] === WAIT && (bug === 'no-wait' || s[`t1.${s[`w${w}.slot`]!}`] !== 0),
        then: (s) => {
          const i = s[`w${w}.slot`]!;
          if (s[`t1.${i}`] === fpOf(s, w)) {
            finishItem(s); // SEEN (h2 matched at the load)
          } else {
            s[`w${w}.slot`] = next(i);
            s[pc] = LOAD;
          }
        },
      },
    );
    for (let c = 0; c < CHUNKS.length; c++) {
      actions.push({
        name: `coordinator.assign_chunk${c}_to_worker${w}`,
        pd: 'coordinator',
        peer: pd,
        when: (s) => s[pc] === IDLE && s[`chunk${c}.state`] === QUEUED && s['pausedChunks'] === 0,
        then: (s) => {
          s[`chunk${c}.state`] = ASSIGNED;
          s[`w${w}.chunk`] = c;
          s[`w${w}.item`] = s[`chunk${c}.start`]!;
          s[`w${w}.paused`] = 0;
          s[pc] = CHECK;
        },
      });
    }
    actions.push({
      name: `coordinator.receive_from_worker${w}`,
      pd: 'coordinator',
      when: (s) => s[pc] === RETURNED,
      then: (s) => {
        const c = s[`w${w}.chunk`]!;
        if (s[`w${w}.paused`] === 1) {
          // The rest of the chunk goes back in the queue (bug requeue-all: all of it).
          s[`chunk${c}.start`] = bug === 'requeue-all' ? 0 : s[`w${w}.item`]!;
          s[`chunk${c}.state`] = QUEUED;
          s['pausedChunks']! += 1;
        } else {
          s[`chunk${c}.state`] = DONE;
        }
        s[pc] = IDLE;
      },
    });
  }
  actions.push({
    name: 'coordinator.grow',
    pd: 'coordinator',
    // Grows only when every worker is idle (bug grow-busy: as soon as a chunk paused).
    when: (s) => s['pausedChunks']! > 0 && (bug === 'grow-busy' || !anyBusy(s)),
    then: (s) => {
      if (anyBusy(s)) s['badGrow'] = 1;
      s['pauseAt'] = 99;
      s['pausedChunks'] = 0;
      s['grows']! += 1;
    },
  });

  return guardedSystem<Var>({
    name: 'mc-parallel-store',
    vars: variables(),
    actions,
    invariants: [
      {
        name: 'once',
        check: (s) => {
          const twice = FPS.find((f) => s[`new.${f}`]! > 1);
          if (twice !== undefined) return `fingerprint ${twice} was answered NEW twice`;
          for (let c = 0; c < CHUNKS.length; c++) {
            for (let k = 0; k < CHUNKS[c]!.length; k++) {
              if (s[`chunk${c}.done${k}`]! > 1) return `item ${k} of chunk ${c} processed twice`;
            }
          }
          return null;
        },
      },
      {
        name: 'unique',
        check: (s) => {
          const owners = Array.from({ length: SLOTS }, (_, i) => s[`owner.${i}`]!);
          const dup = owners.find((o, i) => o !== 0 && owners.indexOf(o) !== i);
          return dup === undefined ? null : `fingerprint ${dup} owns two slots`;
        },
      },
      {
        name: 'grow-idle',
        check: (s) => (s['badGrow'] === 0 ? null : 'the table grew while a worker was inserting'),
      },
    ],
    stuck: (s) => {
      for (let c = 0; c < CHUNKS.length; c++) {
        if (s[`chunk${c}.state`] !== DONE) return `chunk ${c} never finished`;
        for (let k = 0; k < CHUNKS[c]!.length; k++) {
          if (s[`chunk${c}.done${k}`] !== 1) return `item ${k} of chunk ${c} not processed once`;
        }
      }
      for (const f of FPS) {
        if (s[`new.${f}`] !== 1) return `fingerprint ${f} answered NEW ${s[`new.${f}`]} times`;
        const inTable = Array.from({ length: SLOTS }, (_, i) => i).some(
          (i) => s[`t1.${i}`] === f && s[`t2.${i}`] === f,
        );
        if (!inTable) return `fingerprint ${f} is not in the table`;
      }
      if (s['count'] !== FPS.length) return `count is ${s['count']}, expected ${FPS.length}`;
      return null;
    },
  });
}

const entry: ModelEntry = {
  name: 'mc-parallel-store',
  description:
    "the parallel search's shared fingerprint table (CAS claim, publish, wait) and its chunk " +
    'hand-off with pause-and-grow, 2 workers (ADR 007 "Parallel search")',
  defaultBounds: {},
  boundRanges: {},
  bugs: [
    {
      id: 'no-wait',
      description: 'a reader takes an unpublished h1 for a mismatch and probes on',
      expectedProperty: 'unique',
    },
    {
      id: 'no-cas',
      description: 'a slot is claimed by load-then-store instead of compare-and-swap',
      expectedProperty: 'once',
    },
    {
      id: 'grow-busy',
      description: 'the coordinator grows the table while a worker is inserting',
      expectedProperty: 'grow-idle',
    },
    {
      id: 'requeue-all',
      description: 'a paused chunk is re-queued whole, so its processed items run again',
      expectedProperty: 'once',
    },
  ],
  build,
};

export default entry;
