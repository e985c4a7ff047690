import { RuntimeError } from '../../errors/runtime-error.js';

/** The RuntimeError an operation rejects with; anything else (or success) fails the test. */
export async function failure(p: Promise<unknown>): Promise<RuntimeError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RuntimeError) return e;
    throw e;
  }
  throw new Error('expected a RuntimeError');
}
