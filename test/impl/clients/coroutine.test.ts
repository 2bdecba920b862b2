// The coroutine library under the blocking API (LionsOS §4.2).
import { describe, expect, it } from 'vitest';
import { Coroutines, type Task } from '../../../impl/clients/coroutine.ts';

describe('coroutines', () => {
  it('a task runs to its wait, resumes on its event only, and ends', () => {
    const co = new Coroutines();
    const log: string[] = [];
    function* task(): Task {
      log.push('start');
      yield { event: 'a' };
      log.push('after a');
      yield { event: 'b' };
      log.push('end');
    }
    co.spawn(task());
    co.run();
    expect(log).toEqual(['start']);
    co.signal('b');
    co.run();
    expect(log).toEqual(['start']);
    co.signal('a');
    co.run();
    expect(log).toEqual(['start', 'after a']);
    expect(co.waitingOn('b')).toBe(true);
    co.signal('b');
    co.run();
    expect(log).toEqual(['start', 'after a', 'end']);
    expect(co.size).toBe(0);
    expect(co.finished).toBe(1);
  });

  it('a task that never waits is a bug, caught by the resume bound', () => {
    const co = new Coroutines();
    function* spin(): Task {
      for (;;) yield { event: 'x' };
    }
    co.spawn(spin());
    co.run();
    // Signalling its own event from inside would loop; from outside it resumes once per signal.
    co.signal('x');
    expect(co.run()).toBe(1);
  });
});
