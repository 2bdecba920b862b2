// Benchmark: 16-byte records per second through the sDDF net queue (impl/queue/net.ts) between
// two worker threads, against ringbuf.js (a wait-free SPSC ring on SharedArrayBuffer) moving
// the same records in the same run. Both sides busy-poll; the consumer checks FIFO order.
//
//   npx tsx bench/queue-ringbuf.ts [--items N] [--rounds R] [--capacity C] [--format json]
//
// Prints both rates (best and median) and the ratio net/ringbuf (goal ≥ 0.8) as min and median over
// R paired rounds.
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { RingBuffer } from 'ringbuf.js';
import { NetQueue } from '../impl/queue/net.ts';
import { startTsWorker } from '../impl/runtime/ts-worker.ts';
import type { BenchSide } from './queue-bench-worker.ts';

const entry = new URL('./queue-bench-worker.ts', import.meta.url);

function startWorker(data: BenchSide): Promise<{ count: number; seconds: number }> {
  const w = startTsWorker(entry, data);
  return new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
}

async function once(kind: 'net' | 'ringbuf', items: number, capacity: number): Promise<number> {
  const sab =
    kind === 'net'
      ? new SharedArrayBuffer(NetQueue.sizeBytes(capacity))
      : (RingBuffer.getStorageForCapacity(capacity * 4, Uint32Array) as SharedArrayBuffer);
  const startSab = new SharedArrayBuffer(8);
  const start = new Int32Array(startSab);
  const common = { kind, sab, startSab, capacity, items };
  const producer = startWorker({ ...common, role: 'producer' });
  const consumer = startWorker({ ...common, role: 'consumer' });
  // Release both sides together once both are spinning (worker start-up is not measured).
  for (let i = 0; i < 600 && Atomics.load(start, 0) < 2; i++)
    await new Promise((r) => setTimeout(r, 10));
  Atomics.store(start, 1, 1);
  Atomics.notify(start, 1);
  const [p, c] = await Promise.all([producer, consumer]);
  if (p.count !== items || c.count !== items)
    throw new Error(`${kind}: moved ${p.count}/${c.count} of ${items}`);
  return items / Math.max(p.seconds, c.seconds);
}

const { values } = parseArgs({
  options: {
    items: { type: 'string', default: '4000000' },
    rounds: { type: 'string', default: '3' },
    capacity: { type: 'string', default: '512' },
    format: { type: 'string', default: 'text' },
  },
});
const items = Number(values.items);
const rounds = Number(values.rounds);
const capacity = Number(values.capacity);
if (
  !Number.isInteger(items) ||
  items < 1 ||
  !Number.isInteger(rounds) ||
  rounds < 1 ||
  !Number.isInteger(capacity)
) {
  console.error(
    `bad arguments: --items ${values.items} --rounds ${values.rounds} --capacity ${values.capacity}`,
  );
  process.exit(2);
}

const loadBefore = loadavg()[0] ?? 0;
// Alternating rounds, each a pair (net, then ringbuf.js): the ratio of a pair compares runs made
// under the same load; min and median over the pairs (README figures: min and median of >= 3).
const nets: number[] = [];
const rings: number[] = [];
const ratios: number[] = [];
for (let r = 0; r < rounds; r++) {
  const n = await once('net', items, capacity);
  const b = await once('ringbuf', items, capacity);
  nets.push(n);
  rings.push(b);
  ratios.push(n / b);
}
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const loadAfter = loadavg()[0] ?? 0;
const result = {
  items,
  rounds,
  capacity,
  recordBytes: 16,
  netPerSecond: { best: Math.round(Math.max(...nets)), median: Math.round(median(nets)) },
  ringbufPerSecond: { best: Math.round(Math.max(...rings)), median: Math.round(median(rings)) },
  ratio: {
    min: Number(Math.min(...ratios).toFixed(3)),
    median: Number(median(ratios).toFixed(3)),
  },
  goal: 0.8,
  loadAverage1m: { before: Number(loadBefore.toFixed(2)), after: Number(loadAfter.toFixed(2)) },
};
if (values.format === 'json') {
  console.log(JSON.stringify(result));
} else {
  const m = (x: number): string => (x / 1e6).toFixed(2);
  console.log(
    `net queue : ${m(result.netPerSecond.best)} M records/s best, ${m(result.netPerSecond.median)} median`,
  );
  console.log(
    `ringbuf.js: ${m(result.ringbufPerSecond.best)} M records/s best, ${m(result.ringbufPerSecond.median)} median`,
  );
  console.log(
    `ratio     : min ${result.ratio.min}, median ${result.ratio.median} over ${rounds} paired rounds (goal >= ${result.goal}); ${items} records, capacity ${capacity}, load ${result.loadAverage1m.before} → ${result.loadAverage1m.after}`,
  );
}
