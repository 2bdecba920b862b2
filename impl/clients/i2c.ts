// I²C clients (issue #13 part 4), written against the queues as sDDF's libi2c does
// (au-ts/sddf 650ace5d i2c/libi2c.c __i2c_dispatch: a HEAD command {batch_len, address}, the body
// commands, one commit; include/sddf/i2c/client.h: claim and release by PPC), but event driven
// (no coroutines): send a transaction, notify the virt, act on its response.
//  - `rtcClient` (examples/i2c/client_ds3231.c): claims 0x68, sets the DS3231's time, then reads
//    it back `rounds` times, `intervalNs` apart on its timer when it has one; each read must be at
//    least the time set and at most that plus the time elapsed (+1 s), never going back.
//  - `eepromClient`: claims 0x50, writes a pattern with one command and reads it back with a
//    write-read in the same transaction (two body commands), longer than the controller's FIFO;
//    and checks that a claim it must not get is refused (an address above 0x7f, releasing an
//    address it does not own).
// What they observe goes to counters the run reports and judges.

import { I2C_BUS_CLAIM, I2C_BUS_RELEASE, I2C_SUCCESS } from '../../spec/components/i2c/virt.ts';
import { I2cErr, I2cFlag, i2cHeaderPayload, type I2cCmd } from '../../spec/queue/i2c.ts';
import { Counters } from '../components/net/counters.ts';
import type { I2cClientConfig } from '../components/i2c/config.ts';
import { openReq, openResp } from '../components/i2c/virt.ts';
import { DS3231_I2C_BUS_ADDRESS, fromBcd, secondsOf, toBcd, type RtcTime } from '../hw/ds3231.ts';
import type { I2cReqQueue, I2cRespQueue } from '../queue/i2c.ts';
import type { Component, ComponentContext, MicrokitApi } from '../runtime/api.ts';
import { timerSetTimeout, timerTimeNow } from './timer.ts';

export const I2C_CLIENT_COUNTERS = [
  'claimed',
  'claimRefused',
  'expectedRefusals',
  'transactions',
  'responses',
  'errors',
  'reads',
  'mismatches',
  'released',
  'done',
] as const;

export interface I2cClientParams {
  readonly config: I2cClientConfig;
  readonly rounds: number;
  readonly counters: SharedArrayBuffer;
  /** rtcClient: the time to set, and the time between reads (with a timer). */
  readonly setTime?: RtcTime;
  readonly intervalNs?: number;
}

/** One transaction: a header and its body commands, committed at once (libi2c __i2c_dispatch). */
export function sendTransaction(
  api: MicrokitApi,
  cfg: I2cClientConfig,
  req: I2cReqQueue,
  address: number,
  body: readonly I2cCmd[],
): boolean {
  const header: I2cCmd = {
    payload: i2cHeaderPayload(body.length, address),
    dataLen: 0,
    flagMask: I2cFlag.HEAD,
  };
  if (!req.enqueue(header)) return false;
  for (const c of body) {
    if (!req.enqueue(c)) {
      req.abort();
      return false;
    }
  }
  req.commit();
  api.notify(cfg.virtCh);
  return true;
}

function claim(api: MicrokitApi, ch: number, label: number, address: bigint): boolean {
  return api.ppcall(ch, { label, words: [address] }).label === I2C_SUCCESS;
}

const DEFAULT_TIME: RtcTime = {
  second: 50,
  minute: 59,
  hour: 23,
  dayOfWeek: 3,
  date: 31,
  month: 12,
  year: 25,
};

export function rtcClient(ctx: ComponentContext): Component {
  const p = ctx.params as unknown as I2cClientParams;
  const cfg = p.config;
  const api = ctx.api;
  const c = new Counters(I2C_CLIENT_COUNTERS, p.counters);
  const set = p.setTime ?? DEFAULT_TIME;
  const setSeconds = secondsOf(set);
  const interval = BigInt(p.intervalNs ?? 3_000_000_000); // 6 reads cross the new year
  let req!: I2cReqQueue;
  let resp!: I2cRespQueue;
  let phase: 'set' | 'read' | 'wait' | 'done' = 'set';
  let setAtNs = 0n;
  let lastSeconds = -1;
  const writeSet = (): void => {
    const b = [0, set.second, set.minute, set.hour, -1, set.date, set.month, set.year].map(
      (v, i) => (i === 0 ? 0 : i === 4 ? set.dayOfWeek : toBcd(v)),
    );
    for (let i = 0; i < b.length; i++) api.mem.write8(cfg.dataVaddr + i, b[i]!);
    const body: I2cCmd = { payload: BigInt(cfg.dataVaddr), dataLen: 8, flagMask: I2cFlag.STOP };
    if (sendTransaction(api, cfg, req, DS3231_I2C_BUS_ADDRESS, [body])) c.inc('transactions');
  };
  const readTime = (): void => {
    const at = cfg.dataVaddr + 16;
    api.mem.write8(at, 0); // the register to start at (libi2c sddf_i2c_writeread: data[0])
    const body: I2cCmd = {
      payload: BigInt(at),
      dataLen: 7,
      flagMask: I2cFlag.WRRD | I2cFlag.READ | I2cFlag.STOP,
    };
    phase = 'read';
    if (sendTransaction(api, cfg, req, DS3231_I2C_BUS_ADDRESS, [body])) c.inc('transactions');
  };
  const now = (): bigint => (cfg.timerCh === undefined ? 0n : timerTimeNow(api, cfg.timerCh));
  const checkRead = (): void => {
    const at = cfg.dataVaddr + 16;
    const bytes = Array.from({ length: 7 }, (_, i) => api.mem.read8(at + i));
    const f = bytes.map((b, i) => (i === 3 ? b : fromBcd(i === 5 ? b & 0x1f : b)));
    c.inc('reads');
    if (f.some((v) => v === null)) {
      c.inc('mismatches');
      return;
    }
    const t: RtcTime = {
      second: f[0]!,
      minute: f[1]!,
      hour: f[2]!,
      dayOfWeek: f[3]!,
      date: f[4]!,
      month: f[5]!,
      year: f[6]! + ((bytes[5]! & 0x80) !== 0 ? 100 : 0),
    };
    const s = secondsOf(t);
    const elapsedS = cfg.timerCh === undefined ? 0 : Number((now() - setAtNs) / 1_000_000_000n);
    const upper = cfg.timerCh === undefined ? Number.POSITIVE_INFINITY : setSeconds + elapsedS + 1;
    if (s < setSeconds || s > upper || s < lastSeconds) c.inc('mismatches');
    lastSeconds = s;
  };
  const next = (): void => {
    if (c.get('reads') >= p.rounds) {
      if (claim(api, cfg.virtCh, I2C_BUS_RELEASE, BigInt(DS3231_I2C_BUS_ADDRESS)))
        c.inc('released');
      phase = 'done';
      c.inc('done');
      return;
    }
    if (cfg.timerCh === undefined) readTime();
    else {
      phase = 'wait';
      timerSetTimeout(api, cfg.timerCh, interval);
    }
  };
  return {
    init(): void {
      req = openReq(api, cfg.reqVaddr);
      resp = openResp(api, cfg.respVaddr);
      if (!claim(api, cfg.virtCh, I2C_BUS_CLAIM, BigInt(DS3231_I2C_BUS_ADDRESS))) {
        c.inc('claimRefused');
        return;
      }
      c.inc('claimed');
      setAtNs = now();
      writeSet();
    },
    notified(ch: number): void {
      if (ch === cfg.timerCh) {
        if (phase === 'wait') readTime();
        return;
      }
      if (ch !== cfg.virtCh) return;
      for (let guard = 0; guard < resp.capacity; guard++) {
        const r = resp.dequeue();
        if (r === null) break;
        c.inc('responses');
        if (r.error !== I2cErr.OK) {
          c.inc('errors');
          continue;
        }
        if (phase === 'set') next();
        else if (phase === 'read') {
          checkRead();
          next();
        }
      }
    },
  };
}

export const EEPROM_ADDRESS = 0x50;

export function eepromClient(ctx: ComponentContext): Component {
  const p = ctx.params as unknown as I2cClientParams;
  const cfg = p.config;
  const api = ctx.api;
  const c = new Counters(I2C_CLIENT_COUNTERS, p.counters);
  let req!: I2cReqQueue;
  let resp!: I2cRespQueue;
  let round = 0;
  const WRITE_AT = 0;
  const READ_AT = 128;
  /** Longer than the controller's 16-entry FIFO: the driver splits it into several lists. */
  const LEN = 20;
  const pattern = (r: number, i: number) => (r * 37 + i * 11 + 5) & 0xff;
  const send = (): void => {
    const regAddr = (round * 8) & 0xff;
    api.mem.write8(cfg.dataVaddr + WRITE_AT, regAddr);
    for (let i = 0; i < LEN; i++)
      api.mem.write8(cfg.dataVaddr + WRITE_AT + 1 + i, pattern(round, i));
    api.mem.write8(cfg.dataVaddr + READ_AT, regAddr);
    const body: I2cCmd[] = [
      { payload: BigInt(cfg.dataVaddr + WRITE_AT), dataLen: LEN + 1, flagMask: I2cFlag.STOP },
      {
        payload: BigInt(cfg.dataVaddr + READ_AT),
        dataLen: LEN,
        flagMask: I2cFlag.WRRD | I2cFlag.READ | I2cFlag.STOP,
      },
    ];
    if (sendTransaction(api, cfg, req, EEPROM_ADDRESS, body)) c.inc('transactions');
  };
  return {
    init(): void {
      req = openReq(api, cfg.reqVaddr);
      resp = openResp(api, cfg.respVaddr);
      // Claims it must not get: an address past 7 bits, a release of what it does not own.
      if (!claim(api, cfg.virtCh, I2C_BUS_CLAIM, 0x80n)) c.inc('expectedRefusals');
      if (!claim(api, cfg.virtCh, I2C_BUS_RELEASE, BigInt(DS3231_I2C_BUS_ADDRESS)))
        c.inc('expectedRefusals');
      if (!claim(api, cfg.virtCh, I2C_BUS_CLAIM, BigInt(EEPROM_ADDRESS))) {
        c.inc('claimRefused');
        return;
      }
      c.inc('claimed');
      if (p.rounds > 0) send();
      else c.inc('done');
    },
    notified(ch: number): void {
      if (ch !== cfg.virtCh) return;
      for (let guard = 0; guard < resp.capacity; guard++) {
        const r = resp.dequeue();
        if (r === null) break;
        c.inc('responses');
        if (r.error !== I2cErr.OK) c.inc('errors');
        else {
          c.inc('reads');
          for (let i = 0; i < LEN; i++) {
            if (api.mem.read8(cfg.dataVaddr + READ_AT + i) !== pattern(round, i)) {
              c.inc('mismatches');
              break;
            }
          }
        }
        round++;
        if (round < p.rounds) send();
        else {
          if (claim(api, cfg.virtCh, I2C_BUS_RELEASE, BigInt(EEPROM_ADDRESS))) c.inc('released');
          c.inc('done');
        }
      }
    },
  };
}
