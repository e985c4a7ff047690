import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { liveness } from '../state/process-identity.js';
import { formatState, queryState } from './state.js';
import { engineFixture } from './test-support/engine-fixture.js';
import { failure } from './test-support/failure.js';

/** pause and resume through the engine; ProcessBackend pauses with SIGSTOP (see process-backend.ts). */
let f: ReturnType<typeof engineFixture>;
afterEach(() => f?.cleanup());

/** The process state letter /proc shows: T while stopped by SIGSTOP. */
const procState = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0];
const stateText = (id: string) => formatState(queryState(f.store, id));

describe('pause and resume', () => {
  it('pause makes state report paused with the same pid, and the backend froze the process; resume makes it running again', async () => {
    f = engineFixture();
    const pid = await f.container('p1');
    await f.pause.pause('p1');
    expect(queryState(f.store, 'p1')).toMatchObject({ status: 'paused', pid });
    expect(procState(pid)).toBe('T');
    await f.pause.resume('p1');
    expect(queryState(f.store, 'p1')).toMatchObject({ status: 'running', pid });
    expect(procState(pid)).not.toBe('T');
    expect(f.backend.calls.filter((c) => c.op === 'pause' || c.op === 'resume').map((c) => c.op)).toEqual(['pause', 'resume']);
  });

  it('a created container can be paused (as with runc) and is created again after resume', async () => {
    f = engineFixture();
    await f.container('p2', { status: 'created' });
    await f.pause.pause('p2');
    expect(queryState(f.store, 'p2').status).toBe('paused');
    const start = await failure(f.start.start('p2'));
    expect(start.message).toBe('p2: cannot start a container in the paused state');
    await f.pause.resume('p2');
    expect(queryState(f.store, 'p2').status).toBe('created');
  });

  it.each([
    ['pause of a stopped container', 'stopped', 'pause', 'p3: container not running'],
    ['pause of a paused container', 'paused', 'pause', 'p3: container not running'],
    ['resume of a running container', 'running', 'resume', 'p3: container not paused'],
    ['resume of a created container', 'created', 'resume', 'p3: container not paused'],
    ['resume of a stopped container', 'stopped', 'resume', 'p3: container not paused'],
  ] as const)('%s is refused with runc\'s message, leaving state byte-identical and the backend uncalled', async (_, status, verb, message) => {
    f = engineFixture();
    await f.container('p3', { status: status === 'created' ? 'created' : 'running' });
    if (status === 'paused') await f.pause.pause('p3');
    if (status === 'stopped') await f.stop('p3');
    const before = stateText('p3');
    const calls = f.backend.calls.length;
    const e = await failure(f.pause[verb]('p3'));
    expect(e.kind).toBe('INVALID_STATE');
    expect(e.message).toBe(message);
    expect(stateText('p3')).toBe(before);
    expect(f.backend.calls.length).toBe(calls);
  });

  it('of an unknown id is refused with "does not exist"', async () => {
    f = engineFixture();
    for (const verb of ['pause', 'resume'] as const) {
      const e = await failure(f.pause[verb]('ghost'));
      expect(e.kind).toBe('CONTAINER_NOT_FOUND');
      expect(e.message).toBe('ghost: container does not exist');
    }
  });

  it('a backend without pause refuses it by name and leaves state byte-identical', async () => {
    f = engineFixture();
    await f.container('p4', { edit: (s) => (s.annotations = { 'run.berth.backend': 'minimal' }) });
    const before = stateText('p4');
    const e = await failure(f.pause.pause('p4'));
    expect(e.kind).toBe('UNSUPPORTED');
    expect(e.message).toBe('p4: the minimal backend does not support pause');
    expect(stateText('p4')).toBe(before);
  });

  it('kill reaches a paused container, and delete --force kills and thaws it (a frozen process would not die otherwise)', async () => {
    f = engineFixture();
    const pid = await f.container('p5');
    await f.pause.pause('p5');
    await f.kill.kill('p5', 15, { all: false });
    expect(f.backend.calls.at(-1)).toMatchObject({ op: 'kill', detail: { signal: 15 } });
    const refused = await failure(f.del.delete('p5', { force: false }));
    expect(refused.message).toBe('cannot delete container p5 that is not stopped: paused');

    const init = f.store.read('p5').init!;
    await f.del.delete('p5', { force: true });
    expect(liveness(init)).not.toBe('alive');
    expect(f.store.list()).toEqual([]);
    const ops = f.backend.calls.map((c) => c.op);
    expect(ops.slice(ops.lastIndexOf('pause') + 1)).toEqual(['kill', 'resume', 'delete']);
    expect(pid).toBe(init.pid);
  });
});

describe('a paused container whose process died', () => {
  it('is stopped, and delete removes it without trying to resume it', async () => {
    f = engineFixture();
    await f.container('p6');
    await f.pause.pause('p6');
    await f.stop('p6');
    expect(queryState(f.store, 'p6').status).toBe('stopped');
    await f.del.delete('p6', { force: false });
    expect(f.store.list()).toEqual([]);
    expect(f.backend.calls.map((c) => c.op).slice(-2)).toEqual(['pause', 'delete']);
  });
});
