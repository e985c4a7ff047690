import { inject, injectable } from 'inversify';
import { BackendRegistry } from '../backend/backend-registry.js';
import { RuncSentinel, RuntimeError } from '../errors/runtime-error.js';
import { Logger } from '../log/logger.js';
import { liveness } from '../state/process-identity.js';
import { StateStore } from '../state/state-store.js';
import { requireVerb } from './backend-verbs.js';
import { deriveStatus } from './container-status.js';
import { contextFor } from './teardown.js';

/** `ps`: the host pids of the container's processes. */
@injectable()
export class PsOperation {
  constructor(
    @inject(StateStore) private readonly store: StateStore,
    @inject(BackendRegistry) private readonly registry: BackendRegistry,
    @inject(Logger) private readonly log: Logger,
  ) {}

  async processes(id: string): Promise<number[]> {
    const record = this.store.read(id);
    if (deriveStatus(record, liveness) === 'stopped') throw new RuntimeError('INVALID_STATE', `${id}: ${RuncSentinel.notRunning}`);
    const backend = await this.registry.backend(record.backend.name);
    const pids = await requireVerb(backend, record.backend.name, id, 'processes')(contextFor(this.store, record, this.log));
    return [...new Set(pids)].sort((a, b) => a - b);
  }
}

/**
 * runc's table format: ps(1)'s output (header kept) restricted to the container's pids, found by
 * the header's PID column. Pure.
 */
export function filterPsOutput(output: string, pids: readonly number[]): string {
  const [header = '', ...lines] = output.split('\n').filter((l) => l.length > 0);
  const column = header.trim().split(/\s+/).indexOf('PID');
  if (column < 0) throw new RuntimeError('INVALID_ARGUMENT', 'the ps options must keep the PID column in the output');
  const wanted = new Set(pids.map(String));
  const kept = lines.filter((line) => wanted.has(line.trim().split(/\s+/)[column] ?? ''));
  return [header, ...kept].map((l) => `${l}\n`).join('');
}
