// What a component sees (issue #5 part 2): the Microkit entry points it implements and the
// `MicrokitApi` it calls (seL4/microkit libmicrokit/include/microkit.h, sddf-protocols.md §1).
// The same component code runs under the deterministic and the worker scheduler.

import type { AddressSpace } from '../mem/address-space.ts';
import type { ComponentConfig } from './config.ts';

/** seL4 IPC message: a label and message-register words (seL4_MsgMaxLength is 120 words). */
export interface PpcMessage {
  readonly label: number;
  readonly words: readonly bigint[];
}

/** Words a PPC message may carry (seL4_MsgMaxLength). */
export const MAX_PPC_WORDS = 120;

export interface MicrokitApi {
  /** `microkit_name`. */
  readonly name: string;
  /** Memory, only through this PD's own maps. */
  readonly mem: AddressSpace;
  /** `microkit_notify(ch)`: sets the peer's bit at once. */
  notify(ch: number): void;
  /** `microkit_deferred_notify(ch)`: fills the single deferred slot (a second call overwrites it). */
  deferredNotify(ch: number): void;
  /** `microkit_irq_ack(ch)`. */
  irqAck(ch: number): void;
  /** `microkit_deferred_irq_ack(ch)`: shares the single deferred slot with deferredNotify. */
  deferredIrqAck(ch: number): void;
  /** `microkit_ppcall(ch, msginfo)`: synchronous, to a strictly higher-priority PD only. */
  ppcall(ch: number, msg: PpcMessage): PpcMessage;
  /** The channel a deferred notify in the slot targets, else null (sddf_deferred_notify_curr). */
  deferredCurrent(): number | null;
}

/** A PD's program: Microkit's three entry points. */
export interface Component {
  init(): void;
  notified(ch: number): void;
  protected?(ch: number, msg: PpcMessage): PpcMessage;
}

export interface ComponentContext {
  readonly api: MicrokitApi;
  readonly config: ComponentConfig;
  /** Extra, non-SDF parameters from the registry binding (e.g. a round count for a test). */
  readonly params: Readonly<Record<string, unknown>>;
  /**
   * How many earlier instances of this PD completed `init()` (0 at boot). A Microkit monitor
   * restarts a PD at an entry point of its choosing (`microkit_pd_restart`); this is how a
   * restarted component knows to re-attach to its shared state instead of initialising it. An
   * instance that faulted before its `init()` returned is not counted: it initialised nothing a
   * successor could re-attach to, so the successor initialises (ADR 020 "Findings": a count of
   * restarts made a PD that crashed at its first wake skip `net_buffers_init`, losing buffers).
   */
  readonly restarts?: number;
}

/** Makes a fresh instance: a restart builds a new one (private state is the ELF's, reset). */
export type ComponentFactory = (ctx: ComponentContext) => Component;
