import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { DeviceRule } from '../../../core/plugin-api.js';
import { attachDeviceFilter } from '../native-cgroups.js';
import { applyResources, cgroupPathsFor, cgroupPids, createCgroups, destroyCgroups, procsFiles, setFrozen, signalAll, type CgroupPaths } from './cgroup-manager.js';
import type { AttachDeviceFilter } from './device-filter.js';
import type { CgroupLayout } from './layout.js';
import { effectiveDeviceRules } from './resource-writes.js';
import { readStats } from './stats.js';
import { BPF_DEVCG_ACC_READ, BPF_DEVCG_ACC_WRITE, BPF_DEVCG_DEV_CHAR, referenceAllows } from './test-support/device-rule-reference.js';

/**
 * The cgroup v2 code paths on a real cgroup2 hierarchy. This host is hybrid (controllers on v1),
 * so real containers never take them: the test mounts the cgroup2 hierarchy itself and treats
 * it as a pure v2 host. No controller is enabled there; the core files (procs, freeze, kill,
 * events, cpu.stat, max.descendants) and BPF device programs work all the same. Root only.
 */

const helper = join(import.meta.dirname, '..', '..', '..', 'dist', 'berth-helper');

/** Mounted while the file is collected, so that a failure can be named in the skipped suite. */
function mountCgroup2(): { mountPoint?: string; skipReason: string } {
  if (process.getuid?.() !== 0) return { skipReason: 'needs root' };
  const mountPoint = mkdtempSync(join(tmpdir(), 'berth-cgroup2-'));
  const mount = spawnSync('mount', ['-t', 'cgroup2', 'none', mountPoint], { encoding: 'utf8' });
  if (mount.status !== 0) {
    rmdirSync(mountPoint);
    return { skipReason: `cannot mount cgroup2: ${(mount.stderr || mount.error?.message || '').trim()}` };
  }
  return { mountPoint, skipReason: '' };
}

const { mountPoint, skipReason } = mountCgroup2();
const suite = skipReason ? describe.skip : describe;
const helperSkipReason = !existsSync(helper) ? 'needs the built helper (npm run build)' : '';
const helperSuite = skipReason || helperSkipReason ? describe.skip : describe;

/** Everything the tests make lives below this cgroup, which the test (not berth) makes. */
const testRoot = `/berth-test-${process.pid}`;
const layout: CgroupLayout = { mode: 'v2', v1: [], ...(mountPoint ? { v2: { mountPoint, own: '/' } } : {}) };
const host = (path: string) => join(mountPoint!, path);
let counter = 0;
const nextName = () => `c${++counter}`;

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
afterAll(() => {
  if (!mountPoint) return;
  const removeTree = (dir: string) => {
    if (!existsSync(dir)) return;
    writeFileSync(join(dir, 'cgroup.kill'), '1');
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) removeTree(join(dir, entry.name));
    for (let attempt = 0; ; attempt++) {
      try {
        rmdirSync(dir);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EBUSY' || attempt > 100) throw e;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      }
    }
  };
  try {
    removeTree(host(testRoot));
  } finally {
    spawnSync('umount', [mountPoint]);
    rmdirSync(mountPoint);
  }
});

/** A new container cgroup at an absolute cgroupsPath below the test's root. */
function newCgroup(path = `${testRoot}/${nextName()}`): CgroupPaths {
  mkdirSync(host(testRoot), { recursive: true });
  return createCgroups(cgroupPathsFor(layout, { path, belowOwn: false }));
}

/** Runs a shell command and moves it into the container's cgroup as the helper does: through procsFiles. */
function startIn(paths: CgroupPaths, command: string): ChildProcess & { pid: number } {
  const child = spawn('sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'] }) as ChildProcess & { pid: number };
  children.push(child);
  for (const file of procsFiles(paths)) writeFileSync(file, String(child.pid));
  return child;
}

/** Collects the child's stdout; the function returned waits (2s at most) until it contains a text, and gives all of it. */
function watchOutput(child: ChildProcess): (text: string) => Promise<string> {
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return async (text) => {
    for (let waited = 0; !output.includes(text) && waited < 2000; waited += 20) await sleep(20);
    return output;
  };
}

/** The process's scheduler state and CPU ticks so far (user + system), from /proc/PID/stat. */
function processStat(pid: number): { state: string; ticks: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return { state: fields[0]!, ticks: Number(fields[11]) + Number(fields[12]) };
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

suite(`cgroup v2 on a cgroup2 mount of its own${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('createCgroups makes the directory and its missing parents, and records exactly those', () => {
    const paths = newCgroup(`${testRoot}/parent-${nextName()}/container`);
    expect(paths.created).toEqual([join(paths.v2!, '..'), paths.v2]);
    expect(existsSync(join(paths.v2!, 'cgroup.procs'))).toBe(true);
    expect(procsFiles(paths)).toEqual([join(paths.v2!, 'cgroup.procs')]);
  });

  it('a process written into procsFiles is in the container\'s cgroup, and cgroupPids lists it and those of sub-cgroups', async () => {
    const paths = newCgroup();
    const first = startIn(paths, 'exec sleep 60');
    const second = startIn(paths, 'exec sleep 60');
    // A cgroup the container made for itself, as a systemd inside would.
    mkdirSync(join(paths.v2!, 'inner'));
    writeFileSync(join(paths.v2!, 'inner', 'cgroup.procs'), String(second.pid));
    expect(readFileSync(`/proc/${first.pid}/cgroup`, 'utf8')).toContain(`0::${testRoot}/`);
    expect(cgroupPids(paths)).toEqual([first.pid, second.pid].sort((a, b) => a - b));
    await destroyCgroups(paths);
  });

  it('setFrozen stops the processes (cgroup.events says frozen, a busy loop gets no CPU) and thaws them', async () => {
    const paths = newCgroup();
    const busy = startIn(paths, 'while :; do :; done');
    await sleep(100);
    expect(processStat(busy.pid).state).toBe('R');

    await setFrozen(paths, true);
    expect(readFileSync(join(paths.v2!, 'cgroup.events'), 'utf8')).toContain('frozen 1');
    const frozenAt = processStat(busy.pid);
    await sleep(300);
    expect(processStat(busy.pid)).toEqual({ state: 'S', ticks: frozenAt.ticks });

    await setFrozen(paths, false);
    expect(readFileSync(join(paths.v2!, 'cgroup.events'), 'utf8')).toContain('frozen 0');
    await sleep(300);
    expect(processStat(busy.pid).ticks).toBeGreaterThan(frozenAt.ticks);
    await destroyCgroups(paths);
  });

  it('signalAll delivers other signals to every process and leaves the cgroup thawed; SIGKILL kills them all', async () => {
    const paths = newCgroup();
    // Traps USR1 and goes on running: the signal arrived, and the cgroup was thawed after.
    const trapping = startIn(paths, 'trap "echo got USR1" USR1; echo ready; while :; do sleep 0.05; done');
    const outputUntil = watchOutput(trapping);
    const plain = startIn(paths, 'exec sleep 60');
    // Signalled before its trap is set, the shell would die of USR1 instead.
    expect(await outputUntil('ready')).toBe('ready\n');

    await signalAll(paths, 10);
    expect(await exited(plain)).toEqual({ code: null, signal: 'SIGUSR1' });
    expect(await outputUntil('got USR1')).toBe('ready\ngot USR1\n');
    expect(readFileSync(join(paths.v2!, 'cgroup.freeze'), 'utf8').trim()).toBe('0');

    const another = startIn(paths, 'exec sleep 60');
    await signalAll(paths, 9);
    expect(await exited(trapping)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await exited(another)).toEqual({ code: null, signal: 'SIGKILL' });
    await destroyCgroups(paths);
  });

  it('destroyCgroups kills what is left and removes the directories berth made, and nothing else', async () => {
    // Two containers below one parent; the first one's create made the parent.
    const shared = `${testRoot}/shared-${nextName()}`;
    const first = newCgroup(`${shared}/first`);
    const second = newCgroup(`${shared}/second`);
    expect(first.created).toEqual([host(shared), host(`${shared}/first`)]);
    expect(second.created).toEqual([host(`${shared}/second`)]);
    const inFirst = startIn(first, 'exec sleep 60');
    const inSecond = startIn(second, 'exec sleep 60');
    mkdirSync(join(first.v2!, 'inner'));

    await destroyCgroups(first);
    expect(await exited(inFirst)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(existsSync(first.v2!)).toBe(false);
    // The parent the first container made stays while the second still lives in it.
    expect(readdirSync(host(shared), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name)).toEqual(['second']);
    expect(inSecond.exitCode === null && inSecond.signalCode === null).toBe(true);
    expect(cgroupPids(second)).toEqual([inSecond.pid]);

    await destroyCgroups(second);
    expect(existsSync(second.v2!)).toBe(false);
    expect(existsSync(host(shared))).toBe(true);
  });

  it('readStats reports the CPU time the cgroup\'s processes used, from cpu.stat', async () => {
    const paths = newCgroup();
    const busy = startIn(paths, 'while :; do :; done');
    await sleep(400);
    busy.kill('SIGKILL');
    await exited(busy);
    const microseconds = (key: string) => Number(new RegExp(`^${key} (\\d+)$`, 'm').exec(readFileSync(join(paths.v2!, 'cpu.stat'), 'utf8'))![1]);
    const stats = readStats(paths);
    const usage = stats.cpu!.usage;
    expect(usage).toEqual({ total: microseconds('usage_usec') * 1000, user: microseconds('user_usec') * 1000, kernel: microseconds('system_usec') * 1000 });
    // A shell's busy loop: a good part of the 400ms, nearly all of it in user mode.
    expect(usage.total).toBeGreaterThan(100e6);
    expect(usage.user).toBeGreaterThan(usage.kernel!);
    // No memory or pids controller is enabled on this hierarchy: nothing is made up for them.
    expect(stats.memory).toBeUndefined();
    expect(stats.pids).toBeUndefined();
    await destroyCgroups(paths);
  });

  const noFilter: AttachDeviceFilter = () => {
    throw new Error('no device rules were given, so no filter may be attached');
  };

  it('applyResources writes unified keys to the cgroup\'s files: cgroup.max.descendants then limits sub-cgroups', async () => {
    const paths = newCgroup();
    applyResources(paths, { unified: { 'cgroup.max.descendants': '1' } }, undefined, 'config.json', noFilter);
    expect(readFileSync(join(paths.v2!, 'cgroup.max.descendants'), 'utf8')).toBe('1\n');
    mkdirSync(join(paths.v2!, 'one'));
    expect(() => mkdirSync(join(paths.v2!, 'two'))).toThrow(/EAGAIN/);
    await destroyCgroups(paths);
  });

  it('applyResources refuses a memory limit where no memory controller is enabled, naming the field, before writing anything', async () => {
    const paths = newCgroup();
    const apply = () => applyResources(paths, { memory: { limit: 64 << 20 }, unified: { 'cgroup.max.depth': '2' } }, undefined, 'config.json', noFilter);
    expect(apply).toThrow('invalid config.json: 1 problem: /linux/resources/memory/limit: this host has no memory cgroup controller enabled');
    expect(readFileSync(join(paths.v2!, 'cgroup.max.depth'), 'utf8')).toBe('max\n');
    await destroyCgroups(paths);
  });
});

helperSuite(`the cgroup v2 device filter, in the kernel${skipReason || helperSkipReason ? ` (skipped: ${skipReason || helperSkipReason})` : ''}`, () => {
  const attach: AttachDeviceFilter = (dir, program) => attachDeviceFilter(helper, dir, program);
  const pointed = (rules: DeviceRule[]) => rules.map((rule, i) => ({ rule, pointer: `/linux/resources/devices/${i}` }));

  /**
   * What a shell moved into the cgroup can do with a device node. On this hybrid host the v1
   * devices cgroup of the test allows everything, so only the BPF program decides.
   */
  function tryDevice(paths: CgroupPaths, node: string): { read: boolean; write: boolean; readWrite: boolean } {
    // Each open in a subshell: a failed redirection may end a non-interactive shell.
    const script = `echo $$ > ${join(paths.v2!, 'cgroup.procs')} || exit 99
      if (: < ${node}); then echo read; fi
      if (: > ${node}); then echo write; fi
      if (: <> ${node}); then echo read-write; fi`;
    const run = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const said = run.stdout.split('\n');
    return { read: said.includes('read'), write: said.includes('write'), readWrite: said.includes('read-write') };
  }

  it('a shell in the cgroup cannot open /dev/null for writing when the rules deny c 1:3 w, and can once update allows it', async () => {
    const paths = newCgroup();
    applyResources(paths, {}, pointed([{ allow: true, access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'w' }]), 'config.json', attach);
    expect(tryDevice(paths, '/dev/null')).toEqual({ read: true, write: false, readWrite: false });
    // Update replaces the filter: were the first one still attached, it would still deny.
    applyResources(paths, {}, pointed([{ allow: true, access: 'rwm' }]), 'the update', attach);
    expect(tryDevice(paths, '/dev/null')).toEqual({ read: true, write: true, readWrite: true });
    await destroyCgroups(paths);
  });

  it('with the default spec\'s deny-all, the always-allowed devices open and others do not', async () => {
    const paths = newCgroup();
    applyResources(paths, {}, effectiveDeviceRules([{ allow: false, access: 'rwm' }], []), 'config.json', attach);
    expect(tryDevice(paths, '/dev/null')).toEqual({ read: true, write: true, readWrite: true });
    expect(tryDevice(paths, '/dev/full')).toEqual({ read: true, write: true, readWrite: true });
    expect(tryDevice(paths, '/dev/kmsg')).toEqual({ read: false, write: false, readWrite: false });
    await destroyCgroups(paths);
  });

  it('the kernel decides /dev/null opens as the rules read plainly do, whatever the rules', async () => {
    const paths = newCgroup();
    const rule: fc.Arbitrary<DeviceRule> = fc.record(
      {
        allow: fc.boolean(),
        type: fc.constantFrom('a', 'b', 'c'),
        major: fc.constantFrom(-1, 1, 5),
        minor: fc.constantFrom(-1, 3, 5),
        access: fc.constantFrom('', 'r', 'w', 'm', 'rw', 'wm', 'rwm'),
      },
      { requiredKeys: ['allow'] },
    );
    fc.assert(
      fc.property(fc.array(rule, { maxLength: 6 }), (rules) => {
        applyResources(paths, {}, pointed(rules), 'config.json', attach);
        const expected = (access: number) => referenceAllows(rules, { type: BPF_DEVCG_DEV_CHAR, major: 1, minor: 3, access });
        expect(tryDevice(paths, '/dev/null')).toEqual({ read: expected(BPF_DEVCG_ACC_READ), write: expected(BPF_DEVCG_ACC_WRITE), readWrite: expected(BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE) });
      }),
      { numRuns: 40 },
    );
    await destroyCgroups(paths);
  });

  it('rules the filter cannot express are refused at their pointers before anything is attached', async () => {
    const paths = newCgroup();
    expect(() => applyResources(paths, {}, pointed([{ allow: true, type: 'x' }]), 'config.json', attach)).toThrow(
      'invalid config.json: 1 problem: /linux/resources/devices/0/type: must be "a", "b" or "c", got "x"',
    );
    expect(tryDevice(paths, '/dev/null')).toEqual({ read: true, write: true, readWrite: true });
    await destroyCgroups(paths);
  });

  it('a directory that is not a cgroup is refused with the kernel\'s reason, naming the field', () => {
    const notCgroup = mkdtempSync(join(tmpdir(), 'berth-not-a-cgroup-'));
    try {
      expect(() => attachDeviceFilter(helper, notCgroup, new Uint8Array([0xb7, 0, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]))).toThrow(
        new RegExp(`^/linux/resources/devices: cannot apply the device rules to ${notCgroup}: berth-helper device-filter: list the device programs attached to ${notCgroup}: `),
      );
    } finally {
      rmdirSync(notCgroup);
    }
  });
});
