// Start a worker_threads Worker on a TypeScript file. On Node 20 `execArgv: ['--import', 'tsx']`
// does not give a worker the tsx loader ("Unknown file extension .ts"), so the worker is
// booted from a tiny eval script that registers tsx's ESM hooks and then imports the entry.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

// The ESM build of tsx's API (require.resolve would pick the CJS one, which cannot register ESM hooks here).
const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
const tsxApi = pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href;

export function startTsWorker(entry: URL, workerData: unknown): Worker {
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { eval: true, workerData });
}
