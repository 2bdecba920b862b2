// The steps of `spsc` (proofs/models/spsc.ts) in the sDDF vocabulary, with the queue.h call each
// performs, and the program counters of its producer and consumer.
import type { ActionInfo } from '../../../spec/common/transition.ts';

/** Producer pcs: the batch loop, the notify decision, then finishing or waiting for space. */
export const SPSC_PRODUCER_PCS = ['loop', 'cancel_signal', 'notify', 'after_batch', 'end'] as const;
export const P_LOOP = 0;
export const P_CANCEL = 1;
export const P_NOTIFY = 2;
export const P_AFTER = 3;
export const P_END = 4;

/** Consumer pcs: waiting for the notification, draining, arming, re-checking, cancelling. */
export const SPSC_CONSUMER_PCS = [
  'wait',
  'drain',
  'request_signal',
  'recheck',
  'cancel_signal',
] as const;
export const C_WAIT = 0;
export const C_DRAIN = 1;
export const C_REQ = 2;
export const C_RECHECK = 3;
export const C_CANCEL = 4;

export const ERR_NONE = 0;
export const ERR_FIFO = 1;
export const ERR_OVERFLOW = 2;

export const STEPS: readonly ActionInfo[] = [
  {
    name: 'producer.enqueue',
    pd: 'producer',
    memory: 'net_enqueue_active',
    touches: 'active.buffers',
    peer: 'consumer',
  },
  {
    name: 'producer.require_signal',
    pd: 'producer',
    memory: 'net_require_signal_active',
    touches: 'active.consumer_signalled',
  },
  {
    name: 'producer.cancel_signal',
    pd: 'producer',
    memory: 'net_cancel_signal_active',
    touches: 'active.consumer_signalled',
  },
  { name: 'producer.notify', pd: 'producer', memory: 'microkit_notify', peer: 'consumer' },
  {
    name: 'producer.wait_for_space',
    pd: 'producer',
    memory: 'net_queue_full_active',
    touches: 'active.head',
  },
  { name: 'producer.finish', pd: 'producer', memory: 'store pdone' },
  { name: 'consumer.notified', pd: 'consumer', memory: 'seL4_Recv' },
  {
    name: 'consumer.dequeue',
    pd: 'consumer',
    memory: 'net_dequeue_active',
    touches: 'active.buffers',
    peer: 'producer',
  },
  {
    name: 'consumer.empty',
    pd: 'consumer',
    memory: 'net_queue_empty_active',
    touches: 'active.tail',
  },
  {
    name: 'consumer.request_signal',
    pd: 'consumer',
    memory: 'net_request_signal_active',
    touches: 'active.consumer_signalled',
  },
  {
    name: 'consumer.recheck',
    pd: 'consumer',
    memory: 'net_queue_empty_active',
    touches: 'active.tail',
  },
  {
    name: 'consumer.cancel_signal',
    pd: 'consumer',
    memory: 'net_cancel_signal_active',
    touches: 'active.consumer_signalled',
  },
  // flag-first only: the batch ends on the flag value read before it (no access).
  { name: 'producer.end_batch', pd: 'producer' },
];
export const A = {
  enqueue: 0,
  requireSignal: 1,
  producerCancel: 2,
  notify: 3,
  waitForSpace: 4,
  finish: 5,
  notified: 6,
  dequeue: 7,
  empty: 8,
  requestSignal: 9,
  recheck: 10,
  consumerCancel: 11,
  endBatch: 12,
} as const;
