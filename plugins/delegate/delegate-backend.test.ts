import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Backend, CreateContext, CreateOptions, Logger, Spec } from '../../core/plugin-api.js';
import { RuntimeError } from '../../core/plugin-api.js';
import { createArgs, delegatedConfig, lastLogError, privatePaths } from './delegate-backend.js';
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

const noOptions: CreateOptions = { noPivot: false, noNewKeyring: false, preserveFds: 0, systemdCgroup: false, rootless: false, foreground: false };

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
    const args = createArgs(paths, 'c1', { ...noOptions, consoleSocket: '/tmp/console.sock', noPivot: true, noNewKeyring: true, preserveFds: 2, systemdCgroup: true });
    expect(args.slice(0, 7)).toEqual(['--root', paths.root, '--log', paths.log, '--log-format', 'json', '--systemd-cgroup']);
    expect(args.slice(args.indexOf('create'))).toEqual([
      'create', '--bundle', paths.bundle, '--pid-file', paths.pidFile,
      '--console-socket', '/tmp/console.sock', '--no-pivot', '--no-new-keyring', '--preserve-fds', '2', 'c1',
    ]);
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
root= log= pidfile= step= last=
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root=$2; shift ;;
    --log) log=$2; shift ;;
    --pid-file) pidfile=$2; shift ;;
    --bundle|--log-format|--console-socket|--preserve-fds) shift ;;
    create|start|kill|delete) [ -z "$step" ] && step=$1 ;;
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
    rmSync(dir, { recursive: true, force: true });
  });

  const steps = () => readFileSync(calls, 'utf8').trim().split('\n');

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

  it('tolerates a delegated container that no longer exists at delete', async () => {
    const backend = await delegateDescriptor.load();
    const ctx = createContext([]);
    const created = await backend.create(ctx);
    rmSync(join(ctx.stateDir, 'delegate-root'), { recursive: true, force: true });
    await backend.delete({ ...ctx, pid: created.pid, backendState: created.backendState! }, { force: true });
    expect(steps()).toEqual(['create']);
  });
});
