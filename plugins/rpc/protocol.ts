/**
 * The wire protocol between berth and an out-of-process backend: JSON-RPC 2.0 over the
 * backend's stdin/stdout with LSP-style `Content-Length` framing (what vscode-jsonrpc speaks).
 * Declared once here; a backend in any language implements these methods.
 *
 * berth starts the backend program (annotation run.berth.rpc.command) once per operation and
 * closes its stdin when done. File descriptors: 0/1 carry the protocol, 2 is berth's stderr,
 * 3/4/5 are berth's stdin/stdout/stderr (give them to the container process as its stdio), and
 * 6.. are the fds passed with --preserve-fds.
 *
 * Errors: reply with a JSON-RPC error whose code is one of berth's (1000..1099, see
 * core/errors/exit-codes.ts: 1009 BACKEND, 1006 UNSUPPORTED, ...) and a message naming what is wrong.
 * If create fails, berth calls delete with force so the backend can clean up what it made.
 */
import type { ContainerContext, CreateOptions, HookKind, JsonObject } from '../../core/plugin-api.js';

export const rpcProtocolVersion = 1;
export const rpcCommandAnnotation = 'run.berth.rpc.command';

/** Methods berth calls on the backend. */
export const BackendMethod = {
  initialize: 'berth/initialize',
  create: 'berth/create',
  start: 'berth/start',
  kill: 'berth/kill',
  delete: 'berth/delete',
} as const;

/** Methods the backend may call on berth while a request is in flight. */
export const BerthMethod = {
  /** Run one kind of the container's hooks now (e.g. createRuntime once the namespaces exist). */
  runHooks: 'berth/runHooks',
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
export interface StartParams {
  container: ContainerInfo;
}
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
