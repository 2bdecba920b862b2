// The echo server client written against the blocking socket API (LionsOS §4.2), the way a POSIX
// program would be: a task loops recvfrom → sendto. The PD's entry points drive the coroutines:
// received frames go through the stack into the socket, then every ready task runs to its next wait.
// A task blocked in sendto is woken when virt_tx returns Tx buffers (native mode arms the Tx free
// signal for it) or on the timer tick (lwIP mode).

import type { Component, ComponentContext } from '../runtime/api.ts';
import { ipString, macString } from '../components/net/config.ts';
import { Coroutines, type Task } from './coroutine.ts';
import { TX_FREE_EVENT, UdpSocket } from './net/socket.ts';
import { ClientShell } from './shell.ts';

export function blockingEchoClient(ctx: ComponentContext): Component {
  const shell = new ClientShell(ctx);
  const { stack, netif } = shell;
  const cfg = shell.params.config;
  const co = new Coroutines();
  const sock = new UdpSocket(stack, netif, co, shell.udpPort);
  let echoes = 0;

  function* echoTask(): Task {
    for (;;) {
      const d = yield* sock.recvfrom();
      yield* sock.sendto({ ip: d.srcIp, mac: d.srcMac, port: d.srcPort }, d.payload);
      echoes++;
      shell.counters.v[shell.counters.i.udpEchoes] = echoes;
    }
  }

  const processRx = (): void => void netif.processRx((f) => stack.input(f));

  const runTasks = (): void => {
    // Bounded: each round either lets a blocked sender through or stops.
    for (let round = 0; round < 4; round++) {
      if (netif.canTransmit()) co.signal(TX_FREE_EVENT);
      co.run();
      if (!co.waitingOn(TX_FREE_EVENT)) break;
      // Native: arm the Tx free signal (request + re-check); a buffer after all: go again.
      if (netif.txWait === 'lwip' || !netif.armTxFree()) break;
    }
  };

  return {
    init(): void {
      shell.boot(
        `${ctx.api.name}: UDP echo on ${ipString(cfg.ip)}:${shell.udpPort} (${macString(cfg.mac)}), blocking API\n`,
      );
      co.spawn(echoTask());
      runTasks();
      shell.finish();
    },
    notified(ch: number): void {
      if (ch === cfg.rx.id) processRx();
      else if (shell.isTick(ch)) {
        shell.tick(processRx);
        co.signal(TX_FREE_EVENT); // lwIP mode: the timer is when a blocked send retries
      }
      runTasks();
      shell.finish();
    },
  };
}
