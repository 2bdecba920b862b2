// The devices of net-pipeline: the NIC, an ENET-like device whose ring and interrupt behaviour is
// spec/devices/enet.ts (here only the frames it receives and the checks on what it transmits are
// the model's), and one application per client that asks its client to send (bounded).
import type { State } from '../../../spec/common/transition.ts';
import type { DeviceMem } from '../../../spec/common/memory.ts';
import { CLIENT_CH_APP } from '../../../spec/components/net/client.ts';
import {
  KIND_ECHO,
  KIND_OWN,
  KIND_RX,
  NGC_REQUESTED,
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
  enetTxComplete,
  enetTxNext,
} from '../../../spec/devices/enet.ts';
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

export function pipelineDevices(p: PipelineInstance, sends: number): PipelineDevices {
  const { cfg, ghostBase, frames, destOf, txLastOwn, txLastEcho, txEchoCount } = p;
  const { nic, rxDma, cliTxData } = cfg;
  const dev = new StateDevice();
  const g = (s: State, i: number) => s[ghostBase + i] ?? 0;

  // A frame arrives: the NIC fills the next Rx BD it owns (or waits: Rx DMA stopped).
  const rxFrame = (s: State, io: DeviceIo): boolean => {
    const k = g(s, NG_RX_INJECTED) + 1;
    if (k > frames) return false;
    const bd = enetRxNext(dev.on(s), nic);
    if (bd === null) return false;
    if (!netIoIn(bd.io, rxDma)) {
      io.fail('address-domain', `NIC: Rx descriptor holds ${bd.io}, not an Rx DMA IO address`);
      return true;
    }
    s[rxDma.data + netBufferIndex(bd.io - rxDma.ioBase)] = payload(KIND_RX, destOf(k), k); // DMA
    enetRxComplete(dev.on(s), nic, bd.idx);
    s[ghostBase + NG_RX_INJECTED] = k;
    io.raiseIrqs();
    return true;
  };

  // The NIC transmits the next Tx BD the driver made ready; its monitors check what it sends.
  const txFrame = (s: State, io: DeviceIo): boolean => {
    const bd = enetTxNext(dev.on(s), nic);
    if (bd === null) return false;
    const c = cliTxData.findIndex((r) => netIoIn(bd.io, r));
    if (c < 0) {
      io.fail('address-domain', `NIC: Tx descriptor holds ${bd.io}, not a client Tx IO address`);
      return true;
    }
    const p = s[cliTxData[c]!.data + netBufferIndex(bd.io - cliTxData[c]!.ioBase)] ?? 0;
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
    enetTxComplete(dev.on(s), nic, bd.idx);
    io.raiseIrqs();
    return true;
  };

  const nicDevice = {
    name: 'nic',
    actions: [
      { name: 'rx_frame', touches: 'hw_rx', run: rxFrame },
      { name: 'tx_frame', touches: 'hw_tx', run: txFrame },
    ],
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
  const irqDev = new StateDevice();
  return {
    devices: [nicDevice, ...apps],
    irqLine: (s) => enetIrqLine(irqDev.on(s), nic),
  };
}
