// The echo server client over the native asynchronous API (sDDF examples/echo_server/echo.c with
// its UDP echo socket, udp_echo_socket.c: port 1235): every UDP datagram to the port comes back to
// its sender; the stack answers ARP and ping. Each entry point ends with the lib_sddf_lwip steps
// (ClientShell.finish). Channels: Rx from the copier, Tx to virt_tx, serial, timer.

import type { Component, ComponentContext } from '../runtime/api.ts';
import { ipString, macString } from '../components/net/config.ts';
import { ClientShell } from './shell.ts';

export function echoClient(ctx: ComponentContext): Component {
  const shell = new ClientShell(ctx);
  const { stack, netif } = shell;
  const cfg = shell.params.config;
  let echoes = 0;
  stack.udpBind(shell.udpPort, (d) => {
    const reply = stack.udpFrame({
      dstIp: d.srcIp,
      dstMac: d.srcMac,
      srcPort: d.dstPort,
      dstPort: d.srcPort,
      payload: d.payload,
    });
    if (stack.output(reply)) echoes++;
    shell.counters.v[shell.counters.i.udpEchoes] = echoes;
  });
  const processRx = (): void => void netif.processRx((f) => stack.input(f));
  return {
    init(): void {
      shell.boot(
        `${ctx.api.name}: UDP echo on ${ipString(cfg.ip)}:${shell.udpPort} (${macString(cfg.mac)}), native API\n`,
      );
      shell.finish();
    },
    notified(ch: number): void {
      if (ch === cfg.rx.id) processRx();
      else if (shell.isTick(ch)) shell.tick(processRx);
      // Tx channel: virt_tx returned buffers; finish() sends what waits. Serial: nothing to do.
      shell.finish();
    },
  };
}
