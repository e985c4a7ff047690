import { afterEach, describe, expect, it } from 'vitest';
import type { PayloadHandlerDescriptor } from '../backend/backend.js';
import { queryState } from './state.js';
import { engineFixture } from './test-support/engine-fixture.js';

/** `run` and payload handlers at engine level; the backend is the ProcessBackend test double. */
let f: ReturnType<typeof engineFixture>;
afterEach(() => f?.cleanup());

const runRequest = (id: string, bundle: string, detach = false, keep = false) => ({ ...f.createRequest(id, bundle), detach, keep });

describe('run', () => {
  it('in the foreground returns the container\'s exit status and deletes it', async () => {
    f = engineFixture();
    expect(await f.run.run(runRequest('r1', f.bundle('b', (s) => void (s.process!.args = ['sh', '-c', 'exit 3']))))).toBe(3);
    expect(f.store.list()).toEqual([]);
    expect(f.backend.calls.map((c) => c.op)).toEqual(['create', 'start', 'wait', 'delete']);
  });

  it('reports death by signal N as 128+N, as a shell does', async () => {
    f = engineFixture();
    expect(await f.run.run(runRequest('r2', f.bundle('b', (s) => void (s.process!.args = ['sh', '-c', 'kill -TERM $$']))))).toBe(143);
  });

  it('with --keep leaves the stopped container for the caller to delete', async () => {
    f = engineFixture();
    expect(await f.run.run(runRequest('r3', f.bundle('b', (s) => void (s.process!.args = ['true'])), false, true))).toBe(0);
    expect(queryState(f.store, 'r3').status).toBe('stopped');
  });

  it('forwards a signal berth receives to the container', async () => {
    f = engineFixture();
    const exit = f.run.run(runRequest('r4', f.bundle('b')));
    while (!f.backend.calls.some((c) => c.op === 'wait')) await new Promise((r) => setTimeout(r, 5));
    process.emit('SIGINT', 'SIGINT');
    expect(await exit).toBe(130);
    expect(f.backend.calls.find((c) => c.op === 'kill')).toMatchObject({ detail: { signal: 2, all: false } });
  });

  it('detached returns 0 with the container running', async () => {
    f = engineFixture();
    expect(await f.run.run(runRequest('r5', f.bundle('b'), true))).toBe(0);
    expect(queryState(f.store, 'r5').status).toBe('running');
    expect(f.backend.calls.map((c) => c.op)).toEqual(['create', 'start']);
  });
});

describe('payload handlers', () => {
  const wasmLike: PayloadHandlerDescriptor = {
    kind: 'payload',
    name: 'engine',
    description: 'test payload handler: replaces the final exec',
    load: async () => ({
      prepare: async ({ spec }) => ({
        args: ['/engine/run', ...(spec.process?.args ?? [])],
        env: ['ENGINE=1'],
        mounts: [{ destination: '/engine', type: 'bind', source: '/usr/lib/engine', options: ['rbind', 'ro'] }],
      }),
    }),
  };

  it('runs on the isolation backend with only args, env and mounts replaced, and is recorded', async () => {
    f = engineFixture([wasmLike]);
    const bundle = f.bundle('p', (s) => {
      s.annotations = { 'run.berth.backend': 'engine' };
      s.process!.args = ['/app/module.wasm'];
      s.process!.env = ['A=1'];
    });
    await f.create.create(f.createRequest('p1', bundle));
    const seen = f.backend.specs.get('p1')!;
    expect(seen.process!.args).toEqual(['/engine/run', '/app/module.wasm']);
    expect(seen.process!.env).toEqual(['A=1', 'ENGINE=1']);
    expect(seen.mounts!.at(-1)).toEqual({ destination: '/engine', type: 'bind', source: '/usr/lib/engine', options: ['rbind', 'ro'] });
    expect(f.store.read('p1').backend).toEqual({ name: 'native', payload: 'engine', reason: 'annotation run.berth.backend' });
    // The frozen config is the user's, untouched.
    expect((f.store.readFrozenConfig('p1') as { process: { args: string[] } }).process.args).toEqual(['/app/module.wasm']);
  });
});
