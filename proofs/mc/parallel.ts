// Parallel breadth-first search over worker threads (issue #11 part 3; ADR 007 "Parallel
// search"). Level-synchronous: the coordinator hands the chunks of one BFS level to idle workers
// (./parallel-worker.ts), which insert successors into one shared fingerprint table
// (./shared-store.ts, the protocol model-checked in ./specs/parallel-store.ts) and return the new
// states as chunks of the next level, with their (id, parent, action) log. A level ends when every
// chunk is back; only then does the next start, so every state is found at its BFS depth and the
// trace to it (rebuilt by re-execution, ./tracelog.ts) is a shortest one. Violations found in a
// level are compared by (depth, property, fingerprint) and the least is reported, so the verdict
// and the reported property do not depend on thread timing (with POR on, the reduced graph can:
// the cycle proviso reads a table the other workers are filling; state counts may then differ
// between runs, never the verdict).
//
// The coordinator is synchronous (the library's runModelCheck is): it sleeps on a shared mailbox
// word with Atomics.wait and takes replies with receiveMessageOnPort; workers post, then bump
// the mailbox and notify.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  MessageChannel,
  receiveMessageOnPort,
  Worker,
  type MessagePort,
} from 'node:worker_threads';
import { assert, InvariantError } from '../../spec/common/assert.ts';
import type { State, TransitionSystem } from '../../spec/common/transition.ts';
import type { ModelOptions } from '../models/types.ts';
import { Search, Stop, type CheckOptions, type Found, type McResult } from './engine.ts';
import { ChunkWriter } from './frontier.ts';
import { DEFAULT_HASH_SEED, StateHasher } from './hash.ts';
import {
  better,
  type Candidate,
  type ModelSource,
  type Reply,
  type WorkerInit,
  type WorkMessage,
  type WorkReply,
} from './parallel-protocol.ts';
import {
  CTL_MAILBOX,
  CTL_PAUSE_AT,
  CTL_STOP,
  CTL_WORDS,
  PARALLEL_MAX_LOAD,
  SharedTable,
} from './shared-store.ts';
import { rebuildTrace, TraceLog } from './tracelog.ts';

export type { ModelSource } from './parallel-protocol.ts';

/** Most worker threads a run may ask for. */
export const MAX_WORKERS = 64;
/** Chunks a worker holds at once (one running, the next waiting). */
const IN_FLIGHT = 2;
/** Initial shared table: 2^16 slots (512 KiB). */
const INITIAL_SLOTS = 1 << 16;

const require = createRequire(import.meta.url);
const tsxRoot = dirname(require.resolve('tsx/package.json'));
const tsxEsmApi = pathToFileURL(join(tsxRoot, 'dist/esm/api/index.mjs')).href;
const workerSource = fileURLToPath(new URL('./parallel-worker.ts', import.meta.url));
const ROOT = resolve(dirname(workerSource), '..', '..');

let bundled: string | null | undefined;

/**
 * The worker's code as one bundled module (esbuild, cached under node_modules/.cache by content),
 * or null when it cannot be built or written. Why: run through tsx, every call across our modules
 * goes through an export getter (tsx loads TypeScript as CommonJS); measured on net-pipeline the
 * workers then needed 1.43x the sequential search's CPU time, which alone caps 2 cores at 1.4x.
 */
function bundledWorker(): string | null {
  if (bundled !== undefined) return bundled;
  const dir = join(ROOT, 'node_modules', '.cache', 'sddf-model');
  const manifestPath = join(dir, 'mc-worker.json');
  try {
    // Reuse the last bundle while none of its inputs changed (size and mtime, as bin/compile.mjs)
    // and it was built from this checkout: a node_modules shared between two checkouts (a
    // symlink, a git worktree) holds one manifest, whose inputs are the other checkout's files.
    const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
      root?: string;
      file: string;
      inputs: { path: string; size: number; mtimeMs: number }[];
    };
    const fresh =
      m.root === ROOT &&
      m.inputs.every((i) => {
        const st = statSync(i.path);
        return st.size === i.size && st.mtimeMs === i.mtimeMs;
      });
    if (fresh && existsSync(m.file)) return (bundled = pathToFileURL(m.file).href);
  } catch {
    // No manifest yet, or an input is gone: build.
  }
  try {
    const esbuild = require('esbuild') as typeof import('esbuild');
    const out = esbuild.buildSync({
      entryPoints: [workerSource],
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      logLevel: 'silent',
    });
    const text = out.outputFiles[0]!.text;
    const file = join(
      dir,
      `mc-worker-${createHash('sha1').update(text).digest('hex').slice(0, 16)}.mjs`,
    );
    mkdirSync(dir, { recursive: true });
    if (!existsSync(file)) {
      writeAtomically(file, text);
      pruneWorkers(dir, file);
    }
    const inputs = Object.keys(out.metafile.inputs).map((p) => {
      const path = resolve(p);
      const st = statSync(path);
      return { path, size: st.size, mtimeMs: st.mtimeMs };
    });
    writeAtomically(manifestPath, JSON.stringify({ root: ROOT, file, inputs }));
    bundled = pathToFileURL(file).href;
  } catch {
    bundled = null; // the sources through tsx: slower, same behaviour
  }
  return bundled;
}

function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** Keeps the newest few worker bundles (a run that is still going may be using an older one). */
function pruneWorkers(dir: string, keep: string): void {
  const old = readdirSync(dir)
    .filter((f) => /^mc-worker-[0-9a-f]+\.mjs$/.test(f) && join(dir, f) !== keep)
    .map((f) => ({ f, t: statSync(join(dir, f)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { f } of old.slice(3)) rmSync(join(dir, f), { force: true });
}

/**
 * The worker's boot script: registers tsx's loader when TypeScript will be imported (the worker's
 * sources when no bundle could be built; a user's model module) and imports the entry; a failure
 * to boot is reported through the same mailbox as any other error, so the coordinator never
 * waits forever.
 */
function boot(entry: string, tsx: boolean): string {
  const load = tsx
    ? `import(${JSON.stringify(tsxEsmApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`
    : `import(${JSON.stringify(entry)})`;
  return `
const { workerData } = require('node:worker_threads');
${load}.catch((e) => {
  workerData.port.postMessage({ type: 'error', worker: workerData.index, message: String((e && e.stack) || e) });
  const ctl = new Int32Array(workerData.ctl);
  Atomics.add(ctl, ${CTL_MAILBOX}, 1);
  Atomics.notify(ctl, ${CTL_MAILBOX});
});
`;
}

export interface ParallelOptions extends CheckOptions {
  /** Worker threads (≥ 2; one is the sequential search). */
  readonly workers: number;
}

interface Pool {
  readonly ports: MessagePort[];
  readonly threads: Worker[];
  /** Per worker: the table it has, so a grown one is sent along with its next chunk. */
  readonly tableOf: (SharedArrayBuffer | undefined)[];
}

/** Why a run cannot be parallel, or null. */
export function parallelProblem(opts: CheckOptions): string | null {
  if (opts.search !== 'bfs') return 'the parallel search is breadth-first (use --search bfs)';
  if (opts.liveness === true) return 'liveness needs the sequential search (exact storage)';
  if (opts.checkHints === true) return 'checking hints needs the sequential search';
  if (opts.exact === true || (opts.mode !== undefined && opts.mode !== 'hash-compact')) {
    return 'the parallel search stores hash-compact fingerprints only';
  }
  if (opts.orderSeed !== undefined) return 'a seeded successor order needs the sequential search';
  return null;
}

/**
 * Checks `ts` with `opts.workers` threads, each building its own copy of the model from `source`
 * with `options` (the same model `ts` is: the coordinator's copy makes the initial states and
 * rebuilds traces).
 */
export function checkModelParallel(
  ts: TransitionSystem,
  source: ModelSource,
  options: ModelOptions,
  opts: ParallelOptions,
): McResult {
  const problem = parallelProblem(opts);
  assert(problem === null, () => `parallel search: ${problem}`);
  assert(
    Number.isInteger(opts.workers) && opts.workers >= 1 && opts.workers <= MAX_WORKERS,
    () => `parallel search needs 1..${MAX_WORKERS} workers (got ${opts.workers})`,
  );
  const now = opts.now ?? (() => performance.now());
  const sr = new Search(ts, { ...opts, mode: 'hash-compact' }, now);
  const w = ts.stateWords;
  const ctlBuffer = new SharedArrayBuffer(CTL_WORDS * 4);
  const ctl = new Int32Array(ctlBuffer);
  let tableBuffer = SharedTable.allocate(INITIAL_SLOTS);
  const table = new SharedTable(ctlBuffer);
  table.attach(tableBuffer);
  Atomics.store(ctl, CTL_PAUSE_AT, Math.floor(INITIAL_SLOTS * PARALLEL_MAX_LOAD));
  const log = new TraceLog();
  let queuedBytes = 0;
  sr.track({
    memoryBytes: () => table.memoryBytes() + log.memoryBytes() + queuedBytes,
    needsGrow: () => false,
    growBytes: () => 0,
    grow: () => undefined,
  });
  const maxStates = opts.maxStates ?? Number.POSITIVE_INFINITY;
  const maxDepth = opts.maxDepth ?? Number.POSITIVE_INFINITY;

  const violation = (id: number, found: Found): McResult => {
    const trace = rebuildTrace({
      ts,
      actions: log.actionsTo(id),
      visited: (s) => {
        sr.hashFull(s, 0);
        const h = sr.hasher;
        return table.has(StateHasher.finish1(h.sum1), StateHasher.finish2(h.sum2));
      },
      ...(sr.symmetry
        ? {
            canonical: (s: State): State => {
              const out = new Uint32Array(w);
              ts.canonicalize!(s, out);
              return out;
            },
          }
        : {}),
      violates: (s) => sr.violates(s, found),
    });
    return sr.result(table, 'violated', {
      found,
      trace: sr.symmetry ? sr.concretize(trace) : trace,
    });
  };

  // Level 0: the initial states, inserted here.
  const first = new ChunkWriter(w);
  const roots: State[] = [];
  for (const init of ts.initialStates()) {
    assert(init.length === w, `initial state has ${init.length} words, expected ${w}`);
    if (ts.constraint !== undefined && !ts.constraint(init)) {
      sr.pruned++;
      continue;
    }
    const s = new Uint32Array(w);
    if (sr.symmetry) ts.canonicalize!(init, s);
    else s.set(init);
    roots.push(s);
  }
  assert(roots.length > 0, `model ${ts.name} has no initial state inside its constraint`);
  for (const s of roots) {
    sr.hashFull(s, 0);
    const { sum1, sum2 } = sr.hasher;
    const id = table.put(StateHasher.finish1(sum1), StateHasher.finish2(sum2));
    if (id < 0) continue;
    log.recordAt(id, -1, -1);
    first.push(s, 0, sum1, sum2, id);
    const found = sr.checkInvariants(s);
    if (found !== null) return violation(id, found);
  }

  const pool = startPool(ts, source, options, opts, ctlBuffer, tableBuffer);
  try {
    return search();
  } finally {
    for (const port of pool.ports) {
      port.postMessage({ type: 'stop' });
      port.close();
    }
    for (const t of pool.threads) void t.terminate();
  }

  function search(): McResult {
    let current: Uint8Array[] = [first.take()];
    let level = 0;
    let truncated = false;
    let expanded = 0;
    // Each worker has up to IN_FLIGHT chunks: the next is already in its mailbox when it finishes
    // one, so it never waits for the coordinator to wake up and answer.
    const inFlight = pool.ports.map(() => 0);
    const free = (): number => {
      let best = -1;
      for (let k = 0; k < inFlight.length; k++) {
        if (inFlight[k]! < IN_FLIGHT && (best < 0 || inFlight[k]! < inFlight[best]!)) best = k;
      }
      return best;
    };
    let busy = 0;
    let pausing = false;
    let stop: Stop | undefined;
    let seenMail = Atomics.load(ctl, CTL_MAILBOX);
    const receive = (): Reply => {
      for (;;) {
        for (const port of pool.ports) {
          const m = receiveMessageOnPort(port);
          if (m !== undefined) return m.message as Reply;
        }
        Atomics.wait(ctl, CTL_MAILBOX, seenMail, 1000);
        seenMail = Atomics.load(ctl, CTL_MAILBOX);
      }
    };
    const assign = (chunk: Uint8Array, k: number): void => {
      inFlight[k]!++;
      const grown = pool.tableOf[k] !== tableBuffer;
      pool.tableOf[k] = tableBuffer;
      const msg: WorkMessage = {
        type: 'work',
        chunk,
        level,
        ...(grown ? { table: tableBuffer } : {}),
      };
      pool.ports[k]!.postMessage(msg, [chunk.buffer as ArrayBuffer]);
      queuedBytes -= chunk.byteLength;
      busy++;
    };
    const grow = (): void => {
      const bytes = table.memoryBytes() * 2;
      if (sr.memoryBytes() + bytes > sr.maxMemoryBytes) throw new Stop('maxMemory');
      tableBuffer = SharedTable.allocate(table.slotCount * 2);
      table.rehashInto(tableBuffer);
      Atomics.store(ctl, CTL_PAUSE_AT, Math.floor(table.slotCount * PARALLEL_MAX_LOAD));
    };
    for (const c of current) queuedBytes += c.byteLength;
    for (;;) {
      const queue = current;
      const next: Uint8Array[] = [];
      let best: Candidate | undefined;
      while (queue.length > 0 || busy > 0) {
        while (!pausing && stop === undefined && queue.length > 0 && free() >= 0) {
          assign(queue.shift()!, free());
        }
        if (busy === 0) {
          if (stop !== undefined) break;
          if (pausing) {
            try {
              grow();
            } catch (e) {
              if (!(e instanceof Stop)) throw e;
              stop = e;
            }
            pausing = false;
            continue;
          }
        }
        const r = receive();
        if (r.type === 'error') {
          if (r.modelLimit === true) {
            return sr.result(table, 'incomplete', { reason: 'modelLimit', message: r.message });
          }
          throw new InvariantError(`parallel search, worker ${r.worker}: ${r.message}`);
        }
        busy--;
        inFlight[r.worker]!--;
        absorb(r, next);
        expanded += r.expanded;
        if (r.truncated) truncated = true;
        if (r.candidate !== undefined && better(r.candidate, best)) best = r.candidate;
        if (r.rest !== undefined) {
          queue.unshift(r.rest);
          queuedBytes += r.rest.byteLength;
          if (stop === undefined && Atomics.load(ctl, CTL_STOP) === 0) pausing = true;
        }
        if (stop === undefined) {
          sr.states = table.count;
          sr.depth = Math.max(sr.depth, next.length > 0 ? level + 1 : level);
          try {
            if (table.count >= maxStates) throw new Stop('maxStates');
            sr.tick(expanded);
          } catch (e) {
            if (!(e instanceof Stop)) throw e;
            stop = e;
            Atomics.store(ctl, CTL_STOP, 1);
          }
        }
      }
      if (best !== undefined) {
        return violation(best.id, { property: best.property, message: best.message });
      }
      if (stop !== undefined) return sr.result(table, 'incomplete', { reason: stop.reason });
      if (next.length === 0) {
        return truncated
          ? sr.result(table, 'incomplete', { reason: 'maxDepth' })
          : sr.result(table, 'holds');
      }
      current = next;
      level++;
      if (level > maxDepth) {
        // Unreachable: workers at the bound insert nothing (they only look for new successors).
        assert(false, 'parallel search went past its depth bound');
      }
    }
  }

  function absorb(r: WorkReply, next: Uint8Array[]): void {
    const l = r.log;
    for (let i = 0; i < l.length; i += 3) log.recordAt(l[i]!, l[i + 1]!, l[i + 2]!);
    for (const c of r.out) {
      next.push(c);
      queuedBytes += c.byteLength;
    }
    sr.transitions += r.transitions;
    sr.pruned += r.pruned;
  }
}

function startPool(
  ts: TransitionSystem,
  source: ModelSource,
  options: ModelOptions,
  opts: ParallelOptions,
  ctl: SharedArrayBuffer,
  table: SharedArrayBuffer,
): Pool {
  const pool: Pool = { ports: [], threads: [], tableOf: [] };
  const bundle = bundledWorker();
  const script =
    bundle !== null
      ? boot(bundle, source.kind === 'module')
      : boot(pathToFileURL(workerSource).href, true);
  for (let index = 0; index < opts.workers; index++) {
    const { port1, port2 } = new MessageChannel();
    const init: WorkerInit & { index: number } = {
      index,
      source,
      options,
      por: opts.por !== false && ts.isSafeLocal !== undefined,
      symmetry: opts.symmetry !== false && ts.canonicalize !== undefined,
      hashSeed: opts.hashSeed ?? DEFAULT_HASH_SEED,
      maxDepth: opts.maxDepth ?? Number.POSITIVE_INFINITY,
      ctl,
      table,
      port: port2,
    };
    const thread = new Worker(script, { eval: true, workerData: init, transferList: [port2] });
    thread.unref();
    pool.ports.push(port1);
    pool.threads.push(thread);
    pool.tableOf.push(table);
  }
  return pool;
}
