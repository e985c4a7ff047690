import type { HookPoint } from '../backend/backend.js';
import type { HookKind, Spec } from '../spec/config.js';
import type { ContainerRecord } from '../state/container-record.js';
import { runHooks, statusSeenBy } from './hooks-runner.js';
import { hookState } from './state.js';

/**
 * The HookPoint handed to a backend: runs one kind of the container's hooks with the right
 * state JSON, and remembers which kinds ran so the core can run the rest at their default
 * moments without running any twice.
 */
export class ContainerHooks implements HookPoint {
  private readonly ran = new Set<HookKind>();
  /** A hook of this container failed (wherever it ran: in the core or inside a backend's create). */
  failed = false;

  constructor(
    private readonly spec: Spec,
    private readonly record: () => ContainerRecord,
  ) {}

  async run(kind: HookKind, pid: number, options?: Parameters<HookPoint['run']>[2]): Promise<void> {
    this.ran.add(kind);
    const hooks = this.spec.hooks?.[kind] ?? [];
    if (hooks.length === 0) return;
    try {
      await runHooks(kind, hooks, hookState(this.record(), statusSeenBy(kind), pid), options?.enter);
    } catch (e) {
      this.failed = true;
      throw e;
    }
  }

  /** Run each of `kinds`, in order, that has not run yet. */
  async runRemaining(kinds: readonly HookKind[], pid: number): Promise<void> {
    for (const kind of kinds) if (!this.ran.has(kind)) await this.run(kind, pid);
  }
}
