import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { RuntimeError, type ErrorKind } from '../errors/runtime-error.js';
import type { Status } from '../spec/state.js';
import { liveness } from '../state/process-identity.js';
import { formatState, queryState } from './state.js';
import { engineFixture } from './test-support/engine-fixture.js';

/**
 * Model-based test of the lifecycle engine against the spec's state machine (runtime.md) and
 * runc's paused state: random sequences of create/start/state/kill/delete/pause/resume/exec over
 * a few ids, each result and status compared with the model. The backend is the ProcessBackend
 * test double (a real, unisolated host process; pause is SIGSTOP), since the engine, not
 * isolation, is under test here.
 */
interface Model {
  status: Map<string, Status>;
  /** For a paused container, the status resume returns it to. */
  pausedFrom: Map<string, 'created' | 'running'>;
}
type Fixture = ReturnType<typeof engineFixture>;
interface Real {
  f: Fixture;
  bundle: string;
}

// Two ids: enough for one container's operations to meet another's, few enough that most commands find theirs.
const ids = ['a', 'b'] as const;

async function outcome(p: Promise<unknown>): Promise<ErrorKind | 'ok'> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof RuntimeError) return e.kind;
    throw e;
  }
}

/** `state` output, or undefined when the container does not exist. */
function stateText(f: Fixture, id: string): string | undefined {
  try {
    return formatState(queryState(f.store, id));
  } catch (e) {
    if (e instanceof RuntimeError && e.kind === 'CONTAINER_NOT_FOUND') return undefined;
    throw e;
  }
}

async function waitStopped(f: Fixture, id: string): Promise<void> {
  const init = f.store.read(id).init!;
  const deadline = Date.now() + 5000;
  while (liveness(init) === 'alive' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
}

/** A refused operation must leave `state` byte-identical. */
async function expectRefusedWithoutChange(f: Fixture, id: string, op: Promise<unknown>, kind: ErrorKind) {
  const before = stateText(f, id);
  expect(await outcome(op)).toBe(kind);
  expect(stateText(f, id)).toBe(before);
}

class CreateCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly id: string) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const exists = m.status.has(this.id);
    if (exists) {
      await expectRefusedWithoutChange(r.f, this.id, r.f.create.create(r.f.createRequest(this.id, r.bundle)), 'CONTAINER_EXISTS');
      return;
    }
    expect(await outcome(r.f.create.create(r.f.createRequest(this.id, r.bundle)))).toBe('ok');
    m.status.set(this.id, 'created');
  }
  toString = () => `create(${this.id})`;
}

class StartCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly id: string) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const status = m.status.get(this.id);
    if (status === undefined) return void expect(await outcome(r.f.start.start(this.id))).toBe('CONTAINER_NOT_FOUND');
    if (status !== 'created') return expectRefusedWithoutChange(r.f, this.id, r.f.start.start(this.id), 'INVALID_STATE');
    expect(await outcome(r.f.start.start(this.id))).toBe('ok');
    m.status.set(this.id, 'running');
  }
  toString = () => `start(${this.id})`;
}

class KillCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly id: string, readonly signal: number) {}
  // A SIGTERM to a paused container stays pending until resume (as with the cgroup freezer),
  // which the model does not track; SIGKILL ends even a SIGSTOPped process at once.
  check = (m: Readonly<Model>) => !(m.status.get(this.id) === 'paused' && this.signal !== 9);
  async run(m: Model, r: Real) {
    const status = m.status.get(this.id);
    if (status === undefined) return void expect(await outcome(r.f.kill.kill(this.id, this.signal, { all: false }))).toBe('CONTAINER_NOT_FOUND');
    if (status === 'stopped') return expectRefusedWithoutChange(r.f, this.id, r.f.kill.kill(this.id, this.signal, { all: false }), 'INVALID_STATE');
    expect(await outcome(r.f.kill.kill(this.id, this.signal, { all: false }))).toBe('ok');
    // sleep dies of both TERM and KILL: the container process exits, so the container is stopped.
    await waitStopped(r.f, this.id);
    m.status.set(this.id, 'stopped');
  }
  toString = () => `kill(${this.id}, ${this.signal})`;
}

class DeleteCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly id: string, readonly force: boolean) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const status = m.status.get(this.id);
    const op = () => r.f.del.delete(this.id, { force: this.force });
    if (status === undefined) return void expect(await outcome(op())).toBe(this.force ? 'ok' : 'CONTAINER_NOT_FOUND');
    if ((status === 'running' || status === 'paused') && !this.force) return expectRefusedWithoutChange(r.f, this.id, op(), 'INVALID_STATE');
    const init = r.f.store.read(this.id).init!;
    expect(await outcome(op())).toBe('ok');
    // Nothing created by create remains: no state, no process; the id is free again.
    expect(stateText(r.f, this.id)).toBeUndefined();
    expect(liveness(init)).not.toBe('alive');
    m.status.delete(this.id);
    m.pausedFrom.delete(this.id);
  }
  toString = () => `delete(${this.id}${this.force ? ', force' : ''})`;
}

class StateCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly id: string) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const status = m.status.get(this.id);
    const text = stateText(r.f, this.id);
    if (status === undefined) return void expect(text).toBeUndefined();
    const state = JSON.parse(text!);
    expect(state.status).toBe(status);
    expect(state.id).toBe(this.id);
    expect(state.pid > 0).toBe(status !== 'stopped');
    // Byte-identical while nothing changes.
    expect(stateText(r.f, this.id)).toBe(text);
  }
  toString = () => `state(${this.id})`;
}

/** The container process exits by itself (outside berth): the status must follow the process. */
class ExitCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly id: string) {}
  check = (m: Readonly<Model>) => ['created', 'running', 'paused'].includes(m.status.get(this.id) ?? '');
  async run(m: Model, r: Real) {
    process.kill(r.f.store.read(this.id).init!.pid, 'SIGKILL');
    await waitStopped(r.f, this.id);
    m.status.set(this.id, 'stopped');
  }
  toString = () => `exit(${this.id})`;
}

/** pause: from created or running; refused otherwise with the state unchanged. */
class PauseCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly id: string) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const status = m.status.get(this.id);
    if (status === undefined) return void expect(await outcome(r.f.pause.pause(this.id))).toBe('CONTAINER_NOT_FOUND');
    if (status !== 'created' && status !== 'running') return expectRefusedWithoutChange(r.f, this.id, r.f.pause.pause(this.id), 'INVALID_STATE');
    expect(await outcome(r.f.pause.pause(this.id))).toBe('ok');
    m.status.set(this.id, 'paused');
    m.pausedFrom.set(this.id, status);
  }
  toString = () => `pause(${this.id})`;
}

/** resume: from paused, back to where pause found it; refused otherwise with the state unchanged. */
class ResumeCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly id: string) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const status = m.status.get(this.id);
    if (status === undefined) return void expect(await outcome(r.f.pause.resume(this.id))).toBe('CONTAINER_NOT_FOUND');
    if (status !== 'paused') return expectRefusedWithoutChange(r.f, this.id, r.f.pause.resume(this.id), 'INVALID_STATE');
    expect(await outcome(r.f.pause.resume(this.id))).toBe('ok');
    m.status.set(this.id, m.pausedFrom.get(this.id)!);
    m.pausedFrom.delete(this.id);
  }
  toString = () => `resume(${this.id})`;
}

/** exec: in created or running it runs and its exit status comes back; refused (state unchanged) when paused or stopped. */
class ExecCmd implements fc.AsyncCommand<Model, Real> {
  constructor(readonly id: string, readonly exitStatus: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const status = m.status.get(this.id);
    const process = { cwd: '/', user: { uid: 0, gid: 0 }, env: ['PATH=/usr/bin:/bin'], args: ['/bin/sh', '-c', `exit ${this.exitStatus}`] };
    const op = () => r.f.exec.exec(this.id, { process, where: 'exec flags', detach: false, preserveFds: 0, passedFds: { count: 0, listen: 0, gaps: [] }, cgroups: [], ignorePaused: false });
    if (status === undefined) return void expect(await outcome(op())).toBe('CONTAINER_NOT_FOUND');
    if (status === 'paused' || status === 'stopped') return expectRefusedWithoutChange(r.f, this.id, op(), 'INVALID_STATE');
    const before = stateText(r.f, this.id);
    expect(await op()).toBe(this.exitStatus);
    expect(stateText(r.f, this.id)).toBe(before);
  }
  toString = () => `exec(${this.id}, exit ${this.exitStatus})`;
}

const id = fc.constantFrom(...ids);
const commands = [
  id.map((i) => new CreateCmd(i)),
  id.map((i) => new StartCmd(i)),
  fc.tuple(id, fc.constantFrom(9, 15)).map(([i, s]) => new KillCmd(i, s)),
  fc.tuple(id, fc.boolean()).map(([i, f]) => new DeleteCmd(i, f)),
  id.map((i) => new StateCmd(i)),
  id.map((i) => new ExitCmd(i)),
  id.map((i) => new PauseCmd(i)),
  id.map((i) => new ResumeCmd(i)),
  fc.tuple(id, fc.nat({ max: 3 })).map(([i, code]) => new ExecCmd(i, code)),
];

describe('lifecycle engine against the spec state machine', () => {
  let fixture: Fixture | undefined;
  afterEach(() => fixture?.cleanup());

  it('random create/start/state/kill/delete/pause/resume/exec sequences match the model', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 30, size: '+1' }), async (cmds) => {
        fixture?.cleanup();
        fixture = engineFixture();
        const real: Real = { f: fixture, bundle: fixture.bundle('b') };
        await fc.asyncModelRun(() => ({ model: { status: new Map(), pausedFrom: new Map() }, real }), cmds);
        // After the sequence, deleting everything leaves the root empty.
        for (const i of fixture.store.list()) await fixture.del.delete(i, { force: true });
        expect(fixture.store.list()).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });
});
