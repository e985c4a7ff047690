import type { HookKind, Mount, Process, Spec } from '../spec/config.js';
import type { LinuxResources } from '../spec/resources.js';
import type { ContainerStats } from '../spec/stats.js';
import type { BackendFeatures } from '../spec/features.js';
import type { Logger } from '../log/logger.js';
import type { Diagnostic } from '../errors/runtime-error.js';

/**
 * The contract between berth's core and the backends that run containers. Two levels:
 *  - a full Backend owns the container's whole lifecycle (native namespaces, zone, a delegate
 *    OCI runtime, an out-of-process backend over JSON-RPC, a WASI engine);
 *  - a PayloadHandler reuses a full backend's isolation and replaces only the final exec
 *    (crun's custom handlers, youki's Executor): it tells the isolation backend what to run.
 * Descriptors are cheap and always loaded; `load()` imports the engine only when selected.
 */

export type JsonObject = Record<string, unknown>;

/**
 * The caller's fds that go to the container process: LISTEN_FDS (create and run) then
 * --preserve-fds, as berth found them when it started (core/cli/caller-fds.ts). Every other fd
 * the caller had open was closed then, so nothing else of the caller reaches any process berth
 * starts. Spawn with `passedFdStdio` and call `releasePassedFds` once the process that passes
 * them on has them, so that hooks started later do not inherit them.
 */
export interface PassedFds {
  /** The caller's fds 3 .. 3+count-1. */
  count: number;
  /** How many of them are LISTEN_FDS ones (create and run): the container is told so in its env. */
  listen: number;
  /** Numbers in that range the caller did not have open: they stay closed in the container. */
  gaps: readonly number[];
}

/** The flags of `create` that a backend honours. */
export interface CreateOptions {
  consoleSocket?: string;
  /** Use MS_MOVE + chroot instead of pivot_root (for ramfs roots). */
  noPivot: boolean;
  noNewKeyring: boolean;
  /** --preserve-fds N: pass the caller's next N fds (after LISTEN_FDS ones) to the container process. */
  preserveFds: number;
  /** The fds that are passed, LISTEN_FDS ones included. */
  passedFds: PassedFds;
  /** --systemd-cgroup: cgroupsPath is `slice:prefix:name`. */
  systemdCgroup: boolean;
  rootless: boolean;
  /** `run` in the foreground: the backend must be able to report the exit status through wait(). */
  foreground: boolean;
}

/** Registers an undo step for a side effect of create; on failure steps run in reverse order. */
export interface UndoRegistrar {
  onUndo(description: string, step: () => void | Promise<void>): void;
}

/**
 * Runs the config's hooks of one kind with the state JSON on stdin, honouring timeouts.
 * `enter` lets a backend run hooks inside the container's namespaces (createContainer,
 * startContainer): it wraps the hook's argv, e.g. with an nsenter-like prefix.
 */
export interface HookPoint {
  run(kind: HookKind, pid: number, options?: { enter?: (command: { path: string; args: string[] }) => { path: string; args: string[] } }): Promise<void>;
}

export interface ContainerContext {
  id: string;
  /** Absolute bundle path. */
  bundle: string;
  /** Absolute root filesystem path. */
  rootfs: string;
  /** The config frozen at create (with a payload handler's changes applied, if any). */
  spec: Spec;
  /** <root>/<id>: a directory the backend may keep files in (removed at delete). */
  stateDir: string;
  /** The container process's host pid, as recorded at create. */
  pid: number;
  /** What the backend returned at create. */
  backendState: JsonObject;
  log: Logger;
}

export interface CreateContext extends Omit<ContainerContext, 'backendState' | 'pid'> {
  options: CreateOptions;
  undo: UndoRegistrar;
  hooks: HookPoint;
  /**
   * Persist what create has made so far, or is about to make, while the container is still
   * `creating`: written to state.json at once, so that if berth dies before create finishes
   * (killed, say), `delete --force` finds it and hands it to `delete`. Call it before a side
   * effect that can be named in advance (cgroup paths), and as soon as a process is known.
   */
  recordProgress(progress: CreateProgress): void;
}

export interface CreateProgress {
  /** The container process, once it exists: delete --force kills it first. */
  pid?: number;
  /** Replaces the backend state recorded so far; delete gets it as ContainerContext.backendState. */
  backendState?: JsonObject;
}

export interface CreatedContainer {
  /** The container process as seen from the host, waiting to run the user program. */
  pid: number;
  /** Plain JSON the backend needs later (persisted in state.json). */
  backendState?: JsonObject;
  /**
   * Called once, after the core has recorded the container as `created` (its last state write):
   * the container process may now wait for start without berth. Until then a backend should make
   * the processes it started die by themselves if berth dies, since the record cannot be written
   * in the same step as a process is made. A rejection fails create, which then destroys the container.
   */
  commit?(): Promise<void>;
}

export interface Backend {
  /**
   * Hook kinds this backend runs itself, through ctx.hooks, at the moment the spec defines
   * (e.g. createContainer inside the container's namespaces). The core runs every other kind:
   * prestart, createRuntime and createContainer right after create(); startContainer right
   * before start(); poststart after it; poststop after delete().
   */
  readonly ownHooks: ReadonlySet<HookKind>;

  /** Build the container's environment; the user program MUST NOT run yet. */
  create(ctx: CreateContext): Promise<CreatedContainer>;
  /** Make the container process run the user program. */
  start(ctx: ContainerContext & { hooks: HookPoint }): Promise<void>;
  /** Deliver `signal` to the container process, or with `all` to every process of the container. */
  kill(ctx: ContainerContext, signal: number, options: { all: boolean }): Promise<void>;
  /** Undo everything create did (cgroups, mounts, helper processes); the process has exited. */
  delete(ctx: ContainerContext, options: { force: boolean }): Promise<void>;
  /** The exit status of the container process, for `run` in the foreground (created with foreground). */
  wait?(ctx: ContainerContext): Promise<number>;
  /** What create would do for this bundle, as plain JSON, without doing it (`berth plan`). */
  describePlan?(ctx: PlanContext): Promise<unknown>;

  // The process-management verbs. A backend without one of them makes berth refuse that verb
  // for its containers, saying so; it never pretends.

  /** Freeze every process of the container (`pause`). */
  pause?(ctx: ContainerContext): Promise<void>;
  /** Thaw them (`resume`). */
  resume?(ctx: ContainerContext): Promise<void>;
  /** Change the limits of a live container; only the fields present change (`update`). */
  update?(ctx: ContainerContext, resources: LinuxResources): Promise<void>;
  /** Usage figures in runc's shape (`events`). */
  stats?(ctx: ContainerContext): Promise<ContainerStats>;
  /** Resolves once the container's processes have been OOM-killed, once per kill, until `signal` aborts (`events`). */
  watchOom?(ctx: ContainerContext, onOom: () => void, signal: AbortSignal): Promise<void>;
  /** Host pids of every process of the container (`ps`). */
  processes?(ctx: ContainerContext): Promise<number[]>;
  /** Run another process in the container (`exec`). */
  exec?(ctx: ContainerContext, request: ExecRequest): Promise<ExecStarted>;
}

/** `exec`: the process to run, complete (from -p, or the container's process with the flags applied). */
export interface ExecRequest {
  process: Process;
  /** Return once the process runs; its stdio stays berth's (the caller's). */
  detach: boolean;
  /** With process.terminal: where the pty master goes (runc's protocol). */
  consoleSocket?: string;
  /** --preserve-fds N: pass the caller's fds 3 .. 3+N-1. */
  preserveFds: number;
  /** The fds that are passed (count N, and the gaps among them). */
  passedFds: PassedFds;
  /** --cgroup: `path` (v2) or `controller[,controller]:path` entries, relative to the container's cgroup. */
  cgroups: string[];
  /**
   * Where the process's fields came from, so an error can name one: `flags` maps a field's
   * pointer in the process (`/cwd`) to the flag that set it (`--cwd`); any other field is named
   * by its pointer in config.json's process (`/process/cwd`) when `fromConfig` (the flags start
   * from it), else by its pointer in the --process file (`/cwd`).
   */
  fields?: { fromConfig: boolean; flags: Record<string, string> };
}

export interface ExecStarted {
  /** The process's host pid. */
  pid: number;
  /** Its exit status (128+N for signal N); only asked for when not detached. */
  wait(): Promise<number>;
}

export interface PlanContext {
  id: string;
  bundle: string;
  rootfs: string;
  spec: Spec;
  options: CreateOptions;
}

/** What a payload handler asks its isolation backend to run instead of process.args. */
export interface PayloadLaunch {
  args: string[];
  /** Added to process.env. */
  env?: string[];
  /** Host files the engine needs inside the container (bind-mounted read-only). */
  mounts?: Mount[];
}

export interface PayloadHandler {
  /** Called during create, before the isolation backend builds the container. */
  prepare(ctx: { id: string; bundle: string; rootfs: string; spec: Spec }): Promise<PayloadLaunch>;
}

interface DescriptorBase {
  name: string;
  /** One line for `berth features` annotations and docs. */
  description: string;
  /** Cheap, synchronous probe for the selection order's "canHandle" step. Must not import the engine. */
  canHandle?(spec: Spec): boolean;
  /** Backend-specific config rules, pure; `check` and `create` report them with the core's. */
  validate?(spec: Spec): Diagnostic[];
  /** What this backend implements, declared statically for `berth features`. */
  features?: BackendFeatures;
}

export interface BackendDescriptor extends DescriptorBase {
  kind: 'backend';
  load(): Promise<Backend>;
}

export interface PayloadHandlerDescriptor extends DescriptorBase {
  kind: 'payload';
  /** The full backend providing isolation; native unless said otherwise. */
  isolation?: string;
  load(): Promise<PayloadHandler>;
}

export type Descriptor = BackendDescriptor | PayloadHandlerDescriptor;
