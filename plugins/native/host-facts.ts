import { readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Spec } from '../../core/plugin-api.js';
import { MS, parseMountOptions } from './mount-options.js';
import { resolveSource, type HostFacts } from './plan.js';
import { hostCgroupLayout, unescapeMountPath, type CgroupLayout } from './cgroups/layout.js';
import type { RlimitHostFacts } from './rlimit-check.js';

/** What the plan compiler needs to know about this host and bundle, measured once at create. */
export function measureHost(spec: Spec, bundle: string, rootfs: string): HostFacts {
  const pathKinds: HostFacts['pathKinds'] = {};
  for (const mount of spec.mounts ?? []) {
    const bind = mount.type === 'bind' || (parseMountOptions(mount.options).flags & MS.BIND) !== 0;
    if (!bind || mount.source === undefined) continue;
    const source = resolveSource(mount.source, bundle);
    pathKinds[source] = kindOf(source);
  }
  const { cgroupV1, cgroup2 } = cgroupMountFacts(hostCgroupLayout());
  return {
    pathKinds,
    cgroupV1,
    cgroup2,
    home: homeOf(rootfs, spec.process?.user.uid ?? 0),
    ownNamespacePaths: ownNamespacePaths(spec),
    rootfsMountPoint: mountPointOf(realpathOr(rootfs), readFileSync('/proc/self/mountinfo', 'utf8')),
    rlimits: measureRlimitHost(),
  };
}

function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path; // a missing rootfs is reported by the helper, which cannot reach it either
  }
}

/** The mount point of the mount that holds `path` (an absolute path without symlinks): the longest mount point above or at it. */
export function mountPointOf(path: string, mountinfo: string): string {
  let best = '/';
  for (const line of mountinfo.split('\n')) {
    const mountPoint = unescapeMountPath(line.split(' ')[4] ?? '');
    const holds = mountPoint === path || path.startsWith(mountPoint === '/' ? '/' : `${mountPoint}/`);
    if (mountPoint.startsWith('/') && holds && mountPoint.length > best.length) best = mountPoint;
  }
  return best;
}

/** /proc/self/ns file names of the config's namespace types. */
const nsFiles: Record<string, string> = { pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time' };

/**
 * The namespace paths that name berth's own namespace: joining them is staying in the host's
 * (runc compares the same inodes before it lets a sysctl through). A path that cannot be read is
 * left to the helper, whose setns reports it.
 */
function ownNamespacePaths(spec: Spec): string[] {
  return (spec.linux?.namespaces ?? []).filter((ns) => {
    if (!ns.path || !nsFiles[ns.type]) return false;
    try {
      const joined = statSync(ns.path);
      const own = statSync(`/proc/self/ns/${nsFiles[ns.type]}`);
      return joined.dev === own.dev && joined.ino === own.ino;
    } catch {
      return false;
    }
  }).map((ns) => ns.path!);
}

function kindOf(path: string): HostFacts['pathKinds'][string] {
  try {
    const st = statSync(path);
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
  } catch {
    return 'missing';
  }
}

/** The host's cgroup hierarchies, as a `cgroup` mount inside the container reproduces them. */
export function cgroupMountFacts(layout: CgroupLayout): Pick<HostFacts, 'cgroupV1' | 'cgroup2'> {
  const under = '/sys/fs/cgroup/';
  const cgroupV1 = layout.v1.filter((h) => h.mountPoint.startsWith(under)).map((h) => ({ dir: h.mountPoint.slice(under.length), options: h.options }));
  const cgroup2 = layout.v2?.mountPoint === '/sys/fs/cgroup' ? 'pure' : layout.v2 ? 'unified' : 'none';
  return { cgroupV1, cgroup2 };
}

/** The user's home directory in the container's /etc/passwd, as runc sets HOME. */
export function homeOf(rootfs: string, uid: number): string | undefined {
  try {
    for (const line of readFileSync(join(rootfs, 'etc', 'passwd'), 'utf8').split('\n')) {
      const fields = line.split(':');
      if (fields.length >= 6 && Number(fields[2]) === uid) return fields[5];
    }
  } catch {
    // no /etc/passwd in the rootfs: HOME=/
  }
  return undefined;
}

/** /proc/self/limits' row names → RLIMIT_* names. */
const limitRows: Record<string, string> = {
  'Max cpu time': 'RLIMIT_CPU', 'Max file size': 'RLIMIT_FSIZE', 'Max data size': 'RLIMIT_DATA', 'Max stack size': 'RLIMIT_STACK',
  'Max core file size': 'RLIMIT_CORE', 'Max resident set': 'RLIMIT_RSS', 'Max processes': 'RLIMIT_NPROC', 'Max open files': 'RLIMIT_NOFILE',
  'Max locked memory': 'RLIMIT_MEMLOCK', 'Max address space': 'RLIMIT_AS', 'Max file locks': 'RLIMIT_LOCKS', 'Max pending signals': 'RLIMIT_SIGPENDING',
  'Max msgqueue size': 'RLIMIT_MSGQUEUE', 'Max nice priority': 'RLIMIT_NICE', 'Max realtime priority': 'RLIMIT_RTPRIO', 'Max realtime timeout': 'RLIMIT_RTTIME',
};

/** The hard limits in /proc/<pid>/limits text, by RLIMIT_* name ("unlimited" is RLIM_INFINITY, 2^64−1). */
export function parseHardLimits(text: string): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const line of text.split('\n')) {
    const match = /^(Max [a-z ]+?)\s{2,}(\S+)\s+(\S+)/.exec(line);
    const name = match ? limitRows[match[1]!] : undefined;
    if (!name) continue;
    const hard = match![3]!;
    if (hard === 'unlimited') out[name] = 2n ** 64n - 1n;
    else if (/^\d+$/.test(hard)) out[name] = BigInt(hard);
  }
  return out;
}

/** CAP_SYS_RESOURCE is bit 24 of a /proc/<pid>/status CapEff mask. */
export function hasCapSysResource(status: string): boolean {
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  return hex !== undefined && (BigInt(`0x${hex}`) & (1n << 24n)) !== 0n;
}

/** berth's own rlimits and capabilities: what its container processes inherit and may raise. */
export function measureRlimitHost(): RlimitHostFacts {
  let nrOpen: bigint | undefined;
  try {
    nrOpen = BigInt(readFileSync('/proc/sys/fs/nr_open', 'utf8').trim());
  } catch {
    // not readable here: the helper's setrlimit reports it
  }
  return {
    hardLimits: parseHardLimits(readFileSync('/proc/self/limits', 'utf8')),
    capSysResource: hasCapSysResource(readFileSync('/proc/self/status', 'utf8')),
    ...(nrOpen !== undefined ? { nrOpen } : {}),
  };
}
