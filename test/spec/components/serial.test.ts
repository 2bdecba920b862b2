// Serial virt_tx at HEAD (serial/components/virt_tx.c at au-ts/sddf 650ace5d, lines 78-114): after
// request_consumer_signal, a re-check that finds room transfers and leaves the flag armed (no
// cancel), as upstream does (issue 12 part 3).
import { describe, expect, it } from 'vitest';
import { buildSerialTx } from '../../../proofs/models/serial-tx.ts';
import { FLAG_WANTS_SIGNAL } from '../../../spec/signal/handshake.ts';
import { field, runWhile, take } from '../../proofs/models/helpers.ts';

describe('serial virt_tx re-check (HEAD)', () => {
  it('a successful re-check transfers and leaves producer_signalled armed', () => {
    const ts = buildSerialTx({ memoryModel: 'sc', bounds: { capacity: 2, chars: 4 } }).ts;
    let s = ts.initialStates()[0]!;
    // The client fills its queue (2), virt_tx moves both to the driver queue (now full).
    s = runWhile(ts, s, ['client.']);
    s = runWhile(ts, s, ['virt_tx.']);
    expect(field(ts, s, 'driver_tx.tail')).toBe(2);
    // The client writes two more; virt_tx finds they do not fit and requests the driver's signal.
    s = runWhile(ts, s, ['client.']);
    s = take(ts, s, 'virt_tx.recv');
    s = take(ts, s, 'virt_tx.process_tx_queue.length');
    s = take(ts, s, 'virt_tx.process_tx_queue.request_consumer_signal');
    expect(field(ts, s, 'driver_tx.producer_signalled')).toBe(FLAG_WANTS_SIGNAL);
    // The driver drains before virt_tx re-checks (its notify step has not run yet).
    s = take(ts, s, 'driver.recv');
    s = take(ts, s, 'driver.tx_provide.process');
    s = take(ts, s, 'driver.tx_provide.process');
    s = take(ts, s, 'virt_tx.process_tx_queue.recheck');
    s = take(ts, s, 'virt_tx.process_tx_queue.transfer_all');
    expect(field(ts, s, 'driver_tx.tail')).toBe(4); // transferred
    expect(field(ts, s, 'driver_tx.producer_signalled')).toBe(FLAG_WANTS_SIGNAL); // still armed
  });
});
