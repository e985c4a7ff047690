import { existsSync } from 'node:fs';
import { inject, injectable } from 'inversify';
import { BackendRegistry } from '../backend/backend-registry.js';
import { RuntimeError } from '../errors/runtime-error.js';
import { Logger } from '../log/logger.js';
import { liveness } from '../state/process-identity.js';
import { StateStore } from '../state/state-store.js';
import { assertAllowed, deriveStatus } from './container-status.js';
import { destroyContainer } from './teardown.js';

/**
 * `delete`: from stopped; a created container is killed first (as runc does); anything else
 * needs --force, which kills every process first. Like runc, `delete --force` of an unknown id
 * succeeds (containerd calls `delete` then `delete --force`), and a directory a crashed create
 * left without a record is removed.
 */
@injectable()
export class DeleteOperation {
  constructor(
    @inject(StateStore) private readonly store: StateStore,
    @inject(BackendRegistry) private readonly registry: BackendRegistry,
    @inject(Logger) private readonly log: Logger,
  ) {}

  async delete(id: string, options: { force: boolean }): Promise<void> {
    await this.store.withLock(id, async () => {
      const record = this.store.tryRead(id);
      if (!record) {
        const orphan = existsSync(this.store.containerDir(id));
        if (orphan) this.store.remove(id);
        if (options.force || orphan) return;
        throw RuntimeError.notFound(id);
      }
      const status = deriveStatus(record, liveness);
      assertAllowed('delete', id, status, options.force);
      await destroyContainer(this.store, this.registry, this.log, record, {
        force: options.force || record.phase === 'creating',
        // A create that never finished ran no create-phase hooks to clean up after.
        runPoststop: record.phase !== 'creating',
      });
    });
  }
}
