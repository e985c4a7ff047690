import { spawn, type StdioOptions } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { describeCause, RuntimeError, type Backend, type ContainerContext, type CreateContext, type CreateOptions, type Mount, type Spec } from '../../core/plugin-api.js';
import { delegatedRuntime } from './descriptor.js';

/**
 * The delegate engine: each lifecycle step is one invocation of another OCI runtime binary
 * (runc's command line, which crun shares), with its state kept inside berth's state directory
 * for the container, so berth's `delete` removes every trace of it.
 *
 * berth's core stays in charge of what it owns: the status (derived from the host pid the
 * delegated runtime reports), the state store, and every hook (the delegated runtime gets a
 * config without `hooks`, so none runs twice and each sees berth's bundle in its state JSON).
 *
 * There is no `wait`: the delegated container's init is reparented away from berth when the
 * runtime's `create` exits, so berth cannot collect its exit status. `run` therefore needs
 * `--detach` with this backend (the core refuses a foreground run with a clear message).
 */
export function createDelegateBackend(): Backend {
  return {
    ownHooks: new Set(),

    async create(ctx: CreateContext) {
      const runtime = delegatedRuntime(ctx.spec);
      const paths = privatePaths(ctx.stateDir);
      mkdirSync(paths.bundle, { mode: 0o700 });
      ctx.undo.onUndo('remove the delegated runtime files', () => removePrivateFiles(paths));
      writeFileSync(join(paths.bundle, 'config.json'), JSON.stringify(delegatedConfig(ctx.spec, ctx.rootfs, ctx.bundle)), { mode: 0o600 });
      // Registered before the call: a runtime that fails half-way may leave a container behind.
      ctx.undo.onUndo(`delete the container in ${runtime}`, () => deleteDelegated(runtime, paths, ctx.id));

      const args = createArgs(paths, ctx.id, ctx.options);
      ctx.log.debug(`${ctx.id}: ${runtime} ${args.join(' ')}`);
      // The container's stdio is berth's stdio (as with runc), and so are the preserved fds.
      const stdio: StdioOptions = ['inherit', 'inherit', 'inherit', ...Array.from({ length: ctx.options.preserveFds }, (_, i) => 3 + i)];
      await invoke(runtime, 'create', ctx.id, args, stdio, paths.log);
      return { pid: readPid(paths.pidFile, runtime, ctx.id), backendState: { runtime, root: paths.root } };
    },

    async start(ctx) {
      const { runtime, paths } = delegation(ctx);
      await invoke(runtime, 'start', ctx.id, [...globalArgs(paths), 'start', ctx.id], captured, paths.log);
    },

    async kill(ctx, signal, options) {
      const { runtime, paths } = delegation(ctx);
      await invoke(runtime, 'kill', ctx.id, [...globalArgs(paths), 'kill', ...(options.all ? ['--all'] : []), ctx.id, String(signal)], captured, paths.log);
    },

    async delete(ctx) {
      // The core has already killed the container's init; --force also covers a created one.
      const { runtime, paths } = delegation(ctx);
      await deleteDelegated(runtime, paths, ctx.id);
      removePrivateFiles(paths);
    },
  };
}

/** Where the delegate keeps its files, all inside berth's state directory for the container. */
export interface PrivatePaths {
  /** The bundle handed to the runtime: config.json only; root.path points at the real rootfs. */
  bundle: string;
  /** The runtime's --root: its own state for this one container. */
  root: string;
  /** The runtime's --log, JSON lines; its last error becomes berth's message. */
  log: string;
  pidFile: string;
}

export function privatePaths(stateDir: string): PrivatePaths {
  return {
    bundle: join(stateDir, 'delegate-bundle'),
    root: join(stateDir, 'delegate-root'),
    log: join(stateDir, 'delegate-log.json'),
    pidFile: join(stateDir, 'delegate.pid'),
  };
}

/**
 * The config the delegated runtime gets. Pure. `hooks` is removed (berth's core runs them);
 * `root.path` is the absolute rootfs; a relative bind-mount source, which runc resolves against
 * the bundle, is made absolute against the user's bundle because the runtime sees another one.
 */
export function delegatedConfig(spec: Spec, rootfs: string, bundle: string): Spec {
  const { hooks: _hooks, ...rest } = spec;
  const config: Spec = { ...rest, root: { ...spec.root, path: rootfs } };
  if (spec.mounts) config.mounts = spec.mounts.map((m) => (isBindMount(m) && m.source !== undefined && !isAbsolute(m.source) ? { ...m, source: resolve(bundle, m.source) } : m));
  return config;
}

function isBindMount(m: Mount): boolean {
  return m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
}

export function globalArgs(paths: Pick<PrivatePaths, 'root' | 'log'>): string[] {
  return ['--root', paths.root, '--log', paths.log, '--log-format', 'json'];
}

/** The runtime's `create` command line (runc's flags; crun accepts the same). */
export function createArgs(paths: PrivatePaths, id: string, options: CreateOptions): string[] {
  return [
    ...globalArgs(paths),
    ...(options.systemdCgroup ? ['--systemd-cgroup'] : []),
    'create',
    '--bundle',
    paths.bundle,
    '--pid-file',
    paths.pidFile,
    ...(options.consoleSocket !== undefined ? ['--console-socket', options.consoleSocket] : []),
    ...(options.noPivot ? ['--no-pivot'] : []),
    ...(options.noNewKeyring ? ['--no-new-keyring'] : []),
    ...(options.preserveFds > 0 ? ['--preserve-fds', String(options.preserveFds)] : []),
    id,
  ];
}

/** The "msg" of the last error line in a runc-style JSON log, if any. */
export function lastLogError(text: string): string | undefined {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  for (const line of lines.reverse()) {
    try {
      const entry = JSON.parse(line) as { level?: unknown; msg?: unknown };
      if ((entry.level === 'error' || entry.level === 'fatal') && typeof entry.msg === 'string') return entry.msg;
    } catch {
      // not a JSON line: runtimes may write other text there
    }
  }
  return undefined;
}

/** Stdio of the steps other than create: nothing in, stderr kept for the error message. */
const captured: StdioOptions = ['ignore', 'ignore', 'pipe'];

function delegation(ctx: ContainerContext): { runtime: string; paths: PrivatePaths } {
  const paths = privatePaths(ctx.stateDir);
  const { runtime, root } = ctx.backendState;
  return {
    runtime: typeof runtime === 'string' ? runtime : delegatedRuntime(ctx.spec),
    paths: { ...paths, root: typeof root === 'string' ? root : paths.root },
  };
}

/** Run one step of the delegated runtime; a failure carries the runtime's own reason. */
async function invoke(runtime: string, step: string, id: string, args: string[], stdio: StdioOptions, logPath: string): Promise<void> {
  const logOffset = sizeOf(logPath);
  const { code, signal, stderr } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((done, fail) => {
    const child = spawn(runtime, args, { stdio });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString('utf8');
    });
    child.once('error', (e: NodeJS.ErrnoException) => {
      fail(new RuntimeError('BACKEND', `${id}: cannot run the delegated runtime ${runtime} for ${step}: ${describeCause(e)}`, { cause: e }));
    });
    child.once('close', (exitCode, exitSignal) => done({ code: exitCode, signal: exitSignal, stderr }));
  });
  if (code === 0) return;
  const reason =
    lastLogError(readFrom(logPath, logOffset)) ??
    (stderr.trim().split('\n').pop() || undefined) ??
    (signal ? `killed by ${signal}` : `exit status ${code}`);
  throw new RuntimeError('BACKEND', `${id}: delegated runtime ${runtime} ${step} failed: ${reason}`);
}

/** `delete --force` in the runtime, skipped when it holds no state for the id; "does not exist" is fine. */
async function deleteDelegated(runtime: string, paths: PrivatePaths, id: string): Promise<void> {
  // runc and crun keep a container's state in <root>/<id>.
  if (!existsSync(join(paths.root, id))) return;
  try {
    await invoke(runtime, 'delete', id, [...globalArgs(paths), 'delete', '--force', id], captured, paths.log);
  } catch (e) {
    if (e instanceof RuntimeError && e.message.includes('does not exist')) return;
    throw e;
  }
}

function removePrivateFiles(paths: PrivatePaths): void {
  for (const path of [paths.bundle, paths.root, paths.log, paths.pidFile]) rmSync(path, { recursive: true, force: true });
}

function readPid(pidFile: string, runtime: string, id: string): number {
  let text: string;
  try {
    text = readFileSync(pidFile, 'utf8').trim();
  } catch (e) {
    throw new RuntimeError('BACKEND', `${id}: delegated runtime ${runtime} create wrote no pid file ${pidFile}: ${describeCause(e)}`, { cause: e });
  }
  if (!/^[1-9][0-9]*$/.test(text)) throw new RuntimeError('BACKEND', `${id}: delegated runtime ${runtime} create wrote ${JSON.stringify(text)} to its pid file, not a pid`);
  return Number(text);
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** What was appended to a file since `offset` ('' when there is no such file). */
function readFrom(path: string, offset: number): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const length = Math.max(0, statSync(path).size - offset);
    const buffer = Buffer.alloc(length);
    const read = readSync(fd, buffer, 0, length, offset);
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

