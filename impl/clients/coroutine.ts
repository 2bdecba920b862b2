// Cooperative coroutines for a single-threaded PD (LionsOS §4.2: the blocking API is "layered over
// the native one using a coroutine library", libmicrokitco). A task is a generator that yields the
// event it waits for; the PD's entry points signal events and run the ready tasks to their next
// wait. Nothing preempts a task and nothing runs concurrently with the PD, so tasks need no locks.

import { assert } from '../../spec/common/assert.ts';

export interface WaitFor {
  readonly event: string;
}

export type Task<T = void> = Generator<WaitFor, T, void>;

interface Entry {
  readonly gen: Task;
  waiting: string | null;
}

/** Bound on resumptions in one run(): a task that keeps waking itself is a bug, not a hang. */
const MAX_RESUMES_PER_RUN = 100_000;

export class Coroutines {
  private readonly tasks: Entry[] = [];
  finished = 0;

  spawn(gen: Task): void {
    this.tasks.push({ gen, waiting: null });
  }

  /** Tasks blocked on `event` become ready. */
  signal(event: string): void {
    for (const t of this.tasks) if (t.waiting === event) t.waiting = null;
  }

  waitingOn(event: string): boolean {
    return this.tasks.some((t) => t.waiting === event);
  }

  get size(): number {
    return this.tasks.length;
  }

  /** Resume every ready task until each waits (or ends); returns the resumptions made. */
  run(): number {
    let resumes = 0;
    for (let progress = true; progress;) {
      progress = false;
      for (let i = 0; i < this.tasks.length; i++) {
        const t = this.tasks[i]!;
        if (t.waiting !== null) continue;
        assert(++resumes <= MAX_RESUMES_PER_RUN, 'coroutines reach a wait within the bound');
        const r = t.gen.next();
        progress = true;
        if (r.done === true) {
          this.tasks.splice(i--, 1);
          this.finished++;
        } else {
          t.waiting = r.value.event;
        }
      }
    }
    return resumes;
  }
}
