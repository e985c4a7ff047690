import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pointerOf, tokensOf, valueAt } from './json-pointer.js';
import { validateConfigPart } from './validate-part.js';

describe('validateConfigPart: one part of a config on its own', () => {
  it('reports a process\'s problems with pointers relative to the process', () => {
    const problems = validateConfigPart('/process', { cwd: 'relative', args: [], user: { uid: 'zero', gid: 0 }, capabilities: { bounding: ['CAP_NOPE'] } });
    expect(problems).toEqual(
      expect.arrayContaining([
        { pointer: '/cwd', message: 'must be an absolute path, got "relative"' },
        { pointer: '/args', message: 'must have at least one entry: the program to run' },
        { pointer: '/user/uid', message: 'must be an integer, got "zero"' },
        { pointer: '/capabilities/bounding/0', message: 'unknown capability "CAP_NOPE"' },
      ]),
    );
    expect(problems).toHaveLength(4);
  });

  it('reports resources\' problems relative to linux.resources', () => {
    expect(validateConfigPart('/linux/resources', { memory: { limit: '1g' }, cpu: { shares: -1 } })).toEqual(
      expect.arrayContaining([
        { pointer: '/memory/limit', message: 'must be an integer, got "1g"' },
        { pointer: '/cpu/shares', message: 'must be >= 0, got -1' },
      ]),
    );
  });

  it('points at the part itself ("") when it is not an object', () => {
    expect(validateConfigPart('/process', null)).toEqual([{ pointer: '', message: 'must be an object, got null' }]);
    expect(validateConfigPart('/linux/resources', [])).toEqual([{ pointer: '', message: 'must be an object, got an array' }]);
  });

  it('accepts a valid part', () => {
    expect(validateConfigPart('/process', { cwd: '/', args: ['sh'], user: { uid: 0, gid: 0 }, terminal: true })).toEqual([]);
    expect(validateConfigPart('/linux/resources', { memory: { limit: 67108864, swap: -1 }, pids: { limit: 10 } })).toEqual([]);
  });
});

describe('validateConfigPart (property)', () => {
  it('never throws, and every pointer is relative to the part: it names a place in the part, or a missing field of one', () => {
    const part = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.record({ cwd: fc.jsonValue({ maxDepth: 1 }), args: fc.jsonValue({ maxDepth: 1 }), user: fc.jsonValue({ maxDepth: 2 }) }));
    fc.assert(
      fc.property(fc.constantFrom('/process' as const, '/linux/resources' as const), part, (pointer, value) => {
        for (const d of validateConfigPart(pointer, value)) {
          if (d.pointer === '') continue;
          const tokens = tokensOf(d.pointer);
          expect(valueAt(value, pointerOf(...tokens.slice(0, -1))), d.pointer).toBeDefined();
        }
      }),
      { numRuns: 200 },
    );
  });
});
