// Devices as agents of a scheduler (issue #14 part 3). In agent timing a device does nothing on
// its own: a notify only tells it there is work, a frame from the wire waits in a backlog, and a
// scheduler (impl/hw/timing.ts, driven by the deterministic runtime or a test) decides when the
// device reads the avail ring, completes requests, raises the interrupts it owes, or raises a
// spurious one. Every choice comes from a seeded PRNG, so a run replays from its seed.

/** One thing a device can do now. */
export type AgentAction =
  /** Read the avail ring of `queue` and take what the driver published (notified or not). */
  | { readonly kind: 'poll'; readonly queue: number }
  /** Finish up to `max` requests held on `queue`, publish their used entries, decide the IRQ. */
  | { readonly kind: 'complete'; readonly queue: number; readonly max: number }
  /** Raise the used-buffer interrupt the device decided to send (delayed until now). */
  | { readonly kind: 'interrupt' }
  /** Raise a used-buffer interrupt with nothing new (the driver MUST handle it, §2.7.7.1). */
  | { readonly kind: 'spurious-interrupt' }
  /** The next frame waiting on the wire arrives. */
  | { readonly kind: 'rx-frame' }
  /** Ask the driver not to notify `queue` (used.flags NO_NOTIFY or avail_event); poll later. */
  | { readonly kind: 'suppress-notify'; readonly queue: number }
  /** Ask for notifications again and look at the avail ring once more (the device re-check). */
  | { readonly kind: 'resume-notify'; readonly queue: number }
  /** Move characters out of a UART's Tx FIFO onto the line. */
  | { readonly kind: 'drain-tx'; readonly max: number };

export interface DeviceAgent {
  readonly name: string;
  /** What the device could do now, in a fixed order (the scheduler picks with its PRNG). */
  agentActions(): AgentAction[];
  agentPerform(action: AgentAction): void;
  /**
   * Work the device still owes (requests held, an interrupt decided but not raised, a suppressed
   * queue it promised to poll, frames waiting): a run is not quiescent while any agent is busy.
   */
  agentBusy(): boolean;
}

/** Actions that finish owed work (a scheduler settling the system uses only these). */
export function isSettlingAction(a: AgentAction): boolean {
  return a.kind !== 'spurious-interrupt' && a.kind !== 'suppress-notify';
}

export function describeAction(a: AgentAction): string {
  switch (a.kind) {
    case 'poll':
    case 'suppress-notify':
    case 'resume-notify':
      return `${a.kind} q${a.queue}`;
    case 'complete':
      return `complete q${a.queue} ≤${a.max}`;
    case 'drain-tx':
      return `drain-tx ≤${a.max}`;
    case 'interrupt':
    case 'spurious-interrupt':
    case 'rx-frame':
      return a.kind;
  }
}
