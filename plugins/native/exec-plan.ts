import { pointerOf, type Namespace, type PassedFds, type Process, type Seccomp } from '../../core/plugin-api.js';
import { closeAndExecOps, closeInheritedFdsOp, consoleSetupOp, containerEnv, cpuList, fieldsOf, identityOps, joinOrder, nsFlags, processSettingOps, seccompLoadOp, tag, type FieldAt } from './plan.js';
import { seccompOps } from './seccomp.js';
import { PlanFlag, type Plan, type PlanOp } from './wire.js';

/**
 * `exec` → the plan the helper executes to run another process in a running container. Pure:
 * what it needs from the container (its init's namespaces and cgroups) arrives in `host`,
 * measured by native-exec.ts. runc's order:
 *  PRE     (the helper, still in berth's namespaces) open the cgroup.procs files, the console
 *          socket and the seccomp filter while host paths resolve, then open and join the
 *          init's namespaces, user first (but see joinOrderFor);
 *  PARENT  put the child in the cgroups, report its pid, release it, wait until it exec'd;
 *  CHILD   the pty, kernel settings, identity and capabilities, seccomp, cwd (resolved inside
 *          the container's root), close fds, exec.
 * No namespace is created (cloneFlags 0): a joined pid namespace applies to the clone.
 */

export interface ExecHostFacts {
  /** The init's namespaces that differ from berth's own: spec type and its /proc/<pid>/ns path. */
  namespaces: { type: string; path: string }[];
  /** The cgroup.procs files the process is put in, one per hierarchy. */
  cgroupProcs: string[];
  /** The user's home directory in the container's /etc/passwd, when the env has no HOME. */
  home?: string;
}

export interface ExecPlanInput {
  process: Process;
  /** The container's filter (linux.seccomp of its config): an exec'd process gets it too, as with runc. */
  seccomp?: Seccomp;
  /** Return once the process runs (no "exit" report). */
  detach: boolean;
  /** --console-socket, when process.terminal is true. */
  consoleSocket?: string;
  /** The caller's fds 3.. the process gets (--preserve-fds N), with their gaps. */
  passedFds: PassedFds;
  /** --cgroup was given: the cgroup.procs files are its sub-cgroups. */
  cgroupFlag?: boolean;
  /** Where the process's fields came from (ExecRequest.fields); absent: a --process file. */
  fields?: ExecFields;
  /** The container's own process (config.json's), which exec's flags start from. */
  configProcess?: Process;
  /** linux.namespaces of the container's config: how create made or entered each namespace. */
  containerNamespaces: readonly Namespace[];
  host: ExecHostFacts;
}

/**
 * Where an exec'd process's fields came from: `flags` maps a field's pointer in the process
 * (`/cwd`) to the flag that set it (`--cwd`); any other field is named by its pointer in
 * config.json's process when `fromConfig` (`/process/cwd`), else in the --process file (`/cwd`).
 */
export interface ExecFields {
  fromConfig: boolean;
  flags: Record<string, string>;
}

/** FieldAt for the exec'd process: the flag that set the field (or one below or above it), else its pointer. */
export function execFieldsOf(process: Process, fields: ExecFields = { fromConfig: false, flags: {} }, configProcess?: Process): FieldAt {
  const pointerIn = fields.fromConfig ? fieldsOf(configProcess ?? process, '/process') : fieldsOf(process);
  return (...path) => {
    const pointer = pointerOf(...path);
    const set = Object.entries(fields.flags).find(([p]) => p === pointer || p.startsWith(`${pointer}/`) || pointer.startsWith(`${p}/`));
    return set ? set[1] : pointerIn(...path);
  };
}

export function compileExecPlan(input: ExecPlanInput): Plan {
  const { process, seccomp, host } = input;
  const pre: PlanOp[] = [];
  const parent: PlanOp[] = [];
  const child: PlanOp[] = [];
  const at = execFieldsOf(process, input.fields, input.configProcess);

  // Before anything: the helper keeps only stdio, its control fds and the caller's passed fds.
  pre.push(closeInheritedFdsOp(input.passedFds));
  // Host paths first: after the mount namespace is joined they no longer resolve.
  for (const file of host.cgroupProcs) pre.push(tag(input.cgroupFlag ? '--cgroup' : undefined, { op: 'OPEN_CGROUP_PROCS', args: [file] }));
  if (process.execCPUAffinity?.initial) pre.push(tag(at('execCPUAffinity', 'initial'), { op: 'CPU_AFFINITY', args: cpuList(process.execCPUAffinity.initial) }));
  const terminal = process.terminal === true;
  if (terminal && input.consoleSocket) pre.push({ op: 'CONSOLE_CONNECT', args: [input.consoleSocket], field: '--console-socket' });
  // In the foreground without a console socket the helper relays the pty, as for `run`.
  else if (terminal && !input.detach) pre.push(tag(at('terminal'), { op: 'CONSOLE_PAIR', args: [] }));
  // The filter is built with the host's libseccomp (dlopen) and inherited by the clone.
  if (seccomp) pre.push(...seccompOps(seccomp));
  pre.push({ op: 'EXEC_STATUS_PIPE', args: [] });
  const joins = joinOrderFor(host.namespaces, input.containerNamespaces);
  if (joins.length > 0) pre.push({ op: 'JOIN_NAMESPACES', args: joins.flatMap((ns) => [ns.path, nsFlags[ns.type]!]) });

  if (host.cgroupProcs.length > 0) parent.push(tag(input.cgroupFlag ? '--cgroup' : undefined, { op: 'JOIN_CGROUPS', args: [] }));
  parent.push({ op: 'REPORT_PID', args: [] }, { op: 'RELEASE_CHILD', args: [] }, { op: 'WAIT_EXEC', args: [] });

  child.push({ op: 'WAIT_PARENT', args: [] });
  if (terminal && (input.consoleSocket || !input.detach)) child.push(consoleSetupOp(process, at));
  child.push(...processSettingOps(process, at));
  const seccompLoad: PlanOp[] = seccomp ? [seccompLoadOp()] : [];
  // As at create: without no_new_privs the filter goes in while still privileged; with it, last.
  child.push(...identityOps(process, process.noNewPrivileges ? [] : seccompLoad, at));
  if (process.noNewPrivileges) child.push(...seccompLoad);
  child.push(...closeAndExecOps(process, input.passedFds, containerEnv(process.env ?? [], host.home, 0), at, input.passedFds.count > 0 ? '--preserve-fds' : undefined));

  return { flags: input.detach ? 0 : PlanFlag.foreground, cloneFlags: 0, pre, parent, child };
}

/**
 * The user namespace first, so that the others are joined with its privileges. Except when create
 * made the user namespace (clone): what it entered or made before that, namespaces given by path
 * and a new time namespace (unshared before the clone, see plan.ts), belongs to an outer user
 * namespace whose privileges the helper gives up on joining the container's: those go first.
 */
function joinOrderFor<T extends { type: string }>(joins: readonly T[], config: readonly Namespace[]): T[] {
  const madeUserNs = config.some((n) => n.type === 'user' && !n.path);
  const outer = (type: string) => madeUserNs && type !== 'user' && config.some((n) => n.type === type && (n.path !== undefined || type === 'time'));
  const rank = (type: string) => (outer(type) ? -joinOrder.length : 0) + joinOrder.indexOf(type);
  return [...joins].sort((a, b) => rank(a.type) - rank(b.type));
}
