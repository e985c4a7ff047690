import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import type { Spec } from '../../spec/config.js';
import type { Backend, ContainerContext, CreateContext } from '../../backend/backend.js';
import type { BackendDescriptor } from '../../backend/backend.js';

/**
 * TEST DOUBLE for the engine-level tests, used because the native backend (issue 3) cannot run
 * containers yet. Its "container process" is a real, unisolated host process (`sleep`) so that
 * status, liveness and signals are real; it records every call so tests can assert the order
 * the core drives a backend in. It offers no isolation and must never be registered in berth.
 */
export class ProcessBackend implements Backend {
  readonly calls: { op: string; id: string; detail?: unknown }[] = [];
  ownHooks = new Set<never>();
  /** Make the next create fail after it registered undo steps (to test unwinding). */
  failNextCreate = false;
  undone: string[] = [];
  /** The spec each create received (after any payload handler's changes). */
  readonly specs = new Map<string, Spec>();
  private readonly children = new Map<string, { child: ChildProcess; exit: Promise<number> }>();

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
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    // Node reaps it when it dies, so no zombie lingers that /proc would show; the exit status is kept for wait().
    const exit = new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0))));
    this.children.set(ctx.id, { child, exit });
    return { pid: child.pid!, backendState: { note: 'process-backend' } };
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
    this.onDelete(ctx.id);
  }
}

export function processBackendDescriptor(backend: ProcessBackend, name = 'native'): BackendDescriptor {
  return { kind: 'backend', name, description: 'test double: unisolated host process', load: async () => backend };
}
