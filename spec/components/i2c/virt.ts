// The I²C virtualiser's contract, once (reference sddf-protocols.md §2.5, §3.14; upstream au-ts/sddf
// 650ace5d i2c/components/virt.c, include/sddf/i2c/i2c_virt.h, client.h, queue.h). A pure function
// of the virt's state — its bus-address ownership list, its deferred queue and the queues it
// shares — per entry point: `virtProtected` (claim/release a bus address by PPC) and
// `virtNotified` (a client or the driver notified). The implementation (impl/components/i2c/virt.ts)
// refines it; the models (proofs/models/i2c.ts) run it; its flavour re-creates catalogue U2-U4.
//
// The fixed behaviour ("done right", docs/adr/024-timer-and-i2c.md):
//  - a transaction is staged on the driver queue and committed only when whole and valid (HEAD +
//    batch_len body commands, each validated and translated); a bad command aborts what was staged
//    (i2c_request_abort) — the driver never sees part of a transaction;
//  - a body command's buffer [data, data + data_len) must lie inside the client's data region
//    (U4: upstream tests `data > vaddr + size`, one past the end allowed, and ignores data_len);
//    a WRRD command needs data_len ≥ 1 (its register byte is data[0]);
//  - room on the driver queue is CAP − 1 − length (one slot is reserved: full is tail − head + 1 ==
//    CAP); upstream tests `CAP − length < batch_len + 1`, one slot too generous, and its
//    transmit loop `i <= intermediary_idx` enqueues one stale command more (U3);
//  - a transaction that can never fit (batch_len + 1 > CAP − 1), or whose body the client has not
//    yet committed, is refused with MALFORMED_TRANSACTION, not deferred forever;
//  - the deferred queue holds at most one entry per client, FIFO: an entry is removed when served
//    (U2: never removed; the retry guard compared with the queue's length instead of its room);
//    while any entry waits, a notifying client is queued behind it without its queue being read
//    (monotonic service, upstream's intent), and nothing is lost: unread commands stay in the
//    client's queue.
//  - ownership is checked again when a deferred transaction resumes (the bus may have been
//    released meanwhile).
// Error responses carry err_cmd 0, as upstream's. A response whose client queue is full is
// dropped (upstream ignores the return value), counted in `dropped`.
import { assert } from '../../common/assert.ts';
import { I2cErr, I2cFlag, type I2cCmd, type I2cResponse } from '../../queue/i2c.ts';
import {
  i2cStateDequeueRequest,
  i2cStateDequeueResponse,
  i2cStateEnqueueRequest,
  i2cStateEnqueueResponse,
  i2cStateRequestAbort,
  i2cStateRequestCommit,
  type I2cReqQueueState,
  type I2cRespQueueState,
} from '../../queue/i2c-state.ts';
import { ringLength } from '../../queue/ring.ts';

/** `I2C_BUS_ADDRESS_MAX` (include/sddf/i2c/client.h): 7-bit addresses. */
export const I2C_BUS_ADDRESS_MAX = 0x7f;
/** PPC labels and replies (client.h). */
export const I2C_BUS_CLAIM = 1;
export const I2C_BUS_RELEASE = 2;
export const I2C_SUCCESS = 0;
export const I2C_FAILURE = 1;
/** `BUS_UNCLAIMED` (i2c_virt.h). */
export const BUS_UNCLAIMED = -1;
/** `SDDF_I2C_MAX_CLIENTS` (include/sddf/i2c/config.h). */
export const SDDF_I2C_MAX_CLIENTS = 64;
/** Flag bits a command may carry (queue.h); anything else is malformed. */
const KNOWN_FLAGS = I2cFlag.HEAD | I2cFlag.READ | I2cFlag.WRRD | I2cFlag.STOP | I2cFlag.RSTART;

/** One client as the virt's config describes it (i2c_virt_client_config_t). */
export interface I2cVirtClient {
  readonly dataVaddr: bigint;
  readonly dataSizeBytes: bigint;
  readonly driverDataVaddr: bigint;
}

/** Which virt: `fixed` (this spec) or re-created upstream bugs (catalogue U2, U3, U4). */
export interface I2cVirtFlavour {
  /** U4: `data > vaddr + size`, data_len ignored. */
  readonly pointerCheck: 'bounded' | 'U4';
  /** U3: upstream's room test and its `<=` transmit loop (one stale command more). */
  readonly transmit: 'exact' | 'U3';
  /** U2: entries never removed; retry when num_cmds ≤ driver queue *length*. */
  readonly deferred: 'fixed' | 'U2';
}

export const I2C_VIRT_FIXED: I2cVirtFlavour = {
  pointerCheck: 'bounded',
  transmit: 'exact',
  deferred: 'fixed',
};

export interface I2cVirtConfig {
  readonly clients: readonly I2cVirtClient[];
  /** Capacity of every queue (upstream I2C_QUEUE_CAPACITY = 254). */
  readonly capacity: number;
  readonly flavour: I2cVirtFlavour;
}

export interface DeferredEntry {
  readonly client: number;
  /** The header already taken from the client's queue, or null: the client only waits its turn. */
  readonly header: I2cCmd | null;
  /** U2 only: upstream's num_cmds, the client queue length when deferred. */
  readonly numCmds: number;
}

export interface I2cVirtState {
  /** `security_list`: per bus address 0..0x7f its owning client, or BUS_UNCLAIMED. */
  readonly security: readonly number[];
  readonly deferred: readonly DeferredEntry[];
  readonly clientReq: readonly I2cReqQueueState[];
  readonly clientResp: readonly I2cRespQueueState[];
  readonly driverReq: I2cReqQueueState;
  readonly driverResp: I2cRespQueueState;
}

/** What one entry did besides changing the state. */
export interface I2cVirtEffects {
  /** Clients notified (client indices, ascending, each once). */
  readonly notifiedClients: readonly number[];
  /** The driver was notified (deferred, as upstream: microkit_deferred_notify). */
  readonly notifiedDriver: boolean;
  /** Transactions committed to the driver queue. */
  readonly committed: number;
  /** Error responses made, by i2c_err_t. */
  readonly errors: readonly I2cErr[];
  /** Responses dropped: the client's response queue was full, or the address had no owner. */
  readonly dropped: number;
  /** A C assert that would fail (the run/model treats it as a crash). */
  readonly assertFailure: string | null;
}

export function i2cVirtInitial(
  cfg: I2cVirtConfig,
  queues: {
    readonly clientReq: readonly I2cReqQueueState[];
    readonly clientResp: readonly I2cRespQueueState[];
    readonly driverReq: I2cReqQueueState;
    readonly driverResp: I2cRespQueueState;
  },
): I2cVirtState {
  assert(cfg.clients.length <= SDDF_I2C_MAX_CLIENTS, 'at most 64 clients');
  return {
    security: new Array<number>(I2C_BUS_ADDRESS_MAX + 1).fill(BUS_UNCLAIMED),
    deferred: [],
    ...queues,
  };
}

// ---------------------------------------------------------------- PPC: claim and release

/**
 * `protected(ch, msginfo)`: label I2C_BUS_CLAIM or I2C_BUS_RELEASE, MR0 (I2C_BUS_SLOT) = address.
 * Reply label I2C_SUCCESS or I2C_FAILURE (with why, for logs and tests).
 */
export function virtProtected(
  security: readonly number[],
  call: { readonly client: number; readonly label: number; readonly words: readonly bigint[] },
  clientCount: number,
): { readonly security: readonly number[]; readonly reply: number; readonly why: string | null } {
  const fail = (why: string) => ({ security, reply: I2C_FAILURE, why });
  if (call.label !== I2C_BUS_CLAIM && call.label !== I2C_BUS_RELEASE)
    return fail(`unknown label ${call.label}`);
  if (!Number.isInteger(call.client) || call.client < 0 || call.client >= clientCount)
    return fail(`channel is not a client's`);
  const bus = call.words[0];
  if (bus === undefined) return fail('no bus address in MR0');
  if (bus < 0n || bus > BigInt(I2C_BUS_ADDRESS_MAX))
    return fail(`bus address ${bus} is above 0x${I2C_BUS_ADDRESS_MAX.toString(16)}`);
  const a = Number(bus);
  const owner = security[a]!;
  if (call.label === I2C_BUS_CLAIM) {
    if (owner !== BUS_UNCLAIMED) return fail(`bus address 0x${a.toString(16)} is already claimed`);
  } else if (owner !== call.client) {
    return fail(`bus address 0x${a.toString(16)} is not claimed by this client`);
  }
  const next = [...security];
  next[a] = call.label === I2C_BUS_CLAIM ? call.client : BUS_UNCLAIMED;
  return { security: next, reply: I2C_SUCCESS, why: null };
}

// ---------------------------------------------------------------- commands

/** `i2c_parse_cmd_header`: 0 not a header, -1 a malformed header, else batch_len. */
export function parseHeader(cmd: I2cCmd): number {
  if ((cmd.flagMask & I2cFlag.HEAD) === 0) return 0;
  if (cmd.flagMask !== I2cFlag.HEAD) return -1;
  const batchLen = Number(cmd.payload & 0xffffn);
  return batchLen !== 0 ? batchLen : -1;
}

/** The 7-bit address of a header (`i2c_header.address`, the u8 at byte 2). */
export function headerAddress(cmd: I2cCmd): number {
  return Number((cmd.payload >> 16n) & 0xffn);
}

/**
 * Validate one body command and translate its client pointer to the driver's (§3.14). `prev` is
 * the previous body command of the same transaction (null for the first).
 */
export function translateBody(
  cmd: I2cCmd,
  prev: I2cCmd | null,
  client: I2cVirtClient,
  flavour: I2cVirtFlavour,
): { readonly cmd: I2cCmd } | { readonly error: I2cErr; readonly why: string } {
  const bad = (why: string) => ({ error: I2cErr.MALFORMED_TRANSACTION, why });
  const data = cmd.payload;
  const end = client.dataVaddr + client.dataSizeBytes;
  if (flavour.pointerCheck === 'U4') {
    // virt.c 650ace5d lines 208-209 and 246-252: `data > vaddr + size` and `offset > data_size`.
    if (data > end) return bad(`data pointer 0x${data.toString(16)} past the data region`);
    if (data < client.dataVaddr) return bad('data pointer before the data region');
  } else {
    if (data < client.dataVaddr || data + BigInt(cmd.dataLen) > end)
      return bad(
        `buffer [0x${data.toString(16)}, +${cmd.dataLen}) is not inside the data region [0x${client.dataVaddr.toString(16)}, 0x${end.toString(16)})`,
      );
    if ((cmd.flagMask & I2cFlag.WRRD) !== 0 && cmd.dataLen === 0)
      return bad('a write-read needs data_len ≥ 1 (its register byte is data[0])');
    if ((cmd.flagMask & ~KNOWN_FLAGS) !== 0)
      return bad(`unknown flag bits 0x${cmd.flagMask.toString(16)}`);
  }
  if ((cmd.flagMask & I2cFlag.HEAD) !== 0) return bad('a body command has the HEAD flag');
  if ((cmd.flagMask & I2cFlag.RSTART) !== 0) {
    if (
      prev === null ||
      (prev.flagMask & (I2cFlag.READ | I2cFlag.WRRD)) !== (cmd.flagMask & I2cFlag.READ)
    )
      return bad('a repeated start must follow a command in the same direction');
    if ((cmd.flagMask & I2cFlag.WRRD) !== 0) return bad('a write-read cannot have RSTART');
  }
  const translated = data - client.dataVaddr + client.driverDataVaddr;
  return { cmd: { ...cmd, payload: translated & 0xffff_ffff_ffff_ffffn } };
}

// ---------------------------------------------------------------- notified

interface Work {
  s: I2cVirtState;
  notified: Set<number>;
  notifiedDriver: boolean;
  committed: number;
  errors: I2cErr[];
  dropped: number;
  assertFailure: string | null;
}

function respond(cfg: I2cVirtConfig, w: Work, client: number, r: I2cResponse): void {
  const q = i2cStateEnqueueResponse(cfg.capacity, w.s.clientResp[client]!, r);
  if (!q.ok) w.dropped++;
  else {
    const clientResp = [...w.s.clientResp];
    clientResp[client] = q.state;
    w.s = { ...w.s, clientResp };
  }
  w.notified.add(client);
}

function error(cfg: I2cVirtConfig, w: Work, client: number, err: I2cErr, address: number): void {
  w.errors.push(err);
  respond(cfg, w, client, { errCmd: 0n, busAddress: address & 0xff, error: err });
}

function setClientReq(w: Work, client: number, q: I2cReqQueueState): void {
  const clientReq = [...w.s.clientReq];
  clientReq[client] = q;
  w.s = { ...w.s, clientReq };
}

function reqLength(q: { readonly tail: number; readonly head: number }): number {
  return ringLength(32, q);
}

/** Room on the driver queue for a transaction of `batchLen` body commands. */
function fits(cfg: I2cVirtConfig, s: I2cVirtState, batchLen: number): boolean {
  const staged = ringLength(32, { tail: s.driverReq.stagedTail, head: s.driverReq.head });
  // Upstream (U3): `I2C_QUEUE_CAPACITY - length < head_len + 1` defers; one more than fits.
  return cfg.flavour.transmit === 'U3'
    ? cfg.capacity - staged >= batchLen + 1
    : cfg.capacity - 1 - staged >= batchLen + 1;
}

/**
 * Stage one transaction whose header was taken from `client`'s queue and commit it, or refuse it.
 * Returns 'deferred' when the driver queue lacks room (the caller defers the header).
 */
function transact(
  cfg: I2cVirtConfig,
  w: Work,
  client: number,
  header: I2cCmd,
): 'done' | 'deferred' {
  const batchLen = parseHeader(header);
  const address = headerAddress(header);
  assert(batchLen > 0, 'a validated header has a batch length');
  if (address > I2C_BUS_ADDRESS_MAX || w.s.security[address] !== client) {
    error(cfg, w, client, I2cErr.UNPERMITTED_ADDR, address);
    return 'done';
  }
  if (batchLen + 1 > cfg.capacity - 1 || reqLength(w.s.clientReq[client]!) < batchLen) {
    error(cfg, w, client, I2cErr.MALFORMED_TRANSACTION, address);
    return 'done';
  }
  if (!fits(cfg, w.s, batchLen)) return 'deferred';
  const c = cfg.clients[client]!;
  let drv = w.s.driverReq;
  const stage = (cmd: I2cCmd): boolean => {
    const r = i2cStateEnqueueRequest(cfg.capacity, drv, cmd);
    if (!r.ok) return false;
    drv = r.state;
    return true;
  };
  if (!stage(header)) {
    w.assertFailure = 'virt: i2c_enqueue_request to the driver failed (assert(!err))';
    return 'done';
  }
  let prev: I2cCmd | null = null;
  for (let k = 0; k < batchLen; k++) {
    const d = i2cStateDequeueRequest(cfg.capacity, w.s.clientReq[client]!);
    assert(d.item !== null, 'the client queue held batch_len commands');
    setClientReq(w, client, d.state);
    const t = translateBody(d.item, prev, c, cfg.flavour);
    if ('error' in t) {
      w.s = { ...w.s, driverReq: i2cStateRequestAbort(drv) };
      error(cfg, w, client, t.error, address);
      return 'done';
    }
    prev = t.cmd;
    if (!stage(t.cmd)) {
      w.assertFailure = 'virt: i2c_enqueue_request to the driver failed (assert(!err))';
      w.s = { ...w.s, driverReq: i2cStateRequestAbort(drv) };
      return 'done';
    }
  }
  // U3: `for (i = 0; i <= intermediary_idx; i++)` sends intermediary[intermediary_idx] too: the
  // entry after the last staged one. Modelled as zero-initialised (it is, until a longer
  // transaction has left something there): a non-header command with a null pointer.
  if (cfg.flavour.transmit === 'U3') {
    const extra: I2cCmd = { payload: 0n, dataLen: 0, flagMask: 0 };
    if (!stage(extra)) {
      w.assertFailure = 'virt: transmit_intermediary overflowed the driver queue (assert(!err))';
      w.s = { ...w.s, driverReq: i2cStateRequestAbort(drv) };
      return 'done';
    }
  }
  w.s = { ...w.s, driverReq: i2cStateRequestCommit(drv) };
  w.committed++;
  w.notifiedDriver = true;
  return 'done';
}

/**
 * `process_request(client)`: read the client's queue, headers first; refuse, commit or defer.
 * `resume` is a deferred header to start with. Returns true when it deferred.
 */
function processClient(
  cfg: I2cVirtConfig,
  w: Work,
  client: number,
  resume: DeferredEntry | null,
): boolean {
  let header = resume?.header ?? null;
  // Bounded: every iteration takes a command from the client queue (capacity) or ends.
  for (let guard = 0; guard <= cfg.capacity + 1; guard++) {
    if (header === null) {
      const d = i2cStateDequeueRequest(cfg.capacity, w.s.clientReq[client]!);
      if (d.item === null) return false;
      setClientReq(w, client, d.state);
      const n = parseHeader(d.item);
      if (n === 0) continue; // not a header: the rest of a refused transaction, discarded
      if (n < 0) {
        error(cfg, w, client, I2cErr.MALFORMED_HEADER, headerAddress(d.item));
        continue;
      }
      header = d.item;
    }
    if (transact(cfg, w, client, header) === 'deferred') {
      const numCmds = reqLength(w.s.clientReq[client]!);
      w.s = { ...w.s, deferred: [...w.s.deferred, { client, header, numCmds }] };
      return true;
    }
    header = null;
    if (w.assertFailure !== null) return false;
  }
  return false;
}

/**
 * `notified(ch)`: `source` is the driver or a client index. Responses first (driver), then the
 * deferred work, then the notifying client (queued behind deferred work if any is left).
 */
export function virtNotified(
  cfg: I2cVirtConfig,
  s0: I2cVirtState,
  source: { readonly kind: 'driver' } | { readonly kind: 'client'; readonly client: number },
): { readonly state: I2cVirtState; readonly effects: I2cVirtEffects } {
  const w: Work = {
    s: s0,
    notified: new Set(),
    notifiedDriver: false,
    committed: 0,
    errors: [],
    dropped: 0,
    assertFailure: null,
  };
  if (source.kind === 'driver') processResponses(cfg, w);
  const blocked = serveDeferred(cfg, w);
  if (source.kind === 'client' && w.assertFailure === null) {
    const c = source.client;
    assert(c >= 0 && c < cfg.clients.length, () => `client ${c} exists`);
    if (!blocked) processClient(cfg, w, c, null);
    else if (cfg.flavour.deferred === 'fixed') {
      // Monotonic service: wait behind the deferred work; the commands stay in the client queue.
      if (!w.s.deferred.some((e) => e.client === c) && reqLength(w.s.clientReq[c]!) > 0)
        w.s = { ...w.s, deferred: [...w.s.deferred, { client: c, header: null, numCmds: 0 }] };
    } else {
      // U2: process_request(..., force_defer): the next header is deferred unconditionally, and
      // virt_q_append refuses a client already queued (its occupancy bit is stuck).
      forceDeferU2(cfg, w, c);
    }
  }
  return {
    state: w.s,
    effects: {
      notifiedClients: [...w.notified].sort((a, b) => a - b),
      notifiedDriver: w.notifiedDriver,
      committed: w.committed,
      errors: w.errors,
      dropped: w.dropped,
      assertFailure: w.assertFailure,
    },
  };
}

function processResponses(cfg: I2cVirtConfig, w: Work): void {
  for (let guard = 0; guard < cfg.capacity; guard++) {
    const d = i2cStateDequeueResponse(cfg.capacity, w.s.driverResp);
    if (d.item === null) return;
    w.s = { ...w.s, driverResp: d.state };
    const owner = w.s.security[d.item.busAddress] ?? BUS_UNCLAIMED;
    if (owner === BUS_UNCLAIMED) {
      w.dropped++; // released before its response came back: dropped, as upstream
      continue;
    }
    respond(cfg, w, owner, d.item);
  }
}

/** Serve deferred entries in order while they fit; true when work is still deferred. */
function serveDeferred(cfg: I2cVirtConfig, w: Work): boolean {
  for (let guard = 0; guard <= cfg.clients.length; guard++) {
    const e = w.s.deferred[0];
    if (e === undefined) return false;
    if (cfg.flavour.deferred === 'U2') {
      // virt.c 650ace5d lines 333-338: `num_cmds > i2c_request_queue_length(driver_queue)` gives
      // up; the entry is peeked, never popped (the model serves it once per notification where
      // upstream would spin on it).
      if (e.numCmds > reqLength({ tail: w.s.driverReq.stagedTail, head: w.s.driverReq.head }))
        return true;
      if (guard > 0) return true;
      if (e.header !== null && transact(cfg, w, e.client, e.header) === 'deferred') return true;
      continue;
    }
    if (e.header !== null && !fits(cfg, w.s, parseHeader(e.header))) return true;
    w.s = { ...w.s, deferred: w.s.deferred.slice(1) };
    if (processClient(cfg, w, e.client, e)) return true;
    if (w.assertFailure !== null) return true;
  }
  return w.s.deferred.length > 0;
}

function forceDeferU2(cfg: I2cVirtConfig, w: Work, c: number): void {
  for (let guard = 0; guard <= cfg.capacity; guard++) {
    const d = i2cStateDequeueRequest(cfg.capacity, w.s.clientReq[c]!);
    if (d.item === null) return;
    setClientReq(w, c, d.state);
    const n = parseHeader(d.item);
    if (n === 0) continue;
    if (n < 0) {
      error(cfg, w, c, I2cErr.MALFORMED_HEADER, headerAddress(d.item));
      continue;
    }
    if (w.s.deferred.some((e) => e.client === c)) {
      error(cfg, w, c, I2cErr.OTHER, headerAddress(d.item)); // append failed: work discarded
      return;
    }
    const numCmds = reqLength(w.s.clientReq[c]!);
    w.s = { ...w.s, deferred: [...w.s.deferred, { client: c, header: d.item, numCmds }] };
    return;
  }
}
