// The runs behind docs/weak-memory.md (one row each, run under armv8 and rvwmo by
// ./weak-memory.test.ts). Bounds are the models' (`sddf mc --list`): `fences` and `acquire` are the
// flavour switches of spec/queue (net: fences 0 = HEAD's release fences, 1 = seq_cst in
// request_signal and before the require load, 2 = request only, 3 = require only; acquire 0 = HEAD's
// plain index loads, 1 = acquire after the consumer's load of tail, 2 = both sides; serial: fences
// 0 = HEAD, 1 = none, 2 = request only, 3 = require only; acquire 0 = HEAD both sides, 1 = consumer only, 2 = none).
import type { SearchOrder } from '../../../proofs/mc/engine.ts';

/** A violated property's name, `holds` (complete search), or `no violation` within the budget. */
export type RowVerdict = string;

export interface WeakMemoryRow {
  readonly id: string;
  readonly model: string;
  readonly what: string;
  readonly bounds: Readonly<Record<string, number>>;
  readonly search: SearchOrder;
  readonly maxStates: number;
  readonly expect: { readonly armv8: RowVerdict; readonly rvwmo: RowVerdict };
}

// O1 needs a second item after the consumer armed its signal; one buffer keeps the space small.
const O1 = { items: 2, capacity: 1 } as const;
// The serial lost wakeup without flag fences (fences=1) needs a third character with one slot
// (measured under tso too).
const SERIAL = { capacity: 1, chars: 3 } as const;

export const WEAK_MEMORY_ROWS: readonly WeakMemoryRow[] = [
  {
    id: 'net-1',
    model: 'net-handshake',
    what: 'HEAD (release fences, plain index loads)',
    bounds: {},
    search: 'bfs',
    maxStates: 20_000,
    expect: { armv8: 'fifo', rvwmo: 'fifo' },
  },
  {
    id: 'net-2',
    model: 'net-handshake',
    what: 'seq_cst fences, no consumer acquire',
    bounds: { fences: 1 },
    search: 'bfs',
    maxStates: 20_000,
    expect: { armv8: 'fifo', rvwmo: 'fifo' },
  },
  {
    id: 'net-3',
    model: 'net-handshake',
    what: 'consumer acquire, HEAD fences',
    bounds: { ...O1, acquire: 1 },
    search: 'dfs',
    maxStates: 30_000,
    expect: { armv8: 'no-lost-wakeup', rvwmo: 'no-lost-wakeup' },
  },
  {
    id: 'net-4',
    model: 'net-handshake',
    what: 'consumer acquire, seq_cst in request_signal only',
    bounds: { ...O1, acquire: 1, fences: 2 },
    search: 'dfs',
    maxStates: 30_000,
    expect: { armv8: 'no-lost-wakeup', rvwmo: 'no-lost-wakeup' },
  },
  {
    id: 'net-5',
    model: 'net-handshake',
    what: 'consumer acquire, seq_cst before the require load only',
    bounds: { ...O1, acquire: 1, fences: 3 },
    search: 'dfs',
    maxStates: 30_000,
    expect: { armv8: 'no violation', rvwmo: 'no-lost-wakeup' },
  },
  {
    id: 'net-6',
    model: 'net-handshake',
    what: 'the fix: consumer acquire, both seq_cst fences',
    bounds: { ...O1, acquire: 1, fences: 1 },
    search: 'dfs',
    maxStates: 30_000,
    expect: { armv8: 'no violation', rvwmo: 'no violation' },
  },
  {
    id: 'blk-1',
    model: 'blk-handshake',
    what: 'HEAD (plain index loads)',
    bounds: { capacity: 2, requests: 2 },
    search: 'bfs',
    maxStates: 20_000,
    expect: { armv8: 'fifo', rvwmo: 'fifo' },
  },
  {
    id: 'blk-2',
    model: 'blk-handshake',
    what: 'the fix: consumer acquire',
    bounds: { capacity: 2, requests: 2, acquire: 1 },
    search: 'bfs',
    maxStates: 20_000,
    expect: { armv8: 'holds', rvwmo: 'holds' },
  },
  {
    id: 'blk-3',
    model: 'blk-handshake',
    what: 'acquire on both sides',
    bounds: { capacity: 2, requests: 2, acquire: 2 },
    search: 'bfs',
    maxStates: 20_000,
    expect: { armv8: 'holds', rvwmo: 'holds' },
  },
  {
    id: 'serial-1',
    model: 'serial-tx',
    what: 'HEAD (seq_cst fences, load_acquire both sides)',
    bounds: SERIAL,
    search: 'dfs',
    maxStates: 20_000,
    expect: { armv8: 'no violation', rvwmo: 'no violation' },
  },
  {
    id: 'serial-3',
    model: 'serial-tx',
    what: 'HEAD without any flag fence',
    bounds: { ...SERIAL, fences: 1 },
    search: 'dfs',
    maxStates: 20_000,
    expect: { armv8: 'no-lost-wakeup', rvwmo: 'no-lost-wakeup' },
  },
  {
    id: 'serial-4',
    model: 'serial-tx',
    what: 'seq_cst fence in request_signal only',
    bounds: { ...SERIAL, fences: 2 },
    search: 'dfs',
    maxStates: 20_000,
    expect: { armv8: 'no-lost-wakeup', rvwmo: 'no-lost-wakeup' },
  },
  {
    id: 'serial-5',
    model: 'serial-tx',
    what: 'seq_cst fence before the require load only',
    bounds: { ...SERIAL, fences: 3 },
    search: 'dfs',
    maxStates: 20_000,
    expect: { armv8: 'no-lost-wakeup', rvwmo: 'no-lost-wakeup' },
  },
  {
    id: 'serial-2',
    model: 'serial-tx',
    what: 'HEAD without any load_acquire',
    bounds: { capacity: 1, chars: 2, acquire: 2 },
    search: 'dfs',
    maxStates: 20_000,
    expect: { armv8: 'fifo', rvwmo: 'fifo' },
  },
];
