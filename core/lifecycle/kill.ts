import { inject, injectable } from 'inversify';
import { BackendRegistry } from '../backend/backend-registry.js';
import { Logger } from '../log/logger.js';
import { liveness } from '../state/process-identity.js';
import { StateStore } from '../state/state-store.js';
import { assertAllowed, deriveStatus } from './container-status.js';
import { contextFor } from './teardown.js';
import { callBackend } from './backend-call.js';

/** `kill`: deliver a signal to a created, running or paused container (runc: "container not running" otherwise). */
@injectable()
export class KillOperation {
  constructor(
    @inject(StateStore) private readonly store: StateStore,
    @inject(BackendRegistry) private readonly registry: BackendRegistry,
    @inject(Logger) private readonly log: Logger,
  ) {}

  async kill(id: string, signal: number, options: { all: boolean }): Promise<void> {
    await this.store.withLock(id, async () => {
      const record = this.store.read(id);
      assertAllowed('kill', id, deriveStatus(record, liveness));
      const backend = await this.registry.backend(record.backend.name);
      await callBackend(record.backend.name, 'kill', () => backend.kill(contextFor(this.store, record, this.log), signal, options));
    });
  }
}
