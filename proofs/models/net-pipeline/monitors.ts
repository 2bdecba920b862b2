// The properties net-pipeline is checked against: the spec's cross-component invariants
// (spec/components/net/invariants.ts, spec/queue/net.ts bounds) read on the drained view of a
// state; the lost-wakeup oracle (which queue holds work its consumer could do while every PD is
// blocked); and the eventual-delivery goal. Monitors inside the components (fifo, asserts,
// spurious notifies, frame integrity) and the devices are reported by the runtime.
import type { Invariant, State } from '../../../spec/common/transition.ts';
import { CL_ECHO_COUNT } from '../../../spec/components/net/client.ts';
import {
  NGC_DELIVERED,
  NGC_DROPPED,
  NGC_REQUESTED,
  NGC_SENT,
  NG_RX_INJECTED,
  cg,
} from '../../../spec/components/net/config.ts';
import {
  DL_RX_HEAD,
  DL_RX_TAIL,
  DL_TX_HEAD,
  DL_TX_TAIL,
} from '../../../spec/components/net/driver.ts';
import {
  netConservationProblem,
  netDomainProblem,
  netHwRingBuffers,
  netRefcountProblem,
} from '../../../spec/components/net/invariants.ts';
import {
  virtioPostedBuffers,
  virtioQueueLocals,
} from '../../../spec/components/net/virtio-driver.ts';
import { VR_REFS } from '../../../spec/components/net/virt-rx.ts';
import { U16, U32 } from '../../../spec/queue/arith.ts';
import { netBoundsProblem, netLengthOf, type NetQueueRef } from '../../../spec/queue/net.ts';
import { ringFullOf } from '../../../spec/queue/ring.ts';
import type { BuiltSystem } from '../runtime.ts';
import type { PipelineInstance } from './config.ts';

export interface PipelineMonitors {
  readonly invariants: readonly Invariant[];
  readonly stranded: (s: State) => string | null;
  readonly goalMissing: (s: State) => string | null;
}

/** `built()` is the system these monitors are part of (its words and drained view). */
export function pipelineMonitors(
  p: PipelineInstance,
  opts: { readonly bug: string | undefined; readonly built: () => BuiltSystem },
): PipelineMonitors {
  const { cfg, ghostBase, frames, expectedRx, txLastOwn, txEchoCount } = p;
  const { drvRx, drvTx, virtRx, cliRx, cliTx, hw } = cfg;
  const clients = cfg.clients;
  const g = (s: State, i: number) => s[ghostBase + i] ?? 0;
  const read = (s: State) => (a: number) => s[a] ?? 0;
  const local = (s: State, pd: string, i: number) => s[opts.built().pdWords(pd).locals + i] ?? 0;
  const bounded = opts.bug === 'F18';

  /** The buffers the driver has handed to the device and not taken back, per direction. */
  const posted = (s: State): { rx: number[]; tx: number[] } => {
    if (hw.kind === 'enet') {
      const ring = (r: typeof hw.nic.rx, tail: number, head: number) =>
        netHwRingBuffers(read(s), r, local(s, 'driver', tail), local(s, 'driver', head), bounded);
      return {
        rx: ring(hw.nic.rx, DL_RX_TAIL, DL_RX_HEAD),
        tx: ring(hw.nic.tx, DL_TX_TAIL, DL_TX_HEAD),
      };
    }
    const usedHead = (q: 'rx' | 'tx') => local(s, 'driver', virtioQueueLocals(cfg, q).usedHead);
    return {
      rx: virtioPostedBuffers(read(s), hw.dev.rx, usedHead('rx')),
      tx: virtioPostedBuffers(read(s), hw.dev.tx, usedHead('tx')),
    };
  };
  /** The driver cannot hand the device another buffer in this direction (ring or virtq full). */
  const hwFull = (s: State, dir: 'rx' | 'tx'): boolean => {
    if (hw.kind === 'enet') {
      const [tail, head, ring] =
        dir === 'rx' ? [DL_RX_TAIL, DL_RX_HEAD, hw.nic.rx] : [DL_TX_TAIL, DL_TX_HEAD, hw.nic.tx];
      const t = local(s, 'driver', tail);
      const h = local(s, 'driver', head);
      return bounded
        ? U32.sub(U32.add(t, 1), h) % ring.capacity === 0
        : ringFullOf(U32, { tail: t, head: h, capacity: ring.capacity, reservedSlots: 0 });
    }
    const q = dir === 'rx' ? hw.dev.rx : hw.dev.tx;
    return local(s, 'driver', virtioQueueLocals(cfg, dir).iaSize) >= q.num;
  };
  const queues: NetQueueRef[] = [drvRx, drvTx, ...virtRx, ...cliRx, ...cliTx].flatMap((q) => [
    q.free,
    q.active,
  ]);

  const invariants: Invariant[] = [
    {
      name: 'queue-capacity',
      check: (s) => {
        for (const q of queues) {
          const broken = netBoundsProblem(read(s), q);
          if (broken !== null) return broken;
        }
        return null;
      },
    },
    { name: 'address-domain', check: (s) => netDomainProblem(cfg, read(opts.built().drained(s))) },
    {
      name: 'buffer-conservation',
      check: (s0) => {
        const s = opts.built().drained(s0);
        return netConservationProblem(cfg, read(s), posted(s));
      },
    },
    {
      name: 'refcount',
      check: (s0) => {
        const s = opts.built().drained(s0);
        return netRefcountProblem(cfg, read(s), (b) => local(s, 'virt_rx', VR_REFS + b));
      },
    },
  ];

  const goalMissing = (s: State): string | null => {
    if (g(s, NG_RX_INJECTED) < frames)
      return `${frames - g(s, NG_RX_INJECTED)} frame(s) never received by the NIC`;
    for (let c = 0; c < clients; c++) {
      if ((s[txLastOwn + c] ?? 0) < cfg.sends)
        return `client${c}: ${cfg.sends - (s[txLastOwn + c] ?? 0)} packet(s) never transmitted`;
      if (c === cfg.slowClient) continue;
      const got = g(s, cg(c, NGC_DELIVERED)) + g(s, cg(c, NGC_DROPPED));
      if (got < expectedRx[c]!)
        return `client${c}: ${expectedRx[c]! - got} frame(s) neither delivered nor dropped`;
      if (cfg.echo && (s[txEchoCount + c] ?? 0) < g(s, cg(c, NGC_DELIVERED))) {
        return `client${c}: ${g(s, cg(c, NGC_DELIVERED)) - (s[txEchoCount + c] ?? 0)} echo(es) never transmitted`;
      }
    }
    return null;
  };

  // Every PD blocked and no device action enabled (the runtime's quiescence): which work is
  // stranded? A queue its consumer could process is a lost wakeup; otherwise an unmet goal.
  const stranded = (s: State): string | null => {
    const len = (q: NetQueueRef) => netLengthOf(U16, s[q.tail] ?? 0, s[q.head] ?? 0);
    const lost = (what: string) => `lost wakeup: ${what}`;
    if (len(drvRx.active) > 0) return lost('drv_rx.active holds frames, virt_rx blocked');
    if (len(drvRx.free) > 0 && !hwFull(s, 'rx'))
      return lost('drv_rx.free holds buffers, the device could take more, driver blocked');
    if (len(drvTx.active) > 0 && !hwFull(s, 'tx'))
      return lost('drv_tx.active holds packets, the device could take more, driver blocked');
    if (len(drvTx.free) > 0) return lost('drv_tx.free holds buffers, virt_tx blocked');
    for (let c = 0; c < clients; c++) {
      const copierCan = opts.bug !== 'F15' || len(cliRx[c]!.free) > 0;
      if (len(virtRx[c]!.active) > 0 && copierCan)
        return lost(`${virtRx[c]!.active.name} holds frames, copier${c} blocked`);
      if (len(virtRx[c]!.free) > 0)
        return lost(`${virtRx[c]!.free.name} holds buffers, virt_rx blocked`);
      if (len(cliTx[c]!.active) > 0)
        return lost(`${cliTx[c]!.active.name} holds packets, virt_tx blocked`);
      const echoPending = local(s, `client${c}`, CL_ECHO_COUNT);
      const txPending = g(s, cg(c, NGC_REQUESTED)) > g(s, cg(c, NGC_SENT)) || echoPending > 0;
      if (txPending && len(cliTx[c]!.free) > 0) {
        if (cfg.lwip)
          return `stall: client${c} has packets to send and ${cliTx[c]!.free.name} holds buffers, but lwIP never arms the Tx free signal and its timer will not tick again`;
        return lost(
          `${cliTx[c]!.free.name} holds buffers, client${c} blocked with packets to send`,
        );
      }
      if (c !== cfg.slowClient && len(cliRx[c]!.active) > 0)
        return lost(`${cliRx[c]!.active.name} holds frames, client${c} blocked`);
    }
    const missing = goalMissing(s);
    if (missing === null) return null;
    return opts.bug === 'F15' || cfg.slowClient >= 0
      ? `starvation: ${missing}`
      : `stall: ${missing}`;
  };

  return { invariants, stranded, goalMissing };
}
