// Block benchmark (issue #13): `npm run bench:blk [-- --requests N --runs R --window W]`.
// 4 KiB random reads and writes (half each, random blocks of one partition, W in flight) on the
// built-in blk system under the deterministic runtime, two ways, in one process, interleaved:
//  - through the virt: a bench client in client0's PD (client → virt → driver → device);
//  - straight to the driver: the same bench client in the virt's PD on the driver's queues
//    (client → driver → device), the blocks shifted into the same partition by hand.
// IOPS = completed requests per host-CPU second of this process (the emulation's cost, not a
// disk's); min and median of R ≥ 3 runs of each, and the ratio through-virt / direct of the
// medians.

import { BLK_TRANSFER_SIZE_BYTES, BlkReqCode } from '../spec/queue/blk.ts';
import { openBlkConnection, type BlkConnection } from '../impl/components/blk/config.ts';
import type { Component, ComponentContext } from '../impl/runtime/api.ts';
import type { ComponentBinding } from '../impl/runtime/registry.ts';
import { Prng } from '../impl/runtime/prng.ts';
import { loadSystemModel } from '../impl/runtime/load.ts';
import { BLK_SYSTEM_PATH, runBlk } from '../impl/systems/blk/run.ts';
import { wireBlk } from '../impl/systems/blk/wiring.ts';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const REQUESTS = arg('requests', 20_000);
const RUNS = Math.max(3, arg('runs', 5));
const WINDOW = arg('window', 32);

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1
    ? s[(s.length - 1) / 2]!
    : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface BenchTarget {
  readonly conn: BlkConnection;
  readonly dataVaddr: number;
  readonly dataBytes: number;
  /** Added to a buffer's offset: 0 for a client (offsets), the I/O address for the driver. */
  readonly ioBase: bigint;
  readonly firstBlock: bigint;
  readonly blocks: bigint;
}

/** Random 4 KiB READ/WRITE requests, WINDOW in flight, until `requests` are answered. */
function benchClient(t: BenchTarget, requests: number, done: { answered: number; errors: number }) {
  return (ctx: ComponentContext): Component => {
    const q = openBlkConnection(ctx.api, t.conn);
    const rng = Prng.fromSeed(42);
    const buffers = Math.min(WINDOW, Math.floor(t.dataBytes / BLK_TRANSFER_SIZE_BYTES));
    const free = Array.from({ length: buffers }, (_, i) => i);
    let sent = 0;
    const step = (): void => {
      for (let r = q.resp.dequeue(); r !== null; r = q.resp.dequeue()) {
        done.answered++;
        if (r.status !== 0) done.errors++;
        free.push(r.id);
      }
      let any = false;
      while (sent < requests && free.length > 0 && !q.req.full()) {
        const b = free.pop()!;
        const block = t.firstBlock + BigInt(rng.below(Number(t.blocks)));
        q.req.enqueue({
          code: rng.below(2) === 0 ? BlkReqCode.READ : BlkReqCode.WRITE,
          ioOrOffset: t.ioBase + BigInt(b * BLK_TRANSFER_SIZE_BYTES),
          blockNumber: block,
          count: 1,
          id: b,
        });
        sent++;
        any = true;
      }
      if (any) ctx.api.notify(t.conn.id);
    };
    return { init: step, notified: step };
  };
}

const idle: ComponentBinding = { factory: () => ({ init: () => {}, notified: () => {} }) };

function once(direct: boolean): { iops: number; answered: number } {
  const wiring = wireBlk(loadSystemModel(BLK_SYSTEM_PATH).model!).wiring!;
  const part = { first: 256n, blocks: 1916n }; // partition 0 of the generated disk, in blocks
  const done = { answered: 0, errors: 0 };
  const target: BenchTarget = direct
    ? {
        conn: wiring.virt.driver.conn,
        dataVaddr: wiring.virt.driver.data.vaddr,
        dataBytes: wiring.virt.driver.data.sizeBytes,
        ioBase: wiring.virt.driver.data.ioAddr,
        firstBlock: part.first,
        blocks: part.blocks,
      }
    : {
        conn: wiring.clients[0]!.conn,
        dataVaddr: wiring.clients[0]!.data.vaddr,
        dataBytes: wiring.clients[0]!.data.sizeBytes,
        ioBase: 0n,
        firstBlock: 0n,
        blocks: part.blocks,
      };
  const bench: ComponentBinding = { factory: benchClient(target, REQUESTS, done) };
  // Host CPU of this process (user + system), not wall time: other processes on a shared
  // machine do not count, the emulation's own work does (as bench/net.ts).
  const c0 = process.cpuUsage();
  runBlk({
    seed: 1,
    rounds: 0,
    monitorVirt: false,
    maxSteps: 100 * REQUESTS + 100_000,
    rebind: (pd, b) => {
      if (pd === 'client1') return idle;
      if (direct) return pd === 'virt' ? bench : pd === 'client0' ? idle : b;
      return pd === 'client0' ? bench : b;
    },
  });
  const used = process.cpuUsage(c0);
  const seconds = (used.user + used.system) / 1e6;
  if (done.answered !== REQUESTS || done.errors !== 0) {
    throw new Error(`bench: ${done.answered}/${REQUESTS} answered, ${done.errors} errors`);
  }
  return { iops: REQUESTS / seconds, answered: done.answered };
}

const virt: number[] = [];
const direct: number[] = [];
once(false); // warm-up (JIT), not counted
once(true);
for (let i = 0; i < RUNS; i++) {
  virt.push(once(false).iops);
  direct.push(once(true).iops);
}
const fmt = (x: number): string => Math.round(x).toString().padStart(8);
console.log(
  `bench:blk — ${REQUESTS} random 4 KiB requests (50 % read), ${WINDOW} in flight, ${RUNS} runs each`,
);
console.log(`  through the virt   IOPS min ${fmt(Math.min(...virt))}  median ${fmt(median(virt))}`);
console.log(
  `  straight to driver IOPS min ${fmt(Math.min(...direct))}  median ${fmt(median(direct))}`,
);
console.log(
  `  ratio (through virt / direct, medians): ${(median(virt) / median(direct)).toFixed(2)}`,
);
