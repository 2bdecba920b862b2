// Runtime benchmark (issue #5 part 7): `npx tsx bench/runtime.ts [rounds] [runs]` (runs: paired
// runs, default 3; min and median reported).
//  1. Notification round trip between two PDs in worker mode (ping-pong fixture: Atomics.or on the
//     peer's notification word + Atomics.notify; Atomics.wait to block), against a MessageChannel
//     ping-pong between two plain workers, measured in the same run. Prints both and the ratio.
//  2. Deterministic-scheduler handler dispatches per second (recording off, then on).
// Warm-up rounds are excluded: the clock starts when the first `WARMUP` round trips are done.

import { loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DeterministicRuntime } from '../impl/runtime/deterministic.ts';
import { loadSystemModel } from '../impl/runtime/load.ts';
import { ParallelRuntime } from '../impl/runtime/parallel.ts';
import { ComponentRegistry } from '../impl/runtime/registry.ts';
import { pingPongBindings } from '../impl/runtime/components/ping_pong.ts';

const ROUNDS = Number(process.argv[2] ?? 200_000);
const RUNS = Number(process.argv[3] ?? 3);
const WARMUP = Math.min(10_000, Math.floor(ROUNDS / 10));
const FIXTURE = 'test/fixtures/runtime/ping_pong.system';
const model = loadSystemModel(FIXTURE).model;
if (model === undefined) throw new Error(`cannot load ${FIXTURE}`);

function registry(rounds: number): ComponentRegistry {
  const b = pingPongBindings(rounds);
  return new ComponentRegistry().register('ping', b.ping).register('pong', b.pong);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Round trips per second of the runtime's worker mode, from the ping PD's own log counter. */
async function workerRoundTrips(rounds: number): Promise<number> {
  const rt = ParallelRuntime.create(model!, { registry: registry(rounds) }).runtime!;
  const count = new Uint32Array(rt.region('ping_log').buffer!, 0, 1);
  const done = rt.run({ timeoutMs: 600_000 });
  while (Atomics.load(count, 0) < WARMUP) await sleep(1);
  const t0 = performance.now();
  const c0 = Atomics.load(count, 0);
  while (Atomics.load(count, 0) < rounds) await sleep(1);
  const t1 = performance.now();
  const r = await done;
  if (r.status !== 'quiescent' || r.faults.length > 0)
    throw new Error(`worker run ended ${r.status} with ${r.faults.length} faults`);
  return ((rounds - c0) / (t1 - t0)) * 1000;
}

/** The peer: two plain workers bouncing a counter over a MessageChannel. */
async function messageChannelRoundTrips(rounds: number): Promise<number> {
  const pinger = `
    const { workerData, parentPort } = require('node:worker_threads');
    const { port, rounds, warmup } = workerData;
    let t0 = 0;
    port.on('message', (n) => {
      if (n === warmup) t0 = performance.now();
      if (n >= rounds) { parentPort.postMessage((rounds - warmup) / (performance.now() - t0) * 1000); port.close(); return; }
      port.postMessage(n + 1);
    });
    port.postMessage(1);`;
  const ponger = `
    const { workerData } = require('node:worker_threads');
    const { port } = workerData;
    port.on('message', (n) => port.postMessage(n));
    port.on('close', () => process.exit(0));`;
  const { port1, port2 } = new MessageChannel();
  const a = new Worker(pinger, {
    eval: true,
    workerData: { port: port1, rounds, warmup: WARMUP },
    transferList: [port1],
  });
  const b = new Worker(ponger, { eval: true, workerData: { port: port2 }, transferList: [port2] });
  const rate = await new Promise<number>((resolve, reject) => {
    a.once('message', resolve);
    a.once('error', reject);
    b.once('error', reject);
  });
  await a.terminate();
  await b.terminate();
  return rate;
}

function deterministicDispatches(rounds: number, record: boolean): number {
  const rt = DeterministicRuntime.create(model!, { registry: registry(rounds), record }).runtime!;
  const t0 = performance.now();
  const r = rt.run({ maxSteps: 4 * rounds + 10 });
  const t1 = performance.now();
  if (r.status !== 'quiescent') throw new Error('deterministic run did not finish');
  const dispatches = 2 * rounds; // one notified() per message each way
  return (dispatches / (t1 - t0)) * 1000;
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const median = (xs: readonly number[]): number => {
  const v = [...xs].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 === 1 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
};
const runs = Math.max(1, RUNS);
const loadBefore = loadavg()[0] ?? 0;
console.log(
  `runtime bench: ${ROUNDS} round trips (warm-up ${WARMUP}), ${runs} paired runs, node ${process.version}`,
);
// Paired runs (ours, then the peer): each ratio compares runs under the same load.
const atomics: number[] = [];
const channel: number[] = [];
const ratios: number[] = [];
for (let r = 0; r < runs; r++) {
  const a = await workerRoundTrips(ROUNDS);
  const c = await messageChannelRoundTrips(ROUNDS);
  atomics.push(a);
  channel.push(c);
  ratios.push(a / c);
}
const both = (xs: readonly number[]): string =>
  `${fmt(Math.max(...xs))} best, ${fmt(median(xs))} median`;
console.log(`worker-mode notification round trip : ${both(atomics)} round trips/s`);
console.log(`MessageChannel ping-pong (2 workers): ${both(channel)} round trips/s`);
console.log(
  `ratio runtime/MessageChannel        : min ${Math.min(...ratios).toFixed(2)}x, median ${median(ratios).toFixed(2)}x`,
);
deterministicDispatches(ROUNDS / 10, false); // warm up the JIT
const off: number[] = [];
const on: number[] = [];
for (let r = 0; r < runs; r++) {
  off.push(deterministicDispatches(ROUNDS, false));
  on.push(deterministicDispatches(ROUNDS, true));
}
console.log(`deterministic dispatches, record off : ${both(off)} handler dispatches/s`);
console.log(
  `deterministic dispatches, record on  : ${both(on)} handler dispatches/s (median ${(median(on) / median(off)).toFixed(2)}x of off)`,
);
console.log(`load average (1 min): ${loadBefore.toFixed(2)} → ${(loadavg()[0] ?? 0).toFixed(2)}`);
