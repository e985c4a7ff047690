import { linuxCapabilities, pointerOf, RuntimeError, valueAt, type Diagnostic, type Mount, type PassedFds, type Process, type Spec } from '../../core/plugin-api.js';
import { MS, parseMountOptions, recursiveAttributes, remountableFlags } from './mount-options.js';
import { sysctlNamespace } from './native-validate.js';
import { rlimitProblems, type RlimitHostFacts } from './rlimit-check.js';
import { seccompOps, usesNotify } from './seccomp.js';
import { CloneFlag, PlanFlag, type Arg, type OpName, type Plan, type PlanOp } from './wire.js';

/**
 * config.json → the plan the helper executes. Pure: everything it needs from the host arrives
 * in `host`, measured by the engine beforehand. The order of the CHILD ops is runc's:
 * namespaces, rootfs and mounts, devices, a sync point for the create-phase hooks, pivot_root,
 * read-only and masked paths, kernel settings, identity and capabilities, the exec fifo, exec.
 */

export interface HostFacts {
  /** What each bind-mount source is (resolved against the bundle). */
  pathKinds: Record<string, 'file' | 'dir' | 'other' | 'missing'>;
  /** cgroup v1 hierarchies under /sys/fs/cgroup: directory name and mount options. */
  cgroupV1: { dir: string; options: string }[];
  /** A cgroup2 hierarchy exists (pure v2, or /sys/fs/cgroup/unified on hybrid). */
  cgroup2: 'pure' | 'unified' | 'none';
  /** The container user's home directory from the rootfs' /etc/passwd, when HOME is not set. */
  home?: string;
  /** Namespace paths in the config that name the runtime's own namespace (the host's, as runc calls it). */
  ownNamespacePaths?: string[];
  /** The mount point of the mount that holds the rootfs (the rootfs itself when it is one); "/" when unknown. */
  rootfsMountPoint?: string;
  /** berth's own hard rlimits and whether it may raise them (rlimit-check.ts). */
  rlimits?: RlimitHostFacts;
}

export interface PlanInput {
  /** The container id (the seccomp agent's state names it). */
  id: string;
  spec: Spec;
  bundle: string;
  rootfs: string;
  execFifo: string;
  noPivot: boolean;
  /** The caller's fds the container process gets (LISTEN_FDS ones, then --preserve-fds), with their gaps. */
  passedFds: PassedFds;
  /** LISTEN_FDS of the caller (systemd socket activation), passed through like runc: the container is told. */
  listenFds: number;
  foreground: boolean;
  /** --console-socket, when process.terminal is true. */
  consoleSocket?: string;
  /** The container's cgroup.procs files, one per hierarchy: the child is put in them before it runs. */
  cgroupProcs?: string[];
  /**
   * The container's cgroup directory on the host, per v1 hierarchy (by its options, e.g.
   * "memory") and for v2 (""): without a cgroup namespace, a `cgroup` mount shows only these.
   */
  cgroupDirs?: Record<string, string>;
  host: HostFacts;
}

export interface CompiledPlan {
  plan: Plan;
  diagnostics: Diagnostic[];
}

export const nsFlags: Record<string, number> = {
  mount: CloneFlag.CLONE_NEWNS,
  pid: CloneFlag.CLONE_NEWPID,
  network: CloneFlag.CLONE_NEWNET,
  ipc: CloneFlag.CLONE_NEWIPC,
  uts: CloneFlag.CLONE_NEWUTS,
  user: CloneFlag.CLONE_NEWUSER,
  cgroup: CloneFlag.CLONE_NEWCGROUP,
  time: CloneFlag.CLONE_NEWTIME,
};
/** Join order: the user namespace first, so the others are joined with its privileges. */
export const joinOrder = ['user', 'ipc', 'uts', 'network', 'pid', 'mount', 'cgroup', 'time'];

const rlimitNumbers: Record<string, number> = {
  RLIMIT_CPU: 0, RLIMIT_FSIZE: 1, RLIMIT_DATA: 2, RLIMIT_STACK: 3, RLIMIT_CORE: 4, RLIMIT_RSS: 5, RLIMIT_NPROC: 6,
  RLIMIT_NOFILE: 7, RLIMIT_MEMLOCK: 8, RLIMIT_AS: 9, RLIMIT_LOCKS: 10, RLIMIT_SIGPENDING: 11, RLIMIT_MSGQUEUE: 12,
  RLIMIT_NICE: 13, RLIMIT_RTPRIO: 14, RLIMIT_RTTIME: 15,
};

const personalities: Record<string, number> = { LINUX: 0x0000, LINUX32: 0x0008 };
const ioprioClasses: Record<string, number> = { IOPRIO_CLASS_RT: 1, IOPRIO_CLASS_BE: 2, IOPRIO_CLASS_IDLE: 3 };

/** The devices every container gets (runc's defaults), mode 0666, owned by root. */
export const defaultDevices = [
  { path: '/dev/null', major: 1, minor: 3 },
  { path: '/dev/zero', major: 1, minor: 5 },
  { path: '/dev/full', major: 1, minor: 7 },
  { path: '/dev/random', major: 1, minor: 8 },
  { path: '/dev/urandom', major: 1, minor: 9 },
  { path: '/dev/tty', major: 5, minor: 0 },
];
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

/**
 * Names the config field an op comes from (PlanOp.field): a JSON pointer built from `path`.
 * A field the document lacks is its nearest ancestor's choice (no `capabilities`: drop them
 * all), so the pointer is cut back to the deepest part the document has: it always resolves.
 */
export type FieldAt = (...path: (string | number)[]) => string | undefined;

/**
 * FieldAt into `document`, found at `base` in its file ('' when it is the file): the whole
 * document, when none of the path is there, is named by `base`, and not at all when that is
 * the file itself (a missing field of a --process file is no field of it).
 */
export function fieldsOf(document: unknown, base = ''): FieldAt {
  return (...path) => {
    for (let n = path.length; n > 0; n--) {
      const pointer = pointerOf(...path.slice(0, n));
      if (valueAt(document, pointer) !== undefined) return `${base}${pointer}`;
    }
    return base === '' ? undefined : base;
  };
}

/** The op tagged with its field (when it has one). */
export function tag(field: string | undefined, op: PlanOp): PlanOp {
  return field === undefined ? op : { ...op, field };
}

export function compilePlan(input: PlanInput): CompiledPlan {
  const { spec, rootfs } = input;
  const diagnostics: Diagnostic[] = rlimitProblems(spec.process, spec.linux?.namespaces ?? [], input.host.ownNamespacePaths ?? [], input.host.rlimits);
  const pre: PlanOp[] = [];
  const parent: PlanOp[] = [];
  const child: PlanOp[] = [];
  const at = fieldsOf(spec);
  /** An op derived from the config field `field` (undefined: one of the runtime's own steps). */
  const op = (list: PlanOp[], field: string | undefined, name: OpName, ...args: Arg[]) => list.push(tag(field, { op: name, args }));
  const linux = spec.linux ?? {};
  const namespaces = linux.namespaces ?? [];
  const newNs = new Set(namespaces.filter((n) => !n.path).map((n) => n.type));
  const userNs = namespaces.some((n) => n.type === 'user');
  const nsField = (type: string) => {
    const i = namespaces.findIndex((n) => n.type === type);
    return i < 0 ? undefined : pointerOf('linux', 'namespaces', i);
  };
  // The container's cgroups come from cgroupsPath when the config has one (else berth's default place).
  const cgroupField = linux.cgroupsPath !== undefined ? pointerOf('linux', 'cgroupsPath') : undefined;

  // The helper dies with berth (SIGKILL), so nothing outlives a create whose berth was killed;
  // then it keeps only stdio, its control fds and the caller's passed fds.
  op(pre, undefined, 'PARENT_DEATH_SIGNAL', 9);
  pre.push(closeInheritedFdsOp(input.passedFds));
  // cgroup.procs files are opened first, while their host paths still resolve (before any setns).
  for (const file of input.cgroupProcs ?? []) op(pre, cgroupField, 'OPEN_CGROUP_PROCS', file);
  // Id-mapped mounts are prepared first, while the helper is still privileged in the host's user namespace.
  const idmapped: PlanOp[] = [];
  (spec.mounts ?? []).forEach((mount, index) => prepareIdmappedMount(mount, index, input, idmapped));
  pre.push(...idmapped);

  // Namespaces: joined in PRE (before clone, so a joined pid namespace applies to the child), created by clone.
  let cloneFlags = 0;
  for (const type of newNs) cloneFlags |= nsFlags[type] ?? 0;
  for (const type of joinOrder) {
    const i = namespaces.findIndex((n) => n.type === type && n.path);
    if (i >= 0) op(pre, pointerOf('linux', 'namespaces', i, 'path'), 'SETNS', namespaces[i]!.path!, nsFlags[type]!);
  }
  // A new cgroup namespace is rooted at the cgroup its creator is in: the child unshares it
  // once the parent has put it into the container's cgroups (runc does the same).
  const lateCgroupNs = newNs.has('cgroup') && (input.cgroupProcs ?? []).length > 0;
  if (lateCgroupNs) cloneFlags &= ~CloneFlag.CLONE_NEWCGROUP;
  // A time namespace's offsets must be written before any process is in it: the helper
  // unshares it (for its children), writes them, and the clone then lands inside.
  if (newNs.has('time')) {
    cloneFlags &= ~CloneFlag.CLONE_NEWTIME;
    op(pre, nsField('time'), 'UNSHARE', CloneFlag.CLONE_NEWTIME);
    const offsets = Object.entries(linux.timeOffsets ?? {}).map(([clock, o]) => `${clock} ${o.secs ?? 0} ${o.nanosecs ?? 0}\n`).join('');
    if (offsets) op(pre, at('linux', 'timeOffsets'), 'WRITE_FILE', '/proc/self/timens_offsets', offsets);
  }
  // 0622: the container process opens it for writing after it changed to the config's user (as runc).
  op(pre, undefined, 'MKFIFO', input.execFifo, 0o622);
  const affinity = spec.process?.execCPUAffinity;
  if (affinity?.initial) op(pre, at('process', 'execCPUAffinity', 'initial'), 'CPU_AFFINITY', ...cpuList(affinity.initial));
  // `run` in the foreground with a terminal and no console socket: the helper relays the pty.
  const relayTerminal = spec.process?.terminal === true && !input.consoleSocket && input.foreground;
  if (relayTerminal) op(pre, at('process', 'terminal'), 'CONSOLE_PAIR');

  if ((input.cgroupProcs ?? []).length > 0) op(parent, cgroupField, 'JOIN_CGROUPS');
  op(parent, undefined, 'REPORT_PID');
  if (newNs.has('user')) {
    op(parent, at('linux', 'uidMappings'), 'WRITE_CHILD_PROC', 'uid_map', idMap(linux.uidMappings));
    op(parent, at('linux', 'gidMappings'), 'WRITE_CHILD_PROC', 'gid_map', idMap(linux.gidMappings));
  }
  op(parent, undefined, 'RELEASE_CHILD');

  op(child, undefined, 'WAIT_PARENT');
  if (newNs.has('user')) {
    // Become root of the new user namespace for the setup (runc does the same).
    op(child, nsField('user'), 'SETGID', 0);
    op(child, nsField('user'), 'SETUID', 0);
  }
  if (lateCgroupNs) op(child, nsField('cgroup'), 'UNSHARE', CloneFlag.CLONE_NEWCGROUP);
  // The seccomp filter is built now, while the host's libseccomp is reachable; loaded later.
  if (linux.seccomp) child.push(...seccompOps(linux.seccomp));
  const listener = linux.seccomp?.listenerPath && usesNotify(linux.seccomp) ? linux.seccomp.listenerPath : undefined;
  const listenerField = pointerOf('linux', 'seccomp', 'listenerPath');
  if (listener) op(child, listenerField, 'SECCOMP_LISTENER_CONNECT', listener);
  // A UTS namespace joined by path may be the host's own: its names are not the container's to set.
  const joinedUts = namespaces.find((n) => n.type === 'uts' && n.path);
  const hostUts = joinedUts !== undefined && (input.host.ownNamespacePaths ?? []).includes(joinedUts.path!);
  for (const name of ['hostname', 'domainname'] as const) {
    if (spec[name] === undefined) continue;
    if (hostUts) diagnostics.push({ pointer: pointerOf(name), message: `would change the host's ${name}: the uts namespace the container joins (${joinedUts!.path}) is the host's` });
    op(child, at(name), name === 'hostname' ? 'SETHOSTNAME' : 'SETDOMAINNAME', spec[name]!);
  }

  // Root filesystem.
  const propagation = rootPropagation(linux.rootfsPropagation);
  const propagationField = linux.rootfsPropagation !== undefined ? at('linux', 'rootfsPropagation') : undefined;
  op(child, propagationField, 'MOUNT', '', '/', '', propagation, '');
  // pivot_root refuses a new root whose parent mount is shared: with shared propagation, the
  // mount that holds the rootfs is made private before the rootfs is bound (runc and crun too).
  if (propagation & MS.SHARED) op(child, propagationField, 'MOUNT', '', input.host.rootfsMountPoint ?? '/', '', MS.PRIVATE, '');
  op(child, at('root', 'path'), 'MOUNT', rootfs, rootfs, '', MS.BIND | MS.REC, '');

  let idmappedSlot = 0;
  (spec.mounts ?? []).forEach((mount, index) => {
    const slot = isIdmapped(mount) ? idmappedSlot++ : undefined;
    compileMount(mount, index, input, child, diagnostics, slot);
  });

  compileDevices(input, child, userNs);
  // runc creates a missing cwd (after the mounts, since it may lie inside one).
  op(child, at('process', 'cwd'), 'MKDIR_IN_ROOT', rootfs, spec.process!.cwd, 0o755);
  // The console socket's host path is out of reach after pivot_root: connect now.
  if (spec.process?.terminal && input.consoleSocket) op(child, '--console-socket', 'CONSOLE_CONNECT', input.consoleSocket);

  // Create-phase hooks run here: namespaces and mounts exist, pivot_root has not happened.
  op(child, undefined, 'SYNC', 'create');
  op(child, at('root', 'path'), input.noPivot ? 'MOVE_ROOT' : 'PIVOT_ROOT', rootfs);
  if (linux.rootfsPropagation) op(child, propagationField, 'MOUNT', '', '/', '', propagation, '');
  if (spec.root?.readonly) op(child, at('root', 'readonly'), 'REMOUNT_RO', '/');
  // runc's order: sysctls while /proc/sys is still writable, then read-only and masked paths.
  for (const [key, value] of Object.entries(linux.sysctl ?? {})) {
    const joined = namespaces.find((n) => n.type === sysctlNamespace(key) && n.path);
    if (joined && input.host.ownNamespacePaths?.includes(joined.path!)) {
      diagnostics.push({ pointer: pointerOf('linux', 'sysctl', key), message: `would change the host's: the ${joined.type} namespace the container joins (${joined.path}) is the host's` });
    }
    op(child, pointerOf('linux', 'sysctl', key), 'WRITE_FILE', `/proc/sys/${key.replaceAll('.', '/')}`, value);
  }
  (linux.readonlyPaths ?? []).forEach((path, i) => op(child, pointerOf('linux', 'readonlyPaths', i), 'READONLY_PATH', path));
  (linux.maskedPaths ?? []).forEach((path, i) => op(child, pointerOf('linux', 'maskedPaths', i), 'MASK_PATH', path));

  const process = spec.process!;
  const atProcess: FieldAt = (...path) => at('process', ...path);
  if (process.terminal && (input.consoleSocket || relayTerminal)) child.push(consoleSetupOp(process, atProcess));
  child.push(...processSettingOps(process, atProcess));
  if (linux.personality) op(child, at('linux', 'personality', 'domain'), 'PERSONALITY', personalities[linux.personality.domain] ?? 0);

  // Load the filter; with a listener, hand the agent the notify fd and the container process
  // state (runtime-spec "seccomp listener"), the host pid filled in by the helper.
  const loadSeccomp = (status: string): PlanOp[] => {
    const load = seccompLoadOp();
    if (!listener) return [load];
    const pid = '%PID%';
    const state = { ociVersion: spec.ociVersion, id: input.id, status, pid, bundle: input.bundle, ...(spec.annotations ? { annotations: spec.annotations } : {}) };
    const message = { ociVersion: spec.ociVersion, fds: ['seccompFd'], pid, metadata: linux.seccomp?.listenerMetadata ?? '', state };
    return [load, { op: 'SECCOMP_LISTENER_SEND', args: [JSON.stringify(message).replaceAll('"%PID%"', '%PID%')], field: listenerField }];
  };
  child.push(...identityOps(process, linux.seccomp && !process.noNewPrivileges ? loadSeccomp('creating') : [], atProcess));

  const env = containerEnv(process.env ?? [], input.host.home, input.listenFds);
  // As runc: a program that is not there (looked up as the process, in its cwd) fails create, not start.
  if (process.args?.[0] !== undefined) child.push(tag(atProcess('args', 0), findProgramOp(process.args[0], env)));
  // The fifo is reopened through /proc/self/fd: it fails with whatever the config put at /proc (its proc mount, or none: the rootfs).
  op(child, holderOf(spec, '/proc/self/fd'), 'WAIT_START', input.execFifo);
  if (linux.seccomp && process.noNewPrivileges) child.push(...loadSeccomp('created'));
  const fdsField = input.passedFds.count > input.listenFds ? '--preserve-fds' : input.passedFds.count > 0 ? 'LISTEN_FDS' : undefined;
  child.push(...closeAndExecOps(process, input.passedFds, env, atProcess, fdsField));

  return { plan: { flags: input.foreground ? PlanFlag.foreground : 0, cloneFlags, pre, parent, child }, diagnostics };
}

/**
 * BERTH_FAULT's `plan:<section>:<index>` (test only): a FAULT op before op `index` of that section
 * (the index `berth plan` shows; the section's length means after its last op). Changes nothing
 * without one; one that names no place in this plan is an error, so a test never passes by missing.
 */
export function injectFault(plan: Plan, point: string | undefined): void {
  if (point === undefined) return;
  const [section, index, extra] = point.split(':');
  const ops = section === 'pre' ? plan.pre : section === 'parent' ? plan.parent : section === 'child' ? plan.child : undefined;
  const at = Number(index);
  if (!ops || extra !== undefined || !/^[0-9]+$/.test(index ?? '') || at > ops.length) {
    throw new RuntimeError('INVALID_ARGUMENT', `BERTH_FAULT plan:${point}: expected plan:<pre|parent|child>:<index>, the index at most the section's ${ops?.length ?? 0} ops`);
  }
  ops.splice(at, 0, { op: 'FAULT', args: [] });
}

/** A mount with its own id mappings, or the `idmap`/`ridmap` option (then the container's mappings apply). */
export function isIdmapped(mount: Mount): boolean {
  return mount.uidMappings !== undefined || parseMountOptions(mount.options).idmap !== undefined;
}

function prepareIdmappedMount(mount: Mount, index: number, input: PlanInput, pre: PlanOp[]): void {
  if (!isIdmapped(mount)) return;
  const parsed = parseMountOptions(mount.options);
  const source = resolveSource(mount.source ?? '', input.bundle);
  const kind = input.host.pathKinds[source];
  if (kind === 'missing' || kind === undefined) return; // compileMount reports it
  const linux = input.spec.linux ?? {};
  const uid = mount.uidMappings ?? linux.uidMappings;
  const gid = mount.gidMappings ?? linux.gidMappings;
  pre.push({ op: 'IDMAP_PREPARE', args: [source, (parsed.flags & MS.REC) !== 0 ? 1 : 0, parsed.idmap === 'ridmap' ? 1 : 0, idMap(uid), idMap(gid)], field: pointerOf('mounts', index) });
}

function compileMount(mount: Mount, index: number, input: PlanInput, child: PlanOp[], diagnostics: Diagnostic[], idmappedSlot?: number): void {
  const { rootfs } = input;
  const field = pointerOf('mounts', index);
  const op = (name: OpName, ...args: Arg[]) => child.push({ op: name, args, field });
  const parsed = parseMountOptions(mount.options);
  const destination = mount.destination.startsWith('/') ? mount.destination : `/${mount.destination}`;
  const isBind = (parsed.flags & MS.BIND) !== 0 || mount.type === 'bind';
  if (mount.type === 'cgroup') return compileCgroupMount(destination, parsed.flags, input, child, field);

  if (isBind) {
    const source = resolveSource(mount.source ?? '', input.bundle);
    const kind = input.host.pathKinds[source];
    if (kind === 'missing' || kind === undefined) {
      diagnostics.push({ pointer: pointerOf('mounts', index, 'source'), message: `${source} does not exist on the host` });
      return;
    }
    if (idmappedSlot !== undefined) op('MOVE_MOUNT_IN_ROOT', rootfs, destination, idmappedSlot, kind === 'dir' ? 0 : 1);
    else op('MOUNT_IN_ROOT', rootfs, destination, source, '', MS.BIND | (parsed.flags & MS.REC), '', kind === 'dir' ? 0 : 1);
    // A bind mount takes its flags only through a remount.
    const extra = parsed.flags & remountableFlags;
    if (extra !== 0) op('REMOUNT_IN_ROOT', rootfs, destination, extra);
  } else if (parsed.copyUp) {
    op('MOUNT_TMPFS_COPYUP_IN_ROOT', rootfs, destination, parsed.flags, parsed.data);
  } else {
    op('MOUNT_IN_ROOT', rootfs, destination, mount.source ?? mount.type ?? 'none', mount.type ?? '', parsed.flags, parsed.data, 0);
  }
  for (const propagation of parsed.propagation) op('PROPAGATE_IN_ROOT', rootfs, destination, propagation);
  if (parsed.recursive.length > 0) {
    const { attrSet, attrClr } = recursiveAttributes(parsed.recursive);
    op('SETATTR_IN_ROOT', rootfs, destination, attrSet, attrClr, 0);
  }
}

/**
 * A `cgroup` mount, laid out exactly as runc does: on v2 the cgroup2 filesystem; on v1 (hybrid
 * here) a tmpfs holding one mount per v1 hierarchy with the mount's flags (the tmpfs itself
 * stays writable, and a hybrid host's cgroup2 "unified" hierarchy is not mounted). In a new
 * cgroup namespace the filesystem itself shows the container's cgroup as its root; without one
 * it would show the host's whole hierarchy, so the container's own directory is bound instead.
 */
function compileCgroupMount(destination: string, flags: number, input: PlanInput, child: PlanOp[], field: string): void {
  const { rootfs, host } = input;
  const op = (name: OpName, ...args: Arg[]) => child.push({ op: name, args, field });
  const ownNamespace = (input.spec.linux?.namespaces ?? []).some((n) => n.type === 'cgroup');
  const mountHierarchy = (target: string, type: 'cgroup' | 'cgroup2', options: string, key: string) => {
    const own = input.cgroupDirs?.[key];
    if (ownNamespace || own === undefined) {
      op('MOUNT_IN_ROOT', rootfs, target, type, type, flags, options, 0);
      return;
    }
    op('MOUNT_IN_ROOT', rootfs, target, own, '', MS.BIND | MS.REC, '', 0);
    const extra = flags & remountableFlags;
    if (extra !== 0) op('REMOUNT_IN_ROOT', rootfs, target, extra);
  };
  const base = flags & (MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RELATIME);
  if (host.cgroup2 === 'pure') {
    mountHierarchy(destination, 'cgroup2', '', '');
    return;
  }
  op('MOUNT_IN_ROOT', rootfs, destination, 'tmpfs', 'tmpfs', base, 'mode=755', 0);
  for (const hierarchy of host.cgroupV1) mountHierarchy(`${destination}/${hierarchy.dir}`, 'cgroup', hierarchy.options, hierarchy.options);
}

function compileDevices(input: PlanInput, child: PlanOp[], userNs: boolean): void {
  const { rootfs, spec } = input;
  const op = (field: string | undefined, name: OpName, ...args: Arg[]) => child.push(tag(field, { op: name, args }));
  const configured = spec.linux?.devices ?? [];
  const configuredPaths = new Set(configured.map((d) => d.path));
  // A configured device is its entry in linux.devices; the defaults (and /dev's links) are the
  // runtime's, made where the config put /dev: they fail with the mount that holds them.
  const where = (path: string) => holderOf(spec, path);
  const devices = [
    ...defaultDevices.filter((d) => !configuredPaths.has(d.path)).map((d) => ({ ...d, type: 'c', fileMode: 0o666, uid: 0, gid: 0, field: where(d.path) })),
    ...configured.map((d, i) => ({ ...d, field: pointerOf('linux', 'devices', i) })),
  ];
  for (const device of devices) {
    const type = device.type === 'b' ? S_IFBLK : device.type === 'p' ? S_IFIFO : S_IFCHR;
    // Inside a user namespace mknod is not allowed: bind the host's node instead (runc does the same).
    if (userNs && device.type !== 'p') op(device.field, 'BIND_DEVICE_IN_ROOT', rootfs, device.path, device.path);
    // fileMode may carry the type's own bits too (podman writes S_IFCHR | 0666): the type comes from `type`.
    else op(device.field, 'MKNOD_IN_ROOT', rootfs, device.path, type | ((device.fileMode ?? 0o666) & 0o777), device.major ?? 0, device.minor ?? 0, device.uid ?? 0, device.gid ?? 0);
  }
  for (const [target, link] of [
    ['/proc/self/fd', '/dev/fd'],
    ['/proc/self/fd/0', '/dev/stdin'],
    ['/proc/self/fd/1', '/dev/stdout'],
    ['/proc/self/fd/2', '/dev/stderr'],
    ['pts/ptmx', '/dev/ptmx'],
  ] as const) {
    op(where(link), 'SYMLINK_IN_ROOT', rootfs, target, link);
  }
}

/**
 * The config field that decides where `path` lives in the container: the last mount at it or
 * above it (`/mounts/2`, the /dev tmpfs), else the root filesystem (`/root/path`).
 */
export function holderOf(spec: Spec, path: string): string | undefined {
  const mounts = spec.mounts ?? [];
  const under = (dest: string) => {
    const d = dest.startsWith('/') ? dest.replace(/(.)\/+$/, '$1') : `/${dest}`;
    return d === '/' || path === d || path.startsWith(`${d}/`);
  };
  const i = mounts.findLastIndex((m) => typeof m.destination === 'string' && under(m.destination));
  return i >= 0 ? pointerOf('mounts', i) : spec.root?.path !== undefined ? pointerOf('root', 'path') : undefined;
}

/** The pty, made in the container's devpts and owned by the process's user; its master goes over the console socket (or the relay's pair). */
export function consoleSetupOp(process: Process, at: FieldAt): PlanOp {
  return tag(at('terminal'), { op: 'CONSOLE_SETUP', args: [process.consoleSize?.height ?? 0, process.consoleSize?.width ?? 0, process.user.uid, process.user.gid] });
}

/**
 * The process's kernel settings (create and exec): oom score, rlimits, I/O priority, scheduler,
 * final CPU affinity; `at` names a field of the process (create: `/process/...` of config.json).
 */
export function processSettingOps(process: Process, at: FieldAt): PlanOp[] {
  const ops: PlanOp[] = [];
  const op = (field: string | undefined, name: OpName, ...args: Arg[]) => ops.push(tag(field, { op: name, args }));
  if (process.oomScoreAdj !== undefined) op(at('oomScoreAdj'), 'WRITE_FILE', '/proc/self/oom_score_adj', String(process.oomScoreAdj));
  (process.rlimits ?? []).forEach((rlimit, i) => op(at('rlimits', i), 'SETRLIMIT', rlimitNumbers[rlimit.type]!, BigInt(rlimit.soft), BigInt(rlimit.hard)));
  if (process.ioPriority) op(at('ioPriority'), 'IOPRIO', ioprioClasses[process.ioPriority.class] ?? 0, process.ioPriority.priority ?? 0);
  if (process.scheduler) {
    const s = process.scheduler;
    const flags = (s.flags ?? []).reduce((m, f) => m | (schedFlags[f] ?? 0), 0);
    op(at('scheduler'), 'SCHED', schedPolicies[s.policy] ?? 0, flags, s.nice ?? 0, s.priority ?? 0, s.runtime ?? 0, s.deadline ?? 0, s.period ?? 0);
  }
  if (process.execCPUAffinity?.final) op(at('execCPUAffinity', 'final'), 'CPU_AFFINITY', ...cpuList(process.execCPUAffinity.final));
  return ops;
}

/**
 * Identity and capabilities (create and exec), in runc's order: LSM labels while still
 * privileged (they take effect at exec; the engine has refused them on a host without the
 * module), `seccompLoad` (without no_new_privs, loading a filter needs CAP_SYS_ADMIN, so before
 * the capabilities go), the bounding set, capabilities kept across setuid, groups and ids, the
 * final sets, cwd, umask, no_new_privs.
 */
export function identityOps(process: Process, seccompLoad: readonly PlanOp[], at: FieldAt): PlanOp[] {
  const ops: PlanOp[] = [];
  const op = (field: string | undefined, name: OpName, ...args: Arg[]) => ops.push(tag(field, { op: name, args }));
  const caps = process.capabilities ?? {};
  if (process.apparmorProfile) op(at('apparmorProfile'), 'WRITE_FILE', '/proc/self/attr/apparmor/exec', `exec ${process.apparmorProfile}`);
  if (process.selinuxLabel) op(at('selinuxLabel'), 'WRITE_FILE', '/proc/self/attr/exec', process.selinuxLabel);
  ops.push(...seccompLoad);
  op(at('capabilities', 'bounding'), 'DROP_BOUNDING', capMask(caps.bounding));
  op(at('user'), 'KEEPCAPS', 1);
  op(at('user', 'additionalGids'), 'SETGROUPS', ...(process.user.additionalGids ?? []));
  op(at('user', 'gid'), 'SETGID', process.user.gid);
  op(at('user', 'uid'), 'SETUID', process.user.uid);
  op(at('user'), 'KEEPCAPS', 0);
  op(at('capabilities'), 'SET_CAPS', capMask(caps.effective), capMask(caps.permitted), capMask(caps.inheritable));
  op(at('capabilities', 'ambient'), 'SET_AMBIENT', capMask(caps.ambient));
  op(at('cwd'), 'CHDIR', process.cwd);
  op(at('user', 'umask'), 'UMASK', process.user.umask ?? 0o022);
  if (process.noNewPrivileges) op(at('noNewPrivileges'), 'NO_NEW_PRIVS');
  return ops;
}

/** SECCOMP_LOAD of the container's filter (config.json's linux.seccomp, for exec too). */
export function seccompLoadOp(): PlanOp {
  return { op: 'SECCOMP_LOAD', args: [], field: pointerOf('linux', 'seccomp') };
}

/** FIND_PROGRAM with the PATH EXEC will search (the env's last, as the helper reads it; the helper's default without one). */
function findProgramOp(name: string, env: readonly string[]): PlanOp {
  const path = env.findLast((e) => e.startsWith('PATH='));
  return { op: 'FIND_PROGRAM', args: path === undefined ? [name] : [name, path.slice('PATH='.length)] };
}

/** PRE's first op: the helper closes every fd it was started with but stdio, its control fds and the passed ones. */
export function closeInheritedFdsOp(passed: PassedFds): PlanOp {
  return { op: 'CLOSE_INHERITED_FDS', args: [passed.count, ...passed.gaps] };
}

/**
 * The last two ops: only stdio and the passed fds (moved to 3.., gaps closed) stay open, then
 * exec of process.args; `fdsField` names what asked for the passed fds (`--preserve-fds`).
 */
export function closeAndExecOps(process: Process, passed: PassedFds, env: readonly string[], at: FieldAt, fdsField?: string): PlanOp[] {
  const args = process.args ?? [];
  return [tag(fdsField, { op: 'CLOSE_FDS', args: [passed.count, ...passed.gaps] }), tag(at('args'), { op: 'EXEC', args: [args.length, ...args, ...env] })];
}

/** The process's environment: its env, HOME when missing (the user's home, as runc), LISTEN_FDS passthrough. */
export function containerEnv(env: readonly string[], home: string | undefined, listenFds: number): string[] {
  const out = [...env];
  if (!out.some((e) => e.startsWith('HOME='))) out.push(`HOME=${home ?? '/'}`);
  if (listenFds > 0) {
    const withoutListen = out.filter((e) => !e.startsWith('LISTEN_FDS=') && !e.startsWith('LISTEN_PID='));
    return [...withoutListen, `LISTEN_FDS=${listenFds}`, 'LISTEN_PID=1'];
  }
  return out;
}

const schedPolicies: Record<string, number> = { SCHED_OTHER: 0, SCHED_FIFO: 1, SCHED_RR: 2, SCHED_BATCH: 3, SCHED_ISO: 4, SCHED_IDLE: 5, SCHED_DEADLINE: 6 };
const schedFlags: Record<string, number> = {
  SCHED_FLAG_RESET_ON_FORK: 0x01, SCHED_FLAG_RECLAIM: 0x02, SCHED_FLAG_DL_OVERRUN: 0x04, SCHED_FLAG_KEEP_POLICY: 0x08,
  SCHED_FLAG_KEEP_PARAMS: 0x10, SCHED_FLAG_UTIL_CLAMP_MIN: 0x20, SCHED_FLAG_UTIL_CLAMP_MAX: 0x40,
};

/** "0-3,7" → [0, 1, 2, 3, 7] (the cpuset list format execCPUAffinity uses). */
export function cpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [from, to = from] = part.split('-').map(Number);
    for (let cpu = from!; cpu <= to!; cpu++) cpus.push(cpu);
  }
  return cpus;
}

function idMap(mappings: readonly { containerID: number; hostID: number; size: number }[] = []): string {
  return mappings.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}

function capMask(names: readonly string[] = []): bigint {
  let mask = 0n;
  for (const name of names) {
    const bit = (linuxCapabilities as readonly string[]).indexOf(name);
    if (bit >= 0) mask |= 1n << BigInt(bit);
  }
  return mask;
}

function rootPropagation(value: string | undefined): number {
  switch (value) {
    case 'shared':
      return MS.SHARED | MS.REC;
    case 'private':
      return MS.PRIVATE | MS.REC;
    case 'unbindable':
      return MS.UNBINDABLE | MS.REC;
    default:
      return MS.SLAVE | MS.REC;
  }
}

/** A bind source relative to the bundle, as runc resolves it. */
export function resolveSource(source: string, bundle: string): string {
  return source.startsWith('/') ? source : `${bundle}/${source}`;
}
