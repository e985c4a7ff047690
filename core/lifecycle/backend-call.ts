import { RuntimeError, describeCause } from '../errors/runtime-error.js';

/**
 * Call into a backend: a RuntimeError passes through unchanged (backends speak berth's error
 * language), anything else is wrapped with its cause and the backend and step named.
 */
export async function callBackend<T>(backend: string, step: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof RuntimeError) throw e;
    throw new RuntimeError('BACKEND', `backend ${backend}: ${step} failed: ${describeCause(e)}`, { cause: e });
  }
}
