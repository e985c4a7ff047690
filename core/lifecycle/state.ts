import type { ContainerState, HookState, Status } from '../spec/state.js';
import type { ContainerRecord } from '../state/container-record.js';
import { liveness } from '../state/process-identity.js';
import type { StateStore } from '../state/state-store.js';
import { deriveStatus } from './container-status.js';

/**
 * `berth state`: the OCI state plus runc's extras, in runc's field order. Reads only; takes no
 * lock and loads no backend, because every manager calls it on its hot path.
 * While nothing changes, the output is byte-identical between calls.
 */
export function queryState(store: StateStore, id: string): ContainerState {
  return describeContainer(store.read(id));
}

export function describeContainer(record: ContainerRecord, status: Status = deriveStatus(record, liveness)): ContainerState {
  const state: ContainerState = {
    ociVersion: record.ociVersion,
    id: record.id,
    pid: status === 'stopped' || status === 'creating' || !record.init ? 0 : record.init.pid,
    status,
    bundle: record.bundle,
    rootfs: record.rootfs,
    created: record.created,
    owner: record.owner,
  };
  if (record.annotations && Object.keys(record.annotations).length > 0) {
    // runc prints annotations between created and owner.
    return { ...withoutOwner(state), annotations: record.annotations, owner: record.owner };
  }
  return state;
}

/** The state JSON a hook gets on stdin: the spec's fields only. */
export function hookState(record: ContainerRecord, status: Status, pid: number | undefined): HookState {
  const state: HookState = { ociVersion: record.ociVersion, id: record.id, status, bundle: record.bundle };
  if (pid !== undefined && pid > 0) state.pid = pid;
  if (record.annotations && Object.keys(record.annotations).length > 0) state.annotations = record.annotations;
  return state;
}

/** Format state JSON as runc does (json.MarshalIndent with two spaces) plus a newline. */
export function formatState(state: ContainerState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

function withoutOwner(state: ContainerState): Omit<ContainerState, 'owner'> {
  const { owner: _owner, ...rest } = state;
  return rest;
}
