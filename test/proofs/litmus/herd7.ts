// Regenerates ./herd7-results.json: every catalogue test (./catalogue.ts) written as AArch64,
// RISC-V and x86 litmus source and run by herd7 with the cat files it ships, so the expected
// outcome sets of the suite are the published models' own, computed by the published tool.
//
//   HERD7=/path/herd7 HERD7_LIBDIR=/path/libdir \
//   HERD7_AARCH64=/path/herd7 HERD7_AARCH64_LIBDIR=/path/libdir npx tsx test/proofs/litmus/herd7.ts
//
// Not run by the tests (herd7 is an OCaml program outside npm and Debian); the JSON it writes is
// committed. Built from herdtools7 (OCaml 4.13, dune 2.9, `dune build herd/herd.exe`): tag 7.56.3
// (2023) for AArch64, whose aarch64.cat is the Arm model of Arm ARM issue J.a (with the 2022
// relaxations: pick dependencies, aob, and SWPAL-like atomics as full barriers), and tag 7.56
// for RISC-V, x86 and SC (7.56.3's RISC-V parser rejects every register here; riscv.cat,
// x86tso.cat and sc.cat are the same in both). Models: sc.cat (SC), x86tso.cat (x86-TSO),
// aarch64.cat (ARMv8), riscv.cat (RVWMO) with one amendment: the ratified Zalasr extension makes
// lw.aq/sw.rl RCsc (riscv-isa-manual src/unpriv/zalasr.adoc), while riscv-defs.cat counts only
// AMO and LR/SC annotations as RCsc (PPO rule 7); the amended copy widens RCsc to every
// annotation.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FULL, ISB, RR, RW, WR, WW, fenceBits } from '../../../proofs/models/wmm/fences.ts';
import {
  locationsOf,
  outcomeKey,
  registersOf,
  type Instr,
  type Reg,
} from '../../../proofs/models/wmm/litmus.ts';
import { CATALOGUE, MODELS, type LitmusCase, type Model } from './catalogue.ts';

type Arch = 'AArch64' | 'RISCV' | 'X86';

class NotExpressible extends Error {}

const regNo = (r: Reg): number => Number(r.slice(1));

/** One thread as instruction lines, plus the register init it needs. */
interface Emitted {
  readonly lines: string[];
  readonly init: string[];
}

function emitArm(code: readonly Instr[], t: number, locs: string[]): Emitted {
  const lines: string[] = [];
  const init: string[] = [];
  const base = (l: string) => {
    const k = 10 + locs.indexOf(l);
    if (!init.includes(`${t}:X${k}=${l}`)) init.push(`${t}:X${k}=${l}`);
    return `X${k}`;
  };
  let label = 0;
  // Address of `at` depending on `deps` (a zero computed from them), in X9.
  const depAddr = (at: string, deps: readonly Reg[]): string => {
    const b = base(at);
    if (deps.length === 0) return `[${b}]`;
    lines.push(`EOR X9,X${regNo(deps[0]!)},X${regNo(deps[0]!)}`);
    for (const d of deps.slice(1)) lines.push(`EOR X8,X${regNo(d)},X${regNo(d)}`, 'ADD X9,X9,X8');
    lines.push(`ADD X9,${b},X9`);
    return '[X9]';
  };
  for (const i of code) {
    switch (i.op) {
      case 'ld': {
        const a = depAddr(i.at, i.addr ?? []);
        const op = i.order === 'acquire' ? 'LDAR' : i.order === 'acquirePc' ? 'LDAPR' : 'LDR';
        lines.push(`${op} W${regNo(i.r)},${a}`);
        break;
      }
      case 'st': {
        const data = i.data ?? [];
        if (data.length === 0) lines.push(`MOV W8,#${i.v}`);
        else {
          lines.push(`EOR W8,W${regNo(data[0]!)},W${regNo(data[0]!)}`);
          for (const d of data.slice(1))
            lines.push(`EOR W7,W${regNo(d)},W${regNo(d)}`, 'ADD W8,W8,W7');
          lines.push(`ADD W8,W8,#${i.v}`);
        }
        const a = depAddr(i.at, i.addr ?? []);
        lines.push(`${i.release === true ? 'STLR' : 'STR'} W8,${a}`);
        break;
      }
      case 'fence': {
        const bits = fenceBits(i.kind, 'armv8');
        if (bits === FULL) lines.push('DMB SY');
        else if (bits === (RR | RW)) lines.push('DMB LD');
        else if (bits === WW) lines.push('DMB ST');
        else if (bits === ISB) lines.push('ISB');
        else throw new NotExpressible(`AArch64 has no ${i.kind}`);
        break;
      }
      case 'ctrl': {
        const l = `LC${t}${label++}`;
        lines.push(`CBNZ W${regNo(i.on[0]!)},${l}`, `${l}:`);
        break;
      }
      case 'rmw': {
        const op = i.kind === 'swap' ? 'SWP' : 'LDADD';
        const sfx = `${i.acquire === true ? 'A' : ''}${i.release === true ? 'L' : ''}`;
        lines.push(`MOV W8,#${i.v}`, `${op}${sfx} W8,W${regNo(i.r)},[${base(i.at)}]`);
        break;
      }
    }
  }
  return { lines, init };
}

function emitRiscv(code: readonly Instr[], t: number, locs: string[]): Emitted {
  const lines: string[] = [];
  const init: string[] = [];
  const reg = (r: Reg) => `x${5 + regNo(r)}`;
  const base = (l: string) => {
    const k = 18 + locs.indexOf(l);
    if (!init.includes(`${t}:x${k}=${l}`)) init.push(`${t}:x${k}=${l}`);
    return `x${k}`;
  };
  let label = 0;
  const depAddr = (at: string, deps: readonly Reg[]): string => {
    const b = base(at);
    if (deps.length === 0) return `0(${b})`;
    lines.push(`xor x29,${reg(deps[0]!)},${reg(deps[0]!)}`);
    for (const d of deps.slice(1)) lines.push(`xor x30,${reg(d)},${reg(d)}`, 'add x29,x29,x30');
    lines.push(`add x29,${b},x29`);
    return '0(x29)';
  };
  const sets = ['', 'r', 'w', 'rw'];
  for (const i of code) {
    switch (i.op) {
      case 'ld': {
        if (i.order === 'acquirePc') throw new NotExpressible('RISC-V has no RCpc load');
        const a = depAddr(i.at, i.addr ?? []);
        lines.push(`${i.order === 'acquire' ? 'lw.aq' : 'lw'} ${reg(i.r)},${a}`);
        break;
      }
      case 'st': {
        const data = i.data ?? [];
        if (data.length === 0) lines.push(`ori x28,x0,${i.v}`);
        else {
          lines.push(`xor x28,${reg(data[0]!)},${reg(data[0]!)}`);
          for (const d of data.slice(1))
            lines.push(`xor x30,${reg(d)},${reg(d)}`, 'add x28,x28,x30');
          lines.push(`ori x28,x28,${i.v}`);
        }
        const a = depAddr(i.at, i.addr ?? []);
        lines.push(`${i.release === true ? 'sw.rl' : 'sw'} x28,${a}`);
        break;
      }
      case 'fence': {
        const bits = fenceBits(i.kind, 'rvwmo');
        if (bits === (RR | RW | WW) && i.kind === 'fence.tso') {
          lines.push('fence.tso');
          break;
        }
        if ((bits & ISB) !== 0) throw new NotExpressible('RISC-V has no isb');
        // A product pred × succ: pred from the pairs' first letters, succ from the second.
        const pred = ((bits & (RR | RW)) !== 0 ? 1 : 0) | ((bits & (WR | WW)) !== 0 ? 2 : 0);
        const succ = ((bits & (RR | WR)) !== 0 ? 1 : 0) | ((bits & (RW | WW)) !== 0 ? 2 : 0);
        const product =
          ((pred & 1) !== 0 && (succ & 1) !== 0 ? RR : 0) |
          ((pred & 1) !== 0 && (succ & 2) !== 0 ? RW : 0) |
          ((pred & 2) !== 0 && (succ & 1) !== 0 ? WR : 0) |
          ((pred & 2) !== 0 && (succ & 2) !== 0 ? WW : 0);
        if (product !== bits) throw new NotExpressible(`fence bits ${bits}`);
        lines.push(`fence ${sets[pred]},${sets[succ]}`);
        break;
      }
      case 'ctrl': {
        const l = `LC${t}${label++}`;
        lines.push(`bne ${reg(i.on[0]!)},x0,${l}`, `${l}:`);
        break;
      }
      case 'rmw': {
        const op = i.kind === 'swap' ? 'amoswap.w' : 'amoadd.w';
        const sfx = `${i.acquire === true ? '.aq' : ''}${i.release === true ? '.rl' : ''}`;
        lines.push(`ori x28,x0,${i.v}`, `${op}${sfx} ${reg(i.r)},x28,0(${base(i.at)})`);
        break;
      }
    }
  }
  return { lines, init };
}

const X86_REGS = ['EAX', 'EBX', 'ECX', 'EDX'];

function emitX86(code: readonly Instr[]): Emitted {
  const lines: string[] = [];
  for (const i of code) {
    switch (i.op) {
      case 'ld':
        lines.push(`MOV ${X86_REGS[regNo(i.r)]},[${i.at}]`); // x86 loads are acquires
        break;
      case 'st':
        lines.push(`MOV [${i.at}],$${i.v}`); // and stores releases; no reordering by dependency
        break;
      case 'fence':
        if ((fenceBits(i.kind, 'tso') & WR) !== 0) lines.push('MFENCE'); // TSO keeps the others
        break;
      case 'ctrl':
        break;
      case 'rmw':
        if (i.kind !== 'swap')
          throw new NotExpressible('herd7 x86 has no fetch-and-add with result');
        lines.push(`MOV ${X86_REGS[regNo(i.r)]},$${i.v}`, `XCHG [${i.at}],${X86_REGS[regNo(i.r)]}`);
        break;
    }
  }
  return { lines: lines.length > 0 ? lines : ['MOV EDI,$0'], init: [] };
}

function regName(arch: Arch, t: number, r: Reg): string {
  if (arch === 'AArch64') return `${t}:X${regNo(r)}`;
  if (arch === 'RISCV') return `${t}:x${5 + regNo(r)}`;
  return `${t}:${X86_REGS[regNo(r)]}`;
}

/** The test as herd7 litmus source for `arch` (throws NotExpressible). */
export function litmusSource(c: LitmusCase, arch: Arch): string {
  const locs = locationsOf(c);
  const threads = c.threads.map((code, t) =>
    arch === 'AArch64'
      ? emitArm(code, t, locs)
      : arch === 'RISCV'
        ? emitRiscv(code, t, locs)
        : emitX86(code),
  );
  const init = [
    ...locs.map((l) => `${l}=${c.init?.[l] ?? 0};`),
    ...threads.flatMap((th) => th.init.map((s) => `${s};`)),
  ];
  const rows = Math.max(...threads.map((th) => th.lines.length));
  const width = threads.map((th) => Math.max(4, ...th.lines.map((l) => l.length)));
  const row = (cells: string[]) => ` ${cells.map((c2, k) => c2.padEnd(width[k]!)).join(' | ')} ;`;
  const body = [row(threads.map((_, t) => `P${t}`))];
  for (let k = 0; k < rows; k++) body.push(row(threads.map((th) => th.lines[k] ?? '')));
  const regs = registersOf(c);
  const where = [...regs.flatMap((rs, t) => rs.map((r) => regName(arch, t, r))), ...locs];
  const cond = Object.entries(c.exists)
    .map(([k, val]) => {
      const m = /^(\d+):(r\d)$/.exec(k);
      return `${m === null ? k : regName(arch, Number(m[1]), m[2] as Reg)}=${val}`;
    })
    .join(' /\\ ');
  return [
    `${arch} ${c.name}`,
    '{',
    ...init,
    '}',
    ...body,
    `locations [${where.join('; ')};]`,
    `exists (${cond})`,
    '',
  ].join('\n');
}

/** herd7's final states, as our outcome keys (registers renamed back to r0..r3). */
function parseStates(out: string, arch: Arch, c: LitmusCase): string[] {
  const lines = out.split('\n');
  const at = lines.findIndex((l) => l.startsWith('States '));
  if (at < 0) throw new Error(`herd7 printed no states for ${c.name}:\n${out}`);
  const n = Number(lines[at]!.slice('States '.length));
  const regs = registersOf(c);
  const back = new Map<string, string>();
  regs.forEach((rs, t) => rs.forEach((r) => back.set(regName(arch, t, r), `${t}:${r}`)));
  const out2: string[] = [];
  for (const l of lines.slice(at + 1, at + 1 + n)) {
    const parts = l
      .split(';')
      .map((p) => p.trim())
      .filter((p) => p !== '')
      .map((p) => {
        const [k, val] = p.split('=') as [string, string];
        const key = k.replace(/^\[(.*)\]$/, '$1');
        return `${back.get(key) ?? key}=${val}`;
      });
    out2.push(outcomeKey(parts));
  }
  return out2.sort();
}

const ARCH_OF: Record<Model, Arch[]> = {
  // SC: herd's sc.cat misses the atomicity of AArch64 SWP/LDADD (its rmw is cat-defined there),
  // so the RISC-V or x86 encoding first (the same programs under SC).
  sc: ['RISCV', 'X86', 'AArch64'],
  tso: ['X86'],
  armv8: ['AArch64'],
  rvwmo: ['RISCV'],
};
const CAT_OF: Record<Model, string> = {
  sc: 'sc.cat',
  tso: 'x86tso.cat',
  armv8: 'aarch64.cat',
  rvwmo: 'riscv-zalasr.cat',
};

function main(): void {
  const herd = process.env['HERD7'];
  const lib = process.env['HERD7_LIBDIR'];
  if (herd === undefined || lib === undefined) {
    process.stderr.write('set HERD7 (the herd7 binary) and HERD7_LIBDIR (its libdir)\n');
    process.exit(2);
  }
  const herdArm = process.env['HERD7_AARCH64'] ?? herd;
  const libArm = process.env['HERD7_AARCH64_LIBDIR'] ?? lib;
  const dir = mkdtempSync(join(tmpdir(), 'herd7-'));
  try {
    // The Zalasr amendment (see the header): RCsc covers lw.aq and sw.rl too.
    const defs = readFileSync(join(lib, 'riscv-defs.cat'), 'utf8');
    const amended = defs.replace(
      'let RCsc = (Acq|Rel|AcqRel) & (AMO|X)',
      'let RCsc = (Acq|Rel|AcqRel)',
    );
    if (amended === defs) throw new Error('riscv-defs.cat: RCsc definition not found');
    writeFileSync(join(dir, 'riscv-defs.cat'), amended);
    writeFileSync(join(dir, 'riscv-zalasr.cat'), readFileSync(join(lib, 'riscv.cat'), 'utf8'));
    const results: Record<string, Partial<Record<Model, string[] | null>>> = {};
    for (const c of CATALOGUE) {
      const row: Partial<Record<Model, string[] | null>> = {};
      for (const m of MODELS) {
        let done = false;
        for (const arch of ARCH_OF[m]) {
          let src: string;
          try {
            src = litmusSource(c, arch);
          } catch (e) {
            if (e instanceof NotExpressible) continue;
            throw e;
          }
          const file = join(dir, `${c.name.replace(/[^A-Za-z0-9.+-]/g, '_')}-${arch}.litmus`);
          writeFileSync(file, src);
          const [bin, libdir] = arch === 'AArch64' ? [herdArm, libArm] : [herd, lib];
          const run = spawnSync(bin, ['-I', dir, '-I', libdir, '-model', CAT_OF[m], file], {
            encoding: 'utf8',
          });
          if (run.status !== 0 || run.stdout === '')
            throw new Error(`herd7 on ${file} (${m}): ${run.stderr}\n${src}`);
          row[m] = parseStates(run.stdout, arch, c);
          done = true;
          break;
        }
        if (!done) row[m] = null;
      }
      results[c.name] = row;
      process.stderr.write(`${c.name}\n`);
    }
    const version = execFileSync(herd, ['-version'], { encoding: 'utf8' }).trim();
    const versionArm = execFileSync(herdArm, ['-version'], { encoding: 'utf8' }).trim();
    const here = dirname(fileURLToPath(import.meta.url));
    writeFileSync(
      join(here, 'herd7-results.json'),
      `${JSON.stringify(
        {
          '#meta': {
            tool: { AArch64: `herd7 ${versionArm}`, 'RISCV, X86, SC': `herd7 ${version}` },
            models: CAT_OF,
            note: 'regenerated by test/proofs/litmus/herd7.ts; null: the model has no instruction for the test',
          },
          results,
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main();
