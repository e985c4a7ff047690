import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runToEnd } from '../conformance/run-to-end.js';
import type { CampaignTotals } from './campaign.js';

/**
 * CI: a bounded fuzz campaign against this checkout's berth (dist/fuzz.cjs, root: containers are
 * real), with a fixed seed and about 75 s of cases. Every case must be a refusal naming its
 * field or argument, or a container that agrees with its config, with no residue; a failure
 * shows its shrunk case and the replay.sh that reproduces it. The long campaign is
 * `npm run fuzz -- --cases 10000 --seed N` (docs/fuzzing.md: `npm run fuzz:docs`).
 */

const repo = join(import.meta.dirname, '..', '..');
const fuzz = join(repo, 'dist', 'fuzz.cjs');
const skipReason = process.getuid?.() !== 0 ? 'needs root: containers are real' : !existsSync(fuzz) ? 'needs the build (npm run build)' : !existsSync('/bin/busybox') ? 'needs busybox-static' : '';
const suite = skipReason ? describe.skip : describe;
const out = mkdtempSync(join(tmpdir(), 'berth-fuzz-ci-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));


suite(`the fuzz campaign against berth${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('every case is a named refusal or an observed container, with no residue (seed 11, 75 s)', async () => {
    const run = await runToEnd('node', [fuzz, '--seed', '11', '--cases', '100000', '--budget', '75', '--jobs', '2', '--shrink', '15', '--timeout', '20', '--out', out], 230_000);
    expect(run.stderr).toBe('');
    const totals = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as CampaignTotals;
    const failures = totals.failures.map((f) => `${f.crash}: ${f.message.slice(0, 300)} (${f.count} cases; shrunk: ${f.case.slice(0, 300)}; replay: sh ${join(out, f.bundle, 'replay.sh')})`);
    expect(failures).toEqual([]);
    expect({ crashes: totals.crashes, residue: totals.residue, status: run.status }).toEqual({ crashes: 0, residue: 0, status: 0 });
    // The campaign ran for real: cases of both endings.
    expect(totals.cases).toBeGreaterThan(100);
    expect(totals.observed).toBeGreaterThan(5);
    expect(Object.values(totals.refusals).reduce((a, b) => a + b, 0)).toBeGreaterThan(50);
  }, 240_000);
});
