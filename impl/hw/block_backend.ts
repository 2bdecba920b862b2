// Storage behind the emulated virtio-blk: memory or a real file (node:fs synchronous I/O, so a
// run stays deterministic and single-threaded). Errors are values: the device turns them into
// VIRTIO_BLK_S_IOERR (reference sddf-protocols.md §5.1 "virtio-blk").

import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { assert } from '../../spec/common/assert.ts';

export interface BackendError {
  readonly kind: 'backend-error';
  readonly reason: string;
}

export interface BlockBackend {
  readonly sizeBytes: number;
  read(offsetBytes: number, lengthBytes: number): Uint8Array | BackendError;
  write(offsetBytes: number, data: Uint8Array): BackendError | null;
  flush(): BackendError | null;
}

function outOfRange(
  offsetBytes: number,
  lengthBytes: number,
  sizeBytes: number,
): BackendError | null {
  return offsetBytes >= 0 && lengthBytes >= 0 && offsetBytes + lengthBytes <= sizeBytes
    ? null
    : { kind: 'backend-error', reason: `[${offsetBytes}, +${lengthBytes}) outside ${sizeBytes} B` };
}

export class MemoryBlockBackend implements BlockBackend {
  readonly bytes: Uint8Array;
  flushCount = 0;

  constructor(options: { sizeBytes: number } | { bytes: Uint8Array }) {
    this.bytes = 'bytes' in options ? options.bytes : new Uint8Array(options.sizeBytes);
    assert(this.bytes.length % 512 === 0, 'a disk is a whole number of 512-byte sectors');
  }

  get sizeBytes(): number {
    return this.bytes.length;
  }

  read(offsetBytes: number, lengthBytes: number): Uint8Array | BackendError {
    return (
      outOfRange(offsetBytes, lengthBytes, this.sizeBytes) ??
      this.bytes.slice(offsetBytes, offsetBytes + lengthBytes)
    );
  }

  write(offsetBytes: number, data: Uint8Array): BackendError | null {
    const err = outOfRange(offsetBytes, data.length, this.sizeBytes);
    if (err === null) this.bytes.set(data, offsetBytes);
    return err;
  }

  flush(): BackendError | null {
    this.flushCount++;
    return null;
  }
}

/** A disk image file; its size is fixed when opened (a whole number of sectors). */
export class FileBlockBackend implements BlockBackend {
  readonly sizeBytes: number;
  readonly #fd: number;
  #closed = false;

  constructor(options: { path: string; readOnly?: boolean }) {
    this.#fd = openSync(options.path, options.readOnly === true ? 'r' : 'r+');
    this.sizeBytes = fstatSync(this.#fd).size;
    assert(
      this.sizeBytes % 512 === 0,
      `${options.path}: size ${this.sizeBytes} is not whole sectors`,
    );
  }

  #io<T>(what: () => T): T | BackendError {
    if (this.#closed) return { kind: 'backend-error', reason: 'backend closed' };
    try {
      return what();
    } catch (e) {
      return { kind: 'backend-error', reason: e instanceof Error ? e.message : String(e) };
    }
  }

  read(offsetBytes: number, lengthBytes: number): Uint8Array | BackendError {
    const err = outOfRange(offsetBytes, lengthBytes, this.sizeBytes);
    if (err !== null) return err;
    return this.#io(() => {
      const buf = new Uint8Array(lengthBytes);
      const n = readSync(this.#fd, buf, 0, lengthBytes, offsetBytes);
      assert(n === lengthBytes, `short read ${n}/${lengthBytes} inside the file`);
      return buf;
    });
  }

  write(offsetBytes: number, data: Uint8Array): BackendError | null {
    const err = outOfRange(offsetBytes, data.length, this.sizeBytes);
    if (err !== null) return err;
    const r = this.#io(() => writeSync(this.#fd, data, 0, data.length, offsetBytes));
    return typeof r === 'number' ? null : r;
  }

  flush(): BackendError | null {
    const r = this.#io(() => fsyncSync(this.#fd));
    return r === undefined ? null : r;
  }

  close(): void {
    if (!this.#closed) closeSync(this.#fd);
    this.#closed = true;
  }
}
