import { describe, expect, it } from 'vitest';
import { maxJsonDepth, parseExactJson, stringifyExactJson } from './exact-json.js';

const valueOf = (text: string) => {
  const result = parseExactJson(text);
  expect(result.diagnostics).toEqual([]);
  return result.value;
};

describe('parseExactJson', () => {
  it('keeps uint64 and int64 extremes exact, as bigints, and safe integers as numbers', () => {
    expect(valueOf('[18446744073709551615, 9223372036854775807, -9223372036854775808, 9007199254740991, 9007199254740992, -9007199254740993]')).toStrictEqual([
      18446744073709551615n, 9223372036854775807n, -9223372036854775808n, 9007199254740991, 9007199254740992n, -9007199254740993n,
    ]);
  });

  it('reads an integer written with a fraction or an exponent as that integer', () => {
    expect(valueOf('[1.8446744073709551615e19, 2.0, 1e3, 100e-2, 0.5e1, -0.0]')).toStrictEqual([18446744073709551615n, 2, 1000, 1, 5, -0]);
  });

  it('keeps other numbers as numbers', () => {
    expect(valueOf('[1.5, -0.25, 3.14e-2]')).toStrictEqual([1.5, -0.25, 0.0314]);
  });

  it('refuses an integer with more digits than any field holds, at once and at its pointer', () => {
    const started = performance.now();
    expect(parseExactJson('{"a":[0,1e999999999]}')).toEqual({
      diagnostics: [{ pointer: '/a/1', message: 'is out of range: 1e999999999 has more than a million digits, more than any integer field holds (uint64 has 20)' }],
    });
    expect(performance.now() - started).toBeLessThan(100);
    expect(parseExactJson('{"t":1000000000000000000000000000000}').diagnostics).toEqual([
      { pointer: '/t', message: 'is out of range: 1000000000000000000000000000000 has 31 digits, more than any integer field holds (uint64 has 20)' },
    ]);
  });

  it('refuses a number whose fraction a double would lose', () => {
    expect(parseExactJson('{"uid":0.99999999999999999999,"gid":1e-400}').diagnostics).toEqual([
      { pointer: '/uid', message: 'is not an integer, but as a number 0.99999999999999999999 would become 1: give the value berth should use' },
      { pointer: '/gid', message: 'is not an integer, but as a number 1e-400 would become 0: give the value berth should use' },
    ]);
  });

  it('refuses a repeated key, even with the same value or spelled with escapes', () => {
    expect(parseExactJson('{"process":{"user":{"uid":0,"uid":0}}}').diagnostics).toEqual([
      { pointer: '/process/user/uid', message: 'is given twice in one object (first at position 20): a repeated key is ambiguous, so berth refuses it' },
    ]);
    expect(parseExactJson('{"a/b":1,"a\\u002fb":2}').diagnostics).toEqual([expect.objectContaining({ pointer: '/a~1b' })]);
  });

  it('keeps a "__proto__" key as an ordinary member', () => {
    const value = valueOf('{"__proto__":{"x":1}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__']);
  });

  it(`refuses nesting deeper than ${maxJsonDepth} levels without exhausting the stack`, () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const result = parseExactJson(deep);
    expect(result.value).toBeUndefined();
    expect(result.diagnostics).toEqual([{ pointer: '/0'.repeat(maxJsonDepth), message: `nests deeper than ${maxJsonDepth} levels, the most berth reads` }]);
  });

  it('reports a syntax error at the document root with its position', () => {
    expect(parseExactJson('{"ociVersion": ').diagnostics).toEqual([{ pointer: '', message: expect.stringMatching(/^is not valid JSON: .*position 15/) }]);
    expect(parseExactJson('').diagnostics).toEqual([{ pointer: '', message: expect.stringMatching(/^is not valid JSON: /) }]);
    expect(parseExactJson('{"a":1} x').diagnostics).toEqual([{ pointer: '', message: expect.stringMatching(/^is not valid JSON: /) }]);
    expect(parseExactJson('{"a":1,"a":2').diagnostics).toEqual([{ pointer: '', message: expect.stringMatching(/^is not valid JSON: /) }]);
  });
});

describe('stringifyExactJson', () => {
  it('writes bigints as plain digits and everything else as JSON.stringify does', () => {
    expect(stringifyExactJson({ hard: 18446744073709551615n, soft: -9223372036854775808n, n: 1.5, s: 'x', u: undefined, l: [null, true] })).toBe(
      '{"hard":18446744073709551615,"soft":-9223372036854775808,"n":1.5,"s":"x","l":[null,true]}',
    );
    expect(stringifyExactJson({ a: [1n] }, '\t')).toBe('{\n\t"a": [\n\t\t1\n\t]\n}');
  });
});
