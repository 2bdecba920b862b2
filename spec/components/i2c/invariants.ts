// I²C invariants the run, the models and the refinement check assert (issue #13 parts 4, 5):
//  - atomicity: the committed part of the driver request queue is a sequence of whole
//    transactions — a header whose batch_len body commands follow, none of them a header — so the
//    driver never starts a transaction whose rest is missing or belongs to something else (U3);
//  - translation: every body command the driver is given points at a buffer [data, data + len)
//    inside one client's data region as the driver maps it (U4);
//  - the ownership list only names clients that exist.
import { I2cFlag, type I2cCmd } from '../../queue/i2c.ts';
import { i2cStateReqAbstraction, type I2cReqQueueState } from '../../queue/i2c-state.ts';
import { BUS_UNCLAIMED, parseHeader, type I2cVirtClient } from './virt.ts';

export function driverQueueProblem(
  capacity: number,
  q: I2cReqQueueState,
  clients: readonly I2cVirtClient[],
): string | null {
  return transactionsProblem(i2cStateReqAbstraction(capacity, q).items, clients);
}

/** `items` (commands in queue order) are whole transactions with bounded buffers, or a message. */
export function transactionsProblem(
  items: readonly I2cCmd[],
  clients: readonly I2cVirtClient[],
): string | null {
  let i = 0;
  while (i < items.length) {
    const h = items[i]!;
    const n = parseHeader(h);
    if (n <= 0)
      return `atomicity: driver queue entry ${i} is ${n === 0 ? 'a body command' : 'a malformed header'} where a transaction header belongs`;
    if (i + 1 + n > items.length)
      return `atomicity: a transaction of ${n} commands at entry ${i} is cut short (${items.length - i - 1} follow)`;
    for (let k = 1; k <= n; k++) {
      const b = items[i + k]!;
      if ((b.flagMask & I2cFlag.HEAD) !== 0)
        return `atomicity: entry ${i + k} is a header inside the transaction at ${i}`;
      const bad = bodyBoundsProblem(b, clients);
      if (bad !== null) return `translation: entry ${i + k}: ${bad}`;
    }
    i += n + 1;
  }
  return null;
}

export function bodyBoundsProblem(b: I2cCmd, clients: readonly I2cVirtClient[]): string | null {
  const end = b.payload + BigInt(b.dataLen);
  const inside = clients.some(
    (c) => b.payload >= c.driverDataVaddr && end <= c.driverDataVaddr + c.dataSizeBytes,
  );
  return inside
    ? null
    : `buffer [0x${b.payload.toString(16)}, +${b.dataLen}) is not inside any client's data region`;
}

export function securityProblem(security: readonly number[], clientCount: number): string | null {
  for (let a = 0; a < security.length; a++) {
    const o = security[a]!;
    if (o !== BUS_UNCLAIMED && (o < 0 || o >= clientCount || !Number.isInteger(o)))
      return `bus address 0x${a.toString(16)} is owned by ${o}, not a client`;
  }
  return null;
}
