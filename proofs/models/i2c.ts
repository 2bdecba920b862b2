// `i2c`: I²C transaction atomicity through the virt (reference sddf-protocols.md §2.5, §3.14; issue
// #13 part 5). Clients submit transactions (HEAD + body commands, staged and committed at once)
// and notify the virt; the virt is spec/components/i2c/virt.ts's `virtNotified` (one step per wake,
// the set bits in ascending order: the driver on 0, client c on 1 + c); the driver takes one whole
// transaction per step (spec/components/i2c/driver.ts `driverTake`), answers it and notifies the
// virt. Queues are spec/queue/i2c-state.ts, at a small capacity. Each client owns bus address
// 0x10 + c from the start (claim and release are checked by the spec's own tests).
//
// Properties: the committed part of the driver queue is whole transactions with buffers inside a
// client's region (atomicity, translation: spec/components/i2c/invariants.ts); the driver receives
// each client's transactions exactly once and in order (fifo: body k of client c points at offset
// k of its region); no C assert fails (no-assert-failure); no response is lost; and at the end every
// transaction was answered (no-lost-wakeup: the quiescence oracle).
// Catalogue: U2 (deferred queue), U3 (transmit loop and room test), U4 (pointer check; `hostile`
// makes client 0 send a buffer that runs past its region), U5 (capacity 3 across the u32 wrap).
import type { ItfValue, State, TransitionSystem } from '../../spec/common/transition.ts';
import {
  I2C_VIRT_FIXED,
  i2cVirtInitial,
  virtNotified,
  type DeferredEntry,
  type I2cVirtConfig,
  type I2cVirtFlavour,
  type I2cVirtState,
} from '../../spec/components/i2c/virt.ts';
import { driverTake } from '../../spec/components/i2c/driver.ts';
import { driverQueueProblem } from '../../spec/components/i2c/invariants.ts';
import {
  I2cErr,
  I2cFlag,
  i2cHeaderPayload,
  type I2cCmd,
  type I2cResponse,
} from '../../spec/queue/i2c.ts';
import {
  i2cStateEnqueueRequest,
  i2cStateEnqueueResponse,
  i2cStateDequeueResponse,
  i2cStateRequestCommit,
  i2cStateReqInvariant,
  type I2cReqQueueState,
  type I2cRespQueueState,
} from '../../spec/queue/i2c-state.ts';
import { boundOf, effectiveBounds, validateBounds } from './common.ts';
import { Layout } from './layout.ts';
import type { BugVariant, ModelEntry, ModelOptions } from './types.ts';

const HEAD = '650ace5d';
export const i2cBugs: readonly BugVariant[] = [
  {
    id: 'U2',
    description:
      'i2c virt deferred queue: entries are peeked, never popped, and the retry guard compares num_cmds with the driver queue length (not its room): once the driver has drained, deferred work is never retried',
    expectedProperty: 'no-lost-wakeup',
    upstream: [
      {
        commit: HEAD,
        file: 'i2c/components/virt.c',
        before:
          '325-348 (notified: virt_q_peek, `num_cmds > i2c_request_queue_length(driver_queue)`, no virt_q_pop)',
        after:
          'unconfirmed upstream; spec/components/i2c/virt.ts serves a FIFO with one entry per client, removed when served',
      },
      {
        commit: HEAD,
        file: 'include/sddf/i2c/i2c_virt.h',
        before:
          '33-75 (virt_q_client_valid: `client_no < 0` on a uint8_t, `1 << bit` on int; occupancy bit never cleared)',
        after: 'see above',
      },
    ],
    modelled:
      'the peek without pop and the inverted guard; a force-deferred client whose entry is already queued gets I2C_ERR_OTHER',
    notModelled:
      'the spin on a peeked entry that does fit (the model serves it once per notification), the bitmask UB',
  },
  {
    id: 'U3',
    bounds: { capacity: 8, batch: 1 },
    description:
      'i2c virt transmit_intermediary: `for (i = 0; i <= intermediary_idx; i++)` enqueues one stale command after every transaction, and the room test `CAP - length < head_len + 1` ignores the reserved slot',
    expectedProperty: 'atomicity',
    upstream: [
      {
        commit: HEAD,
        file: 'i2c/components/virt.c',
        before:
          '55-67 (transmit_intermediary `<=`), 181 (`I2C_QUEUE_CAPACITY - i2c_request_queue_length(driver_queue) < head_len + 1`)',
        after:
          'unconfirmed upstream; the spec stages exactly the transaction and counts room as CAP − 1 − length',
      },
    ],
    modelled:
      "the extra command (zero-initialised, as upstream's intermediary is until a longer transaction) and the room test",
    notModelled: 'a stale command left over from a longer earlier transaction',
  },
  {
    id: 'U4',
    bounds: { hostile: 1 },
    description:
      'i2c virt pointer check: `data > vaddr + size` (one past the end allowed) and data_len ignored: a command reaches up to 255 bytes past the client data region',
    expectedProperty: 'translation',
    upstream: [
      {
        commit: HEAD,
        file: 'i2c/components/virt.c',
        before:
          '208-209 (`cmd.payload.data > client_data_vaddr + data_size`), 246-252 (`offset > data_size`)',
        after: 'unconfirmed upstream; the spec requires [data, data + data_len) inside the region',
      },
    ],
    modelled: 'a client that sends a buffer starting 2 bytes before the end of its region, 4 long',
    notModelled: 'what the driver then overwrites (the run shows it: test/impl/systems/i2c)',
  },
  {
    id: 'U5',
    bounds: { capacity: 3, indexBase: 0xffff_ffff, clients: 1, transactions: 2, batch: 1 },
    fixedBounds: { capacity: 4 },
    description:
      'I2C_QUEUE_CAPACITY = 254 is not a power of two; with free-running u32 indices `index % CAP` jumps at the 2^32 wrap and two live commands share a slot',
    expectedProperty: 'atomicity',
    upstream: [
      {
        commit: HEAD,
        file: 'include/sddf/i2c/queue.h',
        before:
          '24-27 (I2C_QUEUE_CAPACITY (4096 - 32) / sizeof(i2c_cmd_t)), 167, 209 (`% I2C_QUEUE_CAPACITY`)',
        after: 'unconfirmed upstream; fixed run: a power-of-two capacity',
      },
    ],
    modelled:
      "capacity 3 with the indices started one below 2^32: a transaction's header and body land in one slot",
    notModelled:
      'capacity 254 itself (the wrap needs 2^32 enqueues; the slot arithmetic is the same)',
  },
];

export const i2cEntry: ModelEntry = {
  name: 'i2c',
  description:
    'I²C transactions through the virt to the driver: atomicity, translation, deferral, fifo',
  defaultBounds: { clients: 2, capacity: 4, transactions: 2, batch: 2, indexBase: 0, hostile: 0 },
  boundRanges: {
    clients: { min: 1, max: 2, doc: 'clients of the virt' },
    capacity: { min: 3, max: 8, doc: 'I2C_QUEUE_CAPACITY of every queue (one slot reserved)' },
    transactions: { min: 1, max: 3, doc: 'transactions each client submits' },
    batch: { min: 1, max: 2, doc: "body commands of client 0's transactions (client 1: one)" },
    indexBase: { min: 0, max: 0xffff_ffff, doc: 'initial u32 indices of every queue' },
    hostile: { min: 0, max: 1, doc: "1 = client 0's first body runs past its data region (U4)" },
  },
  crossCheck: (b) =>
    (b['batch'] ?? 1) + 1 > (b['capacity'] ?? 4) - 1
      ? `batch + 1 must fit capacity − 1 (a transaction of batch ${b['batch']} can never fit capacity ${b['capacity']})`
      : null,
  memoryModels: ['sc'],
  bugs: i2cBugs,
  build: (opts) => buildI2c(opts),
};

const UNDEF = 0xffff_ffff;
/** Client c's data region as the client sees it, and as the driver maps it. */
const CLIENT_VADDR = 0x100;
const REGION = 0x10;
const driverVaddr = (c: number) => 0x1000 + 0x100 * c;

/** The bus address client c owns from the start. */
export const i2cModelAddress = (c: number): number => 0x10 + c;

/** The virt's configuration in the model: each client's region, the capacity, the bug's flavour. */
export function i2cModelVirtConfig(clients: number, cap: number, bug?: string): I2cVirtConfig {
  const flavour: I2cVirtFlavour = {
    ...I2C_VIRT_FIXED,
    ...(bug === 'U2' ? { deferred: 'U2' as const } : {}),
    ...(bug === 'U3' ? { transmit: 'U3' as const } : {}),
    ...(bug === 'U4' ? { pointerCheck: 'U4' as const } : {}),
  };
  return {
    clients: Array.from({ length: clients }, (_, c) => ({
      dataVaddr: BigInt(CLIENT_VADDR),
      dataSizeBytes: BigInt(REGION),
      driverDataVaddr: BigInt(driverVaddr(c)),
    })),
    capacity: cap,
    flavour,
  };
}

/**
 * Seeded bugs for the model's own tests (no upstream bug): `replay` — the driver takes a
 * transaction without moving the queue head (it serves it again); `double` — it answers every
 * transaction twice; `silent` — it never answers.
 */
export type I2cSeeded = 'replay' | 'double' | 'silent';

export function buildI2c(opts: ModelOptions, seeded?: I2cSeeded): TransitionSystem {
  const extra = i2cBugs.find((v) => v.id === opts.bug)?.bounds ?? {};
  const bounds = effectiveBounds(opts.bounds, i2cEntry.defaultBounds, extra);
  validateBounds(i2cEntry, bounds);
  const b = (k: string) => boundOf({ ...opts, bounds }, i2cEntry.defaultBounds, k);
  const clients = b('clients');
  const cap = b('capacity');
  const total = b('transactions');
  const base = b('indexBase') >>> 0;
  const hostile = b('hostile') === 1;
  const batchOf = (c: number) => (c === 0 ? b('batch') : 1);
  const cfg = i2cModelVirtConfig(clients, cap, opts.bug);

  const L = new Layout();
  const reqQ = (name: string) => ({
    staged: L.alloc(`${name}.staged_active_tail`),
    tail: L.alloc(`${name}.tail`),
    head: L.alloc(`${name}.head`),
    slots: L.alloc(`${name}.cmds`, 3 * cap),
  });
  const respQ = (name: string) => ({
    tail: L.alloc(`${name}.tail`),
    head: L.alloc(`${name}.head`),
    slots: L.alloc(`${name}.responses`, 3 * cap),
  });
  const cReq = Array.from({ length: clients }, (_, c) => reqQ(`client${c}.req`));
  const cResp = Array.from({ length: clients }, (_, c) => respQ(`client${c}.resp`));
  const dReq = reqQ('driver.req');
  const dResp = respQ('driver.resp');
  const DEF = L.alloc('virt.deferred', 4 * clients); // client+1, has header, header payload, num_cmds
  const VIRT_BITS = L.alloc('virt.notification');
  const DRV_BIT = L.alloc('driver.notification');
  const CLI_BIT = L.alloc('client.notification', clients);
  const SENT = L.alloc('client.sent', clients);
  const ANSWERED = L.alloc('client.answered', clients);
  const SERVED = L.alloc('ghost.served', clients);
  const BAD = L.alloc('ghost.violation'); // 0, 1 fifo, 2 assert, 3 response lost, 4 incoherent
  const BAD_AT = L.alloc('ghost.violation_client');
  const words = L.words;

  // ------------------------------------------------------------ encoding
  const getCmd = (s: State, at: number): I2cCmd | undefined =>
    s[at + 1] === UNDEF
      ? undefined
      : { payload: BigInt(s[at]!), dataLen: s[at + 1]!, flagMask: s[at + 2]! };
  const putCmd = (s: State, at: number, c: I2cCmd | undefined): void => {
    s[at] = c === undefined ? 0 : Number(c.payload & 0xffff_ffffn);
    s[at + 1] = c === undefined ? UNDEF : c.dataLen;
    s[at + 2] = c === undefined ? 0 : c.flagMask;
  };
  const getResp = (s: State, at: number): I2cResponse | undefined =>
    s[at + 1] === UNDEF
      ? undefined
      : { errCmd: BigInt(s[at]!), busAddress: s[at + 1]!, error: (s[at + 2]! - 1) as I2cErr };
  const putResp = (s: State, at: number, r: I2cResponse | undefined): void => {
    s[at] = r === undefined ? 0 : Number(r.errCmd & 0xffff_ffffn);
    s[at + 1] = r === undefined ? UNDEF : r.busAddress;
    s[at + 2] = r === undefined ? 0 : r.error + 1;
  };
  const readReq = (s: State, q: ReturnType<typeof reqQ>): I2cReqQueueState => ({
    stagedTail: s[q.staged]!,
    tail: s[q.tail]!,
    head: s[q.head]!,
    slots: Array.from({ length: cap }, (_, i) => getCmd(s, q.slots + 3 * i)),
  });
  const writeReq = (s: State, q: ReturnType<typeof reqQ>, v: I2cReqQueueState): void => {
    s[q.staged] = v.stagedTail;
    s[q.tail] = v.tail;
    s[q.head] = v.head;
    v.slots.forEach((c, i) => putCmd(s, q.slots + 3 * i, c));
  };
  const readResp = (s: State, q: ReturnType<typeof respQ>): I2cRespQueueState => ({
    tail: s[q.tail]!,
    head: s[q.head]!,
    slots: Array.from({ length: cap }, (_, i) => getResp(s, q.slots + 3 * i)),
  });
  const writeResp = (s: State, q: ReturnType<typeof respQ>, v: I2cRespQueueState): void => {
    s[q.tail] = v.tail;
    s[q.head] = v.head;
    v.slots.forEach((r, i) => putResp(s, q.slots + 3 * i, r));
  };
  const security = (() => {
    const sec = i2cVirtInitial(cfg, {
      clientReq: [],
      clientResp: [],
      driverReq: readReq(new Uint32Array(words), dReq),
      driverResp: readResp(new Uint32Array(words), dResp),
    }).security.slice();
    for (let c = 0; c < clients; c++) sec[i2cModelAddress(c)] = c;
    return sec;
  })();
  const readVirt = (s: State): I2cVirtState => {
    const deferred: DeferredEntry[] = [];
    for (let k = 0; k < clients; k++) {
      const at = DEF + 4 * k;
      if (s[at] === 0) break;
      deferred.push({
        client: s[at]! - 1,
        header:
          s[at + 1] === 1
            ? { payload: BigInt(s[at + 2]!), dataLen: 0, flagMask: I2cFlag.HEAD }
            : null,
        numCmds: s[at + 3]!,
      });
    }
    return {
      security,
      deferred,
      clientReq: cReq.map((q) => readReq(s, q)),
      clientResp: cResp.map((q) => readResp(s, q)),
      driverReq: readReq(s, dReq),
      driverResp: readResp(s, dResp),
    };
  };
  const writeVirt = (s: State, v: I2cVirtState): void => {
    cReq.forEach((q, c) => writeReq(s, q, v.clientReq[c]!));
    cResp.forEach((q, c) => writeResp(s, q, v.clientResp[c]!));
    writeReq(s, dReq, v.driverReq);
    writeResp(s, dResp, v.driverResp);
    for (let k = 0; k < clients; k++) {
      const e = v.deferred[k];
      const at = DEF + 4 * k;
      s[at] = e === undefined ? 0 : e.client + 1;
      s[at + 1] = e?.header == null ? 0 : 1;
      s[at + 2] = e?.header == null ? 0 : Number(e.header.payload & 0xffff_ffffn);
      s[at + 3] = e?.numCmds ?? 0;
    }
  };
  const flag = (s: State, kind: number, c: number): void => {
    if (s[BAD] === 0) {
      s[BAD] = kind;
      s[BAD_AT] = c;
    }
  };

  // ------------------------------------------------------------ actions
  const actions = [
    { name: 'virt.notified', pd: 'virt', touches: 'i2c queues', peer: 'driver' },
    { name: 'driver.notified', pd: 'driver', touches: 'driver.req, driver.resp', peer: 'virt' },
  ];
  const SUBMIT: number[] = [];
  const TAKE: number[] = [];
  for (let c = 0; c < clients; c++) {
    actions.push({
      name: `client${c}.submit`,
      pd: `client${c}`,
      touches: `client${c}.req`,
      peer: 'virt',
    });
    SUBMIT.push(actions.length - 1);
    actions.push({
      name: `client${c}.notified`,
      pd: `client${c}`,
      touches: `client${c}.resp`,
      peer: 'virt',
    });
    TAKE.push(actions.length - 1);
  }

  const bodyOf = (c: number, k: number, j: number): I2cCmd => {
    // Body j of transaction k: offset k·batch + j, one byte (fifo checks it at the driver).
    const offset = k * batchOf(c) + j;
    if (hostile && c === 0 && k === 0 && j === 0)
      return { payload: BigInt(CLIENT_VADDR + REGION - 2), dataLen: 4, flagMask: I2cFlag.STOP };
    return { payload: BigInt(CLIENT_VADDR + offset), dataLen: 1, flagMask: I2cFlag.STOP };
  };

  const next = new Uint32Array(words);
  const ts: TransitionSystem = {
    name: 'i2c',
    stateWords: words,
    actions,
    initialStates() {
      const s = new Uint32Array(words);
      const empty = (q: { slots: number }) => {
        for (let i = 0; i < cap; i++) s[q.slots + 3 * i + 1] = UNDEF;
      };
      for (const q of [...cReq, dReq]) {
        s[q.staged] = base;
        s[q.tail] = base;
        s[q.head] = base;
        empty(q);
      }
      for (const q of [...cResp, dResp]) {
        s[q.tail] = base;
        s[q.head] = base;
        empty(q);
      }
      return [s];
    },
    successors(s, emit) {
      if (s[BAD] !== 0) return;
      // Clients submit a transaction (staged, committed at once) and notify the virt.
      for (let c = 0; c < clients; c++) {
        if (s[SENT + c]! >= total) continue;
        let q = readReq(s, cReq[c]!);
        const k = s[SENT + c]!;
        const cmds = [
          {
            payload: i2cHeaderPayload(batchOf(c), i2cModelAddress(c)),
            dataLen: 0,
            flagMask: I2cFlag.HEAD,
          },
          ...Array.from({ length: batchOf(c) }, (_, j) => bodyOf(c, k, j)),
        ];
        let ok = true;
        for (const cmd of cmds) {
          const r = i2cStateEnqueueRequest(cap, q, cmd);
          ok = ok && r.ok;
          q = r.state;
        }
        if (!ok) continue; // libi2c gives up when the queue lacks room; retried later
        next.set(s);
        writeReq(next, cReq[c]!, i2cStateRequestCommit(q));
        next[SENT + c] = k + 1;
        next[VIRT_BITS] = next[VIRT_BITS]! | (1 << (1 + c));
        emit(SUBMIT[c]!, next);
      }
      // Clients take their responses.
      for (let c = 0; c < clients; c++) {
        if (s[CLI_BIT + c] === 0) continue;
        next.set(s);
        next[CLI_BIT + c] = 0;
        let q = readResp(next, cResp[c]!);
        for (let g = 0; g < cap; g++) {
          const d = i2cStateDequeueResponse(cap, q);
          if (d.item === null) break;
          q = d.state;
          next[ANSWERED + c] = next[ANSWERED + c]! + 1;
        }
        writeResp(next, cResp[c]!, q);
        emit(TAKE[c]!, next);
      }
      // The virt: every set bit, ascending (driver 0, client c on 1 + c), in one wake.
      if (s[VIRT_BITS] !== 0) {
        next.set(s);
        const bits = next[VIRT_BITS]!;
        next[VIRT_BITS] = 0;
        let v = readVirt(next);
        for (let ch = 0; ch <= clients; ch++) {
          if (((bits >>> ch) & 1) === 0) continue;
          const r = virtNotified(
            cfg,
            v,
            ch === 0 ? { kind: 'driver' } : { kind: 'client', client: ch - 1 },
          );
          v = r.state;
          for (const c of r.effects.notifiedClients) next[CLI_BIT + c] = 1;
          if (r.effects.notifiedDriver) next[DRV_BIT] = 1;
          if (r.effects.assertFailure !== null) flag(next, 2, 0);
          if (r.effects.dropped > 0) flag(next, 3, 0);
        }
        writeVirt(next, v);
        emit(0, next);
      }
      // The driver: one whole transaction per step, answered OK; it keeps going while work is left.
      if (s[DRV_BIT] === 1) {
        next.set(s);
        const t = driverTake(cap, readReq(next, dReq));
        if (seeded !== 'replay' || t.kind !== 'transaction') writeReq(next, dReq, t.state);
        if (t.kind === 'empty') next[DRV_BIT] = 0;
        else if (t.kind === 'incoherent') flag(next, 4, 0);
        else {
          const c = t.transaction.address - 0x10;
          // fifo: body j of client c's k-th transaction points at its offset k·batch + j.
          t.transaction.body.forEach((cmd, j) => {
            const want = BigInt(driverVaddr(c) + s[SERVED + c]! * batchOf(c) + j);
            if (c < 0 || c >= clients || (cmd.payload !== want && !(hostile && c === 0)))
              flag(next, 1, c);
          });
          if (c >= 0 && c < clients) next[SERVED + c] = next[SERVED + c]! + 1;
          const answer = (q: I2cRespQueueState): I2cRespQueueState => {
            const r = i2cStateEnqueueResponse(cap, q, {
              errCmd: 0n,
              busAddress: t.transaction.address,
              error: I2cErr.OK,
            });
            if (!r.ok) flag(next, 3, c);
            return r.state;
          };
          if (seeded !== 'silent') {
            const once = answer(readResp(next, dResp));
            writeResp(next, dResp, seeded === 'double' ? answer(once) : once);
          }
          next[VIRT_BITS] = next[VIRT_BITS]! | 1;
        }
        emit(1, next);
      }
    },
    invariants: [
      {
        name: 'atomicity',
        check: (s) => {
          const p = driverQueueProblem(cap, readReq(s, dReq), []);
          return p !== null && p.startsWith('atomicity') ? p : null;
        },
      },
      {
        name: 'translation',
        check: (s) => {
          const p = driverQueueProblem(cap, readReq(s, dReq), cfg.clients);
          return p !== null && p.startsWith('translation') ? p : null;
        },
      },
      {
        name: 'fifo',
        check: (s) =>
          s[BAD] === 1
            ? `the driver received a command of client${s[BAD_AT]} out of order, twice or not from it`
            : null,
      },
      {
        name: 'no-assert-failure',
        check: (s) =>
          s[BAD] === 2
            ? 'virt: an enqueue to the driver queue failed (assert(!err))'
            : s[BAD] === 4
              ? 'driver: a header claims more commands than are committed (assert)'
              : null,
      },
      {
        name: 'no-response-lost',
        check: (s) => (s[BAD] === 3 ? 'a response was dropped (a response queue was full)' : null),
      },
      {
        name: 'queue-bounds',
        check: (s) =>
          [...cReq, dReq]
            .map((q) => i2cStateReqInvariant(cap, readReq(s, q)))
            .find((x) => x !== null) ?? null,
      },
    ],
    quiescentViolation(s) {
      for (let c = 0; c < clients; c++) {
        if (s[ANSWERED + c]! < total) {
          return `client${c}: ${total - s[ANSWERED + c]!} of its ${total} transactions never answered (${s[SENT + c]} submitted, ${s[SERVED + c]} reached the driver)`;
        }
      }
      return null;
    },
    toItf: (s): Record<string, ItfValue> => L.toItf(s),
  };
  return ts;
}
