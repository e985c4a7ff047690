import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ContainerState, HookState } from '../state.js';
import { ociStatuses } from '../state.js';
import { defaultSpec } from '../default-spec.js';
import { validateConfigSchema, validateFeaturesSchema, validateStateSchema } from './validators.generated.mjs';

// The generator is plain JS with no declaration file; a computed specifier keeps tsc from asking for one.
const { generateValidators, outputFile } = (await import(new URL('./generate-validators.mjs', import.meta.url).href)) as {
  generateValidators(): string;
  outputFile: string;
};

describe('generated validators', () => {
  it('are fresh: regenerating from the committed schemas gives the committed module (run `npm run generate:validators`)', () => {
    expect(outputFile.endsWith('validators.generated.mjs')).toBe(true);
    const committed = fs.readFileSync(outputFile, 'utf8');
    expect(generateValidators() === committed, 'validators.generated.mjs is stale: run `npm run generate:validators`').toBe(true);
  });

  it('validate the default config against the v1.3.0 schema', () => {
    expect(validateConfigSchema(defaultSpec())).toBe(true);
    expect(validateConfigSchema({})).toBe(false);
    expect(validateConfigSchema.errors).toEqual([expect.objectContaining({ keyword: 'required', instancePath: '', params: { missingProperty: 'ociVersion' } })]);
  });

  it('report every schema error, not only the first', () => {
    expect(validateConfigSchema({ ociVersion: 1, hostname: 2, process: { cwd: 3 } })).toBe(false);
    expect(validateConfigSchema.errors!.map((e) => e.instancePath).sort()).toEqual(['/hostname', '/ociVersion', '/process/cwd']);
  });
});

describe('validateStateSchema', () => {
  const state: ContainerState = {
    ociVersion: '1.3.0',
    id: 'abc',
    pid: 4242,
    status: 'running',
    bundle: '/var/lib/bundles/abc',
    rootfs: '/var/lib/bundles/abc/rootfs',
    created: '2024-01-02T03:04:05.000000006Z',
    annotations: { 'run.berth.backend': 'native' },
    owner: '',
  };

  it('accepts the state berth writes, runc’s extra fields included', () => {
    expect(validateStateSchema(state)).toBe(true);
  });

  it('accepts every OCI status, and a stopped container with pid 0', () => {
    for (const status of ociStatuses) expect(validateStateSchema({ ...state, status, pid: status === 'stopped' ? 0 : state.pid })).toBe(true);
  });

  it('accepts the state hooks receive', () => {
    const hookState: HookState = { ociVersion: '1.3.0', id: 'abc', status: 'creating', bundle: '/b' };
    expect(validateStateSchema(hookState)).toBe(true);
  });

  it('rejects a state without its required fields or with a negative pid', () => {
    const { id: _id, ...withoutId } = state;
    expect(validateStateSchema(withoutId)).toBe(false);
    expect(validateStateSchema({ ...state, pid: -1 })).toBe(false);
    expect(validateStateSchema({ ...state, status: 'sleeping' })).toBe(false);
  });
});
