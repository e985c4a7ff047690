import { inject, injectable } from 'inversify';
import { BackendRegistry } from '../backend/backend-registry.js';
import { Logger } from '../log/logger.js';
import { liveness } from '../state/process-identity.js';
import { StateStore } from '../state/state-store.js';
import { assertAllowed, deriveStatus } from './container-status.js';
import { ContainerHooks } from './hook-point.js';
import { callBackend } from './backend-call.js';
import { contextFor, destroyContainer } from './teardown.js';

/**
 * `start`: only from created. startContainer hooks, then the user program, then poststart
 * hooks. Per runtime-spec v1.3, a failing startContainer or poststart hook is an error: the
 * container is stopped and destroyed (lifecycle steps 12 and 13).
 */
@injectable()
export class StartOperation {
  constructor(
    @inject(StateStore) private readonly store: StateStore,
    @inject(BackendRegistry) private readonly registry: BackendRegistry,
    @inject(Logger) private readonly log: Logger,
  ) {}

  async start(id: string): Promise<void> {
    await this.store.withLock(id, async () => {
      let record = this.store.read(id);
      assertAllowed('start', id, deriveStatus(record, liveness));
      const ctx = contextFor(this.store, record, this.log);
      const backend = await this.registry.backend(record.backend.name);
      const hooks = new ContainerHooks(ctx.spec, () => record);
      const pid = record.init!.pid;
      try {
        if (!backend.ownHooks.has('startContainer')) await hooks.run('startContainer', pid);
        await callBackend(record.backend.name, 'start', () => backend.start({ ...ctx, hooks }));
        record = { ...record, phase: 'started' };
        this.store.write(record);
        await hooks.run('poststart', pid);
      } catch (e) {
        await destroyContainer(this.store, this.registry, this.log, record, { force: true, runPoststop: true }).catch((cleanup) =>
          this.log.warn(`${id}: cleanup after a failed start also failed: ${String(cleanup)}`),
        );
        throw e;
      }
    });
  }
}
