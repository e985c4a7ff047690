import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Process } from '../spec/config.js';
import { liveness } from '../state/process-identity.js';
import type { ExecOptions } from './exec.js';
import { formatState, queryState } from './state.js';
import { engineFixture } from './test-support/engine-fixture.js';
import { failure } from './test-support/failure.js';

/** exec through the engine; ProcessBackend runs the process on the host (see process-backend.ts). */
let f: ReturnType<typeof engineFixture>;
afterEach(() => f?.cleanup());

const shell = (script: string): Process => ({ cwd: '/', user: { uid: 0, gid: 0 }, env: ['PATH=/usr/bin:/bin'], args: ['/bin/sh', '-c', script] });
const options = (process: Process, over: Partial<ExecOptions> = {}): ExecOptions => ({ process, where: 'exec flags', detach: false, preserveFds: 0, passedFds: { count: 0, listen: 0, gaps: [] }, cgroups: [], ignorePaused: false, ...over });
const stateText = (id: string) => formatState(queryState(f.store, id));

describe('exec', () => {
  it('runs the process and resolves to its exit status, leaving the container running', async () => {
    f = engineFixture();
    await f.container('e1');
    const marker = join(f.dir, 'ran');
    expect(await f.exec.exec('e1', options(shell(`echo "$0" > ${marker}; exit 3`)))).toBe(3);
    expect(readFileSync(marker, 'utf8')).toBe('/bin/sh\n');
    expect(queryState(f.store, 'e1').status).toBe('running');
  });

  it('reports a signal as 128+N', async () => {
    f = engineFixture();
    await f.container('e2');
    expect(await f.exec.exec('e2', options(shell('kill -KILL $$')))).toBe(137);
  });

  it('--detach returns 0 at once and writes the process\'s pid to --pid-file; the process keeps running', async () => {
    f = engineFixture();
    await f.container('e3');
    const pidFile = join(f.dir, 'exec.pid');
    expect(await f.exec.exec('e3', options(shell('sleep 30'), { detach: true, pidFile }))).toBe(0);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(pid).toBeGreaterThan(0);
    expect(existsSync(`/proc/${pid}`)).toBe(true);
    expect(f.backend.calls.at(-1)).toMatchObject({ op: 'exec', detail: { detach: true } });
    expect(await f.ps.processes('e3')).toEqual([queryState(f.store, 'e3').pid, pid].sort((a, b) => a - b));
  });

  it('passes the request through to the backend without berth\'s own options', async () => {
    f = engineFixture();
    await f.container('e4');
    await f.exec.exec('e4', options(shell('true'), { consoleSocket: '/tmp/none.sock', preserveFds: 0, passedFds: { count: 0, listen: 0, gaps: [] }, cgroups: ['memory:sub'], pidFile: join(f.dir, 'p') }));
    expect(f.backend.calls.at(-1)!.detail).toEqual({ process: shell('true'), detach: false, consoleSocket: '/tmp/none.sock', preserveFds: 0, passedFds: { count: 0, listen: 0, gaps: [] }, cgroups: ['memory:sub'] });
  });

  it('is allowed in a created container, as in runc', async () => {
    f = engineFixture();
    await f.container('e5', { status: 'created' });
    expect(await f.exec.exec('e5', options(shell('exit 0')))).toBe(0);
    expect(queryState(f.store, 'e5').status).toBe('created');
  });

  it('in a paused container is refused with "container paused", unless --ignore-paused', async () => {
    f = engineFixture();
    await f.container('e6');
    await f.pause.pause('e6');
    const before = stateText('e6');
    const e = await failure(f.exec.exec('e6', options(shell('exit 0'))));
    expect(e.kind).toBe('INVALID_STATE');
    expect(e.message).toBe('e6: cannot exec in a paused container (use --ignore-paused to override)');
    expect(stateText('e6')).toBe(before);
    expect(await f.exec.exec('e6', options(shell('exit 5'), { ignorePaused: true }))).toBe(5);
  });

  it('in a stopped container is refused with runc\'s message', async () => {
    f = engineFixture();
    await f.container('e7');
    await f.stop('e7');
    const e = await failure(f.exec.exec('e7', options(shell('exit 0'))));
    expect(e.kind).toBe('INVALID_STATE');
    expect(e.message).toBe('e7: cannot exec in a stopped container');
    expect(f.backend.calls.some((c) => c.op === 'exec')).toBe(false);
  });

  it('of an unknown id is refused with "does not exist"', async () => {
    f = engineFixture();
    expect((await failure(f.exec.exec('ghost', options(shell('true'))))).message).toBe('ghost: container does not exist');
  });

  it('refuses an invalid process with every problem, pointers relative to the process, naming where it came from', async () => {
    f = engineFixture();
    await f.container('e8');
    const e = await failure(f.exec.exec('e8', options({ ...shell('true'), cwd: 'relative', args: [] }, { where: '/tmp/process.json' })));
    expect(e.kind).toBe('INVALID_SPEC');
    expect(e.message).toMatch(/^invalid \/tmp\/process\.json: 2 problems: /);
    expect(e.diagnostics.map((d) => d.pointer).sort()).toEqual(['/args', '/cwd']);
    expect(f.backend.calls.some((c) => c.op === 'exec')).toBe(false);
  });

  it('refuses --tty --detach without a console socket: the terminal would have nowhere to go', async () => {
    f = engineFixture();
    await f.container('e9');
    const e = await failure(f.exec.exec('e9', options({ ...shell('true'), terminal: true }, { detach: true })));
    expect(e.kind).toBe('USAGE');
    expect(e.message).toContain('needs --console-socket');
  });

  it('holds the container\'s lock only while the process starts: other operations run while it does', async () => {
    f = engineFixture();
    await f.container('e10');
    const running = f.exec.exec('e10', options(shell('sleep 1')));
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await f.pause.pause('e10');
    await f.pause.resume('e10');
    expect(Date.now() - started).toBeLessThan(500);
    expect(await running).toBe(0);
  });

  it('a backend without exec refuses it by name', async () => {
    f = engineFixture();
    await f.container('e11', { edit: (s) => (s.annotations = { 'run.berth.backend': 'minimal' }) });
    const e = await failure(f.exec.exec('e11', options(shell('true'))));
    expect(e.kind).toBe('UNSUPPORTED');
    expect(e.message).toBe('e11: the minimal backend does not support exec');
    expect(liveness(f.store.read('e11').init!)).toBe('alive');
  });
});
