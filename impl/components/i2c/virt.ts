// The I²C virtualiser (issue #13 part 4; upstream au-ts/sddf 650ace5d i2c/components/virt.c,
// reference sddf-protocols.md §3.14), over the shared queues. Its contract is
// spec/components/i2c/virt.ts (the fixed behaviour: whole transactions committed at once, buffers
// bounded by data_len, room counted with the reserved slot, a FIFO deferred queue with one entry per
// client that is removed when served); the validation and ownership rules are the spec's own
// functions (translateBody, parseHeader, virtProtected), the control flow is written here over the
// queues and checked against the spec by traces/refinement/i2c.
//
// A hostile client cannot make the virt loop or crash: every loop is bounded by a queue capacity,
// a response to a full client queue is dropped and counted, and a transaction that cannot ever fit
// is refused.

import { assert } from '../../../spec/common/assert.ts';
import {
  I2C_BUS_ADDRESS_MAX,
  I2C_VIRT_FIXED,
  BUS_UNCLAIMED,
  headerAddress,
  parseHeader,
  translateBody,
  virtProtected,
  type I2cVirtFlavour,
} from '../../../spec/components/i2c/virt.ts';
import {
  I2C_CAPACITY,
  I2C_CMD_SIZE_BYTES,
  I2C_RESPONSE_SIZE_BYTES,
  I2cErr,
  type I2cCmd,
} from '../../../spec/queue/i2c.ts';
import {
  I2C_REQ_QUEUE_HEADER_BYTES,
  I2C_RESP_QUEUE_HEADER_BYTES,
  I2cReqQueue,
  I2cRespQueue,
} from '../../queue/i2c.ts';
import type { Component, ComponentContext, MicrokitApi, PpcMessage } from '../../runtime/api.ts';
import { Counters } from '../net/counters.ts';
import type { I2cVirtConfig } from './config.ts';

export const I2C_VIRT_COUNTERS = [
  'committed',
  'commands',
  'deferred',
  'responses',
  'refusedHeader',
  'refusedAddress',
  'refusedTransaction',
  'discarded',
  'droppedResponses',
  'claims',
  'claimsRefused',
] as const;

export interface I2cVirtParams {
  readonly config: I2cVirtConfig;
  readonly counters?: SharedArrayBuffer;
  /** Tests and mutation: a seeded upstream bug (U4 only: the others are the spec's variants). */
  readonly flavour?: Partial<I2cVirtFlavour>;
}

export function reqQueueBytes(capacity = I2C_CAPACITY): number {
  return I2C_REQ_QUEUE_HEADER_BYTES + I2C_CMD_SIZE_BYTES * capacity;
}
export function respQueueBytes(capacity = I2C_CAPACITY): number {
  return I2C_RESP_QUEUE_HEADER_BYTES + I2C_RESPONSE_SIZE_BYTES * capacity;
}

export function openReq(api: MicrokitApi, vaddr: number): I2cReqQueue {
  const w = api.mem.sharedWindow(vaddr, reqQueueBytes(), 8);
  return new I2cReqQueue({ region: { buffer: w.buffer, byteOffset: w.byteOffset } });
}
export function openResp(api: MicrokitApi, vaddr: number): I2cRespQueue {
  const w = api.mem.sharedWindow(vaddr, respQueueBytes(), 8);
  return new I2cRespQueue({ region: { buffer: w.buffer, byteOffset: w.byteOffset } });
}

interface Deferred {
  readonly client: number;
  readonly header: I2cCmd | null;
}

export function i2cVirtComponent(ctx: ComponentContext): Component {
  const p = ctx.params as unknown as I2cVirtParams;
  const cfg = p.config;
  const flavour: I2cVirtFlavour = { ...I2C_VIRT_FIXED, ...(p.flavour ?? {}) };
  const counters = new Counters(I2C_VIRT_COUNTERS, p.counters);
  const api = ctx.api;
  const security = new Int32Array(I2C_BUS_ADDRESS_MAX + 1).fill(BUS_UNCLAIMED);
  const deferred: Deferred[] = [];
  let driverReq!: I2cReqQueue;
  let driverResp!: I2cRespQueue;
  let clientReq: I2cReqQueue[] = [];
  let clientResp: I2cRespQueue[] = [];
  const clientByCh = new Map(cfg.clients.map((c, i) => [c.ch, i]));
  const capacity = I2C_CAPACITY;
  const notifyClients = new Set<number>();
  let notifyDriver = false;

  const respond = (client: number, busAddress: number, error: I2cErr, errCmd = 0n): void => {
    if (!clientResp[client]!.enqueue({ errCmd, busAddress: busAddress & 0xff, error }))
      counters.inc('droppedResponses');
    notifyClients.add(client);
  };
  const refuse = (client: number, err: I2cErr, address: number): void => {
    counters.inc(
      err === I2cErr.MALFORMED_HEADER
        ? 'refusedHeader'
        : err === I2cErr.UNPERMITTED_ADDR
          ? 'refusedAddress'
          : 'refusedTransaction',
    );
    respond(client, address, err);
  };
  const fits = (batchLen: number): boolean =>
    capacity - 1 - driverReq.stagedLength() >= batchLen + 1;

  /** One transaction whose header came from `client`: commit it whole, refuse it, or defer. */
  const transact = (client: number, header: I2cCmd): 'done' | 'deferred' => {
    const n = parseHeader(header);
    const address = headerAddress(header);
    assert(n > 0, 'a validated header');
    if (address > I2C_BUS_ADDRESS_MAX || security[address] !== client) {
      refuse(client, I2cErr.UNPERMITTED_ADDR, address);
      return 'done';
    }
    if (n + 1 > capacity - 1 || clientReq[client]!.length() < n) {
      refuse(client, I2cErr.MALFORMED_TRANSACTION, address);
      return 'done';
    }
    if (!fits(n)) return 'deferred';
    const c = cfg.clients[client]!;
    assert(driverReq.enqueue(header), 'room was checked for the whole transaction');
    let prev: I2cCmd | null = null;
    for (let k = 0; k < n; k++) {
      const cmd = clientReq[client]!.dequeue();
      assert(cmd !== null, 'the client queue held batch_len commands');
      const t = translateBody(cmd, prev, c, flavour);
      if ('error' in t) {
        driverReq.abort(); // nothing of this transaction reaches the driver
        refuse(client, t.error, address);
        return 'done';
      }
      prev = t.cmd;
      assert(driverReq.enqueue(t.cmd), 'room was checked for the whole transaction');
    }
    driverReq.commit();
    counters.inc('committed');
    counters.inc('commands', n);
    notifyDriver = true;
    return 'done';
  };

  /** `process_request`: true when the client's work was deferred. */
  const processClient = (client: number, resume: I2cCmd | null): boolean => {
    let header = resume;
    for (let guard = 0; guard <= capacity + 1; guard++) {
      if (header === null) {
        const cmd = clientReq[client]!.dequeue();
        if (cmd === null) return false;
        const n = parseHeader(cmd);
        if (n === 0) {
          counters.inc('discarded');
          continue;
        }
        if (n < 0) {
          refuse(client, I2cErr.MALFORMED_HEADER, headerAddress(cmd));
          continue;
        }
        header = cmd;
      }
      if (transact(client, header) === 'deferred') {
        deferred.push({ client, header });
        counters.inc('deferred');
        return true;
      }
      header = null;
    }
    return false;
  };

  const processResponses = (): void => {
    for (let guard = 0; guard < capacity; guard++) {
      const r = driverResp.dequeue();
      if (r === null) return;
      counters.inc('responses');
      const owner = security[r.busAddress & I2C_BUS_ADDRESS_MAX] ?? BUS_UNCLAIMED;
      if (r.busAddress > I2C_BUS_ADDRESS_MAX || owner === BUS_UNCLAIMED) {
        counters.inc('droppedResponses');
        continue;
      }
      if (!clientResp[owner]!.enqueue(r)) counters.inc('droppedResponses');
      notifyClients.add(owner);
    }
  };

  /** Deferred work in order while it fits; true when some is still waiting. */
  const serveDeferred = (): boolean => {
    for (let guard = 0; guard <= cfg.clients.length; guard++) {
      const e = deferred[0];
      if (e === undefined) return false;
      if (e.header !== null && !fits(parseHeader(e.header))) return true;
      deferred.shift();
      if (processClient(e.client, e.header)) return true;
    }
    return deferred.length > 0;
  };

  const flush = (): void => {
    for (const c of [...notifyClients].sort((a, b) => a - b)) api.notify(cfg.clients[c]!.ch);
    notifyClients.clear();
    if (notifyDriver) api.deferredNotify(cfg.driver.ch);
    notifyDriver = false;
  };

  return {
    init(): void {
      driverReq = openReq(api, cfg.driver.reqVaddr);
      driverResp = openResp(api, cfg.driver.respVaddr);
      clientReq = cfg.clients.map((c) => openReq(api, c.reqVaddr));
      clientResp = cfg.clients.map((c) => openResp(api, c.respVaddr));
    },
    notified(ch: number): void {
      if (ch === cfg.driver.ch) processResponses();
      const blocked = serveDeferred();
      const client = clientByCh.get(ch);
      if (client !== undefined) {
        if (!blocked) processClient(client, null);
        else if (!deferred.some((e) => e.client === client) && clientReq[client]!.length() > 0)
          deferred.push({ client, header: null });
      }
      flush();
    },
    protected(ch: number, msg: PpcMessage): PpcMessage {
      const client = clientByCh.get(ch) ?? -1;
      const r = virtProtected(
        Array.from(security),
        { client, label: msg.label, words: msg.words },
        cfg.clients.length,
      );
      if (r.why === null) {
        counters.inc('claims');
        security.set(r.security);
      } else counters.inc('claimsRefused');
      return { label: r.reply, words: [] };
    },
  };
}
