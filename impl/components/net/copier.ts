// net copier (reference sddf-protocols.md §3.5; upstream network/components/copy.c at 650ace5d):
// C1 rx_return copies each frame from the shared Rx DMA region into a free buffer of its client's
// own Rx region (LionsOS §4.1.3 option 3: clients never see each other's input), hands the client
// the copy and gives the DMA buffer straight back to virt_rx (len preserved, as upstream does for
// the vswitch). When the client has no free buffer the frame is dropped and the DMA buffer still
// goes back at once, so a slow client cannot hold the shared DMA buffers (bug catalogue F15: the
// copier used to stop draining; `bugs: ['F15']` restores that).
// notified(any) = rx_return(). init = net_buffers_init(client, 0) (on a restart: nothing to
// initialise, the queues are shared memory; just catch up).
//
// The client is untrusted: its free queue may hold garbage offsets (refused and counted, at most
// one queue's worth per pass) and its indices may claim a full active queue (the copy is dropped,
// counted). Nothing the client writes stops the DMA buffers going back to virt_rx.

import { assert } from '../../../spec/common/assert.ts';
import { NET_BUFFER_SIZE_BYTES } from '../../../spec/queue/net.ts';
import { netBuffersInit, newNetDescParts, type NetQueueHandle } from '../../queue/net.ts';
import type { Component, ComponentContext, MicrokitApi } from '../../runtime/api.ts';
import { hasRoom, offsetOf, openConnection, validOffset, type NetCopyConfig } from './config.ts';
import { Counters } from './counters.ts';

/** Invalid client free buffers refused per pass (an honest client sends none). */
export const MAX_REFUSALS_PER_PASS = 32;

export const COPIER_COUNTERS = [
  'copied',
  'copiedBytes',
  'dropped',
  'rejectedOffset',
  'badVirtBuffer',
  'clientActiveFull',
] as const;
export type CopierCounter = (typeof COPIER_COUNTERS)[number];

export interface CopierOptions {
  /** `F15`: stop draining virt_rx's queue while the client has no free buffer (old copy.c). */
  readonly bugs?: readonly 'F15'[];
}

/** Private state: copy.c keeps none beyond its handles (flags are per call). */
export interface CopierState {
  client_enqueued: boolean;
  virt_enqueued: boolean;
}

export function copierComponent(ctx: ComponentContext): Component {
  const cp = new Copier(ctx);
  const probe = ctx.params['probe'];
  if (typeof probe === 'function') (probe as (s: unknown) => void)(cp.state);
  return { init: () => cp.init(), notified: () => cp.rxReturn() };
}

export class Copier {
  readonly state: CopierState = { client_enqueued: false, virt_enqueued: false };
  private readonly api: MicrokitApi;
  private readonly config: NetCopyConfig;
  private readonly virt: NetQueueHandle;
  private readonly cli: NetQueueHandle;
  private readonly f15: boolean;
  private readonly restarts: number;
  private readonly c: Counters<CopierCounter>;
  private readonly cb = newNetDescParts();
  private readonly vb = newNetDescParts();
  /** The client's Rx data region (mapped rw here): copies land in it through this view. */
  private readonly clientData: Uint8Array;

  constructor(ctx: ComponentContext) {
    this.api = ctx.api;
    this.config = ctx.params['config'] as NetCopyConfig;
    const options = (ctx.params['options'] ?? {}) as CopierOptions;
    this.f15 = options.bugs?.includes('F15') ?? false;
    this.restarts = ctx.restarts ?? 0;
    this.c = new Counters(COPIER_COUNTERS, ctx.params['counters']);
    this.virt = openConnection(this.api, this.config.virt);
    this.cli = openConnection(this.api, this.config.client);
    assert(
      this.config.clientData.sizeBytes >= this.cli.capacity * NET_BUFFER_SIZE_BYTES,
      'the client Rx region holds every client Rx buffer',
    );
    const w = this.api.mem.sharedWindow(
      this.config.clientData.vaddr,
      this.config.clientData.sizeBytes,
      1,
    );
    this.clientData = new Uint8Array(w.buffer, w.byteOffset, w.lengthBytes);
  }

  init(): void {
    if (this.restarts === 0) netBuffersInit(this.cli, 0n);
    this.rxReturn();
  }

  /** Take the next valid client free buffer into `cb`; false when there is none this pass. */
  private nextClientBuffer(budget: { garbage: number }): boolean {
    const free = this.cli.free;
    while (budget.garbage > 0 && free.dequeueInto(this.cb)) {
      if (validOffset(offsetOf(this.cb.ioLow, this.cb.ioHigh), this.cli.capacity)) return true;
      // upstream: "COPY|LOG: Client provided offset ... not buffer aligned or outside".
      this.c.inc('rejectedOffset');
      budget.garbage--;
    }
    return false;
  }

  /** C1. */
  rxReturn(): void {
    const s = this.state;
    s.client_enqueued = false;
    s.virt_enqueued = false;
    const virtActive = this.virt.active;
    // Garbage from the client costs at most this much per pass; a free queue claiming more
    // entries than it can hold is not trusted at all this pass (its frames are dropped).
    const budget = {
      garbage: this.cli.free.length() > this.cli.capacity ? 0 : MAX_REFUSALS_PER_PASS,
    };
    const limit = 2 * this.virt.capacity;
    // No cap on the re-check rounds (copy.c has none): a cap left the loop with work queued and
    // the signal cancelled when virt_rx enqueued inside each re-check window, a lost wakeup (found
    // by the mutation run, ADR 019). Every round that goes on has consumed an entry, so the
    // 2 × capacity bound on entries per pass bounds the rounds too.
    for (let n = 0; ;) {
      const passStart = n;
      for (; n < limit && !virtActive.empty(); n++) {
        const haveClientBuffer =
          budget.garbage > 0 && !this.cli.free.empty() && this.nextClientBuffer(budget);
        if (!haveClientBuffer && this.f15) break;
        const ok = virtActive.dequeueInto(this.vb);
        assert(ok, 'virt_rx queue was not empty a moment ago and only the copier consumes it');
        if (haveClientBuffer) this.copyOne();
        else this.c.inc('dropped');
        // The DMA buffer goes straight back, len preserved (copy.c: kept for the vswitch).
        const back = this.virt.free.enqueueParts(
          this.vb.ioLow,
          this.vb.ioHigh,
          this.vb.len,
          this.vb.oid,
        );
        assert(back, 'the virt_rx free queue holds every Rx DMA buffer (capacity discipline)');
        s.virt_enqueued = true;
      }
      virtActive.requestSignal();
      if (this.f15) {
        // copy.c before 7d69d7ba (spec/components/net/copier.ts F15): the client's RxF signal is
        // requested only while frames wait for a client buffer, else cancelled; the re-check
        // cancels both signals and loops only when both queues have work again.
        const waiting = !virtActive.empty();
        if (waiting) this.cli.free.requestSignal();
        else this.cli.free.cancelSignal();
        // No entry taken this round (the client's free entries were garbage): stop, both signals
        // requested, as a client that has no buffer to give.
        if (!waiting || this.cli.free.empty() || n >= limit || n === passStart) break;
        virtActive.cancelSignal();
        this.cli.free.cancelSignal();
        continue;
      }
      if (virtActive.empty() || n >= limit) break;
      virtActive.cancelSignal();
    }
    const cliActive = this.cli.active;
    if (s.client_enqueued && cliActive.requireSignal()) {
      cliActive.cancelSignal();
      this.api.notify(this.config.client.id);
    }
    const virtFree = this.virt.free;
    // F15 (old copy.c): one `enqueued` flag, set only when a frame was copied, for both notifies.
    if ((this.f15 ? s.client_enqueued : s.virt_enqueued) && virtFree.requireSignal()) {
      virtFree.cancelSignal();
      this.api.deferredNotify(this.config.virt.id);
    }
  }

  /** memcpy(client + cb.offset, rx_data[vb.oid] + vb.offset, vb.len); cb.len = vb.len. */
  private copyOne(): void {
    const vb = this.vb;
    const cb = this.cb;
    const region = this.config.rxData[vb.oid];
    const vOff = offsetOf(vb.ioLow, vb.ioHigh);
    const cliActive = this.cli.active;
    const cOff = offsetOf(cb.ioLow, cb.ioHigh);
    let len = vb.len;
    if (
      region === undefined ||
      vb.len > NET_BUFFER_SIZE_BYTES ||
      !validOffset(vOff, Math.floor(region.sizeBytes / NET_BUFFER_SIZE_BYTES))
    ) {
      // virt_rx is trusted; a bad descriptor from it is counted and delivered as an empty frame.
      this.c.inc('badVirtBuffer');
      len = 0;
    } else {
      // The Rx DMA region is mapped read-only here, so it is read through the address space; the
      // client region is ours to write (cOff was validated against it).
      this.api.mem.readInto(region.vaddr + vOff, len, this.clientData, cOff);
      this.c.inc('copied');
      this.c.inc('copiedBytes', len);
    }
    if (!hasRoom(cliActive) || !cliActive.enqueueParts(cOff, 0, len, 0)) {
      // The client's indices claim a full queue it cannot have filled: its buffer is its loss.
      this.c.inc('clientActiveFull');
      return;
    }
    this.state.client_enqueued = true;
  }
}
