import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { isAbsolute, join, resolve } from 'node:path';
import { constants } from 'node:os';
import {
  describeCause,
  passedFdStdio,
  releasePassedFds,
  RuntimeError,
  stringifyExactJson,
  type Backend,
  type ContainerContext,
  type ContainerStats,
  type CreateContext,
  type CreateOptions,
  type ExecRequest,
  type ExecStarted,
  type Mount,
  type Spec,
} from '../../core/plugin-api.js';
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
 *
 * The process-management verbs are the runtime's own verbs (pause, resume, update, events,
 * ps, exec), so the delegated runtime's state and berth's never disagree. An exec'd process is
 * the runtime's child, not the container's init, so its exit status does reach berth.
 */
export function createDelegateBackend(): Backend {
  return {
    ownHooks: new Set(),

    async create(ctx: CreateContext) {
      const runtime = delegatedRuntime(ctx.spec);
      const paths = privatePaths(ctx.stateDir);
      mkdirSync(paths.bundle, { mode: 0o700 });
      ctx.undo.onUndo('remove the delegated runtime files', () => removePrivateFiles(paths));
      // stringifyExactJson: a 64-bit value (a bigint beyond 2^53) reaches the runtime with every digit.
      writeFileSync(join(paths.bundle, 'config.json'), stringifyExactJson(delegatedConfig(ctx.spec, ctx.rootfs, ctx.bundle)), { mode: 0o600 });
      // Registered before the call: a runtime that fails half-way may leave a container behind.
      ctx.undo.onUndo(`delete the container in ${runtime}`, () => deleteDelegated(runtime, paths, ctx.id));

      const args = createArgs(paths, ctx.id, ctx.options);
      ctx.log.debug(`${ctx.id}: ${runtime} ${args.join(' ')}`);
      // The container's stdio is berth's stdio (as with runc), and so are the passed fds.
      const stdio: StdioOptions = ['inherit', 'inherit', 'inherit', ...passedFdStdio(ctx.options.passedFds)];
      const created = invoke(runtime, 'create', ctx.id, args, stdio, paths.log);
      // The runtime holds them now: the hooks berth runs next must not inherit them.
      releasePassedFds(ctx.options.passedFds);
      await created;
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

    async pause(ctx) {
      await runVerb(ctx, 'pause', []);
    },

    async resume(ctx) {
      await runVerb(ctx, 'resume', []);
    },

    async update(ctx, resources) {
      // A file, not "-": crun opens /dev/stdin, which fails on the socket Node makes a child's stdin pipe from.
      const file = join(ctx.stateDir, `delegate-update-${randomUUID()}.json`);
      writeFileSync(file, stringifyExactJson(resources), { mode: 0o600 });
      try {
        await runVerb(ctx, 'update', ['--resources', file]);
      } finally {
        rmSync(file, { force: true });
      }
    },

    async stats(ctx) {
      return parseStatsEvent(await runVerb(ctx, 'events', ['--stats']), ctx.id);
    },

    async processes(ctx) {
      return parsePsJson(await runVerb(ctx, 'ps', ['--format', 'json']), ctx.id);
    },

    async watchOom(ctx, onOom, signal) {
      const { runtime, paths } = delegation(ctx);
      await watchOomEvents(runtime, [...globalArgs(paths), 'events', '--interval', oomOnlyInterval, ctx.id], ctx.id, paths.log, onOom, signal);
    },

    async exec(ctx, request) {
      const { runtime, paths } = delegation(ctx);
      return startExec(runtime, paths, ctx.stateDir, ctx.id, request);
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
    // Every fd the caller passed (LISTEN_FDS ones too: the runtime sees berth's LISTEN_PID, not its own).
    ...(options.passedFds.count > 0 ? ['--preserve-fds', String(options.passedFds.count)] : []),
    id,
  ];
}

/**
 * The runtime's `exec` command line: the process from a file (so every field of it reaches the
 * runtime, not only what its flags can say), the pid from a pid file. Pure.
 */
export function execArgs(paths: Pick<PrivatePaths, 'root' | 'log'>, id: string, request: ExecRequest, files: ExecFiles): string[] {
  return [
    ...globalArgs(paths),
    'exec',
    '--process',
    files.process,
    ...(request.detach ? ['--detach'] : []),
    '--pid-file',
    files.pidFile,
    ...(request.consoleSocket !== undefined ? ['--console-socket', request.consoleSocket] : []),
    ...(request.passedFds.count > 0 ? ['--preserve-fds', String(request.passedFds.count)] : []),
    ...request.cgroups.flatMap((cgroup) => ['--cgroup', cgroup]),
    id,
  ];
}

/** One exec's files in the container's state directory; unique, as several execs may run at once. */
export interface ExecFiles {
  process: string;
  pidFile: string;
}

function execFiles(stateDir: string): ExecFiles {
  const name = `delegate-exec-${randomUUID()}`;
  return { process: join(stateDir, `${name}.json`), pidFile: join(stateDir, `${name}.pid`) };
}

/** The data of the one record `events --stats` prints (`{"type":"stats","id":...,"data":{...}}`). Pure. */
export function parseStatsEvent(output: string, id: string): ContainerStats {
  const line = output.split('\n').find((l) => l.trim() !== '');
  let event: { type?: unknown; data?: unknown } | undefined;
  try {
    event = line === undefined ? undefined : (JSON.parse(line) as typeof event);
  } catch {
    event = undefined;
  }
  if (event?.type !== 'stats' || typeof event.data !== 'object' || event.data === null) {
    throw new RuntimeError('BACKEND', `${id}: the delegated runtime's events --stats printed no stats record: ${JSON.stringify((line ?? '').slice(0, 200))}`);
  }
  return event.data as ContainerStats;
}

/** The pids `ps --format json` prints: a JSON array of numbers (runc on one line, crun indented). Pure. */
export function parsePsJson(output: string, id: string): number[] {
  let pids: unknown;
  try {
    pids = JSON.parse(output);
  } catch {
    pids = undefined;
  }
  if (!Array.isArray(pids) || !pids.every((p) => Number.isSafeInteger(p) && p > 0)) {
    throw new RuntimeError('BACKEND', `${id}: the delegated runtime's ps --format json printed no list of pids: ${JSON.stringify(output.slice(0, 200))}`);
  }
  return pids as number[];
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
/** The same for the verbs whose output is their answer (events, ps). */
const withOutput: StdioOptions = ['ignore', 'pipe', 'pipe'];

/**
 * `events` without --stats prints a stats record every interval besides the OOM records; only
 * the latter are wanted from it, so the interval is made too long to ever elapse.
 */
const oomOnlyInterval = '100000h';

/** One runtime verb on an existing container (`<runtime> <globals> <verb> <flags> <id>`); resolves to its stdout. */
async function runVerb(ctx: ContainerContext, verb: string, flags: string[]): Promise<string> {
  const { runtime, paths } = delegation(ctx);
  return invoke(runtime, verb, ctx.id, [...globalArgs(paths), verb, ...flags, ctx.id], withOutput, paths.log);
}

function delegation(ctx: ContainerContext): { runtime: string; paths: PrivatePaths } {
  const paths = privatePaths(ctx.stateDir);
  const { runtime, root } = ctx.backendState;
  return {
    runtime: typeof runtime === 'string' ? runtime : delegatedRuntime(ctx.spec),
    paths: { ...paths, root: typeof root === 'string' ? root : paths.root },
  };
}

/** Run one step of the delegated runtime; resolves to its stdout (when piped). A failure carries the runtime's own reason. */
async function invoke(runtime: string, step: string, id: string, args: string[], stdio: StdioOptions, logPath: string): Promise<string> {
  const logOffset = sizeOf(logPath);
  const { child, exit } = spawnRuntime(runtime, step, id, args, stdio);
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  const stderr = stderrOf(child);
  const { code, signal } = await exit;
  if (code === 0) return stdout;
  throw stepFailed(runtime, step, id, readFrom(logPath, logOffset), stderr(), { code, signal });
}

interface RuntimeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Start the runtime. `exit` resolves when it has ended, or rejects, naming the runtime and the
 * step, when it could not be run at all.
 */
function spawnRuntime(runtime: string, step: string, id: string, args: string[], stdio: StdioOptions): { child: ChildProcess; exit: Promise<RuntimeExit> } {
  const child = spawn(runtime, args, { stdio });
  const exit = new Promise<RuntimeExit>((done, fail) => {
    child.once('error', (e: NodeJS.ErrnoException) => {
      fail(new RuntimeError('BACKEND', `${id}: cannot run the delegated runtime ${runtime} for ${step}: ${describeCause(e)}`, { cause: e }));
    });
    child.once('close', (code, signal) => done({ code, signal }));
  });
  return { child, exit };
}

/** What the runtime wrote to its stderr so far (the first 4 KiB: enough for its last words). */
function stderrOf(child: ChildProcess): () => string {
  let text = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (text.length < 4096) text += chunk.toString('utf8');
  });
  return () => text;
}

/** The error of a failed step: the last error line the call added to the log, else the last stderr line, else the exit. */
function stepFailed(runtime: string, step: string, id: string, newLogText: string, stderr: string, exit: RuntimeExit): RuntimeError {
  const reason =
    lastLogError(newLogText) ??
    (stderr.trim().split('\n').pop() || undefined) ??
    (exit.signal ? `killed by ${exit.signal}` : `exit status ${exit.code}`);
  return new RuntimeError('BACKEND', `${id}: delegated runtime ${runtime} ${step} failed: ${reason}`);
}

/**
 * `exec`: the runtime runs the process with berth's stdio (and preserved fds) and reports its pid
 * in a pid file. Detached, the runtime exits once the process runs; otherwise it stays until the
 * process exits and its exit status is the process's (128+N for signal N), which wait() returns.
 */
async function startExec(runtime: string, paths: PrivatePaths, stateDir: string, id: string, request: ExecRequest): Promise<ExecStarted> {
  const files = execFiles(stateDir);
  writeFileSync(files.process, stringifyExactJson(request.process), { mode: 0o600 });
  const logOffset = sizeOf(paths.log);
  const stdio: StdioOptions = ['inherit', 'inherit', 'inherit', ...passedFdStdio(request.passedFds)];
  const { exit } = spawnRuntime(runtime, 'exec', id, execArgs(paths, id, request, files), stdio);
  releasePassedFds(request.passedFds);
  let ended = false;
  // Observed at once, so a runtime that cannot be started is reported below rather than left unhandled.
  const settled = exit.then(
    () => void (ended = true),
    () => void (ended = true),
  );
  // The files go once the runtime has ended, and only after the pid was read: a short-lived
  // process's runtime may end before the first look at the pid file.
  const removeFiles = () => {
    rmSync(files.process, { force: true });
    rmSync(files.pidFile, { force: true });
  };
  let pid = readPidIfWritten(files.pidFile);
  while (pid === undefined && !ended) {
    await Promise.race([settled, new Promise((r) => setTimeout(r, 5))]);
    pid = readPidIfWritten(files.pidFile);
  }
  const finished = exit.finally(removeFiles);
  if (pid === undefined || request.detach) {
    // Without a pid the runtime ended (or never started) without running the process.
    const end = await finished;
    if (pid === undefined || end.code !== 0) throw stepFailed(runtime, 'exec', id, readFrom(paths.log, logOffset), '', end);
  } else {
    finished.catch(() => {});
  }
  return { pid, wait: async () => exitStatus(await finished) };
}

/** runc's convention for a child's end: its exit code, or 128+N when signal N ended it. */
function exitStatus(exit: RuntimeExit): number {
  if (exit.code !== null) return exit.code;
  return 128 + (exit.signal ? constants.signals[exit.signal] : 0);
}

/** A pid file's pid once the runtime has written it whole (runc renames it into place; crun writes it directly). */
function readPidIfWritten(pidFile: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(pidFile, 'utf8').trim();
  } catch {
    return undefined;
  }
  return /^[1-9][0-9]*$/.test(text) ? Number(text) : undefined;
}

/**
 * `runtime events <id>` as a stream: onOom for each `{"type":"oom"}` record, until `signal`
 * aborts (the runtime is then stopped) or the runtime ends by itself (the container is gone).
 */
async function watchOomEvents(runtime: string, args: string[], id: string, logPath: string, onOom: () => void, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  const logOffset = sizeOf(logPath);
  const { child, exit } = spawnRuntime(runtime, 'events', id, args, withOutput);
  const stop = () => child.kill('SIGTERM');
  signal.addEventListener('abort', stop, { once: true });
  const stderr = stderrOf(child);
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      if ((JSON.parse(line) as { type?: unknown }).type === 'oom') onOom();
    } catch {
      // not a JSON record: nothing to report
    }
  });
  try {
    const end = await exit;
    if (end.code !== 0 && !signal.aborted) throw stepFailed(runtime, 'events', id, readFrom(logPath, logOffset), stderr(), end);
  } finally {
    signal.removeEventListener('abort', stop);
  }
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

