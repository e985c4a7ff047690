import type { BackendDescriptor, Diagnostic, Spec } from '../../core/plugin-api.js';
import { pointerOf } from '../../core/plugin-api.js';

/** The annotation naming the OCI runtime binary a delegated container runs with. */
export const delegateRuntimeAnnotation = 'run.berth.delegate.runtime';
export const defaultDelegateRuntime = '/usr/sbin/runc';

/** The runtime binary a config asks for: its annotation, else runc. */
export function delegatedRuntime(spec: Spec): string {
  return spec.annotations?.[delegateRuntimeAnnotation] ?? defaultDelegateRuntime;
}

/**
 * Runs the container with another OCI runtime binary (runc, crun, ...), selected with
 * run.berth.backend=delegate. It declares no features and no canHandle: what it can do is
 * whatever the delegated runtime can do, and only an explicit choice should route a container
 * away from berth's own backends.
 */
export const delegateDescriptor: BackendDescriptor = {
  kind: 'backend',
  name: 'delegate',
  description: `another OCI runtime binary (annotation ${delegateRuntimeAnnotation}, default ${defaultDelegateRuntime})`,
  validate: (spec: Spec): Diagnostic[] => {
    const runtime = spec.annotations?.[delegateRuntimeAnnotation];
    if (runtime === undefined || runtime.startsWith('/')) return [];
    return [{ pointer: pointerOf('annotations', delegateRuntimeAnnotation), message: `must be an absolute path to an OCI runtime binary, got ${JSON.stringify(runtime)}` }];
  },
  load: async () => (await import('./delegate-backend.js')).createDelegateBackend(),
};
