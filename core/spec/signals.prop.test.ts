import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSignal, signalName, SIGRTMAX } from './signals.js';

const named = Array.from({ length: SIGRTMAX }, (_, i) => i + 1).filter((n) => signalName(n) !== undefined);

describe('signal properties', () => {
  it('names every signal from 1 to 64 except 32 and 33', () => {
    expect(named).toHaveLength(62);
    expect(named).not.toContain(32);
    expect(named).not.toContain(33);
  });

  it('parseSignal reads back every name and every number', () => {
    fc.assert(
      fc.property(fc.constantFrom(...named), (n) => {
        const name = signalName(n)!;
        expect(parseSignal(name)).toBe(n);
        expect(parseSignal(String(n))).toBe(n);
        expect(parseSignal(name.toLowerCase())).toBe(n);
        expect(parseSignal(name.slice('SIG'.length))).toBe(n);
      }),
    );
  });

  it('accepts every number from 1 to 64 and nothing outside', () => {
    fc.assert(
      fc.property(fc.integer({ min: -100, max: 10_000 }), (n) => {
        expect(parseSignal(String(n))).toBe(n >= 1 && n <= SIGRTMAX ? n : undefined);
      }),
    );
  });

  it('parses to a number within 1..64 or to undefined, whatever the text', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const n = parseSignal(text);
        if (n !== undefined) {
          expect(Number.isInteger(n)).toBe(true);
          expect(n).toBeGreaterThanOrEqual(1);
          expect(n).toBeLessThanOrEqual(SIGRTMAX);
        }
      }),
    );
  });
});
