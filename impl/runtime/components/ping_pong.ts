// A two-PD ping-pong (test/fixtures/runtime/ping_pong.system), the runtime's own example and
// benchmark load. All service state lives in shared memory (LionsOS §5.2: that is what makes a
// restart lossless): `shared` holds the request and reply words, `ping_log` the replies seen.
//   shared:   +0 request (u32, written by ping)   +4 reply (u32, written by pong)
//   ping_log: +0 count (u32)                       +4 + 4*(i % capacity) reply i

import type { Component, ComponentContext } from '../api.ts';
import { mapOf } from '../config.ts';
import { assert } from '../../../spec/common/assert.ts';

export const REQUEST_OFFSET = 0;
export const REPLY_OFFSET = 4;
export const LOG_COUNT_OFFSET = 0;
export const LOG_ENTRIES_OFFSET = 4;

/** What pong answers to request `v`: a u32 function, so a wrong or stale reply is visible. */
export function pongReply(v: number): number {
  return (Math.imul(v, 3) + 1) >>> 0;
}

export function pingComponent(ctx: ComponentContext): Component {
  const { api, config } = ctx;
  const rounds = typeof ctx.params['rounds'] === 'number' ? ctx.params['rounds'] : 10;
  const shared = mapOf(config, 'shared').vaddr;
  const log = mapOf(config, 'ping_log');
  const capacity = Math.floor((log.sizeBytes - LOG_ENTRIES_OFFSET) / 4);
  const ch = config.channels[0]?.id;
  assert(ch !== undefined && capacity > 0, `ping has a channel and room for a log`);
  const send = (): void => {
    const count = api.mem.read32(log.vaddr + LOG_COUNT_OFFSET);
    if (count >= rounds) return;
    api.mem.write32(shared + REQUEST_OFFSET, count + 1);
    api.notify(ch);
  };
  return {
    // init re-attaches to whatever the log already holds: after a restart the run continues.
    init: send,
    notified(c: number): void {
      if (c !== ch) return;
      const count = api.mem.read32(log.vaddr + LOG_COUNT_OFFSET);
      const reply = api.mem.read32(shared + REPLY_OFFSET);
      api.mem.write32(log.vaddr + LOG_ENTRIES_OFFSET + 4 * (count % capacity), reply);
      api.mem.write32(log.vaddr + LOG_COUNT_OFFSET, count + 1);
      send();
    },
  };
}

export function pongComponent(ctx: ComponentContext): Component {
  const { api, config } = ctx;
  const shared = mapOf(config, 'shared').vaddr;
  const ch = config.channels[0]?.id;
  assert(ch !== undefined, 'pong has a channel');
  return {
    init(): void {},
    notified(c: number): void {
      if (c !== ch) return;
      api.mem.write32(shared + REPLY_OFFSET, pongReply(api.mem.read32(shared + REQUEST_OFFSET)));
      api.notify(ch);
    },
  };
}

/** Registry bindings usable by both schedulers (the worker imports this module by URL). */
export function pingPongBindings(rounds: number): {
  ping: import('../registry.ts').ComponentBinding;
  pong: import('../registry.ts').ComponentBinding;
} {
  const moduleUrl = import.meta.url;
  return {
    ping: { factory: pingComponent, moduleUrl, exportName: 'pingComponent', params: { rounds } },
    pong: { factory: pongComponent, moduleUrl, exportName: 'pongComponent' },
  };
}
