// Starting a worker_thread on a TypeScript module. On Node 20, `execArgv: ['--import', 'tsx']`
// does not reach a Worker's own entry ("Unknown file extension .ts"), so the worker boots from a
// one-line eval script that registers tsx's ESM hooks (its ESM API build) and then imports the
// entry module. Used by the worker scheduler, the queue tests and the benchmarks.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

const tsxRoot = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
const tsxEsmApi = pathToFileURL(join(tsxRoot, 'dist/esm/api/index.mjs')).href;

export function startTsWorker(entry: URL, workerData: unknown): Worker {
  const boot = `import(${JSON.stringify(tsxEsmApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { eval: true, workerData });
}
