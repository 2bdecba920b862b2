// Test helper: a word memory that records every access by field name, so a test can pin the
// C's order of loads, stores and fences (`load tail`, `store buffers[1]`, `fence release`).
import type { FenceKind, SharedMem } from '../../../spec/common/memory.ts';

export class RecordingMemory implements SharedMem {
  readonly words: number[];
  readonly log: string[] = [];

  /** `fields`: names of words 0..F-1; then `slotName[i]` for `slots` more words. */
  constructor(
    private readonly fields: readonly string[],
    private readonly slotName: string,
    slots: number,
  ) {
    this.words = new Array<number>(fields.length + slots).fill(0);
  }

  private name(addr: number): string {
    return addr < this.fields.length
      ? this.fields[addr]!
      : `${this.slotName}[${addr - this.fields.length}]`;
  }

  load(addr: number): number {
    this.log.push(`load ${this.name(addr)}`);
    return this.words[addr]!;
  }

  store(addr: number, value: number): void {
    this.log.push(`store ${this.name(addr)}`);
    this.words[addr] = value >>> 0;
  }

  fence(kind: FenceKind): void {
    this.log.push(`fence ${kind}`);
  }

  /** Address of slot 0. */
  get slots(): number {
    return this.fields.length;
  }

  clear(): void {
    this.log.length = 0;
  }
}
