// Rules LP000–LP012, exactly as least-privilege-policy.md "Rules" states them. Each rule is one
// small function over (facts, roles) returning findings located at the offending `<map>` (or the
// element the rule is about). A PD or MR without a role/kind gets LP000. Rules that depend only
// on a region's nature (LP002, LP003, LP005, LP007, LP008, LP010, LP012) decide from the region —
// its kind, from its physical address and who maps it — and run on every mapper, whatever its
// role or whether it has one (issue #10); LP001, LP004, LP006 and LP009 are about roles and run
// where there is one. LP011's flow graph keeps unclassified PDs as forwarding nodes
// (docs/adr/006-auditor.md).

import { assert } from '../../common/assert.ts';
import type { Mapping, SourceLocation } from '../model.ts';
import { DATA_KINDS, roleTier, type MrKind, type PdRole, type Roles } from '../roles/vocabulary.ts';
import type { AuditFacts, MapRef } from './facts.ts';
import { holdersOf } from './facts.ts';
import {
  buildFlowGraph,
  isolationByGraphSearch,
  nodeName,
  type FlowGraph,
  type PairVerdict,
} from './flow.ts';
import { RULES, type Finding, type RuleId, type Severity } from './rules-meta.ts';

interface Ctx {
  readonly facts: AuditFacts;
  readonly roles: Roles;
}

function finding(
  rule: RuleId,
  parts: {
    pd?: string;
    mr?: string;
    loc?: SourceLocation | undefined;
    message: string;
    severity?: Severity;
    path?: string[];
  },
): Finding {
  const meta = RULES[rule];
  const cite = meta.principle === '—' ? '' : ` (${meta.principle})`;
  return {
    rule,
    severity: parts.severity ?? meta.severity,
    ...(parts.pd !== undefined ? { pd: parts.pd } : {}),
    ...(parts.mr !== undefined ? { mr: parts.mr } : {}),
    message: `${parts.message}${cite}`,
    ...(parts.loc !== undefined ? { loc: parts.loc } : {}),
    ...(parts.path !== undefined ? { path: parts.path } : {}),
  };
}

const perms = (m: Mapping): string =>
  `${m.perms.r ? 'r' : ''}${m.perms.w ? 'w' : ''}${m.perms.x ? 'x' : ''}` || '""';

/** Every map of a region of one of `kinds`, whoever holds it (region-based rules). */
function mapsOfKind(ctx: Ctx, kinds: readonly MrKind[]): { ref: MapRef; kind: MrKind }[] {
  const out: { ref: MapRef; kind: MrKind }[] = [];
  for (const [mr, refs] of ctx.facts.mapsOf) {
    const kind = ctx.roles.mrs.get(mr)?.kind;
    if (kind === undefined || !kinds.includes(kind)) continue;
    for (const ref of refs) out.push({ ref, kind });
  }
  return out;
}

/** Every map whose holder has a role and whose MR has a kind (role-based rules). */
function classifiedMaps(ctx: Ctx): { ref: MapRef; role: PdRole; kind: MrKind }[] {
  const out: { ref: MapRef; role: PdRole; kind: MrKind }[] = [];
  for (const [mr, refs] of ctx.facts.mapsOf) {
    const kind = ctx.roles.mrs.get(mr)?.kind;
    if (kind === undefined) continue;
    for (const ref of refs) {
      const role = ctx.roles.pds.get(ref.holder)?.role;
      if (role !== undefined) out.push({ ref, role, kind });
    }
  }
  return out;
}

function lp000(ctx: Ctx): Finding[] {
  const out: Finding[] = [];
  for (const pd of ctx.facts.model.pds) {
    const info = ctx.roles.pds.get(pd.name);
    if (info?.role !== undefined) continue;
    const message = `PD '${pd.name}' could not be classified (${info?.reason ?? 'no rule'}); rules skipped for it`;
    out.push(finding('LP000', { pd: pd.name, loc: pd.loc, message }));
  }
  for (const mr of ctx.facts.model.memoryRegions) {
    const info = ctx.roles.mrs.get(mr.name);
    if (info?.kind !== undefined) continue;
    // A region no one maps is LP012's finding; one report per defect.
    if ((ctx.facts.mapsOf.get(mr.name) ?? []).length === 0) continue;
    const message = `MR '${mr.name}' could not be classified (${info?.reason ?? 'no rule'}); rules skipped for it`;
    out.push(finding('LP000', { mr: mr.name, loc: mr.loc, message }));
  }
  return out;
}

const LP001_DRIVERS: ReadonlySet<string> = new Set([
  'net.driver',
  'blk.driver',
  'gpu.driver',
  'serial.driver',
]);
const LP001_KINDS: ReadonlySet<MrKind> = new Set<MrKind>([
  'net.rx_dma_data',
  'net.tx_data',
  'net.client_rx_data',
  'blk.data',
]);

function lp001(ctx: Ctx): Finding[] {
  const out: Finding[] = [];
  for (const { ref, role, kind } of classifiedMaps(ctx)) {
    if (!LP001_DRIVERS.has(role)) continue;
    // "serial with DMA": a serial driver that maps a hardware ring does DMA; otherwise its data
    // lives in the queue data region it shares with its virtualisers (design: no DMA).
    if (role === 'serial.driver' && !serialDriverHasDma(ctx, ref.holder)) continue;
    const clientData = kind === 'serial.data' && ctx.roles.mrs.get(ref.map.mr)?.owner !== undefined;
    if (!LP001_KINDS.has(kind) && !clientData) continue;
    const message = `driver '${ref.holder}' (${role}) maps data region '${ref.map.mr}' (${kind}): the driver never accesses packet or block data`;
    out.push(finding('LP001', { pd: ref.holder, mr: ref.map.mr, loc: ref.map.loc, message }));
  }
  return out;
}

function serialDriverHasDma(ctx: Ctx, pd: string): boolean {
  const p = ctx.facts.pdByName.get(pd);
  return p?.maps.some((m) => ctx.roles.mrs.get(m.mr)?.kind === 'hw_ring') === true;
}

/**
 * Region-based: device registers mapped cached, into whomever (the driver included: D2). On
 * x86_64 the firmware's MTRRs keep MMIO uncached whatever the page attributes say, so there it is
 * a warning to make the mapping say so (D2's reason is Arm's and RISC-V's attribute-only caching).
 */
function lp002(ctx: Ctx): Finding[] {
  const x86 = ctx.facts.model.microkit?.arch === 'x86_64';
  return mapsOfKind(ctx, ['mmio'])
    .filter(({ ref }) => ref.map.cached)
    .map(({ ref }) =>
      finding('LP002', {
        pd: ref.holder,
        mr: ref.map.mr,
        loc: ref.map.loc,
        message: `device registers '${ref.map.mr}' are mapped cached="true" into '${ref.holder}': mmio must be uncached${x86 ? ' (x86: the MTRRs usually keep MMIO uncached anyway; say cached="false")' : ''}`,
        ...(x86 ? { severity: 'warning' as const } : {}),
      }),
    );
}

/**
 * Region-based: device memory mapped into anyone but its drivers. Pass-through into a VM is
 * allowed (policy LP003), and so is a driver VM's VMM (it is part of that driver).
 */
function lp003(ctx: Ctx): Finding[] {
  const out: Finding[] = [];
  for (const { ref, kind } of mapsOfKind(ctx, ['mmio', 'hw_ring'])) {
    if (ref.inVm) continue;
    const info = ctx.roles.pds.get(ref.holder);
    const owner = ctx.roles.mrs.get(ref.map.mr)?.owner;
    const driver = info?.role !== undefined && roleTier(info.role) === 'driver';
    const isItsDriver =
      owner !== undefined ? owner === ref.holder : driver || info?.acts === 'driver';
    if (isItsDriver) continue;
    const role = info?.role ?? 'unclassified';
    const message = `${kind} region '${ref.map.mr}' is mapped into '${ref.holder}' (${role}), which is not its driver`;
    out.push(finding('LP003', { pd: ref.holder, mr: ref.map.mr, loc: ref.map.loc, message }));
  }
  return out;
}

function lp004(ctx: Ctx): Finding[] {
  const out: Finding[] = [];
  for (const { ref, role, kind } of classifiedMaps(ctx)) {
    if (!ref.map.perms.w) continue;
    const why = readOnlyReason(ctx, role, kind, ref.map.mr);
    if (why === undefined) continue;
    const d8 =
      kind === 'net.rx_dma_data'
        ? '; D8: a writable cached mapping can write stale lines over fresh DMA data'
        : '';
    const message = `'${ref.holder}' (${role}) maps '${ref.map.mr}' perms="${perms(ref.map)}" but ${why}: map it perms="r"${d8}`;
    out.push(finding('LP004', { pd: ref.holder, mr: ref.map.mr, loc: ref.map.loc, message }));
  }
  return out;
}

/** The LP004 list: which roles only read which kinds. Undefined: the write may be needed. */
function readOnlyReason(ctx: Ctx, role: PdRole, kind: MrKind, mr: string): string | undefined {
  const mrOwner = ctx.roles.mrs.get(mr)?.owner;
  const ownerRole = mrOwner === undefined ? undefined : ctx.roles.pds.get(mrOwner)?.role;
  const ownedByClient = ownerRole !== undefined && roleTier(ownerRole) === 'client';
  if (kind === 'net.rx_dma_data' && role === 'net.virt_rx')
    return 'virt_rx only reads the Rx DMA data (to peek at headers)';
  if (kind === 'net.rx_dma_data' && role === 'net.copier')
    return 'the copier only copies from the Rx DMA data';
  if (kind === 'net.tx_data' && role === 'net.virt_tx')
    return 'virt_tx only reads client Tx data (translation, cache clean)';
  if (kind === 'serial.data' && role === 'serial.virt_tx' && ownedByClient) {
    return 'serial virt_tx only reads client Tx data';
  }
  if (
    kind === 'serial.data' &&
    role === 'serial.virt_rx' &&
    !ownedByClient &&
    drivenBySerialDriver(ctx, mr)
  ) {
    return 'serial virt_rx only reads the driver Rx data';
  }
  if (kind === 'blk.storage_info' && role === 'blk.client')
    return 'a blk client only reads its storage_info';
  return undefined;
}

function drivenBySerialDriver(ctx: Ctx, mr: string): boolean {
  return holdersOf(ctx.facts, mr).some((h) => ctx.roles.pds.get(h)?.role === 'serial.driver');
}

const LP005_KINDS: ReadonlySet<MrKind> = new Set<MrKind>([
  ...DATA_KINDS,
  'queue',
  'mmio',
  'hw_ring',
]);

function lp005(ctx: Ctx): Finding[] {
  const out: Finding[] = [];
  for (const [mr, refs] of ctx.facts.mapsOf) {
    const info = ctx.roles.mrs.get(mr);
    if (info?.kind === undefined || info.kind === 'guest_ram') continue; // guest RAM is rwx in its VM
    const shared = holdersOf(ctx.facts, mr).length >= 2;
    if (!shared && !LP005_KINDS.has(info.kind)) continue;
    for (const ref of refs) {
      // Region-based: whoever holds the executable map.
      if (!ref.map.perms.x) continue;
      const what = shared
        ? `mapped into ${holdersOf(ctx.facts, mr).length} PDs`
        : `a ${info.kind} region`;
      const message = `'${ref.holder}' maps '${mr}' executable (perms="${perms(ref.map)}"); it is ${what}`;
      out.push(finding('LP005', { pd: ref.holder, mr, loc: ref.map.loc, message }));
    }
  }
  return out;
}

function lp006(ctx: Ctx): Finding[] {
  const out: Finding[] = [];
  for (const { ref, role } of classifiedMaps(ctx)) {
    if (roleTier(role) !== 'client') continue;
    const owner = ctx.roles.mrs.get(ref.map.mr)?.owner;
    if (owner === undefined || owner === ref.holder) continue;
    const ownerRole = ctx.roles.pds.get(owner)?.role;
    if (ownerRole === undefined || roleTier(ownerRole) !== 'client') continue;
    const message = `client '${ref.holder}' maps '${ref.map.mr}', which belongs to client '${owner}'`;
    out.push(finding('LP006', { pd: ref.holder, mr: ref.map.mr, loc: ref.map.loc, message }));
  }
  return out;
}

function lp007(ctx: Ctx): Finding[] {
  const out: Finding[] = [];
  for (const mr of ctx.facts.model.memoryRegions) {
    if (ctx.roles.mrs.get(mr.name)?.kind !== 'net.rx_dma_data') continue;
    const clientRefs = (ctx.facts.mapsOf.get(mr.name) ?? []).filter((r) => {
      const role = ctx.roles.pds.get(r.holder)?.role;
      return role !== undefined && roleTier(role) === 'client';
    });
    const clients = [...new Set(clientRefs.map((r) => r.holder))];
    const severity: Severity = clients.length >= 2 ? 'error' : 'warning';
    for (const ref of clientRefs) {
      const others =
        clients.length >= 2
          ? `; ${clients.length} clients map it, so each reads every client's traffic`
          : '; acceptable only for a single trusted client';
      const message = `the Rx DMA region '${mr.name}' is mapped into client '${ref.holder}' (no copier)${others}`;
      out.push(
        finding('LP007', { pd: ref.holder, mr: mr.name, loc: ref.map.loc, message, severity }),
      );
    }
  }
  return out;
}

function lp008(ctx: Ctx): Finding[] {
  const out: Finding[] = [];
  for (const mr of ctx.facts.model.memoryRegions) {
    if (ctx.roles.mrs.get(mr.name)?.kind !== 'queue') continue;
    const refs = ctx.facts.mapsOf.get(mr.name) ?? [];
    const holders = holdersOf(ctx.facts, mr.name);
    // Unmapped queues are LP012's finding; one report per defect.
    if (holders.length === 0 || holders.length === 2) continue;
    if (holders.length === 1) {
      const message = `queue '${mr.name}' is mapped into 1 PD ('${holders[0]}'); a queue has exactly two ends`;
      out.push(finding('LP008', { mr: mr.name, pd: holders[0] ?? '', loc: mr.loc, message }));
      continue;
    }
    const ends = queueEnds(ctx, holders);
    for (const ref of refs) {
      if (ends.includes(ref.holder)) continue;
      const how = ref.map.perms.w ? 'writable into' : 'mapped into';
      const message = `queue '${mr.name}' is mapped into ${holders.length} PDs; it is ${how} '${ref.holder}', which is not one of its two ends ('${ends[0]}', '${ends[1]}')`;
      out.push(finding('LP008', { pd: ref.holder, mr: mr.name, loc: ref.map.loc, message }));
    }
  }
  return out;
}

/** The two ends of an over-shared queue: the first two holders of adjacent tiers, else the first two. */
function queueEnds(ctx: Ctx, holders: readonly string[]): [string, string] {
  assert(holders.length > 2, 'queueEnds is asked only about over-shared queues');
  const tier = (h: string): string | undefined => {
    const role = ctx.roles.pds.get(h)?.role;
    return role === undefined ? undefined : roleTier(role);
  };
  for (let i = 0; i < holders.length; i++) {
    for (let j = i + 1; j < holders.length; j++) {
      const a = holders[i] ?? '';
      const b = holders[j] ?? '';
      if (tier(a) !== undefined && tier(b) !== undefined && tier(a) !== tier(b)) return [a, b];
    }
  }
  return [holders[0] ?? '', holders[1] ?? ''];
}

/** D6: client < copier < virtualiser (or file-system server) < driver. */
const TIER_RANK: Readonly<Record<string, number>> = {
  client: 0,
  copier: 1,
  virt: 2,
  server: 2,
  driver: 3,
};

function lp009(ctx: Ctx): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const ch of ctx.facts.channels) {
    const pa = ctx.facts.pdByName.get(ch.a);
    const pb = ctx.facts.pdByName.get(ch.b);
    const ra = ctx.roles.pds.get(ch.a)?.role;
    const rb = ctx.roles.pds.get(ch.b)?.role;
    if (pa === undefined || pb === undefined || ra === undefined || rb === undefined) continue;
    const ka = TIER_RANK[roleTier(ra)];
    const kb = TIER_RANK[roleTier(rb)];
    if (ka === undefined || kb === undefined || ka === kb) continue;
    const [lo, hi, loRole, hiRole] = ka < kb ? [pa, pb, ra, rb] : [pb, pa, rb, ra];
    // "client ≥ passive server it calls": a ppcall into a passive driver (timer) counts too.
    const chain =
      !(roleTier(hiRole) === 'driver' && roleTier(loRole) === 'client') ||
      callsInto(ctx, lo.name, hi.name);
    if (!chain || lo.priority < hi.priority) continue;
    const key = `${lo.name}>${hi.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const message = `'${lo.name}' (${loRole}, priority ${lo.priority}) is not below '${hi.name}' (${hiRole}, priority ${hi.priority}) that it is connected to`;
    out.push(finding('LP009', { pd: lo.name, loc: lo.loc, message }));
  }
  return out;
}

function callsInto(ctx: Ctx, caller: string, callee: string): boolean {
  return ctx.facts.channels.some((c) => c.ppcalls.some(([a, b]) => a === caller && b === callee));
}

/**
 * Region-based: device rings mapped cached. Not on x86_64, where device DMA is cache-coherent by
 * the architecture (D2's reason for uncached rings is non-coherent DMA on Arm and RISC-V).
 */
function lp010(ctx: Ctx): Finding[] {
  if (ctx.facts.model.microkit?.arch === 'x86_64') return [];
  return mapsOfKind(ctx, ['hw_ring'])
    .filter(({ ref }) => ref.map.cached)
    .map(({ ref }) =>
      finding('LP010', {
        pd: ref.holder,
        mr: ref.map.mr,
        loc: ref.map.loc,
        message: `hardware ring '${ref.map.mr}' is mapped cached="true" into '${ref.holder}' (virtio rings are legitimately cached on cache-coherent targets such as QEMU virt; elsewhere map it uncached)`,
      }),
    );
}

/** LP011 from flow verdicts (by graph search here; proofs/smt/isolation.ts gives the same). */
export function lp011FromVerdicts(
  ctx: Ctx,
  g: FlowGraph,
  verdicts: readonly PairVerdict[],
): Finding[] {
  const out: Finding[] = [];
  const reported = new Set<string>();
  for (const v of verdicts) {
    if (v.path === null) continue;
    const a = nodeName(g.nodes[v.from] ?? '');
    const b = nodeName(g.nodes[v.to] ?? '');
    const key = [a, b].sort().join('\u0000');
    if (reported.has(key)) continue;
    reported.add(key);
    const path = v.path.map((n) => nodeName(g.nodes[n] ?? ''));
    const pd = ctx.facts.pdByName.get(a);
    const what = (pd: string): string => {
      const role = ctx.roles.pds.get(pd)?.role;
      return role !== undefined && roleTier(role) === 'client' ? 'client' : 'PD';
    };
    const message = `information can flow from ${what(a)} '${a}' to ${what(b)} '${b}' with no virtualiser or copier on the way: ${path.join(' → ')}`;
    out.push(finding('LP011', { pd: a, loc: firstHopLoc(ctx, path) ?? pd?.loc, message, path }));
  }
  return out;
}

/** The `<map>` of the first shared region on the path (where the fix usually goes). */
function firstHopLoc(ctx: Ctx, path: readonly string[]): SourceLocation | undefined {
  const [pd, mr] = path;
  if (pd === undefined || mr === undefined || !ctx.facts.mrByName.has(mr)) return undefined;
  return ctx.facts.pdByName.get(pd)?.maps.find((m) => m.mr === mr)?.loc;
}

function lp012(ctx: Ctx): Finding[] {
  return ctx.facts.model.memoryRegions
    .filter((mr) => (ctx.facts.mapsOf.get(mr.name) ?? []).length === 0)
    .map((mr) =>
      finding('LP012', {
        mr: mr.name,
        loc: mr.loc,
        message: `memory region '${mr.name}' is declared but never mapped`,
      }),
    );
}

/** All rules; LP011 by graph search. */
export function runRules(
  facts: AuditFacts,
  roles: Roles,
): { findings: Finding[]; flow: FlowGraph } {
  const ctx = { facts, roles };
  const flow = buildFlowGraph(facts, roles);
  const findings = [
    ...lp000(ctx),
    ...lp001(ctx),
    ...lp002(ctx),
    ...lp003(ctx),
    ...lp004(ctx),
    ...lp005(ctx),
    ...lp006(ctx),
    ...lp007(ctx),
    ...lp008(ctx),
    ...lp009(ctx),
    ...lp010(ctx),
    ...lp011FromVerdicts(ctx, flow, isolationByGraphSearch(flow)),
    ...lp012(ctx),
  ];
  assert(
    findings.every((f) => f.rule !== 'LP000' || f.severity === 'note'),
    'LP000 is always a note',
  );
  return { findings, flow };
}
