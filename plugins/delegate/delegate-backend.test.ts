import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Backend, CreateContext, CreateOptions, ExecRequest, Logger, Process, Spec } from '../../core/plugin-api.js';
import { RuntimeError } from '../../core/plugin-api.js';
import { createArgs, delegatedConfig, execArgs, lastLogError, parsePsJson, parseStatsEvent, privatePaths } from './delegate-backend.js';
import { defaultDelegateRuntime, delegateDescriptor, delegatedRuntime, delegateRuntimeAnnotation } from './descriptor.js';

const baseSpec: Spec = {
  ociVersion: '1.3.0',
  process: { cwd: '/', user: { uid: 0, gid: 0 }, args: ['/bin/busybox', 'sleep', '30'] },
  root: { path: 'rootfs', readonly: true },
  mounts: [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/data', type: 'bind', source: 'data', options: ['rbind'] },
    { destination: '/cache', type: 'none', source: 'cache', options: ['rbind', 'ro'] },
    { destination: '/etc/hosts', type: 'bind', source: '/etc/hosts', options: ['bind'] },
  ],
  hooks: { createRuntime: [{ path: '/bin/true' }], poststop: [{ path: '/bin/true' }] },
  annotations: { 'run.berth.backend': 'delegate' },
};

/** What start (the widest of the steps after create) receives. */
type Existing = Parameters<Backend['start']>[0];

const noOptions: CreateOptions = { noPivot: false, noNewKeyring: false, preserveFds: 0, passedFds: { count: 0, listen: 0, gaps: [] }, systemdCgroup: false, rootless: false, foreground: false };

describe('delegatedConfig: the private config the delegated runtime gets', () => {
  const config = delegatedConfig(baseSpec, '/bundles/b/rootfs', '/bundles/b');

  it('has no hooks, so none runs twice (berth runs them all)', () => {
    expect(config).not.toHaveProperty('hooks');
  });

  it('points root.path at the absolute rootfs and keeps root.readonly', () => {
    expect(config.root).toEqual({ path: '/bundles/b/rootfs', readonly: true });
  });

  it('resolves relative bind-mount sources against the user bundle, not the private one', () => {
    expect(config.mounts!.map((m) => m.source)).toEqual(['proc', '/bundles/b/data', '/bundles/b/cache', '/etc/hosts']);
  });

  it('keeps everything else as the user wrote it', () => {
    expect(config.process).toEqual(baseSpec.process);
    expect(config.annotations).toEqual(baseSpec.annotations);
    expect(config.ociVersion).toBe('1.3.0');
  });

  it('leaves the frozen spec untouched', () => {
    expect(baseSpec.hooks).toBeDefined();
    expect(baseSpec.root!.path).toBe('rootfs');
    expect(baseSpec.mounts![1]!.source).toBe('data');
  });
});

describe('createArgs: runc create command line', () => {
  const paths = privatePaths('/run/berth/c1');

  it('names the private root, log, bundle and pid file, with the id last', () => {
    expect(createArgs(paths, 'c1', noOptions)).toEqual([
      '--root', '/run/berth/c1/delegate-root', '--log', '/run/berth/c1/delegate-log.json', '--log-format', 'json',
      'create', '--bundle', '/run/berth/c1/delegate-bundle', '--pid-file', '/run/berth/c1/delegate.pid', 'c1',
    ]);
  });

  it('passes on every create flag berth received', () => {
    const args = createArgs(paths, 'c1', { ...noOptions, consoleSocket: '/tmp/console.sock', noPivot: true, noNewKeyring: true, preserveFds: 2, passedFds: { count: 2, listen: 0, gaps: [] }, systemdCgroup: true });
    expect(args.slice(0, 7)).toEqual(['--root', paths.root, '--log', paths.log, '--log-format', 'json', '--systemd-cgroup']);
    expect(args.slice(args.indexOf('create'))).toEqual([
      'create', '--bundle', paths.bundle, '--pid-file', paths.pidFile,
      '--console-socket', '/tmp/console.sock', '--no-pivot', '--no-new-keyring', '--preserve-fds', '2', 'c1',
    ]);
  });
});

describe('execArgs: runc exec command line', () => {
  const paths = privatePaths('/run/berth/c1');
  const files = { process: '/run/berth/c1/delegate-exec-1.json', pidFile: '/run/berth/c1/delegate-exec-1.pid' };
  const request: ExecRequest = { process: { cwd: '/', user: { uid: 0, gid: 0 }, args: ['sh'] }, detach: false, preserveFds: 0, passedFds: { count: 0, listen: 0, gaps: [] }, cgroups: [] };

  it('gives the process as a file and asks for a pid file, with the id last', () => {
    expect(execArgs(paths, 'c1', request, files)).toEqual([
      '--root', paths.root, '--log', paths.log, '--log-format', 'json',
      'exec', '--process', files.process, '--pid-file', files.pidFile, 'c1',
    ]);
  });

  it('passes --detach, --console-socket, --preserve-fds and every --cgroup in order', () => {
    const args = execArgs(paths, 'c1', { ...request, detach: true, consoleSocket: '/tmp/tty.sock', preserveFds: 2, passedFds: { count: 2, listen: 0, gaps: [] }, cgroups: ['memory:sub', 'pids:other'] }, files);
    expect(args.slice(args.indexOf('exec'))).toEqual([
      'exec', '--process', files.process, '--detach', '--pid-file', files.pidFile,
      '--console-socket', '/tmp/tty.sock', '--preserve-fds', '2', '--cgroup', 'memory:sub', '--cgroup', 'pids:other', 'c1',
    ]);
  });
});

describe('parseStatsEvent and parsePsJson: what the runtime prints', () => {
  it('returns the data of the stats record events --stats prints', () => {
    const line = '{"type":"stats","id":"c1","data":{"pids":{"current":3},"memory":{"usage":{"usage":4096,"limit":8192,"failcnt":0}}}}\n';
    expect(parseStatsEvent(line, 'c1')).toEqual({ pids: { current: 3 }, memory: { usage: { usage: 4096, limit: 8192, failcnt: 0 } } });
  });

  it.each(['', 'garbage\n', '{"type":"oom","id":"c1"}\n', '{"type":"stats","id":"c1"}\n'])('refuses %j, quoting it', (output) => {
    expect(() => parseStatsEvent(output, 'c1')).toThrow(`c1: the delegated runtime's events --stats printed no stats record: ${JSON.stringify(output.trim())}`);
  });

  it('reads runc\'s one-line and crun\'s indented pid lists', () => {
    expect(parsePsJson('[17786,18205]\n', 'c1')).toEqual([17786, 18205]);
    expect(parsePsJson('[\n  28233\n]', 'c1')).toEqual([28233]);
    expect(parsePsJson('[]', 'c1')).toEqual([]);
  });

  it.each(['', 'null', '["1"]', '[0]', '{"pids":[1]}'])('refuses %j', (output) => {
    expect(() => parsePsJson(output, 'c1')).toThrow("c1: the delegated runtime's ps --format json printed no list of pids");
  });
});

describe('lastLogError', () => {
  it("returns the msg of the runtime's last error line", () => {
    const log = [
      '{"level":"error","msg":"first","time":"t"}',
      '{"level":"info","msg":"later info","time":"t"}',
      '{"level":"error","msg":"runc create failed: sysctl \\"x\\" is not in a separate kernel namespace","time":"t"}',
      '{"level":"warning","msg":"last warning","time":"t"}',
      '',
    ].join('\n');
    expect(lastLogError(log)).toBe('runc create failed: sysctl "x" is not in a separate kernel namespace');
  });

  it('skips lines that are not JSON and returns undefined without an error line', () => {
    expect(lastLogError('garbage\n{"level":"info","msg":"x"}\n')).toBeUndefined();
    expect(lastLogError('')).toBeUndefined();
  });
});

describe('delegateDescriptor', () => {
  const withRuntime = (runtime: string): Spec => ({ ...baseSpec, annotations: { ...baseSpec.annotations, [delegateRuntimeAnnotation]: runtime } });

  it('is a cheap backend descriptor that declares no features and does not probe configs', () => {
    expect(delegateDescriptor.kind).toBe('backend');
    expect(delegateDescriptor.name).toBe('delegate');
    expect(delegateDescriptor.features).toBeUndefined();
    expect(delegateDescriptor.canHandle).toBeUndefined();
  });

  it('chooses runc by default and the annotation otherwise', () => {
    expect(delegatedRuntime(baseSpec)).toBe(defaultDelegateRuntime);
    expect(defaultDelegateRuntime).toBe('/usr/sbin/runc');
    expect(delegatedRuntime(withRuntime('/usr/bin/crun'))).toBe('/usr/bin/crun');
  });

  it('accepts no annotation and an absolute path', () => {
    expect(delegateDescriptor.validate!(baseSpec)).toEqual([]);
    expect(delegateDescriptor.validate!(withRuntime('/usr/bin/crun'))).toEqual([]);
  });

  it.each(['runc', './runc', ''])('refuses the runtime %j with a pointer to the annotation', (runtime) => {
    const diagnostics = delegateDescriptor.validate!(withRuntime(runtime));
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]!.pointer).toBe('/annotations/run.berth.delegate.runtime');
    expect(diagnostics[0]!.message).toContain('absolute path');
  });

  it('loads an engine that owns no hooks and has no wait (run needs --detach)', async () => {
    const backend = await delegateDescriptor.load();
    expect([...backend.ownHooks]).toEqual([]);
    expect(backend.wait).toBeUndefined();
  });
});

/**
 * The engine against a fake runtime: a shell script that records each command line and plays
 * runc's part (pid file, state dir, JSON log). No root needed; the real runc is exercised in
 * integration/.
 */
describe('the engine drives the runtime binary', () => {
  let dir: string;
  let fake: string;
  let calls: string;

  const fakeRuntime = `#!/bin/sh
echo "$*" >> "$CALLS.argv"
root= log= pidfile= step= last= process= resources= detach= stats=
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root=$2; shift ;;
    --log) log=$2; shift ;;
    --pid-file) pidfile=$2; shift ;;
    --process) process=$2; shift ;;
    --resources) resources=$2; shift ;;
    --detach) detach=1 ;;
    --stats) stats=1 ;;
    --bundle|--log-format|--console-socket|--preserve-fds|--cgroup|--format|--interval) shift ;;
    create|start|kill|delete|pause|resume|update|events|ps|exec) [ -z "$step" ] && step=$1 ;;
  esac
  last=$1
  shift
done
echo "$step" >> "$CALLS"
if [ -e "$FAIL_MARK" ]; then
  if [ -e "$FAIL_MARK.stderr-only" ]; then echo "fake stderr line" >&2
  else printf '{"level":"error","msg":"fake %s refused: %s","time":"t"}\\n' "$step" "$(cat "$FAIL_MARK")" >> "$log"
  fi
  exit 1
fi
case "$step" in
  create) mkdir -p "$root/$last"; echo $$ > "$pidfile" ;;
  delete) rm -rf "$root/$last" ;;
  update) cp "$resources" "$CALLS.resources" ;;
  ps) printf '[\\n  4242,\\n  4343\\n]\\n' ;;
  events)
    echo '{"type":"stats","id":"'"$last"'","data":{"memory":{"usage":{"usage":4096,"limit":8192,"failcnt":0}}}}'
    if [ -z "$stats" ]; then echo 'not json'; echo '{"type":"oom","id":"'"$last"'"}'; exec sleep 30; fi ;;
  exec)
    cp "$process" "$CALLS.process"
    echo $$ > "$pidfile"
    [ -n "$detach" ] || exit "\${EXEC_STATUS:-0}" ;;
esac
exit 0
`;

  const log: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

  function createContext(undo: { description: string; step: () => void | Promise<void> }[]): CreateContext {
    const stateDir = join(dir, 'state', 'c1');
    mkdirSync(stateDir, { recursive: true });
    return {
      id: 'c1',
      bundle: join(dir, 'bundle'),
      rootfs: join(dir, 'bundle', 'rootfs'),
      spec: { ...baseSpec, annotations: { [delegateRuntimeAnnotation]: fake } },
      stateDir,
      log,
      options: noOptions,
      undo: { onUndo: (description, step) => void undo.push({ description, step }) },
      hooks: { run: async () => {} },
      recordProgress: () => {},
    };
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-delegate-'));
    fake = join(dir, 'fake-runtime');
    calls = join(dir, 'calls');
    writeFileSync(fake, fakeRuntime);
    chmodSync(fake, 0o755);
    process.env.CALLS = calls;
    process.env.FAIL_MARK = join(dir, 'fail');
  });

  afterEach(() => {
    delete process.env.CALLS;
    delete process.env.FAIL_MARK;
    delete process.env.EXEC_STATUS;
    rmSync(dir, { recursive: true, force: true });
  });

  const steps = () => readFileSync(calls, 'utf8').trim().split('\n');
  async function until(condition: () => boolean): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it('creates, starts, kills and deletes, then leaves no private file behind', async () => {
    const backend = await delegateDescriptor.load();
    const undo: { description: string; step: () => void | Promise<void> }[] = [];
    const ctx = createContext(undo);
    const created = await backend.create(ctx);
    expect(created.pid).toBeGreaterThan(0);
    expect(created.backendState).toEqual({ runtime: fake, root: join(ctx.stateDir, 'delegate-root') });
    const written = JSON.parse(readFileSync(join(ctx.stateDir, 'delegate-bundle', 'config.json'), 'utf8')) as Spec;
    expect(written.root!.path).toBe(ctx.rootfs);
    expect(written).not.toHaveProperty('hooks');
    expect(undo.map((u) => u.description)).toEqual(['remove the delegated runtime files', `delete the container in ${fake}`]);

    const existing: Existing = { ...ctx, pid: created.pid, backendState: created.backendState! };
    await backend.start(existing);
    await backend.kill(existing, 9, { all: true });
    await backend.delete(existing, { force: false });
    expect(steps()).toEqual(['create', 'start', 'kill', 'delete']);
    expect(['delegate-bundle', 'delegate-root', 'delegate-log.json', 'delegate.pid'].filter((f) => existsSync(join(ctx.stateDir, f)))).toEqual([]);
  });

  it("fails create with the runtime's own reason, naming the runtime and the step, and undoes cleanly", async () => {
    writeFileSync(join(dir, 'fail'), 'no cgroup for you');
    const backend = await delegateDescriptor.load();
    const undo: { description: string; step: () => void | Promise<void> }[] = [];
    const ctx = createContext(undo);
    const error = await backend.create(ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntimeError);
    expect((error as RuntimeError).kind).toBe('BACKEND');
    expect((error as RuntimeError).message).toBe(`c1: delegated runtime ${fake} create failed: fake create refused: no cgroup for you`);
    for (const { step } of undo.reverse()) await step();
    // Nothing reached the runtime's state, so undo does not call its delete.
    expect(steps()).toEqual(['create']);
    expect(existsSync(join(ctx.stateDir, 'delegate-bundle'))).toBe(false);
  });

  it('names a runtime binary that cannot be run', async () => {
    const backend = await delegateDescriptor.load();
    const ctx = { ...createContext([]), spec: { ...baseSpec, annotations: { [delegateRuntimeAnnotation]: join(dir, 'missing') } } };
    await expect(backend.create(ctx)).rejects.toThrow(`c1: cannot run the delegated runtime ${join(dir, 'missing')} for create: no such file or directory`);
  });

  it('falls back to the last stderr line when the log has no error line, for steps other than create', async () => {
    const backend = await delegateDescriptor.load();
    const ctx = createContext([]);
    const created = await backend.create(ctx);
    writeFileSync(join(dir, 'fail'), 'x');
    writeFileSync(join(dir, 'fail.stderr-only'), '');
    const existing: Existing = { ...ctx, pid: created.pid, backendState: created.backendState! };
    await expect(backend.start(existing)).rejects.toThrow(`c1: delegated runtime ${fake} start failed: fake stderr line`);
  });

  it('reports only the error of the failing call, not an older one from the same log', async () => {
    const backend = await delegateDescriptor.load();
    const ctx = createContext([]);
    const created = await backend.create(ctx);
    const existing: Existing = { ...ctx, pid: created.pid, backendState: created.backendState! };
    writeFileSync(join(dir, 'fail'), 'old');
    await expect(backend.kill(existing, 15, { all: false })).rejects.toThrow('fake kill refused: old');
    writeFileSync(join(dir, 'fail.stderr-only'), '');
    await expect(backend.kill(existing, 15, { all: false })).rejects.toThrow(/kill failed: fake stderr line$/);
  });

  /** A container the fake runtime created, as the steps after create see it. */
  async function existingContainer(): Promise<{ backend: Backend; existing: Existing }> {
    const backend = await delegateDescriptor.load();
    const ctx = createContext([]);
    const created = await backend.create(ctx);
    return { backend, existing: { ...ctx, pid: created.pid, backendState: created.backendState! } };
  }
  const argv = () => readFileSync(`${calls}.argv`, 'utf8').trim().split('\n');
  const privateGlobals = (existing: Existing) => `--root ${join(existing.stateDir, 'delegate-root')} --log ${join(existing.stateDir, 'delegate-log.json')} --log-format json`;
  const filesLeft = (existing: Existing) => readdirSync(existing.stateDir).filter((f) => f.startsWith('delegate-exec-') || f.startsWith('delegate-update-'));
  const execRequest = (process: Partial<Process> = {}): ExecRequest => ({ process: { cwd: '/', user: { uid: 0, gid: 0 }, args: ['/bin/true'], ...process }, detach: false, preserveFds: 0, passedFds: { count: 0, listen: 0, gaps: [] }, cgroups: [] });

  it("pause, resume, ps and events --stats are the runtime's own verbs, with its private root and log", async () => {
    const { backend, existing } = await existingContainer();
    await backend.pause!(existing);
    await backend.resume!(existing);
    expect(await backend.processes!(existing)).toEqual([4242, 4343]);
    expect(await backend.stats!(existing)).toEqual({ memory: { usage: { usage: 4096, limit: 8192, failcnt: 0 } } });
    expect(argv().slice(1)).toEqual([
      `${privateGlobals(existing)} pause c1`,
      `${privateGlobals(existing)} resume c1`,
      `${privateGlobals(existing)} ps --format json c1`,
      `${privateGlobals(existing)} events --stats c1`,
    ]);
  });

  it('update hands the runtime exactly the resources it was given, and leaves no file behind', async () => {
    const { backend, existing } = await existingContainer();
    const resources = { memory: { limit: 67108864, swap: -1 }, cpu: { cpus: '0-1' }, pids: { limit: 64 } };
    await backend.update!(existing, resources);
    expect(JSON.parse(readFileSync(`${calls}.resources`, 'utf8'))).toEqual(resources);
    expect(argv().at(-1)).toMatch(new RegExp(`^${privateGlobals(existing)} update --resources \\S+/delegate-update-[0-9a-f-]+\\.json c1$`));
    expect(filesLeft(existing)).toEqual([]);
  });

  it("a failing verb reports the runtime's reason, naming the runtime and the verb", async () => {
    const { backend, existing } = await existingContainer();
    writeFileSync(join(dir, 'fail'), 'container not running');
    await expect(backend.pause!(existing)).rejects.toThrow(`c1: delegated runtime ${fake} pause failed: fake pause refused: container not running`);
    await expect(backend.update!(existing, { memory: { limit: 1 } })).rejects.toThrow(`c1: delegated runtime ${fake} update failed: fake update refused: container not running`);
    await expect(backend.stats!(existing)).rejects.toThrow(`c1: delegated runtime ${fake} events failed: fake events refused: container not running`);
    expect(filesLeft(existing)).toEqual([]);
  });

  it('exec gives the runtime the whole process, reports the pid it wrote, and wait() returns its exit status', async () => {
    const { backend, existing } = await existingContainer();
    process.env.EXEC_STATUS = '7';
    const request = execRequest({ env: ['A=1'], user: { uid: 1000, gid: 1000 } });
    const started = await backend.exec!(existing, request);
    expect(started.pid).toBeGreaterThan(0);
    expect(await started.wait()).toBe(7);
    expect(JSON.parse(readFileSync(`${calls}.process`, 'utf8'))).toEqual(request.process);
    expect(argv().at(-1)).toMatch(/ exec --process \S+\.json --pid-file \S+\.pid c1$/);
    expect(filesLeft(existing)).toEqual([]);
  });

  it('exec --detach returns once the runtime has exited, with the pid it wrote', async () => {
    const { backend, existing } = await existingContainer();
    const started = await backend.exec!(existing, { ...execRequest(), detach: true });
    expect(started.pid).toBeGreaterThan(0);
    expect(argv().at(-1)).toContain(' exec --process ');
    expect(argv().at(-1)).toContain(' --detach --pid-file ');
    expect(filesLeft(existing)).toEqual([]);
  });

  it("an exec the runtime refuses fails with the runtime's reason and leaves no file behind", async () => {
    const { backend, existing } = await existingContainer();
    writeFileSync(join(dir, 'fail'), 'container paused');
    for (const detach of [false, true]) {
      await expect(backend.exec!(existing, { ...execRequest(), detach })).rejects.toThrow(`c1: delegated runtime ${fake} exec failed: fake exec refused: container paused`);
    }
    expect(filesLeft(existing)).toEqual([]);
  });

  it('watchOom calls onOom once per oom record of the event stream, and abort stops the stream', async () => {
    const { backend, existing } = await existingContainer();
    const stop = new AbortController();
    let ooms = 0;
    const watching = backend.watchOom!(existing, () => ooms++, stop.signal);
    await until(() => ooms > 0);
    stop.abort();
    await watching;
    expect(ooms).toBe(1);
    expect(argv().at(-1)).toBe(`${privateGlobals(existing)} events --interval 100000h c1`);
  });

  it('tolerates a delegated container that no longer exists at delete', async () => {
    const backend = await delegateDescriptor.load();
    const ctx = createContext([]);
    const created = await backend.create(ctx);
    rmSync(join(ctx.stateDir, 'delegate-root'), { recursive: true, force: true });
    await backend.delete({ ...ctx, pid: created.pid, backendState: created.backendState! }, { force: true });
    expect(steps()).toEqual(['create']);
  });
});
