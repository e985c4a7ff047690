import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { clauses } from './clauses.js';
import { conformanceMain } from './main.js';
import type { SuiteResults } from './report/results.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (t: string) => void (out.stdout += t), stderr: (t: string) => void (out.stderr += t) } };
}

describe('conformanceMain', () => {
  it('usage errors exit 2 with the usage; --help exits 0', async () => {
    dir = mkdtempSync(join(tmpdir(), 'conformance-main-'));
    const bad = capture();
    expect(await conformanceMain(['--runs', 'x'], bad.io)).toBe(2);
    expect(bad.out.stderr).toContain('conformance: --runs: expected a positive integer, got "x"');
    expect(bad.out.stderr).toContain('usage: conformance --runtime PATH');
    const help = capture();
    expect(await conformanceMain(['--help'], help.io)).toBe(0);
    expect(help.out.stdout).toContain('--from-results');
  });

  it('--from-results renders results.md and the docs page again, explaining failures with today\'s deviations.md, and keeps the run\'s own arguments', async () => {
    dir = mkdtempSync(join(tmpdir(), 'conformance-main-'));
    const results: SuiteResults = {
      suite: 'berth-conformance',
      argv: ['--runtime', '/usr/sbin/runc', '--seed', '5'],
      seed: 5,
      budgetSeconds: 60,
      runs: 10,
      startedAt: '2026-01-02T03:04:05.000Z',
      durationMs: 1000,
      ociVersion: '1.0.2',
      runtimes: [{ path: '/usr/sbin/runc', name: 'runc', version: '1.1.5', verbs: ['run'], ociVersions: {} }],
      properties: [{ id: 'config/hostname', group: 'config', title: 'the hostname is set', clauses: [clauses.hostname] }],
      results: [{ runtime: 'runc', property: 'config/hostname', group: 'config', verdict: 'fail', numRuns: 1, seed: 5, durationMs: 10, interrupted: false, explained: false, failure: { clause: clauses.hostname, message: 'no', counterexample: 'x', numShrinks: 0, path: null, reproduced: true } }],
      disagreements: [],
    };
    writeFileSync(join(dir, 'results.json'), JSON.stringify(results));
    const notes = join(dir, 'deviations.md');
    writeFileSync(notes, '### runc: config/hostname\n\nrunc has reasons.\n');
    const { out, io } = capture();
    const docs = join(dir, 'page.md');
    expect(await conformanceMain(['--from-results', join(dir, 'results.json'), '--out', join(dir, 'out'), '--deviations', notes, '--docs', docs], io)).toBe(0);
    expect(out.stdout).toContain('0 unexplained deviations');
    expect(readFileSync(join(dir, 'out', 'results.md'), 'utf8')).toContain('runc has reasons.');
    expect(readFileSync(docs, 'utf8')).toContain('arguments: `--runtime /usr/sbin/runc --seed 5`');
    writeFileSync(notes, '');
    expect(await conformanceMain(['--from-results', join(dir, 'results.json'), '--out', join(dir, 'out'), '--deviations', notes], capture().io)).toBe(1);
  });
});
