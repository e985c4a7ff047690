import type { BackendDescriptor } from '../../core/plugin-api.js';
import { validateForNative } from './native-validate.js';

/**
 * Linux namespaces, mounts, pivot_root and capabilities through the C helper in native/, which
 * executes a plan compiled here (plan.ts). The default backend. `features` lists only what is
 * implemented.
 */
export const nativeDescriptor: BackendDescriptor = {
  kind: 'backend',
  name: 'native',
  description: 'Linux namespaces through the native/ helper',
  validate: validateForNative,
  features: {
    linux: {
      namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'user', 'uts'],
    },
  },
  load: async () => (await import('./native-backend.js')).createNativeBackend(),
};
