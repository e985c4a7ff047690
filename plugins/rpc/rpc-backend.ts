import { spawn } from 'node:child_process';
import { createMessageConnection, ErrorCodes, ResponseError, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node.js';
import {
  kindOfRpcCode,
  noPassedFds,
  passedFdStdio,
  releasePassedFds,
  RuntimeError,
  unsupportedVerb,
  type Backend,
  type ContainerContext,
  type CreateContext,
  type ExecStarted,
  type HookPoint,
  type OptionalVerb,
  type PassedFds,
} from '../../core/plugin-api.js';
import { rpcDescriptor } from './descriptor.js';
import { exactJsonDecoder, exactJsonEncoder, UnreadableMessage } from './exact-codec.js';
import {
  BackendMethod,
  BerthMethod,
  rpcCommandAnnotation,
  rpcProtocolVersion,
  type ContainerInfo,
  type CreateResult,
  type ExecExitedParams,
  type ExecParams,
  type ExecResult,
  type InitializeResult,
  type ProcessesResult,
  type RunHooksParams,
  type StatsResult,
} from './protocol.js';

/** How long a backend program may take to exit once berth closed its stdin. */
const exitGraceMs = 2000;

export function createRpcBackend(): Backend {
  return {
    // berth runs every hook at its default moment; a backend may run create-phase kinds
    // earlier, at its own sync points, by calling berth/runHooks.
    ownHooks: new Set(),
    async create(ctx: CreateContext) {
      const info = containerInfo({ ...ctx, pid: 0, backendState: {} });
      try {
        const result = await call<CreateResult>(ctx, BackendMethod.create, { container: info, options: ctx.options }, { hooks: ctx.hooks, passedFds: ctx.options.passedFds });
        if (!Number.isInteger(result?.pid) || result.pid <= 0) {
          throw new RuntimeError('BACKEND', `rpc backend ${commandOf(ctx)}: create returned no valid pid`);
        }
        return result;
      } catch (e) {
        // The backend's side effects cannot register undo steps across processes: it cleans up in delete.
        await call(ctx, BackendMethod.delete, { container: info, force: true }).catch(() => {});
        throw e;
      }
    },
    async start(ctx) {
      await call(ctx, BackendMethod.start, { container: containerInfo(ctx) }, { hooks: ctx.hooks });
    },
    async kill(ctx, signal, options) {
      await call(ctx, BackendMethod.kill, { container: containerInfo(ctx), signal, all: options.all });
    },
    async delete(ctx, options) {
      await call(ctx, BackendMethod.delete, { container: containerInfo(ctx), force: options.force });
    },
    async pause(ctx) {
      await callVerb(ctx, 'pause', { container: containerInfo(ctx) });
    },
    async resume(ctx) {
      await callVerb(ctx, 'resume', { container: containerInfo(ctx) });
    },
    async update(ctx, resources) {
      await callVerb(ctx, 'update', { container: containerInfo(ctx), resources });
    },
    async stats(ctx) {
      const stats = await callVerb<StatsResult>(ctx, 'stats', { container: containerInfo(ctx) });
      if (typeof stats !== 'object' || stats === null || Array.isArray(stats)) throw answeredWrongly(ctx, 'stats', 'an object of usage figures');
      return stats;
    },
    async processes(ctx) {
      const pids = await callVerb<ProcessesResult>(ctx, 'processes', { container: containerInfo(ctx) });
      if (!Array.isArray(pids) || !pids.every(isPid)) throw answeredWrongly(ctx, 'processes', 'a list of pids');
      return pids;
    },
    async exec(ctx, request) {
      return exec(ctx, { container: containerInfo(ctx), ...request });
    },
  };
}

function containerInfo(ctx: Omit<ContainerContext, 'log'>): ContainerInfo {
  return { id: ctx.id, bundle: ctx.bundle, rootfs: ctx.rootfs, spec: ctx.spec, stateDir: ctx.stateDir, pid: ctx.pid, backendState: ctx.backendState };
}

function commandOf(ctx: { spec: ContainerContext['spec'] }): string {
  const command = ctx.spec.annotations?.[rpcCommandAnnotation];
  if (!command) throw new RuntimeError('INVALID_SPEC', `/annotations/${rpcCommandAnnotation}: is required by the rpc backend`);
  return command;
}

const isPid = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) > 0;

/** The optional verbs the protocol has a method for (the OOM watch is not one: protocol.ts). */
type RpcVerb = Exclude<OptionalVerb, 'watchOom'>;

function answeredWrongly(ctx: ContainerContext, verb: RpcVerb, wanted: string): RuntimeError {
  return new RuntimeError('BACKEND', `rpc backend ${commandOf(ctx)}: ${BackendMethod[verb]} answered something other than ${wanted}`);
}

/** An optional method: MethodNotFound means the backend program lacks it, refused as a missing in-process method is. */
async function callVerb<T>(ctx: ContainerContext, verb: RpcVerb, params: object): Promise<T> {
  try {
    return await call<T>(ctx, BackendMethod[verb], params);
  } catch (e) {
    throw lackedVerb(e, ctx.id, verb) ?? e;
  }
}

function lackedVerb(e: unknown, id: string, verb: OptionalVerb): RuntimeError | undefined {
  const cause = e instanceof RuntimeError ? e.cause : undefined;
  return cause instanceof ResponseError && cause.code === ErrorCodes.MethodNotFound ? unsupportedVerb(rpcDescriptor.name, id, verb) : undefined;
}

/**
 * berth/exec. Detached, the backend program is let go once it answered. Otherwise the session
 * stays open until the backend's berth/execExited notification, whose status wait() returns.
 */
async function exec(ctx: ContainerContext, params: ExecParams): Promise<ExecStarted> {
  const session = await openSession(ctx, { passedFds: params.passedFds });
  // Listening before the request: a short-lived process may end before its pid is answered.
  const exitStatus = new Promise<number>((resolve, reject) => {
    session.connection.onNotification(BerthMethod.execExited, (p: ExecExitedParams) => resolve(p.status));
    void session.exited.then(() => reject(new RuntimeError('BACKEND', `rpc backend ${session.command}: exited before reporting how the exec'd process ended`)));
  });
  // Observed by wait(), or by nobody for a detached process: never an unhandled rejection.
  exitStatus.catch(() => {});
  let pid: number;
  try {
    ({ pid } = await session.request<ExecResult>(BackendMethod.exec, params));
    if (!isPid(pid)) throw answeredWrongly(ctx, 'exec', 'the pid of the process');
  } catch (e) {
    await session.close();
    throw lackedVerb(e, ctx.id, 'exec') ?? e;
  }
  if (params.detach) {
    await session.close();
    return { pid, wait: () => Promise.reject(new RuntimeError('INVALID_ARGUMENT', 'a detached exec has no exit status to wait for')) };
  }
  return {
    pid,
    wait: async () => {
      try {
        return await exitStatus;
      } finally {
        await session.close();
      }
    },
  };
}

/** A running backend program that answered initialize. */
interface Session {
  command: string;
  connection: MessageConnection;
  /** Resolves when the program has exited. */
  exited: Promise<void>;
  /** One request; a JSON-RPC error or the program's exit becomes a RuntimeError. */
  request<T>(method: string, params: object): Promise<T>;
  /** Close the program's stdin and wait for it to exit (SIGKILL after a grace period). */
  close(): Promise<void>;
}

type SessionContext = Omit<ContainerContext, 'pid' | 'backendState'>;

/** Start the backend program with berth's stdio and the preserved fds, and initialize it. */
async function openSession(ctx: SessionContext, options: { hooks?: HookPoint; passedFds?: PassedFds }): Promise<Session> {
  const command = commandOf(ctx);
  const passed = options.passedFds ?? noPassedFds;
  const child = spawn(command, [], { stdio: ['pipe', 'pipe', 'inherit', 0, 1, 2, ...passedFdStdio(passed)] });
  // The backend program holds them now: hooks started later must not inherit them.
  releasePassedFds(passed);
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (e) => reject(RuntimeError.system(`rpc backend ${command}: cannot start`, e)));
  });
  const connection: MessageConnection = createMessageConnection(
    new StreamMessageReader(child.stdout!, { contentTypeDecoder: exactJsonDecoder }),
    new StreamMessageWriter(child.stdin!, { contentTypeEncoder: exactJsonEncoder }),
  );
  // A message berth cannot read (a repeated key, too deep, not JSON) fails the request in flight, never hangs it.
  const unreadable = new Promise<never>((_, reject) =>
    connection.onError(([e]) => {
      if (e instanceof UnreadableMessage) reject(new RuntimeError('BACKEND', `rpc backend ${command}: ${e.message}`, { cause: e }));
    }),
  );
  unreadable.catch(() => {});
  if (options.hooks) {
    const hooks = options.hooks;
    connection.onRequest(BerthMethod.runHooks, (p: RunHooksParams) => hooks.run(p.kind, p.pid));
  }
  connection.listen();
  const session: Session = {
    command,
    connection,
    exited,
    async request<T>(method: string, params: object): Promise<T> {
      const died = exited.then((): never => {
        throw new RuntimeError('BACKEND', `rpc backend ${command}: exited before answering ${method}`);
      });
      died.catch(() => {});
      try {
        return await Promise.race([connection.sendRequest<T>(method, params), died, unreadable]);
      } catch (e) {
        throw toRuntimeError(command, method, e);
      }
    },
    async close() {
      connection.dispose();
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), exitGraceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  try {
    const init = await session.request<InitializeResult>(BackendMethod.initialize, { protocolVersion: rpcProtocolVersion });
    if (init.protocolVersion !== rpcProtocolVersion) {
      throw new RuntimeError('BACKEND', `rpc backend ${command}: speaks protocol version ${init.protocolVersion}, berth speaks ${rpcProtocolVersion}`);
    }
  } catch (e) {
    await session.close();
    throw e;
  }
  return session;
}

/** Start the backend program, initialize, make one request, and let the program go. */
async function call<T>(ctx: SessionContext, method: string, params: object, options: { hooks?: HookPoint; passedFds?: PassedFds } = {}): Promise<T> {
  const session = await openSession(ctx, options);
  try {
    return await session.request<T>(method, params);
  } finally {
    await session.close();
  }
}

function toRuntimeError(command: string, method: string, e: unknown): RuntimeError {
  if (e instanceof RuntimeError) return e;
  if (e instanceof ResponseError) {
    return new RuntimeError(kindOfRpcCode(e.code) ?? 'BACKEND', e.message, { cause: e });
  }
  return new RuntimeError('BACKEND', `rpc backend ${command}: ${method} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}
