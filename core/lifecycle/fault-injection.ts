/**
 * BERTH_FAULT, for tests only: makes berth stop dead at a named point, to prove that a create
 * killed anywhere leaves nothing that `delete --force` does not remove. Unset (always, outside
 * tests) each point costs one environment lookup and does nothing. The value is
 * `<scope>:<point>`: `create:<step>` kills berth itself (SIGKILL, as an outside `kill -9` would)
 * when create reaches that step, one of `createFaultSteps` or a backend's own; any other scope
 * belongs to a backend, which reads it with `faultFor` (native: `plan:<section>:<index>`, its
 * helper or the container process stops dead before that plan op). The variable never reaches
 * a container: its process gets exactly the config's environment.
 */

/** The core's steps of create, in order (a backend adds its own between after-record and after-backend). */
export const createFaultSteps = ['after-claim', 'after-record', 'after-backend', 'after-hooks', 'after-pid-file', 'after-final-write', 'after-commit'] as const;

/** Stop dead (SIGKILL this process) when BERTH_FAULT names `point`, e.g. `create:after-claim`. */
export function faultPoint(point: string): void {
  if (process.env.BERTH_FAULT === point) process.kill(process.pid, 'SIGKILL');
}

/** The point BERTH_FAULT names in `scope` (`plan:child:3` → `child:3` for scope `plan`), if any. */
export function faultFor(scope: string): string | undefined {
  const value = process.env.BERTH_FAULT;
  return value?.startsWith(`${scope}:`) ? value.slice(scope.length + 1) : undefined;
}
