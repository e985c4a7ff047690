import { clauses, type Clause } from '../clauses.js';

/**
 * The runtime-spec's state machine for one container, as a pure table: what each operation
 * must do from each status. The lifecycle property runs random operation sequences on a real
 * runtime and compares every step with this table.
 */

export type Status = 'created' | 'running' | 'stopped';
/** A status, or `absent` for an id with no container (never created, or deleted). */
export type Presence = Status | 'absent';
export type Operation = 'create' | 'start' | 'state' | 'kill' | 'delete';

export type Expectation =
  /** The operation must succeed; the container then is in `next`. */
  | { allowed: true; next: Presence; clause: Clause }
  /** The operation must fail and change nothing. */
  | { allowed: false; clause: Clause };

/**
 * What the spec requires of `op` on a container in `from`. `exits` says whether the payload
 * ends by itself right after it starts (start then leads to stopped). kill's next status
 * assumes a signal that ends the payload (KILL, or TERM that it traps and exits on).
 */
export function expectation(op: Operation, from: Presence, exits = false): Expectation {
  switch (op) {
    case 'state':
      return from === 'absent' ? { allowed: false, clause: clauses.queryUnknown } : { allowed: true, next: from, clause: clauses.queryReturnsState };
    case 'create':
      return from === 'absent' ? { allowed: true, next: 'created', clause: clauses.createApplies } : { allowed: false, clause: clauses.createUniqueId };
    case 'start':
      return from === 'created' ? { allowed: true, next: exits ? 'stopped' : 'running', clause: clauses.startRuns } : { allowed: false, clause: clauses.startNotCreated };
    case 'kill':
      return from === 'created' || from === 'running' ? { allowed: true, next: 'stopped', clause: clauses.killSends } : { allowed: false, clause: clauses.killNotRunning };
    case 'delete':
      return from === 'stopped' ? { allowed: true, next: 'absent', clause: clauses.deleteResources } : { allowed: false, clause: clauses.deleteNotStopped };
  }
}
