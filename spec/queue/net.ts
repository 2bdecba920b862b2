// The network queue, once (include/sddf/network/queue.h at au-ts/sddf 650ace5d; reference
// sddf-protocols.md §2.1–2.2): u16 free-running `tail`/`head`, u32 `consumer_signalled`, 16-byte
// descriptors `{u64 io_or_offset; u16 len; u8 oid:6}`. Capacity lives in the private handle only
// (§2 "Capacity is not stored in shared memory").
//
// Three layers, each written once (docs/adr/013-one-queue-truth.md):
//   - index predicates (`netFullOf` …) over `IndexArith`: evaluated on numbers here and on Z3
//     terms by the proof obligations (proofs/smt);
//   - one function per library call over `SharedMem`, with the C's loads, stores and fences in
//     program order: what the model checker's components run (spec/components), over the model's
//     memory (SC, TSO, Arm-like);
//   - net-state.ts runs these same functions on immutable values (refinement tests, the
//     abstraction function).
// A slot word is the descriptor as the memory holds it: in the models `io_or_offset` alone (one
// u32 word suffices for the modelled regions), in net-state.ts a handle to a full descriptor.
import { assert } from '../common/assert.ts';
import type { Diagnostic } from '../common/diagnostic.ts';
import type { SharedMem } from '../common/memory.ts';
import { FLAG_SIGNALLED, FLAG_WANTS_SIGNAL } from '../signal/handshake.ts';
import { U16, type IndexArith } from './arith.ts';
import {
  acquiresIndex,
  checkCapacity,
  INDEX_ACQUIRE_BY_BOUND,
  ringBoundsProblem,
  ringEmptyOf,
  ringLengthOf,
  ringSlotOf,
  type IndexAcquire,
} from './ring.ts';

/** `NET_BUFFER_SIZE` (§2.1): data offsets are multiples of this. */
export const NET_BUFFER_SIZE_BYTES = 2048;
/** `sizeof(net_buff_desc_t)`. */
export const NET_DESC_SIZE_BYTES = 16;
/** `offsetof(net_queue_t, buffers)`: tail u16 @0, head u16 @2, consumer_signalled u32 @4. */
export const NET_QUEUE_HEADER_BYTES = 8;
/** `oid` is a 6-bit field. */
export const NET_OID_LIMIT = 64;

export interface NetBuffDesc {
  /** u64: offset into the data region (client side) or IO address (virt↔driver). */
  readonly ioOrOffset: bigint;
  /** u16 bytes of valid data. */
  readonly len: number;
  /** 6-bit region id (vswitch only; 0 otherwise). */
  readonly oid: number;
}

/**
 * Which full check `net_queue_full_X` computes.
 * - `corrected`: `(uint16_t)(tail - head) == capacity`, as `net_queue_length` already casts.
 * - `int-promoted`: the C at HEAD, `tail - head == capacity` with both `uint16_t` promoted to
 *   `int`: across the 16-bit wrap a full queue reports not-full (bug U1).
 * - `wasted-slot`: the pre-2023 test `tail + 1 - head == capacity`: one slot never used, and a
 *   `net_buffers_init` of `capacity` buffers fails (bug F17).
 * - `omitted`: seeded, not upstream: the enqueue does not test at all (spsc `no-full-check`).
 */
export type NetFullCheck = 'corrected' | 'int-promoted' | 'wasted-slot' | 'omitted';

/**
 * Fence placement in the signalling handshake (§2.2; docs/weak-memory.md). `smp-release`: HEAD
 * with CONFIG_ENABLE_SMP_SUPPORT (a release fence after each flag store, nothing before the
 * require load: O1). `seq_cst`: the fix: a seq_cst fence after request_signal's flag store and
 * one before require_signal's load, as the serial queue has them (F9 fixed). The two halves
 * alone, to show which is necessary where: `seq_cst-request` (only request_signal's fence is
 * seq_cst; require has none, as at HEAD) and `seq_cst-require` (request keeps HEAD's release
 * fence; require gets the seq_cst fence).
 */
export type NetFences = 'smp-release' | 'seq_cst' | 'seq_cst-request' | 'seq_cst-require';

/** Which queue.h the operations are: upstream HEAD by default, or a variant of the catalogue. */
export interface NetQueueFlavour {
  readonly fences: NetFences;
  readonly fullCheck: NetFullCheck;
  /** Acquire after the index loads (ring.ts `IndexAcquire`); absent = `none`, as at HEAD. */
  readonly acquire?: IndexAcquire;
  /** Seeded, not upstream: enqueue publishes `tail` before it writes the slot (spsc). */
  readonly publishBeforeWrite?: boolean;
  /**
   * F1 (before au-ts/sddf ce131da5, the 2023 ring library): `THREAD_MEMORY_RELEASE()` after
   * `write_idx++` instead of before it, so nothing orders the slot store before the index store.
   */
  readonly releaseAfterPublish?: boolean;
}

/** queue.h at HEAD built for SMP, with the corrected full check. */
export const NET_FLAVOUR_HEAD: NetQueueFlavour = { fences: 'smp-release', fullCheck: 'corrected' };

/** The signalling fences by number, as the models' `fences` bound gives them (0 = HEAD). */
export const NET_FENCES_BY_BOUND: readonly NetFences[] = [
  'smp-release',
  'seq_cst',
  'seq_cst-request',
  'seq_cst-require',
];

/**
 * The flavour a model's `fences` and `acquire` bounds name (`NET_FENCES_BY_BOUND`,
 * `INDEX_ACQUIRE_BY_BOUND`), over `base` (HEAD's full check unless a bug says otherwise).
 */
export function netOrderingFlavour(
  bounds: { readonly fences: number; readonly acquire: number },
  base: NetQueueFlavour = NET_FLAVOUR_HEAD,
): NetQueueFlavour {
  const fences = NET_FENCES_BY_BOUND[bounds.fences];
  const acquire = INDEX_ACQUIRE_BY_BOUND[bounds.acquire];
  assert(
    fences !== undefined,
    `fences bound ${bounds.fences} (0..${NET_FENCES_BY_BOUND.length - 1})`,
  );
  assert(
    acquire !== undefined,
    `acquire bound ${bounds.acquire} (0..${INDEX_ACQUIRE_BY_BOUND.length - 1})`,
  );
  return { ...base, fences, ...(acquire === 'none' ? {} : { acquire }) };
}

/** Where a queue lives in word memory, and its private capacity (§2.1). */
export interface NetQueueRef {
  readonly name: string;
  readonly tail: number;
  readonly head: number;
  readonly consumerSignalled: number;
  /** Address of slot 0; slot i is at `slots + i`. */
  readonly slots: number;
  /** In the private handle, never in shared memory (CHANGES.md 0.5.0). */
  readonly capacity: number;
}

// ---------------------------------------------------------------- index predicates

/** `net_queue_length`: `(uint16_t)(tail - head)`. */
export function netLengthOf<V, B>(a: IndexArith<V, B>, tail: V, head: V): V {
  return ringLengthOf(a, tail, head);
}

/** `net_queue_empty_X`: `tail - head == 0` (int), i.e. `tail == head`. */
export function netEmptyOf<V, B>(a: IndexArith<V, B>, tail: V, head: V): B {
  return ringEmptyOf(a, tail, head);
}

/** `net_queue_full_X` in the chosen form; `capacity` is the handle's `uint32_t`. */
export function netFullOf<V, B>(
  a: IndexArith<V, B>,
  check: NetFullCheck,
  q: { readonly tail: V; readonly head: V; readonly capacity: V },
): B {
  switch (check) {
    case 'corrected':
      return a.eq(a.sub(q.tail, q.head), q.capacity);
    case 'int-promoted':
      return a.eq(a.subInt(q.tail, q.head), q.capacity);
    case 'wasted-slot':
      return a.eq(a.sub(a.add(q.tail, a.lit(1)), q.head), q.capacity);
    case 'omitted':
      return a.not(a.eq(q.capacity, q.capacity));
  }
}

/** The slot `buffers[index % capacity]`. */
export function netSlotOf<V, B>(a: IndexArith<V, B>, index: V, capacity: V): V {
  return ringSlotOf(a, index, capacity);
}

// ---------------------------------------------------------------- operations on memory

function loadIndex(mem: SharedMem, q: NetQueueRef, addr: number): number {
  const v = mem.load(addr);
  if (v > 0xffff) assert(false, `${q.name}: u16 index, saw ${v}`);
  return v;
}

/** `net_queue_length`: plain loads of tail then head (§2.1: no acquire at HEAD). */
export function netLength(mem: SharedMem, q: NetQueueRef): number {
  const tail = loadIndex(mem, q, q.tail);
  return netLengthOf(U16, tail, loadIndex(mem, q, q.head));
}

/**
 * The other side's index, with the flavour's acquire after it (`load_acquire` as ADR 013 models
 * it: the load, then THREAD_MEMORY_ACQUIRE).
 */
function loadPeerIndex(
  mem: SharedMem,
  q: NetQueueRef,
  f: NetQueueFlavour,
  side: 'producer' | 'consumer',
): number {
  const v = loadIndex(mem, q, side === 'consumer' ? q.tail : q.head);
  if (acquiresIndex(f.acquire ?? 'none', side)) mem.fence('acquire');
  return v;
}

/** `net_queue_empty_X`, as the consumer calls it: `tail` (acquired if the flavour says), `head`. */
export function netEmpty(mem: SharedMem, q: NetQueueRef, f: NetQueueFlavour): boolean {
  const tail = loadPeerIndex(mem, q, f, 'consumer');
  return netEmptyOf(U16, tail, loadIndex(mem, q, q.head));
}

/** `net_queue_full_X`, as the producer calls it: `tail`, then `head` (acquired if the flavour says). */
export function netFull(mem: SharedMem, q: NetQueueRef, f: NetQueueFlavour): boolean {
  const tail = loadIndex(mem, q, q.tail);
  const head = loadPeerIndex(mem, q, f, 'producer');
  return netFullOf(U16, f.fullCheck, { tail, head, capacity: q.capacity });
}

/** `net_enqueue_X`: false (C `-1`) when full; else `buffers[tail % cap] = d`; release; `tail++`. */
export function netEnqueue(
  mem: SharedMem,
  q: NetQueueRef,
  f: NetQueueFlavour,
  desc: number,
): boolean {
  if (netFull(mem, q, f)) return false;
  const tail = loadIndex(mem, q, q.tail);
  const slot = q.slots + netSlotOf(U16, tail, q.capacity);
  if (f.publishBeforeWrite === true) {
    mem.store(q.tail, U16.add(tail, 1)); // seeded: the consumer may see the slot before it is written
    mem.store(slot, desc);
    return true;
  }
  mem.store(slot, desc);
  if (f.releaseAfterPublish === true) {
    mem.store(q.tail, U16.add(tail, 1)); // F1: write_idx++ ...
    mem.fence('release'); // ... then the barrier, too late to order the slot store
    return true;
  }
  mem.fence('release'); // THREAD_MEMORY_RELEASE (SMP only)
  mem.store(q.tail, U16.add(tail, 1));
  return true;
}

/** `net_dequeue_X`: null (C `-1`) when empty; else `d = buffers[head % cap]`; release; `head++`. */
export function netDequeue(mem: SharedMem, q: NetQueueRef, f: NetQueueFlavour): number | null {
  if (netEmpty(mem, q, f)) return null;
  const head = loadIndex(mem, q, q.head);
  const desc = mem.load(q.slots + netSlotOf(U16, head, q.capacity));
  mem.fence('release');
  mem.store(q.head, U16.add(head, 1));
  return desc;
}

/**
 * `net_request_signal_X`: the consumer arms, `consumer_signalled = 0` ("wake me", §2.2), then
 * HEAD's release fence, or the seq_cst fence of the fix (`seq_cst`, `seq_cst-request`).
 */
export function netRequestSignal(mem: SharedMem, q: NetQueueRef, f: NetQueueFlavour): void {
  mem.store(q.consumerSignalled, FLAG_WANTS_SIGNAL);
  mem.fence(f.fences === 'seq_cst' || f.fences === 'seq_cst-request' ? 'seq_cst' : 'release');
}

/** `net_cancel_signal_X`: `consumer_signalled = 1`. */
export function netCancelSignal(mem: SharedMem, q: NetQueueRef): void {
  mem.store(q.consumerSignalled, FLAG_SIGNALLED);
  mem.fence('release');
}

/**
 * `net_require_signal_X`: the producer's test, `!consumer_signalled` (flag polarity §2.2); the fix
 * puts a seq_cst fence before the load (`seq_cst`, `seq_cst-require`), HEAD has none.
 */
export function netRequireSignal(mem: SharedMem, q: NetQueueRef, f: NetQueueFlavour): boolean {
  if (f.fences === 'seq_cst' || f.fences === 'seq_cst-require') mem.fence('seq_cst');
  return mem.load(q.consumerSignalled) === FLAG_WANTS_SIGNAL;
}

/**
 * `net_buffers_init(h, base)`: enqueue `capacity` free descriptors, descriptor `i` being
 * `{NET_BUFFER_SIZE * i + base, 0}` (`descriptor(i)` says how the memory holds it). The C asserts
 * each enqueue; this returns false at the first that fails (F17's wasted slot), true otherwise.
 */
export function netBuffersInit(
  mem: SharedMem,
  q: NetQueueRef,
  f: NetQueueFlavour,
  descriptor: (i: number) => number,
): boolean {
  for (let i = 0; i < q.capacity; i++) {
    if (!netEnqueue(mem, q, f, descriptor(i))) return false;
  }
  return true;
}

// ---------------------------------------------------------------- contents and bounds, as others see them

/**
 * The live descriptors `buffers[head … tail−1]`, oldest first, as word memory holds them (`read`:
 * what a third party reads, e.g. a model state with every store buffer drained). At most
 * `capacity` of them, even when the bounds are broken.
 */
export function netLiveDescriptors(read: (addr: number) => number, q: NetQueueRef): number[] {
  const tail = read(q.tail);
  const head = read(q.head);
  const n = Math.min(netLengthOf(U16, tail, head), q.capacity);
  const out: number[] = [];
  for (let i = 0; i < n; i++)
    out.push(read(q.slots + netSlotOf(U16, U16.add(head, i), q.capacity)));
  return out;
}

/** `net_queue_length` as a third party reads the words (no accesses recorded). */
export function netLengthIn(read: (addr: number) => number, q: NetQueueRef): number {
  return netLengthOf(U16, read(q.tail), read(q.head));
}

/** §3.15.1 "queue lengths never exceed capacity": `(uint16_t)(tail − head) ≤ capacity`, or what is broken. */
export function netBoundsProblem(read: (addr: number) => number, q: NetQueueRef): string | null {
  const [tail, head] = [read(q.tail), read(q.head)];
  return ringBoundsProblem({ name: q.name, width: 16, tail, head, usable: q.capacity });
}

// ---------------------------------------------------------------- descriptors, capacities, sizes

/** A descriptor whose fields fit their C widths, or what does not fit. */
export function netDescProblem(d: NetBuffDesc): string | null {
  if (d.ioOrOffset < 0n || d.ioOrOffset >= 1n << 64n)
    return `io_or_offset ${d.ioOrOffset} is not a u64`;
  if (!Number.isInteger(d.len) || d.len < 0 || d.len > 0xffff) return `len ${d.len} is not a u16`;
  if (!Number.isInteger(d.oid) || d.oid < 0 || d.oid >= NET_OID_LIMIT)
    return `oid ${d.oid} is not 6 bits`;
  return null;
}

/** Net capacities must be powers of two ≤ 2^15 (§2: `% capacity` across the u16 wrap). */
export function checkNetCapacity(capacity: number): Diagnostic | null {
  return checkCapacity({ queue: 'net queue', capacity, width: 16, powerOfTwo: true });
}

/**
 * A client-side data offset (§2.1): a multiple of NET_BUFFER_SIZE below
 * `NET_BUFFER_SIZE * numBuffers`. Returns a Diagnostic naming the value, or null.
 */
export function checkNetOffset(opts: {
  readonly offset: bigint;
  readonly numBuffers: number;
}): Diagnostic | null {
  const size = BigInt(NET_BUFFER_SIZE_BYTES);
  const limit = size * BigInt(opts.numBuffers);
  if (opts.offset % size !== 0n || opts.offset < 0n) {
    return {
      code: 'NET_OFFSET',
      message: `offset ${opts.offset} is not a multiple of ${NET_BUFFER_SIZE_BYTES}`,
    };
  }
  if (opts.offset >= limit) {
    return {
      code: 'NET_OFFSET',
      message: `offset ${opts.offset} is out of range: must be below ${NET_BUFFER_SIZE_BYTES} * ${opts.numBuffers} = ${limit}`,
    };
  }
  return null;
}

/**
 * The rule `checkNetOffset` states, on a u32 word (the models' descriptors): a multiple of
 * NET_BUFFER_SIZE below `NET_BUFFER_SIZE * numBuffers`. test/spec/queue/net.test.ts holds the two
 * to each other.
 */
export function netOffsetValid(offset: number, numBuffers: number): boolean {
  return (
    offset >= 0 &&
    offset % NET_BUFFER_SIZE_BYTES === 0 &&
    offset < NET_BUFFER_SIZE_BYTES * numBuffers
  );
}

/** Shared bytes of a net queue MR holding `capacity` descriptors: `8 + 16*cap`. */
export function netQueueSizeBytes(capacity: number): number {
  return NET_QUEUE_HEADER_BYTES + NET_DESC_SIZE_BYTES * capacity;
}
