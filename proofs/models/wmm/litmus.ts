// Litmus tests as data, run through the SAME machinery as the sDDF models: each thread becomes a
// component program (spec/components/program.ts) whose steps call the PD's SharedMem, composed by
// the runtime (../runtime.ts) under a memory model (../memory.ts) and explored by the engine
// (../../mc/engine.ts). The result is the whole set of final valuations (every register and every
// location), to be compared with the published models' sets (test/proofs/litmus/).
import { assert } from '../../../spec/common/assert.ts';
import type { State, TransitionSystem } from '../../../spec/common/transition.ts';
import {
  DEP_REGISTERS,
  atomicRmw,
  controlDependency,
  type FenceKind,
  type LoadOrder,
} from '../../../spec/components/mem.ts';
import {
  PC_DONE,
  type ComponentProgram,
  type PdContext,
} from '../../../spec/components/program.ts';
import { checkModel } from '../../mc/engine.ts';
import { Layout } from '../layout.ts';
import { buildSystem } from '../runtime.ts';
import type { MemoryModel } from '../types.ts';

/** A thread register (r0..r3); each is also the dependency register of the same number. */
export type Reg = 'r0' | 'r1' | 'r2' | 'r3';

/** One litmus instruction. Addresses are location names; `addr`/`data`: registers depended on. */
export type Instr =
  | {
      readonly op: 'ld';
      readonly r: Reg;
      readonly at: string;
      readonly order?: LoadOrder;
      readonly addr?: readonly Reg[];
    }
  | {
      readonly op: 'st';
      readonly at: string;
      readonly v: number;
      readonly release?: boolean;
      readonly addr?: readonly Reg[];
      readonly data?: readonly Reg[];
    }
  /** A hardware fence, or a C11 fence compiled per architecture (./fences.ts). */
  | { readonly op: 'fence'; readonly kind: FenceKind }
  /** A branch on these registers that falls through either way (a control dependency). */
  | { readonly op: 'ctrl'; readonly on: readonly Reg[] }
  | {
      readonly op: 'rmw';
      readonly r: Reg;
      readonly at: string;
      readonly kind: 'swap' | 'add';
      readonly v: number;
      readonly acquire?: boolean;
      readonly release?: boolean;
    };

export interface LitmusProgram {
  readonly name: string;
  /** Initial values (locations not listed start at 0). */
  readonly init?: Readonly<Record<string, number>>;
  readonly threads: readonly (readonly Instr[])[];
}

const REGS: readonly Reg[] = ['r0', 'r1', 'r2', 'r3'];

function regIndex(r: Reg): number {
  const i = REGS.indexOf(r);
  assert(i >= 0 && i < DEP_REGISTERS, `register ${r}`);
  return i;
}

function mask(regs: readonly Reg[] | undefined): number {
  let m = 0;
  for (const r of regs ?? []) m |= 1 << regIndex(r);
  return m;
}

/** Locations a program names, in first-use order. */
export function locationsOf(t: LitmusProgram): string[] {
  const out: string[] = [];
  const add = (l: string) => {
    if (!out.includes(l)) out.push(l);
  };
  for (const l of Object.keys(t.init ?? {})) add(l);
  for (const th of t.threads) for (const i of th) if ('at' in i) add(i.at);
  return out;
}

/** Registers each thread writes, in first-use order. */
export function registersOf(t: LitmusProgram): Reg[][] {
  return t.threads.map((th) => {
    const out: Reg[] = [];
    for (const i of th) if ((i.op === 'ld' || i.op === 'rmw') && !out.includes(i.r)) out.push(i.r);
    return out;
  });
}

function describe(i: Instr): string {
  switch (i.op) {
    case 'ld':
      return `${i.r}=${i.order === 'acquire' ? 'ldar ' : i.order === 'acquirePc' ? 'ldapr ' : ''}${i.at}`;
    case 'st':
      return `${i.at}=${i.v}${i.release === true ? ' rel' : ''}`;
    case 'fence':
      return i.kind;
    case 'ctrl':
      return `ctrl(${i.on.join(',')})`;
    case 'rmw':
      return `${i.r}=${i.kind}(${i.at},${i.v})`;
  }
}

function threadProgram(
  name: string,
  code: readonly Instr[],
  addrOf: (l: string) => number,
): ComponentProgram {
  assert(code.length >= 1 && code.length < 64, `${name}: 1..63 instructions`);
  return {
    name,
    steps: ['', ...code.map(describe)],
    localWords: DEP_REGISTERS,
    initPc: 1,
    entry: () => PC_DONE,
    step(pc: number, ctx: PdContext): number {
      const i = code[pc - 1];
      assert(i !== undefined, `${name}: pc ${pc}`);
      const mem = ctx.mem;
      switch (i.op) {
        case 'ld': {
          const r = regIndex(i.r);
          const v = mem.load(addrOf(i.at), {
            order: i.order ?? 'plain',
            addrDeps: mask(i.addr),
            into: r,
          });
          ctx.setLocal(r, v);
          break;
        }
        case 'st':
          mem.store(addrOf(i.at), i.v, {
            order: i.release === true ? 'release' : 'plain',
            addrDeps: mask(i.addr),
            dataDeps: mask(i.data),
          });
          break;
        case 'fence':
          mem.fence(i.kind);
          break;
        case 'ctrl':
          controlDependency(mem, mask(i.on));
          break;
        case 'rmw': {
          const r = regIndex(i.r);
          const old = atomicRmw(
            mem,
            addrOf(i.at),
            { kind: i.kind, value: i.v },
            { acquire: i.acquire === true, release: i.release === true, into: r },
          );
          ctx.setLocal(r, old);
          break;
        }
      }
      return pc < code.length ? pc + 1 : PC_DONE;
    },
  };
}

/** A litmus program as a transition system, with the final valuations it reaches. */
export function buildLitmus(
  t: LitmusProgram,
  model: MemoryModel,
): { ts: TransitionSystem; finals: Set<string>; stuck: () => number } {
  const layout = new Layout();
  const locs = locationsOf(t);
  const addr = new Map(locs.map((l) => [l, layout.alloc(l)]));
  const addrOf = (l: string): number => {
    const a = addr.get(l);
    assert(a !== undefined, `${t.name}: no location ${l}`);
    return a;
  };
  const regs = registersOf(t);
  const finals = new Set<string>();
  let stuck = 0;
  const pds = t.threads.map((code, i) => ({
    name: `P${i}`,
    program: threadProgram(`P${i}`, code, addrOf),
    priority: 0,
    channels: {},
  }));
  let locals: (s: State, p: number, r: number) => number = () => 0;
  const built = buildSystem({
    name: `litmus ${t.name}`,
    layout,
    pds,
    devices: [],
    memoryModel: model,
    scheduling: 'any',
    ghostBase: 0,
    ghostWords: 0,
    init: (s) => {
      for (const [l, v] of Object.entries(t.init ?? {})) s[addrOf(l)] = v >>> 0;
    },
    invariants: [],
    stranded: (s) => {
      const m = built.drained(s);
      const parts: string[] = [];
      regs.forEach((rs, p) =>
        rs.forEach((r) => parts.push(`${p}:${r}=${locals(s, p, regIndex(r))}`)),
      );
      for (const l of locs) parts.push(`${l}=${m[addrOf(l)] ?? 0}`);
      finals.add(outcomeKey(parts));
      return null;
    },
  });
  locals = (s, p, r) => s[built.pdWords(`P${p}`).locals + r] ?? 0;
  const inner = built.ts;
  const ts: TransitionSystem = {
    ...inner,
    quiescentViolation: (s) => {
      // Called on every state without successors: a litmus run ends only with every thread done.
      if (!(inner.isQuiescent?.(s) ?? false)) {
        stuck++;
        return null;
      }
      return inner.quiescentViolation!(s);
    },
  };
  return { ts, finals, stuck: () => stuck };
}

/** Canonical text of one final valuation: `0:r0=1; 1:r1=0; x=2`, entries sorted. */
export function outcomeKey(parts: readonly string[]): string {
  return [...parts].sort().join('; ');
}

export interface LitmusResult {
  readonly finals: ReadonlySet<string>;
  readonly states: number;
  /** States with no successor where some thread had not finished (must be 0). */
  readonly stuck: number;
}

/** Explores every execution of `t` under `model` (BFS, the engine of `sddf mc`). */
export function runLitmus(t: LitmusProgram, model: MemoryModel): LitmusResult {
  const { ts, finals, stuck } = buildLitmus(t, model);
  const r = checkModel(ts, { search: 'bfs', maxStates: 5_000_000 });
  assert(r.verdict === 'holds', `${t.name} under ${model}: ${r.verdict} ${r.message ?? ''}`);
  return { finals, states: r.states, stuck: stuck() };
}
