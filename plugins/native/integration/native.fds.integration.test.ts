import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { berthBin } from '../../../core/cli/test-support/run-berth.js';
import { nativeSkipReason, scratchPerTest } from '../test-support/native-suite.js';

/**
 * Attacks with the caller's fds (CVE-2024-21626 class), driven through the built CLI as a
 * manager would: berth is started holding host directories at high fd numbers, as a manager
 * may (`exec 200</etc`), and neither the helper, nor a container process (create, start, run,
 * exec, exec -d), nor any hook may see them, while planted `/proc/self/fd/N` and
 * `/proc/self/cwd` links as a working directory are refused. Root only; busybox payload.
 */
const suite = nativeSkipReason ? describe.skip : describe;
const scratch = scratchPerTest('berth-fds-');
const { bundle } = scratch;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A host directory only the caller's fds lead to: seeing its marker anywhere is an escape. */
let secret = '';
let callerFds: Record<number, number> = {};
beforeEach(() => {
  secret = join(scratch.dir, 'host-secret');
  mkdirSync(secret);
  writeFileSync(join(secret, 'marker'), 'host-secret-marker\n');
  // 100 and 200: what the tester used; 1000 and 4000: far above any contiguous low range.
  const dirFd = openSync(secret, 'r');
  callerFds = { 100: dirFd, 200: dirFd, 1000: dirFd, 4000: openSync('/etc', 'r') };
});
afterEach(() => {
  for (const fd of new Set(Object.values(callerFds))) closeSync(fd);
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** berth with `extra` fds open at the given numbers (child fd → this process's fd), as a manager may hold them. */
function berthHolding(extra: Record<number, number>, args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const out = join(scratch.dir, `out-${Math.random().toString(36).slice(2)}`);
  const outFd = openSync(`${out}.1`, 'w+');
  const errFd = openSync(`${out}.2`, 'w+');
  const highest = Math.max(2, ...Object.keys(extra).map(Number));
  const stdio: ('ignore' | number)[] = Array.from({ length: highest + 1 }, () => 'ignore');
  stdio[0] = 'ignore';
  stdio[1] = outFd;
  stdio[2] = errFd;
  for (const [fd, from] of Object.entries(extra)) stdio[Number(fd)] = from;
  const childEnv = { ...process.env, ...env };
  delete childEnv.NODE_EXTRA_CA_CERTS;
  const r = spawnSync(process.execPath, [berthBin, '--root', scratch.root, ...args], { stdio, env: childEnv, timeout: 60_000 });
  closeSync(outFd);
  closeSync(errFd);
  return { code: r.status ?? -1, stdout: readFileSync(`${out}.1`, 'utf8'), stderr: readFileSync(`${out}.2`, 'utf8') };
}

const berth = (...args: string[]) => berthHolding(callerFds, args);

/** The probe (native/probe.c) reports the fds its process has: fd → target. */
function probedFds(report: string): Record<number, string> {
  const seen = JSON.parse(report) as { fds: { fd: number; target: string }[] };
  return Object.fromEntries(seen.fds.map((f) => [f.fd, f.target]));
}

/** A busybox bundle with the probe at /probe. */
function probeBundle(args: string[], edit?: (config: Record<string, any>) => void): string {
  const b = bundle(args, edit);
  copyFileSync(probeBin, join(b, 'rootfs', 'probe'));
  chmodSync(join(b, 'rootfs', 'probe'), 0o755);
  return b;
}
const probeBin = join(import.meta.dirname, '..', '..', '..', 'dist', 'berth-probe');

/** The host's view of a process's fds: fd → target. */
function hostView(pid: number): Record<number, string> {
  const fds: Record<number, string> = {};
  for (const name of readdirSync(`/proc/${pid}/fd`)) {
    try {
      fds[Number(name)] = readlinkSync(`/proc/${pid}/fd/${name}`);
    } catch {
      // closed meanwhile
    }
  }
  return fds;
}

/** Nothing in `fds` leads to the caller's host directories. */
function expectNoCallerFd(fds: Record<number, string>, who: string): void {
  const leaked = Object.entries(fds).filter(([, target]) => target === secret || target === '/etc' || target.includes('host-secret'));
  expect(leaked, `${who} holds the caller's fds`).toEqual([]);
}

const numbers = (fds: Record<number, string>) => Object.keys(fds).map(Number).sort((a, b) => a - b);

suite(`native backend: the caller's fds and the working directory${nativeSkipReason ? ` (skipped: ${nativeSkipReason})` : ''}`, () => {
  it('run: the container process gets stdio only, whatever fds berth was started with', () => {
    const r = berth('run', '-b', probeBundle(['/probe']), 'fd-run');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(numbers(probedFds(r.stdout))).toEqual([0, 1, 2]);
    expect(r.stdout).not.toContain('host-secret');
  });

  it('create: neither the helper nor the created init holds a caller fd, before or after start', async () => {
    const marker = join(scratch.dir, 'started');
    const b = probeBundle(['sh', '-c', '/probe > /hostdir/listing; exec sleep 1000'], (c) => {
      c.mounts.push({ destination: '/hostdir', type: 'bind', source: scratch.dir, options: ['rbind', 'rw'] });
    });
    const created = berth('create', '-b', b, 'fd-create');
    expect(created).toEqual({ code: 0, stdout: '', stderr: '' });
    const pid = JSON.parse(berth('state', 'fd-create').stdout).pid as number;
    // Waiting for start: every fd the init holds is berth's own (status pipes, the exec fifo).
    const waiting = hostView(pid);
    expectNoCallerFd(waiting, 'the created init');
    expect(Object.keys(waiting).map(Number).filter((fd) => fd >= 100)).toEqual([]);
    expect(berth('start', 'fd-create')).toEqual({ code: 0, stdout: '', stderr: '' });
    for (let i = 0; i < 100 && !existsSync(join(scratch.dir, 'listing')); i++) await sleep(20);
    await sleep(50);
    expect(numbers(probedFds(readFileSync(join(scratch.dir, 'listing'), 'utf8')))).toEqual([0, 1, 2]);
    expectNoCallerFd(hostView(pid), 'the started container process');
    void marker;
  });

  it('exec and exec --detach: the process gets stdio only', async () => {
    expect(berth('run', '-d', '-b', probeBundle(['sleep', '1000'], (c) => (c.root.readonly = false)), 'fd-exec').code).toBe(0);
    const attached = berth('exec', 'fd-exec', '/probe');
    expect(attached.stderr).toBe('');
    expect(numbers(probedFds(attached.stdout))).toEqual([0, 1, 2]);
    const detached = berth('exec', '-d', 'fd-exec', 'sh', '-c', '/probe > /tmp/listing; sleep 1000');
    expect(detached).toEqual({ code: 0, stdout: '', stderr: '' });
    const pid = JSON.parse(berth('state', 'fd-exec').stdout).pid as number;
    const listing = `/proc/${pid}/root/tmp/listing`;
    for (let i = 0; i < 100 && !existsSync(listing); i++) await sleep(20);
    await sleep(50);
    expect(numbers(probedFds(readFileSync(listing, 'utf8')))).toEqual([0, 1, 2]);
  });

  it('every hook kind gets stdio only, passed fds included', () => {
    const hookOut = join(scratch.dir, 'hooks');
    mkdirSync(hookOut);
    // Hooks on the host, and createContainer (in the container's namespaces before pivot_root, its path
    // resolved as the runtime sees it), run the host's probe; startContainer runs the container's.
    const host = (kind: string) => ({ path: '/bin/sh', args: ['sh', '-c', `${probeBin} > ${hookOut}/${kind}`] });
    const inside = (kind: string) => ({ path: '/bin/sh', args: ['sh', '-c', `/probe > /hostdir/hooks/${kind}`] });
    const b = probeBundle(['true'], (c) => {
      c.mounts.push({ destination: '/hostdir', type: 'bind', source: scratch.dir, options: ['rbind', 'rw'] });
      c.hooks = {
        prestart: [host('prestart')],
        createRuntime: [host('createRuntime')],
        createContainer: [host('createContainer')],
        startContainer: [inside('startContainer')],
        poststart: [host('poststart')],
        poststop: [host('poststop')],
      };
    });
    // Passed fds too: 3..22 with a gap at 17, so that 18..22 are above libuv's close-on-exec range.
    const passed: Record<number, number> = { ...callerFds };
    const file = openSync(join(scratch.dir, 'passed'), 'w+');
    for (let fd = 3; fd <= 22; fd++) if (fd !== 17) passed[fd] = file;
    const r = berthHolding(passed, ['run', '--preserve-fds', '20', '-b', b, 'fd-hooks']);
    closeSync(file);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    for (const kind of ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']) {
      expect(numbers(probedFds(readFileSync(join(hookOut, kind), 'utf8'))), `${kind} hook`).toEqual([0, 1, 2]);
    }
  });

  it('--preserve-fds passes exactly the caller\'s fds 3..3+N-1: a gap stays closed, nothing of berth\'s own fills it', () => {
    // The caller has 3, 4, 6, 7 and 9 open; 5 and 8 are gaps, which Node's own start-up fds fill in berth.
    const passed: Record<number, number> = { ...callerFds };
    const files: number[] = [];
    for (const fd of [3, 4, 6, 7, 9]) {
      const path = join(scratch.dir, `fd-${fd}`);
      writeFileSync(path, `caller fd ${fd}\n`);
      files.push((passed[fd] = openSync(path, 'r')));
    }
    const probe = 'for n in 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do if [ -e /proc/self/fd/$n ]; then read line <&$n; echo "$n: $line"; fi; done';
    const r = berthHolding(passed, ['run', '--preserve-fds', '7', '-b', bundle(['sh', '-c', probe]), 'fd-gaps']);
    for (const fd of files) closeSync(fd);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['3: caller fd 3', '4: caller fd 4', '6: caller fd 6', '7: caller fd 7', '9: caller fd 9']);
  });

  it('a passed fd is the container process\'s alone: once it closes it, the other end sees the end (run in the foreground)', async () => {
    const child = spawn(process.execPath, [berthBin, '--root', scratch.root, 'run', '--preserve-fds', '1', '-b', bundle(['sh', '-c', 'echo through-fd-3 >&3; exec 3>&-; sleep 3']), 'fd-alone'], {
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    });
    const passed = child.stdio[3] as NodeJS.ReadableStream;
    let received = '';
    passed.setEncoding('utf8');
    passed.on('data', (d: string) => (received += d));
    // Neither berth nor its helper keeps a copy: the end comes while the container still sleeps.
    const statusAtEnd = new Promise<string>((resolve) =>
      passed.on('end', () => {
        const state = berth('state', 'fd-alone');
        resolve(state.code === 0 ? JSON.parse(state.stdout).status : `gone (${state.stderr.trim()})`);
      }),
    );
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    expect(await statusAtEnd).toBe('running');
    expect(received).toBe('through-fd-3\n');
    await exited;
  });

  it('an impossible --preserve-fds is refused naming the flag, and leaves nothing', () => {
    const r = berth('run', '--preserve-fds', '99999999999', '-b', bundle(['true']), 'fd-huge');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^--preserve-fds 99999999999: fds 3 to 100000000001 cannot exist: this host's highest fd number is \d+ \(\/proc\/sys\/fs\/nr_open\)\n$/);
    expect(existsSync(scratch.root) ? readdirSync(scratch.root) : []).toEqual([]);
  });

  it('an RLIMIT_NOFILE too low for the setup before the program runs is refused naming it, and leaves nothing', () => {
    for (const soft of [0, 3]) {
      const r = berth('create', '-b', bundle(['true'], (c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft, hard: soft }])), `fd-nofile-${soft}`);
      expect(r.code, `soft ${soft}`).toBe(1);
      expect(r.stderr, `soft ${soft}`).toMatch(new RegExp(`^fd-nofile-${soft}: /process/rlimits/0: RLIMIT_NOFILE soft limit ${soft} leaves too few open files for the container's own setup`));
    }
    expect(existsSync(scratch.root) ? readdirSync(scratch.root) : []).toEqual([]);
  });

  it('LISTEN_FDS is honoured only for the process LISTEN_PID names (as runc): the container gets them and is told', () => {
    const b = bundle(['sh', '-c', 'echo "$LISTEN_FDS $LISTEN_PID"; read line <&3; echo "3: $line"']);
    const path = join(scratch.dir, 'listen');
    writeFileSync(path, 'socket stand-in\n');
    const fd = openSync(path, 'r');
    const viaShell = (listenPid: string) => {
      const out = spawnSync('sh', ['-c', `LISTEN_FDS=1 LISTEN_PID=${listenPid} exec "$0" "$@" 3<&9`, process.execPath, berthBin, '--root', scratch.root, 'run', '-b', b, `fd-listen-${listenPid === '$$' ? 'own' : 'other'}`], {
        stdio: ['ignore', 'pipe', 'pipe', 'ignore', 'ignore', 'ignore', 'ignore', 'ignore', 'ignore', fd],
        encoding: 'utf8',
      });
      return { code: out.status, stdout: out.stdout, stderr: out.stderr };
    };
    expect(viaShell('$$')).toEqual({ code: 0, stdout: '1 1\n3: socket stand-in\n', stderr: '' });
    // Meant for another process: not berth's to pass on.
    const other = viaShell('1');
    expect(other.stdout).toBe(' \n3: \n');
    closeSync(fd);
  });

  describe('a working directory that leads out of the container is refused (CVE-2024-21626 class)', () => {
    /** A running container whose process.cwd is /app, which the container then replaces with `link`. */
    function plantedCwd(id: string, link: string): string {
      const b = bundle(['sleep', '1000'], (c) => {
        c.process.cwd = '/app';
        c.root.readonly = false;
      });
      expect(berth('run', '-d', '-b', b, id).code).toBe(0);
      // As a process in the container would: the container's /app becomes a link.
      const plant = berth('exec', '--cwd', '/', id, 'sh', '-c', `busybox rm -rf /app && busybox ln -s ${link} /app && readlink /app`);
      expect(plant.stdout).toBe(`${link}\n`);
      return b;
    }

    it('a planted /app -> /proc/self/fd/200 with the manager holding a host directory at fd 200', () => {
      plantedCwd('cwd-fd', '/proc/self/fd/200');
      const r = berth('exec', 'cwd-fd', 'sh', '-c', 'hostname; ls; cat marker');
      expect(r.code).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stdout + r.stderr).not.toContain(hostname());
      // fd 200 never reaches the process, so the link leads nowhere.
      expect(r.stderr).toContain('chdir to cwd /app: No such file or directory');
    });

    it('even through an fd the process is given (--preserve-fds), the cwd is never a /proc magic link', () => {
      plantedCwd('cwd-passed', '/proc/self/fd/3');
      const r = berthHolding({ ...callerFds, 3: callerFds[200]! }, ['exec', '--preserve-fds', '1', 'cwd-passed', 'sh', '-c', 'cat marker']);
      expect(r.code).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/cwd \/app: refused: resolving it inside the container's root meets a \/proc magic link/);
    });

    it('an explicit --cwd /proc/self/fd/200, and /proc/self/cwd links', () => {
      expect(berth('run', '-d', '-b', bundle(['sleep', '1000']), 'cwd-flag').code).toBe(0);
      for (const cwd of ['/proc/self/fd/200', '/proc/self/fd/4000', '/proc/self/cwd', '/proc/1/cwd']) {
        const r = berth('exec', '--cwd', cwd, 'cwd-flag', 'cat', 'marker');
        expect(r.code, cwd).not.toBe(0);
        expect(r.stdout, cwd).toBe('');
        // /proc/self/fd/N names the exec'd process's own fd N, which it does not have: no such directory.
        expect(r.stderr, cwd).toMatch(new RegExp(`(chdir to )?cwd ${cwd}: (refused|No such file or directory)`));
      }
      plantedCwd('cwd-self', '/proc/self/cwd');
      const r = berth('exec', 'cwd-self', 'ls');
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('cwd /app: refused');
    });

    it('a plain symlink out of the root resolves inside it instead', () => {
      plantedCwd('cwd-dotdot', '../../../../../..' + secret);
      const r = berth('exec', 'cwd-dotdot', 'pwd');
      // The container has no such directory: in its root the link leads nowhere.
      expect(r.code).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('chdir to cwd /app');
      const b = bundle(['sleep', '1000']);
      rmSync(join(b, 'rootfs', 'tmp'), { recursive: true });
      symlinkSync('../../../../../../../../etc', join(b, 'rootfs', 'tmp'));
      expect(berth('run', '-d', '-b', b, 'cwd-in-root').code).toBe(0);
      const inRoot = berth('exec', '--cwd', '/tmp', 'cwd-in-root', 'sh', '-c', 'pwd; ls');
      expect(inRoot).toEqual({ code: 0, stdout: '/etc\npasswd\n', stderr: '' });
    });
  });
});
