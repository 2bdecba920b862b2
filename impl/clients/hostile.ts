// A hostile client (issue 9 part 8; bug catalogue O2–O4): at random times (a timer with a random
// period) it writes arbitrary values, at random offsets and widths, into everything it maps
// writable — its queue MRs (indices, descriptors, the signal flag), its Rx and Tx data regions,
// its serial queue — and it enqueues plausible lies: duplicates, other clients' offsets, bad
// lengths and oids. Then it notifies its copier and virt_tx so they look. Notifications it gets
// are ignored (it never returns anything). Seeded: the same seed writes the same bytes. It counts
// its writes; it checks nothing.

import type { Component, ComponentContext } from '../runtime/api.ts';
import { SeededRng } from '../hw/rng.ts';
import { Counters } from '../components/net/counters.ts';
import type { NetClientConfig } from '../components/net/config.ts';
import { timerSetTimeout } from './timer.ts';

export const HOSTILE_COUNTERS = ['writes', 'lies', 'wakes'] as const;

export interface HostileParams {
  readonly seed?: number;
  /** Arbitrary writes per wake. */
  readonly writesPerWake?: number;
  /** The random timer period is uniform in [minNs, maxNs]. */
  readonly periodNs?: { readonly min: number; readonly max: number };
  /** Stop after this many writes (then it only sleeps). */
  readonly maxWrites?: number;
}

export function hostileClient(ctx: ComponentContext): Component {
  const { api } = ctx;
  const p = ctx.params as unknown as HostileParams & {
    config: NetClientConfig;
    timer?: { id: number };
    counters?: SharedArrayBuffer;
  };
  const rng = new SeededRng((p.seed ?? 0x0bad_c0de) + (ctx.restarts ?? 0));
  const c = new Counters(HOSTILE_COUNTERS, p.counters);
  const perWake = p.writesPerWake ?? 64;
  const period = p.periodNs ?? { min: 10_000, max: 200_000 };
  const maxWrites = p.maxWrites ?? Number.POSITIVE_INFINITY;
  const writable = api.mem.describe().filter((m) => m.perms.w);
  const cfg = p.config;
  // Queue MRs get most of the attention: that is where a virtualiser reads what the client says.
  const queueMaps = [cfg.rx.free, cfg.rx.active, cfg.tx.free, cfg.tx.active];

  const randomValue = (bits: number): number => {
    // Mostly extremes and small numbers, which hit bounds checks; sometimes anything.
    switch (rng.below(4)) {
      case 0:
        return 0;
      case 1:
        return (2 ** bits - 1) >>> 0;
      case 2:
        return rng.below(4096);
      default:
        return rng.nextU32();
    }
  };

  const oneWrite = (): void => {
    const inQueue = rng.below(4) !== 0;
    const m = inQueue
      ? queueMaps[rng.below(queueMaps.length)]!
      : writable[rng.below(writable.length)]!;
    const size = m.sizeBytes;
    // Header words (tail, head, flag) are the interesting part of a queue MR: a third of the time.
    const at = inQueue && rng.below(3) === 0 ? rng.below(8) : rng.below(size);
    const width = [1, 2, 4, 8][rng.below(4)]!;
    const off = Math.min(at, size - width);
    const v = m.vaddr + off;
    if (width === 1) api.mem.write8(v, randomValue(8));
    else if (width === 2) api.mem.write16(v, randomValue(16));
    else if (width === 4) api.mem.write32(v, randomValue(32));
    else api.mem.write64(v, (BigInt(randomValue(32)) << 32n) | BigInt(randomValue(32)));
    c.inc('writes');
  };

  /** A descriptor that looks almost right, written straight into the Tx active queue and published. */
  const lie = (): void => {
    const q = rng.below(2) === 0 ? cfg.tx.active : cfg.rx.free;
    const cap = (q === cfg.tx.active ? cfg.tx : cfg.rx).numBuffers;
    const tail = api.mem.read16(q.vaddr);
    const slot = q.vaddr + 8 + 16 * (tail % cap);
    const offsets = [
      0,
      2048 * rng.below(cap),
      2048 * cap,
      2048 * (cap + rng.below(cap)),
      1,
      rng.nextU32(),
    ];
    api.mem.write64(slot, BigInt(offsets[rng.below(offsets.length)]!));
    api.mem.write16(slot + 8, [0, 1, 60, 1514, 2048, 2049, 0xffff][rng.below(7)]!);
    api.mem.write8(slot + 10, rng.below(3) === 0 ? rng.below(64) : 0);
    api.mem.write16(q.vaddr, (tail + 1 + (rng.below(8) === 0 ? rng.below(2000) : 0)) & 0xffff);
    c.inc('lies');
    c.inc('writes', 4);
  };

  const rampage = (): void => {
    c.inc('wakes');
    for (let i = 0; i < perWake && c.get('writes') < maxWrites; i++) {
      if (rng.below(8) === 0) lie();
      else oneWrite();
    }
    api.notify(cfg.rx.id);
    api.notify(cfg.tx.id);
  };

  const arm = (): void => {
    if (p.timer !== undefined && c.get('writes') < maxWrites) {
      timerSetTimeout(api, p.timer.id, BigInt(period.min + rng.below(period.max - period.min + 1)));
    }
  };

  return {
    init(): void {
      rampage();
      arm();
    },
    notified(ch: number): void {
      if (p.timer === undefined || ch !== p.timer.id) return;
      rampage();
      arm();
    },
  };
}
