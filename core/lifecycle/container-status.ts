import { RuntimeError, RuncSentinel } from '../errors/runtime-error.js';
import type { Status } from '../spec/state.js';
import type { ContainerRecord } from '../state/container-record.js';
import type { ProcessIdentity, ProcessLiveness } from '../state/process-identity.js';

/**
 * The container's status, derived from its process rather than remembered: a process that
 * exited (or whose pid now names another process, told apart by start time) means stopped,
 * whatever the record says. Pure: liveness is passed in.
 */
export function deriveStatus(record: ContainerRecord, liveness: (p: ProcessIdentity) => ProcessLiveness): Status {
  if (record.phase === 'creating') {
    // A create still in progress, or one whose berth process died half-way (then only delete helps).
    return record.creator && liveness(record.creator) === 'alive' ? 'creating' : 'stopped';
  }
  if (!record.init || liveness(record.init) !== 'alive') return 'stopped';
  if (record.paused) return 'paused';
  return record.phase === 'started' ? 'running' : 'created';
}

/** The operations whose allowed statuses the spec (and runc, for paused) defines. */
export type GuardedOperation = 'start' | 'kill' | 'delete' | 'pause' | 'resume' | 'exec';

/**
 * Refuse an operation the container's status does not allow, with runc's message (managers
 * match on some of them). delete is allowed on created too: like runc, it kills first.
 */
export function assertAllowed(operation: GuardedOperation, id: string, status: Status, force = false): void {
  const problem = guardProblem(operation, id, status, force);
  if (problem) throw new RuntimeError('INVALID_STATE', problem);
}

export function guardProblem(operation: GuardedOperation, id: string, status: Status, force = false): string | undefined {
  switch (operation) {
    case 'start':
      if (status === 'created') return undefined;
      if (status === 'stopped') return `${id}: cannot start a container that has stopped`;
      if (status === 'running') return `${id}: cannot start an already running container`;
      return `${id}: cannot start a container in the ${status} state`;
    case 'kill':
      return status === 'created' || status === 'running' || status === 'paused' ? undefined : `${id}: ${RuncSentinel.notRunning}`;
    case 'delete':
      if (force || status === 'stopped' || status === 'created') return undefined;
      return `cannot delete container ${id} that is not stopped: ${status}`;
    case 'pause':
      return status === 'running' || status === 'created' ? undefined : `${id}: ${RuncSentinel.notRunning}`;
    case 'resume':
      return status === 'paused' ? undefined : `${id}: container not paused`;
    case 'exec':
      if (status === 'paused') return `${id}: cannot exec in a paused container (use --ignore-paused to override)`;
      return status === 'running' || status === 'created' ? undefined : `${id}: cannot exec in a stopped container`;
  }
}
