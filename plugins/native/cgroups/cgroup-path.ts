import { posix } from 'node:path';

/**
 * Where a container's cgroup goes in each hierarchy, from linux.cgroupsPath (runc's rules). Pure.
 *  - absolute: below each hierarchy's root;
 *  - relative, or absent (then the container id): below the runtime's own cgroup;
 *  - with --systemd-cgroup, `slice:prefix:name`: systemd's layout (the slice expanded, the unit
 *    `prefix-name.scope`), made directly on cgroupfs since berth does not talk to systemd.
 */
export interface ContainerCgroupPath {
  path: string;
  /** Below the runtime's own cgroup rather than the hierarchy's root. */
  belowOwn: boolean;
  /** For the log: how a systemd path was mapped. */
  note?: string;
}

export function containerCgroupPath(cgroupsPath: string | undefined, id: string, systemd: boolean): { path?: ContainerCgroupPath; problem?: string } {
  if (systemd) return systemdPath(cgroupsPath ?? `system.slice:berth:${id}`);
  if (cgroupsPath === undefined || cgroupsPath === '') return { path: { path: id, belowOwn: true } };
  const belowOwn = !cgroupsPath.startsWith('/');
  // Normalized as if absolute, so that no ".." climbs out (the spec's checks refuse them too).
  const normalized = posix.normalize(`/${cgroupsPath}`).replace(/\/+$/, '');
  // delete kills every process in the container's cgroup and below: never the host's or berth's own.
  if (normalized === '') return { problem: belowOwn ? 'must name a cgroup below the runtime\'s own, not the runtime\'s own cgroup' : 'must name a cgroup below the hierarchy\'s root, not the root' };
  return { path: { path: belowOwn ? normalized.slice(1) : normalized, belowOwn } };
}

function systemdPath(text: string): { path?: ContainerCgroupPath; problem?: string } {
  const parts = text.split(':');
  if (parts.length !== 3) return { problem: `with --systemd-cgroup, must be "slice:prefix:name", got ${JSON.stringify(text)}` };
  const [slice, prefix, name] = parts as [string, string, string];
  if (name === '') return { problem: `with --systemd-cgroup, the name part of ${JSON.stringify(text)} must not be empty` };
  if (`${prefix}${name}`.includes('/')) return { problem: `with --systemd-cgroup, ${JSON.stringify(text)} names a unit with a "/", which systemd unit names cannot have` };
  const expanded = expandSlice(slice === '' ? 'system.slice' : slice);
  if (expanded === undefined) return { problem: `${JSON.stringify(slice)} is not a valid systemd slice name` };
  const unit = name.endsWith('.slice') ? name : prefix === '' ? `${name}.scope` : `${prefix}-${name}.scope`;
  const path = posix.join(expanded, unit);
  return { path: { path, belowOwn: false, note: `systemd is not managing cgroups here: ${text} is made directly as the cgroupfs path ${path}` } };
}

/** systemd's slice nesting: "a-b.slice" lives in "a.slice"; "-.slice" is the root. */
export function expandSlice(slice: string): string | undefined {
  if (slice === '-.slice') return '/';
  if (!slice.endsWith('.slice') || slice.includes('/')) return undefined;
  const base = slice.slice(0, -'.slice'.length);
  if (base === '' || base.startsWith('-') || base.endsWith('-') || base.includes('--')) return undefined;
  const parts = base.split('-');
  return '/' + parts.map((_, i) => `${parts.slice(0, i + 1).join('-')}.slice`).join('/');
}
