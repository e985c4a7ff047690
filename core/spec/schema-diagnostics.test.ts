import { describe, expect, it } from 'vitest';
import { schemaDiagnostics, show } from './schema-diagnostics.js';
import type { SchemaError } from './schema/validators.generated.mjs';

const error = (keyword: string, instancePath: string, params: Record<string, unknown> = {}, message?: string): SchemaError => ({
  keyword,
  instancePath,
  schemaPath: '#/x',
  params,
  message,
});

describe('schemaDiagnostics', () => {
  const doc = { process: { args: 'sh', cwd: 5, user: { uid: -1 } }, linux: { namespaces: [{ type: 'foo' }] }, list: [1, 2] };

  it('points a missing field at the field itself, escaping its name', () => {
    expect(schemaDiagnostics(doc, [error('required', '/process', { missingProperty: 'cwd' })])).toEqual([{ pointer: '/process/cwd', message: 'is required' }]);
    expect(schemaDiagnostics(doc, [error('required', '', { missingProperty: 'a/b' })])).toEqual([{ pointer: '/a~1b', message: 'is required' }]);
  });

  it('says what was expected and what was found', () => {
    expect(schemaDiagnostics(doc, [error('type', '/process/args', { type: 'array' })])).toEqual([{ pointer: '/process/args', message: 'must be an array, got "sh"' }]);
    expect(schemaDiagnostics(doc, [error('type', '/process/cwd', { type: 'string' })])).toEqual([{ pointer: '/process/cwd', message: 'must be a string, got 5' }]);
    expect(schemaDiagnostics(doc, [error('type', '/process/cwd', { type: 'string,null' })])).toEqual([{ pointer: '/process/cwd', message: 'must be a string or null, got 5' }]);
    expect(schemaDiagnostics(doc, [error('minimum', '/process/user/uid', { comparison: '>=', limit: 0 })])).toEqual([{ pointer: '/process/user/uid', message: 'must be >= 0, got -1' }]);
    expect(schemaDiagnostics(doc, [error('enum', '/linux/namespaces/0/type', { allowedValues: ['pid', 'uts'] })])).toEqual([
      { pointer: '/linux/namespaces/0/type', message: 'must be one of "pid", "uts"; got "foo"' },
    ]);
    expect(schemaDiagnostics(doc, [error('pattern', '/process/args', { pattern: '^a$' })])).toEqual([{ pointer: '/process/args', message: 'must match ^a$, got "sh"' }]);
    expect(schemaDiagnostics(doc, [error('minItems', '/list', { limit: 1 })])).toEqual([{ pointer: '/list', message: 'must have at least 1 item' }]);
    expect(schemaDiagnostics(doc, [error('minItems', '/list', { limit: 3 })])).toEqual([{ pointer: '/list', message: 'must have at least 3 items' }]);
  });

  it('falls back to ajv’s message, or names the rule, for other keywords', () => {
    expect(schemaDiagnostics(doc, [error('maxLength', '/process/args', {}, 'must NOT have more than 1 characters')])).toEqual([
      { pointer: '/process/args', message: 'must NOT have more than 1 characters' },
    ]);
    expect(schemaDiagnostics(doc, [error('uniqueItems', '/list')])).toEqual([{ pointer: '/list', message: 'fails schema rule uniqueItems' }]);
  });

  it('drops an anyOf/oneOf summary when a precise error at or below it explains the problem', () => {
    const errors = [error('enum', '/linux/namespaces/0/type', { allowedValues: ['pid'] }), error('anyOf', '/linux/namespaces/0')];
    expect(schemaDiagnostics(doc, errors).map((d) => d.pointer)).toEqual(['/linux/namespaces/0/type']);
    expect(schemaDiagnostics(doc, [error('type', '/list', { type: 'object' }), error('oneOf', '/list')]).map((d) => d.pointer)).toEqual(['/list']);
  });

  it('keeps the summary when nothing below it is precise, and does not confuse sibling prefixes', () => {
    expect(schemaDiagnostics(doc, [error('anyOf', '/list')])).toEqual([{ pointer: '/list', message: 'does not match any allowed form, got an array' }]);
    const errors = [error('type', '/list2', { type: 'object' }), error('oneOf', '/list')];
    expect(schemaDiagnostics(doc, errors).map((d) => d.pointer)).toEqual(['/list2', '/list']);
  });

  it('reports the same problem once', () => {
    const e = error('type', '/process/args', { type: 'array' });
    expect(schemaDiagnostics(doc, [e, { ...e }])).toHaveLength(1);
  });
});

describe('show', () => {
  it('renders found values briefly', () => {
    expect(show(undefined)).toBe('nothing');
    expect(show(null)).toBe('null');
    expect(show([1])).toBe('an array');
    expect(show({})).toBe('an object');
    expect(show('x')).toBe('"x"');
    expect(show(1.5)).toBe('1.5');
    expect(show(false)).toBe('false');
    expect(show('a'.repeat(100))).toBe(`"${'a'.repeat(56)}...`);
    expect(show('a'.repeat(100))).toHaveLength(60);
    expect(show('a'.repeat(58))).toBe(`"${'a'.repeat(58)}"`);
  });
});
