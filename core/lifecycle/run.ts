import { inject, injectable } from 'inversify';
import { BackendRegistry } from '../backend/backend-registry.js';
import { describeCause } from '../errors/runtime-error.js';
import { Logger } from '../log/logger.js';
import { signalNumbers } from '../spec/signals.js';
import { StateStore } from '../state/state-store.js';
import { CreateOperation, type CreateRequest } from './create.js';
import { DeleteOperation } from './delete.js';
import { StartOperation } from './start.js';
import { contextFor } from './teardown.js';
import { callBackend } from './backend-call.js';

/** Signals `run` passes on to the container instead of dying from them, as runc does. */
const forwarded = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;

/**
 * `run`: create, then start; detached it returns at once, otherwise it forwards signals to the
 * container, waits for it to exit, deletes it unless --keep (as runc does) and returns its exit
 * status.
 */
@injectable()
export class RunOperation {
  constructor(
    @inject(CreateOperation) private readonly creator: CreateOperation,
    @inject(StartOperation) private readonly starter: StartOperation,
    @inject(DeleteOperation) private readonly deleter: DeleteOperation,
    @inject(StateStore) private readonly store: StateStore,
    @inject(BackendRegistry) private readonly registry: BackendRegistry,
    @inject(Logger) private readonly log: Logger,
  ) {}

  /** The container's exit status (0 when detached). */
  async run(request: CreateRequest & { detach: boolean; keep?: boolean }): Promise<number> {
    const foreground = !request.detach;
    const record = await this.creator.create({ ...request, options: { ...request.options, foreground } });
    try {
      await this.starter.start(request.id);
    } catch (e) {
      // start destroys the container itself on hook failures; anything left is removed here.
      await this.deleter.delete(request.id, { force: true }).catch(() => {});
      throw e;
    }
    if (!foreground) return 0;

    const backend = await this.registry.backend(record.backend.name);
    const ctx = contextFor(this.store, this.store.read(request.id), this.log);
    const forward = (name: (typeof forwarded)[number]) => () => {
      backend.kill(ctx, signalNumbers[name]!, { all: false }).catch((e) => this.log.warn(`cannot forward ${name}: ${describeCause(e)}`));
    };
    const handlers = forwarded.map((name) => [name, forward(name)] as const);
    for (const [name, handler] of handlers) process.on(name, handler);
    try {
      return await callBackend(record.backend.name, 'wait', () => backend.wait!(ctx));
    } finally {
      for (const [name, handler] of handlers) process.off(name, handler);
      if (!request.keep) await this.deleter.delete(request.id, { force: true }).catch((e) => this.log.warn(`${request.id}: ${describeCause(e)}`));
    }
  }
}
