// `serial-rx`: the UART's Rx FIFO → PL011 driver → virt_rx → clients (reference §2.4, §3.10 S2,
// §3.12; spec/components/serial-rx.ts). The asymmetric signalling of HEAD's queue.h: the driver,
// blocked on a full driver queue, arms `producer_signalled` and re-checks; virt_rx drains and
// signals it. Under SC, TSO, PSO, ARMv8 and RVWMO; `fences` removes either seq_cst fence of the
// pair (docs/weak-memory.md: each is necessary). With two clients the typed script switches from
// client 0 to client 1 with Ctrl-\ 1 Enter, through the switch machine of serial-virt.ts.
//
// The UART's FIFO is as deep as the script (at most 19 characters here, about its 16): no
// overrun, which would be a lost character, not a signalling bug, and would hide one.
import type { State } from '../../spec/common/transition.ts';
import {
  DRIVER_RX_CH_IRQ,
  DRIVER_RX_CH_VIRT,
  KEYBOARD_CH_DRIVER,
  serialKeyboard,
  VIRT_RX_CH_DRIVER,
  expectedStreams,
  rxTakenGhost,
  serialRxClient,
  serialRxDriver,
  serialRxGhosts,
  serialVirtRx,
  type SerialRxConfig,
} from '../../spec/components/serial-rx.ts';
import {
  SERIAL_SWITCH_CHAR,
  SERIAL_TERMINATE_NUM_CHAR,
} from '../../spec/components/serial-virt.ts';
import { ringLength } from '../../spec/queue/ring.ts';
import {
  SERIAL_ACQUIRE_BY_BOUND,
  SERIAL_FENCES_BY_BOUND,
  serialBoundsProblem,
  type SerialQueueRef,
} from '../../spec/queue/serial.ts';
import { boundOf, effectiveBounds, validateBounds } from './common.ts';
import { Layout } from './layout.ts';
import { buildSystem, type BuiltSystem, type PdSpec } from './runtime.ts';
import type { BugVariant, ModelEntry, ModelOptions } from './types.ts';

export const serialRxBugs: readonly BugVariant[] = [
  {
    id: 'F7',
    description:
      'PL011 driver before 0d513ad8: serial_require_consumer_signal (a query) where request belongs when the Rx queue is full: the flag is never armed, Rx stalls',
    expectedProperty: 'no-lost-wakeup',
    bounds: { chars: 3 },
    upstream: [
      {
        commit: '0d513ad8',
        file: 'drivers/serial/arm/uart.c',
        before:
          '87-91 (rx_return: RX interrupts off, `serial_require_consumer_signal(&rx_queue_handle)`)',
        after: '87-91 (`serial_request_consumer_signal(&rx_queue_handle)`)',
      },
    ],
    modelled:
      "the driver's rx_return (enqueue per character, interrupts off and the flag on a full queue, the re-check) and virt_rx's signal after draining",
    notModelled:
      'the imx and meson drivers (the same fix; meson also never disabled the Rx IRQ, cc1d1ceb): one PL011',
  },
];

const SERIAL_RX_DEFAULTS = {
  chars: 2,
  clients: 1,
  capacity: 1,
  driverCapacity: 1,
  arrivals: 0,
  fences: 0,
  acquire: 0,
} as const;

export const serialRxEntry: ModelEntry = {
  name: 'serial-rx',
  description:
    'serial Rx: UART → driver → virt_rx (switch machine) → clients; the driver arms producer_signalled on a full queue, virt_rx signals it',
  defaultBounds: SERIAL_RX_DEFAULTS,
  boundRanges: {
    chars: { min: 0, max: 8, doc: 'characters typed to each client' },
    clients: {
      min: 1,
      max: 2,
      doc: 'clients (2: the script switches to client 1 with Ctrl-\\ 1 Enter after client 0s characters)',
    },
    capacity: { min: 1, max: 8, doc: "each client's Rx queue capacity" },
    driverCapacity: { min: 1, max: 8, doc: "the driver's Rx queue capacity" },
    arrivals: {
      min: 0,
      max: 1,
      doc: '0 = every character waits in the UART at boot (small; the driver never races virt_rx), 1 = a keyboard PD types them one at a time, an interrupt each',
    },
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
  bugs: serialRxBugs,
  build: (opts) => buildSerialRx(opts).ts,
};

function serialQueue(layout: Layout, name: string, capacity: number): SerialQueueRef {
  return {
    name,
    tail: layout.alloc(`${name}.tail`),
    head: layout.alloc(`${name}.head`),
    producerSignalled: layout.alloc(`${name}.producer_signalled`),
    data: layout.alloc(`${name}.data`, capacity),
    capacity,
  };
}

/** The typed script: `chars` letters to client 0, then (two clients) a switch and `chars` more. */
export function serialRxScript(chars: number, clients: number): number[] {
  const letters = (from: number) => Array.from({ length: chars }, (_, i) => from + i);
  if (clients === 1) return letters(0x61);
  return [...letters(0x61), SERIAL_SWITCH_CHAR, 0x31, SERIAL_TERMINATE_NUM_CHAR, ...letters(0x41)];
}

export function buildSerialRx(opts: ModelOptions): BuiltSystem {
  const extra = serialRxBugs.find((v) => v.id === opts.bug)?.bounds ?? {};
  const bounds = effectiveBounds(opts.bounds, serialRxEntry.defaultBounds, extra);
  validateBounds(serialRxEntry, bounds);
  const b = (k: string) => boundOf({ ...opts, bounds }, serialRxEntry.defaultBounds, k);
  const n = b('clients');
  const layout = new Layout();
  const driver = serialQueue(layout, 'driver_rx', b('driverCapacity'));
  const clients = Array.from({ length: n }, (_, k) =>
    serialQueue(layout, `client${k}_rx`, b('capacity')),
  );
  const arrivals = b('arrivals') === 1;
  const uart = arrivals
    ? { received: layout.alloc('uart.received'), imsc: layout.alloc('uart.imsc_rx') }
    : null;
  const ghostWords = serialRxGhosts(n);
  const ghostBase = layout.alloc('ghost', ghostWords);
  const script = serialRxScript(b('chars'), n);
  const cfg: SerialRxConfig = {
    driver,
    clients,
    uart,
    script,
    flavour: {
      fences: SERIAL_FENCES_BY_BOUND[b('fences')]!,
      acquire: SERIAL_ACQUIRE_BY_BOUND[b('acquire')]!,
    },
    ...(opts.bug === 'F7' ? { bug: 'F7' as const } : {}),
    switch: { switchChar: SERIAL_SWITCH_CHAR, terminateChar: SERIAL_TERMINATE_NUM_CHAR },
  };
  const expected = expectedStreams(cfg);
  const len = (s: State, q: SerialQueueRef) =>
    ringLength(32, { tail: s[q.tail] ?? 0, head: s[q.head] ?? 0 });
  const g = (s: State, i: number) => s[ghostBase + i] ?? 0;
  const pds: PdSpec[] = [
    // Priorities as the serial example: driver 100, virt_rx 98, clients 97.
    {
      name: 'driver',
      program: serialRxDriver(cfg),
      priority: 100,
      channels: { [DRIVER_RX_CH_VIRT]: { pd: 'virt_rx', ch: VIRT_RX_CH_DRIVER } },
    },
    {
      name: 'virt_rx',
      program: serialVirtRx(cfg),
      priority: 98,
      channels: Object.fromEntries([
        [VIRT_RX_CH_DRIVER, { pd: 'driver', ch: DRIVER_RX_CH_VIRT }],
        ...clients.map((_, k) => [1 + k, { pd: `client${k}`, ch: 0 }]),
      ]),
    },
    ...(uart === null
      ? []
      : [
          {
            name: 'keyboard',
            program: serialKeyboard(cfg),
            // An interrupt source: it may act between any two steps of the others.
            priority: 101,
            channels: { [KEYBOARD_CH_DRIVER]: { pd: 'driver', ch: DRIVER_RX_CH_IRQ } },
          },
        ]),
    ...clients.map((_, k) => ({
      name: `client${k}`,
      program: serialRxClient(cfg, k, expected[k]!),
      priority: 97,
      channels: { 0: { pd: 'virt_rx', ch: 1 + k } },
    })),
  ];
  return buildSystem({
    ...(opts.splitLocalSteps === true ? { splitLocalSteps: true } : {}),
    name: 'serial-rx',
    layout,
    memoryModel: opts.memoryModel,
    scheduling: 'any',
    pds,
    devices: [],
    ghostBase,
    ghostWords,
    // uart_setup: RX/RT interrupts on (the model starts after it).
    init: (s) => {
      if (uart !== null) s[uart.imsc] = 1;
    },
    invariants: [
      {
        name: 'queue-capacity',
        check: (s) => {
          for (const q of [driver, ...clients]) {
            const broken = serialBoundsProblem((a) => s[a] ?? 0, q);
            if (broken !== null) return broken;
          }
          return null;
        },
      },
    ],
    stranded: (s) => {
      // At quiescence the keyboard has typed everything.
      const inUart = script.length - g(s, rxTakenGhost(n));
      if (inUart > 0)
        return `lost wakeup: ${inUart} character(s) wait in the UART, the driver is not woken`;
      if (len(s, driver) > 0)
        return `lost wakeup: ${driver.name} holds ${len(s, driver)} character(s), virt_rx blocked`;
      for (const q of clients)
        if (len(s, q) > 0) return `lost wakeup: ${q.name} holds ${len(s, q)} character(s)`;
      return null;
    },
    goal: (s) =>
      g(s, rxTakenGhost(n)) >= script.length &&
      len(s, driver) === 0 &&
      clients.every((q) => len(s, q) === 0),
  });
}
