import { describe, expect, it } from 'vitest';
import { duplicateKey, emit, evaluate, nested, nodeAt, raw, setAt, str, toNode } from './json-text.js';

describe('json-text', () => {
  it('writes what JSON.stringify writes for plain values, and reads them back', () => {
    const value = { a: [1, 'x', true, null, { b: -2.5 }], 'é\u0000': 'a\u0000b' };
    expect(emit(toNode(value))).toBe(JSON.stringify(value));
    expect(evaluate(toNode(value))).toEqual(value);
  });

  it('keeps a key written twice in the text; the last one is the value', () => {
    const doc = duplicateKey(toNode({ process: { user: { uid: 0 } } }), ['process', 'user'], 'uid', raw('1000'));
    expect(emit(doc)).toBe('{"process":{"user":{"uid":0,"uid":1000}}}');
    expect(evaluate(doc)).toEqual({ process: { user: { uid: 1000 } } });
    expect(nodeAt(doc, ['process', 'user', 'uid'])).toEqual(raw('1000'));
  });

  it('spells integers exactly, beyond 2^53 too', () => {
    const doc = setAt(toNode({}), ['process', 'rlimits', 0, 'soft'], raw('18446744073709551616'));
    expect(emit(doc)).toBe('{"process":{"rlimits":[{"soft":18446744073709551616}]}}');
    expect(evaluate(doc)).toEqual({ process: { rlimits: [{ soft: 18446744073709551616n }] } });
    expect(evaluate(raw('9007199254740991'))).toBe(9007199254740991);
  });

  it('sets, appends and removes by path', () => {
    const doc = toNode({ a: [1, 2] });
    expect(evaluate(setAt(doc, ['a', 9], str('x')))).toEqual({ a: [1, 2, 'x'] });
    expect(evaluate(setAt(doc, ['a', 0], undefined))).toEqual({ a: [2] });
    expect(evaluate(setAt(doc, ['a'], undefined))).toEqual({});
  });

  it('nests a million levels without recursion', () => {
    const text = emit(setAt(toNode({}), ['x'], nested(1_000_000, 'array')));
    expect(text.length).toBe(2_000_000 + 7);
    expect(text.startsWith('{"x":[[[')).toBe(true);
  });
});

describe('evaluate of raw text', () => {
  it('reads an object written as text, long integers exact', () => {
    expect(evaluate(raw('{"type":"RLIMIT_NOFILE","soft":178,"hard":18446744073709551616}'))).toEqual({ type: 'RLIMIT_NOFILE', soft: 178, hard: 18446744073709551616n });
    expect(evaluate(raw('[1,"x"]'))).toEqual([1, 'x']);
    expect(evaluate(nested(1_000_000, 'array'))).toBeUndefined();
  });
});
