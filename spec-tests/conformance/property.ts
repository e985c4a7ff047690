import type fc from 'fast-check';
import type { Clause } from './clauses.js';
import type { HostFacts } from './host-facts.js';
import type { RuntimeDriver } from './runtime-driver.js';

export const groups = ['lifecycle', 'config', 'invalid', 'hooks', 'signals', 'verbs'] as const;
export type Group = (typeof groups)[number];

/** Verbs beyond create/start/state/kill/delete that a property may need. */
export type OptionalVerb = 'run' | 'exec' | 'pause' | 'update';

/** What every case of every property may rely on: the same on every runtime, so cases are too. */
export interface SuiteAssets {
  /** The static probe (native/probe.c) that prints what a container sees. */
  probe: string;
  /** A static busybox, for shells in payloads and hooks. */
  busybox: string;
  host: HostFacts;
  /** The config ociVersion every runtime under test accepts. */
  ociVersion: string;
}

/** One case's private world: its directory, its runtime (with a --root inside it) and its assets. */
export interface CaseContext {
  runtime: RuntimeDriver;
  /** A fresh, empty directory that only this case uses; bundles go here. */
  dir: string;
  assets: SuiteAssets;
}

/**
 * A property of a runtime, checked on generated cases. `check` throws a Violation (or any
 * error) when the runtime does not do what the clause says. It must leave nothing running:
 * the runner force-deletes the ids a case used afterwards, but only as a safety net.
 */
export interface ConformanceProperty<Case = unknown> {
  /** `group/what-it-checks`, stable: deviations.md and results.json refer to it. */
  id: string;
  group: Group;
  title: string;
  /** Every sentence the property checks; a Violation names the one that was broken. */
  clauses: readonly Clause[];
  needs?: readonly OptionalVerb[];
  /** Needs busybox in the payload or hooks (skipped, with the reason, when it is missing). */
  needsBusybox?: boolean;
  arbitrary: (assets: SuiteAssets) => fc.Arbitrary<Case>;
  /** The case as a short, readable line (the printed counter-example). */
  describe: (c: Case) => string;
  check: (c: Case, ctx: CaseContext) => Promise<void>;
}

/** The runtime did something a clause forbids (or did not do what it requires). */
export class Violation extends Error {
  constructor(
    readonly clause: Clause,
    message: string,
  ) {
    super(message);
    this.name = 'Violation';
  }
}

/** Throws a Violation of `clause` unless `ok`. */
export function expectThat(ok: boolean, clause: Clause, message: () => string): asserts ok {
  if (!ok) throw new Violation(clause, message());
}

/** Declares a property with its case type checked, stored without it. */
export function property<Case>(p: ConformanceProperty<Case>): ConformanceProperty<unknown> {
  return p as unknown as ConformanceProperty<unknown>;
}
