import type { Clause } from '../clauses.js';
import type { Group } from '../property.js';
import type { RuntimeInfo } from '../runtime-info.js';

export type Verdict = 'pass' | 'fail' | 'skip';

export interface Failure {
  clause: Clause;
  message: string;
  /** The shrunk case, as the property describes it. */
  counterexample: string;
  numShrinks: number;
  /** fast-check's path to the case, to replay it with the same seed. */
  path: string | null;
  /** The bundle directory written for it (config.json, rootfs, replay.sh), relative to --out. */
  bundle?: string;
  /** Whether running the shrunk case once more, to write the bundle, failed again. */
  reproduced: boolean;
}

/** One property on one runtime. */
export interface PropertyResult {
  runtime: string;
  property: string;
  group: Group;
  verdict: Verdict;
  numRuns: number;
  seed: number;
  durationMs: number;
  /** The budget ended the runs before --runs was reached. */
  interrupted: boolean;
  skipReason?: string;
  failure?: Failure;
  /** deviations.md explains this failure. */
  explained: boolean;
}

/** A shrunk case on which runtimes disagree: it fails on some and passes on others. */
export interface Disagreement {
  property: string;
  clause: Clause;
  counterexample: string;
  /** The runtime whose run found the case, and its bundle (relative to --out). */
  foundOn: string;
  bundle?: string;
  verdicts: Record<string, 'pass' | 'fail'>;
}

export interface PropertySummary {
  id: string;
  group: Group;
  title: string;
  clauses: Clause[];
}

export interface SuiteResults {
  suite: 'berth-conformance';
  /** The suite's arguments for this run (optional: results.json files written before it was kept). */
  argv?: string[];
  seed: number;
  budgetSeconds: number;
  runs: number;
  startedAt: string;
  durationMs: number;
  ociVersion: string;
  runtimes: RuntimeInfo[];
  properties: PropertySummary[];
  results: PropertyResult[];
  disagreements: Disagreement[];
}

/** Failures deviations.md does not explain: what makes a run fail. */
export const unexplainedFailures = (results: SuiteResults) => results.results.filter((r) => r.verdict === 'fail' && !r.explained);
