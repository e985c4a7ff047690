import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { caseMarker } from './residue.js';

/** One finished runtime invocation, as the suite saw it. */
export interface Invocation {
  /** The arguments after `--root DIR`. */
  args: string[];
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Where stdout went: a container created by this call writes there too. */
  stdoutPath: string;
  durationMs: number;
  timedOut: boolean;
}

/** What happened in a case, in order, so a failing case can be written out as replay.sh. */
export type TraceStep =
  | { kind: 'runtime'; args: string[]; stdoutPath: string; stderrPath: string; exitCode: number | null; background: boolean }
  | { kind: 'wait-status'; id: string; statuses: string[] }
  | { kind: 'note'; text: string }
  /** The suite waited for something it cannot ask the runtime (a payload ready for a signal). */
  | { kind: 'sleep'; seconds: number; why: string }
  /** A host command replay.sh must run at this point (it may use $here and the cleanup function). */
  | { kind: 'shell'; command: string };

const defaultTimeoutMs = 30_000;

/**
 * Whether `arg`, taken as a container id, names --root itself or a directory above it: `''`,
 * `.`, `..` and their spellings (`./`, `../..`, `a/..`). A runtime that joins the id to its
 * root without checking it deletes that directory on `delete --force` (one peer runtime given
 * `delete --force ..` removed the directory above its root in testing). Absolute arguments are
 * left alone: they are the suite's own paths (bundles), never an id that could be mistaken.
 */
export function unsafeIdArgument(root: string, arg: string): boolean {
  if (arg === '') return true;
  if (isAbsolute(arg)) return false;
  // Where --root lies seen from what the id names: nowhere below it is safe.
  const rootFromId = relative(resolve(root, arg), resolve(root));
  return rootFromId === '' || !(rootFromId === '..' || rootFromId.startsWith('../'));
}

/** The suite never passes such an argument to any runtime: a call with one is refused before it runs. */
export function assertSafeArguments(root: string, args: readonly string[]): void {
  const bad = args.find((a) => unsafeIdArgument(root, a));
  if (bad !== undefined) throw new Error(`refusing to call a runtime with ${JSON.stringify(bad)} among its arguments: as a container id it names --root or a directory above it (${JSON.stringify(args)})`);
}

/**
 * Drives one runtime binary through its CLI with a private `--root`. Every call's stdio goes to
 * files (never pipes): a container inherits create's stdout and stderr and may outlive the call,
 * and a pipe it holds open would make the suite wait for the container instead of the runtime.
 */
export class RuntimeDriver {
  readonly trace: TraceStep[] = [];
  private calls = 0;

  /** The runtime binary, absolute: every call runs in the case's directory. */
  readonly path: string;

  constructor(
    path: string,
    readonly root: string,
    /** Where each call's stdout/stderr files go. */
    private readonly ioDir: string,
    /** The case's directory, put in every call's environment so leftover processes can be found. */
    private readonly caseDir: string,
    /** Put before every id the helpers below are given: see `id`. */
    private readonly idPrefix = '',
  ) {
    this.path = resolve(path);
    mkdirSync(ioDir, { recursive: true });
  }

  /**
   * The real id of a case's container `name` ("c1"): prefixed with the suite run's own tag.
   * runc, crun and berth all default a container's cgroup to /<id> below their own, so two
   * suites (or a suite and another test) using "c1" at once would share a cgroup and kill each
   * other's processes on delete --force.
   */
  id(name: string): string {
    const id = `${this.idPrefix}${name}`;
    assertSafeArguments(this.root, [id]);
    return id;
  }

  /** Runs `runtime --root ROOT ...args` to completion (or until the timeout kills it). */
  async invoke(args: readonly string[], options: { timeoutMs?: number } = {}): Promise<Invocation> {
    const running = this.spawn(args, false);
    return running.done(options.timeoutMs ?? defaultTimeoutMs);
  }

  /** Starts a call and returns at once (for `run` in the foreground, which lasts as long as the container). */
  spawn(args: readonly string[], background = true): { child: ChildProcess; done: (timeoutMs?: number) => Promise<Invocation> } {
    assertSafeArguments(this.root, args);
    const n = ++this.calls;
    const stdoutPath = join(this.ioDir, `${n}.out`);
    const stderrPath = join(this.ioDir, `${n}.err`);
    const out = openSync(stdoutPath, 'w');
    const err = openSync(stderrPath, 'w');
    const started = Date.now();
    const step: TraceStep = { kind: 'runtime', args: [...args], stdoutPath, stderrPath, exitCode: null, background };
    this.trace.push(step);
    // In the case's directory: a relative path among the arguments (a fuzzed --pid-file) lands there, not in the caller's cwd.
    const child = spawn(this.path, ['--root', this.root, ...args], { cwd: this.caseDir, stdio: ['ignore', out, err], env: { ...process.env, [caseMarker]: this.caseDir } });
    closeSync(out);
    closeSync(err);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; spawnError?: Error }>((resolve) => {
      child.once('error', (e) => resolve({ code: null, signal: null, spawnError: e }));
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    const done = async (timeoutMs = defaultTimeoutMs): Promise<Invocation> => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      const { code, signal, spawnError } = await exited;
      clearTimeout(timer);
      step.exitCode = code;
      const stderr = readFileSync(stderrPath, 'utf8') + (spawnError ? `cannot run ${this.path}: ${spawnError.message}\n` : '');
      return { args: [...args], exitCode: code, signal, stdout: readFileSync(stdoutPath, 'utf8'), stderr, stdoutPath, durationMs: Date.now() - started, timedOut };
    };
    return { child, done };
  }

  // The verbs take the container's name in the case ("c1") and call the runtime with its real id.
  create(name: string, bundle: string): Promise<Invocation> {
    return this.invoke(['create', '--bundle', bundle, this.id(name)]);
  }
  start(name: string): Promise<Invocation> {
    return this.invoke(['start', this.id(name)]);
  }
  state(name: string): Promise<Invocation> {
    return this.invoke(['state', this.id(name)]);
  }
  kill(name: string, signal?: string): Promise<Invocation> {
    return this.invoke(signal === undefined ? ['kill', this.id(name)] : ['kill', this.id(name), signal]);
  }
  delete(name: string, force = false): Promise<Invocation> {
    return this.invoke(force ? ['delete', '--force', this.id(name)] : ['delete', this.id(name)]);
  }

  /** `exec [flags] ID [command...]`: with `--process FILE` the command comes from the file. */
  exec(name: string, flags: readonly string[], command: readonly string[] = []): Promise<Invocation> {
    return this.invoke(['exec', ...flags, this.id(name), ...command]);
  }
  pause(name: string): Promise<Invocation> {
    return this.invoke(['pause', this.id(name)]);
  }
  resume(name: string): Promise<Invocation> {
    return this.invoke(['resume', this.id(name)]);
  }
  /** `update [flags] ID`: the flags go before the id, as every runtime's parser wants them. */
  update(name: string, flags: readonly string[]): Promise<Invocation> {
    return this.invoke(['update', ...flags, this.id(name)]);
  }

  /** `state` parsed; undefined when the call failed or printed something that is not JSON. */
  async stateOf(id: string): Promise<{ invocation: Invocation; state?: ContainerState }> {
    const invocation = await this.state(id);
    if (invocation.exitCode !== 0) return { invocation };
    try {
      return { invocation, state: JSON.parse(invocation.stdout) as ContainerState };
    } catch {
      return { invocation };
    }
  }

  /**
   * Polls `state` until the status is one of `statuses`; returns the last state seen. The polls
   * are not traced one by one: replay.sh gets one `wait_status` line instead.
   */
  async waitForStatus(id: string, statuses: readonly string[], timeoutMs = 10_000): Promise<ContainerState | undefined> {
    const traced = this.trace.length;
    const deadline = Date.now() + timeoutMs;
    let last: ContainerState | undefined;
    for (;;) {
      last = (await this.stateOf(id)).state;
      if (last && statuses.includes(last.status)) break;
      if (Date.now() > deadline) break;
      await sleep(50);
    }
    this.trace.splice(traced, this.trace.length - traced, { kind: 'wait-status', id: this.id(id), statuses: [...statuses] });
    return last;
  }

  note(text: string): void {
    this.trace.push({ kind: 'note', text });
  }

  shell(command: string): void {
    this.trace.push({ kind: 'shell', command });
  }

  /** The suite waited for something it cannot ask the runtime: replay.sh sleeps as long. */
  recordWait(seconds: number, why: string): void {
    this.trace.push({ kind: 'sleep', seconds, why });
  }
}

/** The OCI state JSON, loosely: the suite checks its fields rather than trusting them. */
export interface ContainerState {
  ociVersion?: unknown;
  id?: unknown;
  status: string;
  pid?: unknown;
  bundle?: unknown;
  annotations?: unknown;
  [key: string]: unknown;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
