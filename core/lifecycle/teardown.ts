import type { Backend, ContainerContext } from '../backend/backend.js';
import type { BackendRegistry } from '../backend/backend-registry.js';
import { describeCause } from '../errors/runtime-error.js';
import type { Logger } from '../log/logger.js';
import type { Spec } from '../spec/config.js';
import type { ContainerRecord } from '../state/container-record.js';
import { liveness } from '../state/process-identity.js';
import type { StateStore } from '../state/state-store.js';
import { runPoststopHooks } from './hooks-runner.js';
import { killAndWait, signalIfAlive } from './process-control.js';
import { callBackend } from './backend-call.js';
import { hookState } from './state.js';

/** What a backend sees of an existing container: the record plus the config frozen at create. */
export function contextFor(store: StateStore, record: ContainerRecord, log: Logger): ContainerContext {
  return {
    id: record.id,
    bundle: record.bundle,
    rootfs: record.rootfs,
    spec: store.readFrozenConfig(record.id) as Spec,
    stateDir: store.containerDir(record.id),
    pid: record.init?.pid ?? 0,
    backendState: record.backendState ?? {},
    log,
  };
}

/**
 * Steps 12 and 13 of the lifecycle: stop the process, undo what create did, run the poststop
 * hooks (a failing one only warns), and forget the container. Used by delete and by a start
 * whose startContainer or poststart hook failed. With `force`, a backend that cannot be loaded
 * or fails is logged and the state is removed anyway, so `delete --force` always recovers.
 */
export async function destroyContainer(
  store: StateStore,
  registry: BackendRegistry,
  log: Logger,
  record: ContainerRecord,
  options: { force: boolean; runPoststop: boolean },
): Promise<void> {
  let ctx: ContainerContext | undefined;
  try {
    ctx = contextFor(store, record, log);
  } catch (e) {
    if (!options.force) throw e;
    log.warn(`${record.id}: ${describeCause(e)}; removing the container anyway`);
  }
  // Only a live process needs it: a paused container whose process died is simply stopped.
  if (record.init && record.paused && ctx && liveness(record.init) === 'alive') {
    // A frozen process takes SIGKILL only once thawed (the cgroup v1 freezer keeps it pending):
    // the signal goes first, then the thaw, so nothing of the container runs in between.
    signalIfAlive(record.init, 9);
    const frozen = ctx;
    await registry
      .backend(record.backend.name)
      .then((backend) => backend.resume?.(frozen))
      .catch((e) => log.warn(`${record.id}: cannot thaw the paused container before killing it: ${describeCause(e)}`));
  }
  if (record.init) await killAndWait(record.init);
  if (ctx) {
    let backend: Backend | undefined;
    try {
      backend = await registry.backend(record.backend.name);
      await callBackend(record.backend.name, 'delete', () => backend!.delete(ctx!, { force: options.force }));
    } catch (e) {
      if (!options.force) throw e;
      log.warn(`${record.id}: backend ${record.backend.name} could not clean up: ${describeCause(e)}; removing the container's state anyway`);
    }
    if (options.runPoststop) await runPoststopHooks(ctx.spec.hooks?.poststop ?? [], hookState(record, 'stopped', undefined), (m) => log.warn(m));
  }
  store.remove(record.id);
}
