import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { berthBin, runBerth } from '../cli/test-support/run-berth.js';
import { faultFor, faultPoint } from './fault-injection.js';

/** BERTH_FAULT is test-only: without it every point is a no-op; with it, exactly the named one stops the process dead. */
const saved = process.env.BERTH_FAULT;
afterEach(() => {
  if (saved === undefined) delete process.env.BERTH_FAULT;
  else process.env.BERTH_FAULT = saved;
});

describe('BERTH_FAULT', () => {
  it('unset, or naming another point, changes nothing', () => {
    delete process.env.BERTH_FAULT;
    faultPoint('create:after-claim');
    expect(faultFor('plan')).toBeUndefined();
    process.env.BERTH_FAULT = 'create:after-record';
    faultPoint('create:after-claim');
    faultPoint('create:after-record-x');
    expect(faultFor('plan')).toBeUndefined();
  });

  it('kills berth with SIGKILL at the named step of create, leaving what delete --force removes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-fault-'));
    try {
      const bundle = join(dir, 'bundle');
      mkdirSync(join(bundle, 'rootfs'), { recursive: true });
      expect(runBerth(['spec', '-b', bundle]).code).toBe(0);
      const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
      writeFileSync(join(bundle, 'config.json'), JSON.stringify({ ...config, process: { ...config.process, terminal: false } }));
      const root = join(dir, 'root');
      const env: NodeJS.ProcessEnv = { ...process.env, BERTH_FAULT: 'create:after-record' };
      delete env.NODE_EXTRA_CA_CERTS;
      const run = spawnSync(process.execPath, [berthBin, '--root', root, 'create', '-b', bundle, 'f1'], { env, encoding: 'utf8' });
      expect({ signal: run.signal, stderr: run.stderr }).toEqual({ signal: 'SIGKILL', stderr: '' });
      // Killed after the record was written and before the backend ran.
      expect(JSON.parse(readFileSync(join(root, 'f1', 'state.json'), 'utf8'))).toMatchObject({ id: 'f1', phase: 'creating' });
      expect(runBerth(['--root', root, 'delete', '--force', 'f1'])).toEqual({ code: 0, stdout: '', stderr: '' });
      expect(readdirSync(root)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hands a backend the point in its own scope', () => {
    process.env.BERTH_FAULT = 'plan:child:12';
    expect(faultFor('plan')).toBe('child:12');
    expect(faultFor('create')).toBeUndefined();
  });
});
