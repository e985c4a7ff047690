import type { BackendDescriptor, Diagnostic, Spec } from '../../core/plugin-api.js';
import { pointerOf } from '../../core/plugin-api.js';
import { rpcCommandAnnotation } from './protocol.js';

/**
 * An out-of-process backend: berth speaks JSON-RPC (protocol.ts) to the program named by the
 * annotation run.berth.rpc.command. Selected with run.berth.backend=rpc.
 */
export const rpcDescriptor: BackendDescriptor = {
  kind: 'backend',
  name: 'rpc',
  description: 'an out-of-process backend over JSON-RPC (annotation run.berth.rpc.command)',
  validate: (spec: Spec): Diagnostic[] => {
    const command = spec.annotations?.[rpcCommandAnnotation];
    const pointer = pointerOf('annotations', rpcCommandAnnotation);
    if (command === undefined) return [{ pointer, message: 'is required by the rpc backend: the absolute path of the backend program' }];
    if (!command.startsWith('/')) return [{ pointer, message: `must be an absolute path, got ${JSON.stringify(command)}` }];
    return [];
  },
  load: async () => (await import('./rpc-backend.js')).createRpcBackend(),
};
