// The state encoding of the spsc.pml port (spsc-pml.ts): program counters of both processes, the
// error word and the field indices; the fields are packed into u32 words by proofs/mc/packed.ts
// (each field in one word, never straddling; compact state, ADR 007).

// Producer program counters.
export const P_LOOP = 0; // do-loop head: enqueue, or (dirty) the end-of-batch notify check
export const P_PUB = 1; // after an enqueue: publish tl (RELAXED: or leave it in the store buffer)
export const P_FLAG = 2; // tl published, next: req = !consumer_signalled
export const P_TL_AFTER = 3; // flag read first (BUG_FLAG_FIRST / RELAXED), next: tl = ptl
export const P_SIGNAL = 4; // req: cancel_signal (consumer_signalled = true)
export const P_NOTIFY = 5; // req: notify (notif = true)
export const P_AFTER = 6; // batch done: finish if v > N, else block until there is space
export const P_END = 7;
export const P_WRITE_LATE = 8; // publish-before-write: tl already covers the slot, next: ring write
export const P_ASSERT = 9; // statement grain: guard passed, next: assert(LEN(ptl, hd) < CAP)
export const P_WRITE = 10; // statement grain: asserted, next: ring[ptl % CAP] = v
export const PRODUCER_PCS = [
  'loop',
  'publish',
  'require_signal',
  'publish_after_flag',
  'cancel_signal',
  'notify',
  'after_batch',
  'end',
  'write_after_publish',
  'assert_space',
  'write_slot',
] as const;

// Consumer program counters.
export const C_WAIT = 0; // end_wait: seL4_Wait for the notification
export const C_DRAIN = 1; // inner loop: tl != hd → dequeue, else break
export const C_HEAD = 2; // payload checked, next: hd = hd + 1
export const C_REQ = 3; // queue seen empty, next: request_signal
export const C_RECHECK = 4; // flag cleared, next: isempty = (tl == hd)
export const C_REQ_AFTER = 5; // RELAXED: tl loaded first, next: consumer_signalled = false
export const C_CANCEL = 6; // re-check saw work: cancel_signal, reprocess
export const C_ASSERT = 7; // statement grain: tl != hd seen, next: assert(ring[hd % CAP] == expect)
export const C_COUNT = 8; // statement grain: payload checked, next: consumed++
export const CONSUMER_PCS = [
  'wait',
  'drain',
  'publish_head',
  'request_signal',
  'recheck',
  'request_signal_after_load',
  'cancel_signal',
  'check_payload',
  'count',
] as const;

// Error word: 0 = none (zero-filled at start), then which assertion failed.

export const ERR_FIFO = 1;
export const ERR_OVERFLOW = 2;

// Field indices of the decoded state.
export const F_TL = 0;
export const F_HD = 1;
export const F_CS = 2;
export const F_NOTIF = 3;
export const F_PDONE = 4;
export const F_CONSUMED = 5;
export const F_PPC = 6;
export const F_V = 7;
export const F_PTL = 8;
export const F_REQ = 9;
export const F_DIRTY = 10;
export const F_CPC = 11;
export const F_EXPECT = 12;
export const F_REPROCESS = 13;
export const F_ISEMPTY = 14;
export const F_ERR = 15;
export const F_RING = 16;
