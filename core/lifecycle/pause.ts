import { inject, injectable } from 'inversify';
import { BackendRegistry } from '../backend/backend-registry.js';
import { Logger } from '../log/logger.js';
import { liveness } from '../state/process-identity.js';
import { StateStore } from '../state/state-store.js';
import { requireVerb } from './backend-verbs.js';
import { assertAllowed, deriveStatus } from './container-status.js';
import { contextFor } from './teardown.js';

/** `pause` (from created or running) and `resume` (from paused), with runc's refusals. */
@injectable()
export class PauseOperation {
  constructor(
    @inject(StateStore) private readonly store: StateStore,
    @inject(BackendRegistry) private readonly registry: BackendRegistry,
    @inject(Logger) private readonly log: Logger,
  ) {}

  pause(id: string): Promise<void> {
    return this.change(id, 'pause');
  }

  resume(id: string): Promise<void> {
    return this.change(id, 'resume');
  }

  private async change(id: string, verb: 'pause' | 'resume'): Promise<void> {
    await this.store.withLock(id, async () => {
      const record = this.store.read(id);
      assertAllowed(verb, id, deriveStatus(record, liveness));
      const backend = await this.registry.backend(record.backend.name);
      await requireVerb(backend, record.backend.name, id, verb)(contextFor(this.store, record, this.log));
      this.store.write({ ...record, paused: verb === 'pause' });
    });
  }
}
