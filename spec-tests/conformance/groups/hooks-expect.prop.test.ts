import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hookKinds } from '../bundle.js';
import { countsCase, expectedAfterFailure, expectedOrder, failureCase, type HookCounts } from './hooks-expect.js';

const counts = (c: Partial<HookCounts>): HookCounts => ({ prestart: 0, createRuntime: 0, createContainer: 0, startContainer: 0, poststart: 0, poststop: 0, ...c });

describe('expected hook order', () => {
  it('create runs prestart, createRuntime, createContainer; start startContainer then poststart; delete poststop; each in listed order', () => {
    expect(expectedOrder(counts({ prestart: 1, createRuntime: 2, createContainer: 1, startContainer: 1, poststart: 2, poststop: 1 }))).toEqual({
      create: ['prestart#0', 'createRuntime#0', 'createRuntime#1', 'createContainer#0'],
      start: ['startContainer#0', 'poststart#0', 'poststart#1'],
      delete: ['poststop#0'],
    });
  });

  it('every hook of a case runs exactly once across the three operations', () => {
    fc.assert(
      fc.property(countsCase, (c) => {
        const all = Object.values(expectedOrder(c)).flat();
        expect(all).toHaveLength(hookKinds.reduce((n, k) => n + c[k], 0));
        expect(new Set(all).size).toBe(all.length);
      }),
    );
  });
});

describe('expected hooks after a failure', () => {
  it('a failing createRuntime hook: the earlier create hooks, itself, then every poststop hook; no program', () => {
    expect(expectedAfterFailure(counts({ prestart: 1, createRuntime: 3, createContainer: 1, poststart: 1, poststop: 2 }), 'createRuntime', 1)).toEqual({
      operation: 'create',
      operationFails: true,
      ran: ['prestart#0', 'createRuntime#0', 'createRuntime#1', 'poststop#0', 'poststop#1'],
      programRuns: false,
    });
  });

  it('a failing poststart hook fails start after the program ran; a failing poststop hook fails nothing and all poststop hooks run', () => {
    const c = counts({ startContainer: 1, poststart: 2, poststop: 2 });
    expect(expectedAfterFailure(c, 'poststart', 0)).toMatchObject({ operation: 'start', operationFails: true, ran: ['startContainer#0', 'poststart#0', 'poststop#0', 'poststop#1'], programRuns: true });
    expect(expectedAfterFailure(c, 'poststop', 0)).toMatchObject({ operation: 'delete', operationFails: false, ran: ['startContainer#0', 'poststart#0', 'poststart#1', 'poststop#0', 'poststop#1'] });
  });

  it('for any failure: the failing hook is the last of its kind to run, later kinds (but poststop) never run, poststop always runs in full', () => {
    for (const kind of hookKinds) {
      fc.assert(
        fc.property(failureCase(kind), (c) => {
          const want = expectedAfterFailure(c.counts, kind, c.failing);
          const ofKind = want.ran.filter((l) => l.startsWith(`${kind}#`));
          expect(ofKind.at(-1)).toBe(kind === 'poststop' ? `poststop#${c.counts.poststop - 1}` : `${kind}#${c.failing}`);
          expect(want.ran.filter((l) => l.startsWith('poststop#'))).toHaveLength(c.counts.poststop);
          expect(c.counts.poststop).toBeGreaterThan(0);
          const later = hookKinds.slice(hookKinds.indexOf(kind) + 1).filter((k) => k !== 'poststop');
          expect(want.ran.filter((l) => later.some((k) => l.startsWith(`${k}#`)))).toEqual([]);
        }),
        { numRuns: 30 },
      );
    }
  });
});
