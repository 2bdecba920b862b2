// The auditor (ARCHITECTURE.md "sddf audit"): typed system model → derived facts → roles →
// rules → findings. Pure; rendering lives in ./render/, the CLI in cli/commands/audit.ts.

import { assert } from '../../common/assert.ts';
import type { Perms, SystemModel } from '../model.ts';
import { inferRoles } from '../roles/infer.ts';
import { DATA_KINDS, roleTier, type Roles, type RolesFile } from '../roles/vocabulary.ts';
import { computeFacts, type AuditFacts } from './facts.ts';
import type { FlowGraph } from './flow.ts';
import { runRules } from './rules.ts';
import type { Finding, Severity } from './rules-meta.ts';

export interface SharedRegion {
  readonly mr: string;
  readonly mappers: readonly { readonly pd: string; readonly perms: Perms }[];
}

export interface AuditReport {
  readonly file: string;
  readonly dialect: SystemModel['dialect'];
  readonly roles: Roles;
  /** Sorted by location, then rule. */
  readonly findings: readonly Finding[];
  /**
   * Regions writable by one PD and mapped into another where one side is not an I/O component
   * (client, copier, virtualiser, driver): shared memory outside the sDDF pattern, listed for a
   * human to judge (policy: `cyclecounters` in the echo server).
   */
  readonly sharedRegions: readonly SharedRegion[];
  readonly flow: FlowGraph;
  readonly facts: AuditFacts;
}

export interface AuditOptions {
  readonly roles?: RolesFile;
}

export function auditSystem(model: SystemModel, opts: AuditOptions = {}): AuditReport {
  const facts = computeFacts(model);
  const roles = inferRoles(model, opts.roles, facts);
  const { findings, flow } = runRules(facts, roles);
  const sorted = [...findings].sort(compareFindings);
  assert(sorted.length === findings.length, 'sorting keeps every finding');
  return {
    file: model.file,
    dialect: model.dialect,
    roles,
    findings: sorted,
    sharedRegions: sharedRegions(facts, roles),
    flow,
    facts,
  };
}

function compareFindings(a: Finding, b: Finding): number {
  const la = a.loc?.line ?? Number.MAX_SAFE_INTEGER;
  const lb = b.loc?.line ?? Number.MAX_SAFE_INTEGER;
  if (la !== lb) return la - lb;
  const ca = a.loc?.column ?? 0;
  const cb = b.loc?.column ?? 0;
  if (ca !== cb) return ca - cb;
  return a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0;
}

function sharedRegions(facts: AuditFacts, roles: Roles): SharedRegion[] {
  const out: SharedRegion[] = [];
  for (const [mr, refs] of facts.mapsOf) {
    const holders = [...new Set(refs.map((r) => r.holder))];
    if (holders.length < 2 || !refs.some((r) => r.map.perms.w)) continue;
    // A guest's RAM shared with its VMM is the design (lionsos.md §3), not a judgement call.
    const kind = roles.mrs.get(mr)?.kind;
    if (kind === 'guest_ram') continue;
    // The benchmark harness as a client of the console (its serial queue and data) is the pattern.
    const ioKind = kind === 'queue' || (kind !== undefined && DATA_KINDS.has(kind));
    const outsideIo = holders.some((h) => {
      const info = roles.pds.get(h);
      if (info?.role === undefined) return true;
      const tier = roleTier(info.role);
      if ((tier === 'vmm' || tier === 'vm') && info.acts !== undefined) return false;
      if (tier === 'bench') return !ioKind;
      return tier === 'other' || tier === 'vmm' || tier === 'vm';
    });
    if (!outsideIo) continue;
    out.push({ mr, mappers: refs.map((r) => ({ pd: r.holder, perms: r.map.perms })) });
  }
  return out;
}

export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const out: Record<Severity, number> = { error: 0, warning: 0, note: 0 };
  for (const f of findings) out[f.severity]++;
  return out;
}

/** Exit-status rule of the policy: any `error` finding fails the audit. */
export function auditPasses(findings: readonly Finding[]): boolean {
  return findings.every((f) => f.severity !== 'error');
}
