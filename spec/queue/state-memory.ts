// A plain in-object memory for one queue, so the value-level API (immutable queue states, used by
// refinement tests and the abstraction function) runs the very memory operations the model
// checker runs (docs/adr/011-one-queue-truth.md). Words 0..F-1 hold the queue's index and flag
// fields, words F..F+capacity-1 its slots. A slot word holds a *handle* to an item (like a pointer
// to a record): the operations only copy slot words, never look into them, so a record type of
// any shape (a net descriptor, a blk request, a serial byte) travels through word memory intact.
import { assert } from '../common/assert.ts';
import type { FenceKind, SharedMem } from '../common/memory.ts';

export class StateMemory<T> implements SharedMem {
  private readonly words: number[];
  private readonly items: (T | undefined)[];
  /** Fences in program order, for tests that pin the C's fence placement. */
  readonly fences: FenceKind[] = [];

  /**
   * `fields`: the index/flag words in layout order; `slots`: the current slot contents
   * (`undefined` = never written), one per slot.
   */
  constructor(fields: readonly number[], slots: readonly (T | undefined)[]) {
    this.words = [...fields, ...slots.map((_, i) => i)];
    this.items = slots.slice();
    this.fieldCount = fields.length;
    this.slotCount = slots.length;
  }

  private readonly fieldCount: number;
  private readonly slotCount: number;

  /** Word address of slot 0 (the layout's `slots`). */
  get slotBase(): number {
    return this.fieldCount;
  }

  load(addr: number): number {
    const v = this.words[addr];
    assert(v !== undefined, () => `load of word ${addr}: the queue has ${this.words.length}`);
    return v;
  }

  store(addr: number, value: number): void {
    assert(
      Number.isInteger(addr) && addr >= 0 && addr < this.words.length,
      () => `store to word ${addr}: the queue has ${this.words.length}`,
    );
    assert(Number.isInteger(value), () => `store of ${value}: not an integer`);
    this.words[addr] = value >>> 0;
  }

  fence(kind: FenceKind): void {
    this.fences.push(kind);
  }

  /** The handle to store in a slot word for `item` (the value an enqueue operation is given). */
  handle(item: T): number {
    return this.items.push(item) - 1;
  }

  /** The item a handle (a slot word an operation returned) stands for. */
  item(handle: number): T {
    const item = this.items[handle];
    assert(item !== undefined, () => `slot read before written (handle ${handle})`);
    return item;
  }

  /** Field `i` (layout order) after the operations. */
  field(i: number): number {
    assert(i >= 0 && i < this.fieldCount, () => `field ${i} of ${this.fieldCount}`);
    return this.words[i] as number;
  }

  /** The slot contents after the operations. */
  slots(): (T | undefined)[] {
    const out: (T | undefined)[] = [];
    for (let i = 0; i < this.slotCount; i++) out.push(this.items[this.words[this.fieldCount + i]!]);
    return out;
  }
}
