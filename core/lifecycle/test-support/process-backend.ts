import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants } from 'node:os';
import type { Spec } from '../../spec/config.js';
import type { LinuxResources } from '../../spec/resources.js';
import type { ContainerStats } from '../../spec/stats.js';
import type { Backend, ContainerContext, CreateContext, ExecRequest, ExecStarted } from '../../backend/backend.js';
import type { BackendDescriptor } from '../../backend/backend.js';

/** What ProcessBackend.stats answers, always: the test double measures nothing. */
export const processBackendStats: ContainerStats = { pids: { current: 1 }, memory: { usage: { usage: 4096, limit: 8192, failcnt: 0 } } };

/**
 * TEST DOUBLE for the engine-level tests, used because the native backend (issue 3) cannot run
 * containers yet. Its "container process" is a real, unisolated host process (`sleep`) so that
 * status, liveness and signals are real; it records every call so tests can assert the order
 * the core drives a backend in. It offers no isolation and must never be registered in berth.
 *
 * Its process-management verbs are stand-ins too: pause and resume are SIGSTOP and SIGCONT of
 * the container process (no cgroup freezer), exec spawns a host process (stdio ignored, so
 * tests observe it through its exit status or the files it writes), stats is a fixed record,
 * update only records the call, and OOM kills happen when a test calls simulateOom.
 */
export class ProcessBackend implements Backend {
  readonly calls: { op: string; id: string; detail?: unknown }[] = [];
  ownHooks = new Set<never>();
  /** Make the next create fail after it registered undo steps (to test unwinding). */
  failNextCreate = false;
  /** Run the create-phase hooks inside create once the process exists, at a sync point of its own (as native does). */
  runsCreateHooks = false;
  undone: string[] = [];
  /** The spec each create received (after any payload handler's changes). */
  readonly specs = new Map<string, Spec>();
  /** Record the process and a backend state through recordProgress once the process exists, then call this. */
  onProgress: ((id: string) => void) | undefined;
  /** The phase state.json held when each commit ran. */
  readonly committedAt: { id: string; phase: string }[] = [];
  /** Make the next commit fail (to test that create then destroys the container). */
  failNextCommit = false;
  /** The backend state each delete received. */
  readonly deletedStates = new Map<string, unknown>();
  /** When set, watchOom fails at once with it (to test that events carries on without OOM records). */
  oomWatchFailure: Error | undefined;
  private readonly children = new Map<string, { child: ChildProcess; exit: Promise<number> }>();
  private readonly execs = new Map<string, ChildProcess[]>();
  private readonly oomWatchers = new Map<string, () => void>();

  async create(ctx: CreateContext) {
    this.calls.push({ op: 'create', id: ctx.id, detail: ctx.options });
    this.specs.set(ctx.id, ctx.spec);
    ctx.undo.onUndo('first step', () => void this.undone.push(`${ctx.id}:first`));
    ctx.undo.onUndo('second step', () => void this.undone.push(`${ctx.id}:second`));
    if (this.failNextCreate) {
      this.failNextCreate = false;
      throw new Error('injected create failure');
    }
    // The process waits for a line on stdin (written by start) before it execs process.args:
    // the create/start split, without isolation.
    const child = spawn('/bin/sh', ['-c', 'read _ && exec "$@"', 'sh', ...(ctx.spec.process?.args ?? [])], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    child.unref();
    const { exit } = await started(child);
    if (this.onProgress) {
      ctx.recordProgress({ pid: child.pid!, backendState: { note: 'in progress' } });
      this.onProgress(ctx.id);
    }
    if (this.runsCreateHooks) {
      ctx.undo.onUndo('kill the process', () => {
        child.kill('SIGKILL');
        this.onDelete(ctx.id);
      });
      for (const kind of ['prestart', 'createRuntime', 'createContainer'] as const) await ctx.hooks.run(kind, child.pid!);
    }
    this.children.set(ctx.id, { child, exit });
    const commit = async () => {
      this.committedAt.push({ id: ctx.id, phase: JSON.parse(readFileSync(join(ctx.stateDir, 'state.json'), 'utf8')).phase });
      if (this.failNextCommit) {
        this.failNextCommit = false;
        throw new Error('injected commit failure');
      }
    };
    return { pid: child.pid!, backendState: { note: 'process-backend' }, commit };
  }

  async start(ctx: ContainerContext) {
    this.calls.push({ op: 'start', id: ctx.id });
    this.children.get(ctx.id)?.child.stdin!.end('\n');
  }

  async wait(ctx: ContainerContext) {
    this.calls.push({ op: 'wait', id: ctx.id });
    return this.children.get(ctx.id)!.exit;
  }

  async kill(ctx: ContainerContext, signal: number, options: { all: boolean }) {
    this.calls.push({ op: 'kill', id: ctx.id, detail: { signal, all: options.all } });
    process.kill(ctx.pid, signal);
  }

  /** Called when delete runs, so tests can order it against hooks. */
  onDelete: (id: string) => void = () => {};

  async delete(ctx: ContainerContext, options: { force: boolean }) {
    this.calls.push({ op: 'delete', id: ctx.id, detail: options });
    this.deletedStates.set(ctx.id, ctx.backendState);
    this.onDelete(ctx.id);
  }

  async pause(ctx: ContainerContext) {
    this.calls.push({ op: 'pause', id: ctx.id });
    process.kill(ctx.pid, 'SIGSTOP');
  }

  async resume(ctx: ContainerContext) {
    this.calls.push({ op: 'resume', id: ctx.id });
    process.kill(ctx.pid, 'SIGCONT');
  }

  async update(ctx: ContainerContext, resources: LinuxResources) {
    this.calls.push({ op: 'update', id: ctx.id, detail: resources });
  }

  async stats(ctx: ContainerContext) {
    this.calls.push({ op: 'stats', id: ctx.id });
    return structuredClone(processBackendStats);
  }

  async processes(ctx: ContainerContext) {
    this.calls.push({ op: 'processes', id: ctx.id });
    const running = (this.execs.get(ctx.id) ?? []).filter((c) => c.exitCode === null && c.signalCode === null);
    return [...running.map((c) => c.pid!), ctx.pid];
  }

  async exec(ctx: ContainerContext, request: ExecRequest): Promise<ExecStarted> {
    this.calls.push({ op: 'exec', id: ctx.id, detail: request });
    const [file, ...args] = request.process.args ?? [];
    const env = Object.fromEntries((request.process.env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
    const child = spawn(file!, args, { cwd: request.process.cwd, env, stdio: 'ignore', detached: request.detach });
    if (request.detach) child.unref();
    const { exit } = await started(child);
    this.execs.set(ctx.id, [...(this.execs.get(ctx.id) ?? []), child]);
    return { pid: child.pid!, wait: () => exit };
  }

  async watchOom(ctx: ContainerContext, onOom: () => void, signal: AbortSignal) {
    this.calls.push({ op: 'watchOom', id: ctx.id });
    if (this.oomWatchFailure) throw this.oomWatchFailure;
    this.oomWatchers.set(ctx.id, onOom);
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    this.oomWatchers.delete(ctx.id);
  }

  /** SIGKILL every exec'd process still running (test cleanup). */
  killExecs(): void {
    for (const child of [...this.execs.values()].flat()) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  /** What a backend does when the OOM killer strikes: tell whoever watches. False when nobody does. */
  simulateOom(id: string): boolean {
    const onOom = this.oomWatchers.get(id);
    onOom?.();
    return onOom !== undefined;
  }
}

/**
 * Resolves once the child runs, with its exit status to come (128+N for signal N). Node reaps it
 * when it dies, so no zombie lingers that /proc would show.
 */
async function started(child: ChildProcess): Promise<{ exit: Promise<number> }> {
  const exit = new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0))));
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  return { exit };
}

/** The same double with only the required methods: a backend that has none of the optional verbs. */
export function withoutOptionalVerbs(backend: ProcessBackend): Backend {
  return {
    ownHooks: backend.ownHooks,
    create: (ctx) => backend.create(ctx),
    start: (ctx) => backend.start(ctx),
    wait: (ctx) => backend.wait(ctx),
    kill: (ctx, signal, options) => backend.kill(ctx, signal, options),
    delete: (ctx, options) => backend.delete(ctx, options),
  };
}

export function processBackendDescriptor(backend: Backend, name = 'native'): BackendDescriptor {
  return { kind: 'backend', name, description: 'test double: unisolated host process', load: async () => backend };
}
