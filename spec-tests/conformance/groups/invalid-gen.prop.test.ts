import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { baseConfig } from '../bundle.js';
import { clauses } from '../clauses.js';
import { badCallArgs, badCalls, mutations } from './invalid-gen.js';

describe('invalid input generators', () => {
  it('every mutation changes the config (or replaces config.json) and leaves the base config untouched', () => {
    fc.assert(
      fc.property(mutations(20000), (m) => {
        const base = baseConfig('1.0.2', ['/berth-probe']);
        const before = JSON.stringify(base);
        const out = m.apply(base);
        expect(JSON.stringify(base)).toBe(before);
        if (out === null || typeof out === 'string') expect(m.clause).toBe(clauses.bundleConfig);
        else expect(JSON.stringify(out)).not.toBe(before);
        expect(m.detail.length).toBeGreaterThan(0);
      }),
    );
  });

  it('wrong-type values are never null and never of the field\'s own type', () => {
    fc.assert(
      fc.property(mutations(20000).filter((m) => m.kind === 'wrong type'), (m) => {
        expect(m.detail).not.toContain('= null');
        const [, value, type] = /= (.*) \(must be an? (\w+)\)$/.exec(m.detail)!;
        const parsed = JSON.parse(value) as unknown;
        const actual = Array.isArray(parsed) ? 'array' : typeof parsed;
        expect(actual).not.toBe(type);
      }),
    );
  });

  it('rlimits above the host hard limit are only generated when the host has one', () => {
    const above = (hard: number | null) => fc.sample(mutations(hard), 500).filter((m) => m.detail.includes("above the host's"));
    expect(above(null)).toEqual([]);
    expect(above(20000).length).toBeGreaterThan(0);
  });

  it('bad calls: no id means no positional argument; unknown ids and missing bundles name the case\'s own paths', () => {
    fc.assert(
      fc.property(badCalls, (c) => {
        const { args, clause } = badCallArgs(c, '/case');
        expect(clause.quote).toMatch(/MUST/);
        if (c.kind === 'no id') expect(args.filter((a) => !a.startsWith('-') && a !== '/case')).toEqual([c.op]);
        if (c.kind === 'no bundle') expect(args).toEqual(['create', '--bundle', `/case/${c.name}-missing`, c.name]);
      }),
    );
  });
});
