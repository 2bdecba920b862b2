// Test helper: assert a thrown UserError whose message names the bad value.
import { expect } from 'vitest';
import { UserError } from '../../../spec/common/diagnostic.ts';

export function expectUserError(f: () => unknown, pattern: RegExp): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(UserError);
  expect((caught as UserError).message).toMatch(pattern);
  expect((caught as UserError).diagnostic.code).toMatch(/^QUEUE_|^NET_/);
}

export function region(sizeBytes: number, byteOffset = 0) {
  return { buffer: new SharedArrayBuffer(sizeBytes + byteOffset), byteOffset };
}
