// Shared-memory layout between the worker scheduler (parallel.ts) and each PD's worker
// (worker-entry.ts). Every PD has one control block (Int32Array over a SharedArrayBuffer); a worker
// receives its own block and the blocks of the peers it may notify or ppcall — nothing else.

import type { MappingSpec } from '../mem/address-space.ts';
import type { PdFault } from '../mem/fault.ts';
import type { ComponentConfig } from './config.ts';
import type { RuntimeEvent } from './events.ts';

/** Notification word, channel ids 0..31 (Atomics.or sets a bit: seL4_Signal). */
export const CTRL_LO = 0;
/** Notification word, channel ids 32..61. */
export const CTRL_HI = 1;
/** Futex word: bumped after every signal; the PD waits on it (Atomics.wait) in "seL4_Recv". */
export const CTRL_SEQ = 2;
export const CTRL_STATE = 3;
export const CTRL_WAKES = 4;
/** IRQ acks posted to the main thread (the IRQ controller lives there). */
export const CTRL_IRQ_ACKS = 5;
/** PPC endpoint: 0 free, 1 claimed by a caller, 2 request ready, 3 reply ready. */
export const CTRL_PPC = 6;
export const CTRL_PPC_CH = 7;
export const CTRL_PPC_LABEL = 8;
export const CTRL_PPC_COUNT = 9;
/** PPC message words as (lo, hi) u32 pairs. */
export const CTRL_PPC_WORDS = 16;
export const CTRL_WORDS = CTRL_PPC_WORDS + 2 * 120;

export const PPC_FREE = 0;
export const PPC_CLAIMED = 1;
export const PPC_REQUEST = 2;
export const PPC_REPLY = 3;

export const STATE_BOOT = 0;
export const STATE_RUNNING = 1;
export const STATE_WAITING = 2;
export const STATE_STOPPED = 3;

/** Global block: activity epoch (bumped on every WAITING→RUNNING), and the stop flag. */
export const GLOBAL_EPOCH = 0;
export const GLOBAL_STOP = 1;
export const GLOBAL_WORDS = 2;

export interface PeerRef {
  readonly pd: string;
  readonly ctrl: SharedArrayBuffer;
}

export interface WorkerData {
  readonly config: ComponentConfig;
  /** Only this PD's maps, each with only its own region's buffer. */
  readonly mappings: readonly Omit<MappingSpec, 'mmio'>[];
  readonly ctrl: SharedArrayBuffer;
  readonly global: SharedArrayBuffer;
  readonly peers: readonly PeerRef[];
  readonly moduleUrl: string;
  readonly exportName: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly record: boolean;
  readonly maxRestarts: number;
  /** Crash at these wakes (1-based, init is wake 1): fault injection. */
  readonly crashAtWakes: readonly number[];
}

export type WorkerMessage =
  | { readonly t: 'fault'; readonly fault: PdFault; readonly restarted: boolean }
  | { readonly t: 'irq_ack'; readonly irq: number; readonly deferred: boolean }
  | {
      readonly t: 'done';
      readonly events: readonly RuntimeEvent[];
      readonly wakes: number;
      readonly restarts: number;
    };
