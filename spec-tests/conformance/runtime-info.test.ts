import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseOciVersion, compareVersions } from './runtime-info.js';

describe('chooseOciVersion', () => {
  it('takes 1.0.2 for runc 1.1 (features: 1.0.0 to 1.0.2-dev), crun 1.8 (spec 1.0.0, so 1.0.x) and berth (1.0.0 to 1.3.0)', () => {
    expect(chooseOciVersion([{ min: '1.0.0', max: '1.0.2-dev' }, { max: '1.0.999' }, { min: '1.0.0', max: '1.3.0' }])).toBe('1.0.2');
  });

  it('picks a later version only when a runtime needs it', () => {
    expect(chooseOciVersion([{ min: '1.2.0', max: '1.3.0' }])).toBe('1.2.0');
    expect(chooseOciVersion([])).toBe('1.0.2');
  });

  it('whatever it picks lies in every range it can satisfy', () => {
    const version = fc.tuple(fc.constant(1), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })).map((p) => p.join('.'));
    const range = fc.tuple(version, version).map(([a, b]) => (compareVersions(a, b) <= 0 ? { min: a, max: b } : { min: b, max: a }));
    fc.assert(
      fc.property(fc.array(range, { maxLength: 3 }), (ranges) => {
        const v = chooseOciVersion(ranges);
        const satisfiable = ['1.0.2', '1.0.0', '1.1.0', '1.2.0', '1.3.0'].some((c) => ranges.every((r) => compareVersions(c, r.min) >= 0 && compareVersions(c, r.max) <= 0));
        if (satisfiable) for (const r of ranges) expect(compareVersions(v, r.min) >= 0 && compareVersions(v, r.max) <= 0).toBe(true);
      }),
    );
  });
});
