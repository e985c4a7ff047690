import { spawn } from 'node:child_process';
import { createMessageConnection, ResponseError, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node.js';
import { kindOfRpcCode, RuntimeError, type Backend, type ContainerContext, type CreateContext, type HookPoint } from '../../core/plugin-api.js';
import {
  BackendMethod,
  BerthMethod,
  rpcCommandAnnotation,
  rpcProtocolVersion,
  type ContainerInfo,
  type CreateResult,
  type InitializeResult,
  type RunHooksParams,
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
        const result = await call<CreateResult>(ctx, BackendMethod.create, { container: info, options: ctx.options }, ctx.hooks);
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
      await call(ctx, BackendMethod.start, { container: containerInfo(ctx) }, ctx.hooks);
    },
    async kill(ctx, signal, options) {
      await call(ctx, BackendMethod.kill, { container: containerInfo(ctx), signal, all: options.all });
    },
    async delete(ctx, options) {
      await call(ctx, BackendMethod.delete, { container: containerInfo(ctx), force: options.force });
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

/** Start the backend program, initialize, make one request, and let the program go. */
async function call<T>(ctx: Omit<ContainerContext, 'log' | 'pid' | 'backendState'> & { options?: CreateContext['options']; log: ContainerContext['log'] }, method: string, params: object, hooks?: HookPoint): Promise<T> {
  const command = commandOf(ctx);
  const preserved = ctx.options?.preserveFds ?? 0;
  const child = spawn(command, [], {
    stdio: ['pipe', 'pipe', 'inherit', 0, 1, 2, ...Array.from({ length: preserved }, (_, i) => 3 + i)],
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (e) => reject(RuntimeError.system(`rpc backend ${command}: cannot start`, e)));
  });
  await spawned;
  const connection: MessageConnection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  if (hooks) connection.onRequest(BerthMethod.runHooks, (p: RunHooksParams) => hooks.run(p.kind, p.pid));
  const died = exited.then(() => {
    throw new RuntimeError('BACKEND', `rpc backend ${command}: exited before answering ${method}`);
  });
  connection.listen();
  try {
    const init = await Promise.race([connection.sendRequest<InitializeResult>(BackendMethod.initialize, { protocolVersion: rpcProtocolVersion }), died]);
    if (init.protocolVersion !== rpcProtocolVersion) {
      throw new RuntimeError('BACKEND', `rpc backend ${command}: speaks protocol version ${init.protocolVersion}, berth speaks ${rpcProtocolVersion}`);
    }
    return await Promise.race([connection.sendRequest<T>(method, params), died]);
  } catch (e) {
    throw toRuntimeError(command, method, e);
  } finally {
    connection.dispose();
    child.stdin!.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), exitGraceMs);
    await exited;
    clearTimeout(timer);
    died.catch(() => {});
  }
}

function toRuntimeError(command: string, method: string, e: unknown): RuntimeError {
  if (e instanceof RuntimeError) return e;
  if (e instanceof ResponseError) {
    return new RuntimeError(kindOfRpcCode(e.code) ?? 'BACKEND', e.message, { cause: e });
  }
  return new RuntimeError('BACKEND', `rpc backend ${command}: ${method} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}
