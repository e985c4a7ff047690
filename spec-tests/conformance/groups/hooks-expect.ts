import fc from 'fast-check';
import { hookKinds, type HookKind } from '../bundle.js';

/**
 * Which hooks must have run, in which order, by the end of each operation: runtime.md's
 * lifecycle (steps 3-5 in create, 7 and 9 in start, 13 in delete) and, when a hook fails,
 * "continue the lifecycle at step 12" (destroy, then the poststop hooks). Pure.
 */

export type HookCounts = Record<HookKind, number>;
export type Phase = 'create' | 'start' | 'delete';

/** Every hook of a case carries a label: its kind and its index among hooks of that kind. */
export const label = (kind: HookKind, i: number) => `${kind}#${i}`;
const labels = (kind: HookKind, n: number) => Array.from({ length: n }, (_, i) => label(kind, i));

export const phaseOf: Record<HookKind, Phase> = {
  prestart: 'create',
  createRuntime: 'create',
  createContainer: 'create',
  startContainer: 'start',
  poststart: 'start',
  poststop: 'delete',
};

/** The hooks each operation must run, in order, when every hook succeeds. */
export function expectedOrder(counts: HookCounts): Record<Phase, string[]> {
  const of = (phase: Phase) => hookKinds.filter((k) => phaseOf[k] === phase).flatMap((k) => labels(k, counts[k]));
  return { create: of('create'), start: of('start'), delete: of('delete') };
}

export interface FailureExpectation {
  /** The operation during which the failing hook runs. */
  operation: Phase;
  /** Whether that operation must fail (all kinds but poststop). */
  operationFails: boolean;
  /** Every hook that must have run once the operation returns, in order. */
  ran: string[];
  /** Whether the user-specified program must have been started. */
  programRuns: boolean;
}

/**
 * When hook `failing` of kind `kind` fails: the hooks before it ran, nothing after it of the
 * same or a later kind runs, the container is destroyed and every poststop hook runs before
 * the failing operation returns. A failing poststop hook only warns: the rest still run.
 */
export function expectedAfterFailure(counts: HookCounts, kind: HookKind, failing: number): FailureExpectation {
  const order = expectedOrder(counts);
  const operation = phaseOf[kind];
  if (kind === 'poststop') return { operation, operationFails: false, ran: [...order.create, ...order.start, ...order.delete], programRuns: true };
  const before = hookKinds.slice(0, hookKinds.indexOf(kind)).filter((k) => k !== 'poststop').flatMap((k) => labels(k, counts[k]));
  return {
    operation,
    operationFails: true,
    ran: [...before, ...labels(kind, failing + 1), ...labels('poststop', counts.poststop)],
    programRuns: kind === 'poststart',
  };
}

/** Hook counts for an order case: up to two of each kind, at least one hook in all. */
export const countsCase: fc.Arbitrary<HookCounts> = fc
  .record(Object.fromEntries(hookKinds.map((k) => [k, fc.integer({ min: 0, max: 2 })])) as Record<HookKind, fc.Arbitrary<number>>)
  .filter((c) => hookKinds.some((k) => c[k] > 0));

export interface FailureCase {
  counts: HookCounts;
  /** Index of the failing hook among those of the kind under test. */
  failing: number;
  exitCode: number;
}

/** A failure of `kind`: one to three hooks of it, one failing; other kinds 0 to 1; at least one poststop hook to see step 13. */
export function failureCase(kind: HookKind): fc.Arbitrary<FailureCase> {
  return fc
    .record({
      others: fc.record(Object.fromEntries(hookKinds.map((k) => [k, fc.integer({ min: 0, max: 1 })])) as Record<HookKind, fc.Arbitrary<number>>),
      n: fc.integer({ min: 1, max: 3 }),
      exitCode: fc.integer({ min: 1, max: 255 }),
    })
    .chain(({ others, n, exitCode }) =>
      fc.integer({ min: 0, max: n - 1 }).map((failing) => ({
        counts: { ...others, [kind]: n, poststop: kind === 'poststop' ? n : Math.max(1, others.poststop) },
        failing,
        exitCode,
      })),
    );
}
