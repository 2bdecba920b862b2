// The native asynchronous network API of a client (LionsOS §4.2: "modelled largely on the device
// interfaces"): the client side of its two sDDF queue pairs, shaped like lib_sddf_lwip
// (reference sddf-protocols.md §3.6; upstream network/lib_sddf_lwip/lib_sddf_lwip.c at 650ace5d):
//  L1 processRx: dequeue received frames, hand each to the stack, return the buffer (notify_rx);
//  L2 (the pbuf free) is folded into L1: frames are read out, so the buffer goes back at once;
//  L3 transmit: copy a frame into a free Tx buffer and enqueue it (notify_tx); with no free buffer
//     flush pending work to virt_tx (F14) and report "no buffer";
//  L4 maybeNotify: at the end of every entry point, notify the copier/virt_tx if they asked,
//     using the deferred slot only when it is empty.
// Two ways to wait for a free Tx buffer: `native` arms the Tx free queue's signal (request +
// re-check) so virt_tx wakes the client; `lwip` never arms it (what lib_sddf_lwip does) and the
// client retries from a timer.

import { assert } from '../../../spec/common/assert.ts';
import { NET_BUFFER_SIZE_BYTES } from '../../../spec/queue/net.ts';
import { netBuffersInit, newNetDescParts, type NetQueueHandle } from '../../queue/net.ts';
import type { MicrokitApi } from '../../runtime/api.ts';
import {
  offsetOf,
  openConnection,
  validOffset,
  type NetClientConfig,
} from '../../components/net/config.ts';

export type TxWait = 'native' | 'lwip';

/** lib_sddf_lwip's `sddf_state` (the flags that say a neighbour has work). */
export interface NetifState {
  notify_rx: boolean;
  notify_tx: boolean;
}

export interface NetifStats {
  rxFrames: number;
  rxBytes: number;
  txFrames: number;
  txBytes: number;
  txNoBuffer: number;
  rxBadBuffer: number;
}

export class SddfNetif {
  readonly state: NetifState = { notify_rx: false, notify_tx: false };
  readonly stats: NetifStats = {
    rxFrames: 0,
    rxBytes: 0,
    txFrames: 0,
    txBytes: 0,
    txNoBuffer: 0,
    rxBadBuffer: 0,
  };
  readonly rx: NetQueueHandle;
  readonly tx: NetQueueHandle;
  private readonly parts = newNetDescParts();
  /** The client's own Rx data region (mapped rw): frames are read in place. */
  private readonly rxData: Uint8Array;

  constructor(
    private readonly api: MicrokitApi,
    readonly config: NetClientConfig,
    readonly txWait: TxWait,
  ) {
    this.rx = openConnection(api, config.rx);
    this.tx = openConnection(api, config.tx);
    const w = api.mem.sharedWindow(config.rxData.vaddr, config.rxData.sizeBytes, 1);
    this.rxData = new Uint8Array(w.buffer, w.byteOffset, w.lengthBytes);
  }

  /** `net_buffers_init(&tx, 0)`: the client owns its Tx buffers at boot. */
  initBuffers(): void {
    netBuffersInit(this.tx, 0n);
  }

  /**
   * L1: every received frame to `onFrame` (bounded by the queue's capacity per pass). The frame is
   * a view of the Rx buffer, valid only during the call.
   */
  processRx(onFrame: (frame: Uint8Array) => void): number {
    const active = this.rx.active;
    const b = this.parts;
    let n = 0;
    const limit = 2 * this.rx.capacity;
    for (let round = 0; round < 4; round++) {
      for (; n < limit && active.dequeueInto(b); n++) {
        const offset = offsetOf(b.ioLow, b.ioHigh);
        if (!validOffset(offset, this.rx.capacity) || b.len > NET_BUFFER_SIZE_BYTES) {
          // The copier is trusted; a bad descriptor cannot be returned, only counted.
          this.stats.rxBadBuffer++;
          continue;
        }
        // Zero copy, as lib_sddf_lwip's pbufs: the stack reads the frame where the copier put it
        // and keeps nothing of it past onFrame (it copies what it keeps); L2 then frees the buffer.
        if (b.len > 0) {
          this.stats.rxFrames++;
          this.stats.rxBytes += b.len;
          onFrame(this.rxData.subarray(offset, offset + b.len));
        }
        const ok = this.rx.free.enqueueParts(offset, 0, 0, 0);
        assert(ok, 'the Rx free queue holds every client Rx buffer');
        this.state.notify_rx = true;
      }
      active.requestSignal();
      if (active.empty() || n >= limit) break;
      active.cancelSignal();
    }
    return n;
  }

  /** Is a Tx buffer free right now? */
  canTransmit(): boolean {
    return !this.tx.free.empty();
  }

  /** L3: true if the frame is queued for transmission; false if no Tx buffer is free. */
  transmit(frame: Uint8Array): boolean {
    assert(
      frame.length > 0 && frame.length <= NET_BUFFER_SIZE_BYTES,
      () => `frame of ${frame.length} bytes fits a buffer`,
    );
    const b = this.parts;
    if (!this.tx.free.dequeueInto(b)) {
      this.stats.txNoBuffer++;
      this.handleEmptyTxFree();
      return false;
    }
    const offset = offsetOf(b.ioLow, b.ioHigh);
    // virt_tx returns only buffers of this client's region; checked anyway before writing.
    assert(validOffset(offset, this.tx.capacity), () => `virt_tx returned offset ${offset}`);
    this.api.mem.writeBytes(this.config.txData.vaddr + offset, frame);
    const ok = this.tx.active.enqueueParts(offset, 0, frame.length, 0);
    assert(ok, 'the Tx active queue holds every client Tx buffer');
    this.state.notify_tx = true;
    this.stats.txFrames++;
    this.stats.txBytes += frame.length;
    return true;
  }

  /** `handle_empty_tx_free_default`: flush pending work so virt_tx can free buffers (F14). */
  private handleEmptyTxFree(): void {
    const active = this.tx.active;
    if (this.state.notify_tx && active.requireSignal()) {
      active.cancelSignal();
      this.state.notify_tx = false;
      this.api.notify(this.config.tx.id);
    }
  }

  /**
   * Native mode, before sleeping with frames still to send: arm the Tx free queue's signal and
   * re-check. True when a buffer is free after all (send now, no sleep). lwIP mode never arms.
   */
  armTxFree(): boolean {
    if (this.txWait === 'lwip') return !this.tx.free.empty();
    const free = this.tx.free;
    free.requestSignal();
    if (free.empty()) return false;
    free.cancelSignal();
    return true;
  }

  /** L4: `sddf_lwip_maybe_notify`. */
  maybeNotify(): void {
    if (this.state.notify_rx && this.rx.free.requireSignal()) {
      this.rx.free.cancelSignal();
      this.state.notify_rx = false;
      this.notifySlot(this.config.rx.id);
    }
    if (this.state.notify_tx && this.tx.active.requireSignal()) {
      this.tx.active.cancelSignal();
      this.state.notify_tx = false;
      this.notifySlot(this.config.tx.id);
    }
  }

  /** The deferred slot only when empty; an immediate notify when it holds another channel. */
  private notifySlot(ch: number): void {
    const curr = this.api.deferredCurrent();
    if (curr === null) this.api.deferredNotify(ch);
    else if (curr !== ch) this.api.notify(ch);
  }
}
