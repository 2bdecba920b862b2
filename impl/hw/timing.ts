// Adversarial device timing (issue #14 part 3): a seeded scheduler for devices in agent timing.
// At every yield point (a driver's memory or register access, a scheduler step) it may let the
// devices act, choosing with its PRNG how many actions and which: read an avail ring without a
// notify, complete some held requests, raise a decided interrupt late, raise a spurious one, ask
// the driver not to notify, deliver a waiting frame. So completions land between a driver's drain
// and its acknowledge, interrupts are coalesced or delayed, and a driver that publishes avail.idx
// before the ring entry is read mid-publish. The same seed replays the same choices.

import { assert } from '../../spec/common/assert.ts';
import { describeAction, isSettlingAction, type AgentAction, type DeviceAgent } from './agent.ts';
import { SeededRng } from './rng.ts';

export interface AdversarialOptions {
  readonly seed: number;
  /** Chance, in 256ths, that a yield point lets the devices act (default 96). */
  readonly actPer256?: number;
  /** Most actions at one yield point (default 3). */
  readonly maxBurst?: number;
  /** Allow spurious interrupts and notification suppression (default true). */
  readonly hostile?: boolean;
  /** Keep the last actions taken, for a failure report (default 0: none kept). */
  readonly keepLog?: number;
}

/** Bound on the rounds of `settle()`: each round performs every settling action once. */
export const MAX_SETTLE_ROUNDS = 1000;

/** Order in which a settling round finishes owed work. */
const SETTLE_ORDER: readonly AgentAction['kind'][] = [
  'resume-notify',
  'rx-frame',
  'poll',
  'complete',
  'interrupt',
  'drain-tx',
];

export class AdversarialTiming {
  readonly seed: number;
  readonly #agents: readonly DeviceAgent[];
  readonly #rng: SeededRng;
  readonly #actPer256: number;
  readonly #maxBurst: number;
  readonly #hostile: boolean;
  readonly #keepLog: number;
  readonly #log: string[] = [];
  #yields = 0;
  #actions = 0;
  /** Re-entrancy guard: a device action that reaches a yield point does not nest. */
  #acting = false;

  constructor(agents: readonly DeviceAgent[], options: AdversarialOptions) {
    const actPer256 = options.actPer256 ?? 96;
    const maxBurst = options.maxBurst ?? 3;
    assert(actPer256 >= 0 && actPer256 <= 256, `actPer256 in [0, 256], got ${actPer256}`);
    assert(Number.isInteger(maxBurst) && maxBurst >= 1, `maxBurst ≥ 1, got ${maxBurst}`);
    this.seed = options.seed;
    this.#agents = agents;
    this.#rng = new SeededRng(options.seed);
    this.#actPer256 = actPer256;
    this.#maxBurst = maxBurst;
    this.#hostile = options.hostile ?? true;
    this.#keepLog = options.keepLog ?? 0;
  }

  /** Actions performed so far. */
  get actions(): number {
    return this.#actions;
  }
  /** The last actions (as `yield#: device action`), when `keepLog` was set. */
  get log(): readonly string[] {
    return this.#log;
  }

  /** Some device still owes work. */
  busy(): boolean {
    return this.#agents.some((a) => a.agentBusy());
  }

  /** A point where the devices may act before the caller goes on; returns how many actions. */
  yieldPoint(): number {
    this.#yields++;
    if (this.#acting) return 0;
    if (this.#rng.below(256) >= this.#actPer256) return 0;
    const burst = 1 + this.#rng.below(this.#maxBurst);
    let done = 0;
    for (let i = 0; i < burst && this.#step(this.#hostile ? 'any' : 'settling'); i++) done++;
    return done;
  }

  /** One seeded settling action (a scheduler with nothing else to run); false if none. */
  idleStep(): boolean {
    if (!this.busy()) return false;
    return this.#step('settling');
  }

  /**
   * Let the devices finish everything they owe (complete, raise, stop suppressing, deliver),
   * in rounds; true when nothing is owed any more, false if the bound was hit.
   */
  settle(): boolean {
    for (let round = 0; round < MAX_SETTLE_ROUNDS; round++) {
      if (!this.busy()) return true;
      for (const agent of this.#agents) {
        for (const kind of SETTLE_ORDER) {
          const choices = agent.agentActions().filter((a) => a.kind === kind);
          // The widest `complete` finishes everything held on that queue at once.
          const pick = choices.at(-1);
          if (pick !== undefined) this.#perform(agent, pick);
        }
      }
    }
    return !this.busy();
  }

  #step(which: 'any' | 'settling'): boolean {
    const choices: { agent: DeviceAgent; action: AgentAction }[] = [];
    for (const agent of this.#agents) {
      for (const action of agent.agentActions()) {
        if (which === 'any' || isSettlingAction(action)) choices.push({ agent, action });
      }
    }
    if (choices.length === 0) return false;
    const { agent, action } = choices[this.#rng.below(choices.length)] as (typeof choices)[number];
    this.#perform(agent, action);
    return true;
  }

  #perform(agent: DeviceAgent, action: AgentAction): void {
    this.#actions++;
    if (this.#keepLog > 0) {
      if (this.#log.length >= this.#keepLog) this.#log.shift();
      this.#log.push(`${this.#yields}: ${agent.name} ${describeAction(action)}`);
    }
    this.#acting = true;
    try {
      agent.agentPerform(action);
    } finally {
      this.#acting = false;
    }
  }
}
