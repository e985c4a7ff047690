import type { Backend } from '../backend/backend.js';
import { unsupportedVerb, type OptionalVerb } from '../backend/optional-verbs.js';
import { callBackend } from './backend-call.js';

type VerbFunction<V extends OptionalVerb> = NonNullable<Backend[V]>;

/**
 * The optional verb of a backend, bound and called through callBackend (foreign errors wrapped,
 * naming the backend), or a refusal that says which backend lacks it. Used by the
 * process-management operations (pause, resume, update, events, ps, exec).
 */
export function requireVerb<V extends OptionalVerb>(backend: Backend, backendName: string, id: string, verb: V): VerbFunction<V> {
  const fn = backend[verb] as ((...args: unknown[]) => Promise<unknown>) | undefined;
  if (typeof fn !== 'function') throw unsupportedVerb(backendName, id, verb);
  return ((...args: unknown[]) => callBackend(backendName, verb, () => fn.apply(backend, args))) as VerbFunction<V>;
}
