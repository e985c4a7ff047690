import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runToEnd } from './run-to-end.js';
import type { SuiteResults } from './report/results.js';

/**
 * CI: the conformance suite against this checkout's berth, through `berth conformance`, with a
 * fixed seed and a budget under a minute. It fails when berth has a deviation that
 * deviations.md does not explain: fix berth, or explain why it deviates on purpose.
 */

const repo = join(import.meta.dirname, '..', '..');
const berth = join(repo, 'dist', 'berth.cjs');
const skipReason =
  process.getuid?.() !== 0 ? 'needs root: containers are real' : !existsSync(berth) ? 'needs the build (npm run build)' : !existsSync('/bin/busybox') ? 'needs busybox-static for payload shells' : '';
const suite = skipReason ? describe.skip : describe;
const out = mkdtempSync(join(tmpdir(), 'berth-conformance-ci-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));


suite(`the conformance suite against berth${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('finds no deviation in berth that deviations.md does not explain (seed 6, 45 s)', async () => {
    // Not spawnSync: a worker blocked for a minute cannot answer vitest's own calls.
    const run = await runToEnd('node', [berth, 'conformance', '--runtime', join(import.meta.dirname, 'berth-runtime.sh'), '--seed', '6', '--budget', '45', '--runs', '4', '--out', out], 150_000);
    expect(run.stdout.split('\n')[0]).toBe('TAP version 14');
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as SuiteResults;
    const unexplained = results.results.filter((r) => r.verdict === 'fail' && !r.explained).map((r) => `${r.property}: ${r.failure?.message} (case: ${r.failure?.counterexample}; replay: sh ${join(out, r.failure?.bundle ?? '')}/replay.sh)`);
    expect(unexplained).toEqual([]);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    // Every property ran at least one case on berth (berth lists run, and busybox is there).
    expect(results.results.filter((r) => r.verdict === 'skip' || r.numRuns === 0).map((r) => r.property)).toEqual([]);
    expect(readFileSync(join(out, 'results.md'), 'utf8')).toContain('| property | checks | berth |');
  }, 180_000);
});
