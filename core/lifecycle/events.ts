import { inject, injectable } from 'inversify';
import { BackendRegistry } from '../backend/backend-registry.js';
import { describeCause, RuncSentinel, RuntimeError } from '../errors/runtime-error.js';
import { Logger } from '../log/logger.js';
import type { ContainerEvent } from '../spec/stats.js';
import { liveness } from '../state/process-identity.js';
import { StateStore } from '../state/state-store.js';
import { requireVerb } from './backend-verbs.js';
import { deriveStatus } from './container-status.js';
import { contextFor } from './teardown.js';

/**
 * `events`: runc's JSON lines. With `once` one stats record; otherwise a stats record every
 * interval and an oom record whenever the OOM killer hits the container, until it stops.
 */
@injectable()
export class EventsOperation {
  constructor(
    @inject(StateStore) private readonly store: StateStore,
    @inject(BackendRegistry) private readonly registry: BackendRegistry,
    @inject(Logger) private readonly log: Logger,
  ) {}

  async stream(id: string, options: { once: boolean; intervalMs: number }, emit: (event: ContainerEvent) => void): Promise<void> {
    const record = this.store.read(id);
    const running = () => deriveStatus(this.store.tryRead(id) ?? record, liveness) !== 'stopped';
    if (!running()) throw new RuntimeError('INVALID_STATE', `${id}: ${RuncSentinel.notRunning}`);
    const ctx = contextFor(this.store, record, this.log);
    const name = record.backend.name;
    const backend = await this.registry.backend(name);
    const stats = requireVerb(backend, name, id, 'stats');
    const sample = async () => ({ type: 'stats' as const, id, data: await stats(ctx) });
    if (options.once) {
      emit(await sample());
      return;
    }
    const stop = new AbortController();
    // OOM records are an extra: a backend that cannot watch for them still streams stats. The
    // failure is handled at once: a rejection left unhandled while stats stream would end berth.
    const oom = backend.watchOom
      ? requireVerb(backend, name, id, 'watchOom')(ctx, () => emit({ type: 'oom', id }), stop.signal).catch((e) =>
          this.log.warn(`${id}: watching for OOM kills failed: ${describeCause(e)}`),
        )
      : Promise.resolve();
    try {
      while (running()) {
        let event: ContainerEvent;
        try {
          event = await sample();
        } catch (e) {
          // The container stopped while it was being sampled: the stream ends, as runc's does.
          if (!running()) break;
          throw e;
        }
        emit(event);
        await sleepUnlessStopped(options.intervalMs, running);
      }
    } finally {
      stop.abort();
      await oom;
    }
  }
}

/** Sleep `ms`, checking every 100 ms whether the container is still there. */
async function sleepUnlessStopped(ms: number, running: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && running()) await new Promise((r) => setTimeout(r, Math.min(100, deadline - Date.now())));
}

/** runc's --interval: a Go duration such as 5s, 500ms, 1m30s. Pure; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  // Go accepts both the micro sign (U+00B5) and the Greek mu (U+03BC) for microseconds.
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  if (!/^(\d+(\.\d+)?(ns|us|µs|μs|ms|s|m|h))+$/.test(text)) return text === '0' ? 0 : undefined;
  let total = 0;
  for (const [, value, , unit] of text.matchAll(/(\d+(\.\d+)?)(ns|us|µs|μs|ms|s|m|h)/g)) total += Number(value) * units[unit!]!;
  return total;
}
