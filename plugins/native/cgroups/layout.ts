import { readFileSync } from 'node:fs';

/**
 * The host's cgroup hierarchies, from /proc/self/mountinfo and /proc/self/cgroup. Pure.
 * v1: one entry per mounted hierarchy (co-mounted controllers share one); a named hierarchy
 * such as name=systemd has no controllers but is joined all the same (as runc does).
 * v2: the cgroup2 mount, at /sys/fs/cgroup (pure v2) or elsewhere (hybrid: /sys/fs/cgroup/unified).
 */

export interface V1Hierarchy {
  mountPoint: string;
  /** The super options that name the hierarchy: "memory", "cpu,cpuacct", "name=systemd". */
  options: string;
  controllers: string[];
  /** This process's cgroup in the hierarchy, relative to the mount's root ("/" at the top). */
  own: string;
}

export interface V2Hierarchy {
  mountPoint: string;
  own: string;
}

export interface CgroupLayout {
  /** 'v2' when only cgroup2 is mounted; 'hybrid' when both are; 'v1' without cgroup2. */
  mode: 'v1' | 'hybrid' | 'v2';
  v1: V1Hierarchy[];
  v2?: V2Hierarchy;
}

/** This host's layout, as this process sees it. */
export function hostCgroupLayout(): CgroupLayout {
  return parseCgroupLayout(readFileSync('/proc/self/mountinfo', 'utf8'), readFileSync('/proc/self/cgroup', 'utf8'));
}

export function parseCgroupLayout(mountinfo: string, selfCgroup: string): CgroupLayout {
  const ownByKey = new Map<string, string>();
  for (const line of selfCgroup.split('\n')) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (match) ownByKey.set(match[2]!, match[3]!);
  }
  const v1: V1Hierarchy[] = [];
  let v2: V2Hierarchy | undefined;
  for (const line of mountinfo.split('\n')) {
    const [before, after] = line.split(' - ');
    if (!before || !after) continue;
    const fields = before.split(' ');
    const root = unescapeMountPath(fields[3] ?? '/');
    const mountPoint = unescapeMountPath(fields[4] ?? '');
    const [fsType, , superOptions = ''] = after.split(' ');
    if (fsType === 'cgroup2') {
      // The hierarchy is mounted once where the host mounted it; other mounts of it are ignored.
      if (!v2 || mountPoint === '/sys/fs/cgroup') v2 = { mountPoint, own: relativeTo(root, ownByKey.get('') ?? '/') };
    } else if (fsType === 'cgroup') {
      const names = superOptions.split(',').filter((o) => !['rw', 'ro', 'clone_children', 'noprefix', 'xattr', 'cpuset_v2_mode', 'favordynmods'].includes(o) && !o.startsWith('release_agent='));
      const controllers = names.filter((n) => !n.startsWith('name='));
      const key = [...ownByKey.keys()].find((k) => sameSet(k.split(','), names));
      if (v1.some((h) => sameSet(h.options.split(','), names))) continue;
      v1.push({ mountPoint, options: names.join(','), controllers, own: relativeTo(root, key === undefined ? '/' : ownByKey.get(key)!) });
    }
  }
  const mode = v1.length === 0 ? 'v2' : v2 ? 'hybrid' : 'v1';
  return { mode, v1, ...(v2 ? { v2 } : {}) };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/** A cgroup path as seen inside a mount whose root is `root`. */
function relativeTo(root: string, path: string): string {
  if (root === '/' || (path !== root && !path.startsWith(`${root}/`))) return path;
  return path.slice(root.length) || '/';
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
export function unescapeMountPath(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}
