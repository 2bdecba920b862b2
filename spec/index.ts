// Public entry `sddf-model/spec`: the executable specifications and the types every layer
// shares. The model-checking contract (TransitionSystem), located user errors with their stable
// codes, exact C integer widths, and the queue, signalling and Microkit specifications by module.
export * from './common/diagnostic.ts';
export type * from './common/transition.ts';
export { assert, InvariantError, unreachable } from './common/assert.ts';
export * from './common/int.ts';
export * as abstractQueue from './queue/abstract.ts';
export * as netQueue from './queue/net.ts';
export * as blkQueue from './queue/blk.ts';
export * as serialQueue from './queue/serial.ts';
export * as i2cQueue from './queue/i2c.ts';
export * as handshake from './signal/handshake.ts';
export * as notification from './signal/notification.ts';
export * as microkit from './microkit/semantics.ts';
export type * from './system/model.ts';
