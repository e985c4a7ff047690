import { join, posix } from 'node:path';
import type { CgroupLayout } from './layout.js';

/**
 * The cgroup directories an exec'd process joins: those of the container's init (a layout parsed
 * with /proc/<init>/cgroup as the process's own), or below them the sub-cgroups named by
 * `--cgroup` entries, with runc's grammar: `path` alone on cgroup v2, `controller[,controller]:path`
 * on v1 (and hybrid), each controller once. A path is relative to the container's cgroup and
 * may not leave it. Pure; every problem names its entry.
 */
export function execCgroupDirs(layout: CgroupLayout, entries: readonly string[]): { dirs: string[]; problems: string[] } {
  const problems: string[] = [];
  const subs = new Map<string, string>(); // controller ('' for a v2 path) → sub-cgroup
  for (const entry of entries) {
    const colon = entry.indexOf(':');
    const path = colon < 0 ? entry : entry.slice(colon + 1);
    if (path.split('/').includes('..')) {
      problems.push(`--cgroup ${entry}: ".." would leave the container's cgroup`);
      continue;
    }
    if (colon < 0) {
      if (entries.length > 1) problems.push(`--cgroup ${entry}: give a "controller:" prefix (only a single --cgroup may go without one)`);
      else subs.set('', path);
      continue;
    }
    for (const controller of entry.slice(0, colon).split(',')) {
      if (controller === '') problems.push(`--cgroup ${entry}: empty controller name`);
      else if (subs.has(controller)) problems.push(`--cgroup ${entry}: controller ${controller} is given more than once`);
      else subs.set(controller, path);
    }
  }

  const dirs: string[] = [];
  if (layout.mode === 'v2') {
    for (const controller of [...subs.keys()].filter((c) => c !== '')) problems.push(`--cgroup: this host has cgroup v2 only, where controllers share one hierarchy: give a path without "${controller}:"`);
    if (layout.v2) dirs.push(below(join(layout.v2.mountPoint, layout.v2.own), subs.get('')));
    return { dirs, problems };
  }
  if (subs.has('')) problems.push(`--cgroup ${subs.get('')}: this host has cgroup v1 hierarchies: give the controller, as "memory:${subs.get('')}"`);
  const known = layout.v1.flatMap((h) => h.options.split(','));
  for (const controller of subs.keys()) if (controller !== '' && !known.includes(controller)) problems.push(`--cgroup: this host has no ${controller} cgroup hierarchy`);
  for (const h of layout.v1) {
    const given = [...new Set(h.options.split(',').filter((c) => subs.has(c)).map((c) => subs.get(c)!))];
    if (given.length > 1) problems.push(`--cgroup: ${h.options} share one hierarchy, so they take one path, got ${given.join(' and ')}`);
    dirs.push(below(join(h.mountPoint, h.own), given[0]));
  }
  if (layout.v2) dirs.push(join(layout.v2.mountPoint, layout.v2.own));
  return { dirs, problems };
}

function below(base: string, sub: string | undefined): string {
  return sub === undefined ? base : posix.resolve(base, `./${sub}`);
}
