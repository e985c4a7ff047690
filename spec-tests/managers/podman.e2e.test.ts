import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PodmanSandbox, podmanUnavailable, type CommandResult } from './podman-setup.js';
import { checkScenario, recordResult } from './results.js';
import { runtimes, type RuntimeName } from './runtimes.js';

// podman (with conmon) driving berth, runc and crun, registered by name in containers.conf as a
// user would. Each scenario asserts what the user sees: output, exit status, limits observed
// from inside the container, what is left on the host after `rm`.

let sandbox: PodmanSandbox;

/**
 * The output of a command that must succeed without a word on stderr (a runtime's stray warning
 * lands in the user's terminal); the failure message carries podman's stderr.
 */
function succeeded(result: CommandResult): string {
  expect(result.status, `exit status ${result.status}, stderr: ${result.stderr.trim()}`).toBe(0);
  expect(result.stderr, 'stderr').toBe('');
  return result.stdout;
}

/** `podman run --rm [flags] IMAGE command...` on the runtime under test. */
function runRemoved(runtime: RuntimeName, flags: string[], command: string[], input?: string): Promise<CommandResult> {
  return sandbox.podman(runtime, ['run', '--rm', ...flags, sandbox.image, ...command], { input });
}

/** Runs `body` with a detached `sleep` container, removed afterwards whatever happens. */
async function withDetached(runtime: RuntimeName, flags: string[], body: (id: string) => Promise<void>): Promise<void> {
  const id = succeeded(await sandbox.podman(runtime, ['run', '--detach', ...flags, sandbox.image, 'sleep', '1000'])).trim();
  try {
    await body(id);
  } finally {
    await sandbox.podman(runtime, ['rm', '--force', '--time', '0', id]);
  }
}

const inspect = async (runtime: RuntimeName, id: string, format: string) => succeeded(await sandbox.podman(runtime, ['inspect', '--format', format, id])).trim();

/** CapEff of the container's process, from /proc/self/status. */
async function effectiveCapabilities(runtime: RuntimeName, flags: string[]): Promise<bigint> {
  const status = succeeded(await runRemoved(runtime, flags, ['cat', '/proc/self/status']));
  const line = status.split('\n').find((l) => l.startsWith('CapEff:'));
  expect(line, 'a CapEff line in /proc/self/status').toBeDefined();
  return BigInt(`0x${line!.split(/\s+/)[1]}`);
}
const capNetAdmin = 1n << 12n;

/** Where each runtime keeps a container's state when podman gives no --root (their defaults). */
const stateRoots: Record<RuntimeName, string> = { berth: '/run/berth', runc: '/run/runc', crun: '/run/crun' };

/** The host directories of a process's cgroups, one per hierarchy (v1 and the unified v2). */
function cgroupDirectories(pid: string): string[] {
  const mounts = new Map<string, string>();
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [before, after] = line.split(' - ');
    if (!after) continue;
    const [fsType, , superOptions] = after.split(' ');
    const mountPoint = before.split(' ')[4];
    if (fsType === 'cgroup2') mounts.set('', mountPoint);
    if (fsType === 'cgroup') for (const option of superOptions.split(',')) mounts.set(option, mountPoint);
  }
  return readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [, controllers, path] = line.match(/^\d+:([^:]*):(.*)$/)!;
      const mountPoint = controllers.split(',').map((c) => mounts.get(c)).find(Boolean);
      return mountPoint === undefined ? undefined : join(mountPoint, path);
    })
    .filter((dir): dir is string => dir !== undefined);
}

interface Scenario {
  name: string;
  /** Set when the scenario means nothing for runc and crun (they ignore berth's annotations). */
  berthOnly?: string;
  check(runtime: RuntimeName): Promise<void>;
}

const scenarios: Scenario[] = [
  {
    name: 'run --rm IMAGE echo hi',
    async check(runtime) {
      expect(succeeded(await runRemoved(runtime, [], ['echo', 'hi']))).toBe('hi\n');
    },
  },
  {
    name: "run --rm IMAGE sh -c 'exit 3' exits 3",
    async check(runtime) {
      expect((await runRemoved(runtime, [], ['sh', '-c', 'exit 3'])).status).toBe(3);
    },
  },
  {
    name: 'run -d, exec, stop, rm',
    async check(runtime) {
      // A shell that ends with status 7 on SIGTERM, so `stop` is seen to deliver it.
      const id = succeeded(await sandbox.podman(runtime, ['run', '--detach', sandbox.image, 'sh', '-c', 'trap "exit 7" TERM; sleep 1000 & wait'])).trim();
      expect(await inspect(runtime, id, '{{.OCIRuntime}} {{.State.Status}}')).toBe(`${runtime} running`);
      expect(succeeded(await sandbox.podman(runtime, ['exec', id, 'sh', '-c', 'echo from exec; ps -o comm | grep -c sleep']))).toBe('from exec\n1\n');
      expect((await sandbox.podman(runtime, ['exec', id, 'sh', '-c', 'exit 4'])).status).toBe(4);
      succeeded(await sandbox.podman(runtime, ['stop', '--time', '10', id]));
      expect(await inspect(runtime, id, '{{.State.Status}} {{.State.ExitCode}}')).toBe('exited 7');
      succeeded(await sandbox.podman(runtime, ['rm', id]));
      expect(succeeded(await sandbox.podman(runtime, ['ps', '--all', '--quiet', '--no-trunc']))).not.toContain(id);
    },
  },
  {
    name: 'run --timeout 2 (conmon kills the container\'s process group)',
    async check(runtime) {
      const name = `berth-e2e-timeout-${runtime}`;
      const started = Date.now();
      const result = await runRemoved(runtime, ['--name', name, '--timeout', '2'], ['sleep', '60']);
      expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 255, stderr: '' });
      expect(Date.now() - started, 'milliseconds until podman returned').toBeLessThan(15_000);
      expect(succeeded(await sandbox.podman(runtime, ['ps', '--all', '--quiet', '--filter', `name=${name}`]))).toBe('');
    },
  },
  {
    name: 'rm leaves no runtime state and no cgroup behind',
    async check(runtime) {
      const id = succeeded(await sandbox.podman(runtime, ['run', '--detach', '--memory', '64m', sandbox.image, 'sleep', '1000'])).trim();
      const cgroups = cgroupDirectories(await inspect(runtime, id, '{{.State.Pid}}'));
      expect(cgroups.filter((dir) => existsSync(dir)).length, 'the container has cgroup directories while it runs').toBeGreaterThan(0);
      expect(existsSync(join(stateRoots[runtime], id)), `${stateRoots[runtime]}/${id} while it runs`).toBe(true);
      succeeded(await sandbox.podman(runtime, ['rm', '--force', '--time', '0', id]));
      expect(existsSync(join(stateRoots[runtime], id)), `${stateRoots[runtime]}/${id} after rm`).toBe(false);
      expect(cgroups.filter((dir) => existsSync(dir)), 'cgroup directories left after rm').toEqual([]);
    },
  },
  {
    name: 'run -t (console socket)',
    async check(runtime) {
      const result = await sandbox.podmanInTerminal(runtime, ['run', '--rm', '--tty', sandbox.image, 'sh', '-c', 'tty; [ -t 1 ] && echo stdout is a terminal; exit 5']);
      expect(result.status, result.stderr).toBe(5);
      expect(result.stdout.replace(/\r/g, '')).toMatch(/^\/dev\/pts\/\d+\nstdout is a terminal\n$/);
    },
  },
  {
    name: 'exec -t (console socket)',
    async check(runtime) {
      await withDetached(runtime, [], async (id) => {
        const result = await sandbox.podmanInTerminal(runtime, ['exec', '--tty', id, 'sh', '-c', 'tty; exit 6']);
        expect(result.status, result.stderr).toBe(6);
        expect(result.stdout.replace(/\r/g, '')).toMatch(/^\/dev\/pts\/\d+\n$/);
      });
    },
  },
  {
    name: 'run -i with stdin',
    async check(runtime) {
      expect(succeeded(await runRemoved(runtime, ['--interactive'], ['sh', '-c', 'while read line; do echo "got $line"; done'], 'one\ntwo\n'))).toBe('got one\ngot two\n');
    },
  },
  {
    name: '--memory 64m',
    async check(runtime) {
      expect(succeeded(await runRemoved(runtime, ['--memory', '64m'], ['cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes']))).toBe(`${64 * 1024 * 1024}\n`);
    },
  },
  {
    name: '--pids-limit 20',
    async check(runtime) {
      expect(succeeded(await runRemoved(runtime, ['--pids-limit', '20'], ['cat', '/sys/fs/cgroup/pids/pids.max']))).toBe('20\n');
      // The limit holds: the 20th process of the container cannot be made.
      const forks = await runRemoved(runtime, ['--pids-limit', '20'], ['sh', '-c', 'for i in $(seq 30); do sleep 2 & done 2>&1; wait']);
      expect(forks.stdout + forks.stderr).toMatch(/can't fork|Resource temporarily unavailable/);
    },
  },
  {
    name: '--read-only',
    async check(runtime) {
      const result = await runRemoved(runtime, ['--read-only'], ['sh', '-c', 'touch /tmp/writable && echo tmp ok; touch /etc/x']);
      expect(result.stdout).toBe('tmp ok\n');
      expect(result.stderr).toContain('Read-only file system');
      expect(result.status).toBe(1);
    },
  },
  {
    name: 'read-only /proc paths stay nosuid, nodev, noexec',
    async check(runtime) {
      const out = succeeded(await runRemoved(runtime, [], ['sh', '-c', 'grep -E " /proc/(sys|bus|fs|irq) " /proc/self/mounts | cut -d" " -f2,4']));
      const options = out.trim().split('\n').map((line) => line.split(' '));
      expect(options.map(([path]) => path).sort()).toEqual(['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys']);
      for (const [path, flags] of options) expect(flags!.split(','), path).toEqual(expect.arrayContaining(['ro', 'nosuid', 'nodev', 'noexec']));
    },
  },
  {
    name: '--user 1000:1000',
    async check(runtime) {
      expect(succeeded(await runRemoved(runtime, ['--user', '1000:1000'], ['sh', '-c', 'id -u; id -g']))).toBe('1000\n1000\n');
    },
  },
  {
    name: '--cap-drop all',
    async check(runtime) {
      expect(await effectiveCapabilities(runtime, ['--cap-drop', 'all'])).toBe(0n);
    },
  },
  {
    name: '--cap-add NET_ADMIN',
    async check(runtime) {
      const defaults = await effectiveCapabilities(runtime, []);
      expect(defaults & capNetAdmin, 'NET_ADMIN is not among podman\'s defaults').toBe(0n);
      expect(await effectiveCapabilities(runtime, ['--cap-add', 'NET_ADMIN'])).toBe(defaults | capNetAdmin);
    },
  },
  {
    name: '--privileged',
    async check(runtime) {
      const hostBounding = readFileSync('/proc/self/status', 'utf8').match(/^CapBnd:\s+(\w+)$/m)![1];
      const hostBlockDevices = readdirSync('/dev').filter((name) => statSync(`/dev/${name}`).isBlockDevice()).sort();
      const out = succeeded(await runRemoved(runtime, ['--privileged'], ['sh', '-c', "grep CapEff /proc/self/status | cut -f2; grep ' /sys ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1; for d in /dev/*; do [ -b $d ] && echo ${d#/dev/}; done | sort"]));
      const [effective, sysMode, ...blockDevices] = out.trim().split('\n');
      expect({ effective, sysMode, blockDevices }).toEqual({ effective: hostBounding, sysMode: 'rw', blockDevices: hostBlockDevices });
    },
  },
  {
    name: '--device /dev/null:/dev/xnull',
    async check(runtime) {
      const out = succeeded(await runRemoved(runtime, ['--device', '/dev/null:/dev/xnull'], ['sh', '-c', 'echo x > /dev/xnull && stat -c "%F %a %t,%T" /dev/xnull']));
      expect(out).toBe('character special file 666 1,3\n');
    },
  },
  {
    name: '--sysctl in the network namespace podman made',
    async check(runtime) {
      const hostValue = readFileSync('/proc/sys/net/ipv4/ping_group_range', 'utf8');
      expect(succeeded(await runRemoved(runtime, ['--sysctl', 'net.ipv4.ping_group_range=0 1000'], ['cat', '/proc/sys/net/ipv4/ping_group_range']))).toBe('0\t1000\n');
      expect(readFileSync('/proc/sys/net/ipv4/ping_group_range', 'utf8'), 'the host\'s value').toBe(hostValue);
    },
  },
  {
    name: '--env',
    async check(runtime) {
      expect(succeeded(await runRemoved(runtime, ['--env', 'GREETING=hello there'], ['sh', '-c', 'echo "$GREETING"']))).toBe('hello there\n');
    },
  },
  {
    name: '--workdir',
    async check(runtime) {
      expect(succeeded(await runRemoved(runtime, ['--workdir', '/tmp'], ['pwd']))).toBe('/tmp\n');
    },
  },
  {
    name: '--hostname',
    async check(runtime) {
      expect(succeeded(await runRemoved(runtime, ['--hostname', 'berth-e2e'], ['hostname']))).toBe('berth-e2e\n');
    },
  },
  {
    name: '-v hostdir:/data',
    async check(runtime) {
      const hostDir = mkdtempSync(join(tmpdir(), 'berth-podman-volume-'));
      try {
        writeFileSync(join(hostDir, 'from-host'), 'host data\n');
        expect(succeeded(await runRemoved(runtime, ['--volume', `${hostDir}:/data`], ['sh', '-c', 'cat /data/from-host; echo container data > /data/from-container']))).toBe('host data\n');
        expect(readFileSync(join(hostDir, 'from-container'), 'utf8')).toBe('container data\n');
      } finally {
        rmSync(hostDir, { recursive: true, force: true });
      }
    },
  },
  {
    name: '--mount type=bind,...,bind-propagation=rshared',
    async check(runtime) {
      const hostDir = mkdtempSync(join(tmpdir(), 'berth-podman-rshared-'));
      try {
        // mountinfo: the mount point is the fifth field, "shared:N" among the optional ones after it.
        const mount = `type=bind,src=${hostDir},dst=/v,bind-propagation=rshared`;
        const out = succeeded(await runRemoved(runtime, ['--mount', mount], ['sh', '-c', 'cut -d" " -f5- /proc/self/mountinfo | grep "^/v " | grep -c shared:']));
        expect(out).toBe('1\n');
      } finally {
        rmSync(hostDir, { recursive: true, force: true });
      }
    },
  },
  {
    name: '--tmpfs /t',
    async check(runtime) {
      const out = succeeded(await runRemoved(runtime, ['--read-only', '--tmpfs', '/t'], ['sh', '-c', "grep ' /t ' /proc/mounts | cut -d' ' -f1,3; echo x > /t/file && cat /t/file"]));
      expect(out).toBe('tmpfs tmpfs\nx\n');
    },
  },
  {
    name: 'run --pod (the pod\'s namespaces joined by path)',
    async check(runtime) {
      const pod = `berth-e2e-pod-${runtime}`;
      succeeded(await sandbox.podman(runtime, ['pod', 'create', '--name', pod]));
      try {
        const namespaces = "for ns in net uts ipc; do readlink /proc/self/ns/$ns; done; hostname";
        const first = succeeded(await sandbox.podman(runtime, ['run', '--rm', '--pod', pod, sandbox.image, 'sh', '-c', namespaces]));
        const second = succeeded(await sandbox.podman(runtime, ['run', '--rm', '--pod', pod, sandbox.image, 'sh', '-c', namespaces]));
        expect(second).toBe(first);
        const hostNamespaces = ['net', 'uts', 'ipc'].map((ns) => readlinkSync(`/proc/self/ns/${ns}`));
        expect(first.split('\n').slice(0, 3).filter((ns) => hostNamespaces.includes(ns)), 'namespaces shared with the host').toEqual([]);
      } finally {
        await sandbox.podman(runtime, ['pod', 'rm', '--force', pod]);
      }
    },
  },
  {
    name: 'pause, unpause',
    async check(runtime) {
      await withDetached(runtime, [], async (id) => {
        succeeded(await sandbox.podman(runtime, ['pause', id]));
        expect(succeeded(await sandbox.podman(runtime, ['ps', '--all', '--filter', `id=${id}`, '--format', '{{.Status}}']))).toBe('Paused\n');
        expect(await inspect(runtime, id, '{{.State.Status}}')).toBe('paused');
        succeeded(await sandbox.podman(runtime, ['unpause', id]));
        expect(await inspect(runtime, id, '{{.State.Status}}')).toBe('running');
        expect(succeeded(await sandbox.podman(runtime, ['exec', id, 'echo', 'thawed']))).toBe('thawed\n');
      });
    },
  },
  {
    name: 'kill a paused container',
    async check(runtime) {
      await withDetached(runtime, [], async (id) => {
        succeeded(await sandbox.podman(runtime, ['pause', id]));
        succeeded(await sandbox.podman(runtime, ['kill', id]));
        succeeded(await sandbox.podman(runtime, ['wait', id]));
        expect(await inspect(runtime, id, '{{.State.Status}} {{.State.ExitCode}}')).toBe('exited 137');
      });
    },
  },
  {
    name: 'top',
    async check(runtime) {
      await withDetached(runtime, [], async (id) => {
        const [header, ...rows] = succeeded(await sandbox.podman(runtime, ['top', id, 'pid', 'args'])).trim().split('\n');
        expect(header.split(/\s+/)).toEqual(['PID', 'COMMAND']);
        expect(rows.map((r) => r.trim().split(/\s+/).join(' '))).toEqual(['1 sleep 1000']);
      });
    },
  },
  {
    name: 'stats --no-stream',
    async check(runtime) {
      await withDetached(runtime, ['--memory', '64m'], async (id) => {
        const [stats] = JSON.parse(succeeded(await sandbox.podman(runtime, ['stats', '--no-stream', '--format', 'json', id]))) as { id: string; mem_usage: string; pids: string }[];
        expect(id.startsWith(stats.id)).toBe(true);
        expect(stats.pids).toBe('1');
        expect(stats.mem_usage).toMatch(/^[1-9][\d.]*[kM]B \/ 67.11MB$/);
      });
    },
  },
  {
    name: 'run --annotation run.berth.backend=native',
    async check(runtime) {
      expect(succeeded(await runRemoved(runtime, ['--annotation', 'run.berth.backend=native'], ['echo', 'hi']))).toBe('hi\n');
    },
  },
  {
    name: "a refused create shows the runtime's message (--ulimit nofile above the hard limit)",
    async check(runtime) {
      const result = await runRemoved(runtime, ['--ulimit', 'nofile=30000:30000'], ['echo', 'hi']);
      expect(result.status).toBe(126);
      expect(result.stderr).toMatch(new RegExp(`^Error: ${runtime}: .*rlimit.*operation not permitted`, 'im'));
    },
  },
  {
    name: 'run -d of a missing program fails at once (127), naming it',
    async check(runtime) {
      const name = `berth-e2e-missing-${runtime}`;
      try {
        const result = await sandbox.podman(runtime, ['run', '--detach', '--name', name, sandbox.image, '/nonexistent']);
        expect(result.status).toBe(127);
        expect(result.stderr).toMatch(new RegExp(`^Error: ${runtime}: .*/nonexistent.*: OCI runtime attempted to invoke a command that was not found$`, 'm'));
        expect(succeeded(await sandbox.podman(runtime, ['ps', '--all', '--filter', `name=${name}`, '--format', '{{.Status}}']))).toBe('Created\n');
      } finally {
        await sandbox.podman(runtime, ['rm', '--force', name]);
      }
    },
  },
  {
    name: "a refused create shows berth's message (--annotation run.berth.backend=nosuch)",
    berthOnly: 'runc and crun ignore berth\'s annotations',
    async check(runtime) {
      const result = await runRemoved(runtime, ['--annotation', 'run.berth.backend=nosuch'], ['echo', 'hi']);
      expect(result.status).toBe(126);
      // One line, "1 problem: ...": the message of berth's JSON log line (berth's stderr, which
      // podman shows for runtimes without runtime_supports_json, lists each problem on a line).
      expect(result.stderr).toMatch(/^Error: OCI runtime error: berth: invalid \S+\/config\.json: 1 problem: \/annotations\/run\.berth\.backend: .*selects backend "nosuch", which is not available; available: native/m);
    },
  },
];

const unavailable = podmanUnavailable();

describe.skipIf(unavailable !== undefined)(`podman drives berth, runc and crun${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  beforeAll(async () => {
    sandbox = await PodmanSandbox.create();
  });
  afterAll(() => sandbox?.destroy());

  describe.each(runtimes)('podman --runtime $name', ({ name: runtime }) => {
    for (const scenario of scenarios) {
      it(scenario.name, () => {
        if (scenario.berthOnly && runtime !== 'berth') {
          recordResult({ manager: 'podman', scenario: scenario.name, runtime, outcome: 'skip', detail: scenario.berthOnly });
          return;
        }
        return checkScenario('podman', scenario.name, runtime, () => scenario.check(runtime));
      });
    }
  });
});
