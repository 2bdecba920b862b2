// The I²C driver's side of the queues, once (upstream au-ts/sddf 650ace5d drivers/i2c/i2c_common.c
// state_req, state_sel_cmd, state_resp; reference sddf-protocols.md §3.14): take the next
// transaction — discard commands until a header, then batch_len body commands — and answer each
// transaction with one response `{err_cmd, bus_address, error}`. How the commands reach the bus is
// the driver's own (impl/drivers/i2c/driver.ts); this is what the virt and the models rely on.
import { I2cFlag, type I2cCmd } from '../../queue/i2c.ts';
import { i2cStateDequeueRequest, type I2cReqQueueState } from '../../queue/i2c-state.ts';
import { ringLength } from '../../queue/ring.ts';
import { headerAddress } from './virt.ts';

/** `I2C_MAX_DATA_SIZE` (queue.h): state_req asserts batch_len ≤ it. */
export const I2C_MAX_DATA_SIZE = 256;

export interface I2cTransaction {
  readonly address: number;
  readonly header: I2cCmd;
  readonly body: readonly I2cCmd[];
}

/**
 * `state_req` + the `state_sel_cmd` dequeues: null when no header is left (the discarded commands
 * are counted); `incoherent` when the header claims more commands than are committed (upstream
 * asserts: the virt is broken).
 */
export function driverTake(
  capacity: number,
  q0: I2cReqQueueState,
):
  | { readonly kind: 'empty'; readonly state: I2cReqQueueState; readonly discarded: number }
  | { readonly kind: 'incoherent'; readonly state: I2cReqQueueState; readonly why: string }
  | {
      readonly kind: 'transaction';
      readonly state: I2cReqQueueState;
      readonly transaction: I2cTransaction;
      readonly discarded: number;
    } {
  let q = q0;
  let discarded = 0;
  for (let guard = 0; guard <= capacity; guard++) {
    const d = i2cStateDequeueRequest(capacity, q);
    if (d.item === null) return { kind: 'empty', state: q, discarded };
    q = d.state;
    if ((d.item.flagMask & I2cFlag.HEAD) === 0) {
      discarded++;
      continue;
    }
    const n = Number(d.item.payload & 0xffffn);
    const left = ringLength(32, q);
    if (n > I2C_MAX_DATA_SIZE || n > left) {
      return {
        kind: 'incoherent',
        state: q,
        why: `header claims ${n} commands, ${left} committed (i2c_common.c state_req assert)`,
      };
    }
    const body: I2cCmd[] = [];
    for (let k = 0; k < n; k++) {
      const b = i2cStateDequeueRequest(capacity, q);
      q = b.state;
      body.push(b.item!);
    }
    return {
      kind: 'transaction',
      state: q,
      transaction: { address: headerAddress(d.item), header: d.item, body },
      discarded,
    };
  }
  return { kind: 'empty', state: q, discarded };
}
