import fc from 'fast-check';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { unsafeIdArgument } from '../conformance/runtime-driver.js';
import { describeCase, fuzzCase } from './generators.js';
import { emit, evaluate, toNode } from './json-text.js';
import { caseDocument } from './run-case.js';

const base = toNode({ ociVersion: '1.2.0', process: { user: { uid: 0, gid: 0 }, args: ['/berth-probe'], env: ['PATH=/bin'], cwd: '/' }, root: { path: 'rootfs' }, mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }], linux: { namespaces: [{ type: 'mount' }], cgroupsPath: '/berth-fuzz-x-1' } });

describe('fuzz cases cannot reach the host through the runtime', () => {
  it('no namespace path, hook program or bind source that exists; never an id naming --root or above', () => {
    fc.assert(
      fc.property(fuzzCase, (c) => {
        const doc = evaluate(caseDocument(c, base)) as Record<string, any> | undefined;
        const linux = doc && typeof doc === 'object' ? doc.linux : undefined;
        for (const ns of Array.isArray(linux?.namespaces) ? linux.namespaces : []) {
          if (typeof ns?.path === 'string' && ns.path.startsWith('/')) expect(existsSync(ns.path)).toBe(false);
        }
        const hooks = doc?.hooks && typeof doc.hooks === 'object' ? Object.values(doc.hooks) : [];
        for (const list of hooks) for (const hook of Array.isArray(list) ? list : []) if (typeof hook?.path === 'string' && hook.path !== '') expect(existsSync(hook.path)).toBe(false);
        for (const m of Array.isArray(doc?.mounts) ? doc.mounts : []) if (typeof m?.source === 'string' && m.source.startsWith('/') && m.source !== '/') expect(existsSync(m.source) && (m.type === 'bind' || (m.options ?? []).includes?.('rbind'))).toBe(false);
        for (const arg of c.call.args) {
          expect(arg.includes('\0')).toBe(false);
          expect(unsafeIdArgument('/run/case/root', arg.replaceAll('{id}', 'fz1-1').replaceAll('{bundle}', '/run/case').replaceAll('{dir}', '/run/case'))).toBe(false);
        }
        expect(describeCase(c).length).toBeGreaterThan(0);
        expect(typeof emit(caseDocument(c, base))).toBe('string');
      }),
      { numRuns: 300 },
    );
  });
});
