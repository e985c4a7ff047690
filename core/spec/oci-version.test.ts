import { describe, expect, it } from 'vitest';
import { implementedOciVersion, ociVersionMax, ociVersionMin, ociVersionProblem } from './oci-version.js';

describe('ociVersionProblem', () => {
  it.each(['1.0.0', '1.0.1', '1.0.2', '1.0.2-dev', '1.1.0', '1.1.0-rc.1', '1.2.0', '1.2.0-rc.1', '1.2.1', '1.3.0', '1.3.0-dev', '1.3.0+build.5', '1.3.99', '1.0.0-rc5'])(
    'accepts %s',
    (version) => {
      expect(ociVersionProblem(version)).toBeUndefined();
    },
  );

  it.each(['0.1.0', '0.9.9', '1.4.0', '1.4.0-dev', '1.10.0', '2.0.0', '10.0.0'])('rejects the unsupported release %s', (version) => {
    expect(ociVersionProblem(version)).toBe(`ociVersion ${version} is not supported: berth implements 1.0.0 to 1.3.x`);
  });

  it.each(['1.0', '1', '', 'abc', 'v1.0.0', '1.0.0.0', '01.0.0', '1.00.0', '1.0.00', '1.0.0-', '1.0.0+', ' 1.0.0', '1.0.0 '])('rejects the malformed version %j', (version) => {
    expect(ociVersionProblem(version)).toBe(`${JSON.stringify(version)} is not a semantic version (expected MAJOR.MINOR.PATCH, such as "1.2.0")`);
  });

  it('declares the range it accepts and implements the newest version in it', () => {
    expect(ociVersionMin).toBe('1.0.0');
    expect(ociVersionMax).toBe('1.3.0');
    expect(implementedOciVersion).toBe('1.3.0');
    expect(ociVersionProblem(ociVersionMin)).toBeUndefined();
    expect(ociVersionProblem(ociVersionMax)).toBeUndefined();
  });
});
