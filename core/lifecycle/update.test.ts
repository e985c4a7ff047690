import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { Spec } from '../spec/config.js';
import type { LinuxResources } from '../spec/resources.js';
import { engineFixture } from './test-support/engine-fixture.js';
import { failure } from './test-support/failure.js';
import { mergeResources } from './update.js';

describe('mergeResources: update\'s semantics', () => {
  const current: LinuxResources = {
    memory: { limit: 100, reservation: 50 },
    cpu: { shares: 1024, cpus: '0-1' },
    devices: [{ allow: false, access: 'rwm' }],
    unified: { 'memory.high': '90' },
  };

  it('changes only the fields present, merging objects field by field', () => {
    expect(mergeResources(current, { memory: { limit: 200 }, pids: { limit: 10 }, unified: { 'io.weight': '50' } })).toEqual({
      memory: { limit: 200, reservation: 50 },
      cpu: { shares: 1024, cpus: '0-1' },
      devices: [{ allow: false, access: 'rwm' }],
      unified: { 'memory.high': '90', 'io.weight': '50' },
      pids: { limit: 10 },
    });
  });

  it('replaces lists whole', () => {
    expect(mergeResources(current, { devices: [{ allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }] }).devices).toEqual([{ allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }]);
  });

  it('skips fields given as undefined and changes neither input', () => {
    const before = structuredClone(current);
    const change: LinuxResources = { memory: { limit: undefined, swap: -1 } };
    expect(mergeResources(current, change).memory).toEqual({ limit: 100, reservation: 50, swap: -1 });
    expect(current).toEqual(before);
    expect(change).toEqual({ memory: { limit: undefined, swap: -1 } });
  });
});

describe('mergeResources (property)', () => {
  const leaf = fc.oneof(fc.integer(), fc.string({ maxLength: 4 }), fc.boolean(), fc.array(fc.integer(), { maxLength: 3 }));
  const tree = fc.letrec((tie) => ({
    node: fc.dictionary(fc.constantFrom('memory', 'cpu', 'limit', 'shares', 'swap', 'x'), fc.oneof({ depthSize: 'small' }, leaf, tie('node')), { maxKeys: 4 }),
  })).node as fc.Arbitrary<Record<string, unknown>>;

  /** Every path to a value that is not a plain object, with that value. */
  function leaves(o: Record<string, unknown>, prefix = ''): [string, unknown][] {
    return Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? leaves(v as Record<string, unknown>, `${prefix}/${k}`) : [[`${prefix}/${k}`, v] as [string, unknown]]));
  }

  it('the result holds every leaf of the change; an empty change, or the same change twice, changes nothing more', () => {
    fc.assert(
      fc.property(tree, tree, (a, b) => {
        const merged = mergeResources(a as LinuxResources, b as LinuxResources) as Record<string, unknown>;
        const found = new Map(leaves(merged));
        for (const [path, v] of leaves(b)) expect(found.get(path)).toEqual(v);
        expect(mergeResources(a as LinuxResources, {})).toEqual(a);
        expect(mergeResources(merged as LinuxResources, b as LinuxResources)).toEqual(merged);
      }),
    );
  });
});

describe('UpdateOperation', () => {
  let f: ReturnType<typeof engineFixture>;
  afterEach(() => f?.cleanup());
  const frozen = (id: string) => f.store.readFrozenConfig(id) as Spec;

  it('hands the backend only the change, and merges it into the frozen config for later readers', async () => {
    f = engineFixture();
    await f.container('u1', { edit: (s) => (s.linux = { ...s.linux, resources: { memory: { limit: 100, reservation: 50 }, cpu: { shares: 1024 } } }) });
    await f.update.update('u1', { memory: { limit: 200 }, pids: { limit: 10 } }, 'update flags');
    expect(f.backend.calls.at(-1)).toEqual({ op: 'update', id: 'u1', detail: { memory: { limit: 200 }, pids: { limit: 10 } } });
    expect(frozen('u1').linux!.resources).toEqual({ memory: { limit: 200, reservation: 50 }, cpu: { shares: 1024 }, pids: { limit: 10 } });
  });

  it('refuses invalid resources with pointers relative to linux.resources, naming where they came from, before calling the backend', async () => {
    f = engineFixture();
    await f.container('u2');
    const before = JSON.stringify(frozen('u2'));
    const e = await failure(f.update.update('u2', { memory: { limit: '1g' as unknown as number } }, 'stdin'));
    expect(e.kind).toBe('INVALID_SPEC');
    expect(e.message).toBe('invalid stdin: 1 problem: /memory/limit: must be an integer, got "1g"');
    expect(f.backend.calls.some((c) => c.op === 'update')).toBe(false);
    expect(JSON.stringify(frozen('u2'))).toBe(before);
  });

  it('refuses a stopped container with "container not running"', async () => {
    f = engineFixture();
    await f.container('u3');
    await f.stop('u3');
    const e = await failure(f.update.update('u3', { memory: { limit: 1 } }, 'update flags'));
    expect(e.message).toBe('u3: container not running');
  });

  it('a backend without update refuses it by name and the frozen config stays as it was', async () => {
    f = engineFixture();
    await f.container('u4', { edit: (s) => (s.annotations = { 'run.berth.backend': 'minimal' }) });
    const before = JSON.stringify(frozen('u4'));
    const e = await failure(f.update.update('u4', { memory: { limit: 1 } }, 'update flags'));
    expect(e.message).toBe('u4: the minimal backend does not support update');
    expect(JSON.stringify(frozen('u4'))).toBe(before);
  });
});
