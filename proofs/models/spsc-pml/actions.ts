// The actions of the spsc.pml port (spsc-pml.ts), in the sDDF vocabulary: one per Promela
// statement group the model steps through, with the memory access it performs.
import type { ActionInfo } from '../../../spec/common/transition.ts';

// Actions (the engine's indices), in the sDDF vocabulary.
export const A = {
  enqueue: 0,
  publishTail: 1,
  storeBuffered: 2,
  requireSignal: 3,
  producerCancel: 4,
  notify: 5,
  waitForSpace: 6,
  finish: 7,
  notified: 8,
  dequeue: 9,
  publishHead: 10,
  empty: 11,
  requestSignal: 12,
  recheck: 13,
  consumerCancel: 14,
  checkSpace: 15,
  assertSpace: 16,
  checkPayload: 17,
  count: 18,
} as const;

export const ACTIONS: readonly ActionInfo[] = [
  {
    name: 'producer.enqueue',
    pd: 'producer',
    memory: 'load hd; store ring[ptl % CAP]',
    touches: 'active.buffers',
  },
  {
    name: 'producer.publish_tail',
    pd: 'producer',
    memory: 'store tl',
    touches: 'active.tail',
    peer: 'consumer',
  },
  { name: 'producer.store_buffered', pd: 'producer', touches: 'active.tail' },
  {
    name: 'producer.require_signal',
    pd: 'producer',
    memory: 'load consumer_signalled',
    touches: 'active.consumer_signalled',
  },
  {
    name: 'producer.cancel_signal',
    pd: 'producer',
    memory: 'store consumer_signalled = 1',
    touches: 'active.consumer_signalled',
  },
  { name: 'producer.notify', pd: 'producer', memory: 'signal notif', peer: 'consumer' },
  { name: 'producer.wait_for_space', pd: 'producer', memory: 'load hd', touches: 'active.head' },
  { name: 'producer.finish', pd: 'producer', memory: 'store pdone' },
  { name: 'consumer.notified', pd: 'consumer', memory: 'wait notif' },
  {
    name: 'consumer.dequeue',
    pd: 'consumer',
    memory: 'load tl; load ring[hd % CAP]',
    touches: 'active.buffers',
  },
  {
    name: 'consumer.publish_head',
    pd: 'consumer',
    memory: 'store hd',
    touches: 'active.head',
    peer: 'producer',
  },
  { name: 'consumer.empty', pd: 'consumer', memory: 'load tl', touches: 'active.tail' },
  {
    name: 'consumer.request_signal',
    pd: 'consumer',
    memory: 'store consumer_signalled = 0',
    touches: 'active.consumer_signalled',
  },
  { name: 'consumer.recheck', pd: 'consumer', memory: 'load tl', touches: 'active.tail' },
  {
    name: 'consumer.cancel_signal',
    pd: 'consumer',
    memory: 'store consumer_signalled = 1',
    touches: 'active.consumer_signalled',
  },
  // Statement grain only: the steps the default grain merges into enqueue and dequeue.
  { name: 'producer.check_space', pd: 'producer', memory: 'load hd', touches: 'active.head' },
  { name: 'producer.assert_space', pd: 'producer', memory: 'load hd', touches: 'active.head' },
  {
    name: 'consumer.check_payload',
    pd: 'consumer',
    memory: 'load ring[hd % CAP]',
    touches: 'active.buffers',
  },
  { name: 'consumer.count', pd: 'consumer', memory: 'store consumed' },
];
