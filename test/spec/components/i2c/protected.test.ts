// The virt's claim/release PPC (spec/components/i2c/virt.ts virtProtected; upstream au-ts/sddf
// 650ace5d i2c/components/virt.c protected(), lines 398-441) and its initial state.
// Pre: `security` is the 128-entry list (one owner per 7-bit address or BUS_UNCLAIMED).
// Post: I2C_SUCCESS changes exactly the named address (claim: unclaimed → the caller; release:
// the caller → unclaimed); I2C_FAILURE leaves the list as it was and says why.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvariantError } from '../../../../spec/common/assert.ts';
import {
  BUS_UNCLAIMED,
  I2C_BUS_ADDRESS_MAX,
  I2C_BUS_CLAIM,
  I2C_BUS_RELEASE,
  I2C_FAILURE,
  I2C_SUCCESS,
  SDDF_I2C_MAX_CLIENTS,
  virtProtected,
} from '../../../../spec/components/i2c/virt.ts';
import { cfgOf, initial } from './rig.ts';

const unclaimed = (): readonly number[] => initial(cfgOf({}, 0)).security;

describe('i2c virt: initial state', () => {
  it('every 7-bit bus address, 0x00 through 0x7f, starts unclaimed', () => {
    const sec = unclaimed();
    expect(sec).toHaveLength(I2C_BUS_ADDRESS_MAX + 1);
    expect(sec.every((o) => o === BUS_UNCLAIMED)).toBe(true);
    // ... so the highest address can be claimed.
    expect(virtProtected(sec, { client: 0, label: I2C_BUS_CLAIM, words: [0x7fn] }, 1).reply).toBe(
      I2C_SUCCESS,
    );
  });

  it('SDDF_I2C_MAX_CLIENTS (64) clients are allowed, 65 are our bug', () => {
    expect(initial(cfgOf({}, SDDF_I2C_MAX_CLIENTS)).clientReq).toHaveLength(64);
    expect(() => initial(cfgOf({}, SDDF_I2C_MAX_CLIENTS + 1))).toThrow(InvariantError);
  });
});

describe('i2c virt: claim and release', () => {
  const owned = (a: number, by: number) => {
    const s = [...unclaimed()];
    s[a] = by;
    return s;
  };

  it('an unknown label fails even on an address the caller owns, which stays owned', () => {
    const sec = owned(0x20, 0);
    for (const label of [0, 3, 9]) {
      const r = virtProtected(sec, { client: 0, label, words: [0x20n] }, 2);
      expect(r.reply).toBe(I2C_FAILURE);
      expect(r.why).toMatch(/label/);
      expect(r.security).toBe(sec);
    }
  });

  it('a channel that is not a client (negative, fractional, ≥ count) claims nothing', () => {
    for (const c of [-1, 0.5, 2]) {
      const r = virtProtected(unclaimed(), { client: c, label: I2C_BUS_CLAIM, words: [0x20n] }, 2);
      expect(r.reply).toBe(I2C_FAILURE);
      expect(r.why).toMatch(/client/);
      expect(r.security[0x20]).toBe(BUS_UNCLAIMED);
    }
  });

  it('MR0 missing or outside 0..0x7f fails as such, for claim and release alike', () => {
    for (const label of [I2C_BUS_CLAIM, I2C_BUS_RELEASE]) {
      const none = virtProtected(owned(0x20, 0), { client: 0, label, words: [] }, 1);
      expect([none.reply, none.why]).toEqual([I2C_FAILURE, 'no bus address in MR0']);
      for (const bus of [-1n, 0x80n, 0xffn, 1n << 64n]) {
        const r = virtProtected(owned(0x20, 0), { client: 0, label, words: [bus] }, 1);
        expect(r.reply).toBe(I2C_FAILURE);
        expect(r.why).toMatch(/0x7f/);
      }
    }
  });

  it('the edges 0x00 and 0x7f are valid addresses', () => {
    for (const a of [0, 0x7f]) {
      let sec = unclaimed();
      const claim = virtProtected(sec, { client: 1, label: I2C_BUS_CLAIM, words: [BigInt(a)] }, 2);
      expect(claim.reply).toBe(I2C_SUCCESS);
      sec = claim.security;
      expect(sec[a]).toBe(1);
      const rel = virtProtected(sec, { client: 1, label: I2C_BUS_RELEASE, words: [BigInt(a)] }, 2);
      expect(rel.reply).toBe(I2C_SUCCESS);
      expect(rel.security[a]).toBe(BUS_UNCLAIMED);
    }
  });

  it('property: a reply is SUCCESS exactly when upstream grants it; only that address changes', () => {
    const call = fc.record({
      client: fc.integer({ min: -1, max: 3 }),
      label: fc.integer({ min: 0, max: 3 }),
      bus: fc.bigInt({ min: -2n, max: 0x82n }),
    });
    fc.assert(
      fc.property(fc.array(call, { maxLength: 40 }), (calls) => {
        const clients = 3;
        let sec = unclaimed();
        for (const c of calls) {
          const before = sec;
          const r = virtProtected(
            sec,
            { client: c.client, label: c.label, words: [c.bus] },
            clients,
          );
          const valid = c.client >= 0 && c.client < clients && c.bus >= 0n && c.bus <= 0x7fn;
          const a = Number(c.bus);
          const grant =
            valid &&
            ((c.label === I2C_BUS_CLAIM && before[a] === BUS_UNCLAIMED) ||
              (c.label === I2C_BUS_RELEASE && before[a] === c.client));
          expect(r.reply).toBe(grant ? I2C_SUCCESS : I2C_FAILURE);
          expect(r.why === null).toBe(grant);
          const after = r.security;
          expect(after).toHaveLength(128);
          const changed = after.flatMap((o, k) => (o === before[k] ? [] : [k]));
          expect(changed).toEqual(grant ? [a] : []);
          if (grant) expect(after[a]).toBe(c.label === I2C_BUS_CLAIM ? c.client : BUS_UNCLAIMED);
          sec = after;
        }
      }),
      { numRuns: 200 },
    );
  });
});
