/**
 * The wire protocol between berth and an out-of-process backend: JSON-RPC 2.0 over the
 * backend's stdin/stdout with LSP-style `Content-Length` framing (what vscode-jsonrpc speaks).
 * Declared once here; a backend in any language implements these methods.
 *
 * berth starts the backend program (annotation run.berth.rpc.command) once per operation and
 * closes its stdin when done. File descriptors: 0/1 carry the protocol, 2 is berth's stderr,
 * 3/4/5 are berth's stdin/stdout/stderr (give them to the container process as its stdio), and
 * 6.. are the caller's passed fds (LISTEN_FDS ones, then --preserve-fds): `passedFds.count` of
 * them, fd 6+i becoming the container's 3+i, except the `passedFds.gaps` (container fd numbers
 * the caller did not have open), which must stay closed in the container.
 *
 * Numbers: a 64-bit integer (the config's int64 and uint64 fields: rlimits, seccomp argument
 * values, memory limits, ...) travels as a plain JSON number with every digit, exactly as
 * config.json has it: `"hard": 18446744073709551615`, never rounded and never a string. Read the
 * messages with a JSON parser that keeps 64-bit integers (Go's encoding/json into int64/uint64,
 * Rust's serde_json, Python's json do; in JavaScript, JSON.parse does not: use lossless-json or
 * similar). berth reads answers the same way (plugins/rpc/exact-codec.ts) and refuses a message
 * with a repeated key or nested deeper than 256 levels.
 *
 * Errors: reply with a JSON-RPC error whose code is one of berth's (1000..1099, see
 * core/errors/exit-codes.ts: 1009 BACKEND, 1006 UNSUPPORTED, ...) and a message naming what is wrong.
 * If create fails, berth calls delete with force so the backend can clean up what it made.
 *
 * The process-management methods (pause, resume, update, stats, processes, exec) are optional:
 * a backend without one simply has no handler, so it answers JSON-RPC MethodNotFound (-32601),
 * and berth refuses that verb as it does for an in-process backend without it
 * ("<id>: the rpc backend does not support pause").
 *
 * exec is one request plus, unless detached, one notification: the backend answers berth/exec
 * with the pid once the process runs, stays running, and sends berth/execExited with the exit
 * status when the process ends; berth closes the backend's stdin after that. The process's stdio
 * is fds 3/4/5 and its preserved fds 6.., as for create.
 *
 * Not in the protocol: the OOM watch (`events` records of type oom), a stream of notifications
 * that no backend needs yet; berth's `events` streams stats records without it.
 */
import type { ContainerContext, ContainerStats, CreateOptions, HookKind, JsonObject, LinuxResources, PassedFds, Process } from '../../core/plugin-api.js';

export const rpcProtocolVersion = 1;
export const rpcCommandAnnotation = 'run.berth.rpc.command';

/** Methods berth calls on the backend. */
export const BackendMethod = {
  initialize: 'berth/initialize',
  create: 'berth/create',
  start: 'berth/start',
  kill: 'berth/kill',
  delete: 'berth/delete',
  // Optional (MethodNotFound when absent):
  pause: 'berth/pause',
  resume: 'berth/resume',
  update: 'berth/update',
  stats: 'berth/stats',
  processes: 'berth/processes',
  exec: 'berth/exec',
} as const;

/** Methods the backend may call on berth while a request is in flight. */
export const BerthMethod = {
  /** Run one kind of the container's hooks now (e.g. createRuntime once the namespaces exist). */
  runHooks: 'berth/runHooks',
  /** Notification: an exec'd process (not detached) ended; sent once, after the berth/exec answer. */
  execExited: 'berth/execExited',
} as const;

export interface InitializeParams {
  protocolVersion: number;
}
export interface InitializeResult {
  protocolVersion: number;
  name: string;
}

/** What the backend knows of a container: ContainerContext without berth's in-process logger. */
export type ContainerInfo = Omit<ContainerContext, 'log'>;

export interface CreateParams {
  container: ContainerInfo;
  options: CreateOptions;
}
export interface CreateResult {
  pid: number;
  backendState?: JsonObject;
}
/** The params of the methods that only name the container: start, pause, resume, stats, processes. */
export interface ContainerParams {
  container: ContainerInfo;
}
export type StartParams = ContainerParams;
export interface KillParams {
  container: ContainerInfo;
  signal: number;
  all: boolean;
}
export interface DeleteParams {
  container: ContainerInfo;
  force: boolean;
}
export interface RunHooksParams {
  kind: HookKind;
  pid: number;
}

/** berth/update: only the fields present change. */
export interface UpdateParams {
  container: ContainerInfo;
  resources: LinuxResources;
}
/** berth/stats answers runc's stats shape (what `events` prints as `data`). */
export type StatsResult = ContainerStats;
/** berth/processes answers the host pids of every process of the container. */
export type ProcessesResult = number[];

export interface ExecParams {
  container: ContainerInfo;
  /** Complete: from -p, or the container's process with exec's flags applied. */
  process: Process;
  detach: boolean;
  consoleSocket?: string;
  preserveFds: number;
  /** The fds at 6.. (see the top of this file). */
  passedFds: PassedFds;
  /** --cgroup entries, relative to the container's cgroup. */
  cgroups: string[];
}
export interface ExecResult {
  /** The process's host pid. */
  pid: number;
}
export interface ExecExitedParams {
  pid: number;
  /** Exit code, or 128+N when signal N ended it. */
  status: number;
}
