// What must stay true across the network components (reference sddf-protocols.md §3.15): the
// address domain of every queue, buffer conservation and virt_rx's refcounts. Stated once here
// over words a third party reads (`read`: a model state with every store buffer drained, or any
// other view of the shared memory), and composed by the net models (proofs/models/net-pipeline).
// The per-queue bounds are the queue's own (spec/queue/net.ts netBoundsProblem).
import { netLiveDescriptors, type NetQueueRef } from '../../queue/net.ts';
import type { EnetRing } from '../../devices/enet.ts';
import { netBufferIndex, netIoIn, netOffsetIn, type NetConfig } from './config.ts';
import { enetPostedBuffers } from './driver.ts';

type Read = (addr: number) => number;

/** Which descriptors a queue may carry (§2.1: IO addresses driver-side, offsets client-side). */
export interface NetQueueDomain {
  readonly queue: NetQueueRef;
  readonly holds: (d: number) => boolean;
  /** What it holds, for the message: `an Rx DMA IO address`. */
  readonly what: string;
}

/** §3.15.3 address domains: the domain of every queue of the configuration. */
export function netQueueDomains(c: NetConfig): NetQueueDomain[] {
  const txIo = (d: number) => c.cliTxData.some((r) => netIoIn(d, r));
  const out: NetQueueDomain[] = [];
  for (const queue of [c.drvRx.free, c.drvRx.active])
    out.push({ queue, holds: (d) => netIoIn(d, c.rxDma), what: 'an Rx DMA IO address' });
  for (const queue of [c.drvTx.free, c.drvTx.active])
    out.push({ queue, holds: txIo, what: 'a client Tx IO address' });
  for (let k = 0; k < c.clients; k++) {
    for (const queue of [c.virtRx[k]!.free, c.virtRx[k]!.active])
      out.push({ queue, holds: (d) => netOffsetIn(d, c.rxDma), what: 'an Rx DMA offset' });
    for (const queue of [c.cliRx[k]!.free, c.cliRx[k]!.active]) {
      const r = c.cliRxData[k]!;
      out.push({ queue, holds: (d) => netOffsetIn(d, r), what: `a client${k} Rx offset` });
    }
    for (const queue of [c.cliTx[k]!.free, c.cliTx[k]!.active]) {
      const r = c.cliTxData[k]!;
      out.push({ queue, holds: (d) => netOffsetIn(d, r), what: `a client${k} Tx offset` });
    }
  }
  return out;
}

/** Every live descriptor in its queue's domain, or the first that is not. */
export function netDomainProblem(c: NetConfig, read: Read): string | null {
  for (const dom of netQueueDomains(c)) {
    for (const d of netLiveDescriptors(read, dom.queue))
      if (!dom.holds(d)) return `${dom.queue.name}: ${d} is not ${dom.what}`;
  }
  return null;
}

/**
 * The buffers the driver has posted to a HW ring and not taken back: the addresses of BDs
 * `head … tail−1` of its private u32 ring indices (`hw_ring_t`), whoever owns them now.
 * `bounded`: indices kept below the capacity by `% capacity` (the drivers before 75e2eef9, F18),
 * so the count is `(tail − head) mod capacity` taken as integers: the u32 subtraction wraps at 2^32,
 * which a capacity such as 3 does not divide (the old driver's own empty test does wrap, and
 * misreads such a ring, see driver.ts; the BDs are posted all the same).
 */
export function netHwRingBuffers(
  read: Read,
  ring: Pick<EnetRing, 'addr' | 'capacity'>,
  tail: number,
  head: number,
  bounded = false,
): number[] {
  // Bounded indices name the same BDs as the free-running pair `head + n, head` (head < capacity,
  // so no wrap), which the driver spec's walk takes.
  const end = bounded ? head + ((tail + ring.capacity - head) % ring.capacity) : tail;
  return enetPostedBuffers(read, ring, end, head);
}

function twice(list: readonly number[]): boolean {
  return new Set(list).size !== list.length;
}

/**
 * §3.15.1 buffer conservation: no Rx DMA buffer twice on the driver side (drv.RxF ∪ the HW Rx ring
 * ∪ drv.RxA) nor there and with a copier; none twice with one copier; no client Rx buffer twice
 * in its queues; no Tx buffer in two places (client queues, drv.TxA/TxF, the HW Tx ring).
 * `hw`: the HW rings' posted buffers (netHwRingBuffers). A configuration whose copier returns a
 * buffer twice on purpose (`doubleReturn`, the U15 scenario) is exempt.
 */
export function netConservationProblem(
  c: NetConfig,
  read: Read,
  hw: { readonly rx: readonly number[]; readonly tx: readonly number[] },
): string | null {
  if (c.doubleReturn) return null;
  const live = (q: NetQueueRef) => netLiveDescriptors(read, q);
  const drv = [...live(c.drvRx.free), ...hw.rx, ...live(c.drvRx.active)].map((io) =>
    netBufferIndex(io - c.rxDma.ioBase),
  );
  if (twice(drv)) return `an Rx DMA buffer is twice on the driver side: ${drv.join(',')}`;
  for (let k = 0; k < c.clients; k++) {
    const side = [...live(c.virtRx[k]!.free), ...live(c.virtRx[k]!.active)].map(netBufferIndex);
    if (twice(side)) return `copier${k} side holds an Rx DMA buffer twice: ${side.join(',')}`;
    for (const b of side)
      if (drv.includes(b)) return `Rx DMA buffer ${b} is on the driver side and with copier${k}`;
    const cr = [...live(c.cliRx[k]!.free), ...live(c.cliRx[k]!.active)];
    if (twice(cr)) return `client${k} Rx buffer twice in its queues: ${cr.join(',')}`;
  }
  const tx = [...live(c.drvTx.free), ...live(c.drvTx.active), ...hw.tx];
  for (let k = 0; k < c.clients; k++) {
    const base = c.cliTxData[k]!.ioBase;
    for (const q of [c.cliTx[k]!.free, c.cliTx[k]!.active])
      tx.push(...live(q).map((o) => o + base));
  }
  if (twice(tx)) return `a Tx buffer is in two places: ${tx.join(',')}`;
  return null;
}

/**
 * §3.15.1 for one queue pair (or any set of queues sharing one buffer pool): no buffer is live in
 * two places at once.
 */
export function netNoBufferTwiceProblem(read: Read, queues: readonly NetQueueRef[]): string | null {
  const seen = new Set<number>();
  for (const q of queues) {
    for (const d of netLiveDescriptors(read, q)) {
      if (seen.has(d)) return `buffer ${d} is in two queues at once (${q.name})`;
      seen.add(d);
    }
  }
  return null;
}

/**
 * §3.15.1 "every buffer is in exactly one place", the half `netNoBufferTwiceProblem` does not
 * check: every buffer of a pool (`descriptors`, as the queues carry them) is live in one of
 * `queues`, except `dropped` ones a consumer dropped on purpose. For pools whose transfers are
 * single steps (no buffer is ever held between two queues), once the buffers are initialised.
 */
export function netMissingBufferProblem(
  read: Read,
  queues: readonly NetQueueRef[],
  descriptors: readonly number[],
  dropped = 0,
): string | null {
  const live = new Set(queues.flatMap((q) => netLiveDescriptors(read, q)));
  const missing = descriptors.filter((d) => !live.has(d));
  if (missing.length <= dropped) return null;
  return `buffer ${missing[0]} is in no queue: lost (${missing.length} missing, ${dropped} dropped)`;
}

/**
 * §3.15.2 virt_rx refcounts: `buffer_refs[b]` (u8, `refs(b)`) never exceeds the number of clients,
 * and equals the number of client-side places (virt_rx ↔ copier queues) holding buffer b (not
 * checked in the `doubleReturn` scenario, whose duplicate the refcount cannot know about).
 */
export function netRefcountProblem(
  c: NetConfig,
  read: Read,
  refs: (b: number) => number,
): string | null {
  for (let b = 0; b < c.rxDma.count; b++) {
    const n = refs(b);
    if (n > c.clients)
      return `buffer_refs[${b}] = ${n} exceeds the number of clients (${c.clients})`;
    if (c.doubleReturn) continue;
    let places = 0;
    for (let k = 0; k < c.clients; k++) {
      for (const q of [c.virtRx[k]!.free, c.virtRx[k]!.active])
        places += netLiveDescriptors(read, q).filter((d) => netBufferIndex(d) === b).length;
    }
    if (n !== places) return `buffer_refs[${b}] = ${n} but ${places} client-side place(s) hold it`;
  }
  return null;
}
