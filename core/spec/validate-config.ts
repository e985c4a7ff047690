import type { Diagnostic } from '../errors/runtime-error.js';
import type { Spec } from './config.js';
import { schemaDiagnostics } from './schema-diagnostics.js';
import { validateConfigSchema } from './schema/validators.generated.mjs';
import { semanticDiagnostics } from './semantic-checks.js';

/**
 * Every problem in a config.json document, each with a JSON pointer: the official v1.3.0
 * schema first, then the rules it cannot express. Empty means valid. Pure.
 */
export function validateConfig(document: unknown): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  if (!validateConfigSchema(document)) diagnostics.push(...schemaDiagnostics(document, validateConfigSchema.errors ?? []));
  const seen = new Set(diagnostics.map((d) => d.pointer));
  // The schema already spoke for these fields; a second message about the same field is noise.
  diagnostics.push(...semanticDiagnostics(document).filter((d) => !seen.has(d.pointer)));
  return diagnostics;
}

/** Narrowing helper for callers that have just validated. */
export function asSpec(document: unknown): Spec {
  return document as Spec;
}

/** Parse config.json text; a syntax error becomes a diagnostic at the document root with its position. */
export function parseConfigText(text: string): { document?: unknown; diagnostics: Diagnostic[] } {
  try {
    return { document: JSON.parse(text), diagnostics: [] };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return { diagnostics: [{ pointer: '', message: `is not valid JSON: ${message}` }] };
  }
}
