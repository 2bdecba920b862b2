// Where a queue lives: a SharedArrayBuffer and a byte offset (an MR mapped at some address).
// Error approach for every queue constructor (docs/adr/003-queues.md): the check itself is a
// pure function returning a Diagnostic value (spec/ for capacity rules, here for regions); a
// constructor that cannot return a value throws `UserError` carrying that Diagnostic, whose
// message names the offending value. The CLI maps UserError to exit 2.
import { assert } from '../../spec/common/assert.ts';
import { UserError, type Diagnostic } from '../../spec/common/diagnostic.ts';

export interface SharedRegion {
  readonly buffer: SharedArrayBuffer;
  readonly byteOffset: number;
}

/** The C structs are little-endian on every sDDF target; typed arrays use the host order. */
export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A region must hold `sizeBytes` from `byteOffset`, aligned to the struct's alignment. */
export function checkRegion(opts: {
  readonly queue: string;
  readonly region: SharedRegion;
  readonly sizeBytes: number;
  readonly alignBytes: number;
}): Diagnostic | null {
  const { queue, region, sizeBytes, alignBytes } = opts;
  assert(Number.isInteger(sizeBytes) && sizeBytes > 0, () => `queue size ${sizeBytes} > 0`);
  if (!(region.buffer instanceof SharedArrayBuffer)) {
    return { code: 'QUEUE_REGION', message: `${queue}: region is not a SharedArrayBuffer` };
  }
  const off = region.byteOffset;
  if (!Number.isInteger(off) || off < 0 || off % alignBytes !== 0) {
    return {
      code: 'QUEUE_REGION',
      message: `${queue}: byte offset ${off} is not a non-negative multiple of ${alignBytes}`,
    };
  }
  if (off + sizeBytes > region.buffer.byteLength) {
    return {
      code: 'QUEUE_REGION',
      message: `${queue}: region of ${region.buffer.byteLength} bytes from offset ${off} is too small: needs ${sizeBytes} bytes`,
    };
  }
  return null;
}

/** Throw the Diagnostic as a UserError (constructors cannot return a value). */
export function throwIfProblem(d: Diagnostic | null): void {
  if (d !== null) throw new UserError(d);
}
