import 'reflect-metadata';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Descriptor } from '../../backend/backend.js';
import { DescriptorRegistry } from '../../backend/backend-registry.js';
import { MemoryLogger } from '../../log/logger.js';
import { defaultSpec } from '../../spec/default-spec.js';
import type { Spec } from '../../spec/config.js';
import { StateStore } from '../../state/state-store.js';
import { CreateOperation } from '../create.js';
import { DeleteOperation } from '../delete.js';
import { KillOperation } from '../kill.js';
import { RunOperation } from '../run.js';
import type { RuntimeOptions } from '../runtime-options.js';
import { StartOperation } from '../start.js';
import { ProcessBackend, processBackendDescriptor } from './process-backend.js';

/** The lifecycle engine wired by hand (as unit tests do) around a ProcessBackend test double. */
export function engineFixture(extra: Descriptor[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-engine-'));
  const root = join(dir, 'root');
  const backend = new ProcessBackend();
  const store = new StateStore(root);
  const registry = new DescriptorRegistry([processBackendDescriptor(backend), ...extra]);
  const log = new MemoryLogger();
  const runtime: RuntimeOptions = { root, systemdCgroup: false, rootless: false };
  const create = new CreateOperation(store, registry, log, runtime);
  const start = new StartOperation(store, registry, log);
  const kill = new KillOperation(store, registry, log);
  const del = new DeleteOperation(store, registry, log);
  const run = new RunOperation(create, start, del, store, registry, log);

  /** A bundle whose config is berth's default with a detached, non-terminal process. */
  const bundle = (name: string, edit: (spec: Spec) => void = () => {}) => {
    const path = join(dir, 'bundles', name);
    mkdirSync(join(path, 'rootfs'), { recursive: true });
    const spec = defaultSpec();
    spec.process!.terminal = false;
    spec.process!.args = ['sleep', '1000'];
    edit(spec);
    writeFileSync(join(path, 'config.json'), JSON.stringify(spec));
    return path;
  };

  const createRequest = (id: string, bundlePath: string) => ({
    id,
    bundle: bundlePath,
    options: { noPivot: false, noNewKeyring: false, preserveFds: 0, foreground: false },
  });

  /** Kill every container process still recorded, then remove the temp tree. */
  const cleanup = () => {
    for (const id of store.list()) {
      const pid = store.tryRead(id)?.init?.pid;
      if (pid) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  return { dir, root, backend, store, log, create, start, kill, del, run, bundle, createRequest, cleanup };
}
