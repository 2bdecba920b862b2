// `spsc-pml`: the statement-for-statement port of shared/bench/spsc.pml, kept as the twin SPIN
// runs in bench/spin.ts (the same model in both tools, search speed against search speed). The
// model of the handshake built from the spec's net queue is `spsc` (proofs/models/spsc.ts);
// test/proofs/models/spsc.test.ts holds the two to the same verdicts on every variant.
//
// The SPSC queue signalling handshake of shared/bench/spsc.pml as a transition system (issue #3).
// Producer (e.g. driver): net_enqueue_active a batch, then require_signal → cancel_signal + notify.
// Consumer (e.g. virt_rx): notified → drain → request_signal → re-check → cancel_signal
// (sddf-protocols.md §2.2). Same variables as the .pml (ring, tl, hd, consumer_signalled, notif,
// pdone, consumed; producer v, ptl, req, dirty; consumer expect, reprocess, isempty), indices
// free-running modulo MOD = 2*CAP, and the same checks: FIFO payloads and no overflow (assertions,
// here invariants over an error word), the watchdog `timeout → assert(pdone && consumed == N &&
// tl == hd)` as the quiescence oracle, and `ltl drained { <> (pdone && consumed == N) }` as the
// liveness goal.
//
// Statement grain: one step per shared-memory access, with the purely local statements around it
// (guards on private variables, v++, dirty = true, expect++) merged into it, as SPIN's statement
// merging does. SPIN's `atomic { notif -> notif = false }` is one step here too.
// Variants: BUG_NO_RECHECK (`no-recheck`), BUG_FLAG_FIRST (`flag-first`), RELAXED (`relaxed`, also
// selected by memory model tso or arm: the store→load reorderings of the .pml, the SB shape of
// verification-tools.md §1.2 finding 6).
import { assert } from '../../spec/common/assert.ts';
import { UserError } from '../../spec/common/diagnostic.ts';
import type { ItfValue, State, TransitionSystem } from '../../spec/common/transition.ts';
import { A, ACTIONS } from './spsc-pml/actions.ts';
import {
  CONSUMER_PCS,
  C_ASSERT,
  C_CANCEL,
  C_COUNT,
  C_DRAIN,
  C_HEAD,
  C_RECHECK,
  C_REQ,
  C_REQ_AFTER,
  C_WAIT,
  ERR_FIFO,
  ERR_OVERFLOW,
  F_CONSUMED,
  F_CPC,
  F_CS,
  F_DIRTY,
  F_ERR,
  F_EXPECT,
  F_HD,
  F_ISEMPTY,
  F_NOTIF,
  F_PDONE,
  F_PPC,
  F_PTL,
  F_REPROCESS,
  F_REQ,
  F_RING,
  F_TL,
  F_V,
  PRODUCER_PCS,
  P_AFTER,
  P_ASSERT,
  P_END,
  P_FLAG,
  P_LOOP,
  P_NOTIFY,
  P_PUB,
  P_SIGNAL,
  P_TL_AFTER,
  P_WRITE,
  P_WRITE_LATE,
} from './spsc-pml/encoding.ts';
import { bitsFor, packedCodec, type PackedCodec } from '../mc/packed.ts';
import type { ModelEntry, ModelOptions } from './types.ts';
import { SPSC_VARIANT_SOURCES } from './spsc.ts';

export type SpscPmlVariant =
  'sc' | 'no-recheck' | 'flag-first' | 'relaxed' | 'no-full-check' | 'publish-before-write';

/** Limits: payloads and counters are Promela `byte`s (v runs to N+1 ≤ 255). */
const MAX_ITEMS = 254;
/** MOD = 2*CAP must fit a byte index as in the .pml. */
const MAX_CAPACITY = 64;

/**
 * `merged` (default): one step per shared access with the local statements around it, and the
 * enqueue (guard, assert, slot write) and dequeue (guard, payload assert, consumed++) sequences as
 * one step each, since their parts touch only memory the other PD cannot change meanwhile.
 * `statement`: every Promela statement that touches a global is its own step, as pan runs them.
 */
export type SpscPmlGrain = 'merged' | 'statement';

export interface SpscPmlConfig {
  readonly capacity: number;
  readonly items: number;
  readonly variant: SpscPmlVariant;
  readonly grain?: SpscPmlGrain;
}

export class SpscPmlModel implements TransitionSystem {
  readonly name = 'spsc-pml';
  readonly stateWords: number;
  readonly actions = ACTIONS;
  readonly goalName = 'drained';
  readonly invariants;
  private readonly cap: number;
  private readonly mod: number;
  private readonly n: number;
  private readonly variant: SpscPmlVariant;
  private readonly grain: SpscPmlGrain;
  /** Straight-line decode/encode of the layout (proofs/mc/packed.ts: the hot path). */
  private readonly layout: PackedCodec;
  private readonly fieldCount: number;
  /** The state whose successors are being generated (`commit` patches its words). */
  private cur: State;
  private readonly f: Int32Array;
  private readonly g: Int32Array;
  private readonly out: Uint32Array;

  constructor(cfg: SpscPmlConfig) {
    assert(cfg.capacity >= 1 && cfg.capacity <= MAX_CAPACITY, `capacity ${cfg.capacity}`);
    assert(cfg.items >= 1 && cfg.items <= MAX_ITEMS, `items ${cfg.items}`);
    this.cap = cfg.capacity;
    this.mod = 2 * cfg.capacity;
    this.n = cfg.items;
    this.variant = cfg.variant;
    this.grain = cfg.grain ?? 'merged';
    const idx = bitsFor(this.mod - 1);
    const count = bitsFor(this.n + 1);
    const widths = [idx, idx, 1, 1, 1, count, 4, count, idx, 1, 1, 4, count, 1, 1, 2];
    for (let i = 0; i < this.cap; i++) widths.push(bitsFor(this.n));
    this.fieldCount = widths.length;
    this.layout = packedCodec(widths);
    this.stateWords = this.layout.words;
    this.cur = new Uint32Array(this.stateWords);
    this.f = new Int32Array(this.fieldCount);
    this.g = new Int32Array(this.fieldCount);
    this.out = new Uint32Array(this.stateWords);
    this.invariants = [
      {
        name: 'fifo',
        check: (s: State): string | null =>
          this.field(s, F_ERR) === ERR_FIFO
            ? 'consumer dequeued a payload out of order (assert ring[hd % CAP] == expect)'
            : null,
      },
      {
        name: 'no-overflow',
        check: (s: State): string | null =>
          this.field(s, F_ERR) === ERR_OVERFLOW
            ? 'producer enqueued into a full ring (assert LEN(ptl, hd) < CAP)'
            : null,
      },
    ];
  }

  private field(s: State, i: number): number {
    const L = this.layout;
    return (s[L.word[i]!]! >>> L.shift[i]!) & L.mask[i]!;
  }

  private decode(s: State, f: Int32Array): void {
    this.layout.decode(s, f);
  }

  private encode(f: Int32Array, out: Uint32Array): void {
    // A value wider than its field would alias another state: checked without allocating.
    if (this.layout.encode(f, out) !== 0) {
      assert(false, `a field does not fit its width: ${Array.from(f).join(',')}`);
    }
  }

  private len(t: number, h: number): number {
    return (t + this.mod - h) % this.mod;
  }

  initialStates(): State[] {
    // Zero-filled shared memory (sddf-protocols.md §1.7), producer v = 1, consumer expect = 1.
    const f = new Int32Array(this.fieldCount);
    f[F_V] = 1;
    f[F_EXPECT] = 1;
    f[F_PPC] = P_LOOP;
    f[F_CPC] = C_WAIT;
    const s = new Uint32Array(this.stateWords);
    this.encode(f, s);
    return [s];
  }

  successors(s: State, emit: (action: number, next: State) => void): void {
    const f = this.f;
    this.cur = s;
    this.decode(s, f);
    this.producerSteps(f, emit);
    this.consumerSteps(f, emit);
  }

  /** Starts a successor from the current fields; `commit` encodes and emits it. */
  private begin(): Int32Array {
    this.g.set(this.f);
    return this.g;
  }

  private commit(action: number, emit: (action: number, next: State) => void): void {
    // Only the fields this step changed are re-encoded, over the current state's words.
    if (this.layout.patch(this.cur, this.f, this.g, this.out) !== 0) {
      assert(false, `a field does not fit its width: ${Array.from(this.g).join(',')}`);
    }
    emit(action, this.out);
  }

  private producerSteps(f: Int32Array, emit: (action: number, next: State) => void): void {
    const relaxed = this.variant === 'relaxed';
    const flagFirst = this.variant === 'flag-first';
    switch (f[F_PPC]) {
      case P_LOOP: {
        const space = this.variant === 'no-full-check' || this.len(f[F_PTL]!, f[F_HD]!) < this.cap;
        if (f[F_V]! <= this.n && space) {
          if (this.grain === 'statement') {
            this.begin()[F_PPC] = P_ASSERT;
            this.commit(A.checkSpace, emit);
          } else {
            this.enqueueBody(this.assertSpace(this.begin()), emit);
          }
        }
        if (f[F_DIRTY] === 1) {
          if (!flagFirst) {
            const g = this.begin();
            g[F_TL] = g[F_PTL]!;
            g[F_PPC] = P_FLAG;
            this.commit(A.publishTail, emit);
          }
          if (flagFirst || relaxed) {
            // The flag load before (or overtaking) the tail store.
            const g = this.begin();
            g[F_REQ] = g[F_CS] === 0 ? 1 : 0;
            g[F_PPC] = P_TL_AFTER;
            this.commit(A.requireSignal, emit);
          }
        }
        return;
      }
      case P_ASSERT: {
        const g = this.assertSpace(this.begin());
        g[F_PPC] = P_WRITE;
        this.commit(A.assertSpace, emit);
        return;
      }
      case P_WRITE:
        this.enqueueBody(this.begin(), emit);
        return;
      case P_PUB: {
        const g = this.begin();
        g[F_TL] = g[F_PTL]!;
        g[F_PPC] = P_LOOP;
        this.commit(A.publishTail, emit);
        if (relaxed) {
          this.begin()[F_PPC] = P_LOOP;
          this.commit(A.storeBuffered, emit);
        }
        return;
      }
      case P_FLAG: {
        const g = this.begin();
        g[F_REQ] = g[F_CS] === 0 ? 1 : 0;
        this.afterCheck(g);
        this.commit(A.requireSignal, emit);
        return;
      }
      case P_TL_AFTER: {
        const g = this.begin();
        g[F_TL] = g[F_PTL]!;
        this.afterCheck(g);
        this.commit(A.publishTail, emit);
        return;
      }
      case P_SIGNAL: {
        const g = this.begin();
        g[F_CS] = 1;
        g[F_PPC] = P_NOTIFY;
        this.commit(A.producerCancel, emit);
        return;
      }
      case P_NOTIFY: {
        const g = this.begin();
        g[F_NOTIF] = 1;
        g[F_DIRTY] = 0;
        g[F_PPC] = P_AFTER;
        this.commit(A.notify, emit);
        return;
      }
      case P_AFTER: {
        if (f[F_V]! > this.n) {
          const g = this.begin();
          g[F_PDONE] = 1;
          g[F_PPC] = P_END;
          this.commit(A.finish, emit);
        } else if (this.len(f[F_PTL]!, f[F_HD]!) < this.cap) {
          // `(LEN(ptl, hd) < CAP)` blocks while full (the real driver waits for a signal).
          this.begin()[F_PPC] = P_LOOP;
          this.commit(A.waitForSpace, emit);
        }
        return;
      }
      case P_WRITE_LATE: {
        const g = this.begin();
        g[F_RING + ((g[F_PTL]! + this.mod - 1) % this.cap)] = g[F_V]!;
        g[F_V] = g[F_V]! + 1;
        g[F_DIRTY] = 1;
        g[F_PPC] = P_LOOP;
        this.commit(A.enqueue, emit);
        return;
      }
      case P_END:
        return;
      default:
        assert(false, `producer pc ${f[F_PPC]} out of range`);
    }
  }

  /** `assert(LEN(ptl, hd) < CAP)`: re-reads hd, which only the consumer writes, only upward. */
  private assertSpace(g: Int32Array): Int32Array {
    if (this.len(g[F_PTL]!, g[F_HD]!) >= this.cap) g[F_ERR] = ERR_OVERFLOW;
    return g;
  }

  /** `ring[ptl % CAP] = v; ptl = (ptl + 1) % MOD; v++; dirty = true` (net_enqueue_active). */
  private enqueueBody(g: Int32Array, emit: (action: number, next: State) => void): void {
    if (this.variant === 'publish-before-write') {
      // Seeded bug: tail is published before the slot is written.
      g[F_PTL] = (g[F_PTL]! + 1) % this.mod;
      g[F_TL] = g[F_PTL]!;
      g[F_PPC] = P_WRITE_LATE;
      this.commit(A.publishTail, emit);
      return;
    }
    g[F_RING + (g[F_PTL]! % this.cap)] = g[F_V]!;
    g[F_PTL] = (g[F_PTL]! + 1) % this.mod;
    g[F_V] = g[F_V]! + 1;
    g[F_DIRTY] = 1;
    g[F_PPC] = this.variant === 'flag-first' ? P_LOOP : P_PUB;
    this.commit(A.enqueue, emit);
  }

  /** `if :: req -> signal :: else -> skip fi; dirty = false` after the notify check. */
  private afterCheck(g: Int32Array): void {
    if (g[F_REQ] === 1) {
      g[F_PPC] = P_SIGNAL;
    } else {
      g[F_DIRTY] = 0;
      g[F_PPC] = P_AFTER;
    }
  }

  private consumerSteps(f: Int32Array, emit: (action: number, next: State) => void): void {
    switch (f[F_CPC]) {
      case C_WAIT: {
        if (f[F_NOTIF] === 1) {
          const g = this.begin();
          g[F_NOTIF] = 0;
          g[F_REPROCESS] = 1;
          g[F_CPC] = C_DRAIN;
          this.commit(A.notified, emit);
        }
        return;
      }
      case C_DRAIN: {
        if (f[F_TL] !== f[F_HD] && this.grain === 'statement') {
          this.begin()[F_CPC] = C_ASSERT;
          this.commit(A.dequeue, emit);
        } else if (f[F_TL] !== f[F_HD]) {
          const g = this.checkPayload(this.begin());
          g[F_CONSUMED] = Math.min(g[F_CONSUMED]! + 1, this.n + 1);
          g[F_CPC] = C_HEAD;
          this.commit(A.dequeue, emit);
        } else {
          this.begin()[F_CPC] = C_REQ;
          this.commit(A.empty, emit);
        }
        return;
      }
      case C_ASSERT: {
        this.checkPayload(this.begin())[F_CPC] = C_COUNT;
        this.commit(A.checkPayload, emit);
        return;
      }
      case C_COUNT: {
        const g = this.begin();
        g[F_CONSUMED] = Math.min(g[F_CONSUMED]! + 1, this.n + 1);
        g[F_CPC] = C_HEAD;
        this.commit(A.count, emit);
        return;
      }
      case C_HEAD: {
        const g = this.begin();
        g[F_HD] = (g[F_HD]! + 1) % this.mod;
        g[F_CPC] = C_DRAIN;
        this.commit(A.publishHead, emit);
        return;
      }
      case C_REQ: {
        const g = this.begin();
        g[F_CS] = 0;
        if (this.variant === 'no-recheck') {
          g[F_REPROCESS] = 0;
          g[F_CPC] = C_WAIT;
        } else {
          g[F_CPC] = C_RECHECK;
        }
        this.commit(A.requestSignal, emit);
        if (this.variant === 'relaxed') {
          // The tail load overtakes the buffered consumer_signalled store.
          const h = this.begin();
          h[F_ISEMPTY] = h[F_TL] === h[F_HD] ? 1 : 0;
          h[F_CPC] = C_REQ_AFTER;
          this.commit(A.recheck, emit);
        }
        return;
      }
      case C_RECHECK: {
        const g = this.begin();
        g[F_ISEMPTY] = g[F_TL] === g[F_HD] ? 1 : 0;
        this.afterRecheck(g);
        this.commit(A.recheck, emit);
        return;
      }
      case C_REQ_AFTER: {
        const g = this.begin();
        g[F_CS] = 0;
        this.afterRecheck(g);
        this.commit(A.requestSignal, emit);
        return;
      }
      case C_CANCEL: {
        const g = this.begin();
        g[F_CS] = 1;
        g[F_REPROCESS] = 1;
        g[F_CPC] = C_DRAIN;
        this.commit(A.consumerCancel, emit);
        return;
      }
      default:
        assert(false, `consumer pc ${f[F_CPC]} out of range`);
    }
  }

  /** `assert(ring[hd % CAP] == expect); expect++` (FIFO: nothing lost or duplicated). */
  private checkPayload(g: Int32Array): Int32Array {
    if (g[F_RING + (g[F_HD]! % this.cap)] !== g[F_EXPECT]) g[F_ERR] = ERR_FIFO;
    g[F_EXPECT] = Math.min(g[F_EXPECT]! + 1, this.n + 1);
    return g;
  }

  /** `reprocess = false; if :: !isempty -> cancel_signal; reprocess = true :: else -> skip fi`. */
  private afterRecheck(g: Int32Array): void {
    g[F_REPROCESS] = 0;
    g[F_CPC] = g[F_ISEMPTY] === 1 ? C_WAIT : C_CANCEL;
  }

  /** The watchdog: `timeout -> assert(pdone && consumed == N && tl == hd)`. */
  quiescentViolation(s: State): string | null {
    const pdone = this.field(s, F_PDONE) === 1;
    const consumed = this.field(s, F_CONSUMED);
    const tl = this.field(s, F_TL);
    const hd = this.field(s, F_HD);
    if (pdone && consumed === this.n && tl === hd) return null;
    return (
      `every PD is blocked with work stranded: pdone=${pdone}, consumed=${consumed} of ${this.n}, ` +
      `tl=${tl}, hd=${hd}, consumer_signalled=${this.field(s, F_CS)} (lost wakeup)`
    );
  }

  goal(s: State): boolean {
    return this.field(s, F_PDONE) === 1 && this.field(s, F_CONSUMED) === this.n;
  }

  /**
   * Safe-local steps for partial-order reduction (ADR 007 "POR"): each is invisible to the
   * invariants (its assertion cannot fail) and commutes with every step of the other PD:
   * - producer.enqueue writes a ring slot the consumer cannot read until tl covers it (the slot
   *   equals hd % CAP only when the ring is empty, and then consumer.dequeue is disabled) and
   *   reads hd only in a guard that consumer.publish_head can enable but never disable;
   * - producer.store_buffered, producer.wait_for_space: private state, a read of hd as above;
   * - producer.finish writes pdone, which only the watchdog (at a quiescent state, preserved by
   *   POR) and the goal read;
   * - consumer.publish_head writes hd, read only by the producer's space guards (as above);
   * - statement grain: producer.check_space / assert_space read hd as above (the assert cannot
   *   fail: hd only grows); consumer.count writes consumed, read only by the watchdog and goal.
   *   (consumer.check_payload is visible: its assert is the fifo invariant.)
   */
  isSafeLocal(_s: State, action: number): boolean {
    switch (action) {
      case A.enqueue:
      case A.checkSpace:
      case A.assertSpace:
        // The seeded bugs below make the slot write visible to the consumer (or the assert fail).
        return this.variant !== 'no-full-check' && this.variant !== 'publish-before-write';
      case A.count:
      case A.storeBuffered:
      case A.waitForSpace:
      case A.finish:
      case A.publishHead:
        return true;
      default:
        return false;
    }
  }

  toItf(s: State): Record<string, ItfValue> {
    const f = new Int32Array(this.fieldCount);
    this.decode(s, f);
    const ring: number[] = [];
    for (let i = 0; i < this.cap; i++) ring.push(f[F_RING + i]!);
    return {
      ring,
      tl: f[F_TL]!,
      hd: f[F_HD]!,
      consumer_signalled: f[F_CS] === 1,
      notif: f[F_NOTIF] === 1,
      pdone: f[F_PDONE] === 1,
      consumed: f[F_CONSUMED]!,
      producer: {
        pc: PRODUCER_PCS[f[F_PPC]!] ?? `pc${f[F_PPC]}`,
        v: f[F_V]!,
        ptl: f[F_PTL]!,
        req: f[F_REQ] === 1,
        dirty: f[F_DIRTY] === 1,
      },
      consumer: {
        pc: CONSUMER_PCS[f[F_CPC]!] ?? `pc${f[F_CPC]}`,
        expect: f[F_EXPECT]!,
        reprocess: f[F_REPROCESS] === 1,
        isempty: f[F_ISEMPTY] === 1,
      },
      error: ['none', 'fifo', 'overflow'][f[F_ERR]!] ?? 'unknown',
    };
  }
}

const BUG_IDS: readonly SpscPmlVariant[] = [
  'no-recheck',
  'flag-first',
  'relaxed',
  'no-full-check',
  'publish-before-write',
];

function boundOf(opts: ModelOptions, key: string, min: number, max: number): number {
  const v = opts.bounds[key] ?? spscPmlEntry.defaultBounds[key]!;
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw new UserError({
      code: 'MC_BOUND',
      message: `spsc-pml bound ${key} must be an integer in [${min}, ${max}] (got ${v})`,
    });
  }
  return v;
}

/** Builds the model for the CLI registry; the weak memory models select the RELAXED variant. */
export function buildSpscPml(opts: ModelOptions): SpscPmlModel {
  for (const key of Object.keys(opts.bounds)) {
    if (!(key in spscPmlEntry.defaultBounds)) {
      throw new UserError({
        code: 'MC_BOUND',
        message: `spsc-pml has no bound '${key}' (bounds: ${Object.keys(spscPmlEntry.defaultBounds).join(', ')})`,
      });
    }
  }
  let variant: SpscPmlVariant = opts.memoryModel === 'sc' ? 'sc' : 'relaxed';
  if (opts.bug !== undefined) {
    const bug = BUG_IDS.find((b) => b === opts.bug);
    if (bug === undefined) {
      throw new UserError({
        code: 'MC_BUG',
        message: `spsc-pml has no bug variant '${opts.bug}' (variants: ${BUG_IDS.join(', ')})`,
      });
    }
    variant = bug;
  }
  return new SpscPmlModel({
    capacity: boundOf(opts, 'capacity', 1, MAX_CAPACITY),
    items: boundOf(opts, 'items', 1, MAX_ITEMS),
    variant,
    grain: boundOf(opts, 'grain', 0, 1) === 1 ? 'statement' : 'merged',
  });
}

export const spscPmlEntry: ModelEntry = {
  // Its own scheduler over the store-buffer memories; the ARMv8/RVWMO models (ADR 015) run the
  // same queue operations through the runtime models (net-handshake, net-pipeline).
  memoryModels: ['sc', 'tso', 'pso'],
  name: 'spsc-pml',
  description:
    'statement-for-statement port of shared/bench/spsc.pml, the twin SPIN runs (bench/spin.ts): ' +
    'FIFO, no overflow, no lost wakeup (watchdog), drained (liveness)',
  // grain: 0 = merged steps (default), 1 = one step per Promela statement on a global (as pan).
  defaultBounds: { capacity: 2, items: 4, grain: 0 },
  // Checked again by buildSpscPml (UserError MC_BOUND); listed for `sddf mc --list`.
  boundRanges: {
    capacity: { min: 1, max: MAX_CAPACITY, doc: 'ring slots (CAP)' },
    items: { min: 1, max: MAX_ITEMS, doc: 'items the producer sends (N)' },
    grain: { min: 0, max: 1, doc: '0 = merged steps, 1 = one step per Promela statement' },
  },
  bugs: [
    {
      id: 'no-recheck',
      description: 'consumer omits the re-check after request_signal (BUG_NO_RECHECK)',
      expectedProperty: 'no-lost-wakeup',
      ...SPSC_VARIANT_SOURCES['no-recheck'],
    },
    {
      id: 'flag-first',
      description: 'producer reads consumer_signalled before publishing tail (BUG_FLAG_FIRST)',
      expectedProperty: 'no-lost-wakeup',
      ...SPSC_VARIANT_SOURCES['flag-first'],
    },
    {
      id: 'relaxed',
      description:
        'store→load reordering on both sides, the store-buffering shape (RELAXED; also --memory-model tso|arm)',
      expectedProperty: 'no-lost-wakeup',
      memoryModel: 'tso',
      ...SPSC_VARIANT_SOURCES['relaxed'],
    },
    {
      id: 'no-full-check',
      description: 'producer enqueues without the full check (net_enqueue_active ignores -1)',
      expectedProperty: 'no-overflow',
      ...SPSC_VARIANT_SOURCES['no-full-check'],
    },
    {
      id: 'publish-before-write',
      description: 'producer publishes tail before it writes the slot (missing release order)',
      expectedProperty: 'fifo',
      ...SPSC_VARIANT_SOURCES['publish-before-write'],
    },
  ],
  build: (opts) => buildSpscPml(opts),
};
