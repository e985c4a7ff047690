import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ociVersionProblem } from './oci-version.js';
import { ociVersion } from './test-support/arbitrary-config.js';

const suffix = fc.constantFrom('', '-dev', '-rc.1', '-rc2', '+build.1', '-rc.1+abc');

describe('ociVersion properties', () => {
  it('accepts every 1.0.0..1.3.x version, with any pre-release or build suffix', () => {
    fc.assert(
      fc.property(ociVersion, (version) => {
        expect(ociVersionProblem(version)).toBeUndefined();
      }),
    );
  });

  it('accepts MAJOR.MINOR.PATCH exactly when MAJOR is 1 and MINOR at most 3', () => {
    fc.assert(
      fc.property(fc.nat({ max: 20 }), fc.nat({ max: 20 }), fc.nat({ max: 1000 }), suffix, (major, minor, patch, s) => {
        const accepted = ociVersionProblem(`${major}.${minor}.${patch}${s}`) === undefined;
        expect(accepted).toBe(major === 1 && minor <= 3);
      }),
    );
  });

  it('rejects versions with fewer than three parts', () => {
    fc.assert(
      fc.property(fc.nat({ max: 20 }), fc.option(fc.nat({ max: 20 }), { nil: undefined }), (major, minor) => {
        expect(ociVersionProblem(minor === undefined ? `${major}` : `${major}.${minor}`)).toMatch(/not a semantic version/);
      }),
    );
  });
});
