import { appendFileSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RuntimeError } from '../errors/runtime-error.js';
import type { Hook, HookKind } from '../spec/config.js';
import type { ContainerRecord } from '../state/container-record.js';
import { liveness } from '../state/process-identity.js';
import { formatState, queryState } from './state.js';
import { engineFixture } from './test-support/engine-fixture.js';
import { failure } from './test-support/failure.js';

/** Engine-level tests; the backend is the ProcessBackend test double (see process-backend.ts). */
let f: ReturnType<typeof engineFixture>;
afterEach(() => f?.cleanup());

function recordingHook(dir: string, kind: HookKind, extra = ''): Hook {
  return { path: '/bin/sh', args: ['sh', '-c', `cat > ${dir}/${kind}.json; echo ${kind} >> ${dir}/order${extra}`], env: ['PATH=/usr/bin:/bin'] };
}
const allKinds: HookKind[] = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'];


describe('create', () => {
  it('records a created container whose state is the OCI state plus runc extras', async () => {
    f = engineFixture();
    const bundle = f.bundle('b', (s) => void (s.annotations = { 'org.example/key': 'v' }));
    await f.create.create({ ...f.createRequest('c1', bundle), pidFile: join(f.dir, 'pid') });
    const state = queryState(f.store, 'c1');
    expect(Object.keys(state)).toEqual(['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', 'annotations', 'owner']);
    expect(state).toMatchObject({ id: 'c1', status: 'created', bundle, rootfs: join(bundle, 'rootfs'), annotations: { 'org.example/key': 'v' }, owner: '' });
    expect(readFileSync(join(f.dir, 'pid'), 'utf8')).toBe(String(state.pid));
    expect(liveness({ pid: state.pid, startTime: f.store.read('c1').init!.startTime })).toBe('alive');
  });

  it('refuses a second create of the same id with runc\'s text and changes nothing', async () => {
    f = engineFixture();
    const bundle = f.bundle('b');
    await f.create.create(f.createRequest('dup', bundle));
    const before = formatState(queryState(f.store, 'dup'));
    const e = await failure(f.create.create(f.createRequest('dup', bundle)));
    expect(e.kind).toBe('CONTAINER_EXISTS');
    expect(e.message).toContain('container with given ID already exists');
    expect(formatState(queryState(f.store, 'dup'))).toBe(before);
  });

  it('lets exactly one of many concurrent creates of one id win', async () => {
    f = engineFixture();
    const bundle = f.bundle('b');
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => f.create.create(f.createRequest('race', bundle))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) {
      expect((r.reason as RuntimeError).kind).toBe('CONTAINER_EXISTS');
    }
    expect(f.backend.calls.filter((c) => c.op === 'create')).toHaveLength(1);
  });

  it('rejects an invalid bundle with every problem and leaves nothing under the root', async () => {
    f = engineFixture();
    const bundle = f.bundle('bad', (s) => {
      s.process!.cwd = 'relative';
      s.process!.args = [];
    });
    const e = await failure(f.create.create(f.createRequest('bad', bundle)));
    expect(e.kind).toBe('INVALID_SPEC');
    expect(e.diagnostics.map((d) => d.pointer).sort()).toEqual(['/process/args', '/process/cwd']);
    expect(existsSync(f.root) ? readdirSync(f.root) : []).toEqual([]);
    expect(f.backend.calls).toEqual([]);
  });

  it('rejects an invalid id before touching anything', async () => {
    f = engineFixture();
    for (const id of ['', '..', 'a/b', '../escape']) {
      expect((await failure(f.create.create(f.createRequest(id, f.bundle('b'))))).kind).toBe('INVALID_ARGUMENT');
    }
    expect(existsSync(f.root)).toBe(false);
  });

  it('unwinds every undo step in reverse order when the backend fails', async () => {
    f = engineFixture();
    f.backend.failNextCreate = true;
    const e = await failure(f.create.create(f.createRequest('u1', f.bundle('b'))));
    expect(e.message).toBe('backend native: create failed: injected create failure');
    expect(f.backend.undone).toEqual(['u1:second', 'u1:first']);
    expect(readdirSync(f.root)).toEqual([]);
  });

  it('refuses a terminal without a console socket, and a console socket without a terminal', async () => {
    f = engineFixture();
    const tty = f.bundle('tty', (s) => void (s.process!.terminal = true));
    expect((await failure(f.create.create(f.createRequest('t1', tty)))).message).toContain('--console-socket is required');
    const req = f.createRequest('t2', f.bundle('b'));
    const e = await failure(f.create.create({ ...req, options: { ...req.options, consoleSocket: '/tmp/x.sock' } }));
    expect(e.message).toContain('--console-socket cannot be used');
    expect(existsSync(f.root) ? readdirSync(f.root) : []).toEqual([]);
  });
});

describe('status', () => {
  it('is stopped when the recorded pid now names another process (pid reuse)', async () => {
    f = engineFixture();
    await f.create.create(f.createRequest('reuse', f.bundle('b')));
    const record = f.store.read('reuse');
    // This test process's own pid, with a start time it does not have: a reused pid.
    f.store.write({ ...record, init: { pid: process.pid, startTime: '1' } });
    expect(queryState(f.store, 'reuse')).toMatchObject({ status: 'stopped', pid: 0 });
    f.store.write(record);
    expect(queryState(f.store, 'reuse').status).toBe('created');
  });

  it('reports a create whose berth process died half-way as stopped, and delete removes it', async () => {
    f = engineFixture();
    await f.create.create(f.createRequest('half', f.bundle('b')));
    const record = f.store.read('half');
    process.kill(record.init!.pid, 'SIGKILL');
    f.store.write({ ...record, phase: 'creating', creator: { pid: 999999, startTime: '1' }, init: undefined });
    expect(queryState(f.store, 'half').status).toBe('stopped');
    await f.del.delete('half', { force: false });
    expect(f.store.list()).toEqual([]);
  });

  it('records the container process and the backend\'s progress while creating: delete --force after a berth that died there kills and removes them', async () => {
    f = engineFixture();
    let left: ContainerRecord | undefined;
    f.backend.onProgress = (id) => (left = f.store.read(id));
    await f.create.create(f.createRequest('prog', f.bundle('b')));
    const pid = f.store.read('prog').init!.pid;
    expect(left).toMatchObject({ phase: 'creating', init: { pid }, backendState: { note: 'in progress' } });
    expect(liveness(left!.init!)).toBe('alive');
    // As if berth had been killed right there: the record it left, its creator gone.
    f.store.write({ ...left!, creator: { pid: 999999, startTime: '1' } });
    await f.del.delete('prog', { force: true });
    expect(liveness(left!.init!)).not.toBe('alive');
    expect(f.backend.deletedStates.get('prog')).toEqual({ note: 'in progress' });
    expect(f.store.list()).toEqual([]);
  });

  it('commits only once the record says created; a failing commit destroys the container and leaves no state', async () => {
    f = engineFixture();
    await f.create.create(f.createRequest('com', f.bundle('b')));
    expect(f.backend.committedAt).toEqual([{ id: 'com', phase: 'created' }]);
    f.backend.failNextCommit = true;
    const e = await failure(f.create.create(f.createRequest('com2', f.bundle('b'))));
    expect(e.message).toBe('backend native: commit failed: injected commit failure');
    expect(f.backend.calls.filter((c) => c.id === 'com2').map((c) => c.op)).toEqual(['create', 'delete']);
    expect(f.store.list()).toEqual(['com']);
  });
});

describe('hooks', () => {
  it('runs all six kinds once each, in lifecycle order, with the state JSON on stdin', async () => {
    f = engineFixture();
    const out = f.dir;
    const bundle = f.bundle('h', (s) => void (s.hooks = Object.fromEntries(allKinds.map((k) => [k, [recordingHook(out, k)]]))));
    await f.create.create(f.createRequest('h1', bundle));
    expect(readFileSync(join(out, 'order'), 'utf8').trim().split('\n')).toEqual(['prestart', 'createRuntime', 'createContainer']);
    await f.start.start('h1');
    const pid = queryState(f.store, 'h1').pid;
    await f.kill.kill('h1', 9, { all: false });
    while (queryState(f.store, 'h1').status !== 'stopped') await new Promise((r) => setTimeout(r, 5));
    await f.del.delete('h1', { force: false });
    expect(readFileSync(join(out, 'order'), 'utf8').trim().split('\n')).toEqual(allKinds);
    const seen = (k: HookKind) => JSON.parse(readFileSync(join(out, `${k}.json`), 'utf8'));
    expect(seen('createRuntime')).toEqual({ ociVersion: '1.3.0', id: 'h1', status: 'creating', pid, bundle });
    expect(seen('startContainer')).toMatchObject({ status: 'created', pid });
    expect(seen('poststart')).toMatchObject({ status: 'running', pid });
    expect(seen('poststop')).toEqual({ ociVersion: '1.3.0', id: 'h1', status: 'stopped', bundle });
  });

  it('without env, a hook inherits berth\'s environment (as runc does); with env, it gets exactly that', async () => {
    f = engineFixture();
    const out = join(f.dir, 'env');
    process.env.BERTH_TEST_MARK = 'inherited';
    const inherit: Hook = { path: '/bin/sh', args: ['sh', '-c', `echo "[$BERTH_TEST_MARK]" >> ${out}`] };
    const exact: Hook = { ...inherit, env: [] };
    await f.create.create(f.createRequest('h0', f.bundle('h', (s) => void (s.hooks = { createRuntime: [inherit, exact] }))));
    delete process.env.BERTH_TEST_MARK;
    expect(readFileSync(out, 'utf8')).toBe('[inherited]\n[]\n');
  });

  it('passes args as argv (args[0] is argv[0]) and env exactly', async () => {
    f = engineFixture();
    const out = join(f.dir, 'argv');
    // sh -c CMD NAME: NAME becomes $0; the shell's own argv[0] shows in /proc/$$/cmdline.
    const script = `{ tr '\\0' ' ' < /proc/$$/cmdline; echo; echo "$0 $FOO [$HOME]"; } > ${out}`;
    const hook: Hook = { path: '/bin/sh', args: ['custom-argv0', '-c', script, 'one'], env: ['FOO=bar'] };
    await f.create.create(f.createRequest('h2', f.bundle('h', (s) => void (s.hooks = { createRuntime: [hook] }))));
    const [cmdline, vars] = readFileSync(out, 'utf8').split('\n');
    expect(cmdline!.startsWith('custom-argv0 -c ')).toBe(true);
    expect(vars).toBe('one bar []');
  });

  it('a failing createRuntime hook fails create, destroys the container, runs poststop, and leaves no state', async () => {
    f = engineFixture();
    const out = f.dir;
    const bundle = f.bundle('h', (s) => {
      s.hooks = {
        createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', 'echo network setup failed >&2; exit 3'] }],
        poststop: [recordingHook(out, 'poststop')],
      };
    });
    f.backend.onDelete = () => appendFileSync(join(out, 'order'), 'backend delete\n');
    const e = await failure(f.create.create(f.createRequest('h3', bundle)));
    expect(e.kind).toBe('HOOK_FAILED');
    expect(e.message).toContain('createRuntime hook #0 (/bin/sh): exited with status 3: network setup failed');
    expect(readdirSync(f.root)).toEqual([]);
    // Destroyed first (step 12), then poststop (step 13).
    expect(readFileSync(join(out, 'order'), 'utf8').trim().split('\n')).toEqual(['backend delete', 'poststop']);
    expect(f.backend.calls.map((c) => c.op)).toEqual(['create', 'delete']);
  });

  it('a create-phase hook that fails inside the backend\'s create (native runs them at its sync point) destroys the container, then runs poststop', async () => {
    f = engineFixture();
    f.backend.runsCreateHooks = true;
    f.backend.onDelete = () => appendFileSync(join(f.dir, 'order'), 'backend undo\n');
    const bundle = f.bundle('h', (s) => void (s.hooks = { createContainer: [{ path: '/bin/false' }], poststop: [recordingHook(f.dir, 'poststop')] }));
    const e = await failure(f.create.create(f.createRequest('h8', bundle)));
    expect(e.message).toContain('createContainer hook #0 (/bin/false): exited with status 1');
    expect(readdirSync(f.root)).toEqual([]);
    // Destroyed first (step 12), then poststop (step 13), which sees the container stopped.
    expect(readFileSync(join(f.dir, 'order'), 'utf8').trim().split('\n')).toEqual(['backend undo', 'poststop']);
    expect(JSON.parse(readFileSync(join(f.dir, 'poststop.json'), 'utf8'))).toMatchObject({ id: 'h8', status: 'stopped' });
  });

  it('a failing poststart hook is an error that stops and destroys the container (runtime-spec v1.3)', async () => {
    f = engineFixture();
    const bundle = f.bundle('h', (s) => void (s.hooks = { poststart: [{ path: '/bin/false' }], poststop: [recordingHook(f.dir, 'poststop')] }));
    f.backend.onDelete = () => appendFileSync(join(f.dir, 'order'), 'backend delete\n');
    await f.create.create(f.createRequest('h4', bundle));
    const init = f.store.read('h4').init!;
    const e = await failure(f.start.start('h4'));
    expect(e.kind).toBe('HOOK_FAILED');
    expect(f.store.list()).toEqual([]);
    expect(liveness(init)).not.toBe('alive');
    expect(readFileSync(join(f.dir, 'order'), 'utf8').trim().split('\n')).toEqual(['backend delete', 'poststop']);
  });

  it('a failing startContainer hook fails start before the program runs and destroys the container', async () => {
    f = engineFixture();
    await f.create.create(f.createRequest('h5', f.bundle('h', (s) => void (s.hooks = { startContainer: [{ path: '/bin/false' }] }))));
    expect((await failure(f.start.start('h5'))).kind).toBe('HOOK_FAILED');
    expect(f.backend.calls.map((c) => c.op)).toEqual(['create', 'delete']);
    expect(f.store.list()).toEqual([]);
  });

  it('a failing poststop hook only warns: delete succeeds', async () => {
    f = engineFixture();
    await f.create.create(f.createRequest('h6', f.bundle('h', (s) => void (s.hooks = { poststop: [{ path: '/bin/false' }] }))));
    await f.del.delete('h6', { force: false });
    expect(f.store.list()).toEqual([]);
    expect(f.log.lines.some((l) => l.level === 'warning' && l.msg.includes('poststop hook #0 (/bin/false): exited with status 1'))).toBe(true);
  });

  it('after a failing poststop hook the remaining poststop hooks still run ("as if the hook had succeeded")', async () => {
    f = engineFixture();
    const hooks = [recordingHook(f.dir, 'poststop', '-first'), { path: '/bin/false' }, recordingHook(f.dir, 'poststop', '-last')];
    await f.create.create(f.createRequest('h9', f.bundle('h', (s) => void (s.hooks = { poststop: hooks }))));
    await f.del.delete('h9', { force: false });
    expect(readFileSync(join(f.dir, 'order-first'), 'utf8')).toBe('poststop\n');
    expect(readFileSync(join(f.dir, 'order-last'), 'utf8')).toBe('poststop\n');
    expect(f.log.lines.filter((l) => l.level === 'warning').map((l) => l.msg)).toEqual([expect.stringContaining('poststop hook #1 (/bin/false): exited with status 1')]);
  });

  it('kills a hook that outlives its timeout and fails the operation', async () => {
    f = engineFixture();
    const started = Date.now();
    const bundle = f.bundle('h', (s) => void (s.hooks = { prestart: [{ path: '/bin/sleep', args: ['sleep', '30'], timeout: 1 }] }));
    const e = await failure(f.create.create(f.createRequest('h7', bundle)));
    expect(e.message).toContain('prestart hook #0 (/bin/sleep): timed out after 1s and was killed');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(readdirSync(f.root)).toEqual([]);
  });

  it('a hook that cannot be executed is a clear error', async () => {
    f = engineFixture();
    const e = await failure(f.create.create(f.createRequest('h8', f.bundle('h', (s) => void (s.hooks = { createRuntime: [{ path: '/nonexistent/hook' }] })))));
    expect(e.message).toContain('/hooks/createRuntime/0: createRuntime hook #0 (/nonexistent/hook): cannot run');
  });
});

describe('delete', () => {
  it('kills a created container and deletes it without --force, as runc does', async () => {
    f = engineFixture();
    await f.create.create(f.createRequest('d1', f.bundle('b')));
    const init = f.store.read('d1').init!;
    await f.del.delete('d1', { force: false });
    expect(liveness(init)).not.toBe('alive');
    expect(f.store.list()).toEqual([]);
  });

  it('refuses a running container without --force with runc\'s message, and kills it with --force', async () => {
    f = engineFixture();
    await f.create.create(f.createRequest('d2', f.bundle('b')));
    await f.start.start('d2');
    const e = await failure(f.del.delete('d2', { force: false }));
    expect(e.message).toBe('cannot delete container d2 that is not stopped: running');
    await f.del.delete('d2', { force: true });
    expect(f.store.list()).toEqual([]);
  });

  it('of an unknown id fails with "does not exist", but succeeds with --force (containerd relies on it)', async () => {
    f = engineFixture();
    const e = await failure(f.del.delete('ghost', { force: false }));
    expect(e.kind).toBe('CONTAINER_NOT_FOUND');
    expect(e.message).toContain('does not exist');
    await f.del.delete('ghost', { force: true });
  });
});

describe('kill', () => {
  it('refuses a stopped container with "container not running"', async () => {
    f = engineFixture();
    await f.create.create(f.createRequest('k1', f.bundle('b')));
    process.kill(queryState(f.store, 'k1').pid, 'SIGKILL');
    while (queryState(f.store, 'k1').status !== 'stopped') await new Promise((r) => setTimeout(r, 5));
    const e = await failure(f.kill.kill('k1', 15, { all: false }));
    expect(e.message).toBe('k1: container not running');
  });

  it('passes --all through to the backend', async () => {
    f = engineFixture();
    await f.create.create(f.createRequest('k2', f.bundle('b')));
    await f.kill.kill('k2', 9, { all: true });
    expect(f.backend.calls.at(-1)).toMatchObject({ op: 'kill', detail: { signal: 9, all: true } });
  });
});
