import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clauses } from './clauses.js';
import { renderReplay, shellQuote, type ReplayInput } from './replay.js';

const input = (caseDir: string, runtimePath: string, trace: ReplayInput['trace']): ReplayInput => ({
  runtimePath,
  runtimeName: 'fake',
  caseDir,
  root: join(caseDir, 'root'),
  propertyId: 'lifecycle/state-machine',
  clause: clauses.deleteNotStopped,
  message: 'delete(c1) on a container that is created: exit 0',
  seed: 7,
  counterexample: 'create(c1, sleeper), delete(c1)',
  ids: ['c1'],
  trace,
});

describe('shellQuote', () => {
  it('any string survives a round trip through sh', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }).filter((s) => !s.includes('\0')), (s) => {
        const echoed = spawnSync('sh', ['-c', `printf %s ${shellQuote(s)}`], { encoding: 'utf8' });
        expect(echoed.stdout).toBe(s);
      }),
      { numRuns: 50 },
    );
  });
});

describe('renderReplay', () => {
  it('replays the calls in order against the runtime given, with paths relative to where the script lies, and cleans up', () => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-test-'));
    try {
      // A fake runtime that logs its arguments: what replay.sh runs is exactly what the suite ran.
      const log = join(dir, 'calls.log');
      const fake = join(dir, 'fake-runtime');
      writeFileSync(fake, `#!/bin/sh\necho "$*" >> ${log}\n[ "$3" = state ] && echo '{"status": "stopped"}'\nexit 0\n`);
      chmodSync(fake, 0o755);
      const caseDir = join(dir, 'case with space');
      const script = renderReplay(
        input(caseDir, '/not/the/runtime', [
          { kind: 'runtime', args: ['create', '--bundle', caseDir, 'c1'], stdoutPath: '', stderrPath: '', exitCode: 0, background: false },
          { kind: 'sleep', seconds: 0.1, why: 'a payload gets ready' },
          { kind: 'wait-status', id: 'c1', statuses: ['stopped'] },
          { kind: 'note', text: 'then delete' },
          { kind: 'runtime', args: ['delete', "it's"], stdoutPath: '', stderrPath: '', exitCode: 0, background: false },
        ]),
      );
      expect(script).toContain('# Spec: runtime.md, Delete: "Attempting to `delete` a container that is not `stopped`');
      expect(script).toContain('step create --bundle "$here" c1  # the suite saw exit 0');
      expect(script).not.toContain(caseDir);
      // Moved elsewhere, it still replays relative to its own directory.
      const moved = join(dir, 'moved');
      spawnSync('mkdir', ['-p', moved]);
      writeFileSync(join(moved, 'replay.sh'), script);
      const run = spawnSync('sh', [join(moved, 'replay.sh'), fake], { encoding: 'utf8' });
      expect(run.status).toBe(0);
      expect(run.stdout).toContain('[1] create --bundle');
      expect(spawnSync('cat', [log], { encoding: 'utf8' }).stdout.split('\n')).toEqual([
        `--root ${moved}/root create --bundle ${moved} c1`,
        `--root ${moved}/root state c1`,
        `--root ${moved}/root delete it's`,
        `--root ${moved}/root delete --force c1`,
        '',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
