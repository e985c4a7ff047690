import { describe, expect, it } from 'vitest';
import { escapeToken, pointerOf, tokensOf, unescapeToken, valueAt } from './json-pointer.js';

describe('json pointers (RFC 6901)', () => {
  it('escapes ~ before / so that "~1" stays distinguishable from "/"', () => {
    expect(escapeToken('a/b')).toBe('a~1b');
    expect(escapeToken('a~b')).toBe('a~0b');
    expect(escapeToken('~1')).toBe('~01');
    expect(escapeToken(3)).toBe('3');
    expect(unescapeToken('~01')).toBe('~1');
    expect(unescapeToken('a~1b~0c')).toBe('a/b~c');
  });

  it('builds pointers from tokens and back', () => {
    expect(pointerOf()).toBe('');
    expect(pointerOf('process', 'args', 0)).toBe('/process/args/0');
    expect(pointerOf('linux', 'sysctl', 'net/ipv4/ip_forward')).toBe('/linux/sysctl/net~1ipv4~1ip_forward');
    expect(pointerOf('')).toBe('/');
    expect(tokensOf('')).toEqual([]);
    expect(tokensOf('/')).toEqual(['']);
    expect(tokensOf('/a~1b/~0/0')).toEqual(['a/b', '~', '0']);
  });

  it('refuses text that is not a pointer', () => {
    expect(() => tokensOf('process/args')).toThrow('not a JSON pointer: process/args');
    expect(() => valueAt({}, 'x')).toThrow();
  });

  it('resolves the RFC 6901 examples', () => {
    const doc = { foo: ['bar', 'baz'], '': 0, 'a/b': 1, 'c%d': 2, 'e^f': 3, 'g|h': 4, 'i\\j': 5, 'k"l': 6, ' ': 7, 'm~n': 8 };
    expect(valueAt(doc, '')).toBe(doc);
    expect(valueAt(doc, '/foo')).toBe(doc.foo);
    expect(valueAt(doc, '/foo/0')).toBe('bar');
    expect(valueAt(doc, '/')).toBe(0);
    expect(valueAt(doc, '/a~1b')).toBe(1);
    expect(valueAt(doc, '/c%d')).toBe(2);
    expect(valueAt(doc, '/e^f')).toBe(3);
    expect(valueAt(doc, '/g|h')).toBe(4);
    expect(valueAt(doc, '/i\\j')).toBe(5);
    expect(valueAt(doc, '/k"l')).toBe(6);
    expect(valueAt(doc, '/ ')).toBe(7);
    expect(valueAt(doc, '/m~0n')).toBe(8);
  });

  it('gives undefined for what is not there, without looking at inherited properties', () => {
    const doc = { a: { b: null }, list: [1, 2] };
    expect(valueAt(doc, '/missing')).toBeUndefined();
    expect(valueAt(doc, '/a/b')).toBeNull();
    expect(valueAt(doc, '/a/b/c')).toBeUndefined();
    expect(valueAt(doc, '/list/2')).toBeUndefined();
    expect(valueAt(doc, '/list/01')).toBeUndefined();
    expect(valueAt(doc, '/constructor')).toBeUndefined();
    expect(valueAt(doc, '/a/toString')).toBeUndefined();
    expect(valueAt('text', '/length')).toBeUndefined();
  });

  it('on arrays, resolves only index tokens (RFC 6901 section 4), so "/length" names nothing', () => {
    expect(valueAt(['a', 'b'], '/length')).toBeUndefined();
    expect(valueAt({ args: [] }, '/args/length')).toBeUndefined();
  });
});
