import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

// The harness the managers' suites record through (runs in `npm test`: no root, no manager).
const scratch = mkdtempSync(join(tmpdir(), 'berth-managers-harness-'));
process.env.BERTH_MANAGERS_RESULTS_DIR = join(scratch, 'results');
const { recordResult, checkScenario } = await import('./results.js');
const { runtimes } = await import('./runtimes.js');

function renderTable(): string {
  const out = join(scratch, 'compatibility.md');
  execFileSync(process.execPath, [join(import.meta.dirname, 'compatibility-table.mjs'), '--results', join(scratch, 'results'), '--out', out]);
  return readFileSync(out, 'utf8');
}

describe('managers harness', () => {
  it('offers berth as an executable named berth, then runc and crun', () => {
    expect(runtimes.map((r) => r.name)).toEqual(['berth', 'runc', 'crun']);
    expect(runtimes[0].path).toMatch(/\/berth$/);
    expect(readFileSync(runtimes[0].path, 'utf8')).toContain('dist/berth.cjs');
  });

  it('tables each scenario against berth, runc and crun, with details as numbered notes', () => {
    recordResult({ manager: 'podman', scenario: 'run --rm echo hi', runtime: 'berth', outcome: 'pass' });
    recordResult({ manager: 'podman', scenario: 'run --rm echo hi', runtime: 'runc', outcome: 'fail', detail: 'Error: boom\n  at | here' });
    recordResult({ manager: 'containerd', scenario: 'ctr run --rm', runtime: 'crun', outcome: 'skip', detail: 'no crun' });
    // A second outcome of the same scenario and runtime replaces the first.
    recordResult({ manager: 'podman', scenario: 'run --rm echo hi', runtime: 'berth', outcome: 'pass' });
    const table = renderTable();
    expect(table).toContain('| `run --rm echo hi` | pass | **fail** [1] | not run |');
    expect(table).toContain('| `ctr run --rm` | not run | not run | **skip** [2] |');
    expect(table).toContain('1. runc, podman `run --rm echo hi`: Error: boom at | here');
    expect(table.indexOf('## podman')).toBeLessThan(table.indexOf('## containerd'));
  });

  it('starts a manager\'s results afresh in a new run', async () => {
    process.env.BERTH_MANAGERS_E2E_RUN = 'a later run';
    vi.resetModules();
    const { recordResult: recordInLaterRun } = await import('./results.js');
    recordInLaterRun({ manager: 'podman', scenario: 'run -d', runtime: 'berth', outcome: 'pass' });
    const podman = JSON.parse(readFileSync(join(scratch, 'results', 'podman.json'), 'utf8'));
    expect(podman).toEqual({ run: 'a later run', results: [{ manager: 'podman', scenario: 'run -d', runtime: 'berth', outcome: 'pass' }] });
  });
});

describe('checkScenario', () => {
  it('records a runc or crun failure without failing, and fails on a berth failure', async () => {
    const failing = () => {
      throw new Error('exit status 1');
    };
    await checkScenario('containerd', 'ctr task ps', 'runc', failing);
    await expect(checkScenario('containerd', 'ctr task ps', 'berth', failing)).rejects.toThrow('exit status 1');
    await checkScenario('containerd', 'ctr task ps', 'crun', () => {});
    const containerd = JSON.parse(readFileSync(join(scratch, 'results', 'containerd.json'), 'utf8'));
    const psResults = containerd.results.filter((r: { scenario: string }) => r.scenario === 'ctr task ps');
    expect(psResults.map((r: { runtime: string; outcome: string }) => `${r.runtime} ${r.outcome}`)).toEqual(['runc fail', 'berth fail', 'crun pass']);
  });
});
