import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { berthBin } from '../../../core/cli/test-support/run-berth.js';
import { nativeSkipReason, scratchPerTest } from '../test-support/native-suite.js';

/**
 * `berth exec` into real native containers, driven through the built CLI as a manager would.
 * What the exec'd process sees is compared with what the container's init has, as the host
 * sees it (namespace inodes, cgroups). Root only; the payload is Debian's busybox-static.
 */
const suite = nativeSkipReason ? describe.skip : describe;
const scratch = scratchPerTest('berth-exec-');
const { berth, bundle } = scratch;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A running container whose init sleeps; returns its host pid. */
function running(id: string, edit?: (config: Record<string, any>) => void): number {
  const r = berth('run', '-d', '-b', bundle(['sleep', '1000'], edit), id);
  expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
  return JSON.parse(berth('state', id).stdout).pid;
}

/** A user namespace mapping root to host uid 100000, with /sys bound from the host (as the native tests do). */
function inUserNamespace(c: Record<string, any>): void {
  c.linux.namespaces.push({ type: 'user' });
  c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  c.mounts = c.mounts.filter((m: { type: string }) => m.type !== 'sysfs' && m.type !== 'cgroup');
  c.mounts.push({ destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'ro', 'nosuid', 'noexec', 'nodev'] });
}

/** Host pids in the container's cgroup (`berth ps`). */
const processesOf = (id: string) => JSON.parse(berth('ps', '--format', 'json', id).stdout) as number[];

/**
 * Listens on a console socket (test-support/console-receiver.py) and resolves once it does;
 * `report` resolves to what it received once berth's process has ended (wrapped in an object, as
 * an async function would otherwise wait for it).
 */
async function consoleReceiver(socketPath: string): Promise<{ report: Promise<{ fds: number; name: string; output: string }> }> {
  const receiver = spawn('python3', [join(import.meta.dirname, '..', 'test-support', 'console-receiver.py'), socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  let report = '';
  receiver.stdout.setEncoding('utf8').on('data', (d: string) => (report += d));
  while (!report.includes('listening')) await sleep(20);
  return { report: new Promise((resolve) => receiver.on('close', () => resolve(JSON.parse(report.slice(report.indexOf('{')))))) };
}

const nsNames = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'time', 'user', 'uts'];

suite(`native backend: exec${nativeSkipReason ? ` (skipped: ${nativeSkipReason})` : ''}`, () => {
  it('the process is in every namespace of the container\'s init, by inode, user and time namespaces too', () => {
    // The mapped root (host uid 100000) must be able to reach the rootfs.
    chmodSync(scratch.dir, 0o755);
    const plain = running('ns1');
    const mapped = running('ns2', (c) => {
      inUserNamespace(c);
      c.linux.namespaces.push({ type: 'time' });
    });
    for (const [id, pid] of [['ns1', plain], ['ns2', mapped]] as const) {
      const r = berth('exec', id, 'sh', '-c', nsNames.map((n) => `readlink /proc/self/ns/${n}`).join('; '));
      expect(r.stderr).toBe('');
      expect(r.stdout.trim().split('\n')).toEqual(nsNames.map((n) => readlinkSync(`/proc/${pid}/ns/${n}`)));
    }
    // What made joining them necessary: these are not berth's own.
    for (const n of ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'uts']) expect(readlinkSync(`/proc/${plain}/ns/${n}`)).not.toBe(readlinkSync(`/proc/self/ns/${n}`));
    for (const n of ['user', 'time']) expect(readlinkSync(`/proc/${mapped}/ns/${n}`)).not.toBe(readlinkSync(`/proc/self/ns/${n}`));
    // In the user namespace, root is host uid 100000, as for the init.
    expect(berth('exec', 'ns2', 'sh', '-c', 'id -u; cat /proc/self/uid_map').stdout.trim().split(/\s+/)).toEqual(['0', '0', '100000', '65536']);
  });

  it('the process is in the cgroups of the container\'s init, inside and as the host sees it', () => {
    const pid = running('cg1');
    const inside = berth('exec', 'cg1', 'sh', '-c', 'cat /proc/self/cgroup; echo --; cat /proc/1/cgroup');
    expect(inside.stderr).toBe('');
    const [self, init] = inside.stdout.split('--\n');
    expect(self).toBe(init);
    const pidFile = join(scratch.dir, 'exec.pid');
    expect(berth('exec', '-d', '--pid-file', pidFile, 'cg1', 'sleep', '100').code).toBe(0);
    const execPid = Number(readFileSync(pidFile, 'utf8'));
    const hostView = (p: number) => readFileSync(`/proc/${p}/cgroup`, 'utf8');
    expect(hostView(execPid)).toBe(hostView(pid));
    expect(hostView(pid)).not.toBe(readFileSync('/proc/self/cgroup', 'utf8'));
  });

  it('--cgroup joins a sub-cgroup of the container\'s; leaving it with ".." and a missing one are refused', () => {
    const pid = running('cg2');
    const pidsPath = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => /^\d+:pids:/.test(l))!.split(':')[2]!;
    const inner = join('/sys/fs/cgroup/pids', pidsPath, 'inner');
    // Removed with the container's cgroup at delete.
    mkdirSync(inner);
    const r = berth('exec', '--cgroup', 'pids:inner', 'cg2', 'cat', '/proc/self/cgroup');
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    // Seen inside the container's cgroup namespace: the sub-cgroup for pids, the container's own elsewhere.
    expect(lines.find((l) => /^\d+:pids:/.test(l))).toMatch(/:pids:\/inner$/);
    expect(lines.find((l) => /^\d+:memory:/.test(l))).toMatch(/:memory:\/$/);
    // As the host sees it.
    const pidFile = join(scratch.dir, 'exec.pid');
    expect(berth('exec', '-d', '--pid-file', pidFile, '--cgroup', 'pids:inner', 'cg2', 'sleep', '100').code).toBe(0);
    const execPid = Number(readFileSync(pidFile, 'utf8'));
    expect(readFileSync(`/proc/${execPid}/cgroup`, 'utf8')).toContain(`:pids:${pidsPath}/inner\n`);
    const escape = berth('exec', '--cgroup', 'pids:../escape', 'cg2', 'true');
    expect(escape.code).toBe(1);
    expect(escape.stderr).toContain('cg2: --cgroup pids:../escape: ".." would leave the container\'s cgroup');
    const missing = berth('exec', '--cgroup', 'pids:nosuch', 'cg2', 'true');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`cg2: no such cgroup: ${join('/sys/fs/cgroup/pids', pidsPath, 'nosuch')}`);
    const unprefixed = berth('exec', '--cgroup', 'inner', 'cg2', 'true');
    expect(unprefixed.stderr).toContain('give the controller, as "memory:inner"');
    expect(processesOf('cg2')).toEqual([pid, execPid].sort((a, b) => a - b));
  });

  it('propagates the exit status, 128+N for a signal', () => {
    running('st1');
    expect(berth('exec', 'st1', 'sh', '-c', 'echo out; echo err >&2; exit 7')).toEqual({ code: 7, stdout: 'out\n', stderr: 'err\n' });
    expect(berth('exec', 'st1', 'sh', '-c', 'kill -TERM $$').code).toBe(143);
    expect(berth('exec', 'st1', 'true')).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('applies -e, --cwd, -u, -g and --cap, and the container\'s process otherwise', () => {
    running('fl1');
    const r = berth('exec', '-e', 'FOO=bar', '-e', 'PATH=/bin', '--cwd', '/tmp', '-u', '1000:1000', '-g', '5', '-g', '7', 'fl1', 'sh', '-c', 'echo "$FOO $PATH $HOME"; pwd; id -u; id -g; id -G');
    expect(r).toEqual({ code: 0, stdout: 'bar /bin /home/user\n/tmp\n1000\n1000\n1000 5 7\n', stderr: '' });
    // The container's own process: root, cwd /, HOME from /etc/passwd, the config's capabilities (KILL, NET_BIND_SERVICE, AUDIT_WRITE).
    const caps = 'grep -E "^Cap(Eff|Bnd)" /proc/self/status';
    expect(berth('exec', 'fl1', 'sh', '-c', `pwd; id -u; echo $HOME; ${caps}`).stdout).toBe('/\n0\n/root\nCapEff:\t0000000020000420\nCapBnd:\t0000000020000420\n');
    // --cap adds to bounding, effective and permitted: CAP_SYS_ADMIN is bit 21.
    expect(berth('exec', '--cap', 'CAP_SYS_ADMIN', 'fl1', 'sh', '-c', caps).stdout).toBe('CapEff:\t0000000020200420\nCapBnd:\t0000000020200420\n');
  });

  it('-p process.json gives the whole process: user, umask, rlimits, oom score, no_new_privs, env, cwd', () => {
    running('pj1');
    const file = join(scratch.dir, 'process.json');
    writeFileSync(file, JSON.stringify({
      args: ['sh', '-c', 'echo "$X $HOME"; pwd; id -u; id -g; umask; ulimit -n; ulimit -Hn; cat /proc/self/oom_score_adj; grep NoNewPrivs /proc/self/status'],
      cwd: '/tmp',
      env: ['PATH=/bin', 'X=from-json'],
      user: { uid: 1000, gid: 1000, umask: 0o077 },
      rlimits: [{ type: 'RLIMIT_NOFILE', soft: 100, hard: 200 }],
      oomScoreAdj: 500,
      noNewPrivileges: true,
    }));
    expect(berth('exec', '-p', file, 'pj1')).toEqual({ code: 0, stdout: 'from-json /home/user\n/tmp\n1000\n1000\n0077\n100\n200\n500\nNoNewPrivs:\t1\n', stderr: '' });
  });

  it('a low RLIMIT_NOFILE does not stop the container or the exec\'d process from starting', () => {
    // The helper's own fds (a cgroup.procs file per hierarchy, pipes) must not count against the limit.
    running('nf1', (c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 16, hard: 16 }]));
    const file = join(scratch.dir, 'process.json');
    writeFileSync(file, JSON.stringify({ args: ['sh', '-c', 'ulimit -n; ls /proc/$$/fd; true'], cwd: '/', user: { uid: 0, gid: 0 }, rlimits: [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 10 }] }));
    expect(berth('exec', '-p', file, 'nf1')).toEqual({ code: 0, stdout: '10\n0\n1\n2\n', stderr: '' });
    expect(berth('exec', 'nf1', 'sh', '-c', 'ulimit -n')).toEqual({ code: 0, stdout: '16\n', stderr: '' });
  });

  it('--detach returns once the process runs, and --pid-file holds its host pid', () => {
    const pid = running('dt1');
    const pidFile = join(scratch.dir, 'exec.pid');
    const started = Date.now();
    expect(berth('exec', '-d', '--pid-file', pidFile, 'dt1', 'sleep', '300')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(Date.now() - started).toBeLessThan(20_000);
    const execPid = Number(readFileSync(pidFile, 'utf8'));
    expect(readFileSync(`/proc/${execPid}/cmdline`, 'utf8')).toBe('sleep\u0000300\u0000');
    expect(readlinkSync(`/proc/${execPid}/ns/pid`)).toBe(readlinkSync(`/proc/${pid}/ns/pid`));
    expect(processesOf('dt1')).toEqual([pid, execPid].sort((a, b) => a - b));
  });

  it('--preserve-fds passes fd 3; no other fd of the caller or of berth reaches the process', () => {
    running('fd1');
    // The shell's fds ("; true" keeps sh from exec'ing ls, whose own fd would show).
    expect(berth('exec', 'fd1', 'sh', '-c', 'ls /proc/$$/fd; true').stdout.trim().split('\n')).toEqual(['0', '1', '2']);
    // The caller has fds 3 and 4 open; only 3 is preserved.
    const out3 = join(scratch.dir, 'fd3');
    const out4 = join(scratch.dir, 'fd4');
    const fd3 = openSync(out3, 'w');
    const fd4 = openSync(out4, 'w');
    try {
      const r = spawnSync(process.execPath, [berthBin, '--root', scratch.root, 'exec', '--preserve-fds', '1', 'fd1', 'sh', '-c', 'echo via-fd3 >&3; echo via-fd4 >&4; ls /proc/$$/fd; true'], {
        stdio: ['ignore', 'pipe', 'pipe', fd3, fd4],
        encoding: 'utf8',
      });
      expect(r.status).toBe(0);
      expect(r.stdout.trim().split('\n')).toEqual(['0', '1', '2', '3']);
      expect(r.stderr).toMatch(/4: Bad file descriptor/);
    } finally {
      closeSync(fd3);
      closeSync(fd4);
    }
    expect(readFileSync(out3, 'utf8')).toBe('via-fd3\n');
    expect(readFileSync(out4, 'utf8')).toBe('');
  });

  it('with a terminal, hands the pty master to --console-socket as runc does', async () => {
    running('tt1');
    const socketPath = join(scratch.dir, 'console.sock');
    const received = await consoleReceiver(socketPath);
    expect(berth('exec', '-t', '-d', '--console-socket', socketPath, 'tt1', 'sh', '-c', 'tty; echo in-tty')).toEqual({ code: 0, stdout: '', stderr: '' });
    const result = await received.report;
    expect(result.fds).toBe(1);
    expect(result.name).toMatch(/^\/dev\/pts\/\d+$/);
    expect(result.output.replace(/\r/g, '').split('\n').slice(0, 2)).toEqual([result.name, 'in-tty']);
  });

  it('-p with --tty, as podman passes them (the file asks for a terminal too), warns of nothing; a flag -p overrides is named', async () => {
    running('pt1');
    const socketPath = join(scratch.dir, 'console.sock');
    const received = await consoleReceiver(socketPath);
    const file = join(scratch.dir, 'process.json');
    writeFileSync(file, JSON.stringify({ args: ['sh', '-c', 'tty'], cwd: '/', env: ['PATH=/bin'], user: { uid: 0, gid: 0 }, terminal: true }));
    expect(berth('exec', '--pid-file', join(scratch.dir, 'exec.pid'), '--process', file, '--detach', '--tty', '--console-socket', socketPath, 'pt1')).toEqual({ code: 0, stdout: '', stderr: '' });
    expect((await received.report).name).toMatch(/^\/dev\/pts\/\d+$/);
    writeFileSync(file, JSON.stringify({ args: ['pwd'], cwd: '/', env: ['PATH=/bin'], user: { uid: 0, gid: 0 } }));
    expect(berth('exec', '--process', file, '--cwd', '/tmp', '--tty', 'pt1')).toEqual({ code: 0, stdout: '/\n', stderr: 'warning: with --process, --cwd, --tty are ignored (as in runc)\n' });
  });

  it('with a terminal and no console socket, relays the pty in the foreground and exits with the status', () => {
    running('tt2');
    const r = berth('exec', '-t', 'tt2', 'sh', '-c', 'tty; echo in-tty; exit 4');
    expect(r.code).toBe(4);
    expect(r.stdout.replace(/\r/g, '')).toMatch(/^\/dev\/pts\/\d+\nin-tty\n$/);
  });

  it('the container\'s seccomp filter applies to the exec\'d process, with and without no_new_privs', () => {
    running('sc1', (c) => {
      c.process.noNewPrivileges = false;
      c.linux.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
        syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
      };
    });
    for (const nnp of [[], ['--no-new-privs']]) {
      const r = berth('exec', ...nnp, 'sc1', 'sh', '-c', 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status; mkdir /tmp/denied 2>&1; echo still-running');
      expect(r.stderr).toBe('');
      const lines = r.stdout.trim().split('\n');
      expect(lines[0]).toBe(`NoNewPrivs:\t${nnp.length}`);
      expect(lines[1]).toMatch(/^Seccomp:\s+2$/);
      expect(lines[2]).toMatch(/Permission denied/);
      expect(lines[3]).toBe('still-running');
    }
  });

  it('a created container takes an exec too; a stopped one is refused', async () => {
    expect(berth('create', '-b', bundle(['true']), 'cr1').code).toBe(0);
    expect(berth('exec', 'cr1', 'sh', '-c', 'echo in-created')).toEqual({ code: 0, stdout: 'in-created\n', stderr: '' });
    expect(JSON.parse(berth('state', 'cr1').stdout).status).toBe('created');
    expect(berth('start', 'cr1').code).toBe(0);
    for (let i = 0; i < 100 && JSON.parse(berth('state', 'cr1').stdout).status !== 'stopped'; i++) await sleep(20);
    const r = berth('exec', 'cr1', 'true');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cr1: cannot exec in a stopped container');
  });

  it('a failing exec names what failed, exits non-zero and leaves no process behind', () => {
    chmodSync(scratch.dir, 0o755);
    let files = 0;
    const processFile = (process: object) => {
      const file = join(scratch.dir, `process-${files++}.json`);
      writeFileSync(file, JSON.stringify(process));
      return file;
    };
    const pid = running('bad1', inUserNamespace);
    const pidFile = join(scratch.dir, 'exec.pid');
    const cases: [string[], RegExp][] = [
      [['bad1', 'nosuch-command'], /^bad1: command: exec "nosuch-command": No such file or directory \(EXEC failed in the child step \d+, errno 2\)$/m],
      [['-d', '--pid-file', pidFile, 'bad1', 'nosuch-command'], /^bad1: command: exec "nosuch-command": No such file or directory/m],
      [['--cwd', '/no/such/dir', 'bad1', 'true'], /^bad1: --cwd: chdir to cwd \/no\/such\/dir: No such file or directory \(CHDIR failed/m],
      // Outside the user namespace's mapping.
      [['-u', '70000', 'bad1', 'true'], /^bad1: --user: setuid 70000: Invalid argument \(SETUID failed/m],
      // With --process, the field is named by its pointer in that file.
      [['-p', processFile({ args: ['true'], cwd: '/no/such/dir', user: { uid: 0, gid: 0 } }), 'bad1'], /^bad1: \/cwd: chdir to cwd \/no\/such\/dir: No such file or directory \(CHDIR failed/m],
      [['-p', processFile({ args: ['sh', 'a\u0000b'], cwd: '/', user: { uid: 0, gid: 0 } }), 'bad1'], /^\/args: contains a NUL byte, which no system call can take \(an argument of EXEC\)$/m],
    ];
    for (const [args, message] of cases) {
      const r = berth('exec', ...args);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
      expect(processesOf('bad1')).toEqual([pid]);
    }
    expect(existsSync(pidFile)).toBe(false);
    expect(JSON.parse(berth('state', 'bad1').stdout).status).toBe('running');
  });
});
