import { RuntimeError, type Backend } from '../../core/plugin-api.js';

/**
 * The native engine. Until the plan compiler and the C helper land (issue 3), it refuses every
 * container with a clear message rather than pretending: create fails before any side effect,
 * and delete --force of such a container always succeeds.
 */
export function createNativeBackend(): Backend {
  const notYet = () =>
    new RuntimeError('UNSUPPORTED', 'the native backend cannot run containers yet: its namespace helper is not part of this build (choose another backend with run.berth.backend)');
  return {
    ownHooks: new Set(),
    create: async () => {
      throw notYet();
    },
    start: async () => {
      throw notYet();
    },
    kill: async () => {
      throw notYet();
    },
    delete: async () => {},
  };
}
