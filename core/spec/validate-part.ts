import type { Diagnostic } from '../errors/runtime-error.js';
import { defaultSpec } from './default-spec.js';
import { validateConfig } from './validate-config.js';

/**
 * Validate one part of a config on its own (exec's process.json, update's resources): it is put
 * into a default config at `pointer` and checked with the config's schema and rules; problems
 * elsewhere are dropped and pointers are made relative to the part. Pure.
 */
export function validateConfigPart(pointer: '/process' | '/linux/resources', value: unknown): Diagnostic[] {
  const probe = defaultSpec() as unknown as Record<string, Record<string, unknown>>;
  if (pointer === '/process') probe.process = value as Record<string, unknown>;
  else probe.linux!.resources = value;
  return validateConfig(probe)
    .filter((d) => d.pointer === pointer || d.pointer.startsWith(`${pointer}/`))
    .map((d) => ({ ...d, pointer: d.pointer.slice(pointer.length) }));
}
