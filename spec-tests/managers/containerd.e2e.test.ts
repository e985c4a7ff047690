import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, assert, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxArchive, cgroupHierarchies, Containerd, containerdSkipReason, run, shimRuntimeRoot, type CommandResult } from './containerd-daemon.js';
import { recordResult } from './results.js';
import { runtimes } from './runtimes.js';

/**
 * containerd 1.6's stock runc shim (io.containerd.runc.v2) with its BinaryName set to each
 * runtime in turn (`ctr run --runc-binary`), driven by `ctr` as a user would. Every scenario
 * asserts what the user sees (output, exit status, task status) and that nothing is left once
 * the container is gone. Each outcome is recorded for docs/compatibility.md; only berth's
 * failures fail the suite, runc's and crun's are recorded and shown as skipped.
 */

const skipReason = containerdSkipReason();
const suite = skipReason ? describe.skip : describe;

/** A scenario that does not apply to a runtime (recorded as a skip, with the reason). */
class NotApplicable extends Error {}

let dir: string;
let containerd: Containerd;
let archive: string;
let image: string;

beforeAll(async () => {
  if (skipReason) return;
  dir = mkdtempSync(join(tmpdir(), 'berth-e2e-containerd-'));
  // crun 1.8 refuses this hybrid layout unless the v1 hugetlb hierarchy is mounted.
  run('sh', ['-c', 'mountpoint -q /sys/fs/cgroup/hugetlb || (mkdir -p /sys/fs/cgroup/hugetlb && mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb)'], { scratch: join(dir, 'output') });
  ({ archive, image } = buildBusyboxArchive(join(dir, 'image')));
  containerd = await Containerd.start(join(dir, 'containerd'));
});

afterAll(async () => {
  if (skipReason) return;
  await containerd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

suite(`containerd + ctr${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it("docs/managers.md's CRI runtime handler for berth is what containerd reads", () => {
    const docs = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'managers.md'), 'utf8');
    const toml = /```toml\n([\s\S]*?)```/.exec(docs.slice(docs.indexOf('\n## containerd')))?.[1];
    expect(toml, 'the first toml block of the containerd section').toBeDefined();
    const config = join(dir, 'cri-handler.toml');
    writeFileSync(config, toml!);
    const dump = run('containerd', ['--config', config, 'config', 'dump'], { scratch: join(dir, 'output') });
    expectCtr(dump, { code: 0 }, 'containerd config dump');
    const handler = tableOf(dump.stdout, 'plugins."io.containerd.grpc.v1.cri".containerd.runtimes.berth');
    expect(handler).toContain('runtime_type = "io.containerd.runc.v2"');
    expect(handler).toContain('pod_annotations = ["run.berth.*"]');
    expect(tableOf(dump.stdout, 'plugins."io.containerd.grpc.v1.cri".containerd.runtimes.berth.options')).toEqual(['BinaryName = "/usr/local/bin/berth"']);
  });

  describe.each(runtimes)('io.containerd.runc.v2 with BinaryName = $name', (runtime) => {
    // One namespace per runtime and run: its own shim root (/run/containerd/runc/NS) and cgroup parent.
    const namespace = `berth-e2e-${process.pid}-${runtime.name}`;
    const ctr = (...args: string[]) => containerd.ctr(namespace, args);
    /** `ctr run`'s arguments with the runtime under test as the shim's BinaryName. */
    const runArgs = (flags: string[], id: string, command: string[]) => ['run', '--runtime', 'io.containerd.runc.v2', '--runc-binary', runtime.path, ...flags, image, id, ...command];
    const ctrRun = (flags: string[], id: string, ...command: string[]) => ctr(...runArgs(flags, id, command));

    beforeAll(() => {
      const imported = ctr('image', 'import', archive);
      if (imported.code !== 0) throw new Error(`ctr image import: ${imported.stderr}`);
    });
    afterAll(() => containerd?.clearNamespace(namespace));

    /** Runs one scenario, records its outcome, and fails the test only for berth. */
    const scenario = (name: string, body: () => Promise<void> | void) =>
      it(name, async (ctx) => {
        try {
          await body();
        } catch (e) {
          const detail = (e as Error).message.split('\n').find((l) => l.trim())?.trim() ?? String(e);
          if (e instanceof NotApplicable) {
            recordResult({ manager: 'containerd', scenario: name, runtime: runtime.name, outcome: 'skip', detail });
            return ctx.skip(detail);
          }
          recordResult({ manager: 'containerd', scenario: name, runtime: runtime.name, outcome: 'fail', detail });
          if (runtime.name === 'berth') throw e;
          return ctx.skip(`${runtime.name} fails this scenario (recorded for the compatibility table): ${detail}`);
        }
        recordResult({ manager: 'containerd', scenario: name, runtime: runtime.name, outcome: 'pass' });
      });

    /** The task's status and pid as `ctr task ls` shows them; undefined once there is no task. */
    const taskOf = (id: string): { pid: number; status: string } | undefined => {
      const row = ctr('task', 'ls').stdout.split('\n').map((l) => l.trim().split(/\s+/)).find((cells) => cells[0] === id);
      return row ? { pid: Number(row[1]), status: row[2]! } : undefined;
    };
    const waitForStatus = async (id: string, status: string) => {
      const deadline = Date.now() + 15_000;
      while (taskOf(id)?.status !== status && Date.now() < deadline) await sleep(100);
      expect(taskOf(id)?.status, `ctr task ls: the status of ${id}`).toBe(status);
    };

    /** `ctr run -d`, waiting for `readyFile` inside when given; the container is torn down (and checked to leave nothing) afterwards. */
    const withDetached = async (id: string, command: string[], readyFile: string | undefined, body: (pid: number) => Promise<void> | void, runFlags: string[] = []) => {
      const started = ctrRun(['--detach', ...runFlags], id, ...command);
      expectCtr(started, { code: 0 }, 'ctr run -d');
      let pid = 0;
      try {
        const task = taskOf(id);
        expect(task, 'ctr task ls after ctr run -d').toMatchObject({ status: 'RUNNING' });
        pid = task!.pid;
        if (readyFile) await waitForFile(join(`/proc/${pid}/root`, readyFile));
        await body(pid);
      } catch (e) {
        tearDown(id);
        throw e;
      }
      tearDown(id);
      expectNothingLeft(id, pid);
    };
    /** What a user does to be rid of a container, whatever state it is in. */
    const tearDown = (id: string) => {
      if (taskOf(id)) {
        ctr('task', 'kill', '--signal', 'SIGKILL', id);
        ctr('task', 'delete', '--force', id);
      }
      if (ctr('container', 'info', id).code === 0) ctr('container', 'rm', id);
    };
    const expectNothingLeft = (id: string, pid = 0) => {
      expect(ctr('task', 'ls', '--quiet').stdout.split('\n'), 'ctr task ls').not.toContain(id);
      expect(ctr('container', 'ls', '--quiet').stdout.split('\n'), 'ctr container ls').not.toContain(id);
      expect(existsSync(join(shimRuntimeRoot(namespace), id)), `the runtime's state dir ${join(shimRuntimeRoot(namespace), id)}`).toBe(false);
      const cgroupDirs = cgroupHierarchies().map((h) => cgroupDirOf(h, namespace, id)).filter((d) => existsSync(d));
      expect(cgroupDirs, "the container's cgroup directories").toEqual([]);
      if (pid > 0) expect(existsSync(`/proc/${pid}`), `the container's process ${pid}`).toBe(false);
    };

    scenario('ctr run --rm IMAGE echo hi', () => {
      const r = ctrRun(['--rm'], 'echo', 'echo', 'hi');
      expectCtr(r, { code: 0, stdout: 'hi\n' });
      expectNothingLeft('echo');
    });

    scenario('ctr run --rm: stdout and stderr stay apart', () => {
      const r = ctrRun(['--rm'], 'streams', 'sh', '-c', 'echo to-stdout; echo to-stderr >&2');
      expectCtr(r, { code: 0, stdout: 'to-stdout\n', stderr: 'to-stderr\n' });
      expectNothingLeft('streams');
    });

    scenario("ctr run --rm IMAGE sh -c 'exit 3' exits 3", () => {
      const r = ctrRun(['--rm'], 'exit3', 'sh', '-c', 'exit 3');
      expectCtr(r, { code: 3, stdout: '' });
      expectNothingLeft('exit3');
    });

    scenario('ctr run --rm with stdin', () => {
      const r = containerd.ctr(namespace, runArgs(['--rm'], 'stdin', ['sh', '-c', 'read line; echo got $line']), { input: 'hello\n' });
      expectCtr(r, { code: 0, stdout: 'got hello\n' });
      expectNothingLeft('stdin');
    });

    scenario('ctr run --rm -t: the process has a terminal (console socket)', () => {
      const r = containerd.ctr(namespace, runArgs(['--rm', '--tty'], 'tty', ['sh', '-c', 'tty; exit 5']), { terminal: true });
      expectCtr(r, { code: 5 });
      // A terminal's line ends are \r\n; ctr writes a NUL to it first, which the pty echoes as ^@ (with every runtime).
      expect(r.stdout).toMatch(/^(\^@)?\/dev\/pts\/0\r*$/m);
      expectNothingLeft('tty');
    });

    scenario('ctr run -d: the task runs, isolated, in its cgroup', () =>
      withDetached('detached', ['sleep', '1000'], undefined, (pid) => {
        expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toBe('sleep\u00001000\u0000');
        expect(readlinkSync(`/proc/${pid}/ns/pid`)).not.toBe(readlinkSync('/proc/self/ns/pid'));
        expect(readlinkSync(`/proc/${pid}/ns/mnt`)).not.toBe(readlinkSync('/proc/self/ns/mnt'));
        const memoryCgroup = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1] === 'memory');
        expect(memoryCgroup).toBe(`${memoryCgroup?.split(':')[0]}:memory:/${namespace}/detached`);
      }));

    scenario('ctr run --memory-limit 64M --cpus 0.5 --cpu-shares 512: the limits in the task\'s cgroups', () =>
      withDetached('limits', ['sleep', '1000'], undefined, () => {
        // ctr run has no flags to read them back, and its default spec mounts no cgroupfs inside: read them on the host.
        const file = (hierarchy: string, name: string) => readFileSync(join(cgroupDirOf(hierarchy, namespace, 'limits'), name), 'utf8').trim();
        expect(file('memory', 'memory.limit_in_bytes')).toBe(String(64 * 1024 * 1024));
        expect([file('cpu', 'cpu.cfs_quota_us'), file('cpu', 'cpu.cfs_period_us'), file('cpu', 'cpu.shares')]).toEqual(['50000', '100000', '512']);
      }, ['--memory-limit', String(64 * 1024 * 1024), '--cpus', '0.5', '--cpu-shares', '512']));

    scenario('a process past --memory-limit is OOM-killed: exit status 137 and a /tasks/oom event', async () => {
      const events = await containerd.watchEvents(namespace);
      const r = ctrRun(['--rm', '--memory-limit', String(32 * 1024 * 1024)], 'oom', 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=128M', 'count=1');
      await sleep(500);
      const seen = await events.stop();
      expectCtr(r, { code: 137 });
      // The kernel may signal one OOM more than once (this machine's does for runc and crun too), and
      // the shim forwards each: at least one event, each naming the container.
      const oomEvents = seen.split('\n').filter((l) => l.includes(` ${namespace} /tasks/oom `));
      expect(oomEvents.length, 'ctr events: /tasks/oom').toBeGreaterThanOrEqual(1);
      expect(oomEvents, 'ctr events: /tasks/oom').toEqual(oomEvents.map(() => expect.stringContaining('{"container_id":"oom"}')));
      expectNothingLeft('oom');
    });

    scenario('ctr task exec: output and exit status', () =>
      withDetached('exec', ['sh', '-c', 'echo written-by-init > /tmp/marker; exec sleep 1000'], '/tmp/marker', () => {
        const r = ctr('task', 'exec', '--exec-id', 'probe', 'exec', 'sh', '-c', 'echo from-exec; cat /tmp/marker; exit 4');
        expectCtr(r, { code: 4, stdout: 'from-exec\nwritten-by-init\n' });
      }));

    scenario('ctr task exec --user 1000 --cwd /tmp', () =>
      withDetached('execuser', ['sleep', '1000'], undefined, () => {
        const r = ctr('task', 'exec', '--user', '1000', '--cwd', '/tmp', '--exec-id', 'probe', 'execuser', 'sh', '-c', 'id -u; pwd');
        expectCtr(r, { code: 0, stdout: '1000\n/tmp\n' });
      }));

    scenario('ctr task exec -t: the exec has a terminal (console socket)', () =>
      withDetached('exectty', ['sleep', '1000'], undefined, () => {
        const r = containerd.ctr(namespace, ['task', 'exec', '--tty', '--exec-id', 'probe', 'exectty', 'sh', '-c', 'tty; exit 6'], { terminal: true });
        expectCtr(r, { code: 6 });
        expect(r.stdout).toMatch(/^(\^@)?\/dev\/pts\/\d+\r*$/m);
      }));

    scenario('ctr task ps lists every process of the task', () =>
      withDetached('ps', ['sh', '-c', 'sleep 1000 & touch /tmp/ready; wait'], '/tmp/ready', (pid) => {
        const listed = pidsOf(ctr('task', 'ps', 'ps'));
        expect(listed.sort(byNumber)).toEqual([pid, ...childrenOf(pid)].sort(byNumber));
        expect(listed).toHaveLength(2);
      }));

    scenario('ctr task pause / resume: the task stops running, then goes on', () =>
      withDetached('pause', ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i > /tmp/n; mv /tmp/n /tmp/count; usleep 20000; done'], '/tmp/count', async (pid) => {
        const count = () => Number(readFileSync(`/proc/${pid}/root/tmp/count`, 'utf8'));
        expectCtr(ctr('task', 'pause', 'pause'), { code: 0, stderr: '' });
        expect(taskOf('pause')?.status).toBe('PAUSED');
        const paused = count();
        await sleep(500);
        expect(count(), 'the counter while paused').toBe(paused);
        expectCtr(ctr('task', 'resume', 'pause'), { code: 0, stderr: '' });
        expect(taskOf('pause')?.status).toBe('RUNNING');
        await sleep(500);
        expect(count(), 'the counter after resume').toBeGreaterThan(paused);
      }));

    scenario('ctr task kill sends SIGTERM; ctr task delete reports the exit status', () =>
      withDetached('term', ['sh', '-c', 'trap "exit 7" TERM; sleep 1000 & touch /tmp/ready; wait'], '/tmp/ready', async () => {
        expectCtr(ctr('task', 'kill', 'term'), { code: 0, stderr: '' });
        await waitForStatus('term', 'STOPPED');
        const deleted = ctr('task', 'delete', 'term');
        expectCtr(deleted, { code: 0 });
        expect(deleted.stderr).toContain('task term exit with non-zero exit code 7');
      }));

    scenario('ctr task kill -s SIGKILL', () =>
      withDetached('sigkill', ['sleep', '1000'], undefined, async () => {
        expectCtr(ctr('task', 'kill', '--signal', 'SIGKILL', 'sigkill'), { code: 0, stderr: '' });
        await waitForStatus('sigkill', 'STOPPED');
        expect(ctr('task', 'delete', 'sigkill').stderr).toContain('task sigkill exit with non-zero exit code 137');
      }));

    scenario('ctr task kill --all signals every process, exec ones included', () =>
      // As pid 1 the shell ignores SIGTERM: only --all, which reaches the sleeps, ends its wait.
      withDetached('all', ['sh', '-c', 'sleep 1000 & sleep 1000 & touch /tmp/ready; wait'], '/tmp/ready', async (pid) => {
        expectCtr(ctr('task', 'exec', '--detach', '--exec-id', 'extra', 'all', 'sleep', '1000'), { code: 0 });
        const processes = pidsOf(ctr('task', 'ps', 'all'));
        expect(processes, 'ctr task ps: the init, its two sleeps and the exec').toHaveLength(4);
        expectCtr(ctr('task', 'kill', '--all', 'all'), { code: 0, stderr: '' });
        await waitForStatus('all', 'STOPPED');
        expect(processes.filter((p) => existsSync(`/proc/${p}`)), 'processes still alive').toEqual([]);
      }));

    scenario('ctr task delete + ctr container rm leave nothing behind', () =>
      withDetached('delete', ['sleep', '1000'], undefined, async (pid) => {
        expectCtr(ctr('task', 'kill', '--signal', 'SIGKILL', 'delete'), { code: 0 });
        await waitForStatus('delete', 'STOPPED');
        expectCtr(ctr('task', 'delete', 'delete'), { code: 0 });
        expectCtr(ctr('container', 'rm', 'delete'), { code: 0, stderr: '' });
        expectNothingLeft('delete', pid);
      }));

    scenario('ctr run --rm --runc-systemd-cgroup (a systemd cgroupsPath; systemd is not running here)', () => {
      // The shim passes --systemd-cgroup; ctr then wants a slice:prefix:name cgroupsPath, which
      // systemd would make /system.slice/NS-systemd.scope.
      const scope = `system.slice/${namespace}-systemd.scope`;
      const r = ctrRun(['--rm', '--runc-systemd-cgroup', '--cgroup', `system.slice:${namespace}:systemd`], 'systemd', 'sh', '-c', 'grep :memory: /proc/self/cgroup');
      expectCtr(r, { code: 0, stdout: new RegExp(`^\\d+:memory:/${scope}\n$`) });
      expectNothingLeft('systemd');
      expect(cgroupHierarchies().filter((h) => existsSync(join('/sys/fs/cgroup', h, scope))), 'the scope\'s cgroup directories').toEqual([]);
    });

    scenario('ctr run --rm with run.berth.backend=delegate (runc isolates, berth keeps state)', () => {
      if (runtime.name !== 'berth') throw new NotApplicable(`run.berth.backend is berth's annotation: ${runtime.name} ignores it`);
      const r = ctrRun(['--rm', '--annotation', 'run.berth.backend=delegate'], 'delegate', 'sh', '-c', 'echo via-delegate; exit 4');
      expectCtr(r, { code: 4, stdout: 'via-delegate\n' });
      expectNothingLeft('delegate');
    });

    scenario('run.berth.backend=delegate: ctr task exec, ps, pause / resume and kill --all go through to runc', () => {
      if (runtime.name !== 'berth') throw new NotApplicable(`run.berth.backend is berth's annotation: ${runtime.name} ignores it`);
      return withDetached('delegated', ['sh', '-c', 'sleep 1000 & touch /tmp/ready; wait'], '/tmp/ready', async (pid) => {
        expectCtr(ctr('task', 'exec', '--exec-id', 'probe', 'delegated', 'sh', '-c', 'echo from-exec; exit 4'), { code: 4, stdout: 'from-exec\n' });
        const processes = pidsOf(ctr('task', 'ps', 'delegated'));
        expect(processes.sort(byNumber)).toEqual([pid, ...childrenOf(pid)].sort(byNumber));
        expectCtr(ctr('task', 'pause', 'delegated'), { code: 0, stderr: '' });
        expect(taskOf('delegated')?.status).toBe('PAUSED');
        expectCtr(ctr('task', 'resume', 'delegated'), { code: 0, stderr: '' });
        expect(taskOf('delegated')?.status).toBe('RUNNING');
        expectCtr(ctr('task', 'kill', '--all', 'delegated'), { code: 0, stderr: '' });
        await waitForStatus('delegated', 'STOPPED');
        expect(processes.filter((p) => existsSync(`/proc/${p}`)), 'processes still alive').toEqual([]);
      }, ['--annotation', 'run.berth.backend=delegate']);
    });

    scenario('a failing create: ctr reports the runtime\'s message (unknown berth backend)', () => {
      if (runtime.name !== 'berth') throw new NotApplicable(`run.berth.backend is berth's annotation: ${runtime.name} ignores it`);
      const r = ctrRun(['--rm', '--annotation', 'run.berth.backend=nosuch'], 'nobackend', 'echo', 'hi');
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('OCI runtime create failed');
      expect(r.stderr).toContain('selects backend "nosuch", which is not available');
      expectNothingLeft('nobackend');
    });

    scenario('a failing create: ctr reports the runtime\'s message (a program not in the image)', () => {
      const r = ctrRun(['--rm'], 'noprogram', 'no-such-program');
      expect(r.code).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/OCI runtime create failed: .*no-such-program.* not found in \$PATH/);
      expectNothingLeft('noprogram');
    });

    scenario('a failing create: ctr reports the runtime\'s message (--memory-limit 4096)', () => {
      const r = ctrRun(['--rm', '--memory-limit', '4096'], 'tinymemory', 'echo', 'hi');
      expect(r.code).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('OCI runtime create failed');
      expect(r.stderr).toMatch(/memory limit/i);
      expectNothingLeft('tinymemory');
    });
  });
});

/** ctr's exit status first, with its stderr in the message (what a user reads when it fails), then its output. */
function expectCtr(r: CommandResult, expected: { code: number; stdout?: string | RegExp; stderr?: string }, what = 'ctr'): void {
  if (r.code !== expected.code) assert.fail(`${what} exited ${r.code}, not ${expected.code}: ${r.stderr.trim() || 'nothing on stderr'}`);
  if (typeof expected.stdout === 'string') expect(r.stdout, `${what}: stdout`).toBe(expected.stdout);
  else if (expected.stdout) expect(r.stdout, `${what}: stdout`).toMatch(expected.stdout);
  if (expected.stderr !== undefined) expect(r.stderr, `${what}: stderr`).toBe(expected.stderr);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const byNumber = (a: number, b: number) => a - b;

async function waitForFile(path: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear`);
    await sleep(50);
  }
}

/** A task's cgroup directory in one hierarchy: ctr's default cgroupsPath is /NAMESPACE/ID. */
function cgroupDirOf(hierarchy: string, namespace: string, id: string): string {
  return join('/sys/fs/cgroup', hierarchy, namespace, id);
}

/** The key = value lines of one table in TOML as `containerd config dump` prints it. */
function tableOf(toml: string, name: string): string[] {
  const lines = toml.split('\n').map((l) => l.trim());
  const start = lines.indexOf(`[${name}]`);
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && l.startsWith('['));
  return lines.slice(start + 1, end < 0 ? undefined : end).filter(Boolean);
}

/** The pids in `ctr task ps` output (a PID/INFO table). */
function pidsOf(ps: CommandResult): number[] {
  expectCtr(ps, { code: 0 }, 'ctr task ps');
  return ps.stdout.split('\n').slice(1).map((l) => Number(l.trim().split(/\s+/)[0])).filter((n) => n > 0);
}

/** The pids of a process's children, from /proc (every thread's list). */
function childrenOf(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((tid) => readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
}
