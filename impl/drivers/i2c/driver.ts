// The I²C driver (issue #13 part 4): upstream's generic driver state machine (au-ts/sddf 650ace5d
// drivers/i2c/i2c_common.c: S_IDLE, S_REQ, S_SEL_CMD, S_CMD, S_CMD_RET, S_RESPONSE; the shape of
// drivers/i2c/meson/i2c.c for S_CMD / S_CMD_RET) on the emulated token-list controller
// (impl/hw/i2c.ts). The virt has validated and translated every command: its data pointer is a
// driver virtual address inside a client's data region, which this PD maps; the MMU of the runtime
// faults any access outside its maps.
//
// S_CMD fills the token FIFO with as much of the active command as fits (START, the write-read
// prefix ADDR_W + register byte + repeated START, the address, data bytes or reads, STOP) and
// starts it; the completion IRQ runs S_CMD_RET, which stores the bytes read, and continues.
// An error (NACK, NOREAD, BADSEQ) ends the transaction: its response carries the error and the
// index of the failing command; the controller is reset (i2c_halt); S_REQ then discards the rest
// of the transaction (non-headers) before the next header.

import { assert } from '../../../spec/common/assert.ts';
import { I2cErr, I2cFlag, type I2cCmd } from '../../../spec/queue/i2c.ts';
import { headerAddress } from '../../../spec/components/i2c/virt.ts';
import { I2C_MAX_DATA_SIZE } from '../../../spec/components/i2c/driver.ts';
import { Counters } from '../../components/net/counters.ts';
import { openReq, openResp } from '../../components/i2c/virt.ts';
import type { I2cDriverConfig } from '../../components/i2c/config.ts';
import { I2C_FIFO_DEPTH, I2cBusError, I2cCtrl, I2cReg, I2cStatus, I2cToken } from '../../hw/i2c.ts';
import type { I2cReqQueue, I2cRespQueue } from '../../queue/i2c.ts';
import type { Component, ComponentContext } from '../../runtime/api.ts';

export const I2C_DRIVER_COUNTERS = [
  'transactions',
  'commands',
  'lists',
  'errors',
  'discarded',
  'spuriousIrqs',
  'responsesDropped',
] as const;

export interface I2cDriverParams {
  readonly config: I2cDriverConfig;
  readonly counters?: SharedArrayBuffer;
}

const S = { IDLE: 0, REQ: 1, SEL_CMD: 2, CMD: 3, CMD_RET: 4, RESPONSE: 5 } as const;
type St = (typeof S)[keyof typeof S];
/** Write-read steps (driver.h NUM_WRRD_STEPS): ADDR_W, the register byte, repeated START. */
const WRRD_STEPS = 3;

export function i2cDriver(ctx: ComponentContext): Component {
  const p = ctx.params as unknown as I2cDriverParams;
  const cfg = p.config;
  const api = ctx.api;
  const mem = api.mem;
  const counters = new Counters(I2C_DRIVER_COUNTERS, p.counters);
  let req!: I2cReqQueue;
  let resp!: I2cRespQueue;
  const reg = (r: number) => cfg.regsVaddr + r;

  // i2c_driver_data_t
  let state: St = S.IDLE;
  let header: I2cCmd | null = null;
  let reqIdx = 0;
  let cmd: I2cCmd | null = null;
  let rwIdx = 0;
  let awaitStart = false;
  let awaitAddr = false;
  let awaitStop = false;
  let awaitWrrd = 0;
  let err: I2cErr = I2cErr.OK;
  /** Data-buffer offsets of the reads in the list now on the bus, in order. */
  let readsPending: number[] = [];
  /** Token kinds of the list on the bus (STATUS names the failing one by index). */
  let listKinds: number[] = [];

  const isRead = (c: I2cCmd) => (c.flagMask & I2cFlag.READ) !== 0;

  const stateReq = (): St => {
    // Discard non-headers (the rest of a failed transaction) until a header.
    for (let guard = 0; guard <= req.capacity; guard++) {
      const c = req.dequeue();
      if (c === null) return S.IDLE;
      if ((c.flagMask & I2cFlag.HEAD) === 0) {
        counters.inc('discarded');
        continue;
      }
      const n = Number(c.payload & 0xffffn);
      // i2c_common.c asserts this: the virt is broken if it fails.
      assert(
        n <= I2C_MAX_DATA_SIZE && n <= req.length(),
        () => `i2c driver: header claims ${n} commands, ${req.length()} committed (virt broken)`,
      );
      header = c;
      reqIdx = 0;
      err = I2cErr.OK;
      counters.inc('transactions');
      return S.SEL_CMD;
    }
    return S.IDLE;
  };

  const stateSelCmd = (): St => {
    assert(header !== null, 'a transaction is loaded');
    if (reqIdx >= Number(header.payload & 0xffffn)) return S.RESPONSE;
    const c = req.dequeue();
    assert(c !== null && (c.flagMask & I2cFlag.HEAD) === 0, 'the virt commits whole transactions');
    counters.inc('commands');
    cmd = c;
    awaitStart = true;
    awaitAddr = (c.flagMask & I2cFlag.RSTART) === 0;
    awaitWrrd = (c.flagMask & I2cFlag.WRRD) !== 0 ? WRRD_STEPS : 0;
    awaitStop = (c.flagMask & I2cFlag.STOP) !== 0;
    rwIdx = 0;
    reqIdx++;
    return S.CMD;
  };

  const cmdDone = (): boolean =>
    cmd !== null &&
    !awaitStart &&
    awaitWrrd === 0 &&
    !awaitAddr &&
    !awaitStop &&
    rwIdx >= cmd.dataLen;

  /** S_CMD: fill the token list with what fits, start it, sleep until the completion IRQ. */
  const stateCmd = (): St => {
    assert(cmd !== null && header !== null, 'a command is active');
    const c = cmd;
    const data = Number(c.payload);
    mem.write32(reg(I2cReg.ADDR), headerAddress(header) & 0x7f);
    let tokens = 0;
    readsPending = [];
    listKinds = [];
    const push = (kind: number, byte = 0): void => {
      mem.write32(reg(I2cReg.TOKEN), kind | ((byte & 0xff) << 8));
      listKinds.push(kind);
      tokens++;
    };
    // Leave room for a STOP at the end of the list.
    while (tokens < I2C_FIFO_DEPTH - 1 && readsPending.length < I2C_FIFO_DEPTH) {
      if (awaitStart) {
        push(I2cToken.START);
        awaitStart = false;
      } else if (awaitWrrd > 0) {
        if (awaitWrrd === 3) push(I2cToken.ADDR_WRITE);
        else if (awaitWrrd === 2)
          push(I2cToken.DATA, mem.read8(data)); // the register byte
        else push(I2cToken.START);
        awaitWrrd--;
      } else if (awaitAddr) {
        push(isRead(c) ? I2cToken.ADDR_READ : I2cToken.ADDR_WRITE);
        awaitAddr = false;
      } else if (rwIdx >= c.dataLen) {
        if (!awaitStop) break;
        push(I2cToken.STOP);
        awaitStop = false;
        break;
      } else if (isRead(c)) {
        push(rwIdx === c.dataLen - 1 ? I2cToken.READ_LAST : I2cToken.READ);
        readsPending.push(rwIdx);
        rwIdx++;
      } else {
        push(I2cToken.DATA, mem.read8(data + rwIdx));
        rwIdx++;
      }
    }
    if (tokens === 0) return S.SEL_CMD; // nothing left of this command (no STOP wanted)
    counters.inc('lists');
    mem.write32(reg(I2cReg.CTRL), I2cCtrl.START);
    return S.CMD_RET;
  };

  /** S_CMD_RET: the list completed; store reads, or end the transaction with the error. */
  const stateCmdRet = (): St => {
    assert(cmd !== null, 'a command is active');
    const status = mem.read32(reg(I2cReg.STATUS));
    if ((status & I2cStatus.ERROR) !== 0) {
      const kind = (status >>> 16) & 0xf;
      const failed = listKinds[(status >>> 8) & 0xff];
      // meson/i2c.c state_cmd_ret: a NACK on a read address is NOREAD, any other NACK is NACK.
      err =
        kind === I2cBusError.BADSEQ
          ? I2cErr.BADSEQ
          : kind === I2cBusError.NACK_ADDR && failed === I2cToken.ADDR_READ
            ? I2cErr.NOREAD
            : I2cErr.NACK;
      mem.write32(reg(I2cReg.IRQ_CLEAR), 1);
      return S.RESPONSE;
    }
    const data = Number(cmd.payload);
    for (const at of readsPending) mem.write8(data + at, mem.read32(reg(I2cReg.RDATA)) & 0xff);
    readsPending = [];
    mem.write32(reg(I2cReg.IRQ_CLEAR), 1);
    return cmdDone() ? S.SEL_CMD : S.CMD;
  };

  const stateResponse = (): St => {
    assert(header !== null, 'a transaction is loaded');
    const address = headerAddress(header);
    const ok = resp.enqueue({
      errCmd: err === I2cErr.OK ? 0n : BigInt(reqIdx),
      busAddress: address,
      error: err,
    });
    if (!ok) counters.inc('responsesDropped');
    if (err !== I2cErr.OK) {
      counters.inc('errors');
      mem.write32(reg(I2cReg.CTRL), I2cCtrl.RESET); // i2c_halt
    }
    api.notify(cfg.virtCh);
    header = null;
    cmd = null;
    return S.IDLE;
  };

  /** fsm(): run states until one yields (S_IDLE with nothing queued, or S_CMD_RET waiting). */
  const fsm = (): void => {
    // Bounded: each pass of S_REQ..S_RESPONSE consumes queue entries; CMD yields after starting.
    for (let guard = 0; guard < 8 * (req.capacity + 2); guard++) {
      switch (state) {
        case S.IDLE:
          if (req.length() === 0) return;
          state = S.REQ;
          break;
        case S.REQ:
          state = stateReq();
          break;
        case S.SEL_CMD:
          state = stateSelCmd();
          break;
        case S.CMD:
          state = stateCmd();
          if (state === S.CMD_RET) return; // yield until the IRQ
          break;
        case S.CMD_RET:
          state = stateCmdRet();
          break;
        case S.RESPONSE:
          state = stateResponse();
          break;
      }
    }
  };

  return {
    init(): void {
      req = openReq(api, cfg.reqVaddr);
      resp = openResp(api, cfg.respVaddr);
      mem.write32(reg(I2cReg.CTRL), I2cCtrl.RESET);
    },
    notified(ch: number): void {
      if (ch === cfg.irqCh) {
        if (state === S.CMD_RET) fsm();
        else {
          counters.inc('spuriousIrqs');
          mem.write32(reg(I2cReg.IRQ_CLEAR), 1); // else the level line fires again at the ack
        }
        api.deferredIrqAck(ch);
        return;
      }
      if (ch === cfg.virtCh && state === S.IDLE) fsm();
    },
  };
}
