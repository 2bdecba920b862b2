// Messages between the parallel search's coordinator (./parallel.ts) and its workers
// (./parallel-worker.ts). Chunks of states travel as transferred byte arrays (./frontier.ts
// ChunkWriter); the fingerprint table and the control words are shared (./shared-store.ts).
import type { MessagePort } from 'node:worker_threads';
import type { ModelOptions } from '../models/types.ts';

/** Where a worker gets its own copy of the model: built-in by name, or a user's module file. */
export type ModelSource =
  | { readonly kind: 'builtin'; readonly name: string }
  | { readonly kind: 'module'; readonly path: string };

export interface WorkerInit {
  readonly source: ModelSource;
  readonly options: ModelOptions;
  readonly por: boolean;
  readonly symmetry: boolean;
  readonly hashSeed: number;
  readonly maxDepth: number;
  readonly ctl: SharedArrayBuffer;
  readonly table: SharedArrayBuffer;
  readonly port: MessagePort;
}

export interface WorkMessage {
  readonly type: 'work';
  readonly chunk: Uint8Array;
  /** BFS level of the chunk's states. */
  readonly level: number;
  /** A new (grown) table, when it changed since the last message. */
  readonly table?: SharedArrayBuffer;
}

export interface StopMessage {
  readonly type: 'stop';
}

/** A violation a worker found; the coordinator keeps the least by (depth, property, h1, h2). */
export interface Candidate {
  readonly id: number;
  readonly depth: number;
  readonly property: string;
  readonly message: string;
  readonly h1: number;
  readonly h2: number;
}

export interface WorkReply {
  readonly type: 'done';
  readonly worker: number;
  /** Next-level chunks and their record counts. */
  readonly out: Uint8Array[];
  /** (id, parent id, action) per new state. */
  readonly log: Int32Array;
  readonly expanded: number;
  readonly transitions: number;
  readonly pruned: number;
  /** A state at the depth bound had a new successor. */
  readonly truncated: boolean;
  readonly candidate?: Candidate;
  /** States of the chunk not processed because of a pause or a stop, to be handed out again. */
  readonly rest?: Uint8Array;
}

export interface ErrorReply {
  readonly type: 'error';
  readonly worker: number;
  readonly message: string;
  /** The model could not represent a successor (ModelLimitReached): incomplete, not a crash. */
  readonly modelLimit?: boolean;
}

export type Reply = WorkReply | ErrorReply;

/** Worse-or-equal candidate: the coordinator's order, so every run reports the same one. */
export function better(a: Candidate, b: Candidate | undefined): boolean {
  if (b === undefined) return true;
  if (a.depth !== b.depth) return a.depth < b.depth;
  if (a.property !== b.property) return a.property < b.property;
  if (a.h1 !== b.h1) return a.h1 < b.h1;
  return a.h2 < b.h2;
}
