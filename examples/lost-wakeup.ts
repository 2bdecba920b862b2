// A user-written model (docs/writing-a-model.md walks through it): two PDs, a client that sends
// requests to a server through a shared queue, and the sDDF signalling handshake between them
// (reference: the `consumer_signalled` flag of the sDDF queues; the server asks to be signalled
// before it sleeps, the client notifies only when asked).
//
//   client: enqueue; if (!consumer_signalled) { consumer_signalled = 1; notify(server) }
//   server: while (queue not empty) dequeue and handle;
//           consumer_signalled = 0;                       // request_signal
//           if (queue not empty) { consumer_signalled = 1; continue }   // recheck
//           wait for a notification
//
// The seeded bug `no-recheck` drops the recheck: a request enqueued after the server saw an empty
// queue, but before it asked to be signalled, is never noticed (the client saw
// `consumer_signalled = 1`, so it did not notify) and the server sleeps forever with work in its
// queue: a lost wakeup.
//
//   npx sddf mc --model examples/lost-wakeup.ts                   # holds
//   npx sddf mc --model examples/lost-wakeup.ts --bug no-recheck  # violated: no-lost-wakeup
//   npx sddf replay out/mc/lost-wakeup-no-recheck.itf.json --format mermaid
import { guardedSystem, type ModelEntry, type ModelOptions, type Vars } from 'sddf-model/mc';

/** Server program counter: where the server is in its loop. */
const RUNNING = 0; // draining the queue
const SAW_EMPTY = 1; // read the queue as empty, about to ask for a signal
const RECHECK = 2; // asked for a signal, about to look at the queue again
const WAITING = 3; // blocked until notified
const HANDLING = 4; // handling the request it dequeued (private work)

type V =
  | 'queue.length'
  | 'queue.consumer_signalled'
  | 'client.sent'
  | 'client.pc'
  | 'server.pc'
  | 'server.notification'
  | 'server.inflight'
  | 'server.handled';

function build(opts: ModelOptions) {
  const items = opts.bounds['items']!;
  const capacity = opts.bounds['capacity']!;
  const recheck = opts.bug !== 'no-recheck';
  const vars: Vars<V> = {
    'queue.length': 0,
    // The server starts awake: the client need not notify it.
    'queue.consumer_signalled': 1,
    'client.sent': 0,
    'client.pc': 0, // 0: may enqueue, 1: enqueued, must decide whether to notify
    'server.pc': RUNNING,
    'server.notification': 0,
    'server.inflight': 0,
    'server.handled': 0,
  };
  return guardedSystem<V>({
    name: 'lost-wakeup',
    vars,
    actions: [
      {
        name: 'client.enqueue',
        pd: 'client',
        touches: 'queue',
        when: (s) =>
          s['client.pc'] === 0 && s['client.sent'] < items && s['queue.length'] < capacity,
        then: (s) => {
          s['queue.length'] += 1;
          s['client.sent'] += 1;
          s['client.pc'] = 1;
        },
      },
      {
        name: 'client.notify_if_requested',
        pd: 'client',
        touches: 'queue.consumer_signalled',
        // No `peer`: it notifies only sometimes. Traces draw the arrow when it does, from the rise
        // of `server.notification` (the receiving PD's notification word).
        when: (s) => s['client.pc'] === 1,
        then: (s) => {
          if (s['queue.consumer_signalled'] === 0) {
            s['queue.consumer_signalled'] = 1;
            s['server.notification'] = 1;
          }
          s['client.pc'] = 0;
        },
      },
      {
        name: 'server.dequeue',
        pd: 'server',
        touches: 'queue',
        when: (s) => s['server.pc'] === RUNNING && s['queue.length'] > 0,
        then: (s) => {
          s['queue.length'] -= 1;
          s['server.inflight'] = 1;
          s['server.pc'] = HANDLING;
        },
      },
      {
        // Touches only the server's own variables: a partial-order hint the engine may use.
        name: 'server.handle',
        pd: 'server',
        local: true,
        when: (s) => s['server.pc'] === HANDLING,
        then: (s) => {
          s['server.inflight'] = 0;
          s['server.handled'] += 1;
          s['server.pc'] = RUNNING;
        },
      },
      {
        name: 'server.see_empty',
        pd: 'server',
        touches: 'queue',
        when: (s) => s['server.pc'] === RUNNING && s['queue.length'] === 0,
        then: (s) => {
          s['server.pc'] = SAW_EMPTY;
        },
      },
      {
        name: 'server.request_signal',
        pd: 'server',
        touches: 'queue.consumer_signalled',
        when: (s) => s['server.pc'] === SAW_EMPTY,
        then: (s) => {
          s['queue.consumer_signalled'] = 0;
          s['server.pc'] = recheck ? RECHECK : WAITING;
        },
      },
      {
        name: 'server.recheck',
        pd: 'server',
        touches: 'queue',
        when: (s) => s['server.pc'] === RECHECK,
        then: (s) => {
          if (s['queue.length'] > 0) {
            s['queue.consumer_signalled'] = 1; // cancel_signal: carry on draining
            s['server.pc'] = RUNNING;
          } else {
            s['server.pc'] = WAITING;
          }
        },
      },
      {
        name: 'server.wake',
        pd: 'server',
        when: (s) => s['server.pc'] === WAITING && s['server.notification'] === 1,
        then: (s) => {
          s['server.notification'] = 0;
          s['server.pc'] = RUNNING;
        },
      },
    ],
    invariants: [
      {
        name: 'queue-bounds',
        check: (s) =>
          s['queue.length'] <= capacity
            ? null
            : `queue length ${s['queue.length']} exceeds capacity ${capacity}`,
      },
      {
        name: 'requests-conserved',
        check: (s) => {
          const accounted = s['queue.length'] + s['server.inflight'] + s['server.handled'];
          return accounted === s['client.sent']
            ? null
            : `sent ${s['client.sent']} but queued + in flight + handled = ${accounted}`;
        },
      },
    ],
    // No step enabled: fine when every request was handled; otherwise work is stranded.
    stuck: (s) =>
      s['server.handled'] === items
        ? null
        : `lost wakeup: ${s['queue.length']} request(s) in the queue, server waiting, ` +
          `no notification pending (consumer_signalled=${s['queue.consumer_signalled']})`,
  });
}

const lostWakeup: ModelEntry = {
  name: 'lost-wakeup',
  description: 'example: a client and a server sharing a queue with the sDDF signalling handshake',
  defaultBounds: { items: 3, capacity: 2 },
  boundRanges: {
    items: { min: 1, max: 8, doc: 'requests the client sends' },
    capacity: { min: 1, max: 4, doc: 'queue slots' },
  },
  bugs: [
    {
      id: 'no-recheck',
      description: 'the server does not look at the queue again after asking to be signalled',
      expectedProperty: 'no-lost-wakeup',
    },
  ],
  build,
};

export default lostWakeup;
