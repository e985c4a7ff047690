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
import { EventsOperation } from '../events.js';
import { ExecOperation } from '../exec.js';
import { KillOperation } from '../kill.js';
import { PauseOperation } from '../pause.js';
import { PsOperation } from '../ps.js';
import { RunOperation } from '../run.js';
import type { RuntimeOptions } from '../runtime-options.js';
import { StartOperation } from '../start.js';
import { UpdateOperation } from '../update.js';
import { liveness } from '../../state/process-identity.js';
import { ProcessBackend, processBackendDescriptor, withoutOptionalVerbs } from './process-backend.js';

/**
 * The lifecycle engine wired by hand (as unit tests do) around a ProcessBackend test double,
 * registered as "native" and, without its optional verbs, as "minimal".
 */
export function engineFixture(extra: Descriptor[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-engine-'));
  const root = join(dir, 'root');
  const backend = new ProcessBackend();
  const store = new StateStore(root);
  const registry = new DescriptorRegistry([processBackendDescriptor(backend), processBackendDescriptor(withoutOptionalVerbs(backend), 'minimal'), ...extra]);
  const log = new MemoryLogger();
  const runtime: RuntimeOptions = { root, systemdCgroup: false, rootless: false };
  const create = new CreateOperation(store, registry, log, runtime);
  const start = new StartOperation(store, registry, log);
  const kill = new KillOperation(store, registry, log);
  const del = new DeleteOperation(store, registry, log);
  const run = new RunOperation(create, start, del, store, registry, log);
  const pause = new PauseOperation(store, registry, log);
  const update = new UpdateOperation(store, registry, log);
  const events = new EventsOperation(store, registry, log);
  const ps = new PsOperation(store, registry, log);
  const exec = new ExecOperation(store, registry, log);

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
    options: { noPivot: false, noNewKeyring: false, preserveFds: 0, passedFds: { count: 0, listen: 0, gaps: [] }, foreground: false },
  });

  /** A container in the created or running status, from a bundle of its own; resolves to its pid. */
  const container = async (id: string, options: { status?: 'created' | 'running'; edit?: (spec: Spec) => void } = {}) => {
    await create.create(createRequest(id, bundle(id, options.edit)));
    if ((options.status ?? 'running') === 'running') await start.start(id);
    return store.read(id).init!.pid;
  };

  /** The container process dies outside berth (SIGKILL); resolves once berth sees it stopped. */
  const stop = async (id: string) => {
    const init = store.read(id).init!;
    process.kill(init.pid, 'SIGKILL');
    while (liveness(init) === 'alive') await new Promise((r) => setTimeout(r, 5));
  };

  /** Kill every container process still recorded and every exec'd one, then remove the temp tree. */
  const cleanup = () => {
    backend.killExecs();
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

  return { dir, root, backend, store, log, create, start, kill, del, run, pause, update, events, ps, exec, bundle, createRequest, container, stop, cleanup };
}
