import { describe, expect, it } from 'vitest';
import { PC_DONE } from '../../../spec/components/program.ts';
import {
  PdMemory,
  bufferCount,
  createMemorySystem,
  flushEntry,
  flushable,
  isAbandonedRun,
} from '../../../proofs/models/memory.ts';
import { Layout } from '../../../proofs/models/layout.ts';
import { MEMORY_MODELS, memoryModelProblem } from '../../../proofs/models/types.ts';
import { FULL, RR, RW, WW, fenceBits } from '../../../proofs/models/wmm/fences.ts';
import { MAX_MESSAGES } from '../../../proofs/models/wmm/promising.ts';
import { buildLitmus, runLitmus, type Instr } from '../../../proofs/models/wmm/litmus.ts';
import { checkModel } from '../../../proofs/mc/engine.ts';

// Memory words 0..7, one store buffer at 8.
function setup(model: 'tso' | 'pso') {
  const s = new Uint32Array(8 + 1 + 2 * 4);
  const buf = { base: 8 };
  return { s, buf, mem: new PdMemory(s, model, buf) };
}

describe('memory models', () => {
  it('TSO: a store waits in the buffer; the storing PD reads it, others read memory', () => {
    const { s, buf, mem } = setup('tso');
    mem.store(1, 7);
    expect(s[1]).toBe(0); // not yet visible
    expect(mem.load(1)).toBe(7); // own buffer first
    expect(flushable(s, buf, 'tso')).toEqual([0]);
    flushEntry(s, buf, 0);
    expect(s[1]).toBe(7);
    expect(bufferCount(s, buf)).toBe(0);
  });

  it('TSO: flushes in FIFO order only', () => {
    const { s, buf, mem } = setup('tso');
    mem.store(1, 1);
    mem.store(2, 2);
    expect(flushable(s, buf, 'tso')).toEqual([0]);
  });

  it('a seq_cst fence drains the buffer; release is a no-op under TSO', () => {
    const { s, buf, mem } = setup('tso');
    mem.store(1, 1);
    mem.fence('release');
    expect(bufferCount(s, buf)).toBe(1);
    mem.fence('seq_cst');
    expect(bufferCount(s, buf)).toBe(0);
    expect(s[1]).toBe(1);
  });

  it('Arm-like: a later store to another address may overtake, unless a release fence separates them', () => {
    const a = setup('pso');
    a.mem.store(1, 1);
    a.mem.store(2, 2);
    expect(flushable(a.s, a.buf, 'pso')).toEqual([0, 1]);
    const b = setup('pso');
    b.mem.store(1, 1);
    b.mem.fence('release');
    b.mem.store(2, 2);
    expect(flushable(b.s, b.buf, 'pso')).toEqual([0]);
  });

  it('Arm-like: same-address stores stay in order; a fence survives an earlier flush', () => {
    const { s, buf, mem } = setup('pso');
    mem.store(1, 1);
    mem.store(3, 3);
    mem.fence('release');
    mem.store(2, 2);
    mem.store(1, 9);
    expect(flushable(s, buf, 'pso')).toEqual([0, 1]);
    flushEntry(s, buf, 1); // address 3 overtakes address 1; the fence after it passes to entry 0
    expect(flushable(s, buf, 'pso')).toEqual([0]);
  });
});

describe('memory model names', () => {
  it('lists sc, tso, pso, armv8, rvwmo; refuses arm with a pointer to armv8 and pso', () => {
    expect(MEMORY_MODELS).toEqual(['sc', 'tso', 'pso', 'armv8', 'rvwmo']);
    for (const m of MEMORY_MODELS) expect(memoryModelProblem(m)).toBeNull();
    expect(memoryModelProblem('arm')).toMatch(/'arm' is gone: use 'armv8' .* or 'pso'/);
    expect(memoryModelProblem('power')).toMatch(/must be one of sc, tso, pso, armv8, rvwmo/);
  });

  it('compiles C11 fences with the standard mappings', () => {
    expect(fenceBits('seq_cst', 'armv8')).toBe(FULL); // DMB ISH
    expect(fenceBits('release', 'armv8')).toBe(FULL); // DMB ISH (GCC, LLVM)
    expect(fenceBits('acquire', 'armv8')).toBe(RR | RW); // DMB ISHLD
    expect(fenceBits('release', 'rvwmo')).toBe(RW | WW); // fence rw,w
    expect(fenceBits('acquire', 'rvwmo')).toBe(RR | RW); // fence r,rw
    expect(fenceBits('seq_cst', 'rvwmo')).toBe(FULL); // fence rw,rw
    expect(fenceBits('release', 'tso')).toBe(0); // no instruction on x86
    expect(fenceBits('seq_cst', 'tso')).toBe(FULL); // MFENCE
    expect(fenceBits('fence.tso', 'rvwmo')).toBe(RR | RW | WW);
    expect(fenceBits('dmb.ishst', 'armv8')).toBe(WW);
  });
});

describe('Promising (armv8, rvwmo)', () => {
  /** Two PDs, locations x=0 and y=1, views and messages after them; PD a runs in a handler. */
  function promising(model: 'armv8' | 'rvwmo') {
    const layout = new Layout();
    const x = layout.alloc('x');
    const y = layout.alloc('y');
    const pcs = [layout.alloc('a.pc'), layout.alloc('b.pc')];
    const sys = createMemorySystem(model, ['a', 'b'], {
      pcWord: (p) => pcs[p]!,
      step: () => -1,
      privateWords: (p) => [[pcs[p]!, 1]],
    });
    sys.allocPd(layout, 0);
    sys.allocPd(layout, 1);
    sys.allocShared(layout);
    const s = new Uint32Array(layout.words);
    s[pcs[0]!] = 1;
    s[pcs[1]!] = 1;
    const mem = (p: number) => {
      const m = sys.pdMemory(p);
      m.s = s;
      m.accessLog = null;
      return m;
    };
    const messages = () => s[layout.field('memory.messages').offset]!;
    return { sys, s, x, y, pcs, mem, messages, layout };
  }

  it('a store is a message: other PDs may still read the old value until their views move', () => {
    const { sys, s, x, mem, messages } = promising('armv8');
    mem(0).store(x, 7);
    expect(messages()).toBe(1);
    expect(s[x]).toBe(0); // the base word: not yet merged
    expect(sys.drained(s)[x]).toBe(7); // the newest store, for invariants
    expect(mem(0).load(x)).toBe(7); // the writer reads its own store (coherence)
    expect(sys.idle(s, 0)).toBe(true);
  });

  it('a syscall lifts the views to the newest message and lets old messages merge into memory', () => {
    const { sys, s, x, pcs, mem, messages } = promising('armv8');
    mem(0).store(x, 7);
    mem(1).syscall(); // b now sees everything stored before its syscall
    s[pcs[0]!] = PC_DONE; // a left its handler: its next access comes after a syscall
    (sys as unknown as { canonicalize(s: Uint32Array): void }).canonicalize(s);
    expect(messages()).toBe(0);
    expect(s[x]).toBe(7);
    expect(mem(1).load(x)).toBe(7);
  });

  it('a syscall while holding a promise abandons the run (the promise could never be kept)', () => {
    const { s, x, mem, layout } = promising('rvwmo');
    // Message 1: PD 0's promise to store 1 to x (meta word: addr | writer << 16 | promised bit).
    const msg = layout.field('memory.message').offset;
    s[layout.field('memory.messages').offset] = 1;
    s[msg] = 1;
    s[msg + 1] = (x | (0 << 16) | (1 << 20)) >>> 0;
    let thrown: unknown = null;
    try {
      mem(0).syscall();
    } catch (e) {
      thrown = e;
    }
    expect(isAbandonedRun(thrown)).toBe(true);
    expect(() => mem(1).syscall()).not.toThrow(); // b holds no promise
    expect(mem(1).load(x)).toBe(1); // and may read a's promise (a store a will make)
  });

  it('running out of message slots ends the search incomplete (modelLimit) naming the bound, never a silent cut', () => {
    // P2 sits in its handler with its read view at 0, so no store of P0 or P1 can be merged. A
    // litmus thread holds at most 63 instructions: P0 makes 63 stores and P1 the rest (one
    // thread of one store keeps the interleavings few; two long ones would not finish).
    const stores = (at: string, n: number): Instr[] =>
      Array.from({ length: n }, () => ({ op: 'st', at, v: 1 }));
    const first = Math.min(MAX_MESSAGES, 63);
    const t = {
      name: 'overflow',
      threads: [
        stores('x', first),
        stores('y', MAX_MESSAGES + 1 - first),
        [{ op: 'ld', r: 'r0', at: 'x' } as Instr],
      ],
    };
    const { ts } = buildLitmus(t, 'armv8');
    for (const search of ['bfs', 'dfs'] as const) {
      const r = checkModel(ts, { search });
      expect(r.verdict).toBe('incomplete');
      expect(r.incompleteReason).toBe('modelLimit');
      expect(r.message).toMatch(new RegExp(`more than ${MAX_MESSAGES} stores in flight`));
    }
    expect(isAbandonedRun(new Error('x'))).toBe(false);
  });

  it('every final state of a litmus run has merged its messages into memory', () => {
    for (const model of ['armv8', 'rvwmo'] as const) {
      const t = {
        name: 'MP',
        threads: [
          [
            { op: 'st', at: 'x', v: 1 },
            { op: 'st', at: 'y', v: 1 },
          ] as Instr[],
          [
            { op: 'ld', r: 'r0', at: 'y' },
            { op: 'ld', r: 'r1', at: 'x' },
          ] as Instr[],
        ],
      };
      const { ts } = buildLitmus(t, model);
      let finals = 0;
      const r = checkModel(
        {
          ...ts,
          quiescentViolation: (st) => {
            finals++;
            const itf = ts.toItf(st);
            return itf['memory.messages'] === 0 ? null : `messages left: ${itf['memory.messages']}`;
          },
        },
        { search: 'bfs' },
      );
      expect(r.verdict).toBe('holds');
      expect(finals).toBeGreaterThan(0);
      expect(runLitmus(t, model).finals.size).toBe(4); // MP's four outcomes, the weak one too
    }
  });
});
