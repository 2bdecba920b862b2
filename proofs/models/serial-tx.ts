// `serial-tx`: client → serial virt_tx → driver (reference §2.4, §3.10–3.11) with the serial
// queue's acquire/release accesses and seq_cst fences (F9 fixed), under SC, TSO or Arm-like.
import type { State } from '../../spec/common/transition.ts';
import {
  SERIAL_GHOSTS,
  SG_EMITTED,
  SG_WRITTEN,
  SVT_CH_CLIENT,
  SVT_CH_DRIVER,
  serialClient,
  serialDriver,
  serialVirtTx,
  type SerialBug,
} from '../../spec/components/serial.ts';
import { ringLength } from '../../spec/queue/ring.ts';
import {
  SERIAL_ACQUIRE_BY_BOUND,
  SERIAL_FENCES_BY_BOUND,
  serialBoundsProblem,
  type SerialQueueRef,
} from '../../spec/queue/serial.ts';
import { Layout } from './layout.ts';
import { buildSystem, type BuiltSystem } from './runtime.ts';
import type { BugVariant, ModelEntry, ModelOptions } from './types.ts';
import { boundOf, effectiveBounds, validateBounds } from './common.ts';

/** Per-bug bounds: F8 needs a second full-queue round to lose the wakeup. */
export const SERIAL_BUG_BOUNDS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  F8: { chars: 6 },
};

export const serialTxBugs: readonly BugVariant[] = [
  {
    id: 'F8',
    bounds: SERIAL_BUG_BOUNDS['F8']!,
    description:
      'serial virt_tx: no re-check after request_consumer_signal (334e9be8): lost wakeup',
    expectedProperty: 'no-lost-wakeup',
  },
  {
    id: 'F9',
    description:
      'serial queue without the seq_cst fences in request/require (57d50b7c): store-buffering lost wakeup',
    expectedProperty: 'no-lost-wakeup',
    memoryModel: 'tso',
    fixedBounds: {},
  },
  {
    id: 'F12',
    description:
      'serial virt_tx uses microkit_deferred_notify for driver and client (5d9135f4): the second overwrites the first',
    expectedProperty: 'no-lost-wakeup',
  },
];

export const serialTxEntry: ModelEntry = {
  name: 'serial-tx',
  description:
    'serial Tx: client → virt_tx → driver, producer_signalled handshake with seq_cst fences',
  defaultBounds: { capacity: 2, chars: 4, fences: 0, acquire: 0 },
  boundRanges: {
    capacity: { min: 1, max: 16, doc: 'capacity of each serial queue' },
    chars: { min: 0, max: 16, doc: 'characters the client writes' },
    fences: {
      min: 0,
      max: 3,
      doc: '0 = HEAD (seq_cst in request and require), 1 = none, 2 = request only, 3 = require only',
    },
    acquire: {
      min: 0,
      max: 2,
      doc: '0 = HEAD (load_acquire of the other index on both sides), 1 = consumer only, 2 = none',
    },
  },
  bugs: serialTxBugs,
  build: (opts) => buildSerialTx(opts).ts,
};

export function buildSerialTx(opts: ModelOptions): BuiltSystem {
  const extra = opts.bug !== undefined ? (SERIAL_BUG_BOUNDS[opts.bug] ?? {}) : {};
  const bounds = effectiveBounds(opts, serialTxEntry.defaultBounds, extra);
  validateBounds(serialTxEntry, bounds);
  const b = (k: string) => boundOf({ ...opts, bounds }, serialTxEntry.defaultBounds, k);
  const capacity = b('capacity');
  const chars = b('chars');
  const layout = new Layout();
  const queue = (name: string): SerialQueueRef => ({
    name,
    tail: layout.alloc(`${name}.tail`),
    head: layout.alloc(`${name}.head`),
    producerSignalled: layout.alloc(`${name}.producer_signalled`),
    consumerSignalled: layout.alloc(`${name}.consumer_signalled`),
    data: layout.alloc(`${name}.data`, capacity),
    capacity,
  });
  const client = queue('client_tx');
  const driver = queue('driver_tx');
  const ghostBase = layout.alloc('ghost', SERIAL_GHOSTS);
  const bug = opts.bug as SerialBug | undefined;
  const ordering = {
    fences: SERIAL_FENCES_BY_BOUND[b('fences')]!,
    acquire: SERIAL_ACQUIRE_BY_BOUND[b('acquire')]!,
  };
  const cfg = {
    client,
    driver,
    chars,
    flavour: { ...(bug !== undefined ? { bug } : {}), ordering },
  };
  const g = (s: State, i: number) => s[ghostBase + i] ?? 0;
  const len = (s: State, q: SerialQueueRef) =>
    ringLength(32, { tail: s[q.tail] ?? 0, head: s[q.head] ?? 0 });
  return buildSystem({
    ...(opts.splitLocalSteps === true ? { splitLocalSteps: true } : {}),
    name: 'serial-tx',
    layout,
    memoryModel: opts.memoryModel,
    scheduling: 'any',
    pds: [
      {
        name: 'client',
        program: serialClient(cfg),
        priority: 1,
        channels: { 0: { pd: 'virt_tx', ch: SVT_CH_CLIENT } },
      },
      {
        name: 'virt_tx',
        program: serialVirtTx(cfg),
        priority: 2,
        channels: {
          [SVT_CH_DRIVER]: { pd: 'driver', ch: 0 },
          [SVT_CH_CLIENT]: { pd: 'client', ch: 0 },
        },
      },
      {
        name: 'driver',
        program: serialDriver(cfg),
        priority: 3,
        channels: { 0: { pd: 'virt_tx', ch: SVT_CH_DRIVER } },
      },
    ],
    devices: [],
    ghostBase,
    ghostWords: SERIAL_GHOSTS,
    init: () => undefined,
    invariants: [
      {
        name: 'queue-capacity',
        check: (s) =>
          serialBoundsProblem((a) => s[a] ?? 0, client) ??
          serialBoundsProblem((a) => s[a] ?? 0, driver),
      },
    ],
    stranded: (s) => {
      if (len(s, driver) > 0)
        return `lost wakeup: ${driver.name} holds ${len(s, driver)} char(s), driver blocked`;
      if (len(s, client) > 0 && len(s, client) <= capacity - len(s, driver)) {
        return `lost wakeup: ${client.name} holds ${len(s, client)} char(s) that fit, virt_tx blocked`;
      }
      if (g(s, SG_WRITTEN) < chars && len(s, client) < capacity)
        return 'lost wakeup: client blocked with space in its queue';
      if (g(s, SG_EMITTED) < chars)
        return `stall: ${chars - g(s, SG_EMITTED)} char(s) never emitted`;
      return null;
    },
    goal: (s) => g(s, SG_EMITTED) >= chars,
  });
}
