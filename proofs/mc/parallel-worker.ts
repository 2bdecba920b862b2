// A worker of the parallel search (./parallel.ts; ADR 007 "Parallel search"): builds its own copy
// of the model, then expands the chunks of frontier states the coordinator sends, inserting
// successors into the shared table (./shared-store.ts) and returning the new ones as next-level
// chunks with their (id, parent, action) log. Each chunk is processed like the sequential BFS
// processes its batches (engine.ts bfs): expand a batch, load the slots, then select and insert
// state by state, in the same order, with the same checks. A worker checks the pause and stop
// words before inserting each state's successors; what it did not process goes back as `rest`.
import { pathToFileURL } from 'node:url';
import { isMainThread, workerData } from 'node:worker_threads';
import { assert } from '../../spec/common/assert.ts';
import { ModelLimitReached, type TransitionSystem } from '../../spec/common/transition.ts';
import { findModel } from '../models/registry.ts';
import type { ModelEntry } from '../models/types.ts';
import { BFS_BATCH, makeViews, Search } from './engine.ts';
import { ChunkReader, ChunkWriter } from './frontier.ts';
import { StateHasher } from './hash.ts';
import {
  better,
  type Candidate,
  type ModelSource,
  type Reply,
  type StopMessage,
  type WorkerInit,
  type WorkMessage,
  type WorkReply,
} from './parallel-protocol.ts';
import { CTL_MAILBOX, CTL_PAUSE_AT, CTL_STOP, SharedTable } from './shared-store.ts';

/**
 * Records per next-level chunk: small enough to spread a level over the workers, large enough
 * that the per-chunk messages and hand-offs stay a small share. 2048 rather than 512: on the
 * 12.4 M-state bench run (net-pipeline clients=2 frames=5, 2 workers, load ~1.5) the parallel
 * search took 42.5–43.9 s wall instead of 46.3–47.3 s, 82–85 s CPU instead of 90–94 s
 * (4096: 44.9 s, 8192: 43.7 s; 2026-12-08).
 */
export const CHUNK_STATES = 2048;

async function loadEntry(source: ModelSource): Promise<ModelEntry> {
  if (source.kind === 'builtin') {
    const e = findModel(source.name);
    assert(e !== undefined, `worker: no built-in model ${source.name}`);
    return e;
  }
  const mod = (await import(pathToFileURL(source.path).href)) as Record<string, unknown>;
  const e = (mod['default'] ?? mod['model']) as ModelEntry | undefined;
  assert(e !== undefined, `worker: ${source.path} exports no model entry`);
  return e;
}

class Worker {
  readonly w: number;
  readonly sr: Search;
  readonly table: SharedTable;
  readonly reader: ChunkReader;
  readonly batch: Uint32Array;
  readonly views: Uint32Array[];
  readonly sums1 = new Int32Array(BFS_BATCH);
  readonly sums2 = new Int32Array(BFS_BATCH);
  readonly ids = new Int32Array(BFS_BATCH);
  readonly starts = new Int32Array(BFS_BATCH + 1);
  readonly writer: ChunkWriter;
  readonly rest: ChunkWriter;
  log = new Int32Array(3 * CHUNK_STATES * 4);

  constructor(
    readonly index: number,
    readonly ts: TransitionSystem,
    readonly init: WorkerInit,
  ) {
    this.w = ts.stateWords;
    this.sr = new Search(
      ts,
      {
        search: 'bfs',
        por: init.por,
        symmetry: init.symmetry,
        hashSeed: init.hashSeed,
        // The coordinator accounts for memory; a worker's own buffers are small.
        maxMemoryBytes: Number.MAX_SAFE_INTEGER,
      },
      () => performance.now(),
    );
    this.table = new SharedTable(init.ctl);
    this.table.attach(init.table);
    this.reader = new ChunkReader(this.w);
    this.writer = new ChunkWriter(this.w);
    this.rest = new ChunkWriter(this.w);
    this.batch = new Uint32Array(BFS_BATCH * this.w);
    this.views = makeViews(this.batch, this.w, BFS_BATCH);
  }

  run(msg: WorkMessage): WorkReply {
    if (msg.table !== undefined) this.table.attach(msg.table);
    const { sr, table, w } = this;
    const ctl = table.ctl;
    const level = msg.level;
    const atDepthBound = level >= this.init.maxDepth;
    const out: Uint8Array[] = [];
    // Reused across chunks (a chunk's allocations would otherwise be ~200 KiB each).
    const writer = this.writer;
    const rest = this.rest;
    let log = this.log;
    let logN = 0;
    let candidate: Candidate | undefined;
    let truncated = false;
    let expanded = 0;
    const t0 = sr.transitions;
    const p0 = sr.pruned;
    this.reader.open(msg.chunk);
    let stopped = false;
    const offer = (c: Candidate): void => {
      if (better(c, candidate)) candidate = c;
    };
    for (;;) {
      // Read a batch.
      let size = 0;
      while (size < BFS_BATCH && this.reader.next(this.views[size]!)) {
        this.sums1[size] = this.reader.sum1;
        this.sums2[size] = this.reader.sum2;
        this.ids[size] = this.reader.id;
        size++;
      }
      if (size === 0) break;
      if (stopped) {
        for (let b = 0; b < size; b++) {
          rest.push(this.batch, b * w, this.sums1[b]!, this.sums2[b]!, this.ids[b]!);
        }
        continue;
      }
      sr.n = 0;
      for (let b = 0; b < size; b++) {
        const s = this.views[b]!;
        this.starts[b] = sr.expand(s, this.sums1[b]!, this.sums2[b]!);
        const q = sr.checkQuiescent(s) ?? sr.checkHint(s);
        if (q !== null) {
          offer({
            id: this.ids[b]!,
            depth: level,
            ...q,
            h1: StateHasher.finish1(this.sums1[b]!),
            h2: StateHasher.finish2(this.sums2[b]!),
          });
        }
      }
      this.starts[size] = sr.n;
      sr.touchAll(table);
      for (let b = 0; b < size; b++) {
        if (Atomics.load(ctl, CTL_STOP) !== 0 || table.count >= Atomics.load(ctl, CTL_PAUSE_AT)) {
          // Pause (the table must grow) or stop: this state and the rest go back unprocessed.
          stopped = true;
          for (let r = b; r < size; r++) {
            rest.push(this.batch, r * w, this.sums1[r]!, this.sums2[r]!, this.ids[r]!);
          }
          break;
        }
        expanded++;
        const from = this.starts[b]!;
        const to = this.starts[b + 1]!;
        if (atDepthBound) {
          if (sr.anyNew(table, from, to)) truncated = true;
          continue;
        }
        const parent = this.ids[b]!;
        sr.select(this.views[b]!, table, from, to);
        const { succ, succAction, succH1, succH2, sel, selN } = sr;
        for (let k = 0; k < selN; k++) {
          const i = sel[k]!;
          sr.transitions++;
          const id = table.put(succH1[i]!, succH2[i]!);
          if (id < 0) continue;
          if (logN + 3 > log.length) {
            const next = new Int32Array(log.length * 2);
            next.set(log);
            log = next;
            this.log = log;
          }
          log[logN++] = id;
          log[logN++] = parent;
          log[logN++] = succAction[i]!;
          writer.push(succ, i * w, sr.succSum1[i]!, sr.succSum2[i]!, id);
          if (writer.count >= CHUNK_STATES) out.push(writer.take());
          const found = sr.checkInvariants(sr.views[i]!);
          if (found !== null) {
            offer({ id, depth: level + 1, ...found, h1: succH1[i]!, h2: succH2[i]! });
          }
        }
      }
    }
    if (writer.count > 0) out.push(writer.take());
    return {
      type: 'done',
      worker: this.index,
      out,
      log: log.slice(0, logN),
      expanded,
      transitions: sr.transitions - t0,
      pruned: sr.pruned - p0,
      truncated,
      ...(candidate !== undefined ? { candidate } : {}),
      ...(rest.count > 0 ? { rest: rest.take() } : {}),
    };
  }
}

async function main(): Promise<void> {
  const init = workerData as WorkerInit & { readonly index: number };
  const port = init.port;
  const ctl = new Int32Array(init.ctl);
  const reply = (r: Reply, transfer: ArrayBuffer[] = []): void => {
    port.postMessage(r, transfer);
    Atomics.add(ctl, CTL_MAILBOX, 1);
    Atomics.notify(ctl, CTL_MAILBOX);
  };
  let worker: Worker;
  try {
    const entry = await loadEntry(init.source);
    worker = new Worker(init.index, entry.build(init.options), init);
  } catch (e) {
    reply({
      type: 'error',
      worker: init.index,
      message: e instanceof Error ? e.message : String(e),
    });
    return;
  }
  port.on('message', (m: WorkMessage | StopMessage) => {
    if (m.type === 'stop') {
      port.close();
      return;
    }
    try {
      const r = worker.run(m);
      const transfer = [...r.out.map((c) => c.buffer), r.log.buffer];
      if (r.rest !== undefined) transfer.push(r.rest.buffer);
      reply(r, transfer as ArrayBuffer[]);
    } catch (e) {
      if (e instanceof ModelLimitReached) {
        reply({ type: 'error', worker: init.index, message: e.message, modelLimit: true });
        return;
      }
      const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      reply({ type: 'error', worker: init.index, message });
    }
  });
}

// Imported by the coordinator too (for CHUNK_STATES' sake it should not be): run only in a worker.
if (!isMainThread) void main();
