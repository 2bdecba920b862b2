// `serial-tx`: client → serial virt_tx → driver (reference §2.4, §3.10–3.11). Era 0 (default):
// HEAD, the serial queue's acquire/release accesses and seq_cst fences (F9 fixed), one flag,
// under SC, TSO or Arm-like. Era 1: the two-flag protocol of August 2024
// (spec/components/serial-2024.ts) with putchar clients, for the bugs of that time (F10, F11,
// F12), under SC.
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
import {
  S24_ACCEPTED,
  S24_COLOUR_BYTES,
  S24_EMITTED,
  S24_VT_CH_DRIVER,
  s24Ghost,
  serial2024Client,
  serial2024Driver,
  serial2024Ghosts,
  serial2024VirtTx,
  type Serial2024Config,
} from '../../spec/components/serial-2024.ts';
import { ringLength } from '../../spec/queue/ring.ts';
import {
  SERIAL_ACQUIRE_BY_BOUND,
  SERIAL_FENCES_BY_BOUND,
  serialBoundsProblem,
  type SerialQueueRef,
} from '../../spec/queue/serial.ts';
import { Layout } from './layout.ts';
import { buildSystem, type BuiltSystem, type PdSpec } from './runtime.ts';
import type { BugVariant, ModelEntry, ModelOptions } from './types.ts';
import { boundOf, effectiveBounds, validateBounds } from './common.ts';

export const serialTxBugs: readonly BugVariant[] = [
  {
    id: 'F8',
    bounds: { chars: 6 },
    description:
      'serial virt_tx: no re-check after request_consumer_signal (before 334e9be8): lost wakeup',
    expectedProperty: 'no-lost-wakeup',
    upstream: [
      {
        commit: '334e9be8',
        file: 'serial/components/virt_tx.c',
        before: '78-111 (process_tx_queue: push pending, request_consumer_signal, return false)',
        after: '78-114 (request, then re-check the free space, then push pending)',
      },
    ],
    modelled:
      'process_tx_queue of HEAD without the re-check; the HEAD queue with its seq_cst fences',
    notModelled: 'several clients and the tx_pending FIFO (one client)',
  },
  {
    id: 'F9',
    description:
      'serial queue before 57d50b7c: release fences where the handshake needs seq_cst ones: store-buffering lost wakeup',
    expectedProperty: 'no-lost-wakeup',
    memoryModel: 'tso',
    fixedBounds: {},
    upstream: [
      {
        commit: '57d50b7c',
        file: 'include/sddf/serial/queue.h',
        before:
          '464-470 (serial_request_consumer_signal: store, THREAD_MEMORY_RELEASE under SMP), 490-493 (serial_require_consumer_signal: plain load)',
        after: '464-519, 539-547 (store_relaxed + fence_seq_cst; fence_seq_cst + load_relaxed)',
      },
    ],
    modelled: 'the flag accesses and fences in C order under TSO (the store-buffering litmus)',
    notModelled: "the acquire/release accesses of head/tail (82e1306f) are HEAD's in both runs",
  },
  {
    id: 'F22',
    // Clients on core 0, virt_tx and the driver on core 1 (priority per core): small, and the
    // pending FIFO still fills and drains three times.
    bounds: {
      era: 1,
      clients: 2,
      chars: 2,
      chars1: 2,
      capacity: 2,
      driverCapacity: 2,
      placement: 1,
    },
    description:
      'serial virt_tx tx_pending before 0e60979c: head and tail never wrapped, indexing an array of as many entries as clients: the third push writes past it',
    expectedProperty: 'no-overwrite',
    upstream: [
      {
        commit: '0e60979c',
        file: 'serial/components/virt_tx.c',
        before:
          '46-83 (queue[SERIAL_NUM_CLIENTS]; length = tail - head; tail++ and head++ unbounded)',
        after: '46-84 (queue[TX_PENDING_LEN = clients + 1]; indices modulo TX_PENDING_LEN)',
      },
    ],
    modelled:
      "tx_pending's push, pop and length (spec/components/serial-virt.ts) in the 2024 virt_tx with two clients; the write past the array is the property",
    notModelled:
      'what the overwritten clients_pending bytes then do (the run stops at the write); the rest of the virt_tx is the August 2024 one (era 1)',
  },
  {
    id: 'F23',
    // The driver queue starts one byte in, so the first batch of two wraps.
    bounds: { batch: 1, chars: 2, capacity: 2, driverStart: 1 },
    description:
      'serial_enqueue_batch before a0c50ca9: the post-wrap chunk is copied to the pre-wrap start instead of the data region start',
    expectedProperty: 'fifo',
    upstream: [
      {
        commit: 'a0c50ca9',
        file: 'include/sddf/serial/queue.h',
        before: '244-247 (`sddf_memcpy(p, src + n_prewrap, n_postwrap)`)',
        after: '244-247 (`sddf_memcpy(qh->data_region, src + n_prewrap, n_postwrap)`)',
      },
    ],
    modelled:
      "serial_enqueue_batch's two copies (spec/queue/serial.ts) as virt_tx's transfer of a client's bytes",
    notModelled:
      'the MIN double evaluation and contiguous-length confusion of the later fixes (87bb3536, 993c87cc): the batch length is the free space here',
  },
  {
    id: 'F10',
    bounds: { era: 1, clients: 1, chars: 2, capacity: 2 },
    description:
      "putchar before 367d4231: a '\\n' with one free slot returns without publishing the line written so far",
    expectedProperty: 'no-lost-wakeup',
    upstream: [
      {
        commit: '367d4231',
        file: 'util/putchar_serial.c',
        before:
          "18-35 (_sddf_putchar: `if (full(local_tail) || (c == '\\n' && full(local_tail + 1))) return;`, publish only when full or at '\\n')",
        after:
          '18-35 (drop when full or one from full; publish when full, one from full or at \\n)',
      },
    ],
    modelled: "putchar's private tail, the '\\r\\n' expansion and both conditions; one client",
    notModelled: 'the 2025 virt_tx of that revision: the model runs the August-2024 one (era 1)',
  },
  {
    id: 'F11',
    bounds: { era: 1, clients: 1, chars: 2, capacity: 4, colour: 1 },
    description:
      "serial virt_tx with colour and the driver's data region as large as a client's (before 1ec06bad): a full client queue plus colour codes never fits",
    expectedProperty: 'no-lost-wakeup',
    upstream: [
      {
        commit: '1ec06bad',
        file: 'examples/echo_server/board/qemu_arm_virt/echo_server.system',
        before: '43-44 (serial_tx_data_driver 0x2_000, as serial_tx_data_client0)',
        after: '43-44 (serial_tx_data_driver 0x4_000; the same in every board file)',
      },
    ],
    modelled:
      "process_tx_queue adding the colour codes to the length and transferring a client's data whole; the driver queue as large as the client's",
    notModelled: 'the colour codes are scaled to one byte before and one after (upstream 5 + 4)',
  },
  {
    id: 'F12',
    // Client 0 writes three characters (its second flush waits in tx_pending), client 1 one line
    // of one '\n' that arrives in the same badge as the driver's signal; virt_tx and the driver
    // on different cores (on one core the driver preempts virt_tx and the badge never holds both).
    bounds: { era: 1, clients: 2, chars: 3, chars1: 1, capacity: 2, driverCapacity: 2 },
    description:
      'serial virt_tx before 5d9135f4: microkit_deferred_notify to the driver (tx_return) and to a client (tx_provide) from one badge: the second overwrites the first',
    expectedProperty: 'no-lost-wakeup',
    upstream: [
      {
        commit: '5d9135f4',
        file: 'serial/components/virt_tx.c',
        before:
          '129-169 (tx_return: deferred notify of the driver at 160), 171-202 (tx_provide: deferred notify of the client at 200)',
        after: '129-169, 171-202 (microkit_notify in both)',
      },
    ],
    modelled:
      "the two-flag protocol of queue.h at 5d9135f4^, tx_pending, both notifies of one badge (driver bit and a client's bit), zero-initialised flags (a client's first transfer notifies it)",
    notModelled:
      "F8's missing re-check of that time is added (334e9be8) so that only F12 shows; the clients are putchar after 367d4231",
  },
];

const SERIAL_DEFAULTS = {
  capacity: 2,
  chars: 4,
  era: 0,
  clients: 1,
  driverCapacity: 0,
  colour: 0,
  chars1: 0,
  placement: 0,
  fences: 0,
  acquire: 0,
  batch: 0,
  driverStart: 0,
} as const;

export const serialTxEntry: ModelEntry = {
  name: 'serial-tx',
  description:
    'serial Tx: client → virt_tx → driver, producer_signalled handshake with seq_cst fences (era 1: the 2024 two-flag protocol)',
  defaultBounds: SERIAL_DEFAULTS,
  boundRanges: {
    capacity: { min: 1, max: 16, doc: "capacity of each client's serial queue" },
    chars: { min: 0, max: 16, doc: 'characters each client writes' },
    era: { min: 0, max: 1, doc: '0 = HEAD, 1 = the two-flag protocol of August 2024' },
    clients: { min: 1, max: 2, doc: 'clients (era 1; HEAD has one)' },
    driverCapacity: {
      min: 0,
      max: 16,
      doc: "the driver queue's capacity (0: the client's, doubled with colour as sdfgen does)",
    },
    colour: { min: 0, max: 1, doc: '1 = virt_tx wraps each transfer in colour codes (era 1)' },
    chars1: { min: 0, max: 16, doc: 'characters client 1 writes (era 1; 0 = chars)' },
    placement: {
      min: 0,
      max: 1,
      doc: '0 = any interleaving, 1 = clients on core 0, virt_tx and driver on core 1 (priority per core)',
    },
    fences: {
      min: 0,
      max: 3,
      doc: '0 = HEAD (seq_cst in request and require), 1 = none, 2 = request only, 3 = require only (era 0)',
    },
    acquire: {
      min: 0,
      max: 2,
      doc: '0 = HEAD (load_acquire of the other index on both sides), 1 = consumer only, 2 = none (era 0)',
    },
    batch: {
      min: 0,
      max: 1,
      doc: "1 = virt_tx moves a client's bytes with one serial_enqueue_batch (era 0)",
    },
    driverStart: {
      min: 0,
      max: 15,
      doc: "the driver queue's head and tail at the start (a queue that has carried that many bytes; era 0)",
    },
  },
  crossCheck: (b) => {
    const era = b['era'] ?? 0;
    if (era === 0 && ((b['clients'] ?? 1) !== 1 || (b['colour'] ?? 0) !== 0))
      return 'bounds clients and colour need era=1';
    // The 2024 protocol is modelled with HEAD's queue accesses under SC (serial-2024.ts): the
    // ordering switches of docs/weak-memory.md are HEAD's queue.h only.
    if (era === 1 && ((b['fences'] ?? 0) !== 0 || (b['acquire'] ?? 0) !== 0))
      return 'bounds fences and acquire need era=0';
    return null;
  },
  bugs: serialTxBugs,
  build: (opts) => buildSerialTx(opts).ts,
};

function serialQueue(layout: Layout, name: string, capacity: number): SerialQueueRef {
  return {
    name,
    tail: layout.alloc(`${name}.tail`),
    head: layout.alloc(`${name}.head`),
    producerSignalled: layout.alloc(`${name}.producer_signalled`),
    consumerSignalled: layout.alloc(`${name}.consumer_signalled`),
    data: layout.alloc(`${name}.data`, capacity),
    capacity,
  };
}

export function buildSerialTx(opts: ModelOptions): BuiltSystem {
  const extra = serialTxBugs.find((v) => v.id === opts.bug)?.bounds ?? {};
  const bounds = effectiveBounds(opts.bounds, serialTxEntry.defaultBounds, extra);
  validateBounds(serialTxEntry, bounds);
  const b = (k: string) => boundOf({ ...opts, bounds }, serialTxEntry.defaultBounds, k);
  return b('era') === 1 ? buildSerial2024(opts, b) : buildSerialHead(opts, b);
}

function buildSerialHead(opts: ModelOptions, b: (k: string) => number): BuiltSystem {
  const capacity = b('capacity');
  const chars = b('chars');
  const layout = new Layout();
  const client = serialQueue(layout, 'client_tx', capacity);
  const driver = serialQueue(layout, 'driver_tx', b('driverCapacity') || capacity);
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
    batch: b('batch') === 1,
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
      // Priorities as upstream's echo server (meta.py): serial_driver 100, serial_virt_tx 99,
      // the client (an echo client) 97.
      {
        name: 'client',
        program: serialClient(cfg),
        priority: 97,
        channels: { 0: { pd: 'virt_tx', ch: SVT_CH_CLIENT } },
      },
      {
        name: 'virt_tx',
        program: serialVirtTx(cfg),
        priority: 99,
        channels: {
          [SVT_CH_DRIVER]: { pd: 'driver', ch: 0 },
          [SVT_CH_CLIENT]: { pd: 'client', ch: 0 },
        },
      },
      {
        name: 'driver',
        program: serialDriver(cfg),
        priority: 100,
        channels: { 0: { pd: 'virt_tx', ch: SVT_CH_DRIVER } },
      },
    ],
    devices: [],
    ghostBase,
    ghostWords: SERIAL_GHOSTS,
    init: (s) => {
      s[driver.tail] = b('driverStart');
      s[driver.head] = b('driverStart');
    },
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
      if (len(s, client) > 0 && len(s, client) <= driver.capacity - len(s, driver)) {
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

function buildSerial2024(opts: ModelOptions, b: (k: string) => number): BuiltSystem {
  const capacity = b('capacity');
  const n = b('clients');
  const colour = b('colour') === 1;
  // sdfgen doubles the driver's Tx data region when colour is on (the F11 fix, 1ec06bad, did it
  // in the example's system files); F11 is the driver region as large as a client's.
  const driverCapacity =
    opts.bug === 'F11' ? capacity : b('driverCapacity') || (colour ? 2 * capacity : capacity);
  const layout = new Layout();
  const clients = Array.from({ length: n }, (_, k) =>
    serialQueue(layout, `client${k}_tx`, capacity),
  );
  const driver = serialQueue(layout, 'driver_tx', driverCapacity);
  const ghostWords = serial2024Ghosts(n);
  const ghostBase = layout.alloc('ghost', ghostWords);
  const cfg: Serial2024Config = {
    clients,
    driver,
    chars: b('chars'),
    chars1: b('chars1') || b('chars'),
    deferred: opts.bug === 'F12',
    oldPutchar: opts.bug === 'F10',
    recheck: true,
    colour,
    ...(opts.bug === 'F22' ? { pendingUnbounded: true } : {}),
  };
  const g = (s: State, i: number) => s[ghostBase + i] ?? 0;
  const len = (s: State, q: SerialQueueRef) =>
    ringLength(32, { tail: s[q.tail] ?? 0, head: s[q.head] ?? 0 });
  const cores = b('placement') === 1;
  const pds: PdSpec[] = [
    ...clients.map((_, k) => ({
      name: `client${k}`,
      program: serial2024Client(cfg, k),
      priority: 97,
      core: 0,
      channels: { 0: { pd: 'virt_tx', ch: 1 + k } },
    })),
    {
      name: 'virt_tx',
      program: serial2024VirtTx(cfg),
      priority: 99,
      core: 1,
      channels: Object.fromEntries([
        [S24_VT_CH_DRIVER, { pd: 'driver', ch: 0 }],
        ...clients.map((_, k) => [1 + k, { pd: `client${k}`, ch: 0 }]),
      ]),
    },
    {
      name: 'driver',
      program: serial2024Driver(cfg),
      priority: 100,
      core: 1,
      channels: { 0: { pd: 'virt_tx', ch: S24_VT_CH_DRIVER } },
    },
  ];
  return buildSystem({
    ...(opts.splitLocalSteps === true ? { splitLocalSteps: true } : {}),
    name: 'serial-tx',
    layout,
    memoryModel: opts.memoryModel,
    scheduling: cores ? 'cores' : 'any',
    pds,
    devices: [],
    ghostBase,
    ghostWords,
    init: () => undefined,
    invariants: [
      {
        name: 'queue-capacity',
        check: (s) => {
          for (const q of [...clients, driver]) {
            const broken = serialBoundsProblem((a) => s[a] ?? 0, q);
            if (broken !== null) return broken;
          }
          return null;
        },
      },
    ],
    stranded: (s) => {
      if (len(s, driver) > 0)
        return `lost wakeup: ${driver.name} holds ${len(s, driver)} char(s), driver blocked`;
      const free = driverCapacity - len(s, driver);
      for (const q of clients) {
        const need = len(s, q) + (colour ? S24_COLOUR_BYTES : 0);
        if (len(s, q) > 0 && need <= free)
          return `lost wakeup: ${q.name} holds ${len(s, q)} char(s) that fit, virt_tx blocked`;
      }
      for (let k = 0; k < n; k++) {
        const missing = g(s, s24Ghost(k, S24_ACCEPTED)) - g(s, s24Ghost(k, S24_EMITTED));
        if (missing > 0) return `stall: client${k}: ${missing} accepted char(s) never emitted`;
      }
      return null;
    },
    goal: (s) => {
      for (let k = 0; k < n; k++)
        if (g(s, s24Ghost(k, S24_EMITTED)) < g(s, s24Ghost(k, S24_ACCEPTED))) return false;
      return true;
    },
  });
}
