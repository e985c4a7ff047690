import { pointerOf, type Diagnostic, type Namespace, type Process } from '../../core/plugin-api.js';

/**
 * Whether the host lets the container process have the rlimits its config asks for. Pure: the
 * facts are measured by host-facts.ts. The process inherits berth's own limits through the
 * helper; lowering one is always allowed, raising a hard limit needs CAP_SYS_RESOURCE in the
 * host's user namespace (rlimits are not namespaced, so a capability inside a new user namespace
 * does not count), and RLIMIT_NOFILE can never go above fs.nr_open. Without this check the
 * helper's setrlimit fails inside the half-made container; with it, create refuses before
 * anything is made, naming the field.
 */
export interface RlimitHostFacts {
  /** berth's own hard limits by RLIMIT_* name (/proc/self/limits; "unlimited" is RLIM_INFINITY, 2^64−1). */
  hardLimits: Record<string, bigint>;
  /** berth's effective capabilities include CAP_SYS_RESOURCE (/proc/self/status CapEff). */
  capSysResource: boolean;
  /** /proc/sys/fs/nr_open, when readable. */
  nrOpen?: bigint;
}

export function rlimitProblems(process: Process | undefined, namespaces: readonly Namespace[], ownNamespacePaths: readonly string[], host: RlimitHostFacts | undefined): Diagnostic[] {
  if (!host) return [];
  const inOwnUserNamespace = !namespaces.some((n) => n.type === 'user' && !(n.path && ownNamespacePaths.includes(n.path)));
  const out: Diagnostic[] = [];
  (process?.rlimits ?? []).forEach((rlimit, i) => {
    if (typeof rlimit.hard !== 'number' && typeof rlimit.hard !== 'bigint') return;
    if (typeof rlimit.hard === 'number' && !Number.isInteger(rlimit.hard)) return;
    const hard = BigInt(rlimit.hard);
    const pointer = pointerOf('process', 'rlimits', i, 'hard');
    const hostHard = host.hardLimits[rlimit.type];
    if (hostHard !== undefined && hard > hostHard && !(host.capSysResource && inOwnUserNamespace)) {
      const why = host.capSysResource
        ? 'and the container\'s own user namespace cannot raise it: CAP_SYS_RESOURCE counts only in the host\'s user namespace'
        : 'and berth lacks CAP_SYS_RESOURCE to raise it';
      // runc's own words at the end: managers (podman) classify a refusal by them.
      out.push({ pointer, message: `${rlimit.type} hard limit ${hard} is above the host's hard limit ${hostHard}, ${why} (setting it would fail: operation not permitted)` });
    } else if (rlimit.type === 'RLIMIT_NOFILE' && host.nrOpen !== undefined && hard > host.nrOpen) {
      out.push({ pointer, message: `${rlimit.type} hard limit ${hard} is above fs.nr_open (${host.nrOpen}), the most open files the kernel allows a process` });
    }
  });
  return out;
}
