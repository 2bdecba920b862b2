// sDDF's index allocator (include/sddf/util/ialloc.h at 650ace5d): a fixed-size linked list of free
// indices, `idxlist[x] == -1` marking x allocated. The virtio drivers take virtqueue descriptor
// indices from it. Here the whole struct lives in a u32 window of shared memory (the driver's
// metadata in its hw ring region) instead of the ELF's .bss, so a restarted driver finds which
// descriptors were in flight (LionsOS §5.2: state in shared memory makes restart lossless).
//
// Layout (u32 words): [0] head, [1] tail, [2] size, [3] capacity, [4..4+capacity) idxlist.

import { assert } from '../../../spec/common/assert.ts';

export const IALLOC_HEADER_WORDS = 4;
/** `(uint32_t)-1`. */
export const IALLOC_NONE = 0xffff_ffff;

export function iallocWords(capacity: number): number {
  return IALLOC_HEADER_WORDS + capacity;
}

export class Ialloc {
  constructor(private readonly w: Uint32Array) {
    assert(w.length >= IALLOC_HEADER_WORDS, 'ialloc window holds its header');
  }

  get head(): number {
    return this.w[0]!;
  }
  get tail(): number {
    return this.w[1]!;
  }
  get size(): number {
    return this.w[2]!;
  }
  get capacity(): number {
    return this.w[3]!;
  }

  /** `ialloc_init`: indices 0..capacity-1 free, in order. */
  init(capacity: number): void {
    assert(
      capacity > 0 && capacity < IALLOC_NONE && this.w.length >= iallocWords(capacity),
      () => `ialloc of ${capacity} fits its window of ${this.w.length} words`,
    );
    this.w[0] = 0;
    this.w[1] = capacity - 1;
    this.w[2] = 0;
    this.w[3] = capacity;
    for (let i = 0; i < capacity; i++) this.w[IALLOC_HEADER_WORDS + i] = i + 1;
  }

  /** Whether the window holds a plausible allocator (a restarted driver checks before trusting it). */
  consistent(capacity: number): boolean {
    if (this.capacity !== capacity || this.size > capacity) return false;
    let allocated = 0;
    for (let i = 0; i < capacity; i++)
      if (this.w[IALLOC_HEADER_WORDS + i] === IALLOC_NONE) allocated++;
    return allocated === this.size;
  }

  full(): boolean {
    return this.size === this.capacity;
  }

  numFree(): number {
    return this.capacity - this.size;
  }

  inUse(id: number): boolean {
    return id < this.capacity && this.w[IALLOC_HEADER_WORDS + id] === IALLOC_NONE;
  }

  /** `ialloc_alloc`: an index, or -1 when every index is in use. */
  alloc(): number {
    if (this.full()) return -1;
    const id = this.w[0]!;
    if (id === this.w[1]) {
      this.w[0] = IALLOC_NONE;
      this.w[1] = IALLOC_NONE;
    } else {
      this.w[0] = this.w[IALLOC_HEADER_WORDS + id]!;
    }
    this.w[IALLOC_HEADER_WORDS + id] = IALLOC_NONE;
    this.w[2] = this.w[2]! + 1;
    return id;
  }

  /** `ialloc_free`: 0, or -1 when `id` is not allocated. */
  free(id: number): number {
    if (!this.inUse(id)) return -1;
    if (this.full()) {
      this.w[0] = id;
      this.w[1] = id;
    } else {
      this.w[IALLOC_HEADER_WORDS + this.w[1]!] = id;
      this.w[1] = id;
    }
    this.w[IALLOC_HEADER_WORDS + id] = this.capacity;
    this.w[2] = this.w[2]! - 1;
    return 0;
  }
}
