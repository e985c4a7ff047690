import { spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/**
 * Root-only: the built CLI (dist/berth.cjs, from `npx tsup`) runs real containers through the
 * delegate backend and a real runc (and crun when present). Each test asserts what a user or a
 * manager observes: berth's state output, /proc, the delegated runtime's own state, cgroups,
 * the files hooks write.
 */

const berthBin = join(import.meta.dirname, '..', '..', '..', 'dist', 'berth.cjs');
const runc = '/usr/sbin/runc';
const crun = '/usr/bin/crun';
const busybox = '/bin/busybox';

const skipReason =
  process.getuid?.() !== 0
    ? 'needs root'
    : !existsSync(busybox)
      ? `${busybox} is missing (apt-get install busybox-static)`
      : !existsSync(runc)
        ? `${runc} is missing`
        : undefined;
const suffix = (reason: string | undefined) => (reason ? ` (skipped: ${reason})` : '');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

let tmp: string;
let root: string;
let bundle: string;
let ids: string[];
let counter = 0;

/**
 * Run the built CLI. Its stdio goes to files, not pipes: a detached container inherits berth's
 * stdout and stderr (as with runc), and a pipe it holds would keep spawnSync waiting for it.
 */
function berth(args: readonly string[], options: { cwd?: string; extraFds?: number[]; input?: string } = {}): Result {
  if (!existsSync(berthBin)) throw new Error(`${berthBin} is missing: run \`npx tsup\` first`);
  const n = counter++;
  const out = join(tmp, `out-${n}`);
  const err = join(tmp, `err-${n}`);
  const outFd = openSync(out, 'w');
  const errFd = openSync(err, 'w');
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  try {
    const stdin = options.input === undefined ? 'ignore' : 'pipe';
    const r = spawnSync(process.execPath, [berthBin, '--root', root, ...args], { cwd: options.cwd ?? tmp, input: options.input, stdio: [stdin, outFd, errFd, ...(options.extraFds ?? [])], env, timeout: 60_000 });
    return { code: r.status ?? -1, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
  } finally {
    closeSync(outFd);
    closeSync(errFd);
  }
}

/** Start the built CLI without waiting (for `events`, which streams); stdout goes to `outFile`. */
function berthInBackground(args: readonly string[], outFile: string): { stop: () => Promise<number | null> } {
  const outFd = openSync(outFile, 'w');
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const child = spawn(process.execPath, [berthBin, '--root', root, ...args], { cwd: tmp, stdio: ['ignore', outFd, 'ignore'], env });
  closeSync(outFd);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

function newId(): string {
  const id = `dlg-${process.pid}-${ids.length}-${Math.random().toString(36).slice(2, 6)}`;
  ids.push(id);
  return id;
}

interface Config {
  ociVersion: string;
  process: { terminal?: boolean; args: string[] };
  root: { path: string };
  annotations?: Record<string, string>;
  hooks?: Record<string, { path: string; args?: string[] }[]>;
  linux?: Record<string, unknown>;
}

function editConfig(edit: (c: Config) => void): void {
  const path = join(bundle, 'config.json');
  const config = JSON.parse(readFileSync(path, 'utf8')) as Config;
  edit(config);
  writeFileSync(path, JSON.stringify(config, null, 2));
}

function state(id: string): { status: string; pid: number; bundle: string; annotations?: Record<string, string> } {
  const r = berth(['state', id]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/** The delegated runtime's own view, from the root berth gave it inside the container's state directory. */
function runtimeState(id: string, runtime = runc): { status: string; pid: number } | undefined {
  const r = spawnSync(runtime, ['--root', join(root, id, 'delegate-root'), 'state', id], { encoding: 'utf8' });
  return r.status === 0 ? JSON.parse(r.stdout) : undefined;
}

/** The process state letter from /proc (R, S, Z, ...), undefined when there is no such process. */
function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

const exited = (pid: number) => procState(pid) === undefined || procState(pid) === 'Z';

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The cgroup directories a process is in (pids controller on v1, the unified tree on v2), excluding roots. */
function cgroupDirs(pid: number): string[] {
  const unified = existsSync('/sys/fs/cgroup/cgroup.controllers') ? '/sys/fs/cgroup' : '/sys/fs/cgroup/unified';
  const dirs: string[] = [];
  for (const [hierarchy, controllers, path] of cgroupLines(pid)) {
    if (path === '/') continue;
    if (hierarchy === '0') dirs.push(join(unified, path));
    else if (controllers.split(',').includes('pids')) dirs.push(join('/sys/fs/cgroup/pids', path));
  }
  return dirs.filter((d) => existsSync(d));
}

/** /proc/<pid>/cgroup as [hierarchy, controllers, path] rows. */
function cgroupLines(pid: number): [string, string, string][] {
  return readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n').map((l) => l.split(':', 3) as [string, string, string]);
}

/** The memory limit in force for a process's cgroup, read from the cgroup filesystem (v1 memory controller, or v2). */
function memoryLimit(pid: number): string {
  const lines = cgroupLines(pid);
  const v1 = lines.find(([, controllers]) => controllers.split(',').includes('memory'));
  const file = v1 ? join('/sys/fs/cgroup/memory', v1[2], 'memory.limit_in_bytes') : join('/sys/fs/cgroup', lines.find(([h]) => h === '0')![2], 'memory.max');
  return readFileSync(file, 'utf8').trim();
}

/** FROZEN or THAWED: the freezer's view of a process's cgroup (v1 freezer.state, or v2 cgroup.freeze). */
function freezerState(pid: number): string {
  const lines = cgroupLines(pid);
  const v1 = lines.find(([, controllers]) => controllers.split(',').includes('freezer'));
  if (v1) return readFileSync(join('/sys/fs/cgroup/freezer', v1[2], 'freezer.state'), 'utf8').trim();
  return readFileSync(join('/sys/fs/cgroup', lines.find(([h]) => h === '0')![2], 'cgroup.freeze'), 'utf8').trim() === '1' ? 'FROZEN' : 'THAWED';
}

/** What berth's --root holds for an id: nothing, after a delete or a failed create. */
const leftUnderRoot = (id: string) => (existsSync(root) ? readdirSync(root).filter((name) => name.includes(id)) : []);

function lines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter((l) => l !== '') : [];
}

describe.skipIf(skipReason !== undefined)(`delegate backend driving runc through the built CLI${suffix(skipReason)}`, () => {
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'berth-delegate-it-'));
    root = join(tmp, 'root');
    bundle = join(tmp, 'bundle');
    ids = [];
    mkdirSync(join(bundle, 'rootfs', 'bin'), { recursive: true });
    copyFileSync(busybox, join(bundle, 'rootfs', 'bin', 'busybox'));
    const spec = berth(['spec'], { cwd: bundle });
    expect(spec.code, spec.stderr).toBe(0);
    editConfig((c) => {
      c.process.terminal = false;
      c.process.args = ['/bin/busybox', 'sleep', '30'];
      c.annotations = { 'run.berth.backend': 'delegate' };
    });
  });

  afterEach(() => {
    for (const id of ids) {
      berth(['delete', '--force', id]);
      // Safety net: the delegated runtime's own delete, if berth left its state behind.
      const delegateRoot = join(root, id, 'delegate-root');
      for (const runtime of [runc, crun]) {
        if (existsSync(join(delegateRoot, id)) && existsSync(runtime)) spawnSync(runtime, ['--root', delegateRoot, 'delete', '--force', id], { stdio: 'ignore' });
      }
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  it('create: state says created, with the host pid /proc shows in its own pid namespace, and runc agrees', () => {
    const id = newId();
    const r = berth(['create', '--bundle', bundle, id]);
    expect(r.code, r.stderr).toBe(0);

    const s = state(id);
    expect(s.status).toBe('created');
    expect(s.bundle).toBe(bundle);
    expect(s.annotations).toEqual({ 'run.berth.backend': 'delegate' });
    expect(s.pid).toBeGreaterThan(0);
    expect(exited(s.pid)).toBe(false);
    // runc isolated it: the container process lives in a pid namespace of its own.
    expect(readlinkSync(`/proc/${s.pid}/ns/pid`)).not.toBe(readlinkSync('/proc/self/ns/pid'));
    expect(runtimeState(id)).toMatchObject({ status: 'created', pid: s.pid });
  });

  it('start runs the program; kill KILL stops it; delete leaves no berth state, no runc container, no cgroup', async () => {
    const id = newId();
    expect(berth(['create', '--bundle', bundle, id]).code).toBe(0);
    const { pid } = state(id);
    const start = berth(['start', id]);
    expect(start.code, start.stderr).toBe(0);

    expect(state(id)).toMatchObject({ status: 'running', pid });
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)).toEqual(['/bin/busybox', 'sleep', '30']);
    expect(runtimeState(id)).toMatchObject({ status: 'running', pid });
    const cgroups = cgroupDirs(pid);
    expect(cgroups.length).toBeGreaterThan(0);

    const kill = berth(['kill', id, 'KILL']);
    expect(kill.code, kill.stderr).toBe(0);
    await until(`${id} is stopped`, () => state(id).status === 'stopped');
    expect(state(id).pid).toBe(0);

    const del = berth(['delete', id]);
    expect(del.code, del.stderr).toBe(0);
    const gone = berth(['state', id]);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain('does not exist');
    expect(leftUnderRoot(id)).toEqual([]);
    expect(runtimeState(id)).toBeUndefined();
    expect(cgroups.filter((d) => existsSync(d))).toEqual([]);
    expect(exited(pid)).toBe(true);
  });

  it('64-bit values reach runc with every digit: RLIMIT_CORE of uint64 max is unlimited in the container', () => {
    const id = newId();
    const path = join(bundle, 'config.json');
    const text = readFileSync(path, 'utf8').replace(/"rlimits": \[[^\]]*\]/, '"rlimits": [{"type": "RLIMIT_CORE", "hard": 18446744073709551615, "soft": 18446744073709551615}]');
    writeFileSync(path, text);
    const r = berth(['run', '-d', '--bundle', bundle, id]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(`/proc/${state(id).pid}/limits`, 'utf8')).toMatch(/^Max core file size\s+unlimited\s+unlimited\s+bytes/m);
  });

  it('run -d: the container is running at once, and runc agrees', () => {
    const id = newId();
    const r = berth(['run', '-d', '--bundle', bundle, id]);
    expect(r.code, r.stderr).toBe(0);
    const s = state(id);
    expect(s.status).toBe('running');
    expect(runtimeState(id)).toMatchObject({ status: 'running', pid: s.pid });
  });

  it('run in the foreground is refused (no wait): the message says --detach and nothing is left', () => {
    const id = newId();
    const r = berth(['run', '--bundle', bundle, id]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('backend delegate cannot run a container in the foreground; use run --detach');
    expect(leftUnderRoot(id)).toEqual([]);
  });

  it('delete --force on a running container kills it and removes every trace', async () => {
    const id = newId();
    expect(berth(['run', '-d', '--bundle', bundle, id]).code).toBe(0);
    const { pid, status } = state(id);
    expect(status).toBe('running');
    const cgroups = cgroupDirs(pid);
    expect(cgroups.length).toBeGreaterThan(0);

    const notForced = berth(['delete', id]);
    expect(notForced.code).not.toBe(0);
    expect(notForced.stderr).toContain('not stopped');

    const del = berth(['delete', '--force', id]);
    expect(del.code, del.stderr).toBe(0);
    await until(`pid ${pid} has exited`, () => exited(pid));
    expect(berth(['state', id]).stderr).toContain('does not exist');
    expect(leftUnderRoot(id)).toEqual([]);
    expect(cgroups.filter((d) => existsSync(d))).toEqual([]);
  });

  it('--pid-file holds the host pid that state reports', () => {
    const id = newId();
    const pidFile = join(tmp, 'container.pid');
    const r = berth(['create', '--bundle', bundle, '--pid-file', pidFile, id]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(pidFile, 'utf8')).toBe(String(state(id).pid));
  });

  it('--preserve-fds 1 hands the caller\'s fd 3 to the container process', async () => {
    const id = newId();
    const shared = join(tmp, 'fd3.txt');
    editConfig((c) => {
      c.process.args = ['/bin/busybox', 'sh', '-c', 'echo written-to-fd-3 >&3; exec /bin/busybox sleep 30'];
    });
    const fd = openSync(shared, 'w');
    try {
      const r = berth(['create', '--preserve-fds', '1', '--bundle', bundle, id], { extraFds: [fd] });
      expect(r.code, r.stderr).toBe(0);
    } finally {
      closeSync(fd);
    }
    expect(berth(['start', id]).code).toBe(0);
    await until('the container wrote to fd 3', () => readFileSync(shared, 'utf8') === 'written-to-fd-3\n');
  });

  it('hooks run exactly once each, by berth, with the right status and the user bundle in their state JSON', async () => {
    const id = newId();
    const out = (kind: string) => join(tmp, `${kind}.jsonl`);
    const hook = (kind: string) => [{ path: '/bin/sh', args: ['sh', '-c', `cat >> ${out(kind)}; echo >> ${out(kind)}`] }];
    editConfig((c) => {
      c.hooks = { createRuntime: hook('createRuntime'), poststart: hook('poststart'), poststop: hook('poststop') };
    });

    expect(berth(['create', '--bundle', bundle, id]).code).toBe(0);
    const { pid } = state(id);
    expect(berth(['start', id]).code).toBe(0);
    expect(berth(['kill', id, 'KILL']).code).toBe(0);
    await until(`${id} is stopped`, () => state(id).status === 'stopped');
    expect(berth(['delete', id]).code).toBe(0);

    const seen = (kind: string) => lines(out(kind)).map((l) => JSON.parse(l) as Record<string, unknown>);
    const common = { id, bundle, annotations: { 'run.berth.backend': 'delegate' } };
    expect(seen('createRuntime')).toEqual([expect.objectContaining({ ...common, status: 'creating', pid })]);
    expect(seen('poststart')).toEqual([expect.objectContaining({ ...common, status: 'running', pid })]);
    expect(seen('poststop')).toEqual([expect.objectContaining({ ...common, status: 'stopped' })]);
  });

  it("a config runc refuses fails create with runc's reason, one JSON line in --log, and nothing left", () => {
    const id = newId();
    // Schema-valid, but runc refuses a sysctl outside a namespace the container owns.
    editConfig((c) => {
      c.linux = { ...c.linux, sysctl: { 'kernel.berth_bogus_key': '1' } };
    });
    const logFile = join(tmp, 'berth-log.json');
    const r = berth(['--log', logFile, '--log-format', 'json', 'create', '--bundle', bundle, id]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${id}: delegated runtime ${runc} create failed:`);
    expect(r.stderr).toContain('kernel.berth_bogus_key');

    const logged = lines(logFile);
    expect(logged).toHaveLength(1);
    const entry = JSON.parse(logged[0]!) as { level: string; msg: string };
    expect(entry.level).toBe('error');
    expect(entry.msg).toContain(`delegated runtime ${runc} create failed:`);
    expect(entry.msg).toContain('kernel.berth_bogus_key');

    expect(leftUnderRoot(id)).toEqual([]);
    expect(berth(['state', id]).stderr).toContain('does not exist');
  });

  it('a runtime path that does not exist fails create naming it, and leaves nothing', () => {
    const id = newId();
    editConfig((c) => {
      c.annotations = { ...c.annotations, 'run.berth.delegate.runtime': '/nonexistent/oci-runtime' };
    });
    const r = berth(['create', '--bundle', bundle, id]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${id}: cannot run the delegated runtime /nonexistent/oci-runtime for create: no such file or directory`);
    expect(leftUnderRoot(id)).toEqual([]);
  });

  it('a relative runtime path is a config problem, reported with its JSON pointer before anything is done', () => {
    const id = newId();
    editConfig((c) => {
      c.annotations = { ...c.annotations, 'run.berth.delegate.runtime': 'runc' };
    });
    const check = berth(['check', '--bundle', bundle]);
    expect(check.code).not.toBe(0);
    expect(check.stderr + check.stdout).toContain('/annotations/run.berth.delegate.runtime: must be an absolute path');
    const r = berth(['create', '--bundle', bundle, id]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('/annotations/run.berth.delegate.runtime: must be an absolute path');
    expect(leftUnderRoot(id)).toEqual([]);
  });

  const crunSkip = existsSync(crun) ? undefined : `${crun} is missing`;
  it.skipIf(crunSkip !== undefined)(`the annotation run.berth.delegate.runtime selects crun instead${suffix(crunSkip)}`, async () => {
    const id = newId();
    editConfig((c) => {
      // crun 1.8 (Debian 12) refuses berth's ociVersion 1.3.0 ("unknown version specified").
      c.ociVersion = '1.0.2';
      c.annotations = { ...c.annotations, 'run.berth.delegate.runtime': crun };
    });
    const r = berth(['run', '-d', '--bundle', bundle, id]);
    expect(r.code, r.stderr).toBe(0);
    const { pid, status } = state(id);
    expect(status).toBe('running');
    expect(runtimeState(id, crun)).toMatchObject({ status: 'running', pid });

    expect(berth(['kill', '--all', id, 'KILL']).code).toBe(0);
    await until(`${id} is stopped`, () => state(id).status === 'stopped');
    expect(berth(['delete', id]).code).toBe(0);
    expect(leftUnderRoot(id)).toEqual([]);
    expect(exited(pid)).toBe(true);
  });
  /** The runtimes the process-management verbs are driven through; crun where it is installed. */
  const runtimes = [
    { name: 'runc', path: runc, skip: undefined, configure: (_c: Config) => {} },
    {
      name: 'crun',
      path: crun,
      skip: existsSync(crun) ? undefined : `${crun} is missing`,
      configure: (c: Config) => {
        // crun 1.8 (Debian 12) refuses berth's ociVersion 1.3.0 ("unknown version specified").
        c.ociVersion = '1.0.2';
        c.annotations = { ...c.annotations, 'run.berth.delegate.runtime': crun };
      },
    },
  ];

  for (const runtime of runtimes) {
    describe.skipIf(runtime.skip !== undefined)(`process-management verbs through ${runtime.name}${suffix(runtime.skip)}`, () => {
      /** A running container of this runtime; its init sleeps. */
      function runContainer(): { id: string; pid: number } {
        editConfig(runtime.configure);
        const id = newId();
        const r = berth(['run', '-d', '--bundle', bundle, id]);
        expect(r.code, r.stderr).toBe(0);
        return { id, pid: state(id).pid };
      }

      it(`pause freezes the container: state and ${runtime.name} say paused, the process is frozen; resume makes it running again`, () => {
        const { id, pid } = runContainer();
        const pause = berth(['pause', id]);
        expect(pause.code, pause.stderr).toBe(0);
        expect(state(id)).toMatchObject({ status: 'paused', pid });
        expect(runtimeState(id, runtime.path)).toMatchObject({ status: 'paused', pid });
        expect(freezerState(pid)).toBe('FROZEN');
        const again = berth(['pause', id]);
        expect(again.code).toBe(1);
        expect(again.stderr).toBe(`${id}: container not running\n`);

        const resume = berth(['resume', id]);
        expect(resume.code, resume.stderr).toBe(0);
        expect(state(id)).toMatchObject({ status: 'running', pid });
        expect(runtimeState(id, runtime.path)).toMatchObject({ status: 'running', pid });
        expect(freezerState(pid)).toBe('THAWED');
        const twice = berth(['resume', id]);
        expect(twice.code).toBe(1);
        expect(twice.stderr).toBe(`${id}: container not paused\n`);
      });

      it('a paused container refuses exec with runc\'s message, and delete --force still removes it', async () => {
        const { id, pid } = runContainer();
        expect(berth(['pause', id]).code).toBe(0);
        const exec = berth(['exec', id, '/bin/busybox', 'true']);
        expect(exec.code).toBe(1);
        expect(exec.stderr).toBe(`${id}: cannot exec in a paused container (use --ignore-paused to override)\n`);
        const cgroups = cgroupDirs(pid);

        const del = berth(['delete', '--force', id]);
        expect(del.code, del.stderr).toBe(0);
        await until(`pid ${pid} has exited`, () => exited(pid));
        expect(leftUnderRoot(id)).toEqual([]);
        expect(cgroups.filter((d) => existsSync(d))).toEqual([]);
      });

      it('update --memory changes the memory limit in the container\'s cgroup, and -r - applies a JSON document', () => {
        const { id, pid } = runContainer();
        const r = berth(['update', '--memory', '64m', id]);
        expect(r.code, r.stderr).toBe(0);
        expect(memoryLimit(pid)).toBe(String(64 * 1024 * 1024));
        const fromJson = berth(['update', '-r', '-', id], { input: JSON.stringify({ memory: { limit: 48 * 1024 * 1024 } }) });
        expect(fromJson.code, fromJson.stderr).toBe(0);
        expect(memoryLimit(pid)).toBe(String(48 * 1024 * 1024));
      });

      it('ps --format json lists the init pid; the table is ps -ef restricted to the container', () => {
        const { id, pid } = runContainer();
        const json = berth(['ps', '--format', 'json', id]);
        expect(json.code, json.stderr).toBe(0);
        expect(JSON.parse(json.stdout)).toEqual([pid]);
        const table = berth(['ps', id]);
        expect(table.code, table.stderr).toBe(0);
        const [header, ...rows] = table.stdout.trim().split('\n');
        expect(header).toMatch(/^UID\s+PID\s+PPID/);
        expect(rows).toHaveLength(1);
        expect(rows[0]!.split(/\s+/)[1]).toBe(String(pid));
        expect(rows[0]).toContain('/bin/busybox sleep 30');
      });

      it('exec runs the command inside the container (its pid 1 is the container\'s init) with berth\'s stdout, and its exit status is berth\'s', () => {
        const { id } = runContainer();
        const look = berth(['exec', id, '/bin/busybox', 'sh', '-c', 'tr "\\0" " " < /proc/1/cmdline; echo; hostname']);
        expect(look.code, look.stderr).toBe(0);
        expect(look.stdout).toBe('/bin/busybox sleep 30 \nberth\n');
        const status = berth(['exec', id, '/bin/busybox', 'sh', '-c', 'exit 3']);
        expect(status.code).toBe(3);
        const env = berth(['exec', '--env', 'GREETING=hello', '--cwd', '/bin', id, '/bin/busybox', 'sh', '-c', 'echo "$GREETING from $(pwd)"']);
        expect(env.stdout).toBe('hello from /bin\n');
      });

      it('exec --process runs the process of a process.json', () => {
        const { id } = runContainer();
        const file = join(tmp, 'process.json');
        writeFileSync(file, JSON.stringify({ terminal: false, user: { uid: 0, gid: 0 }, cwd: '/', env: ['WHO=process.json'], args: ['/bin/busybox', 'sh', '-c', 'echo "$WHO"; exit 4'] }));
        const r = berth(['exec', '--process', file, id]);
        expect(r.stdout).toBe('process.json\n');
        expect(r.code).toBe(4);
      });

      it('exec --detach --pid-file returns at once; the pid file names a process in the container\'s pid namespace that ps lists', async () => {
        const { id, pid } = runContainer();
        const pidFile = join(tmp, 'exec.pid');
        const started = Date.now();
        const r = berth(['exec', '--detach', '--pid-file', pidFile, id, '/bin/busybox', 'sleep', '20']);
        expect(r.code, r.stderr).toBe(0);
        expect(Date.now() - started).toBeLessThan(15_000);
        const execPid = Number(readFileSync(pidFile, 'utf8'));
        expect(exited(execPid)).toBe(false);
        expect(readlinkSync(`/proc/${execPid}/ns/pid`)).toBe(readlinkSync(`/proc/${pid}/ns/pid`));
        expect(JSON.parse(berth(['ps', '--format', 'json', id]).stdout)).toEqual([pid, execPid].sort((a, b) => a - b));
        // Nothing of the exec is left in the container's state directory.
        expect(readdirSync(join(root, id)).filter((f) => f.startsWith('delegate-exec-'))).toEqual([]);
      });

      if (runtime.name === 'runc') {
        it('events --stats prints one stats record with the memory usage; events streams an oom record when the OOM killer strikes', async () => {
          const { id } = runContainer();
          const r = berth(['events', '--stats', id]);
          expect(r.code, r.stderr).toBe(0);
          const records = r.stdout.trim().split('\n');
          expect(records).toHaveLength(1);
          const event = JSON.parse(records[0]!);
          expect(event).toMatchObject({ type: 'stats', id });
          expect(event.data.memory.usage.usage).toBeGreaterThan(0);
          expect(event.data.pids.current).toBe(1);

          expect(berth(['update', '--memory', '16m', '--memory-swap', '16m', id]).code).toBe(0);
          const out = join(tmp, 'events.jsonl');
          const events = berthInBackground(['events', '--interval', '1s', id], out);
          try {
            await until('the first stats record', () => lines(out).length > 0);
            const hog = berth(['exec', id, '/bin/busybox', 'sh', '-c', 'a=xxxxxxxxxxxxxxxx; while true; do a=$a$a; done']);
            expect(hog.code).toBe(137);
            await until('an oom record', () => lines(out).some((l) => JSON.parse(l).type === 'oom'));
            expect(lines(out).filter((l) => JSON.parse(l).type === 'oom')).toEqual([JSON.stringify({ type: 'oom', id })]);
          } finally {
            await events.stop();
          }
        });
      } else {
        it('events --stats (crun 1.8 has no events command): berth fails with crun\'s own refusal', () => {
          const { id } = runContainer();
          const r = berth(['events', '--stats', id]);
          expect(r.code).toBe(1);
          expect(r.stdout).toBe('');
          expect(r.stderr).toBe(`${id}: delegated runtime ${crun} events failed: unknown command events\n`);
        });
      }
    });
  }
});
