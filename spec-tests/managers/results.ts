import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RuntimeName } from './runtimes.js';

export type Manager = 'podman' | 'containerd';

export interface ScenarioResult {
  manager: Manager;
  scenario: string;
  runtime: RuntimeName;
  outcome: 'pass' | 'fail' | 'skip';
  /** For a fail or a skip: what a user would see, in a line (it becomes a footnote of the table). */
  detail?: string;
}

interface ResultsFile {
  /** The run that wrote these results: a later run starts the file afresh. */
  run: string;
  results: ScenarioResult[];
}

/** The committed results; the harness's own test points it elsewhere. */
export const resultsDir = process.env.BERTH_MANAGERS_RESULTS_DIR ?? join(dirname(fileURLToPath(import.meta.url)), 'results');

/**
 * Set once per `vitest` invocation by global-setup.ts, so all the files of one run append to one
 * list; a file run on its own (no global setup) gets a run of its own process.
 */
const currentRun = process.env.BERTH_MANAGERS_E2E_RUN ?? `pid-${process.pid}-${Date.now()}`;

/**
 * Appends one scenario's outcome on one runtime to `results/<manager>.json`, replacing an earlier
 * outcome of the same scenario and runtime in this run. Files run serially, so a plain
 * read-modify-write (with an atomic rename, so a reader never sees half a file) is enough.
 */
export function recordResult(result: ScenarioResult): void {
  const file = join(resultsDir, `${result.manager}.json`);
  const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ResultsFile) : undefined;
  const kept = previous?.run === currentRun ? previous.results : [];
  const results = kept.filter((r) => r.scenario !== result.scenario || r.runtime !== result.runtime);
  results.push(result.detail === undefined ? result : { ...result, detail: oneLine(result.detail) });
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(`${file}.tmp`, `${JSON.stringify({ run: currentRun, results } satisfies ResultsFile, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

/** A table cell holds one line: runtime errors often span several, with ANSI noise. */
function oneLine(text: string): string {
  const flat = text.replace(/\x1b\[[0-9;]*m/g, '').replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 297)}...` : flat;
}

/**
 * Runs one scenario's assertions on one runtime and records the outcome. A failure is recorded
 * with its message; it fails the test only for berth, the runtime CI checks, so runc's and crun's
 * failures show in the table without turning the suite red.
 */
export async function checkScenario(manager: Manager, scenario: string, runtime: RuntimeName, assertions: () => Promise<void> | void): Promise<void> {
  try {
    await assertions();
  } catch (error) {
    recordResult({ manager, scenario, runtime, outcome: 'fail', detail: error instanceof Error ? error.message : String(error) });
    if (runtime === 'berth') throw error;
    return;
  }
  recordResult({ manager, scenario, runtime, outcome: 'pass' });
}
