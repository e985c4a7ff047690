import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeToken, pointerOf, tokensOf, unescapeToken, valueAt } from './json-pointer.js';

/** Tokens rich in the two characters RFC 6901 escapes. */
const token = fc.oneof(fc.string(), fc.stringMatching(/^[~/01a]{0,8}$/), fc.nat().map(String));

/** Every path into a JSON value, as token lists, the document root included. */
function pathsOf(value: unknown, prefix: string[] = []): string[][] {
  const out = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...prefix, String(i)])));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  }
  return out;
}

describe('json pointer properties', () => {
  it('unescapeToken undoes escapeToken', () => {
    fc.assert(
      fc.property(token, (t) => {
        expect(unescapeToken(escapeToken(t))).toBe(t);
      }),
    );
  });

  it('an escaped token has no "/" and every "~" is followed by 0 or 1', () => {
    fc.assert(
      fc.property(token, (t) => {
        const escaped = escapeToken(t);
        expect(escaped).not.toContain('/');
        expect(escaped.replaceAll(/~[01]/g, '')).not.toContain('~');
      }),
    );
  });

  it('tokensOf undoes pointerOf, and pointerOf undoes tokensOf', () => {
    fc.assert(
      fc.property(fc.array(token, { maxLength: 6 }), (tokens) => {
        const pointer = pointerOf(...tokens);
        expect(tokensOf(pointer)).toEqual(tokens);
        expect(pointerOf(...tokensOf(pointer))).toBe(pointer);
      }),
    );
  });

  it('numbers and their decimal strings make the same pointer', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 5 }), (ns) => {
        expect(pointerOf(...ns)).toBe(pointerOf(...ns.map(String)));
      }),
    );
  });

  it('valueAt(doc, pointerOf(...path)) is the value found by walking the path', () => {
    const docAndPath = fc
      .jsonValue({ maxDepth: 4 })
      .chain((doc) => fc.constantFrom(...pathsOf(doc)).map((path) => ({ doc, path })));
    fc.assert(
      fc.property(docAndPath, ({ doc, path }) => {
        let expected: unknown = doc;
        for (const t of path) expected = (expected as Record<string, unknown>)[t];
        expect(valueAt(doc, pointerOf(...path))).toBe(expected);
      }),
    );
  });

  it('a pointer one token past a leaf names nothing', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.double(), fc.boolean(), fc.constant(null)), token, (leaf, t) => {
        expect(valueAt({ leaf }, pointerOf('leaf', t))).toBeUndefined();
      }),
    );
  });
});
