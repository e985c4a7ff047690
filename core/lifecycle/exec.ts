import { inject, injectable } from 'inversify';
import type { ExecRequest } from '../backend/backend.js';
import { BackendRegistry } from '../backend/backend-registry.js';
import { describeCause, RuntimeError } from '../errors/runtime-error.js';
import { Logger } from '../log/logger.js';
import { signalNumbers } from '../spec/signals.js';
import { validateConfigPart } from '../spec/validate-part.js';
import { liveness } from '../state/process-identity.js';
import type { ContainerRecord } from '../state/container-record.js';
import { StateStore } from '../state/state-store.js';
import { requireVerb } from './backend-verbs.js';
import { assertAllowed, deriveStatus } from './container-status.js';
import { writePidFile } from './pid-file.js';
import { contextFor } from './teardown.js';

const forwarded = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;

export interface ExecOptions extends ExecRequest {
  /** Absolute --pid-file path. */
  pidFile?: string;
  /** Where the process came from, for messages (process.json's path, or "exec flags"). */
  where: string;
  /** --ignore-paused */
  ignorePaused: boolean;
}

/**
 * `exec`: run another process in a created or running container (runc's refusals otherwise).
 * Detached it returns 0 once the process runs; otherwise it forwards signals to the process and
 * resolves to its exit status. The container's lock is held only while the process starts (not
 * at all once checked, for --ignore-paused in a paused container).
 */
@injectable()
export class ExecOperation {
  constructor(
    @inject(StateStore) private readonly store: StateStore,
    @inject(BackendRegistry) private readonly registry: BackendRegistry,
    @inject(Logger) private readonly log: Logger,
  ) {}

  async exec(id: string, options: ExecOptions): Promise<number> {
    const problems = validateConfigPart('/process', options.process);
    if (problems.length > 0) throw RuntimeError.invalidSpec(problems, options.where);
    if (options.process.terminal && !options.consoleSocket && options.detach) {
      throw RuntimeError.usage('exec --tty --detach needs --console-socket: a detached process has nowhere else to put its terminal');
    }
    const { pidFile, where: _where, ignorePaused, ...request } = options;
    const launch = async (record: ContainerRecord) => {
      const backend = await this.registry.backend(record.backend.name);
      const process = await requireVerb(backend, record.backend.name, id, 'exec')(contextFor(this.store, record, this.log), request);
      if (pidFile) writePidFile(pidFile, process.pid);
      return process;
    };
    const checked = await this.store.withLock(id, async () => {
      const record = this.store.read(id);
      const status = deriveStatus(record, liveness);
      if (ignorePaused && status === 'paused') return { frozen: record };
      assertAllowed('exec', id, status);
      return { started: await launch(record) };
    });
    // In a paused container the new process freezes as it joins the cgroup, so it cannot say it
    // runs until `resume`, which needs the lock: starting it under the lock would deadlock.
    const started = checked.started ?? (await launch(checked.frozen!));
    if (options.detach) return 0;
    const forward = (name: (typeof forwarded)[number]) => () => {
      try {
        process.kill(started.pid, signalNumbers[name]!);
      } catch (e) {
        this.log.warn(`cannot forward ${name}: ${describeCause(e)}`);
      }
    };
    const handlers = forwarded.map((name) => [name, forward(name)] as const);
    for (const [name, handler] of handlers) process.on(name, handler);
    try {
      return await started.wait();
    } finally {
      for (const [name, handler] of handlers) process.off(name, handler);
    }
  }
}
