// The online refinement check of the block virtualiser (issue #13 part 7; docs/adr/
// 022-block-subsystem.md). The spec of the virt is a set of decisions (spec/components/blk/
// virt.ts): which requests it may take (blkVirtAdmit), what each becomes (blkVirtTranslate), and
// that each driver answer goes back to the client request it came from, once. The checker keeps
// the spec's state — per client the partition and the requests forwarded and not answered, keyed
// by driver id — and at every decision the implementation reports (BlkVirt.observer) it asks the
// spec what the decision must be. After each decision the abstraction function maps the
// implementation's state (its request table in the metadata region, its partitions) to the
// spec's, and the two must be equal. A restarted virt must carry on from the same abstract state.
//
// This is a decision-level refinement (the implementation's handler may take any number of
// decisions), coarser than the net checker's step-level one (traces/refinement/net): the virt's
// steps are queue transfers whose order the queue refinement (traces/refinement/queues.ts)
// already checks; what is specific to the virt is what it decides.
import {
  blkVirtAdmit,
  blkVirtTranslate,
  type BlkTranslation,
} from '../../../spec/components/blk/virt.ts';
import type { Partition } from '../../../spec/components/blk/partition.ts';
import { BlkRespStatus, type BlkResp } from '../../../spec/queue/blk.ts';
import type { BlkVirt, BlkVirtEvent, BlkVirtOptions } from '../../../impl/components/blk/virt.ts';
import type { BlkVirtConfig } from '../../../impl/components/blk/config.ts';

export interface BlkRefinementViolation {
  readonly decision: number;
  readonly what: string;
  readonly impl: string;
  readonly spec: string;
}

export interface BlkRefinementReport {
  readonly decisions: number;
  readonly abstractionChecks: number;
  readonly violations: number;
  readonly kept: readonly BlkRefinementViolation[];
}

interface SpecForwarded {
  readonly client: number;
  readonly clientId: number;
}

const MAX_KEPT = 20;

function show(x: unknown): string {
  return JSON.stringify(x, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

export class BlkVirtRefinement {
  private decisions = 0;
  private abstractionChecks = 0;
  private violationCount = 0;
  private readonly kept: BlkRefinementViolation[] = [];
  /** The spec state: driver id → the client request it carries. */
  private readonly forwarded = new Map<number, SpecForwarded>();
  private partitions: readonly Partition[] | null = null;

  /** `options`: the spec's own switches (u6, u7) when checking a seeded implementation. */
  constructor(private readonly options: BlkVirtOptions = {}) {}

  private violate(what: string, impl: unknown, spec: unknown): void {
    this.violationCount++;
    if (this.kept.length < MAX_KEPT) {
      this.kept.push({ decision: this.decisions, what, impl: show(impl), spec: show(spec) });
    }
  }

  /** Pass to runBlk's `onVirtEvent`. */
  readonly observe = (e: BlkVirtEvent, v: BlkVirt): void => {
    this.decisions++;
    // The partitions are fixed once the virt is ready; a restarted virt must find the same.
    const parts = v.partitions();
    if (this.partitions === null) this.partitions = parts;
    else if (show(parts) !== show(this.partitions)) {
      this.violate('partitions changed', parts, this.partitions);
    }
    if (e.kind === 'client-request') this.request(e, v.config);
    else this.response(e);
    this.abstraction(v);
  };

  private request(
    e: Extract<BlkVirtEvent, { kind: 'client-request' }>,
    config: BlkVirtConfig,
  ): void {
    const mine = [...this.forwarded.values()].filter((f) => f.client === e.client).length;
    if (!blkVirtAdmit(e.load, this.options.u7 === true ? { u7: true } : {})) {
      this.violate(`client ${e.client}: request ${e.req.id} taken`, e.load, 'not admitted');
    }
    if (e.load.inFlight !== mine) {
      this.violate(`client ${e.client}: requests in flight`, e.load.inFlight, mine);
    }
    const d = config.clients[e.client]!.data;
    const failed = v0(this.partitions?.[e.client]);
    const expected: BlkTranslation =
      e.outcome.kind === 'reject' && e.outcome.status === BlkRespStatus.ERR_NO_DEVICE && failed
        ? e.outcome // ERR_NO_DEVICE: the table was refused (capacity 0 published)
        : blkVirtTranslate(
            e.req,
            {
              partition: this.partitions?.[e.client] ?? { startSector: 0n, sectors: 0n },
              dataSizeBytes: BigInt(d.sizeBytes),
              dataIoAddr: d.ioAddr,
              dataVaddr: BigInt(d.vaddr),
            },
            this.options.u6 === true ? { u6: true } : {},
          );
    const strip = (t: BlkTranslation) =>
      t.kind === 'reject' ? { kind: t.kind, status: t.status } : t;
    if (show(strip(expected)) !== show(strip(e.outcome))) {
      this.violate(`client ${e.client}: request ${e.req.id}`, strip(e.outcome), strip(expected));
    }
    if (e.outcome.kind === 'forward') {
      if (e.driverId === undefined || this.forwarded.has(e.driverId)) {
        this.violate('driver id', e.driverId, 'a free id');
      } else this.forwarded.set(e.driverId, { client: e.client, clientId: e.req.id });
    }
  }

  private response(e: Extract<BlkVirtEvent, { kind: 'driver-response' }>): void {
    const f = this.forwarded.get(e.resp.id);
    if (f === undefined) {
      if (e.client !== null) this.violate(`driver answer ${e.resp.id}`, e.client, 'orphaned');
      return;
    }
    this.forwarded.delete(e.resp.id);
    const expected: BlkResp = {
      status: e.resp.status,
      successCount: e.resp.successCount,
      id: f.clientId,
    };
    if (e.client !== f.client || show(e.clientResp) !== show(expected)) {
      this.violate(
        `driver answer ${e.resp.id}`,
        { client: e.client, resp: e.clientResp },
        { client: f.client, resp: expected },
      );
    }
  }

  /** α(impl) = spec: requests in flight per client from the impl's table. */
  private abstraction(v: BlkVirt): void {
    this.abstractionChecks++;
    const spec = v.config.clients.map(
      (_, c) => [...this.forwarded.values()].filter((f) => f.client === c).length,
    );
    const impl = v.inFlightCounts();
    if (show(impl) !== show(spec)) this.violate('abstraction: requests in flight', impl, spec);
  }

  report(): BlkRefinementReport {
    return {
      decisions: this.decisions,
      abstractionChecks: this.abstractionChecks,
      violations: this.violationCount,
      kept: this.kept,
    };
  }
}

function v0(p: Partition | undefined): boolean {
  return p === undefined || p.sectors === 0n;
}
