import { RuntimeError } from '../errors/runtime-error.js';

/** The Backend methods a backend may lack, each with the berth command that needs it. */
export const optionalVerbCommands = {
  pause: 'pause',
  resume: 'resume',
  update: 'update',
  stats: 'events',
  watchOom: 'events',
  processes: 'ps',
  exec: 'exec',
} as const;

export type OptionalVerb = keyof typeof optionalVerbCommands;

/**
 * The refusal for a backend without one of the optional verbs, naming the command the user ran.
 * A backend whose support is only known at call time (an rpc backend program that answers
 * MethodNotFound) throws this same error, so the user cannot tell the two cases apart.
 */
export function unsupportedVerb(backendName: string, id: string, verb: OptionalVerb): RuntimeError {
  return new RuntimeError('UNSUPPORTED', `${id}: the ${backendName} backend does not support ${optionalVerbCommands[verb]}`);
}
