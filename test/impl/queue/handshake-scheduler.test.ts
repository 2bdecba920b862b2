// The lost wakeup of reference §2.2, found by fast-check's scheduler: a producer and a
// consumer (async tasks on one NetQueue) whose every shared-memory step is a scheduling point,
// with a Microkit notification word (spec/signal/notification.ts) as the wake-up. Without the
// consumer's re-check after request_signal some interleaving strands an item while the
// consumer sleeps; with it, no interleaving does.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NetQueue } from '../../../impl/queue/net.ts';
import {
  NO_NOTIFICATIONS,
  notify,
  takeNotified,
  type NotificationWord,
} from '../../../spec/signal/notification.ts';

const CH = 1; // the producer's channel to the consumer

/** The consumer PD's notification word; `wait` blocks until a bit is set (coalescing, §1.2). */
class ConsumerPd {
  word: NotificationWord = NO_NOTIFICATIONS;
  private wake: (() => void) | null = null;
  blocked = false;
  notify(): void {
    this.word = notify(this.word, CH);
    this.wake?.();
  }
  async wait(): Promise<void> {
    if (this.word === NO_NOTIFICATIONS) {
      this.blocked = true;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.blocked = false;
      this.wake = null;
    }
    this.word = takeNotified(this.word).word;
  }
}

async function run(
  s: fc.Scheduler,
  items: number,
  recheck: boolean,
): Promise<{ received: number[]; q: NetQueue; pd: ConsumerPd }> {
  const q = new NetQueue({
    region: { buffer: new SharedArrayBuffer(NetQueue.sizeBytes(8)), byteOffset: 0 },
    capacity: 8,
  });
  const pd = new ConsumerPd();
  const received: number[] = [];
  const step = (label: string) => s.schedule(Promise.resolve(label), label);

  const producer = async () => {
    for (let i = 0; i < items; i++) {
      await step(`producer.enqueue(${i})`);
      q.enqueue({ ioOrOffset: BigInt(i), len: 0, oid: 0 });
      await step('producer.require_signal');
      if (q.requireSignal()) {
        q.cancelSignal();
        pd.notify();
      }
    }
  };

  const consumer = async () => {
    for (let round = 0; round < 4 * items + 4 && received.length < items; round++) {
      for (;;) {
        await step('consumer.dequeue');
        const d = q.dequeue();
        if (d === null) break;
        received.push(Number(d.ioOrOffset));
      }
      if (received.length === items) return;
      await step('consumer.request_signal');
      q.requestSignal();
      if (recheck) {
        await step('consumer.recheck');
        if (!q.empty()) {
          q.cancelSignal();
          continue;
        }
      }
      await pd.wait();
    }
  };

  const done = Promise.all([producer(), consumer()]);
  // A wake-up resumes the consumer outside the scheduler, so let microtasks run and drain the
  // scheduler again until nothing is runnable (bounded).
  for (let i = 0; i < 8 * items + 8; i++) {
    await s.waitAll();
    await new Promise((resolve) => setImmediate(resolve));
    if (s.count() === 0) break;
  }
  // Everything runnable has run: the consumer either finished or sleeps with nothing to wake it.
  void done;
  return { received, q, pd };
}

function property(recheck: boolean) {
  return fc.asyncProperty(fc.scheduler(), fc.integer({ min: 1, max: 4 }), async (s, items) => {
    const { received, q, pd } = await run(s, items, recheck);
    const stranded = pd.blocked && !q.empty() && pd.word === NO_NOTIFICATIONS;
    if (stranded || received.length !== items) {
      throw new Error(
        `lost wakeup: consumer asleep with ${q.length()} item(s) queued\n${s
          .report()
          .map((t) => t.label)
          .join(' -> ')}`,
      );
    }
    expect(received).toEqual([...Array(items).keys()]);
  });
}

describe('signalling handshake under fc.scheduler', () => {
  it('finds the lost wakeup when the consumer does not re-check after request_signal', async () => {
    const details = await fc.check(property(false), { numRuns: 300, seed: 1 });
    if (process.env.SHOW_TRACE) console.log(String(details.errorInstance));
    expect(details.failed).toBe(true);
    expect(String(details.errorInstance)).toMatch(/lost wakeup/);
    expect(String(details.errorInstance)).toMatch(/consumer.request_signal/);
  });

  it('with the re-check no interleaving strands an item', async () => {
    await fc.assert(property(true), { numRuns: 300 });
  });
});
