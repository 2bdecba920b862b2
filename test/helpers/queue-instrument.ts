// Test helper: run an impl/queue handle against a `MemorySink` (store-order.ts) instead of its
// SharedArrayBuffer, so every access it makes is seen, in program order, with its kind.
//
// impl/queue reaches shared memory only through typed arrays and DataViews it builds in its
// constructor (plain element reads/writes, `get*/set*`, `Uint8Array#set`) and through
// `Atomics.load/store` on those typed arrays. `instrument` replaces each such own property of the
// handle with a Proxy that turns the access into a sink call; while `run` executes, the global
// `Atomics.load/store` are wrapped so that an Atomics access on one of those proxies becomes an
// SC sink access (anything else goes to the real Atomics). Nothing in impl/ is changed: the code
// under test is the code that ships. Any other method on an instrumented view throws, so an
// access can never bypass the sink unnoticed.
//
// `demote` turns chosen Atomics accesses into plain ones: the same implementation with
// `Atomics.store(x)` written as `x = …` (a seeded "dropped ordering" variant).
import type { AccessKey, MemorySink } from './store-order.ts';

/** An Atomics access to demote to a plain one: by kind and the byte offset it touches. */
export interface Demotion {
  readonly kind: 'load' | 'store';
  readonly region: number;
  readonly offset: number;
}

interface Target {
  readonly region: number;
  readonly view: ArrayBufferView;
  readonly box: { sink: MemorySink | null; demote: readonly Demotion[] };
}

const targets = new WeakMap<object, Target>();
const realLoad = Atomics.load;
const realStore = Atomics.store;

type IntArray = Uint8Array | Uint16Array | Uint32Array | Int32Array;

function sinkOf(t: Target): MemorySink {
  if (t.box.sink === null) throw new Error('instrumented queue used outside run()');
  return t.box.sink;
}

function elementKey(t: Target, index: number, sc: boolean, kind: 'load' | 'store'): AccessKey {
  const ta = t.view as IntArray;
  if (!Number.isInteger(index) || index < 0 || index >= ta.length)
    throw new Error(`instrumented access out of range: [${index}] of ${ta.length}`);
  const offset = ta.byteOffset + index * ta.BYTES_PER_ELEMENT;
  const demoted =
    sc && t.box.demote.some((d) => d.kind === kind && d.region === t.region && d.offset === offset);
  return { region: t.region, offset, size: ta.BYTES_PER_ELEMENT, sc: sc && !demoted };
}

function decodeElement(ta: IntArray, bytes: Uint8Array): number {
  const Ctor = ta.constructor as new (b: ArrayBuffer) => IntArray;
  return new Ctor(bytes.slice().buffer)[0]!;
}

function encodeElement(ta: IntArray, value: number): Uint8Array {
  const Ctor = ta.constructor as new (n: number) => IntArray;
  const one = new Ctor(1);
  one[0] = value;
  return new Uint8Array(one.buffer);
}

function loadElement(t: Target, index: number, sc: boolean): number {
  const bytes = sinkOf(t).load(elementKey(t, index, sc, 'load'));
  return decodeElement(t.view as IntArray, bytes);
}

function storeElement(t: Target, index: number, value: number, sc: boolean): void {
  sinkOf(t).store(elementKey(t, index, sc, 'store'), encodeElement(t.view as IntArray, value));
}

function arrayProxy(t: Target): object {
  const ta = t.view as IntArray;
  return new Proxy(ta, {
    get(target, prop) {
      if (typeof prop === 'string' && /^\d+$/.test(prop))
        return loadElement(t, Number(prop), false);
      if (prop === 'set') {
        // `Uint8Array#set(src, start)`: one plain store per element (a memcpy has no order).
        return (src: ArrayLike<number>, start = 0) => {
          for (let k = 0; k < src.length; k++) storeElement(t, start + k, src[k]!, false);
        };
      }
      const v: unknown = Reflect.get(target, prop, target);
      if (typeof v === 'function')
        throw new Error(`uninstrumented typed-array method ${String(prop)}`);
      return v;
    },
    set(_target, prop, value: number) {
      if (typeof prop !== 'string' || !/^\d+$/.test(prop))
        throw new Error(`uninstrumented typed-array property ${String(prop)}`);
      storeElement(t, Number(prop), value, false);
      return true;
    },
  });
}

const DATAVIEW_SIZES: Readonly<Record<string, number>> = {
  Uint8: 1,
  Int8: 1,
  Uint16: 2,
  Int16: 2,
  Uint32: 4,
  Int32: 4,
  BigUint64: 8,
  BigInt64: 8,
};

function viewProxy(t: Target): object {
  const dv = t.view as DataView;
  return new Proxy(dv, {
    get(target, prop) {
      if (typeof prop === 'string') {
        const m = /^(get|set)(\w+)$/.exec(prop);
        const size = m === null ? undefined : DATAVIEW_SIZES[m[2]!];
        if (m !== null && size !== undefined) {
          const key = (off: number): AccessKey => {
            if (off < 0 || off + size > dv.byteLength)
              throw new Error(`instrumented DataView access out of range: ${off}+${size}`);
            return { region: t.region, offset: dv.byteOffset + off, size, sc: false };
          };
          if (m[1] === 'get') {
            return (off: number, le?: boolean) => {
              const bytes = sinkOf(t).load(key(off)).slice();
              const tmp = new DataView(bytes.buffer) as unknown as Record<
                string,
                (o: number, le?: boolean) => unknown
              >;
              return tmp[prop]!(0, le);
            };
          }
          return (off: number, value: number | bigint, le?: boolean) => {
            const bytes = new Uint8Array(size);
            const tmp = new DataView(bytes.buffer) as unknown as Record<
              string,
              (o: number, v: number | bigint, le?: boolean) => void
            >;
            tmp[prop]!(0, value, le);
            sinkOf(t).store(key(off), bytes);
          };
        }
      }
      const v: unknown = Reflect.get(target, prop, target);
      if (typeof v === 'function')
        throw new Error(`uninstrumented DataView method ${String(prop)}`);
      return v;
    },
    set() {
      throw new Error('instrumented DataView is not assignable');
    },
  });
}

export interface Instrumented<T> {
  readonly handle: T;
  /** Runs `f` with every shared-memory access of `handle` going to `sink`. */
  run<R>(sink: MemorySink, f: (h: T) => R): R;
}

/**
 * Instruments `handle` (an impl/queue object whose constructor built views over `regions`).
 * Views over region `i` are reported with `region: i`. Throws if no view was found, so a queue
 * that changed how it holds its memory fails loudly rather than passing untested.
 */
export function instrument<T extends object>(
  handle: T,
  regions: readonly SharedArrayBuffer[],
  demote: readonly Demotion[] = [],
): Instrumented<T> {
  const box: Target['box'] = { sink: null, demote };
  let found = 0;
  for (const key of Object.getOwnPropertyNames(handle)) {
    const v: unknown = (handle as Record<string, unknown>)[key];
    if (!ArrayBuffer.isView(v)) continue;
    const regionIndex = regions.indexOf(v.buffer as SharedArrayBuffer);
    if (regionIndex < 0) throw new Error(`view '${key}' over a buffer that is not a region`);
    const t: Target = { region: regionIndex, view: v, box };
    const proxy = v instanceof DataView ? viewProxy(t) : arrayProxy(t);
    targets.set(proxy, t);
    Object.defineProperty(handle, key, { value: proxy, writable: true, configurable: true });
    found++;
  }
  if (found === 0) throw new Error('no typed-array view found on the handle');
  return {
    handle,
    run<R>(sink: MemorySink, f: (h: T) => R): R {
      const prev = box.sink;
      box.sink = sink;
      const atomics = Atomics as unknown as Record<'load' | 'store', (...a: unknown[]) => unknown>;
      atomics.load = (ta: unknown, i: unknown) => {
        const t = typeof ta === 'object' && ta !== null ? targets.get(ta) : undefined;
        if (t === undefined) return (realLoad as (...a: unknown[]) => unknown)(ta, i);
        return loadElement(t, i as number, true);
      };
      atomics.store = (ta: unknown, i: unknown, v: unknown) => {
        const t = typeof ta === 'object' && ta !== null ? targets.get(ta) : undefined;
        if (t === undefined) return (realStore as (...a: unknown[]) => unknown)(ta, i, v);
        storeElement(t, i as number, v as number, true);
        return v;
      };
      try {
        return f(handle);
      } finally {
        atomics.load = realLoad as never;
        atomics.store = realStore as never;
        box.sink = prev;
      }
    },
  };
}
