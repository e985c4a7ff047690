import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { findNote, type DeviationNote } from './deviations.js';
import { Violation, type CaseContext, type ConformanceProperty, type SuiteAssets } from './property.js';
import { renderReplay } from './replay.js';
import type { Disagreement, Failure, PropertyResult } from './report/results.js';
import { tapLine } from './report/tap.js';
import { caseProcesses, hostMountsUnder } from './residue.js';
import { RuntimeDriver, type TraceStep } from './runtime-driver.js';
import type { RuntimeInfo } from './runtime-info.js';

export interface RunnerEnv {
  runtimes: RuntimeInfo[];
  assets: SuiteAssets;
  /** Scratch space for passing cases, removed as each case ends. */
  workDir: string;
  /** Absolute --out: failing cases are written below it. */
  outDir: string;
  /** How TAP and the report show paths below --out. */
  outLabel: string;
  seed: number;
  runs: number;
  deadline: number;
  notes: readonly DeviationNote[];
  print: (text: string) => void;
  /** Set on SIGINT/SIGTERM: no new case starts; the results so far are reported. */
  stop: { requested: boolean };
}

/** A per-property seed: the same cases on every runtime, whichever properties --only selects. */
export function propertySeed(seed: number, id: string): number {
  let h = 0x811c9dc5;
  for (const ch of id) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return ((seed ^ h) >>> 0) & 0x7fffffff;
}

export const slug = (text: string) => text.replace(/[^A-Za-z0-9._-]+/g, '-');

/** This run's tag on every container id (see RuntimeDriver.id). */
const idPrefix = `cf${randomBytes(3).toString('hex')}-`;

/**
 * Ids a case's calls named (create's and run's last argument) that are safe to force-delete:
 * plain names only. Never a path: crun 1.8 deletes whatever directory `delete ../x` names.
 */
function idsIn(trace: readonly TraceStep[]): string[] {
  const ids = trace.filter((s) => s.kind === 'runtime' && (s.args[0] === 'create' || s.args[0] === 'run')).map((s) => (s.kind === 'runtime' ? s.args.at(-1)! : ''));
  return [...new Set(ids.filter((id) => /^[A-Za-z0-9_+-][A-Za-z0-9_+.-]*$/.test(id)))];
}

interface CaseOutcome {
  error?: unknown;
  driver: RuntimeDriver;
}

/**
 * Runs one case in `dir` and then removes whatever it left (force-deleting the ids it used and
 * killing its processes), so the host stays clean whether the runtime honoured the spec or not.
 * `keep` leaves the directory itself (the bundle of a counter-example).
 */
async function runCase(property: ConformanceProperty, c: unknown, runtime: RuntimeInfo, assets: SuiteAssets, dir: string, keep: boolean): Promise<CaseOutcome> {
  mkdirSync(dir, { recursive: true });
  const driver = new RuntimeDriver(runtime.path, join(dir, 'root'), join(dir, 'io'), dir, idPrefix);
  const ctx: CaseContext = { runtime: driver, dir, assets };
  let error: unknown;
  try {
    await property.check(c, ctx);
  } catch (e) {
    error = e;
  }
  // The ids from the trace are real ones already: no prefix.
  const janitor = new RuntimeDriver(runtime.path, driver.root, join(dir, '.cleanup'), dir);
  for (const id of idsIn(driver.trace)) await janitor.delete(id, true);
  for (const p of caseProcesses(dir)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  // A runtime that mounted into the host's namespace (crun without a mount namespace does) must
  // not leave the suite unable to remove the case: detach those mounts, deepest first.
  for (const mount of hostMountsUnder(dir).sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', mount]);
  try {
    rmSync(keep ? join(dir, '.cleanup') : dir, { recursive: true, force: true });
  } catch (e) {
    warn(`cannot remove ${dir}: ${(e as Error).message}`);
  }
  return { error, driver };
}

/** A TAP comment on stderr: something the suite could not tidy up, which a human should know. */
function warn(text: string): void {
  process.stderr.write(`# warning: ${text}\n`);
}

function describeError(property: ConformanceProperty, e: unknown): Pick<Failure, 'clause' | 'message'> {
  if (e instanceof Violation) return { clause: e.clause, message: e.message };
  // Not a Violation: the runtime hung or the case could not be run; report it against the property's main clause.
  return { clause: property.clauses[0], message: `unexpected error: ${e instanceof Error ? e.message : String(e)}` };
}

function skipReason(property: ConformanceProperty, runtime: RuntimeInfo, assets: SuiteAssets): string | undefined {
  const missing = (property.needs ?? []).filter((v) => !runtime.verbs.includes(v));
  if (missing.length > 0) return `${runtime.name} does not list ${missing.join(', ')} in its --help`;
  if (property.needsBusybox && !assets.busybox) return 'no static busybox for payload shells (--busybox)';
  return undefined;
}

/**
 * Checks every property on every runtime (property by property, so a case that fails on one
 * runtime can be run on the others at once), prints a TAP line per result, writes a replayable
 * bundle per counter-example, and returns the results and the disagreements.
 */
export async function runProperties(env: RunnerEnv, properties: readonly ConformanceProperty[]): Promise<{ results: PropertyResult[]; disagreements: Disagreement[] }> {
  const results: PropertyResult[] = [];
  const disagreements: Disagreement[] = [];
  let slotsLeft = properties.length * env.runtimes.length;
  let n = 0;
  for (const property of properties) {
    const seed = propertySeed(env.seed, property.id);
    const counterexamples = new Map<string, unknown>();
    for (const runtime of env.runtimes) {
      const timeLimit = Math.max(1000, (env.deadline - Date.now()) / slotsLeft--);
      const result = await checkProperty(env, property, runtime, seed, timeLimit, counterexamples);
      results.push(result);
      env.print(tapLine(++n, result, env.outLabel));
    }
    if (env.runtimes.length > 1) disagreements.push(...(await crossCheck(env, property, results, counterexamples)));
  }
  return { results, disagreements };
}

async function checkProperty(
  env: RunnerEnv,
  property: ConformanceProperty,
  runtime: RuntimeInfo,
  seed: number,
  timeLimitMs: number,
  counterexamples: Map<string, unknown>,
): Promise<PropertyResult> {
  const base = { runtime: runtime.name, property: property.id, group: property.group, seed, explained: false };
  const skip = skipReason(property, runtime, env.assets);
  if (skip) return { ...base, verdict: 'skip', numRuns: 0, durationMs: 0, interrupted: false, skipReason: skip };

  const started = Date.now();
  const scratch = join(env.workDir, slug(runtime.name));
  mkdirSync(scratch, { recursive: true });
  // The budget is kept here rather than with fast-check's interruptAfterTimeLimit, which abandons
  // a running case: a case must finish (and clean up) before the next starts. Past the slice,
  // a new case "passes" without running; once a case failed, shrinking gets a grace period of
  // its own and then stops the same way, keeping the smallest failure found.
  const sliceEnd = started + timeLimitMs;
  let deadline = sliceEnd;
  let casesRun = 0;
  let failedAt: number | undefined;
  const predicate = async (c: unknown) => {
    if (env.stop.requested || (casesRun > 0 && Date.now() > deadline)) return;
    if (failedAt === undefined) casesRun++;
    const { error } = await runCase(property, c, runtime, env.assets, mkdtempSync(join(scratch, `${slug(property.id)}-`)), false);
    if (error === undefined) return;
    if (failedAt === undefined) {
      failedAt = Date.now();
      // Up to a quarter of what is left (5 to 30 s), and never much past the whole run's end.
      const grace = Math.min(30_000, Math.max(5_000, (env.deadline - failedAt) / 4));
      deadline = Math.max(sliceEnd, Math.min(failedAt + grace, Math.max(env.deadline, failedAt + 5_000)));
    }
    throw error;
  };
  const details = await fc.check(fc.asyncProperty(property.arbitrary(env.assets), predicate), { seed, numRuns: env.runs });
  const common = { ...base, numRuns: casesRun, interrupted: casesRun < env.runs && !details.failed };
  if (!details.failed || details.counterexample === null) {
    return { ...common, verdict: 'pass', durationMs: Date.now() - started };
  }

  const [counterexample] = details.counterexample as [unknown];
  counterexamples.set(runtime.name, counterexample);
  const failure: Failure = {
    ...describeError(property, details.errorInstance),
    counterexample: property.describe(counterexample),
    numShrinks: details.numShrinks,
    path: details.counterexamplePath,
    reproduced: false,
  };
  // Run the shrunk case once more where it stays, recording the calls for replay.sh.
  const bundleDir = join(env.outDir, 'failures', slug(runtime.name), slug(property.id));
  rmSync(bundleDir, { recursive: true, force: true });
  const replay = await runCase(property, counterexample, runtime, env.assets, bundleDir, true);
  failure.reproduced = replay.error !== undefined;
  if (failure.reproduced) Object.assign(failure, describeError(property, replay.error));
  failure.bundle = relative(env.outDir, bundleDir);
  const script = join(bundleDir, 'replay.sh');
  writeFileSync(
    script,
    renderReplay({
      runtimePath: runtime.path,
      runtimeName: runtime.name,
      caseDir: bundleDir,
      root: replay.driver.root,
      propertyId: property.id,
      clause: failure.clause,
      message: failure.message,
      seed,
      counterexample: failure.counterexample,
      ids: idsIn(replay.driver.trace),
      trace: replay.driver.trace,
    }),
  );
  chmodSync(script, 0o755);
  writeFileSync(join(bundleDir, 'counterexample.txt'), `${failure.counterexample}\n`);
  return { ...common, verdict: 'fail', durationMs: Date.now() - started, failure, explained: findNote(env.notes, runtime.name, property.id) !== undefined };
}

/**
 * Differential mode: each counter-example found on one runtime is run once on every other
 * runtime (that ran the property). A case that fails on some and passes on others is a
 * disagreement, listed with the clause and the bundle of the runtime that failed it.
 */
async function crossCheck(env: RunnerEnv, property: ConformanceProperty, results: readonly PropertyResult[], counterexamples: Map<string, unknown>): Promise<Disagreement[]> {
  const mine = results.filter((r) => r.property === property.id);
  const disagreements: Disagreement[] = [];
  for (const found of mine.filter((r) => r.verdict === 'fail' && counterexamples.has(r.runtime))) {
    // Two runtimes that shrank to the same case need it run only once: one row says it all.
    if (disagreements.some((d) => d.counterexample === found.failure!.counterexample)) continue;
    const c = counterexamples.get(found.runtime);
    const verdicts: Record<string, 'pass' | 'fail'> = { [found.runtime]: 'fail' };
    for (const other of mine.filter((r) => r.runtime !== found.runtime && r.verdict !== 'skip')) {
      if (other.verdict === 'fail' && other.failure!.counterexample === found.failure!.counterexample) {
        verdicts[other.runtime] = 'fail';
        continue;
      }
      const runtime = env.runtimes.find((r) => r.name === other.runtime)!;
      const dir = mkdtempSync(join(env.workDir, `${slug(runtime.name)}-cross-`));
      const { error } = await runCase(property, c, runtime, env.assets, dir, false);
      verdicts[other.runtime] = error === undefined ? 'pass' : 'fail';
    }
    if (new Set(Object.values(verdicts)).size > 1) {
      disagreements.push({ property: property.id, clause: found.failure!.clause, counterexample: found.failure!.counterexample, foundOn: found.runtime, bundle: found.failure!.bundle, verdicts });
    }
  }
  return disagreements;
}
