import type { UndoRegistrar } from '../backend/backend.js';
import type { Logger } from '../log/logger.js';
import { describeCause } from '../errors/runtime-error.js';

/**
 * The side effects of one `create`, undone in reverse order when it fails, so the machine is
 * left as if create had never been called. A step that fails is logged and the rest still run:
 * leaving less behind beats stopping at the first problem.
 */
export class UndoStack implements UndoRegistrar {
  private steps: { description: string; step: () => void | Promise<void> }[] = [];

  onUndo(description: string, step: () => void | Promise<void>): void {
    this.steps.push({ description, step });
  }

  /** Forget the steps: what they would undo is now owned by something else (e.g. delete). */
  commit(): void {
    this.steps = [];
  }

  get size(): number {
    return this.steps.length;
  }

  async unwind(log: Logger): Promise<void> {
    const steps = this.steps.reverse();
    this.steps = [];
    for (const { description, step } of steps) {
      try {
        await step();
      } catch (e) {
        log.warn(`undo step "${description}" failed: ${describeCause(e)}`);
      }
    }
  }
}
