import { spawnSync } from 'node:child_process';
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
function berth(args: readonly string[], options: { cwd?: string; extraFds?: number[] } = {}): Result {
  if (!existsSync(berthBin)) throw new Error(`${berthBin} is missing: run \`npx tsup\` first`);
  const n = counter++;
  const out = join(tmp, `out-${n}`);
  const err = join(tmp, `err-${n}`);
  const outFd = openSync(out, 'w');
  const errFd = openSync(err, 'w');
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  try {
    const r = spawnSync(process.execPath, [berthBin, '--root', root, ...args], { cwd: options.cwd ?? tmp, stdio: ['ignore', outFd, errFd, ...(options.extraFds ?? [])], env, timeout: 60_000 });
    return { code: r.status ?? -1, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
  } finally {
    closeSync(outFd);
    closeSync(errFd);
  }
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
  for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n')) {
    const [hierarchy, controllers, path] = line.split(':', 3) as [string, string, string];
    if (path === '/') continue;
    if (hierarchy === '0') dirs.push(join(unified, path));
    else if (controllers.split(',').includes('pids')) dirs.push(join('/sys/fs/cgroup/pids', path));
  }
  return dirs.filter((d) => existsSync(d));
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
});
