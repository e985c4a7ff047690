import { rmSync } from 'node:fs';
import { inject, injectable } from 'inversify';
import type { CreateContext, CreateOptions } from '../backend/backend.js';
import { BackendRegistry } from '../backend/backend-registry.js';
import { RuntimeError, type Diagnostic } from '../errors/runtime-error.js';
import { Logger } from '../log/logger.js';
import type { Spec } from '../spec/config.js';
import { containerIdProblem } from '../spec/container-id.js';
import type { BackendChoice, ContainerRecord } from '../state/container-record.js';
import { identify } from '../state/process-identity.js';
import { StateStore } from '../state/state-store.js';
import { ContainerHooks } from './hook-point.js';
import { loadBundle, type LoadedBundle } from './load-bundle.js';
import { killAndWait } from './process-control.js';
import { RuntimeOptions } from './runtime-options.js';
import { runPoststopHooks } from './hooks-runner.js';
import { hookState } from './state.js';
import { UndoStack } from './undo-stack.js';
import { writePidFile } from './pid-file.js';
import { callBackend } from './backend-call.js';
import { faultPoint } from './fault-injection.js';

export interface CreateRequest {
  id: string;
  /** Bundle directory as given (resolved against the caller's cwd). */
  bundle: string;
  /** Absolute --pid-file path. */
  pidFile?: string;
  options: Omit<CreateOptions, 'systemdCgroup' | 'rootless'>;
}

/**
 * `create`: validate everything first (nothing is written for a bad bundle), claim the id under
 * its lock, let the chosen backend build the container, run the create-phase hooks, and record
 * the result. Every side effect registers an undo step: on any failure they unwind, so the
 * machine is as if create had never been called (runtime.md "Errors").
 */
@injectable()
export class CreateOperation {
  constructor(
    @inject(StateStore) private readonly store: StateStore,
    @inject(BackendRegistry) private readonly registry: BackendRegistry,
    @inject(Logger) private readonly log: Logger,
    @inject(RuntimeOptions) private readonly runtime: RuntimeOptions,
  ) {}

  /** Everything wrong with a bundle for this berth, without side effects (also `berth check`). */
  async inspect(bundleArg: string): Promise<{ loaded: LoadedBundle; choice?: BackendChoice; diagnostics: Diagnostic[] }> {
    const loaded = await loadBundle(bundleArg);
    const diagnostics = [...loaded.diagnostics];
    let choice: BackendChoice | undefined;
    if (loaded.spec && typeof loaded.spec === 'object') {
      try {
        choice = this.registry.select(loaded.spec, this.runtime.backend);
        const descriptors = this.registry.descriptors().filter((d) => d.name === choice!.name || d.name === choice!.payload);
        // Backend rules assume a schema-valid document.
        // One by one: a long array of problems has more items than a call has room for arguments.
        if (loaded.diagnostics.length === 0) for (const d of descriptors) for (const problem of d.validate?.(loaded.spec) ?? []) diagnostics.push(problem);
      } catch (e) {
        // A selection problem rooted in an annotation is a problem of the bundle; --backend misuse is not.
        if (!(e instanceof RuntimeError) || e.diagnostics.length === 0) throw e;
        diagnostics.push(...e.diagnostics);
      }
    }
    return { loaded, choice, diagnostics };
  }

  async create(request: CreateRequest): Promise<ContainerRecord> {
    const idProblem = containerIdProblem(request.id);
    if (idProblem) throw new RuntimeError('INVALID_ARGUMENT', idProblem);
    const { loaded, choice, diagnostics } = await this.inspect(request.bundle);
    if (diagnostics.length > 0 || !choice || !loaded.spec || !loaded.rootfs) {
      throw RuntimeError.invalidSpec(diagnostics, `${loaded.bundle}/config.json`);
    }
    const spec = loaded.spec;
    checkConsoleArguments(spec, request);

    return this.store.withLock(request.id, async () => {
      const undo = new UndoStack();
      try {
        return await this.build(request, loaded as Required<LoadedBundle>, spec, choice, undo);
      } catch (e) {
        await undo.unwind(this.log);
        throw e;
      }
    });
  }

  private async build(request: CreateRequest, loaded: Required<LoadedBundle>, spec: Spec, choice: BackendChoice, undo: UndoStack): Promise<ContainerRecord> {
    const { id } = request;
    this.store.claim(id);
    undo.onUndo('remove state directory', () => this.store.remove(id));
    faultPoint('create:after-claim');

    let record: ContainerRecord = {
      recordVersion: 1,
      id,
      ociVersion: spec.ociVersion,
      bundle: loaded.bundle,
      rootfs: loaded.rootfs,
      ...(spec.annotations && Object.keys(spec.annotations).length > 0 ? { annotations: spec.annotations } : {}),
      created: new Date().toISOString(),
      owner: process.getuid?.() === 0 ? '' : String(process.getuid?.() ?? ''),
      phase: 'creating',
      creator: identify(process.pid),
      backend: choice,
    };
    this.store.writeFrozenConfig(id, loaded.configText);
    this.store.write(record);
    faultPoint('create:after-record');
    this.log.debug(`${id}: backend ${choice.name}${choice.payload ? ` with payload ${choice.payload}` : ''} (${choice.reason})`);

    const effectiveSpec = choice.payload ? await this.applyPayload(choice.payload, id, loaded, spec) : spec;
    const backend = await this.registry.backend(choice.name);
    if (request.options.foreground && !backend.wait) {
      throw new RuntimeError('UNSUPPORTED', `backend ${choice.name} cannot run a container in the foreground; use run --detach`);
    }
    const hooks = new ContainerHooks(spec, () => record);
    const backendUndo = new UndoStack();
    const ctx: CreateContext = {
      id,
      bundle: loaded.bundle,
      rootfs: loaded.rootfs,
      spec: effectiveSpec,
      stateDir: this.store.containerDir(id),
      log: this.log,
      options: { ...request.options, systemdCgroup: this.runtime.systemdCgroup, rootless: this.runtime.rootless },
      undo: backendUndo,
      hooks,
      // Still `creating`: what a delete --force of a create that died half-way must remove.
      recordProgress: (progress) => {
        record = {
          ...record,
          ...(progress.pid !== undefined ? { init: identify(progress.pid) ?? { pid: progress.pid, startTime: '' } } : {}),
          ...(progress.backendState ? { backendState: progress.backendState } : {}),
        };
        // Only berth's death, not the machine's, needs it: no fsync (some 5 ms each on a disk).
        this.store.write(record, { durable: false });
      },
    };
    let created;
    try {
      created = await callBackend(choice.name, 'create', () => backend.create(ctx));
    } catch (e) {
      await backendUndo.unwind(this.log);
      // A create-phase hook the backend ran at its own sync point failed: the container is now
      // destroyed (step 12), so the poststop hooks run (step 13) before the error is reported.
      if (hooks.failed) await this.runPoststop(spec, record);
      throw e;
    }
    // From here on the backend's delete owns its side effects.
    backendUndo.commit();
    faultPoint('create:after-backend');
    const initIdentity = identify(created.pid);
    record = { ...record, init: initIdentity ?? { pid: created.pid, startTime: '' }, backendState: created.backendState ?? {} };
    // runtime.md: a failing create-phase hook is an error; the container is destroyed (step 12)
    // and then the poststop hooks run (step 13). Undo runs in reverse, so this comes first.
    undo.onUndo('run poststop hooks after a failed hook', () => (hooks.failed ? this.runPoststop(spec, record) : undefined));
    undo.onUndo('destroy the container', async () => {
      if (record.init) await killAndWait(record.init);
      await backend.delete({ ...ctx, pid: created.pid, backendState: record.backendState ?? {} }, { force: true });
    });
    if (!initIdentity) throw new RuntimeError('BACKEND', `${id}: the container process (pid ${created.pid}) exited during create`);

    await hooks.runRemaining(['prestart', 'createRuntime', 'createContainer'], created.pid);
    faultPoint('create:after-hooks');

    if (request.pidFile) {
      writePidFile(request.pidFile, created.pid);
      const pidFile = request.pidFile;
      undo.onUndo('remove pid file', () => rmSync(pidFile, { force: true }));
    }
    faultPoint('create:after-pid-file');
    record = { ...record, phase: 'created' };
    delete record.creator;
    this.store.write(record);
    faultPoint('create:after-final-write');
    // Only now may the container outlive this berth process: it is recorded as created.
    if (created.commit) await callBackend(choice.name, 'commit', () => created.commit!());
    undo.commit();
    faultPoint('create:after-commit');
    return record;
  }

  private async applyPayload(name: string, id: string, loaded: Required<LoadedBundle>, spec: Spec): Promise<Spec> {
    const handler = await this.registry.payloadHandler(name);
    const launch = await callBackend(name, 'prepare', () => handler.prepare({ id, bundle: loaded.bundle, rootfs: loaded.rootfs, spec }));
    const process = spec.process!;
    return {
      ...spec,
      process: { ...process, args: launch.args, env: [...(process.env ?? []), ...(launch.env ?? [])] },
      mounts: [...(spec.mounts ?? []), ...(launch.mounts ?? [])],
    };
  }

  private async runPoststop(spec: Spec, record: ContainerRecord): Promise<void> {
    await runPoststopHooks(spec.hooks?.poststop ?? [], hookState(record, 'stopped', undefined), (m) => this.log.warn(m));
  }
}

/** runc's rules: a terminal needs a console socket to hand it to (unless run keeps it), and vice versa. */
function checkConsoleArguments(spec: Spec, request: CreateRequest): void {
  const terminal = spec.process?.terminal === true;
  if (terminal && !request.options.consoleSocket && !request.options.foreground) {
    throw new RuntimeError('INVALID_ARGUMENT', '--console-socket is required: /process/terminal is true and the container runs detached, so its terminal must be sent somewhere');
  }
  if (!terminal && request.options.consoleSocket) {
    throw new RuntimeError('INVALID_ARGUMENT', '--console-socket cannot be used: /process/terminal is not true, so there is no terminal to send');
  }
}
