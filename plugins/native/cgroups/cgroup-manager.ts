import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describeCause, RuntimeError, type LinuxResources } from '../../../core/plugin-api.js';
import type { ContainerCgroupPath } from './cgroup-path.js';
import { compileDeviceFilter, type AttachDeviceFilter } from './device-filter.js';
import type { CgroupLayout } from './layout.js';
import { v1Writes, v2Writes, type CgroupWrite, type PointedDeviceRule } from './resource-writes.js';

/**
 * A container's cgroups on this host: where they are, and every operation on them (create,
 * limits, freeze, signal, list, remove). What it needs later is plain JSON (CgroupPaths), kept
 * in the container's backend state.
 */
export interface CgroupPaths {
  mode: CgroupLayout['mode'];
  /** The container's directory in each v1 hierarchy. */
  v1: { options: string; controllers: string[]; dir: string }[];
  /** Its directory in the cgroup2 hierarchy, and where that hierarchy is mounted. */
  v2?: string;
  v2Root?: string;
  /** Directories berth made, parents first; delete removes exactly these. */
  created: string[];
}

/** Where the container's cgroup goes in each hierarchy. Pure. */
export function cgroupPathsFor(layout: CgroupLayout, path: ContainerCgroupPath): CgroupPaths {
  const place = (mountPoint: string, own: string) => join(mountPoint, path.belowOwn ? own : '/', path.path);
  return {
    mode: layout.mode,
    v1: layout.v1.map((h) => ({ options: h.options, controllers: h.controllers, dir: place(h.mountPoint, h.own) })),
    ...(layout.v2 ? { v2: place(layout.v2.mountPoint, layout.v2.own), v2Root: layout.v2.mountPoint } : {}),
    created: [],
  };
}

/** The directories createCgroups would make now, parents first (for recording them before they exist). */
export function missingDirectories(paths: CgroupPaths): string[] {
  return [...paths.v1.map((h) => h.dir), ...(paths.v2 ? [paths.v2] : [])].flatMap(missingAbove);
}

/** `dir` and its missing parents, parents first; [] when it exists. */
function missingAbove(dir: string): string[] {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = dirname(d)) missing.unshift(d);
  return missing;
}

/** Make the directories (recording which were new) and prepare them to take processes. */
export function createCgroups(paths: CgroupPaths): CgroupPaths {
  const created: string[] = [];
  const make = (dir: string, init?: (dir: string) => void) => {
    for (const d of missingAbove(dir)) {
      mkdirSync(d);
      created.push(d);
      init?.(d);
    }
  };
  try {
    for (const h of paths.v1) make(h.dir, h.controllers.includes('cpuset') ? inheritCpuset : undefined);
    if (paths.v2) {
      const v2 = paths.v2;
      // Pure v2: a controller reaches a cgroup only if every ancestor enables it for its children.
      const enable = paths.mode === 'v2' ? (d: string) => d !== v2 && enableSubtreeControllers(d) : undefined;
      // Every existing ancestor up to the root, also above parents still to be made.
      const existing: string[] = [];
      for (let d = dirname(v2); d.startsWith(paths.v2Root!) && d !== dirname(d); d = dirname(d)) if (existsSync(d)) existing.unshift(d);
      if (enable) existing.forEach(enable);
      make(v2, enable);
    }
  } catch (e) {
    removeDirectories(created);
    throw RuntimeError.system('cannot create the container\'s cgroups', e);
  }
  return { ...paths, created };
}

/**
 * Write the limits. Every problem is reported at once, each naming its field; the first failed
 * write stops (the caller undoes the cgroups). v2 has no devices files: there the device rules
 * become a BPF program attached to the container's cgroup, replacing the one before.
 */
export function applyResources(paths: CgroupPaths, resources: LinuxResources, deviceRules: readonly PointedDeviceRule[] | undefined, where: string, attachDeviceFilter: AttachDeviceFilter): void {
  const compiled = paths.mode === 'v2' ? v2Writes(resources) : v1Writes({ ...resources, unified: undefined }, deviceRules);
  const deviceFilter = paths.mode === 'v2' && deviceRules ? compileDeviceFilter(deviceRules) : undefined;
  const problems = [...compiled.problems, ...(deviceFilter?.problems ?? [])];
  const targets: { write: CgroupWrite; dir: string }[] = [];
  for (const write of compiled.writes) {
    const dir = dirFor(paths, write.controller);
    if (dir === undefined) problems.push({ pointer: write.pointer, message: `this host has no ${write.controller} cgroup controller${paths.mode === 'v2' ? ' enabled' : ''}` });
    else targets.push({ write, dir });
  }
  // Hybrid: `unified` goes to the cgroup2 hierarchy, for controllers that live there.
  if (paths.mode === 'hybrid' && resources.unified) {
    for (const write of v2Writes({ unified: resources.unified }).writes) {
      const dir = paths.v2!;
      const available = write.controller === 'cgroup' || readControllers(dir).includes(write.controller);
      if (available) targets.push({ write, dir });
      else problems.push({ pointer: write.pointer, message: `the ${write.controller} controller is not on this host's cgroup v2 hierarchy (it is on v1)` });
    }
  }
  if (problems.length > 0) throw RuntimeError.invalidSpec(problems, where);
  for (const { write, dir } of orderMemoryWrites(targets)) writeLimit(dir, write);
  if (deviceFilter) attachDeviceFilter(paths.v2!, deviceFilter.program);
}

function writeLimit(dir: string, write: CgroupWrite): void {
  let file = join(dir, write.file);
  let value = write.value;
  if (!existsSync(file) && write.fallback && existsSync(join(dir, write.fallback.file))) {
    file = join(dir, write.fallback.file);
    value = write.fallback.value;
  }
  if (!existsSync(file)) {
    throw new RuntimeError('UNSUPPORTED', `${write.pointer}: this host's kernel has no ${write.file} in ${dirname(file)}, so the limit cannot be honoured`);
  }
  try {
    writeFileSync(file, value);
  } catch (e) {
    throw new RuntimeError('SYSTEM', `${write.pointer}: cannot write ${JSON.stringify(value)} to ${file}: ${describeCause(e)}`, { cause: e });
  }
}

/**
 * memsw must stay ≥ the memory limit at every step: when raising both, memsw goes first
 * (runc does the same by comparing with the current value).
 */
function orderMemoryWrites<T extends { write: CgroupWrite; dir: string }>(targets: T[]): T[] {
  const limit = targets.find((t) => t.write.file === 'memory.limit_in_bytes');
  const swap = targets.find((t) => t.write.file === 'memory.memsw.limit_in_bytes');
  if (!limit || !swap) return targets;
  const current = Number(readTrimmed(join(limit.dir, 'memory.limit_in_bytes')) ?? 0);
  const raising = Number(limit.write.value) === -1 || Number(limit.write.value) > current;
  if (!raising) return targets;
  return [swap, ...targets.filter((t) => t !== swap)];
}

/** The directory holding a controller's files: its v1 hierarchy, or the v2 directory. */
function dirFor(paths: CgroupPaths, controller: string): string | undefined {
  if (paths.mode === 'v2') return controller === 'cgroup' || readControllers(paths.v2!).includes(controller) ? paths.v2 : undefined;
  return paths.v1.find((h) => h.controllers.includes(controller))?.dir;
}

/** The cgroup.procs files a new process must be written into, one per hierarchy. */
export function procsFiles(paths: CgroupPaths): string[] {
  return [...paths.v1.map((h) => join(h.dir, 'cgroup.procs')), ...(paths.v2 ? [join(paths.v2, 'cgroup.procs')] : [])];
}

/** Every process in the container's cgroup and below it, as host pids. */
export function cgroupPids(paths: CgroupPaths): number[] {
  const dir = listingDir(paths);
  if (!dir || !existsSync(dir)) return [];
  const pids = new Set<number>();
  const walk = (d: string) => {
    for (const line of (readTrimmed(join(d, 'cgroup.procs')) ?? '').split('\n')) if (line) pids.add(Number(line));
    for (const entry of readdirSync(d, { withFileTypes: true })) if (entry.isDirectory()) walk(join(d, entry.name));
  };
  walk(dir);
  return [...pids].sort((a, b) => a - b);
}

function listingDir(paths: CgroupPaths): string | undefined {
  if (paths.mode === 'v2') return paths.v2;
  const prefer = ['freezer', 'pids', 'memory', 'cpu'];
  for (const name of prefer) {
    const h = paths.v1.find((x) => x.controllers.includes(name));
    if (h) return h.dir;
  }
  return paths.v1[0]?.dir ?? paths.v2;
}

/** Freeze (v1 freezer, or v2 cgroup.freeze) and wait until the kernel says frozen. */
export async function setFrozen(paths: CgroupPaths, frozen: boolean): Promise<void> {
  const freezer = paths.v1.find((h) => h.controllers.includes('freezer'));
  const deadline = Date.now() + 5000;
  if (freezer) {
    const file = join(freezer.dir, 'freezer.state');
    const want = frozen ? 'FROZEN' : 'THAWED';
    while (readTrimmed(file) !== want) {
      writeFileSync(file, want);
      if (readTrimmed(file) === want) break;
      if (Date.now() > deadline) throw new RuntimeError('SYSTEM', `${freezer.dir}: the freezer did not reach ${want} within 5s`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return;
  }
  if (paths.v2 && existsSync(join(paths.v2, 'cgroup.freeze'))) {
    writeFileSync(join(paths.v2, 'cgroup.freeze'), frozen ? '1' : '0');
    const want = `frozen ${frozen ? 1 : 0}`;
    while (!(readTrimmed(join(paths.v2, 'cgroup.events')) ?? '').split('\n').includes(want)) {
      if (Date.now() > deadline) throw new RuntimeError('SYSTEM', `${paths.v2}: cgroup.events did not say "${want}" within 5s`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return;
  }
  throw new RuntimeError('UNSUPPORTED', 'this host has neither the v1 freezer nor cgroup v2\'s cgroup.freeze: cannot pause');
}

/**
 * Signal every process of the container. v2 kills with cgroup.kill; otherwise the cgroup is
 * frozen first so that no process forks away from the signal, then thawed (runc's way).
 */
export async function signalAll(paths: CgroupPaths, signal: number): Promise<void> {
  if (signal === 9 && paths.mode === 'v2' && paths.v2 && existsSync(join(paths.v2, 'cgroup.kill'))) {
    writeFileSync(join(paths.v2, 'cgroup.kill'), '1');
    return;
  }
  const canFreeze = paths.v1.some((h) => h.controllers.includes('freezer')) || (paths.v2 !== undefined && existsSync(join(paths.v2, 'cgroup.freeze')));
  const wasFrozen = canFreeze && isFrozen(paths);
  if (canFreeze && !wasFrozen) await setFrozen(paths, true);
  try {
    for (const pid of cgroupPids(paths)) {
      try {
        process.kill(pid, signal);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw RuntimeError.system(`cannot signal pid ${pid}`, e);
      }
    }
  } finally {
    if (canFreeze && !wasFrozen) await setFrozen(paths, false);
  }
}

/**
 * A frozen process takes SIGKILL only once thawed (cgroup v1): after killing a paused container
 * it is thawed, as runc does, so the kill is seen at once.
 */
export async function thawAfterKill(paths: CgroupPaths): Promise<void> {
  const canFreeze = paths.v1.some((h) => h.controllers.includes('freezer')) || (paths.v2 !== undefined && existsSync(join(paths.v2, 'cgroup.freeze')));
  if (canFreeze && isFrozen(paths)) await setFrozen(paths, false);
}

function isFrozen(paths: CgroupPaths): boolean {
  const freezer = paths.v1.find((h) => h.controllers.includes('freezer'));
  if (freezer) return readTrimmed(join(freezer.dir, 'freezer.state')) === 'FROZEN';
  return readTrimmed(join(paths.v2!, 'cgroup.freeze')) === '1';
}

/**
 * delete: kill what is left, wait for the cgroups to empty, then remove the container's own
 * directories (with any sub-cgroups made inside them) and the ancestors berth made for it,
 * unless another cgroup now lives in one of those.
 */
export async function destroyCgroups(paths: CgroupPaths): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (cgroupPids(paths).length > 0) {
    await signalAll(paths, 9);
    if (Date.now() > deadline) throw new RuntimeError('SYSTEM', `processes ${cgroupPids(paths).join(', ')} are still in the container's cgroup 10s after SIGKILL`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const own = [...paths.v1.map((h) => h.dir), ...(paths.v2 ? [paths.v2] : [])];
  const ancestors = paths.created.filter((d) => !own.includes(d));
  removeDirectories([...ancestors, ...own.filter((d) => paths.created.includes(d))], new Set(own));
}

/**
 * rmdir, last first; a directory already gone is fine. A cgroup's own directory goes with the
 * sub-cgroups made inside it (e.g. by a systemd in the container); an ancestor that holds
 * someone else's cgroup stays. EBUSY right after the last exit is retried briefly.
 */
function removeDirectories(dirs: readonly string[], own: ReadonlySet<string> = new Set(dirs)): void {
  const problems: string[] = [];
  for (const dir of [...dirs].reverse()) {
    const children = existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(dir, e.name)) : [];
    if (children.length > 0 && !own.has(dir)) continue;
    if (children.length > 0) removeDirectories(children);
    for (let attempt = 0; ; attempt++) {
      try {
        rmdirSync(dir);
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        if (code === 'EBUSY' && attempt < 50) {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
          continue;
        }
        problems.push(`${dir}: ${describeCause(e)}`);
        break;
      }
    }
  }
  if (problems.length > 0) throw new RuntimeError('SYSTEM', `cannot remove the container's cgroups: ${problems.join('; ')}`);
}

/** A new v1 cpuset cgroup starts with no CPUs and no memory nodes: copy the parent's, as runc does. */
function inheritCpuset(dir: string): void {
  for (const file of ['cpuset.cpus', 'cpuset.mems']) {
    if ((readTrimmed(join(dir, file)) ?? '') === '') writeFileSync(join(dir, file), readTrimmed(join(dirname(dir), file)) ?? '');
  }
}

function enableSubtreeControllers(dir: string): void {
  const available = readControllers(dir);
  if (available.length === 0) return;
  try {
    writeFileSync(join(dir, 'cgroup.subtree_control'), available.map((c) => `+${c}`).join(' '));
  } catch {
    // A cgroup with processes in it cannot enable controllers for children (no internal
    // processes); the limits that need them are then refused by name when written.
  }
}

function readControllers(dir: string): string[] {
  return (readTrimmed(join(dir, 'cgroup.controllers')) ?? '').split(/\s+/).filter(Boolean);
}

export function readTrimmed(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

