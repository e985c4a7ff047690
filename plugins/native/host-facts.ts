import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Spec } from '../../core/plugin-api.js';
import { MS, parseMountOptions } from './mount-options.js';
import { resolveSource, type HostFacts } from './plan.js';

/** What the plan compiler needs to know about this host and bundle, measured once at create. */
export function measureHost(spec: Spec, bundle: string, rootfs: string): HostFacts {
  const pathKinds: HostFacts['pathKinds'] = {};
  for (const mount of spec.mounts ?? []) {
    const bind = mount.type === 'bind' || (parseMountOptions(mount.options).flags & MS.BIND) !== 0;
    if (!bind || mount.source === undefined) continue;
    const source = resolveSource(mount.source, bundle);
    pathKinds[source] = kindOf(source);
  }
  const { cgroupV1, cgroup2 } = cgroupLayout(readFileSync('/proc/self/mountinfo', 'utf8'));
  return { pathKinds, cgroupV1, cgroup2, home: homeOf(rootfs, spec.process?.user.uid ?? 0) };
}

function kindOf(path: string): HostFacts['pathKinds'][string] {
  try {
    const st = statSync(path);
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
  } catch {
    return 'missing';
  }
}

/** cgroup hierarchies mounted under /sys/fs/cgroup, from mountinfo. */
export function cgroupLayout(mountinfo: string): Pick<HostFacts, 'cgroupV1' | 'cgroup2'> {
  const cgroupV1: HostFacts['cgroupV1'] = [];
  let cgroup2: HostFacts['cgroup2'] = 'none';
  for (const line of mountinfo.split('\n')) {
    const [before, after] = line.split(' - ');
    if (!before || !after) continue;
    const mountPoint = before.split(' ')[4] ?? '';
    const [fsType, , superOptions = ''] = after.split(' ');
    if (fsType === 'cgroup2') {
      if (mountPoint === '/sys/fs/cgroup') cgroup2 = 'pure';
      else if (mountPoint === '/sys/fs/cgroup/unified') cgroup2 = 'unified';
    } else if (fsType === 'cgroup' && mountPoint.startsWith('/sys/fs/cgroup/')) {
      const options = superOptions.split(',').filter((o) => o !== 'rw' && o !== 'ro').join(',');
      cgroupV1.push({ dir: mountPoint.slice('/sys/fs/cgroup/'.length), options });
    }
  }
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
