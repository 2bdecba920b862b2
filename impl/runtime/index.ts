// impl/runtime: Microkit-like PDs, channels, IRQs and PPC over checked memory, under a
// deterministic seeded scheduler or one worker_thread per PD (issue #5 parts 2–4 and 6;
// docs/adr/009-runtime.md).
export * from './api.ts';
export * from './config.ts';
export * from './registry.ts';
export * from './plan.ts';
export * from './events.ts';
export * from './faults.ts';
export * from './irq.ts';
export * from './prng.ts';
export { PdCore, type PdKernel } from './microkit.ts';
export * from './deterministic.ts';
export * from './devices.ts';
export {
  ParallelRuntime,
  workerDataFor,
  type ParallelOptions,
  type ParallelResult,
} from './parallel.ts';
export * from './load.ts';
