import { inject, injectable } from 'inversify';
import { BackendRegistry } from '../backend/backend-registry.js';
import { RuncSentinel, RuntimeError } from '../errors/runtime-error.js';
import { Logger } from '../log/logger.js';
import type { Spec } from '../spec/config.js';
import { stringifyExactJson } from '../spec/exact-json.js';
import type { LinuxResources } from '../spec/resources.js';
import { validateConfigPart } from '../spec/validate-part.js';
import { liveness } from '../state/process-identity.js';
import { StateStore } from '../state/state-store.js';
import { requireVerb } from './backend-verbs.js';
import { deriveStatus } from './container-status.js';
import { contextFor } from './teardown.js';

/**
 * `update`: change a live container's limits. The backend applies them; the frozen config then
 * records the merged resources, so later readers (events, a re-read config) see what is in force.
 */
@injectable()
export class UpdateOperation {
  constructor(
    @inject(StateStore) private readonly store: StateStore,
    @inject(BackendRegistry) private readonly registry: BackendRegistry,
    @inject(Logger) private readonly log: Logger,
  ) {}

  async update(id: string, resources: LinuxResources, where: string): Promise<void> {
    const problems = validateConfigPart('/linux/resources', resources);
    if (problems.length > 0) throw RuntimeError.invalidSpec(problems, where);
    await this.store.withLock(id, async () => {
      const record = this.store.read(id);
      if (deriveStatus(record, liveness) === 'stopped') throw new RuntimeError('INVALID_STATE', `${id}: ${RuncSentinel.notRunning}`);
      const ctx = contextFor(this.store, record, this.log);
      const backend = await this.registry.backend(record.backend.name);
      await requireVerb(backend, record.backend.name, id, 'update')(ctx, resources);
      const spec: Spec = structuredClone(ctx.spec);
      (spec.linux ??= {}).resources = mergeResources(spec.linux.resources ?? {}, resources);
      this.store.writeFrozenConfig(id, stringifyExactJson(spec));
    });
  }
}

/** `update` semantics: objects merge field by field, everything else (numbers, lists) is replaced. Pure. */
export function mergeResources(current: LinuxResources, change: LinuxResources): LinuxResources {
  return mergeObjects(current as Record<string, unknown>, change as Record<string, unknown>) as LinuxResources;
}

function mergeObjects(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [key, value] of Object.entries(b)) {
    if (value === undefined) continue;
    const old = out[key];
    out[key] = isPlainObject(old) && isPlainObject(value) ? mergeObjects(old, value) : value;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
