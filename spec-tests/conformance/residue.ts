import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Observations of what a container leaves on the host, made from outside the runtime: its
 * state entry under --root, its processes, its cgroup directories, mounts in the host's mount
 * namespace. Used after delete (nothing create made may remain) and after a refused create
 * (as if it had never been attempted).
 */

/** A process that can be told apart from a later one reusing its pid. */
export interface ProcessIdentity {
  pid: number;
  startTime: string;
}

/** Field 22 of /proc/PID/stat (after the parenthesised command name, which may hold spaces). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

export function identify(pid: number): ProcessIdentity | undefined {
  const fields = statFields(pid);
  return fields ? { pid, startTime: fields[19] } : undefined;
}

/** Still there, and not a zombie waiting to be reaped (a zombie runs nothing and holds nothing but its pid). */
export function isAlive(p: ProcessIdentity): boolean {
  const fields = statFields(p.pid);
  return fields !== undefined && fields[19] === p.startTime && fields[0] !== 'Z';
}

/** The inode of a process's namespace of `kind` (a /proc/PID/ns name: net, mnt...), or null without one. */
export function namespaceInode(pid: number | 'self', kind: string): number | null {
  try {
    const inode = /\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/${kind}`))?.[1];
    return inode === undefined ? null : Number(inode);
  } catch {
    return null;
  }
}

/** /proc/PID/exe as the process's own mount namespace names it ("/bin/busybox"); '' when unreadable. */
export function executableOf(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return '';
  }
}

/** Paths under `root` (three levels deep) named `id`: the runtime's state entry for the container. */
export function stateEntries(root: string, id: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      if (name === id || name.startsWith(`${id}.`)) found.push(path);
      else if (depth < 3 && isDirectory(path)) walk(path, depth + 1);
    }
  };
  walk(root, 1);
  return found;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

interface MountInfo {
  root: string;
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

export function parseMountInfo(text: string): MountInfo[] {
  return text.trim().split('\n').filter(Boolean).map((line) => {
    const [left, right] = line.split(' - ');
    const fields = left.split(' ');
    const [fsType, , superOptions] = right.split(' ');
    return { root: unescapeMountPath(fields[3]), mountPoint: unescapeMountPath(fields[4]), fsType, superOptions: (superOptions ?? '').split(',') };
  });
}

/** Mount points in the suite's (the host's) mount namespace at or below `dir`. */
export function hostMountsUnder(dir: string): string[] {
  return parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8'))
    .map((m) => m.mountPoint)
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
}

/** One of a process's cgroups: the hierarchy's controllers ([] for v2 and named v1 ones) and the directory on this host. */
export interface CgroupMembership {
  version: 1 | 2;
  controllers: string[];
  dir: string;
}

/**
 * The cgroups a process is in, on this host's mounts: one per line of /proc/PID/cgroup (v1
 * hierarchies by their controllers or name=, the v2 one by "0::") that a mount here shows.
 */
export function cgroupsOf(pid: number | 'self'): CgroupMembership[] {
  let lines: string[];
  try {
    lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  } catch {
    return [];
  }
  const mounts = parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8'));
  const found: CgroupMembership[] = [];
  for (const line of lines) {
    const [hierarchy, controllers, path] = [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1, line.lastIndexOf(':')), line.slice(line.lastIndexOf(':') + 1)];
    const wanted = controllers.split(',').filter(Boolean);
    const v2 = hierarchy === '0' && controllers === '';
    const mount = v2 ? mounts.find((m) => m.fsType === 'cgroup2') : mounts.find((m) => m.fsType === 'cgroup' && wanted.every((c) => m.superOptions.includes(c)));
    if (!mount) continue;
    const relative = mount.root === '/' ? path : path.startsWith(mount.root) ? path.slice(mount.root.length) : undefined;
    if (relative === undefined) continue;
    found.push({ version: v2 ? 2 : 1, controllers: wanted.filter((c) => !c.startsWith('name=')), dir: join(mount.mountPoint, relative) });
  }
  return found;
}

/** The cgroup directories a process is in (see cgroupsOf). */
export function cgroupDirsOf(pid: number | 'self'): string[] {
  return cgroupsOf(pid).map((c) => c.dir);
}

/**
 * Where process `pid`'s `controller` files are: the v1 hierarchy that has the controller, else
 * the unified (v2) one when it has the controller enabled.
 */
export function controllerDirOf(pid: number, controller: string): CgroupMembership | undefined {
  const memberships = cgroupsOf(pid);
  const v1 = memberships.find((c) => c.version === 1 && c.controllers.includes(controller));
  if (v1) return v1;
  const v2 = memberships.find((c) => c.version === 2);
  if (!v2) return undefined;
  try {
    return readFileSync(join(v2.dir, 'cgroup.controllers'), 'utf8').split(/\s+/).includes(controller) ? v2 : undefined;
  } catch {
    return undefined;
  }
}

/** cgroup directories of a container that the runtime made for it: those the suite itself is not in. */
export function containerCgroupDirs(pid: number): string[] {
  const own = new Set(cgroupDirsOf('self'));
  const shared = new Set(cgroupDirsOf(1));
  return cgroupDirsOf(pid).filter((d) => !own.has(d) && !shared.has(d) && !isMountPoint(d));
}

function isMountPoint(dir: string): boolean {
  return parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8')).some((m) => m.mountPoint === dir);
}

export const existingPaths = (paths: readonly string[]) => paths.filter((p) => existsSync(p));

/** The environment variable the suite gives every runtime call: its processes carry the case's directory. */
export const caseMarker = 'BERTH_CONFORMANCE_CASE';

/**
 * Live processes (other than the suite's own) that belong to the case in `dir`: a runtime's
 * helper or init still carrying the case marker in its environment, a process whose root or
 * working directory lies in the case directory (a runtime's init before pivot_root), or one
 * whose mount namespace has a rootfs from the case directory as its root (a container).
 */
export function caseProcesses(dir: string): { pid: number; command: string }[] {
  const mounts = parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8'));
  // The case directory as mountinfo's "root" field names it: relative to its filesystem's root.
  const holder = mounts.filter((m) => dir === m.mountPoint || dir.startsWith(m.mountPoint === '/' ? '/' : `${m.mountPoint}/`)).sort((a, b) => b.mountPoint.length - a.mountPoint.length)[0];
  const fsPath = holder ? join(holder.root, dir.slice(holder.mountPoint === '/' ? 0 : holder.mountPoint.length)) : dir;
  const marker = `${caseMarker}=${dir}\0`;
  const found: { pid: number; command: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const pid = Number(name);
    const under = (path: string) => path === dir || path.startsWith(`${dir}/`);
    const belongs =
      ['root', 'cwd'].some((link) => tryRead(() => under(readlinkSync(`/proc/${pid}/${link}`)))) ||
      tryRead(() => `${readFileSync(`/proc/${pid}/environ`, 'utf8')}\0`.includes(marker)) ||
      tryRead(() => parseMountInfo(readFileSync(`/proc/${pid}/mountinfo`, 'utf8')).some((m) => m.mountPoint === '/' && (m.root === fsPath || m.root.startsWith(`${fsPath}/`))));
    if (!belongs) continue;
    const identity = identify(pid);
    if (!identity || !isAlive(identity)) continue;
    found.push({ pid, command: tryRead(() => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()) || '' });
  }
  return found;
}

/** The value, or a falsy one when the process vanished or hides it meanwhile. */
function tryRead<T>(read: () => T): T | false {
  try {
    return read();
  } catch {
    return false;
  }
}
