import { spawnSync } from 'node:child_process';
import { describeCause, faultPoint, pointerOf, RuntimeError, type ContainerContext, type CreateContext, type Integer64, type LinuxResources } from '../../core/plugin-api.js';
import { applyResources, cgroupPathsFor, createCgroups, destroyCgroups, missingDirectories, type CgroupPaths } from './cgroups/cgroup-manager.js';
import { containerCgroupPath } from './cgroups/cgroup-path.js';
import { hostCgroupLayout } from './cgroups/layout.js';
import { effectiveDeviceRules } from './cgroups/resource-writes.js';
import { oomKillCount } from './cgroups/stats.js';
import { helperPath } from './helper-path.js';

/**
 * The native backend's cgroups: made and limited at create (before the container process
 * exists, so it runs nothing outside them), found again later from the backend state. The
 * paths, with the directories about to be made, are recorded before any is made, so a create
 * killed half-way leaves none that `delete --force` does not remove.
 */
export function setUpCgroups(ctx: CreateContext): CgroupPaths | undefined {
  let paths: CgroupPaths;
  try {
    const planned = plannedCgroups(ctx, (note) => ctx.log.info(`${ctx.id}: ${note}`));
    ctx.recordProgress({ backendState: { cgroups: { ...planned, created: missingDirectories(planned) } } });
    faultPoint('create:after-cgroups-recorded');
    paths = createCgroups(planned);
  } catch (e) {
    // --rootless (runc's meaning): without write access to cgroupfs, run without cgroups
    // unless the config asks for limits, which would then silently not apply.
    const code = ((e as { cause?: NodeJS.ErrnoException }).cause ?? (e as NodeJS.ErrnoException)).code;
    const denied = code === 'EACCES' || code === 'EPERM' || code === 'EROFS';
    const limits = Object.keys(ctx.spec.linux?.resources ?? {}).some((k) => k !== 'devices');
    if (!ctx.options.rootless || !denied || limits) throw e;
    ctx.log.warn(`${ctx.id}: running without cgroups (rootless, and no access to cgroupfs: ${describeCause(e)})`);
    return undefined;
  }
  ctx.undo.onUndo('remove the container\'s cgroups', () => destroyCgroups(paths));
  applyLimits(paths, ctx.spec.linux?.resources ?? {}, ctx.spec.linux?.devices ?? [], `${ctx.bundle}/config.json`);
  return paths;
}

/** Where the container's cgroups go on this host (nothing is made). */
export function plannedCgroups(ctx: Pick<CreateContext, 'id' | 'spec' | 'bundle' | 'options'>, note: (text: string) => void = () => {}): CgroupPaths {
  const { path, problem } = containerCgroupPath(ctx.spec.linux?.cgroupsPath, ctx.id, ctx.options.systemdCgroup);
  if (!path) throw RuntimeError.invalidSpec([{ pointer: pointerOf('linux', 'cgroupsPath'), message: problem! }], `${ctx.bundle}/config.json`);
  if (path.note) note(path.note);
  return cgroupPathsFor(hostCgroupLayout(), path);
}

/** Limits, with the device rules every container gets added to the config's (or update's) own. */
export function applyLimits(paths: CgroupPaths, resources: LinuxResources, devices: readonly { type: string; major?: Integer64; minor?: Integer64 }[], where: string): void {
  applyResources(paths, resources, resources.devices ? effectiveDeviceRules(resources.devices, devices) : undefined, where, (dir, program) => attachDeviceFilter(helperPath(), dir, program));
}

/** cgroup v2's device rules: the helper loads the compiled program and attaches it in place of berth's earlier one. */
export function attachDeviceFilter(helper: string, dir: string, program: Uint8Array): void {
  const run = spawnSync(helper, ['device-filter', dir], { input: program, encoding: 'utf8' });
  if (run.status !== 0) {
    const why = (run.stderr || run.error?.message || `exit status ${run.status ?? run.signal}`).trim();
    throw new RuntimeError('SYSTEM', `${pointerOf('linux', 'resources', 'devices')}: cannot apply the device rules to ${dir}: ${why}`, { cause: run.error });
  }
}

/** The cgroups recorded at create; undefined for a container made before berth managed cgroups. */
export function cgroupsOf(ctx: ContainerContext): CgroupPaths | undefined {
  return ctx.backendState.cgroups as CgroupPaths | undefined;
}

export function requireCgroups(ctx: ContainerContext, verb: string): CgroupPaths {
  const paths = cgroupsOf(ctx);
  if (!paths) throw new RuntimeError('UNSUPPORTED', `${ctx.id}: the container has no cgroups berth knows of, so ${verb} is not possible`);
  return paths;
}

/** Calls onOom once per OOM kill in the container's memory cgroup, polling, until the signal aborts. */
export async function watchOomKills(paths: CgroupPaths, onOom: () => void, signal: AbortSignal): Promise<void> {
  let seen = oomKillCount(paths) ?? 0;
  while (!signal.aborted) {
    await new Promise((r) => setTimeout(r, 200));
    const now = oomKillCount(paths);
    if (now === undefined) return;
    for (; seen < now; seen++) onOom();
  }
}

/** The container's directory per v1 hierarchy (by its options) and for v2 (""), for `cgroup` mounts. */
export function cgroupDirsOf(paths: CgroupPaths): Record<string, string> {
  return { ...Object.fromEntries(paths.v1.map((h) => [h.options, h.dir])), ...(paths.v2 ? { '': paths.v2 } : {}) };
}
