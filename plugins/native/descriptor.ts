import type { BackendDescriptor } from '../../core/plugin-api.js';

/**
 * Linux namespaces, mounts, pivot_root, capabilities, seccomp and cgroups through the C helper
 * in native/. The default backend. It declares no features yet: none are implemented, and
 * `berth features` must not advertise what berth cannot do.
 */
export const nativeDescriptor: BackendDescriptor = {
  kind: 'backend',
  name: 'native',
  description: 'Linux namespaces and cgroups through the native/ helper',
  load: async () => (await import('./native-backend.js')).createNativeBackend(),
};
