// Shared-memory layout between the worker scheduler (parallel.ts) and each PD's worker
// (worker-entry.ts). Every PD has one control block (Int32Array over a SharedArrayBuffer); a worker
// receives its own block and the blocks of the peers it may notify or ppcall — nothing else.

import type { MappingSpec } from '../mem/address-space.ts';
import type { HostedDeviceData } from './hosted.ts';
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
/** PPC endpoint: 0 free, 1 claimed by a caller, 2 request ready, 3 reply ready, 4 callee faulted. */
export const CTRL_PPC = 6;
export const CTRL_PPC_CH = 7;
export const CTRL_PPC_LABEL = 8;
export const CTRL_PPC_COUNT = 9;
/** 1 while a device hosted in this worker still has work of its own (hosted.ts). */
export const CTRL_DEVICE_BUSY = 10;
/** PPC message words as (lo, hi) u32 pairs. */
export const CTRL_PPC_WORDS = 16;
export const CTRL_WORDS = CTRL_PPC_WORDS + 2 * 120;

export const PPC_FREE = 0;
export const PPC_CLAIMED = 1;
export const PPC_REQUEST = 2;
export const PPC_REPLY = 3;
export const PPC_FAILED = 4;

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
  /** Devices whose registers this PD maps, hosted in its worker (hosted.ts). */
  readonly devices?: readonly HostedDeviceData[];
}

export type WorkerMessage =
  | { readonly t: 'fault'; readonly fault: PdFault; readonly restarted: boolean }
  | { readonly t: 'irq_ack'; readonly irq: number; readonly deferred: boolean }
  | {
      readonly t: 'done';
      readonly events: readonly RuntimeEvent[];
      readonly wakes: number;
      readonly restarts: number;
      /** Each hosted device's result(), in WorkerData.devices order. */
      readonly devices?: readonly unknown[];
    };

/** seL4_Signal on a PD's notification: set the bit, bump the futex word, wake the waiter. */
export function signalBlock(block: Int32Array, id: number): void {
  if (id < 32) Atomics.or(block, CTRL_LO, 1 << id);
  else Atomics.or(block, CTRL_HI, 1 << (id - 32));
  Atomics.add(block, CTRL_SEQ, 1);
  Atomics.notify(block, CTRL_SEQ);
}

/**
 * Every state change of a PD bumps the global epoch *first*. scanQuiescent relies on it: an
 * unchanged epoch across a scan means no PD changed state during the scan.
 */
export function setState(ctrl: Int32Array, global: Int32Array, state: number): void {
  Atomics.add(global, GLOBAL_EPOCH, 1);
  Atomics.store(ctrl, CTRL_STATE, state);
}

export interface ScanEntry {
  readonly ctrl: Int32Array;
  /** IRQ acks the main thread has processed for this PD. */
  readonly irqAcksSeen: number;
}

/**
 * Quiescence: every PD WAITING (or STOPPED) with an empty notification word, a free PPC endpoint
 * and no IRQ ack in flight, and the epoch unchanged across the scan. Since every state change
 * bumps the epoch first (setState), an unchanged epoch means each PD stayed in the state the scan
 * read for the whole scan: nobody ran, nobody signalled, and a word read as zero is still zero.
 * Bumping only when leaving WAITING is not enough: a PD running when the scan starts could signal
 * a PD the scan has already passed and then block before the scan reaches it (found by the
 * 100 000-round bench). `between` is a test hook run after each PD is read.
 */
export function scanQuiescent(
  entries: readonly ScanEntry[],
  global: Int32Array,
  between?: (index: number) => void,
): boolean {
  const before = Atomics.load(global, GLOBAL_EPOCH);
  for (let i = 0; i < entries.length; i++) {
    const { ctrl, irqAcksSeen } = entries[i]!;
    const state = Atomics.load(ctrl, CTRL_STATE);
    if (state !== STATE_STOPPED) {
      if (state !== STATE_WAITING) return false;
      if ((Atomics.load(ctrl, CTRL_LO) | Atomics.load(ctrl, CTRL_HI)) !== 0) return false;
      if (Atomics.load(ctrl, CTRL_PPC) !== PPC_FREE) return false;
      if (Atomics.load(ctrl, CTRL_IRQ_ACKS) !== irqAcksSeen) return false;
      if (Atomics.load(ctrl, CTRL_DEVICE_BUSY) !== 0) return false;
    }
    between?.(i);
  }
  return Atomics.load(global, GLOBAL_EPOCH) === before;
}
