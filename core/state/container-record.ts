import type { ProcessIdentity } from './process-identity.js';

/**
 * What berth keeps in <root>/<id>/state.json. The OCI state shown to users is derived from it
 * (lifecycle/state.ts); nothing here is a cache of something the process itself can tell.
 */
export interface ContainerRecord {
  /** Format version of this file, so a newer berth can read an older one. */
  recordVersion: 1;
  id: string;
  /** ociVersion of the config the container was created from (what `state` reports, as runc does). */
  ociVersion: string;
  bundle: string;
  rootfs: string;
  annotations?: Record<string, string>;
  /** RFC 3339 with nanoseconds, UTC, as runc prints it. */
  created: string;
  owner: string;
  /** 'creating' until create finished; afterwards the phase the runtime last moved the container to. */
  phase: 'creating' | 'created' | 'started';
  /** Set by pause, cleared by resume: a frozen cgroup cannot be seen from /proc. */
  paused?: boolean;
  /** The container process; absent while creating. */
  init?: ProcessIdentity;
  /** The berth process doing the create, so a create that died half-way can be recognised. */
  creator?: ProcessIdentity;
  /** Chosen once at create and never re-made. */
  backend: BackendChoice;
  /** Whatever the backend asked to keep (plain JSON). */
  backendState?: Record<string, unknown>;
}

export interface BackendChoice {
  /** The backend that owns the container's lifecycle. */
  name: string;
  /** A payload handler that replaced the final exec, when one was selected. */
  payload?: string;
  /** Why this backend: which rule of the selection order decided. */
  reason: string;
}
