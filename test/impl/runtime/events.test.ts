// The runtime's event recorder and its ITF form (impl/runtime/events.ts; verification-tools.md §2):
// counts per action, the cap on kept events, and one ITF state per event with the event's other
// fields as `detail`.
import { describe, expect, it } from 'vitest';
import { MAX_RECORDED_EVENTS, Recorder, eventsToItf } from '../../../impl/runtime/events.ts';

describe('Recorder', () => {
  it('counts every action and keeps the events in order', () => {
    const r = new Recorder();
    expect(r.count('init')).toBe(0);
    r.push({ action: 'init', pd: 'a' });
    r.push({ action: 'notified', pd: 'a', ch: 3 });
    r.push({ action: 'init', pd: 'b' });
    expect(r.count('init')).toBe(2);
    expect(r.count('notified')).toBe(1);
    expect(r.count('fault')).toBe(0);
    expect(r.events.map((e) => e.pd)).toEqual(['a', 'a', 'b']);
    expect(r.truncated).toBe(false);
  });

  it('past MAX_RECORDED_EVENTS it only counts, and says so', () => {
    const r = new Recorder();
    const e = { action: 'init', pd: 'a' } as const;
    for (let i = 0; i < MAX_RECORDED_EVENTS; i++) r.events.push(e);
    r.push(e);
    expect(r.events.length).toBe(MAX_RECORDED_EVENTS);
    expect(r.truncated).toBe(true);
    expect(r.count('init')).toBe(1);
    const s = new Recorder();
    for (let i = 0; i < MAX_RECORDED_EVENTS - 1; i++) s.events.push(e);
    s.push(e);
    expect(s.events.length).toBe(MAX_RECORDED_EVENTS);
    expect(s.truncated).toBe(false);
  });
});

describe('eventsToItf', () => {
  it('one state per event: step, pd, action, and the other fields as detail', () => {
    const itf = eventsToItf(
      [
        { action: 'init', pd: 'drv' },
        { action: 'notify', pd: 'drv', ch: 1, to: 'virt', toCh: 2, deferred: true },
      ],
      { seed: 7, mode: 'priority' },
    );
    expect(itf['#meta']).toEqual({
      format: 'ITF',
      'format-description': 'https://apalache-mc.org/docs/adr/015adr-trace.html',
      source: 'sddf-model',
      model: 'runtime',
      seed: 7,
      mode: 'priority',
    });
    expect(itf['vars']).toEqual(['step', 'pd', 'action', 'detail']);
    expect(itf['states']).toEqual([
      {
        '#meta': { index: 0, action: 'init', pd: 'drv' },
        step: 0,
        pd: 'drv',
        action: 'init',
        detail: {},
      },
      {
        '#meta': { index: 1, action: 'notify', pd: 'drv' },
        step: 1,
        pd: 'drv',
        action: 'notify',
        detail: { ch: 1, to: 'virt', toCh: 2, deferred: true },
      },
    ]);
  });
});
