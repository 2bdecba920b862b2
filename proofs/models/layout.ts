// Named fields in a u32 state vector (compact encoding for the engine, readable ITF for people).
import { assert } from '../../spec/common/assert.ts';
import type { ItfValue, State } from '../../spec/common/transition.ts';

export interface Field {
  readonly name: string;
  readonly offset: number;
  readonly length: number;
}

export class Layout {
  private readonly fields: Field[] = [];
  private size = 0;

  /** Reserves `length` words; returns the first word's index. */
  alloc(name: string, length = 1): number {
    assert(length >= 1 && length <= 4096, `field ${name}: 1..4096 words`);
    assert(!this.fields.some((f) => f.name === name), `field ${name} allocated twice`);
    const offset = this.size;
    this.fields.push({ name, offset, length });
    this.size += length;
    return offset;
  }

  get words(): number {
    return this.size;
  }

  list(): readonly Field[] {
    return this.fields;
  }

  field(name: string): Field {
    const f = this.fields.find((x) => x.name === name);
    assert(f !== undefined, `no field ${name}`);
    return f;
  }

  toItf(s: State): Record<string, ItfValue> {
    const out: Record<string, ItfValue> = {};
    for (const f of this.fields) {
      if (f.length === 1) out[f.name] = s[f.offset] ?? 0;
      else out[f.name] = Array.from(s.subarray(f.offset, f.offset + f.length));
    }
    return out;
  }
}
