// What a fence orders, as the four access-pair bits of RISC-V `fence pred,succ` (the AArch64
// DMBs are three of the same sets), and how C11 fences compile on each architecture.
// docs/adr/015-weak-memory.md "Fences".
import { assert, unreachable } from '../../../spec/common/assert.ts';
import type { FenceKind, HwFence } from '../../../spec/components/mem.ts';
import type { MemoryModel } from '../types.ts';

/** Earlier reads before later reads. */
export const RR = 1;
/** Earlier reads before later writes. */
export const RW = 2;
/** Earlier writes before later reads (the only pair a store buffer breaks). */
export const WR = 4;
/** Earlier writes before later writes. */
export const WW = 8;
export const FULL = RR | RW | WR | WW;
/** AArch64 ISB: later reads wait for the control/address dependencies before it. */
export const ISB = 16;

function setBits(s: string): { r: boolean; w: boolean } {
  return { r: s.includes('r'), w: s.includes('w') };
}

/** Order bits of a hardware fence (`isb` is the ISB bit alone). */
export function hwFenceBits(kind: HwFence): number {
  switch (kind) {
    case 'dmb.ish':
      return FULL;
    case 'dmb.ishld':
      return RR | RW; // DMB ISHLD: earlier loads before later loads and stores
    case 'dmb.ishst':
      return WW;
    case 'isb':
      return ISB;
    case 'fence.tso':
      return RR | RW | WW; // RISC-V fence.tso: every pair but write→read
    default: {
      const m = /^fence\.(r|w|rw)\.(r|w|rw)$/.exec(kind);
      assert(m !== null, `unknown fence ${kind}`);
      const p = setBits(m[1]!);
      const q = setBits(m[2]!);
      return (
        (p.r && q.r ? RR : 0) |
        (p.r && q.w ? RW : 0) |
        (p.w && q.r ? WR : 0) |
        (p.w && q.w ? WW : 0)
      );
    }
  }
}

/**
 * Order bits of `kind` under `model`. C11 fences follow the compilers' standard mappings:
 * ARMv8 (GCC and LLVM): acquire → DMB ISHLD, release and seq_cst → DMB ISH; RISC-V (ISA manual,
 * "Mappings from C/C++ primitives to RISC-V primitives"): acquire → fence r,rw, release →
 * fence rw,w, seq_cst → fence rw,rw; x86: acquire and release emit nothing (TSO keeps every
 * other order), seq_cst → MFENCE. PSO keeps the pre-issue-15 reading: release orders stores.
 */
export function fenceBits(kind: FenceKind, model: MemoryModel): number {
  if (kind !== 'acquire' && kind !== 'release' && kind !== 'seq_cst') return hwFenceBits(kind);
  switch (model) {
    case 'sc':
      return 0;
    case 'tso':
      return kind === 'seq_cst' ? FULL : 0;
    case 'pso':
      return kind === 'seq_cst' ? FULL : kind === 'release' ? WW : 0;
    case 'armv8':
      return kind === 'acquire' ? RR | RW : FULL;
    case 'rvwmo':
      return kind === 'acquire' ? RR | RW : kind === 'release' ? RW | WW : FULL;
    default:
      return unreachable(model);
  }
}
