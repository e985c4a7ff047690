import { describe, expect, it } from 'vitest';
import { containerIdProblem, maxIdLength } from './container-id.js';

describe('containerIdProblem', () => {
  it.each(['a', 'abc', 'my-container_1', 'A.B+C-D_E', '...', '.a', 'a..', '0', 'x'.repeat(maxIdLength)])('accepts %j', (id) => {
    expect(containerIdProblem(id)).toBeUndefined();
  });

  it.each([
    ['', 'container id cannot be empty'],
    ['.', 'invalid container id ".": cannot be "." or ".."'],
    ['..', 'invalid container id "..": cannot be "." or ".."'],
    ['a/b', 'invalid container id "a/b": only letters, digits and "_+.-" are allowed'],
    ['../etc', 'invalid container id "../etc": only letters, digits and "_+.-" are allowed'],
    ['a b', 'invalid container id "a b": only letters, digits and "_+.-" are allowed'],
    ['a\0', 'invalid container id "a\\u0000": only letters, digits and "_+.-" are allowed'],
    ['é', 'invalid container id "é": only letters, digits and "_+.-" are allowed'],
    ['a\n', 'invalid container id "a\\n": only letters, digits and "_+.-" are allowed'],
    ['x'.repeat(maxIdLength + 1), 'invalid container id: longer than 255 characters'],
  ])('rejects %j: %s', (id, problem) => {
    expect(containerIdProblem(id)).toBe(problem);
  });

  it('bounds ids at NAME_MAX', () => {
    expect(maxIdLength).toBe(255);
  });
});
