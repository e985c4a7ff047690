import { existsSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBerth, runBerthAsync } from '../../../core/cli/test-support/run-berth.js';
import { busybox, busyboxBundle } from '../test-support/busybox-bundle.js';

/**
 * cgroups of real native containers on this host (cgroup v1 hybrid: every controller on v1, a
 * cgroup2 hierarchy without controllers at /sys/fs/cgroup/unified). Each limit is observed from
 * inside (the container's read-only /sys/fs/cgroup) and from the host. Root only.
 */
const isRoot = process.getuid?.() === 0;
const helperBuilt = existsSync(join(import.meta.dirname, '..', '..', '..', 'dist', 'berth-helper'));
const v1 = existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes');
const skipReason = !isRoot ? 'needs root' : !busybox ? 'needs busybox-static' : !helperBuilt ? 'needs the built helper (npm run build)' : !v1 ? 'needs the v1 memory controller (this suite is for v1/hybrid hosts)' : '';
const suite = skipReason ? describe.skip : describe;

let dir: string;
let root: string;
const prefix = `/berth-test-${process.pid}`;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-cgroups-'));
  root = join(dir, 'root');
});
afterEach(() => {
  for (const id of existsSync(root) ? readdirSync(root) : []) runBerth(['--root', root, 'delete', '--force', id]);
  rmSync(dir, { recursive: true, force: true });
});
afterAll(() => {
  // The tests' common parent, made by berth as the first container's ancestor and removed with it.
  expect(leftovers(prefix)).toEqual([]);
});

const berth = (...args: string[]) => runBerth(['--root', root, ...args]);
const bundle = (args: string[], edit?: (config: Record<string, any>) => void) => busyboxBundle(dir, args, edit);
const host = (hierarchy: string, path: string, file: string) => readFileSync(join('/sys/fs/cgroup', hierarchy, path, file), 'utf8').trim();
const stateOf = (id: string) => JSON.parse(berth('state', id).stdout) as { status: string; pid: number };
/** A block device of this machine, for the I/O throttle. */
const disk = (() => {
  const name = existsSync('/sys/block') ? readdirSync('/sys/block').find((d) => !d.startsWith('loop') && !d.startsWith('ram')) : undefined;
  const [major, minor] = (name ? readFileSync(`/sys/block/${name}/dev`, 'utf8').trim() : '0:0').split(':').map(Number);
  return { major: major!, minor: minor! };
})();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The v1 hierarchies mounted here (and "unified"), by directory name. */
function hierarchies(): string[] {
  return readdirSync('/sys/fs/cgroup').filter((d) => existsSync(join('/sys/fs/cgroup', d, 'cgroup.procs')));
}

/** Every directory named `path` in any hierarchy. */
function leftovers(path: string): string[] {
  return hierarchies().filter((h) => existsSync(join('/sys/fs/cgroup', h, path))).map((h) => join('/sys/fs/cgroup', h, path));
}

suite(`native backend: cgroups${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('puts the container in its cgroup in every hierarchy before it runs, with the limits seen inside and outside', () => {
    const path = `${prefix}/limits`;
    const b = bundle(['sh', '-c', 'cat /proc/self/cgroup; cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpuset/cpuset.cpus; exec sleep 100'], (c) => {
      c.linux.cgroupsPath = path;
      c.linux.resources = {
        ...c.linux.resources,
        memory: { limit: 64 * 1024 * 1024, reservation: 32 * 1024 * 1024, swappiness: 10 },
        pids: { limit: 20 },
        cpu: { shares: 512, quota: 50000, period: 100000, burst: 1000, cpus: '0' },
        hugepageLimits: [{ pageSize: '2MB', limit: 8 * 1024 * 1024 }],
        blockIO: { throttleReadBpsDevice: [{ major: disk.major, minor: disk.minor, rate: 1048576 }] },
      };
    });
    expect(berth('run', '-d', '-b', b, 'lim').code).toBe(0);
    const pid = stateOf('lim').pid;
    // From the host: the files berth wrote, and the process in the cgroup of every hierarchy.
    expect(host('memory', path, 'memory.limit_in_bytes')).toBe(String(64 * 1024 * 1024));
    expect(host('memory', path, 'memory.soft_limit_in_bytes')).toBe(String(32 * 1024 * 1024));
    expect(host('memory', path, 'memory.swappiness')).toBe('10');
    expect(host('pids', path, 'pids.max')).toBe('20');
    expect(host('cpu', path, 'cpu.shares')).toBe('512');
    expect(host('cpu', path, 'cpu.cfs_quota_us')).toBe('50000');
    expect(host('cpu', path, 'cpu.cfs_burst_us')).toBe('1000');
    expect(host('cpuset', path, 'cpuset.cpus')).toBe('0');
    expect(host('hugetlb', path, 'hugetlb.2MB.limit_in_bytes')).toBe(String(8 * 1024 * 1024));
    expect(host('blkio', path, 'blkio.throttle.read_bps_device')).toBe(`${disk.major}:${disk.minor} 1048576`);
    const cgroupLines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
    for (const line of cgroupLines) expect(line).toMatch(new RegExp(`:${path}$`));
    expect(cgroupLines.length).toBe(hierarchies().length);
  });

  it('reports the limits from inside through its cgroup namespace', () => {
    const path = `${prefix}/inside`;
    const r = berth('run', '-b', bundle(['sh', '-c', 'cat /proc/self/cgroup; cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max'], (c) => {
      c.linux.cgroupsPath = path;
      c.linux.resources = { ...c.linux.resources, memory: { limit: 48 * 1024 * 1024 }, pids: { limit: 7 } };
    }), 'inside');
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    // The cgroup namespace is rooted at the container's cgroup: every hierarchy says "/".
    for (const line of lines.slice(0, -2)) expect(line).toMatch(/:\/$/);
    expect(lines.slice(-2)).toEqual([String(48 * 1024 * 1024), '7']);
    expect(leftovers(path)).toEqual([]);
  });

  it('without a cgroup namespace, the cgroup mount shows the container\'s own cgroup, as runc binds it', () => {
    const path = `${prefix}/no-cgroupns`;
    const r = berth('run', '-b', bundle(['sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max; grep " /sys/fs/cgroup/memory " /proc/self/mountinfo'], (c) => {
      c.linux.cgroupsPath = path;
      c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'cgroup');
      c.linux.resources = { ...c.linux.resources, memory: { limit: 40 * 1024 * 1024 }, pids: { limit: 9 } };
    }), 'nocgns');
    expect(r.stderr).toBe('');
    const [limit, pids, mountLine] = r.stdout.trim().split('\n');
    expect([limit, pids]).toEqual([String(40 * 1024 * 1024), '9']);
    // The mount's root is the container's cgroup, read-only as the config's cgroup mount asks.
    expect(mountLine!.split(' ')[3]).toMatch(new RegExp(`${path}$`));
    expect(mountLine!.split(' ')[5]).toMatch(/^ro,/);
  });

  it('puts a relative cgroupsPath, and a missing one (the container id), below berth\'s own cgroup', () => {
    const own = Object.fromEntries(readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n').map((l) => [l.split(':')[1], l.split(':')[2]]));
    const below = (base: string, path: string) => `${base === '/' ? '' : base}/${path}`;
    expect(berth('run', '-d', '-b', bundle(['sleep', '100'], (c) => (c.linux.cgroupsPath = `berth-test-rel-${process.pid}/x`)), 'rel').code).toBe(0);
    expect(berth('run', '-d', '-b', bundle(['sleep', '100'], (c) => delete c.linux.cgroupsPath), `dflt-${process.pid}`).code).toBe(0);
    for (const [id, path] of [['rel', `berth-test-rel-${process.pid}/x`], [`dflt-${process.pid}`, `dflt-${process.pid}`]] as const) {
      const lines = readFileSync(`/proc/${stateOf(id).pid}/cgroup`, 'utf8').trim().split('\n');
      for (const line of lines) {
        const [, controllers, cgroup] = line.split(':');
        expect(cgroup).toBe(below(own[controllers!]!, path));
      }
    }
  });

  it('OOM-kills an allocation past memory.limit, and events reports it', async () => {
    const path = `${prefix}/oom`;
    const b = bundle(['sh', '-c', 'sleep 1; dd if=/dev/zero of=/dev/null bs=64M count=1; sleep 100'], (c) => {
      c.linux.cgroupsPath = path;
      c.linux.resources = { ...c.linux.resources, memory: { limit: 16 * 1024 * 1024, swap: 16 * 1024 * 1024 } };
    });
    expect(berth('run', '-d', '-b', b, 'oom').code).toBe(0);
    const events = runBerthAsync(['--root', root, 'events', '--interval', '200ms', 'oom']);
    await sleep(2500);
    expect(host('memory', path, 'memory.max_usage_in_bytes')).toBe(String(16 * 1024 * 1024));
    expect(host('memory', path, 'memory.oom_control')).toMatch(/oom_kill [1-9]/);
    berth('kill', 'oom', 'KILL');
    const result = await events;
    const records = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; id: string; data?: { memory?: { usage?: { limit: number } } } });
    expect(records.filter((r) => r.type === 'oom')).toEqual([{ type: 'oom', id: 'oom' }]);
    const stats = records.find((r) => r.type === 'stats');
    expect(stats?.data?.memory?.usage?.limit).toBe(16 * 1024 * 1024);
    expect(result.code).toBe(0);
  });

  it('stops a fork bomb at pids.limit', () => {
    const path = `${prefix}/pids`;
    // 30 parallel sleeps asked for; forks past the limit fail, and the kernel counts them.
    const r = berth('run', '-b', bundle(['sh', '-c', 'seq 30 | xargs -P 30 -n 1 sleep 3 2>/dev/null & sleep 1; cat /sys/fs/cgroup/pids/pids.current; cat /sys/fs/cgroup/pids/pids.events'], (c) => {
      c.linux.cgroupsPath = path;
      c.linux.resources = { ...c.linux.resources, pids: { limit: 10 } };
    }), 'bomb');
    const [current, events] = r.stdout.trim().split('\n');
    expect(current).toBe('10');
    expect(events).toMatch(/^max [1-9]/);
  });

  it('update changes a running container\'s limits, from flags and from -r', () => {
    const path = `${prefix}/update`;
    expect(berth('run', '-d', '-b', bundle(['sleep', '100'], (c) => (c.linux.cgroupsPath = path)), 'up').code).toBe(0);
    expect(berth('update', '--memory', '100m', '--memory-swap', '200m', '--pids-limit', '50', '--cpu-shares', '256', 'up')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(host('memory', path, 'memory.limit_in_bytes')).toBe(String(100 * 1024 * 1024));
    expect(host('memory', path, 'memory.memsw.limit_in_bytes')).toBe(String(200 * 1024 * 1024));
    expect(host('pids', path, 'pids.max')).toBe('50');
    expect(host('cpu', path, 'cpu.shares')).toBe('256');
    const r = runBerth(['--root', root, 'update', '-r', '-', 'up'], { input: JSON.stringify({ memory: { limit: 50 * 1024 * 1024 }, pids: { limit: -1 } }) });
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(host('memory', path, 'memory.limit_in_bytes')).toBe(String(50 * 1024 * 1024));
    expect(host('pids', path, 'pids.max')).toBe('max');
    // What cannot be honoured is refused by name, and nothing changes.
    const bad = runBerth(['--root', root, 'update', '-r', '-', 'up'], { input: JSON.stringify({ network: { classID: 1 } }) });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('/linux/resources/network/classID: this host has no net_cls cgroup controller');
  });

  it('pause freezes a busy loop (its CPU time stops growing) and resume thaws it', async () => {
    const path = `${prefix}/pause`;
    expect(berth('run', '-d', '-b', bundle(['sh', '-c', 'while :; do :; done'], (c) => (c.linux.cgroupsPath = path)), 'busy').code).toBe(0);
    const usage = () => Number(host('cpuacct', path, 'cpuacct.usage'));
    await sleep(200);
    expect(berth('pause', 'busy')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(stateOf('busy').status).toBe('paused');
    expect(host('freezer', path, 'freezer.state')).toBe('FROZEN');
    const frozenAt = usage();
    await sleep(300);
    expect(usage()).toBe(frozenAt);
    expect(berth('pause', 'busy').stderr).toContain('busy: container not running');
    expect(berth('resume', 'busy')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(stateOf('busy').status).toBe('running');
    await sleep(300);
    expect(usage()).toBeGreaterThan(frozenAt);
    expect(berth('resume', 'busy').stderr).toContain('busy: container not paused');
    // exec in a paused container: refused as runc refuses it; with --ignore-paused the process
    // starts frozen and runs once resume thaws the container (which must not wait for the exec).
    expect(berth('pause', 'busy').code).toBe(0);
    expect(berth('exec', 'busy', 'echo', 'hi')).toMatchObject({ code: 1, stderr: expect.stringContaining('busy: cannot exec in a paused container (use --ignore-paused to override)') });
    const frozenExec = runBerthAsync(['--root', root, 'exec', '--ignore-paused', 'busy', 'echo', 'thawed']);
    await sleep(500);
    expect(berth('resume', 'busy')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await frozenExec).toEqual({ code: 0, stdout: 'thawed\n', stderr: '' });
    // kill KILL of a paused container kills it at once (a frozen process takes SIGKILL once
    // thawed, so berth thaws it, as runc does; podman kill of a paused container waits for that).
    expect(berth('pause', 'busy').code).toBe(0);
    expect(berth('kill', 'busy', 'KILL')).toEqual({ code: 0, stdout: '', stderr: '' });
    for (let tries = 0; stateOf('busy').status !== 'stopped' && tries < 50; tries++) await sleep(20);
    expect(stateOf('busy').status).toBe('stopped');
    expect(host('freezer', path, 'freezer.state')).toBe('THAWED');
    expect(berth('delete', 'busy')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(leftovers(path)).toEqual([]);
    // delete --force of a paused container kills it (a frozen process takes SIGKILL once thawed).
    expect(berth('run', '-d', '-b', bundle(['sh', '-c', 'while :; do :; done'], (c) => (c.linux.cgroupsPath = path)), 'busy').code).toBe(0);
    expect(berth('pause', 'busy').code).toBe(0);
    expect(berth('delete', '--force', 'busy')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(leftovers(path)).toEqual([]);
  });

  it('ps lists every process of the container; kill --all signals them all, even without a pid namespace', async () => {
    const path = `${prefix}/ps`;
    const b = bundle(['sh', '-c', 'sleep 101 & sleep 102 & exec sleep 103'], (c) => {
      c.linux.cgroupsPath = path;
      c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'pid');
    });
    expect(berth('run', '-d', '-b', b, 'many').code).toBe(0);
    await sleep(300);
    const pids = JSON.parse(berth('ps', '--format', 'json', 'many').stdout) as number[];
    expect(pids).toHaveLength(3);
    expect(pids).toContain(stateOf('many').pid);
    const table = berth('ps', 'many').stdout.trim().split('\n');
    expect(table[0]).toMatch(/PID/);
    expect(table.slice(1).map((l) => l.match(/sleep (\d+)/)?.[1]).sort()).toEqual(['101', '102', '103']);
    expect(berth('kill', '--all', 'many', 'KILL').code).toBe(0);
    await sleep(300);
    for (const pid of pids) expect(existsSync(`/proc/${pid}/cmdline`) ? readFileSync(`/proc/${pid}/cmdline`, 'utf8') : '').not.toMatch(/sleep/);
  });

  it('events --stats prints one record in runc\'s shape', () => {
    const path = `${prefix}/stats`;
    expect(berth('run', '-d', '-b', bundle(['sleep', '100'], (c) => {
      c.linux.cgroupsPath = path;
      c.linux.resources = { ...c.linux.resources, pids: { limit: 30 } };
    }), 'st').code).toBe(0);
    const r = berth('events', '--stats', 'st');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const event = JSON.parse(lines[0]!);
    expect(event).toMatchObject({ type: 'stats', id: 'st', data: { pids: { current: 1, limit: 30 }, memory: { usage: { usage: expect.any(Number) } }, cpu: { usage: { total: expect.any(Number) } } } });
  });

  it('delete removes exactly the cgroups berth made, and never another container\'s', () => {
    const parent = `${prefix}/parent`;
    const run = (id: string) => expect(berth('run', '-d', '-b', bundle(['sleep', '100'], (c) => (c.linux.cgroupsPath = `${parent}/${id}`)), id).code).toBe(0);
    run('one');
    run('two');
    // "two" found the parent made by "one": deleting "two" leaves it.
    expect(berth('delete', '--force', 'two').code).toBe(0);
    expect(leftovers(`${parent}/two`)).toEqual([]);
    expect(leftovers(`${parent}/one`).length).toBe(hierarchies().length);
    expect(berth('delete', '--force', 'one').code).toBe(0);
    expect(leftovers(parent)).toEqual([]);
    // The other order: the parent "three" made holds "four" when "three" goes, so it stays.
    run('three');
    run('four');
    expect(berth('delete', '--force', 'three').code).toBe(0);
    expect(leftovers(`${parent}/three`)).toEqual([]);
    expect(leftovers(`${parent}/four`).length).toBe(hierarchies().length);
    expect(berth('delete', '--force', 'four').code).toBe(0);
    expect(leftovers(`${parent}/four`)).toEqual([]);
    // "three" made the parent and is gone: the parent is left, as runc leaves every parent; the test removes it.
    for (const left of [...leftovers(parent), ...leftovers(prefix)]) rmdirSync(left);
  });

  it('maps a --systemd-cgroup path onto cgroupfs and says so in the log', () => {
    const log = join(dir, 'log.json');
    const r = runBerth(['--root', root, '--systemd-cgroup', '--log', log, '--log-format', 'json', 'run', '-d', '-b', bundle(['sleep', '100'], (c) => (c.linux.cgroupsPath = 'berthtest.slice:berth:sd1')), 'sd1']);
    expect(r.code).toBe(0);
    const pid = stateOf('sd1').pid;
    expect(readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toContain(':/berthtest.slice/berth-sd1.scope\n');
    expect(readFileSync(log, 'utf8')).toContain('berthtest.slice:berth:sd1 is made directly as the cgroupfs path /berthtest.slice/berth-sd1.scope');
    expect(berth('delete', '--force', 'sd1').code).toBe(0);
    expect(leftovers('/berthtest.slice')).toEqual([]);
  });

  it('names a memory limit too low for the container process to start (it is OOM-killed on the way), and leaves nothing behind', () => {
    const path = `${prefix}/starved`;
    const r = berth('create', '-b', bundle(['true'], (c) => {
      c.linux.cgroupsPath = path;
      c.linux.resources = { ...c.linux.resources, memory: { limit: 4096 } };
    }), 'starved');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('starved: the container process was OOM-killed before it was ready: the memory limit of 4096 bytes (/linux/resources/memory/limit) is too low for it to start');
    expect(existsSync(join(root, 'starved'))).toBe(false);
    expect(leftovers(path)).toEqual([]);
  });

  it('refuses a limit the host cannot honour, naming the field, and leaves nothing behind', () => {
    const path = `${prefix}/refused`;
    const r = berth('create', '-b', bundle(['true'], (c) => {
      c.linux.cgroupsPath = path;
      c.linux.resources = { ...c.linux.resources, network: { classID: 7 }, unified: { 'memory.high': '1000000' } };
    }), 'refused');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('/linux/resources/network/classID: this host has no net_cls cgroup controller');
    expect(r.stderr).toContain('/linux/resources/unified/memory.high: the memory controller is not on this host\'s cgroup v2 hierarchy (it is on v1)');
    expect(existsSync(join(root, 'refused'))).toBe(false);
    expect(leftovers(path)).toEqual([]);
  });
});
