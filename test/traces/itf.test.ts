import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { checkModel } from '../../proofs/mc/engine.ts';
import { buildSpscPml as buildSpsc } from '../../proofs/models/spsc-pml.ts';
import { UserError } from '../../spec/common/diagnostic.ts';
import {
  canonicalJson,
  encodeValue,
  itfSchema,
  itfToJson,
  jsonErrorOffset,
  parseItf,
  toItfTrace,
} from '../../traces/itf.ts';

function spscTrace(bug: string): ReturnType<typeof toItfTrace> {
  const ts = buildSpsc({ memoryModel: 'sc', bounds: {}, bug });
  const r = checkModel(ts, { search: 'bfs' });
  return toItfTrace(ts, r.trace!, {
    options: { memoryModel: 'sc', bounds: { capacity: 2, items: 4 }, bug },
    verdict: r.verdict,
    property: r.property!,
  });
}

function locate(f: () => unknown): { message: string; line?: number; column?: number } {
  try {
    f();
  } catch (e) {
    if (e instanceof UserError) return e.diagnostic;
    throw e;
  }
  throw new Error('expected a UserError');
}

describe('ITF writing', () => {
  it('a written counterexample validates against the reference JSON Schema (ajv)', () => {
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(itfSchema());
    const doc = JSON.parse(itfToJson(spscTrace('no-recheck')));
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
  });

  it('the schema rejects what ITF forbids (it can fail)', () => {
    const validate = new Ajv2020({ strict: false }).compile(itfSchema());
    expect(validate({ states: [] })).toBe(false); // no vars
    expect(validate({ vars: [], states: [{ x: 1.5 }] })).toBe(false); // not an integer
    expect(validate({ vars: [], states: [{ x: { '#bigint': '12a' } }] })).toBe(false);
    expect(validate({ vars: [], states: [], loop: -1 })).toBe(false);
  });

  it('#meta carries model, options, verdict, property; each state its action, PD, memory event', () => {
    const t = spscTrace('flag-first');
    expect(t['#meta']).toMatchObject({
      format: 'ITF',
      model: 'spsc-pml',
      verdict: 'violated',
      property: 'no-lost-wakeup',
      options: { bug: 'flag-first', memoryModel: 'sc' },
    });
    expect(t.states[0]!['#meta']).toEqual({ index: 0 });
    const s1 = t.states[1]!['#meta']!;
    expect(s1.index).toBe(1);
    expect(s1.action).toMatch(/^producer\./);
    expect(s1.pd).toBe('producer');
    expect(s1.memory).toBeDefined();
    expect(t.vars).toContain('consumer_signalled');
  });

  it('integers beyond ±(2^53-1) use {"#bigint"}; safe ones stay numbers', () => {
    expect(encodeValue(2 ** 53 - 1)).toBe(2 ** 53 - 1);
    expect(encodeValue(2 ** 60)).toEqual({ '#bigint': '1152921504606846976' });
    expect(encodeValue({ a: [-(2 ** 60)] })).toEqual({
      a: [{ '#bigint': '-1152921504606846976' }],
    });
    expect(canonicalJson({ '#bigint': '5' })).toBe(canonicalJson(5));
  });
});

describe('ITF reading: located errors', () => {
  it('round-trips a written trace', () => {
    const t = spscTrace('relaxed');
    expect(parseItf(itfToJson(t), 'x.itf.json')).toEqual(JSON.parse(itfToJson(t)));
  });

  it('bad JSON gives file:line:column', () => {
    const d = locate(() => parseItf('{\n  "vars": [],\n  "states": [1,]\n}', 'bad.itf.json'));
    expect(d).toMatchObject({ line: 3, column: 16 });
    expect(d.message).toMatch(/not JSON/);
  });

  it('jsonErrorOffset finds the first syntax error, and -1 for valid JSON', () => {
    expect(jsonErrorOffset('{"a": [1, 2]}')).toBe(-1);
    expect(jsonErrorOffset('{"a": tru}')).toBe(6 + 3);
    expect(jsonErrorOffset('[1 2]')).toBe(3);
  });

  it('a schema violation names the JSON path', () => {
    const d = locate(() => parseItf('{"vars": ["x"], "states": [{"x": 1.5}]}', 'f.json'));
    expect(d.message).toMatch(/\/states\/0\/x/);
  });

  it('a state missing a declared variable, and a loop past the end, are rejected', () => {
    expect(locate(() => parseItf('{"vars": ["x"], "states": [{}]}', 'f')).message).toMatch(
      /variable 'x' missing/,
    );
    expect(locate(() => parseItf('{"vars": [], "states": [{}], "loop": 1}', 'f')).message).toMatch(
      /loop/,
    );
  });
});
