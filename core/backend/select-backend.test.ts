import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RuntimeError } from '../errors/runtime-error.js';
import type { Spec } from '../spec/config.js';
import type { Descriptor } from './backend.js';
import { DescriptorRegistry } from './backend-registry.js';
import { selectBackend } from './select-backend.js';

const never = async () => {
  throw new Error('engines are not loaded by selection');
};
const descriptors: Descriptor[] = [
  { kind: 'backend', name: 'native', description: '', load: never },
  { kind: 'backend', name: 'wasm', description: '', load: never, canHandle: (s) => s.process?.args?.[0]?.endsWith('.wasm') === true },
  { kind: 'backend', name: 'zone', description: '', load: never },
  { kind: 'payload', name: 'deno', description: '', load: never, canHandle: (s) => s.process?.args?.[0]?.endsWith('.ts') === true },
];
const spec = (annotations: Record<string, string> = {}, program = '/bin/sh'): Spec => ({
  ociVersion: '1.3.0',
  annotations,
  process: { cwd: '/', user: { uid: 0, gid: 0 }, args: [program] },
});
const pick = (s: Spec, cli?: string) => selectBackend(s, descriptors, cli);
function refusal(f: () => unknown): RuntimeError {
  try {
    f();
  } catch (e) {
    if (e instanceof RuntimeError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('selectBackend: the selection order', () => {
  it('1. a CRI sandbox container always gets native, whatever else asks', () => {
    const s = spec({ 'io.kubernetes.cri.container-type': 'sandbox', 'run.berth.backend': 'zone', 'run.oci.handler': 'wasm' }, 'x.wasm');
    expect(pick(s, 'zone')).toMatchObject({ name: 'native' });
  });

  it('2. --backend with a different annotation is an error naming both; the same one agrees', () => {
    const e = refusal(() => pick(spec({ 'run.berth.backend': 'zone' }), 'wasm'));
    expect(e.message).toBe('--backend wasm conflicts with annotation run.berth.backend, which selects zone');
    expect(e.diagnostics[0]!.pointer).toBe('/annotations/run.berth.backend');
    expect(pick(spec({ 'run.berth.backend': 'zone' }), 'zone')).toMatchObject({ name: 'zone' });
    expect(refusal(() => pick(spec({ 'run.oci.handler': 'wasm' }), 'native')).message).toContain('conflicts with annotation run.oci.handler');
    expect(pick(spec(), 'zone')).toEqual({ name: 'zone', reason: '--backend zone' });
  });

  it('3. run.berth.backend selects, and an unknown name lists the available ones', () => {
    expect(pick(spec({ 'run.berth.backend': 'zone' }))).toMatchObject({ name: 'zone' });
    const e = refusal(() => pick(spec({ 'run.berth.backend': 'nope' })));
    expect(e.message).toContain('selects backend "nope", which is not available; available: native, wasm, zone, deno');
    expect(e.diagnostics[0]!.pointer).toBe('/annotations/run.berth.backend');
  });

  it('4. crun keys: wasm and compat always, -smart variants only for a .wasm/.wat program', () => {
    expect(pick(spec({ 'run.oci.handler': 'wasm' }))).toMatchObject({ name: 'wasm' });
    expect(pick(spec({ 'module.wasm.image/variant': 'compat' }))).toMatchObject({ name: 'wasm' });
    expect(pick(spec({ 'run.oci.handler': 'wasm-smart' }, '/app/main.wasm'))).toMatchObject({ name: 'wasm' });
    expect(pick(spec({ 'module.wasm.image/variant': 'compat-smart' }, '/app/main.wat'))).toMatchObject({ name: 'wasm' });
    expect(pick(spec({ 'run.oci.handler': 'wasm-smart' }, '/bin/sh'))).toMatchObject({ name: 'native', reason: 'default' });
    expect(pick(spec({ 'module.wasm.image/variant': 'compat-smart' }, '/bin/sh'))).toMatchObject({ name: 'native' });
    expect(refusal(() => pick(spec({ 'run.oci.handler': 'krun' }))).diagnostics[0]!.pointer).toBe('/annotations/run.oci.handler');
    expect(refusal(() => pick(spec({ 'run.berth.backend': 'zone', 'run.oci.handler': 'wasm' }))).message).toContain('selects zone but annotation run.oci.handler');
  });

  it('5. canHandle probing, in registration order; a payload handler runs on its isolation backend', () => {
    expect(pick(spec({}, '/m.wasm'))).toMatchObject({ name: 'wasm', reason: 'wasm can handle this config' });
    expect(pick(spec({}, '/app.ts'))).toEqual({ name: 'native', payload: 'deno', reason: 'deno can handle this config' });
  });

  it('6. native otherwise', () => {
    expect(pick(spec())).toEqual({ name: 'native', reason: 'default' });
  });

  it('is deterministic and never loads an engine (property)', () => {
    const annotation = fc.option(fc.constantFrom('native', 'wasm', 'zone', 'deno', 'nope'), { nil: undefined });
    fc.assert(
      fc.property(annotation, fc.option(fc.constantFrom('wasm', 'wasm-smart', 'krun'), { nil: undefined }), fc.constantFrom('/bin/sh', '/a.wasm', '/a.ts'), annotation, (own, handler, program, cli) => {
        const annotations: Record<string, string> = {};
        if (own) annotations['run.berth.backend'] = own;
        if (handler) annotations['run.oci.handler'] = handler;
        const s = spec(annotations, program);
        let first: unknown;
        let second: unknown;
        try {
          first = pick(s, cli);
        } catch (e) {
          first = (e as RuntimeError).message;
        }
        try {
          second = pick(s, cli);
        } catch (e) {
          second = (e as RuntimeError).message;
        }
        expect(second).toEqual(first);
        if (typeof first === 'object') expect(['native', 'wasm', 'zone']).toContain((first as { name: string }).name);
      }),
    );
  });

  it('the registry refuses duplicate names and reports an unregistered engine clearly', async () => {
    expect(() => new DescriptorRegistry([descriptors[0]!, descriptors[0]!])).toThrow('backend native registered twice');
    await expect(new DescriptorRegistry(descriptors).backend('ghost')).rejects.toThrow('backend "ghost" is not registered in this berth build');
  });
});
