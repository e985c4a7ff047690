import type { Diagnostic } from '../errors/runtime-error.js';
import type { Spec } from './config.js';
import { parseExactJson } from './exact-json.js';
import { bigintProblem, bigintsIn, integer64TypeAt, numberView } from './integer64-fields.js';
import { valueAt } from './json-pointer.js';
import { schemaDiagnostics } from './schema-diagnostics.js';
import { validateConfigSchema, type SchemaError } from './schema/validators.generated.mjs';
import { semanticDiagnostics } from './semantic-checks.js';

/**
 * Every problem in a config.json document, each with a JSON pointer: the official v1.3.0
 * schema first, then the rules it cannot express. Empty means valid. Pure.
 *
 * The document may hold bigints (exact-json.ts: integers beyond ±(2^53−1)). The schema validator
 * sees each as its nearest double, which can land on the wrong side of an int64/uint64 bound
 * (2^63−1 and 2^64−1 are not doubles), so its range verdicts there are replaced by exact ones.
 */
export function validateConfig(document: unknown): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const bigints = bigintsIn(document);
  const exactRange = new Set(bigints.filter((b) => integer64TypeAt(b.pointer)).map((b) => b.pointer));
  if (!validateConfigSchema(bigints.length > 0 ? numberView(document) : document)) {
    const errors = (validateConfigSchema.errors ?? []).filter(
      (e) => !isDeviceModeWithItsType(document, e) && !(exactRange.has(e.instancePath) && (e.keyword === 'minimum' || e.keyword === 'maximum')),
    );
    // One by one, not push(...): a long array in the config has more problems than a call has room for arguments.
    for (const d of schemaDiagnostics(document, errors)) diagnostics.push(d);
  }
  for (const { pointer, value } of bigints) {
    const problem = diagnostics.some((d) => d.pointer === pointer) ? undefined : bigintProblem(pointer, value);
    if (problem) diagnostics.push(problem);
  }
  const seen = new Set(diagnostics.map((d) => d.pointer));
  // The schema already spoke for these fields; a second message about the same field is noise.
  for (const d of semanticDiagnostics(document)) if (!seen.has(d.pointer)) diagnostics.push(d);
  return diagnostics;
}

/** The file type bits of each device type, as stat(2) reports them. */
const deviceTypeBits: Record<string, number> = { c: 0o020000, u: 0o020000, b: 0o060000, p: 0o010000 };

/**
 * A device's fileMode with its own file type bits (S_IFCHR | 0666 = 8630): the schema allows
 * permission bits only, but podman writes these for every --device and --privileged device, and
 * runc and crun accept them. Only type bits that agree with the device's type are let through.
 */
function isDeviceModeWithItsType(document: unknown, error: SchemaError): boolean {
  const match = /^\/linux\/devices\/(\d+)\/fileMode$/.exec(error.instancePath);
  if (!match || error.keyword !== 'maximum') return false;
  const device = valueAt(document, `/linux/devices/${match[1]}`) as { type?: unknown; fileMode?: unknown } | undefined;
  const typeBits = typeof device?.type === 'string' ? deviceTypeBits[device.type] : undefined;
  return typeBits !== undefined && Number.isInteger(device!.fileMode) && ((device!.fileMode as number) & ~0o777) === typeBits;
}

/** Narrowing helper for callers that have just validated. */
export function asSpec(document: unknown): Spec {
  return document as Spec;
}

/**
 * Parse config.json text exactly (exact-json.ts); a syntax error becomes a diagnostic at the
 * document root with its position, and a repeated key, too deep a nesting or a number without
 * an exact value one at its pointer.
 */
export function parseConfigText(text: string): { document?: unknown; diagnostics: Diagnostic[] } {
  const { value, diagnostics } = parseExactJson(text);
  return value === undefined ? { diagnostics } : { document: value, diagnostics };
}
