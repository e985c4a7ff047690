import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { containerIdProblem, maxIdLength } from './container-id.js';

const validId = fc.stringMatching(/^[A-Za-z0-9_+.-]{1,255}$/).filter((id) => id !== '.' && id !== '..');

describe('container id properties', () => {
  it('accepts every id of 1..255 letters, digits and "_+.-" other than "." and ".."', () => {
    fc.assert(
      fc.property(validId, (id) => {
        expect(containerIdProblem(id)).toBeUndefined();
      }),
    );
  });

  it('rejects any id containing "/" or NUL, wherever it is', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), fc.constantFrom('/', '\0'), fc.string({ maxLength: 100 }), (before, bad, after) => {
        expect(containerIdProblem(before + bad + after)).toBeDefined();
      }),
    );
  });

  it('rejects any id longer than 255 characters', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_+.-]{256,300}$/), (id) => {
        expect(containerIdProblem(id)).toMatch(/longer than 255/);
      }),
    );
  });

  it('accepts exactly the ids matching the pattern, within the length bound, other than "." and ".."', () => {
    fc.assert(
      fc.property(fc.oneof(validId, fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 20 })), (id) => {
        const expected = id.length >= 1 && id.length <= maxIdLength && /^[A-Za-z0-9_+.-]+$/.test(id) && id !== '.' && id !== '..';
        expect(containerIdProblem(id) === undefined).toBe(expected);
      }),
    );
  });

  it('names the id in the problem (ids short enough to quote)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }).filter((id) => containerIdProblem(id) !== undefined), (id) => {
        expect(containerIdProblem(id)).toContain(JSON.stringify(id));
      }),
    );
  });

  it('rejects the empty id', () => {
    expect(containerIdProblem('')).toBeDefined();
  });
});
