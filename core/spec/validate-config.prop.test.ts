import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pointerOf, tokensOf, valueAt } from './json-pointer.js';
import { arbitraryValidConfig } from './test-support/arbitrary-config.js';
import { applyMutations, arbitraryIndependentMutations, arbitraryMutation, configMutations, groupsOverlap } from './test-support/config-mutations.js';
import { validateConfig } from './validate-config.js';

/** The pointer names a value in the document, or a field missing from an object that is there. */
function resolvesOrNamesMissing(doc: unknown, pointer: string): boolean {
  if (valueAt(doc, pointer) !== undefined) return true;
  const tokens = tokensOf(pointer);
  if (tokens.length === 0) return false;
  const parent = valueAt(doc, pointerOf(...tokens.slice(0, -1)));
  return parent !== null && typeof parent === 'object' && !Array.isArray(parent);
}

const pointersOf = (doc: unknown) => validateConfig(doc).map((d) => d.pointer);

describe('validateConfig on generated configs', () => {
  it('accepts every valid config with no diagnostics', () => {
    fc.assert(
      fc.property(arbitraryValidConfig, (config) => {
        expect(validateConfig(config)).toEqual([]);
      }),
    );
  });

  it('does not modify the document it validates', () => {
    fc.assert(
      fc.property(arbitraryValidConfig, arbitraryMutation, (config, m) => {
        const { doc } = applyMutations(config, [m]);
        const before = JSON.stringify(doc);
        validateConfig(doc);
        expect(JSON.stringify(doc)).toBe(before);
      }),
      { numRuns: 50 },
    );
  });

  it('reports the pointer a single mutation breaks', () => {
    fc.assert(
      fc.property(arbitraryValidConfig, arbitraryMutation, (config, m) => {
        const { doc, pointers } = applyMutations(config, [m]);
        expect(pointersOf(doc), m.mutation.name).toContain(pointers[0]);
      }),
      { numRuns: 300 },
    );
  });

  it('reports only the pointer a single mutation breaks', () => {
    fc.assert(
      fc.property(arbitraryValidConfig, arbitraryMutation, (config, m) => {
        const { doc, pointers } = applyMutations(config, [m]);
        expect(new Set(pointersOf(doc)), m.mutation.name).toEqual(new Set(pointers));
      }),
      { numRuns: 300 },
    );
  });

  it('points every diagnostic of a mutated config inside the document or at a missing field', () => {
    fc.assert(
      fc.property(arbitraryValidConfig, arbitraryMutation, (config, m) => {
        const { doc } = applyMutations(config, [m]);
        for (const d of validateConfig(doc)) {
          expect(resolvesOrNamesMissing(doc, d.pointer), `${m.mutation.name}: ${d.pointer}`).toBe(true);
          expect(d.message, d.pointer).not.toBe('');
        }
      }),
      { numRuns: 200 },
    );
  });

  it('reports every problem at once when several independent mutations are applied', () => {
    fc.assert(
      fc.property(arbitraryValidConfig, arbitraryIndependentMutations, (config, ms) => {
        const { doc, pointers } = applyMutations(config, ms);
        const found = pointersOf(doc);
        for (const [i, pointer] of pointers.entries()) expect(found, ms[i]!.mutation.name).toContain(pointer);
        expect(new Set(found)).toEqual(new Set(pointers));
      }),
      { numRuns: 200 },
    );
  });
});

/** Every path to a value inside a JSON document, as token lists (the root excluded). */
function innerPaths(value: unknown, prefix: string[] = []): string[][] {
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : value !== null && typeof value === 'object' ? Object.entries(value) : [];
  return entries.flatMap(([k, v]) => [[...prefix, k], ...innerPaths(v, [...prefix, k])]);
}

function setAt(doc: unknown, path: string[], value: unknown): void {
  const parent = path.slice(0, -1).reduce((node, t) => (node as Record<string, unknown>)[t], doc);
  (parent as Record<string, unknown>)[path.at(-1)!] = value;
}

describe('validateConfig on arbitrary documents', () => {
  it('never throws on any JSON value, and points inside it', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (doc) => {
        for (const d of validateConfig(doc)) expect(resolvesOrNamesMissing(doc, d.pointer) || d.pointer === '', d.pointer).toBe(true);
      }),
    );
  });

  it('never throws when any part of a valid config is replaced by any JSON value, and points inside it', () => {
    const replaced = arbitraryValidConfig.chain((config) =>
      fc.record({ config: fc.constant(config), path: fc.constantFrom(...innerPaths(config)), value: fc.jsonValue({ maxDepth: 3 }) }),
    );
    fc.assert(
      fc.property(replaced, ({ config, path, value }) => {
        const doc = structuredClone(config);
        setAt(doc, path, value);
        for (const d of validateConfig(doc)) expect(resolvesOrNamesMissing(doc, d.pointer), d.pointer).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('config mutations (test support)', () => {
  it('have unique names', () => {
    const names = configMutations.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('every mutation is exercised on a fixed config and breaks the pointer it claims', () => {
    const config = fc.sample(arbitraryValidConfig, { numRuns: 1, seed: 42 })[0]!;
    for (const mutation of configMutations) {
      for (const n of [0, 1, 2, 3, 7, 8, 13]) {
        const { doc, pointers } = applyMutations(config, [{ mutation, n }]);
        expect(pointersOf(doc), `${mutation.name} (n=${n})`).toContain(pointers[0]);
      }
    }
  });

  it('groupsOverlap is nesting, not string prefix', () => {
    expect(groupsOverlap('process', 'process.cwd')).toBe(true);
    expect(groupsOverlap('process.cwd', 'process.cwd')).toBe(true);
    expect(groupsOverlap('process.env', 'process.cwd')).toBe(false);
    expect(groupsOverlap('root', 'rootfs')).toBe(false);
  });
});
