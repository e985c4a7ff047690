import { RuntimeError } from '../errors/runtime-error.js';
import { liveness, type ProcessIdentity } from '../state/process-identity.js';

/**
 * Signal a recorded process only if it is still the same process (pid + start time), so a
 * reused pid is never hit. Returns false when it had already gone.
 */
export function signalIfAlive(identity: ProcessIdentity, signal: number): boolean {
  if (liveness(identity) !== 'alive') return false;
  try {
    process.kill(identity.pid, signal);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw RuntimeError.system(`cannot send signal ${signal} to pid ${identity.pid}`, e);
  }
}

/** Wait until the process has exited (a zombie counts), polling; false on timeout. */
export async function waitGone(identity: ProcessIdentity, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  while (liveness(identity) === 'alive') {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 50);
  }
  return true;
}

/** SIGKILL and wait: the teardown used by delete and by failed create/start. */
export async function killAndWait(identity: ProcessIdentity): Promise<void> {
  signalIfAlive(identity, 9);
  if (!(await waitGone(identity))) {
    throw new RuntimeError('SYSTEM', `pid ${identity.pid} did not exit within 10s of SIGKILL`);
  }
}
