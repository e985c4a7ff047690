import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDuration } from './events.js';

describe('parseDuration: Go durations for --interval', () => {
  it.each([
    ['5s', 5000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['1.5h', 5_400_000],
    ['2h45m10s', 9_910_000],
    ['250us', 0.25],
    ['250µs', 0.25],
    ['250μs', 0.25],
    ['1000000ns', 1],
    ['0', 0],
    ['0s', 0],
  ])('%j is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each(['', 'x', '5', '-5s', '5 s', 's', '5d', '5S', '1h 30m', '00', '5s!'])('%j is malformed', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('parseDuration (property)', () => {
  it('a sequence of parts is the sum of the parts', () => {
    const units = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;
    const part = fc.tuple(fc.nat({ max: 1000 }), fc.constantFrom(...(Object.keys(units) as (keyof typeof units)[])));
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 5 }), (parts) => {
        const text = parts.map(([n, u]) => `${n}${u}`).join('');
        expect(parseDuration(text)).toBe(parts.reduce((sum, [n, u]) => sum + n * units[u], 0));
      }),
    );
  });
});
