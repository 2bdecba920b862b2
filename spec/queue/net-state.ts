// The network queue on immutable values: a thin adapter that runs the operations of net.ts (the
// one definition, docs/adr/013-one-queue-truth.md) on a plain in-object memory holding one queue
// state, and reads the state back. Used by the refinement tests and the abstraction function.
import { assert } from '../common/assert.ts';
import { u16 } from '../common/int.ts';
import type { AbstractQueue } from './abstract.ts';
import {
  NET_BUFFER_SIZE_BYTES,
  NET_FLAVOUR_HEAD,
  netBuffersInit,
  netCancelSignal,
  netDequeue,
  netDescProblem,
  netEmpty,
  netEnqueue,
  netFull,
  netLength,
  netRequestSignal,
  netRequireSignal,
  type NetBuffDesc,
  type NetFullCheck,
  type NetQueueFlavour,
  type NetQueueRef,
} from './net.ts';
import {
  ringAbstraction,
  ringInitial,
  ringInvariant,
  type RingShape,
  type RingState,
} from './ring.ts';
import { StateMemory } from './state-memory.ts';

export interface NetQueueState extends RingState<NetBuffDesc> {
  /** u32; 0 = the consumer wants a signal (§2.2 flag polarity). Zero-filled at boot. */
  readonly consumerSignalled: number;
}

/** The private handle's part of a queue: its capacity and which full check the code has. */
export interface NetQueueSpec {
  readonly capacity: number;
  /** Default `corrected`. */
  readonly fullCheck?: NetFullCheck;
}

export function netShape(capacity: number): RingShape {
  return { width: 16, capacity, reservedSlots: 0 };
}

export function netStateInitial(capacity: number, start = 0): NetQueueState {
  return { ...ringInitial<NetBuffDesc>(capacity, u16(start)), consumerSignalled: 0 };
}

/** One queue state as memory: tail @0, head @1, consumer_signalled @2, slots from @3. */
function open(spec: NetQueueSpec, s: NetQueueState) {
  assert(
    s.slots.length === spec.capacity,
    () => `slots ${s.slots.length} != capacity ${spec.capacity}`,
  );
  const mem = new StateMemory<NetBuffDesc>([s.tail, s.head, s.consumerSignalled], s.slots);
  const q: NetQueueRef = {
    name: 'net queue',
    tail: 0,
    head: 1,
    consumerSignalled: 2,
    slots: mem.slotBase,
    capacity: spec.capacity,
  };
  const flavour: NetQueueFlavour = {
    ...NET_FLAVOUR_HEAD,
    fullCheck: spec.fullCheck ?? 'corrected',
  };
  return { mem, q, flavour };
}

function close(mem: StateMemory<NetBuffDesc>): NetQueueState {
  return {
    tail: mem.field(0),
    head: mem.field(1),
    consumerSignalled: mem.field(2),
    slots: mem.slots(),
  };
}

export function netStateLength(s: NetQueueState): number {
  const { mem, q } = open({ capacity: s.slots.length }, s);
  return netLength(mem, q);
}

export function netStateEmpty(s: NetQueueState): boolean {
  const { mem, q, flavour } = open({ capacity: s.slots.length }, s);
  return netEmpty(mem, q, flavour);
}

export function netStateFull(spec: NetQueueSpec, s: NetQueueState): boolean {
  const { mem, q, flavour } = open(spec, s);
  return netFull(mem, q, flavour);
}

/** `net_enqueue_X`; a descriptor whose fields do not fit their C widths is our bug. */
export function netStateEnqueue(
  spec: NetQueueSpec,
  s: NetQueueState,
  d: NetBuffDesc,
): { readonly state: NetQueueState; readonly ok: boolean } {
  const broken = netDescProblem(d);
  assert(broken === null, () => `enqueue of an impossible descriptor: ${broken}`);
  const { mem, q, flavour } = open(spec, s);
  const ok = netEnqueue(mem, q, flavour, mem.handle(d));
  return { state: ok ? close(mem) : s, ok };
}

export function netStateDequeue(
  capacity: number,
  s: NetQueueState,
): { readonly state: NetQueueState; readonly item: NetBuffDesc | null } {
  const { mem, q, flavour } = open({ capacity }, s);
  const handle = netDequeue(mem, q, flavour);
  if (handle === null) return { state: s, item: null };
  return { state: close(mem), item: mem.item(handle) };
}

export function netStateRequestSignal(s: NetQueueState): NetQueueState {
  const { mem, q, flavour } = open({ capacity: s.slots.length }, s);
  netRequestSignal(mem, q, flavour);
  return close(mem);
}

export function netStateCancelSignal(s: NetQueueState): NetQueueState {
  const { mem, q } = open({ capacity: s.slots.length }, s);
  netCancelSignal(mem, q);
  return close(mem);
}

export function netStateRequireSignal(s: NetQueueState): boolean {
  const { mem, q, flavour } = open({ capacity: s.slots.length }, s);
  return netRequireSignal(mem, q, flavour);
}

/** `net_buffers_init`: a free queue holding `{2048*i + base, 0}` for every slot. */
export function netStateBuffersInit(opts: {
  readonly capacity: number;
  readonly baseIoOrOffset: bigint;
  readonly start?: number;
}): NetQueueState {
  const { mem, q, flavour } = open(
    { capacity: opts.capacity },
    netStateInitial(opts.capacity, opts.start ?? 0),
  );
  const ok = netBuffersInit(mem, q, flavour, (i) =>
    mem.handle({
      ioOrOffset: BigInt.asUintN(64, BigInt(NET_BUFFER_SIZE_BYTES * i) + opts.baseIoOrOffset),
      len: 0,
      oid: 0,
    }),
  );
  assert(ok, 'net_buffers_init fills exactly capacity slots');
  return close(mem);
}

/** `0 ≤ (uint16_t)(tail − head) ≤ capacity`, or what is broken. */
export function netStateInvariant(capacity: number, s: NetQueueState): string | null {
  return ringInvariant(netShape(capacity), s);
}

/** The abstraction function: live slots `head … tail−1` → the abstract FIFO. */
export function netStateAbstraction(
  capacity: number,
  s: NetQueueState,
): AbstractQueue<NetBuffDesc> {
  return ringAbstraction(netShape(capacity), s);
}
