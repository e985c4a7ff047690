/**
 * The OCI state (runtime.md "State") plus runc's extras, in the field order runc prints them,
 * so `berth state` output is interchangeable with `runc state` for managers.
 */

export const ociStatuses = ['creating', 'created', 'running', 'stopped'] as const;
/** `paused` is runc's additional status (a frozen cgroup), allowed by the spec for new states. */
export type Status = (typeof ociStatuses)[number] | 'paused';

export interface ContainerState {
  ociVersion: string;
  id: string;
  pid: number;
  status: Status;
  bundle: string;
  rootfs: string;
  created: string;
  annotations?: Record<string, string>;
  owner: string;
}

/** The state JSON hooks receive on stdin: the OCI state alone, as the spec defines it. */
export interface HookState {
  ociVersion: string;
  id: string;
  status: Status;
  pid?: number;
  bundle: string;
  annotations?: Record<string, string>;
}
