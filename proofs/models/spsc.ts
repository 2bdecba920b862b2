// `spsc`: the SPSC queue signalling handshake of shared/bench/spsc.pml, built from the spec's own
// net queue operations (spec/queue/net.ts: net_enqueue, net_dequeue, net_queue_full/empty,
// request/cancel/require_signal, with their loads, stores and fences in C order) over the model
// checker's memory (proofs/models/memory.ts: SC, TSO or Arm-like store buffers). The producer
// (e.g. the driver) enqueues a batch, then require_signal → cancel_signal + notify; the consumer
// (e.g. virt_rx), when notified, drains, request_signal, re-checks, cancel_signal (§2.2). Checks as
// the .pml: FIFO payloads and no overflow (an error word), the watchdog `timeout → assert(pdone &&
// consumed == N && tl == hd)` as the quiescence oracle, `<> (pdone && consumed == N)` as the goal.
//
// proofs/models/spsc-pml.ts is the statement-for-statement port of the .pml kept for the SPIN
// benchmark; test/proofs/models/spsc.test.ts holds the two to the same verdicts.
//
// Grain: one step per queue operation (an enqueue writes the slot and publishes the tail in one
// step; a dequeue reads and publishes the head in one step) and per signalling call. Under SC the
// consumer cannot tell the two stores of an enqueue apart, so this is the .pml's merged grain
// minus unobservable interleavings; under TSO/Arm each store reaches memory by its own flush step.
// Variants: no-recheck and flag-first change the component code; no-full-check and
// publish-before-write are seeded forms of the queue operations (NetQueueFlavour); relaxed is the
// queue at HEAD (release fences only) under TSO. A variant that needs stores to be seen apart
// (relaxed, publish-before-write) runs under TSO when SC is asked for.
import { assert } from '../../spec/common/assert.ts';
import { UserError } from '../../spec/common/diagnostic.ts';
import { u16 } from '../../spec/common/int.ts';
import type {
  ActionInfo,
  Invariant,
  ItfValue,
  State,
  TransitionSystem,
} from '../../spec/common/transition.ts';
import {
  NET_FLAVOUR_HEAD,
  netCancelSignal,
  netDequeue,
  netEmpty,
  netEnqueue,
  netFull,
  netLength,
  netRequestSignal,
  netRequireSignal,
  type NetQueueFlavour,
  type NetQueueRef,
} from '../../spec/queue/net.ts';
import { allocNetQueue, boundOf, validateBounds } from './common.ts';
import { Layout } from './layout.ts';
import {
  PdMemory,
  STORE_BUFFER_ENTRIES,
  bufferCount,
  bufferWords,
  flushEntry,
  flushable,
  type BufferRef,
} from './memory.ts';
import type { BugVariant, MemoryModel, ModelEntry, ModelOptions } from './types.ts';
import {
  SPSC_PRODUCER_PCS,
  SPSC_CONSUMER_PCS,
  P_LOOP,
  P_CANCEL,
  P_NOTIFY,
  P_AFTER,
  P_END,
  C_WAIT,
  C_DRAIN,
  C_REQ,
  C_RECHECK,
  C_CANCEL,
  ERR_NONE,
  ERR_FIFO,
  ERR_OVERFLOW,
  STEPS,
  A,
} from './spsc/actions.ts';

export { SPSC_CONSUMER_PCS, SPSC_PRODUCER_PCS } from './spsc/actions.ts';

export type SpscVariant =
  'no-recheck' | 'flag-first' | 'relaxed' | 'no-full-check' | 'publish-before-write';
const VARIANTS: readonly SpscVariant[] = [
  'no-recheck',
  'flag-first',
  'relaxed',
  'no-full-check',
  'publish-before-write',
];

/** Limits: payloads are Promela `byte`s in the .pml (v runs to N+1 ≤ 255); capacities as its CAP. */
const MAX_ITEMS = 254;
const MAX_CAPACITY = 64;

export const SPSC_DEFAULTS = { capacity: 2, items: 4, fences: 0, indexBase: 0 } as const;

export interface SpscConfig {
  readonly capacity: number;
  readonly items: number;
  readonly variant?: SpscVariant;
  readonly memoryModel: MemoryModel;
  /** 1 = seq_cst fences in request/require (the fix direction of O1). */
  readonly fences: 0 | 1;
  /** Initial u16 tail = head (0 as the .pml; near 65535 crosses the wrap). */
  readonly indexBase: number;
}

/** Where the model's words live. */
interface Words {
  readonly q: NetQueueRef;
  readonly notif: number;
  readonly pdone: number;
  readonly consumed: number;
  readonly ppc: number;
  readonly v: number;
  readonly dirty: number;
  readonly req: number;
  readonly cpc: number;
  readonly expect: number;
  readonly error: number;
  readonly producerBuffer: BufferRef | null;
  readonly consumerBuffer: BufferRef | null;
}

export class SpscModel implements TransitionSystem {
  readonly name = 'spsc';
  readonly stateWords: number;
  readonly actions: readonly ActionInfo[];
  readonly goalName = 'drained';
  readonly invariants: readonly Invariant[];
  private readonly cfg: SpscConfig;
  private readonly flavour: NetQueueFlavour;
  private readonly layout = new Layout();
  private readonly w: Words;
  private readonly flushActions: { producer: number[]; consumer: number[] };
  private readonly scratch: Uint32Array;

  constructor(cfg: SpscConfig) {
    assert(cfg.capacity >= 1 && cfg.capacity <= MAX_CAPACITY, `capacity ${cfg.capacity}`);
    assert(cfg.items >= 1 && cfg.items <= MAX_ITEMS, `items ${cfg.items}`);
    this.cfg = cfg;
    this.flavour = {
      ...NET_FLAVOUR_HEAD,
      fences: cfg.fences === 1 ? 'seq_cst' : 'smp-release',
      ...(cfg.variant === 'no-full-check' ? { fullCheck: 'omitted' as const } : {}),
      ...(cfg.variant === 'publish-before-write' ? { publishBeforeWrite: true } : {}),
    };
    const L = this.layout;
    const q = allocNetQueue(L, 'active', cfg.capacity, { powerOfTwo: false });
    const buf = bufferWords(cfg.memoryModel);
    this.w = {
      q,
      notif: L.alloc('notif'),
      pdone: L.alloc('pdone'),
      consumed: L.alloc('consumed'),
      ppc: L.alloc('producer.pc'),
      v: L.alloc('producer.v'),
      dirty: L.alloc('producer.dirty'),
      req: L.alloc('producer.req'),
      cpc: L.alloc('consumer.pc'),
      expect: L.alloc('consumer.expect'),
      error: L.alloc('error'),
      producerBuffer: buf > 0 ? { base: L.alloc('producer.store_buffer', buf) } : null,
      consumerBuffer: buf > 0 ? { base: L.alloc('consumer.store_buffer', buf) } : null,
    };
    const actions = [...STEPS];
    const flush = (pd: string): number[] =>
      buf === 0
        ? []
        : Array.from(
            { length: STORE_BUFFER_ENTRIES },
            (_, i) =>
              actions.push({ name: `${pd}.store_buffer.flush${i}`, pd, memory: 'flush' }) - 1,
          );
    this.flushActions = { producer: flush('producer'), consumer: flush('consumer') };
    this.actions = actions;
    this.stateWords = L.words;
    this.scratch = new Uint32Array(this.stateWords);
    const err = (s: State) => s[this.w.error] ?? 0;
    this.invariants = [
      {
        name: 'fifo',
        check: (s) =>
          err(s) === ERR_FIFO
            ? 'consumer dequeued a payload out of order (expected payload != ring slot)'
            : null,
      },
      {
        name: 'no-overflow',
        check: (s) =>
          err(s) === ERR_OVERFLOW
            ? 'producer enqueued into a full ring (net_queue_length == capacity)'
            : null,
      },
    ];
  }

  initialStates(): State[] {
    // Zero-filled shared memory (§1.7: consumer_signalled 0, the consumer wants a signal),
    // indices at indexBase, producer v = 1, consumer expect = 1.
    const s = new Uint32Array(this.stateWords);
    s[this.w.q.tail] = u16(this.cfg.indexBase);
    s[this.w.q.head] = u16(this.cfg.indexBase);
    s[this.w.v] = 1;
    s[this.w.expect] = 1;
    return [s];
  }

  private mem(s: State, pd: 'producer' | 'consumer'): PdMemory {
    const b = pd === 'producer' ? this.w.producerBuffer : this.w.consumerBuffer;
    return new PdMemory(s, this.cfg.memoryModel, b);
  }

  /** Runs `step` on a copy of `s` and emits it as `action`. */
  private emit(
    s: State,
    action: number,
    step: (t: State) => void,
    out: (action: number, next: State) => void,
  ): void {
    const t = this.scratch;
    t.set(s);
    step(t);
    out(action, t);
  }

  successors(s: State, out: (action: number, next: State) => void): void {
    this.producerSteps(s, out);
    this.consumerSteps(s, out);
    for (const [pd, b] of [
      ['producer', this.w.producerBuffer],
      ['consumer', this.w.consumerBuffer],
    ] as const) {
      if (b === null || bufferCount(s, b) === 0) continue;
      for (const i of flushable(s, b, this.cfg.memoryModel)) {
        this.emit(s, this.flushActions[pd][i]!, (t) => flushEntry(t, b, i), out);
      }
    }
  }

  private producerSteps(s: State, out: (action: number, next: State) => void): void {
    const w = this.w;
    const { q } = w;
    const f = this.flavour;
    const flagFirst = this.cfg.variant === 'flag-first';
    const v = s[w.v] ?? 0;
    switch (s[w.ppc]) {
      case P_LOOP: {
        const dirty = (s[w.dirty] ?? 0) === 1;
        const read = (s[w.req] ?? 0) !== 0;
        // flag-first (seeded): require_signal before the batch, acted on after it (stale).
        if (flagFirst && !dirty && !read && v <= this.cfg.items) {
          this.emit(s, A.requireSignal, (t) => this.require(t), out);
          return;
        }
        // net_enqueue_active while there is an item and the queue is not full (the spec's check).
        if (v <= this.cfg.items && !netFull(this.mem(s, 'producer'), q, f)) {
          this.emit(
            s,
            A.enqueue,
            (t) => {
              const mem = this.mem(t, 'producer');
              // The .pml's `assert(LEN(ptl, hd) < CAP)`: the queue's true length before the enqueue.
              if (netLength(mem, q) >= q.capacity && (t[w.error] ?? 0) === ERR_NONE)
                t[w.error] = ERR_OVERFLOW;
              assert(netEnqueue(mem, q, f, v), 'enqueue after a not-full check');
              t[w.v] = v + 1;
              t[w.dirty] = 1;
            },
            out,
          );
        }
        // The end of a batch (the .pml's `dirty` branch, at any point after an enqueue).
        if (dirty && !flagFirst) {
          this.emit(s, A.requireSignal, (t) => this.endBatch(this.require(t)), out);
        } else if (dirty) {
          this.emit(s, A.endBatch, (t) => this.endBatch(t), out);
        }
        return;
      }
      case P_CANCEL:
        this.emit(
          s,
          A.producerCancel,
          (t) => {
            netCancelSignal(this.mem(t, 'producer'), q);
            t[w.ppc] = P_NOTIFY;
          },
          out,
        );
        return;
      case P_NOTIFY:
        this.emit(
          s,
          A.notify,
          (t) => {
            this.mem(t, 'producer').syscall(); // microkit_notify: a syscall drains the store buffer
            t[w.notif] = 1;
            t[w.ppc] = P_AFTER;
          },
          out,
        );
        return;
      case P_AFTER:
        if (v > this.cfg.items) {
          this.emit(
            s,
            A.finish,
            (t) => {
              t[w.pdone] = 1;
              t[w.ppc] = P_END;
            },
            out,
          );
        } else if (!netFull(this.mem(s, 'producer'), q, f)) {
          // The .pml blocks while full (the real driver waits for a signal on its free queue).
          this.emit(s, A.waitForSpace, (t) => void (t[w.ppc] = P_LOOP), out);
        }
        return;
      case P_END:
        return;
      default:
        assert(false, `producer pc ${s[w.ppc]} out of range`);
    }
  }

  /** `req = require_signal(active)`: 1 when the consumer wants a signal, else 2 (read, no). */
  private require(t: State): State {
    const wants = netRequireSignal(this.mem(t, 'producer'), this.w.q, this.flavour);
    t[this.w.req] = wants ? 1 : 2;
    return t;
  }

  /** `if (req) { cancel_signal; notify }`, then the batch is over. */
  private endBatch(t: State): void {
    const w = this.w;
    t[w.ppc] = t[w.req] === 1 ? P_CANCEL : P_AFTER;
    t[w.dirty] = 0;
    t[w.req] = 0;
  }

  private consumerSteps(s: State, out: (action: number, next: State) => void): void {
    const w = this.w;
    const { q } = w;
    const f = this.flavour;
    switch (s[w.cpc]) {
      case C_WAIT:
        if ((s[w.notif] ?? 0) === 1) {
          this.emit(
            s,
            A.notified,
            (t) => {
              this.mem(t, 'consumer').syscall(); // seL4_Recv
              t[w.notif] = 0;
              t[w.cpc] = C_DRAIN;
            },
            out,
          );
        }
        return;
      case C_DRAIN:
        if (!netEmpty(this.mem(s, 'consumer'), q, f)) {
          this.emit(
            s,
            A.dequeue,
            (t) => {
              const got = netDequeue(this.mem(t, 'consumer'), q, f);
              assert(got !== null, 'dequeue after a non-empty check');
              const expect = t[w.expect] ?? 0;
              if (got !== expect && (t[w.error] ?? 0) === ERR_NONE) t[w.error] = ERR_FIFO;
              t[w.expect] = Math.min(expect + 1, this.cfg.items + 1);
              t[w.consumed] = Math.min((t[w.consumed] ?? 0) + 1, this.cfg.items + 1);
            },
            out,
          );
        } else {
          this.emit(s, A.empty, (t) => void (t[w.cpc] = C_REQ), out);
        }
        return;
      case C_REQ:
        this.emit(
          s,
          A.requestSignal,
          (t) => {
            netRequestSignal(this.mem(t, 'consumer'), q, f);
            t[w.cpc] = this.cfg.variant === 'no-recheck' ? C_WAIT : C_RECHECK;
          },
          out,
        );
        return;
      case C_RECHECK:
        this.emit(
          s,
          A.recheck,
          (t) => {
            t[w.cpc] = netEmpty(this.mem(t, 'consumer'), q, f) ? C_WAIT : C_CANCEL;
          },
          out,
        );
        return;
      case C_CANCEL:
        this.emit(
          s,
          A.consumerCancel,
          (t) => {
            netCancelSignal(this.mem(t, 'consumer'), q);
            t[w.cpc] = C_DRAIN;
          },
          out,
        );
        return;
      default:
        assert(false, `consumer pc ${s[w.cpc]} out of range`);
    }
  }

  /** The watchdog: `timeout -> assert(pdone && consumed == N && tl == hd)`. */
  quiescentViolation(s: State): string | null {
    const w = this.w;
    const pdone = (s[w.pdone] ?? 0) === 1;
    const consumed = s[w.consumed] ?? 0;
    const [tail, head] = [s[w.q.tail] ?? 0, s[w.q.head] ?? 0];
    if (pdone && consumed === this.cfg.items && tail === head) return null;
    return (
      `every PD is blocked with work stranded: pdone=${pdone}, consumed=${consumed} of ${this.cfg.items}, ` +
      `tail=${tail}, head=${head}, consumer_signalled=${s[w.q.consumerSignalled]} (lost wakeup)`
    );
  }

  goal(s: State): boolean {
    return (s[this.w.pdone] ?? 0) === 1 && (s[this.w.consumed] ?? 0) === this.cfg.items;
  }

  toItf(s: State): Record<string, ItfValue> {
    const out = this.layout.toItf(s);
    out['producer.pc'] = SPSC_PRODUCER_PCS[s[this.w.ppc] ?? 0] ?? `pc${s[this.w.ppc]}`;
    out['consumer.pc'] = SPSC_CONSUMER_PCS[s[this.w.cpc] ?? 0] ?? `pc${s[this.w.cpc]}`;
    out['error'] = ['none', 'fifo', 'overflow'][s[this.w.error] ?? 0] ?? 'unknown';
    return out;
  }
}

/**
 * The spsc variants are the seeded switches of the project's SPIN model (shared/bench/spsc.pml);
 * each cites the upstream code it mirrors: the bug it is the shape of, or the HEAD code it
 * changes. Shared with spsc-pml (the .pml port), which has the same variants.
 */
export const SPSC_VARIANT_SOURCES: Readonly<
  Record<string, Pick<BugVariant, 'upstream' | 'modelled' | 'notModelled'>>
> = {
  'no-recheck': {
    upstream: [
      {
        commit: '2ec506c5',
        file: 'network/components/mux_tx.c',
        before: '99-127 (process_tx_ready: no arm + re-check; the shape of catalogue F2)',
        after: '104-141 (notify_reader = true; fence; re-check)',
      },
    ],
    modelled: "spsc.pml's BUG_NO_RECHECK over the spec's net queue",
  },
  'flag-first': {
    upstream: [
      {
        commit: '650ace5d',
        file: 'network/components/virt_tx.c',
        before: '98 (require_signal after the batch is published: the order this variant swaps)',
        after: 'seeded: no upstream component reads the flag before publishing',
      },
    ],
    modelled: "spsc.pml's BUG_FLAG_FIRST",
  },
  relaxed: {
    upstream: [
      {
        commit: '650ace5d',
        file: 'include/sddf/network/queue.h',
        before: '263-269, 315-318 (release fences only: catalogue O1)',
        after: 'open (PR #732); fixed run: seq_cst fences',
      },
    ],
    modelled: "spsc.pml's RELAXED as the HEAD queue under TSO",
  },
  'no-full-check': {
    upstream: [
      {
        commit: 'd2b19a10',
        file: 'echo_server/mux_tx.c',
        before: '32-54 (process_tx_ready: enqueue without ring_full; catalogue F25)',
        after: '32-53 (`&& !ring_full(state.tx_ring_drv.used_ring)`)',
      },
    ],
    modelled: 'the enqueue with its full test omitted (flavour omitted)',
  },
  'publish-before-write': {
    upstream: [
      {
        commit: 'ce131da5',
        file: 'echo_server/libsharedringbuffer/include/shared_ringbuffer.h',
        before: '103-118 (the index store not ordered after the slot stores: catalogue F1)',
        after: '103-118',
      },
    ],
    modelled:
      'a stronger seeded form: the index stored before the slot in program order, under TSO',
    notModelled:
      'F1 itself (barrier after the index) needs store-store reordering: net-handshake F1, under Arm',
  },
};

export const spscBugs: readonly BugVariant[] = [
  {
    id: 'no-recheck',
    description: 'consumer omits the re-check after request_signal (BUG_NO_RECHECK)',
    expectedProperty: 'no-lost-wakeup',
    ...SPSC_VARIANT_SOURCES['no-recheck'],
  },
  {
    id: 'flag-first',
    description: 'producer reads consumer_signalled before publishing its batch (BUG_FLAG_FIRST)',
    expectedProperty: 'no-lost-wakeup',
    ...SPSC_VARIANT_SOURCES['flag-first'],
  },
  {
    id: 'relaxed',
    description:
      'the net queue at HEAD (release fences only) under TSO: store→load reordering on both sides, the store-buffering shape (RELAXED)',
    expectedProperty: 'no-lost-wakeup',
    memoryModel: 'tso',
    bounds: { fences: 0 },
    fixedBounds: { fences: 1 },
    ...SPSC_VARIANT_SOURCES['relaxed'],
  },
  {
    id: 'no-full-check',
    description: 'producer enqueues without the full check (net_enqueue with its test omitted)',
    expectedProperty: 'no-overflow',
    ...SPSC_VARIANT_SOURCES['no-full-check'],
  },
  {
    id: 'publish-before-write',
    description:
      'net_enqueue publishes tail before it writes the slot (missing release order), under TSO',
    expectedProperty: 'fifo',
    memoryModel: 'tso',
    // With seq_cst fences in the signalling calls, so that only the seeded store order can break.
    bounds: { fences: 1 },
    fixedBounds: { fences: 1 },
    ...SPSC_VARIANT_SOURCES['publish-before-write'],
  },
];

export const spscEntry: ModelEntry = {
  // Its own scheduler over the store-buffer memories; the ARMv8/RVWMO models (ADR 015) run the
  // same queue operations through the runtime models (net-handshake, net-pipeline).
  memoryModels: ['sc', 'tso', 'pso'],
  name: 'spsc',
  description:
    'SPSC queue signalling handshake of shared/bench/spsc.pml built from the spec net queue ' +
    '(spec/queue/net.ts): FIFO, no overflow, no lost wakeup (watchdog), drained (liveness)',
  defaultBounds: SPSC_DEFAULTS,
  boundRanges: {
    capacity: {
      min: 1,
      max: MAX_CAPACITY,
      doc: 'ring slots (CAP); not a power of two: wrong across the u16 wrap',
    },
    items: { min: 1, max: MAX_ITEMS, doc: 'items the producer sends (N)' },
    fences: { min: 0, max: 1, doc: '0 = HEAD (release only), 1 = seq_cst fences' },
    indexBase: {
      min: 0,
      max: 0xffff,
      doc: 'initial u16 tail = head (0 as the .pml; 65534 crosses the wrap)',
    },
  },
  bugs: spscBugs,
  build: (opts) => buildSpsc(opts),
};

/** Builds the model; the relaxed and publish-before-write variants run under TSO at least. */
export function buildSpsc(opts: ModelOptions): SpscModel {
  validateBounds(spscEntry, opts.bounds);
  let variant: SpscVariant | undefined;
  if (opts.bug !== undefined) {
    variant = VARIANTS.find((v) => v === opts.bug);
    if (variant === undefined) {
      throw new UserError({
        code: 'MC_BUG',
        message: `spsc has no bug variant '${opts.bug}' (variants: ${VARIANTS.join(', ')})`,
      });
    }
  }
  const b = (k: string) => boundOf(opts, SPSC_DEFAULTS, k);
  const needsTso = variant === 'relaxed' || variant === 'publish-before-write';
  return new SpscModel({
    capacity: b('capacity'),
    items: b('items'),
    ...(variant !== undefined ? { variant } : {}),
    memoryModel: needsTso && opts.memoryModel === 'sc' ? 'tso' : opts.memoryModel,
    fences: b('fences') === 1 ? 1 : 0,
    indexBase: b('indexBase'),
  });
}
