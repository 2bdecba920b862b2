// Handler tests of the block handshake's requester and server (spec/components/blk-peers.ts),
// independent of the model checker (issue 12 part 6): pre-state set by hand, post-state checked.
import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../../../spec/common/assert.ts';
import {
  BG_ANSWERED,
  BG_COMPLETED,
  BG_SUBMITTED,
  BG_WANTED,
  BLK_GHOSTS,
  blkRequester,
  blkServer,
  type BlkPeerConfig,
} from '../../../../spec/components/blk-peers.ts';
import type { BlkQueueFlavour } from '../../../../spec/queue/blk.ts';
import { Alloc, FlatMem, PdRig, enq, peek } from './rig.ts';

function setup(o: Partial<BlkPeerConfig> & { capacity?: number; sizeWord?: boolean } = {}) {
  const a = new Alloc();
  const capacity = o.capacity ?? 2;
  const req = a.queue('req', capacity);
  const resp = a.queue('resp', capacity, { size: o.sizeWord === true });
  const cfg: BlkPeerConfig = {
    req,
    resp,
    requests: o.requests ?? 3,
    inFlightLimit: o.inFlightLimit ?? capacity,
    ...(o.flavour === undefined ? {} : { flavour: o.flavour }),
    ...(o.hostileSize === undefined ? {} : { hostileSize: o.hostileSize }),
  };
  const mem = new FlatMem(a.next);
  const ghosts = new Uint32Array(BLK_GHOSTS);
  return {
    cfg,
    mem,
    ghosts,
    client: new PdRig(blkRequester(cfg), mem, ghosts),
    server: new PdRig(blkServer(cfg), mem, ghosts),
  };
}

describe('blkRequester', () => {
  it('ch 1 (the application) submits what is wanted, ids in order, and notifies once', () => {
    const t = setup({ capacity: 4, requests: 3 });
    t.ghosts[BG_WANTED] = 3;
    expect(t.client.notified(1)[0]).toBe('submit.enqueue');
    expect(peek(t.mem, t.cfg.req)).toEqual([0, 1, 2]);
    expect(t.ghosts[BG_SUBMITTED]).toBe(3);
    expect(t.client.calls).toEqual(['notify 0']);
  });

  it('nothing wanted: nothing submitted and no notify (only a submission is notified)', () => {
    const t = setup();
    t.client.notified(1);
    expect(peek(t.mem, t.cfg.req)).toEqual([]);
    expect(t.client.calls).toEqual([]);
  });

  it('ch 1 does not collect responses; ch 0 does, then submits', () => {
    const t = setup();
    t.ghosts[BG_SUBMITTED] = 1;
    t.ghosts[BG_WANTED] = 1;
    enq(t.mem, t.cfg.resp, 0);
    t.client.notified(1);
    expect(peek(t.mem, t.cfg.resp)).toEqual([0]);
    expect(t.client.notified(0)[0]).toBe('handle_responses.dequeue');
    expect(peek(t.mem, t.cfg.resp)).toEqual([]);
    expect(t.ghosts[BG_COMPLETED]).toBe(1);
    expect(t.ghosts[BG_ANSWERED]).toBe(0b1);
    expect(t.client.fails).toEqual([]);
  });

  it('keeps requests in flight under its limit', () => {
    const t = setup({ capacity: 4, inFlightLimit: 2 });
    t.ghosts[BG_WANTED] = 3;
    t.client.notified(1);
    expect(peek(t.mem, t.cfg.req)).toEqual([0, 1]);
    t.ghosts[BG_COMPLETED] = 1; // one answered
    t.client.notified(1);
    expect(peek(t.mem, t.cfg.req)).toEqual([0, 1, 2]);
  });

  it('an answer for an id it never uses, or twice for one id, breaks fifo', () => {
    for (const [answered, id] of [
      [0, 3], // requests 0..2 only
      [0b10, 1], // 1 answered already
    ] as const) {
      const t = setup();
      t.ghosts[BG_ANSWERED] = answered;
      enq(t.mem, t.cfg.resp, id);
      t.client.notified(0);
      expect(t.client.fails.map((f) => f.property)).toEqual(['fifo']);
    }
    const ok = setup();
    enq(ok.mem, ok.cfg.resp, 2);
    ok.client.notified(0);
    expect(ok.client.fails).toEqual([]);
  });

  it('uses the queue flavour it is given (F17: the wasted slot leaves one request out)', () => {
    const wasted: BlkQueueFlavour = { fullCheck: 'wasted-slot' };
    const t = setup({ capacity: 2, flavour: wasted });
    t.ghosts[BG_WANTED] = 2;
    t.client.notified(1);
    expect(peek(t.mem, t.cfg.req)).toEqual([0]);
    const head = setup({ capacity: 2 });
    head.ghosts[BG_WANTED] = 2;
    head.client.notified(1);
    expect(peek(head.mem, head.cfg.req)).toEqual([0, 1]);
  });

  it('a hostile client writes the shared size word at init; without one modelled it is our bug', () => {
    const t = setup({ hostileSize: 7, sizeWord: true });
    expect(t.client.init()).toEqual(['init.write_size']);
    expect(t.mem.load(t.cfg.resp.size!)).toBe(7);
    expect(blkRequester(setup().cfg).initPc).toBe(0);
    const bad = setup({ hostileSize: 7 });
    expect(() => bad.client.init()).toThrow(InvariantError);
  });
});

describe('blkServer', () => {
  it('answers every request with its id, in order, and notifies once', () => {
    const t = setup({ capacity: 4 });
    for (const id of [2, 0, 1]) enq(t.mem, t.cfg.req, id);
    t.server.notified(0);
    expect(peek(t.mem, t.cfg.resp)).toEqual([2, 0, 1]);
    expect(t.server.calls).toEqual(['notify 0']);
    expect(t.server.fails).toEqual([]);
  });

  it('no request: no answer and no notify', () => {
    const t = setup();
    expect(t.server.notified(0)).toEqual(['handle_client.serve', 'handle_client.notify']);
    expect(t.server.calls).toEqual([]);
  });

  it('an answer that does not fit is the assert blk virt has there', () => {
    const t = setup({ capacity: 1 });
    enq(t.mem, t.cfg.resp, 0);
    enq(t.mem, t.cfg.req, 1);
    t.server.notified(0);
    expect(t.server.fails.map((f) => f.property)).toEqual(['no-assert-failure']);
  });
});

describe('both peers refuse a pc they do not have', () => {
  it('a bad pc is an InvariantError', () => {
    const t = setup();
    for (const r of [t.client, t.server])
      expect(() => r.program.step(r.program.steps.length, r.ctx())).toThrow(InvariantError);
  });
});
