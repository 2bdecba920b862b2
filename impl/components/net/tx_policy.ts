// The transmit policy of virt_tx as a module of its own (LionsOS paper §4.1.2: "the Tx policy is as
// simple as the specific use-case allows, eg. round-robin, priority-based or bandwidth limiting";
// §3 "use-case specific policy"). virt_tx asks the policy, per tx_provide pass, in which order to
// serve its clients and whether a client may send its next packet now; everything else (validation,
// translation, signalling) is the same for every policy.
//
//  - `priority`: clients in index order, each drained fully before the next (upstream virt_tx.c).
//  - `round-robin`: one packet per client in turn, the first client rotating between passes.
//  - `bandwidth`: a token bucket per client (bytes per second, a burst size); a client out of
//    tokens keeps its packets in its queue until time has refilled the bucket.

import { assert, unreachable } from '../../../spec/common/assert.ts';

export type TxPolicyKind = 'priority' | 'round-robin' | 'bandwidth';

export interface TxPolicySpec {
  readonly kind: TxPolicyKind;
  /** bandwidth: bytes per second per client (index = client). */
  readonly bytesPerSecond?: readonly number[];
  /** bandwidth: bucket size in bytes (default: one second's worth, at least one full buffer). */
  readonly burstBytes?: readonly number[];
  /** Packets one client may send per pass (default: unlimited = its queue's capacity, upstream). */
  readonly budget?: number;
}

export interface TxPolicy {
  readonly kind: TxPolicyKind;
  /** `drain`: serve each client until it has nothing (or may send nothing); `interleave`: one each. */
  readonly mode: 'drain' | 'interleave';
  /** Packets one client may send per pass. */
  readonly budget: number;
  /** The clients in the order this pass serves them. */
  startPass(nowNs: number): readonly number[];
  /** May `client` send `lenBytes` now? A yes is final: the bytes are charged. */
  admit(client: number, lenBytes: number, nowNs: number): boolean;
}

export function makeTxPolicy(spec: TxPolicySpec, clients: number): TxPolicy {
  assert(clients >= 1, 'virt_tx has at least one client');
  const budget = spec.budget ?? Number.POSITIVE_INFINITY;
  assert(budget >= 1, () => `a budget of at least one packet per pass, got ${budget}`);
  switch (spec.kind) {
    case 'priority':
      return priorityPolicy(clients, budget);
    case 'round-robin':
      return roundRobinPolicy(clients, budget);
    case 'bandwidth':
      return new BandwidthPolicy(spec, clients, budget);
    default:
      return unreachable(spec.kind);
  }
}

function priorityPolicy(clients: number, budget: number): TxPolicy {
  const order = Array.from({ length: clients }, (_, i) => i);
  return { kind: 'priority', mode: 'drain', budget, startPass: () => order, admit: () => true };
}

function roundRobinPolicy(clients: number, budget: number): TxPolicy {
  let first = 0;
  const order = new Array<number>(clients).fill(0);
  return {
    kind: 'round-robin',
    mode: 'interleave',
    budget,
    startPass(): readonly number[] {
      for (let i = 0; i < clients; i++) order[i] = (first + i) % clients;
      first = (first + 1) % clients;
      return order;
    },
    admit: () => true,
  };
}

/** Token buckets; tokens are bytes, refilled continuously from the system counter. */
export class BandwidthPolicy implements TxPolicy {
  readonly kind = 'bandwidth';
  readonly mode = 'drain';
  private readonly rate: number[];
  private readonly burst: number[];
  private readonly tokens: number[];
  private readonly lastNs: number[];
  private readonly order: number[];

  constructor(
    spec: TxPolicySpec,
    clients: number,
    readonly budget: number,
  ) {
    const rate = spec.bytesPerSecond ?? [];
    assert(
      rate.length === clients && rate.every((r) => Number.isFinite(r) && r > 0),
      () =>
        `bandwidth policy: a positive rate for each of ${clients} clients, got [${rate.join(', ')}]`,
    );
    this.rate = [...rate];
    this.burst = rate.map((r, i) => Math.max(spec.burstBytes?.[i] ?? r, 2048));
    this.tokens = [...this.burst];
    this.lastNs = new Array<number>(clients).fill(Number.NaN);
    this.order = Array.from({ length: clients }, (_, i) => i);
  }

  startPass(): readonly number[] {
    return this.order;
  }

  admit(client: number, lenBytes: number, nowNs: number): boolean {
    const last = this.lastNs[client]!;
    if (!Number.isNaN(last) && nowNs > last) {
      const refill = ((nowNs - last) * this.rate[client]!) / 1e9;
      this.tokens[client] = Math.min(this.burst[client]!, this.tokens[client]! + refill);
    }
    this.lastNs[client] = nowNs;
    if (this.tokens[client]! < lenBytes) return false;
    this.tokens[client]! -= lenBytes;
    return true;
  }
}
