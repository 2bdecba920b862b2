// The two abstract network peers (spec/components/net-peers.ts; reference sddf-protocols.md
// §2.1–2.2): the producer's net_buffers_init (F17), its send loop (and U1's duplicate), the
// consumer's receive loop (F2's missing re-check), and the overwrite monitor, one handler at a
// time on hand-set queues (the word-memory rig of ../serial/rig.ts).
import { describe, expect, it } from 'vitest';
import {
  G_DROPPED,
  G_RECEIVED,
  G_REQUESTED,
  G_SENT,
  NET_BUFFER_SIZE,
  PEER_GHOSTS,
  enqueueMonitored,
  netConsumer,
  netProducer,
  type NetPeerConfig,
} from '../../../../spec/components/net-peers.ts';
import { PC_DONE } from '../../../../spec/components/program.ts';
import {
  NET_FLAVOUR_HEAD,
  netDequeue,
  netEnqueue,
  netLength,
  type NetQueueFlavour,
  type NetQueueRef,
} from '../../../../spec/queue/net.ts';
import { FLAG_SIGNALLED, FLAG_WANTS_SIGNAL } from '../../../../spec/signal/handshake.ts';
import { Rig } from '../serial/rig.ts';

function netQueue(r: Rig, name: string, capacity: number): NetQueueRef {
  const tail = r.alloc();
  const head = r.alloc();
  const consumerSignalled = r.alloc();
  return { name, tail, head, consumerSignalled, slots: r.alloc(capacity), capacity };
}

function setup(o: Partial<NetPeerConfig> & { capacity?: number } = {}) {
  const r = new Rig();
  const capacity = o.capacity ?? 2;
  const free = netQueue(r, 'free', capacity);
  const active = netQueue(r, 'active', capacity);
  const buffers = o.buffers ?? capacity;
  const cfg: NetPeerConfig = {
    free,
    active,
    flavour: o.flavour ?? NET_FLAVOUR_HEAD,
    data: r.alloc(buffers),
    buffers,
    items: o.items ?? 2,
    peerCh: o.peerCh ?? 3,
    untrusted: o.untrusted ?? false,
    noRecheck: o.noRecheck ?? false,
    ...(o.oldBuffersInit !== undefined ? { oldBuffersInit: o.oldBuffersInit } : {}),
  };
  const f = cfg.flavour;
  return {
    r,
    cfg,
    free,
    active,
    prod: netProducer(cfg),
    cons: netConsumer(cfg),
    enq: (q: NetQueueRef, ...ds: number[]) => {
      for (const d of ds) if (!netEnqueue(r.mem, q, f, d)) throw new Error(`${q.name} full`);
    },
    drain: (q: NetQueueRef) => {
      const out: number[] = [];
      for (let d = netDequeue(r.mem, q, f); d !== null; d = netDequeue(r.mem, q, f)) out.push(d);
      return out;
    },
    armed: (q: NetQueueRef) => r.mem.load(q.consumerSignalled) === FLAG_WANTS_SIGNAL,
    flag: (q: NetQueueRef, armed: boolean) =>
      r.mem.store(q.consumerSignalled, armed ? FLAG_WANTS_SIGNAL : FLAG_SIGNALLED),
  };
}

describe('ghosts and constants', () => {
  it('sent, received, dropped, requested; 2048-byte buffers', () => {
    expect([G_SENT, G_RECEIVED, G_DROPPED, G_REQUESTED, PEER_GHOSTS]).toEqual([0, 1, 2, 3, 4]);
    expect(NET_BUFFER_SIZE).toBe(2048);
  });
});

describe('enqueueMonitored', () => {
  it('a store into a live slot (the queue already full) is an overwrite; one less is not', () => {
    const omitted: NetQueueFlavour = { ...NET_FLAVOUR_HEAD, fullCheck: 'omitted' };
    const { r, active, prod } = setup({ capacity: 2 });
    const ctx = r.ctx(prod);
    expect(enqueueMonitored(ctx, active, omitted, 1)).toBe(true);
    expect(enqueueMonitored(ctx, active, omitted, 2)).toBe(true);
    expect(r.fails).toEqual([]);
    expect(enqueueMonitored(ctx, active, omitted, 3)).toBe(true);
    expect(r.fails).toEqual([
      {
        pd: 'producer',
        property: 'no-overwrite',
        message: 'active: enqueue overwrote a live slot (length 2, capacity 2)',
      },
    ]);
  });
  it('a refused enqueue into a full queue is no overwrite', () => {
    const { r, active, prod, enq } = setup({ capacity: 2 });
    enq(active, 1, 2);
    expect(enqueueMonitored(r.ctx(prod), active, NET_FLAVOUR_HEAD, 3)).toBe(false);
    expect(r.fails).toEqual([]);
  });
});

describe('producer', () => {
  it('shape', () => {
    const { prod } = setup();
    expect(prod.name).toBe('producer');
    expect(prod.localWords).toBe(3);
    expect(prod.steps).toEqual([
      '',
      'init.net_buffers_init',
      'tx.process',
      'tx.request_signal(free)',
      'tx.recheck(free)',
      'tx.notify_if(active)',
    ]);
    expect(prod.steps[prod.initPc]).toBe('init.net_buffers_init');
    expect(prod.steps[prod.entry(0)]).toBe('tx.process');
  });

  it('net_buffers_init: capacity offsets 0, 2048, ... one per step', () => {
    const { r, prod, free, drain } = setup({ capacity: 4 });
    expect(r.init(prod)).toEqual(new Array<string>(4).fill('init.net_buffers_init'));
    expect(drain(free)).toEqual([0, 2048, 4096, 6144]);
    expect(r.fails).toEqual([]);
  });

  it('F17: the wasted-slot full test cannot take capacity buffers; the old init took capacity − 1', () => {
    const wasted: NetQueueFlavour = { ...NET_FLAVOUR_HEAD, fullCheck: 'wasted-slot' };
    const bad = setup({ capacity: 2, flavour: wasted });
    bad.r.init(bad.prod);
    expect(bad.r.fails).toEqual([
      {
        pd: 'producer',
        property: 'no-assert-failure',
        message: 'net_buffers_init: enqueue of buffer 1 into free failed',
      },
    ]);
    const old = setup({ capacity: 2, flavour: wasted, oldBuffersInit: true });
    expect(old.r.init(old.prod)).toEqual(['init.net_buffers_init']);
    expect(old.r.fails).toEqual([]);
    expect(old.drain(old.free)).toEqual([0]);
    const one = setup({ capacity: 1, flavour: wasted, oldBuffersInit: true });
    expect(one.r.init(one.prod)).toEqual(['init.net_buffers_init']);
    expect(netLength(one.r.mem, one.free)).toBe(0);
    expect(one.r.fails).toEqual([]); // no enqueue attempted
  });

  it('sends what was requested, stamping each buffer, then notifies the consumer if it asked', () => {
    const { r, prod, cfg, free, active, enq, drain, armed, flag } = setup({ capacity: 4 });
    enq(free, 2048, 0, 4096);
    r.ghosts[G_REQUESTED] = 2;
    flag(active, true);
    expect(r.notified(prod, 0)).toEqual([
      'tx.process',
      'tx.process',
      'tx.process',
      'tx.notify_if(active)',
    ]);
    expect(drain(active)).toEqual([2048, 0]);
    expect([r.mem.load(cfg.data), r.mem.load(cfg.data + 1)]).toEqual([2, 1]);
    expect(r.ghost(G_SENT)).toBe(2);
    expect(r.calls).toEqual(['producer: notify 3']);
    expect(armed(active)).toBe(false);
    expect(r.local(prod, 1)).toBe(0);
    expect(netLength(r.mem, free)).toBe(1);
  });

  it('the stamp lands in the buffer the offset names, modulo the buffers', () => {
    const { r, prod, cfg, free, enq } = setup({ capacity: 2, buffers: 2 });
    enq(free, 3 * 2048);
    r.ghosts[G_REQUESTED] = 1;
    r.notified(prod, 0);
    expect(r.mem.load(cfg.data + 1)).toBe(1);
  });

  it('nothing sent: no notify; the consumer not asking: no notify', () => {
    const a = setup();
    a.flag(a.active, true);
    expect(a.r.notified(a.prod, 0)).toEqual(['tx.process', 'tx.notify_if(active)']);
    expect(a.r.calls).toEqual([]);
    const b = setup();
    b.enq(b.free, 0);
    b.r.ghosts[G_REQUESTED] = 1;
    b.flag(b.active, false);
    b.r.notified(b.prod, 0);
    expect(b.r.calls).toEqual([]);
  });

  it('out of free buffers with requests left: request, re-check, sleep with the flag armed', () => {
    const { r, prod, free, enq, armed, flag } = setup();
    r.ghosts[G_REQUESTED] = 1;
    flag(free, false);
    expect(r.notified(prod, 0)).toEqual([
      'tx.process',
      'tx.request_signal(free)',
      'tx.recheck(free)',
      'tx.notify_if(active)',
    ]);
    expect(armed(free)).toBe(true);
    // A buffer returned between the request and the re-check: cancel and send.
    enq(free, 0);
    expect(r.step(prod, 'tx.recheck(free)')).toBe('tx.process');
    expect(armed(free)).toBe(false);
  });

  it('an enqueue into a full active queue (sized for every buffer) is the C assert', () => {
    const { r, prod, free, active, enq } = setup({ capacity: 1 });
    enq(free, 0);
    enq(active, 0);
    r.ghosts[G_REQUESTED] = 1;
    r.step(prod, 'tx.process');
    expect(r.fails).toEqual([
      {
        pd: 'producer',
        property: 'no-assert-failure',
        message: 'active: enqueue failed (queue sized to hold every buffer)',
      },
    ]);
  });

  it('U1: an untrusted producer republishes its last descriptor once (and a failed one is no assert)', () => {
    const { r, prod, free, active, enq, drain } = setup({ capacity: 4, untrusted: true });
    enq(free, 2048, 4096);
    r.ghosts[G_REQUESTED] = 2;
    r.notified(prod, 0);
    expect(drain(active)).toEqual([2048, 2048, 4096]);
    expect(r.local(prod, 2)).toBe(1);
    // The last descriptor is at slot (tail - 1) mod 2^16 mod capacity: tail 0 reads slot 3.
    const w = setup({ capacity: 4, untrusted: true });
    w.r.mem.store(w.active.head, 0xfffe);
    w.r.mem.store(w.active.slots + 2, 2048);
    w.r.mem.store(w.active.slots + 3, 4096);
    w.r.ghosts[G_SENT] = 2;
    expect(w.r.step(w.prod, 'tx.process')).toBe('tx.process');
    expect(w.drain(w.active)).toEqual([2048, 4096, 4096]);
    // Not before anything was sent.
    const t = setup({ capacity: 4, untrusted: true });
    expect(t.r.step(t.prod, 'tx.process')).toBe('tx.notify_if(active)');
    // A full active queue: the duplicate is refused, nothing counted as sent.
    const u = setup({ capacity: 1, untrusted: true });
    u.enq(u.active, 0);
    u.r.ghosts[G_SENT] = 1;
    expect(u.r.step(u.prod, 'tx.process')).toBe('tx.process');
    expect(u.r.local(u.prod, 1)).toBe(0);
    u.enq(u.free, 0);
    u.r.ghosts[G_REQUESTED] = 2;
    u.r.step(u.prod, 'tx.process');
    expect(u.r.fails).toEqual([]);
  });

  it('a bad pc is our bug', () => {
    const { r, prod, cons } = setup();
    expect(() => prod.step(6, r.ctx(prod))).toThrow(/producer: bad pc 6/);
    expect(() => cons.step(5, r.ctx(cons))).toThrow(/consumer: bad pc 5/);
  });
});

describe('consumer', () => {
  it('shape', () => {
    const { cons } = setup();
    expect(cons.name).toBe('consumer');
    expect(cons.localWords).toBe(1);
    expect(cons.initPc).toBe(PC_DONE);
    expect(cons.steps).toEqual([
      '',
      'rx.process',
      'rx.request_signal(active)',
      'rx.recheck(active)',
      'rx.notify_if(free)',
    ]);
    expect(cons.entry(0)).toBe(1);
  });

  it('receives in order, returns the buffers, re-arms, and notifies the producer if it asked', () => {
    const { r, cons, cfg, free, active, enq, drain, armed, flag } = setup({ capacity: 4 });
    r.mem.store(cfg.data + 1, 1);
    r.mem.store(cfg.data, 2);
    enq(active, 2048, 0);
    flag(free, true);
    flag(active, false);
    expect(r.notified(cons, 0)).toEqual([
      'rx.process',
      'rx.process',
      'rx.process',
      'rx.request_signal(active)',
      'rx.recheck(active)',
      'rx.notify_if(free)',
    ]);
    expect(r.ghost(G_RECEIVED)).toBe(2);
    expect(drain(free)).toEqual([2048, 0]);
    expect(armed(active)).toBe(true);
    expect(armed(free)).toBe(false);
    expect(r.calls).toEqual(['consumer: notify 3']);
    expect(r.fails).toEqual([]);
    expect(r.local(cons, 0)).toBe(0);
  });

  it('nothing returned: no notify', () => {
    const { r, cons, free, flag } = setup();
    flag(free, true);
    r.notified(cons, 0);
    expect(r.calls).toEqual([]);
  });

  it('out of order is fifo (trusted producer only)', () => {
    const a = setup();
    a.r.mem.store(a.cfg.data, 5);
    a.enq(a.active, 0);
    a.r.notified(a.cons, 0);
    expect(a.r.fails).toEqual([
      { pd: 'consumer', property: 'fifo', message: 'active: received item 5, expected 1' },
    ]);
    const b = setup({ untrusted: true });
    b.r.mem.store(b.cfg.data, 5);
    b.enq(b.active, 0);
    b.r.notified(b.cons, 0);
    expect(b.r.fails).toEqual([]);
  });

  it('an offset that is no buffer of the region is an address-domain violation, skipped', () => {
    for (const off of [1, 2 * 2048, 2047]) {
      const { r, cons, free, active, enq } = setup({ capacity: 2, buffers: 2 });
      enq(active, off);
      r.notified(cons, 0);
      expect(r.fails).toEqual([
        {
          pd: 'consumer',
          property: 'address-domain',
          message: `active: offset ${off} is not a buffer of the data region`,
        },
      ]);
      expect(r.ghost(G_RECEIVED)).toBe(0);
      expect(netLength(r.mem, free)).toBe(0);
    }
    // The last buffer is in the region.
    const t = setup({ capacity: 2, buffers: 2 });
    t.r.mem.store(t.cfg.data + 1, 1);
    t.enq(t.active, 2048);
    t.r.notified(t.cons, 0);
    expect(t.r.fails).toEqual([]);
  });

  it('a full free queue: the buffer is dropped (counted), not returned', () => {
    const { r, cons, cfg, free, active, enq } = setup({ capacity: 1 });
    enq(free, 0);
    r.mem.store(cfg.data, 1);
    enq(active, 0);
    r.notified(cons, 0);
    expect(r.ghost(G_DROPPED)).toBe(1);
    expect(r.local(cons, 0)).toBe(0);
    expect(netLength(r.mem, free)).toBe(1);
  });

  it('re-check: a descriptor published after the request cancels it and goes on', () => {
    const { r, cons, cfg, active, enq, armed } = setup();
    expect(r.step(cons, 'rx.request_signal(active)')).toBe('rx.recheck(active)');
    r.mem.store(cfg.data, 1);
    enq(active, 0);
    expect(r.step(cons, 'rx.recheck(active)')).toBe('rx.process');
    expect(armed(active)).toBe(false);
  });

  it('F2: no re-check after request_signal', () => {
    const { r, cons } = setup({ noRecheck: true });
    expect(r.notified(cons, 0)).toEqual([
      'rx.process',
      'rx.request_signal(active)',
      'rx.notify_if(free)',
    ]);
  });
});
