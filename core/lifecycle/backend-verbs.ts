import type { Backend } from '../backend/backend.js';
import { RuntimeError } from '../errors/runtime-error.js';

type OptionalVerb = 'pause' | 'resume' | 'update' | 'stats' | 'watchOom' | 'processes' | 'exec';

/**
 * The optional verb of a backend, bound, or a refusal that says which backend lacks it. Used by
 * the process-management operations (pause, resume, update, events, ps, exec).
 */
export function requireVerb<V extends OptionalVerb>(backend: Backend, backendName: string, id: string, verb: V, command: string): NonNullable<Backend[V]> {
  const fn = backend[verb];
  if (typeof fn !== 'function') {
    throw new RuntimeError('UNSUPPORTED', `${id}: the ${backendName} backend does not support ${command}`);
  }
  return fn.bind(backend) as NonNullable<Backend[V]>;
}
