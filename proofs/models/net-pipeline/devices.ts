// The devices of net-pipeline: the NIC, whose ring, DMA and interrupt behaviour is
// spec/devices/enet.ts or spec/devices/virtio-net.ts (here only the frames it receives and the
// checks on what it transmits are the model's), one application per client that asks its client
// to send (bounded), and lwIP's timer per client (bounded ticks, or periodic for liveness runs).
import type { State } from '../../../spec/common/transition.ts';
import type { DeviceMem } from '../../../spec/common/memory.ts';
import { CLIENT_CH_APP, CLIENT_CH_TIMER } from '../../../spec/components/net/client.ts';
import {
  KIND_ECHO,
  KIND_OWN,
  KIND_RX,
  KIND_RX_MISPLACED,
  NGC_REQUESTED,
  NGC_TICKS,
  NGC_TIMER_ARMED,
  NG_RX_INJECTED,
  cg,
  netBufferIndex,
  netIoIn,
  payload,
  payloadKind,
  payloadSeq,
  payloadWho,
} from '../../../spec/components/net/config.ts';
import {
  enetIrqLine,
  enetRxComplete,
  enetRxNext,
  enetTxCoalesceExpire,
  enetTxCoalescePending,
  enetTxComplete,
  enetTxNext,
  type EnetNic,
} from '../../../spec/devices/enet.ts';
import {
  VIRTIO_HDR_TX_DEFAULT,
  virtioNetIrqLine,
  virtioNetIrqPending,
  virtioNetRaiseInterrupt,
  virtioNetReceive,
  virtioNetRxReady,
  virtioNetRxStall,
  virtioNetTransmit,
  virtioNetTxIdle,
  virtioNetTxReady,
  virtioNetTxSleep,
  type VirtioNetDev,
} from '../../../spec/devices/virtio-net.ts';
import type { DeviceAction, DeviceIo } from '../runtime.ts';
import type { PipelineInstance } from './config.ts';

/** Device memory over a state vector (the rings and registers are plain words of the model). */
class StateDevice implements DeviceMem {
  s: State = new Uint32Array(0);
  read(addr: number): number {
    return this.s[addr] ?? 0;
  }
  write(addr: number, value: number): void {
    this.s[addr] = value >>> 0;
  }
  on(s: State): this {
    this.s = s;
    return this;
  }
}

export interface PipelineDevices {
  readonly devices: readonly { readonly name: string; readonly actions: readonly DeviceAction[] }[];
  /** The NIC's interrupt line, for the driver's IRQ channel. */
  readonly irqLine: (s: State) => boolean;
}

export interface TimerBounds {
  /** Ticks lwIP's timer delivers to each client at most (bound `ticks`). */
  readonly ticks: number;
  /** The timer ticks forever (bound `periodicTimer`): for liveness runs. */
  readonly periodic: boolean;
}

export function pipelineDevices(
  p: PipelineInstance,
  sends: number,
  timer: TimerBounds,
): PipelineDevices {
  const { cfg, ghostBase, frames, destOf, txLastOwn, txLastEcho, txEchoCount } = p;
  const { rxDma, cliTxData } = cfg;
  const dev = new StateDevice();
  const g = (s: State, i: number) => s[ghostBase + i] ?? 0;

  /** The next frame has a Rx buffer at `io`: DMA its payload (misplaced if the header is off). */
  const deliverFrame = (s: State, io: DeviceIo, bufIo: number, misplaced: boolean): boolean => {
    const k = g(s, NG_RX_INJECTED) + 1;
    if (!netIoIn(bufIo, rxDma)) {
      io.fail('address-domain', `NIC: Rx descriptor holds ${bufIo}, not an Rx DMA IO address`);
      return false;
    }
    s[rxDma.data + netBufferIndex(bufIo - rxDma.ioBase)] = payload(
      misplaced ? KIND_RX_MISPLACED : KIND_RX,
      destOf(k),
      k,
    );
    s[ghostBase + NG_RX_INJECTED] = k;
    return true;
  };

  /** What the NIC puts on the wire, checked: the client's packets in order, echoes increasing. */
  const checkTransmitted = (s: State, io: DeviceIo, bufIo: number): void => {
    const c = cliTxData.findIndex((r) => netIoIn(bufIo, r));
    if (c < 0) {
      io.fail('address-domain', `NIC: Tx descriptor holds ${bufIo}, not a client Tx IO address`);
      return;
    }
    const p = s[cliTxData[c]!.data + netBufferIndex(bufIo - cliTxData[c]!.ioBase)] ?? 0;
    const seq = payloadSeq(p);
    if (payloadWho(p) !== c)
      io.fail('fifo', `NIC: client${c}'s buffer carries client ${payloadWho(p)}'s packet`);
    else if (payloadKind(p) === KIND_OWN) {
      if (seq !== (s[txLastOwn + c] ?? 0) + 1)
        io.fail('fifo', `NIC: client${c} packet ${seq} after ${s[txLastOwn + c]}`);
      s[txLastOwn + c] = seq;
    } else if (payloadKind(p) === KIND_ECHO) {
      if (seq <= (s[txLastEcho + c] ?? 0))
        io.fail('fifo', `NIC: client${c} echo of ${seq} after ${s[txLastEcho + c]}`);
      s[txLastEcho + c] = seq;
      s[txEchoCount + c] = (s[txEchoCount + c] ?? 0) + 1;
    } else io.fail('fifo', `NIC: client${c} transmitted payload kind ${payloadKind(p)}`);
  };

  const framesLeft = (s: State) => g(s, NG_RX_INJECTED) < frames;

  const enetActions = (nic: EnetNic): DeviceAction[] => [
    {
      // A frame arrives: the NIC fills the next Rx BD it owns (or it waits: Rx DMA stopped).
      name: 'rx_frame',
      touches: 'hw_rx',
      run: (s, io) => {
        if (!framesLeft(s)) return false;
        const bd = enetRxNext(dev.on(s), nic);
        if (bd === null) return false;
        if (deliverFrame(s, io, bd.io, false)) enetRxComplete(dev.on(s), nic, bd.idx);
        io.raiseIrqs();
        return true;
      },
    },
    {
      // The NIC transmits the next Tx BD the driver made ready; its monitors check what it sends.
      name: 'tx_frame',
      touches: 'hw_tx',
      run: (s, io) => {
        const bd = enetTxNext(dev.on(s), nic);
        if (bd === null) return false;
        checkTransmitted(s, io, bd.io);
        enetTxComplete(dev.on(s), nic, bd.idx);
        io.raiseIrqs();
        return true;
      },
    },
    {
      // TXIC0's coalescing timer expires: TXF for the Tx completions not yet signalled.
      name: 'tx_coalesce_timer',
      touches: 'nic.eir',
      run: (s, io) => {
        if (!enetTxCoalescePending(dev.on(s), nic)) return false;
        enetTxCoalesceExpire(dev.on(s), nic);
        io.raiseIrqs();
        return true;
      },
    },
  ];

  const virtioActions = (d: VirtioNetDev): DeviceAction[] => [
    {
      // A frame arrives: the device takes the next available chain, writes header and frame.
      name: 'rx_frame',
      touches: 'rx_virtq',
      run: (s, io) => {
        if (!framesLeft(s) || virtioNetRxReady(dev.on(s), d) !== 'buffer') return false;
        const r = virtioNetReceive(dev.on(s), d);
        if (!r.hdrSlotOk)
          io.fail(
            'address-domain',
            'NIC: an Rx header descriptor points outside the header region',
          );
        deliverFrame(s, io, r.bufIo, r.mismatch !== 0);
        io.raiseIrqs();
        return true;
      },
    },
    {
      // A frame arrives and no chain is available: the device stops receiving until notified.
      name: 'rx_no_buffer',
      touches: 'rx_virtq',
      run: (s) => {
        if (!framesLeft(s) || virtioNetRxReady(dev.on(s), d) !== 'no-buffer') return false;
        virtioNetRxStall(dev.on(s), d);
        return true;
      },
    },
    {
      name: 'tx_frame',
      touches: 'tx_virtq',
      run: (s, io) => {
        if (!virtioNetTxReady(dev.on(s), d)) return false;
        const t = virtioNetTransmit(dev.on(s), d);
        if (t.hdr !== VIRTIO_HDR_TX_DEFAULT)
          io.fail(
            'frame-integrity',
            `NIC: the Tx header of a frame was overwritten (${t.hdr === null ? 'outside the header region' : 'by the device’s own Rx header'})`,
          );
        else if (t.mismatch !== 0)
          io.fail(
            'frame-integrity',
            `NIC: the device's virtio-net header is ${t.mismatch > 0 ? t.mismatch : -t.mismatch} bytes ${t.mismatch > 0 ? 'longer' : 'shorter'} than the driver's: the frame went out misaligned`,
          );
        checkTransmitted(s, io, t.bufIo);
        io.raiseIrqs();
        return true;
      },
    },
    {
      // The transmit queue is empty: the device waits for the next QueueNotify.
      name: 'tx_idle',
      touches: 'tx_virtq',
      run: (s) => {
        if (!virtioNetTxIdle(dev.on(s), d)) return false;
        virtioNetTxSleep(dev.on(s), d);
        return true;
      },
    },
    {
      // Notification coalescing: the interrupt for pending completions is raised.
      name: 'irq_coalesce',
      touches: 'virtio.interrupt_status',
      run: (s, io) => {
        if (!virtioNetIrqPending(dev.on(s), d)) return false;
        virtioNetRaiseInterrupt(dev.on(s), d);
        io.raiseIrqs();
        return true;
      },
    },
  ];

  const hw = cfg.hw;
  const nicDevice = {
    name: 'nic',
    actions: hw.kind === 'enet' ? enetActions(hw.nic) : virtioActions(hw.dev),
  };
  const apps = Array.from({ length: cfg.clients }, (_, c) => ({
    name: `app${c}`,
    actions: [
      {
        name: 'send_request',
        touches: `client${c}`,
        run: (s: State, io: DeviceIo) => {
          if (g(s, cg(c, NGC_REQUESTED)) >= sends) return false;
          s[ghostBase + cg(c, NGC_REQUESTED)] = g(s, cg(c, NGC_REQUESTED)) + 1;
          io.signal(`client${c}`, CLIENT_CH_APP);
          return true;
        },
      },
    ],
  }));
  // lwIP's tick (echo.c set_timeout: a timer driver notification every LWIP_TICK_MS), while armed.
  const timers = cfg.lwip
    ? Array.from({ length: cfg.clients }, (_, c) => ({
        name: `timer${c}`,
        actions: [
          {
            name: 'tick',
            touches: `client${c}`,
            run: (s: State, io: DeviceIo) => {
              if (g(s, cg(c, NGC_TIMER_ARMED)) === 0) return false;
              if (!timer.periodic && g(s, cg(c, NGC_TICKS)) >= timer.ticks) return false;
              s[ghostBase + cg(c, NGC_TIMER_ARMED)] = 0;
              if (!timer.periodic) s[ghostBase + cg(c, NGC_TICKS)] = g(s, cg(c, NGC_TICKS)) + 1;
              io.signal(`client${c}`, CLIENT_CH_TIMER);
              return true;
            },
          },
        ],
      }))
    : [];
  const irqDev = new StateDevice();
  return {
    devices: [nicDevice, ...apps, ...timers],
    irqLine: (s) =>
      hw.kind === 'enet'
        ? enetIrqLine(irqDev.on(s), hw.nic)
        : virtioNetIrqLine(irqDev.on(s), hw.dev),
  };
}
