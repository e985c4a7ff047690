import { spawn } from 'node:child_process';
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

  async create(ctx: CreateContext) {
    this.calls.push({ op: 'create', id: ctx.id, detail: ctx.options });
    ctx.undo.onUndo('first step', () => void this.undone.push(`${ctx.id}:first`));
    ctx.undo.onUndo('second step', () => void this.undone.push(`${ctx.id}:second`));
    if (this.failNextCreate) {
      this.failNextCreate = false;
      throw new Error('injected create failure');
    }
    const child = spawn('sleep', ['1000'], { detached: true, stdio: 'ignore' });
    child.unref();
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    // Reap it when it dies so the test process does not keep a zombie that still looks alive to /proc.
    child.on('exit', () => {});
    return { pid: child.pid!, backendState: { note: 'process-backend' } };
  }

  async start(ctx: ContainerContext) {
    this.calls.push({ op: 'start', id: ctx.id });
  }

  async kill(ctx: ContainerContext, signal: number, options: { all: boolean }) {
    this.calls.push({ op: 'kill', id: ctx.id, detail: { signal, all: options.all } });
    process.kill(ctx.pid, signal);
  }

  async delete(ctx: ContainerContext, options: { force: boolean }) {
    this.calls.push({ op: 'delete', id: ctx.id, detail: options });
  }
}

export function processBackendDescriptor(backend: ProcessBackend, name = 'native'): BackendDescriptor {
  return { kind: 'backend', name, description: 'test double: unisolated host process', load: async () => backend };
}
