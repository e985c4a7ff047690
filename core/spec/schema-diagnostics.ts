import type { Diagnostic } from '../errors/runtime-error.js';
import { pointerOf, valueAt } from './json-pointer.js';
import type { SchemaError } from './schema/validators.generated.mjs';

/**
 * Turns ajv's schema errors into diagnostics a person can act on: the pointer names the
 * offending field itself (a missing field included), and the message says what was expected
 * and what was found. An anyOf/oneOf summary is dropped when a more precise error below it
 * already explains the problem.
 */
export function schemaDiagnostics(document: unknown, errors: readonly SchemaError[]): Diagnostic[] {
  const precise = errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf');
  const out: Diagnostic[] = [];
  for (const error of errors) {
    if ((error.keyword === 'anyOf' || error.keyword === 'oneOf') && precise.some((p) => isWithin(p.instancePath, error.instancePath))) {
      continue;
    }
    out.push(describe(document, error));
  }
  return dedupe(out);
}

function describe(document: unknown, error: SchemaError): Diagnostic {
  const found = valueAt(document, error.instancePath);
  const params = error.params;
  switch (error.keyword) {
    case 'required':
      return { pointer: error.instancePath + pointerOf(String(params.missingProperty)), message: 'is required' };
    case 'type':
      return { pointer: error.instancePath, message: `must be ${article(String(params.type))}, got ${show(found)}` };
    case 'enum':
      return {
        pointer: error.instancePath,
        message: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}; got ${show(found)}`,
      };
    case 'minimum':
    case 'maximum':
      return { pointer: error.instancePath, message: `must be ${params.comparison} ${params.limit}, got ${show(found)}` };
    case 'pattern':
      return { pointer: error.instancePath, message: `must match ${params.pattern}, got ${show(found)}` };
    case 'minItems':
      return { pointer: error.instancePath, message: `must have at least ${params.limit} item${params.limit === 1 ? '' : 's'}` };
    case 'anyOf':
    case 'oneOf':
      return { pointer: error.instancePath, message: `does not match any allowed form, got ${show(found)}` };
    default:
      return { pointer: error.instancePath, message: error.message ?? `fails schema rule ${error.keyword}` };
  }
}

function isWithin(path: string, ancestor: string): boolean {
  return path === ancestor || path.startsWith(`${ancestor}/`);
}

function article(type: string): string {
  const names: Record<string, string> = { array: 'an array', object: 'an object', integer: 'an integer', string: 'a string', boolean: 'a boolean', number: 'a number' };
  return type
    .split(',')
    .map((t) => names[t] ?? t)
    .join(' or ');
}

/** A short rendering of a found value for messages. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const text = typeof value === 'bigint' ? String(value) : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.pointer}\0${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
