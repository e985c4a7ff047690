import { inject, injectable } from 'inversify';
import { BackendRegistry } from '../backend/backend-registry.js';
import { RuntimeError } from '../errors/runtime-error.js';
import { CreateOperation } from './create.js';
import { RuntimeOptions } from './runtime-options.js';

/**
 * `plan`: what create would do for a bundle, shown by the selected backend, without doing it.
 * Validates exactly as create does, so a bundle that would be refused is refused here too.
 */
@injectable()
export class PlanOperation {
  constructor(
    @inject(CreateOperation) private readonly creator: CreateOperation,
    @inject(BackendRegistry) private readonly registry: BackendRegistry,
    @inject(RuntimeOptions) private readonly runtime: RuntimeOptions,
  ) {}

  async plan(bundleArg: string): Promise<{ backend: string; payload?: string; reason: string; plan: unknown }> {
    const { loaded, choice, diagnostics } = await this.creator.inspect(bundleArg);
    if (diagnostics.length > 0 || !choice || !loaded.spec || !loaded.rootfs) throw RuntimeError.invalidSpec(diagnostics, `${loaded.bundle}/config.json`);
    const backend = await this.registry.backend(choice.name);
    if (!backend.describePlan) throw new RuntimeError('UNSUPPORTED', `backend ${choice.name} has no plan to show`);
    const plan = await backend.describePlan({
      id: 'plan',
      bundle: loaded.bundle,
      rootfs: loaded.rootfs,
      spec: loaded.spec,
      options: { noPivot: false, noNewKeyring: false, preserveFds: 0, passedFds: { count: 0, listen: 0, gaps: [] }, foreground: false, systemdCgroup: this.runtime.systemdCgroup, rootless: this.runtime.rootless },
    });
    return { backend: choice.name, ...(choice.payload ? { payload: choice.payload } : {}), reason: choice.reason, plan };
  }
}
