// Components for the worker-scheduler tests: a worker imports its component by module URL, so
// test components live in a module of their own.

import type { Component, ComponentContext } from '../../../impl/runtime/api.ts';
import { mapOf } from '../../../impl/runtime/config.ts';

/** Reads the address given in params.vaddr during init (a PD reaching for memory it may not map). */
export function snoopComponent(ctx: ComponentContext): Component {
  return {
    init: () => void ctx.api.mem.read32(ctx.params['vaddr'] as number),
    notified: () => {},
  };
}

/** ppcalls the server `params.calls` times, logging each reply word into its `log` region. */
export function ppcClientComponent(ctx: ComponentContext): Component {
  const { api, config } = ctx;
  const log = mapOf(config, 'log').vaddr;
  const ch = config.channels[0]!.id;
  return {
    init: () => {
      const calls = ctx.params['calls'] as number;
      for (let i = 0; i < calls; i++) {
        const reply = api.ppcall(ch, { label: 7, words: [BigInt(i), 0xffff_ffff_0000_0001n] });
        api.mem.write32(log + 4 * i, Number(reply.words[0]! & 0xffff_ffffn));
        api.mem.write32(log + 0x800 + 4 * i, reply.label);
      }
    },
    notified: () => {},
  };
}

export function ppcServerComponent(_ctx: ComponentContext): Component {
  return {
    init: () => {},
    notified: () => {},
    protected: (_ch, msg) => ({
      label: msg.label + 1,
      words: [msg.words[0]! * 10n + (msg.words[1]! >> 63n)],
    }),
  };
}

/** Counts IRQ wakes in its `log` region; acks (so a held level line re-fires) while under params.acks. */
export function irqCounterComponent(ctx: ComponentContext): Component {
  const { api, config } = ctx;
  const log = mapOf(config, 'log').vaddr;
  return {
    init: () => {},
    notified: (ch) => {
      const n = api.mem.read32(log) + 1;
      api.mem.write32(log, n);
      if (n < (ctx.params['acks'] as number)) api.irqAck(ch);
    },
  };
}

/** A PPC server whose protected() touches memory it does not map. */
export function faultyServerComponent(ctx: ComponentContext): Component {
  return {
    init: () => {},
    notified: () => {},
    protected: () => (ctx.api.mem.read32(0xdead_0000), { label: 0, words: [] }),
  };
}
