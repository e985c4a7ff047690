import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

// Stand-in for the shared manager harness (issue 5): same name and signature; the harness's own
// version (and its generator of docs/compatibility.md) replaces this file at merge.

export interface ScenarioResult {
  manager: 'podman' | 'containerd';
  scenario: string;
  runtime: 'berth' | 'runc' | 'crun';
  outcome: 'pass' | 'fail' | 'skip';
  detail?: string;
}

const resultsDir = join(import.meta.dirname, '..', '..', 'dist', 'e2e-results');

/** One line of JSON per outcome, for the compatibility table. */
export function recordResult(result: ScenarioResult): void {
  mkdirSync(resultsDir, { recursive: true });
  appendFileSync(join(resultsDir, `${result.manager}.jsonl`), `${JSON.stringify(result)}\n`);
}
