import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSize, resourcesFromUpdateFlags } from './update-flags.js';

const units = ['', 'k', 'm', 'g'] as const;
/** A unit letter in any case, with runc's optional "i" and "b" after it. */
const unitSpelling = (unit: string) =>
  fc.tuple(fc.boolean(), fc.constantFrom('', 'i', 'I'), fc.constantFrom('', 'b', 'B')).map(([upper, i, b]) => (unit === '' ? b : `${upper ? unit.toUpperCase() : unit}${i}${b}`));

describe('parseSize (property)', () => {
  it('is the number times 1024 to the power of the unit, however the unit is spelt', () => {
    fc.assert(
      fc.property(fc.nat({ max: 1 << 20 }), fc.integer({ min: 0, max: units.length - 1 }).chain((power) => unitSpelling(units[power]!).map((spelling) => ({ power, spelling }))), (n, { power, spelling }) => {
        expect(parseSize(`${n}${spelling}`)).toBe(n * 1024 ** power);
      }),
    );
  });

  it('never throws, and answers undefined or a non-negative integer: a safe number, or a bigint beyond 2^53', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const size = parseSize(text);
        if (typeof size === 'number') expect(Number.isSafeInteger(size) && size >= 0).toBe(true);
        if (typeof size === 'bigint') expect(size > BigInt(Number.MAX_SAFE_INTEGER) && size < 2n ** 63n).toBe(true);
      }),
    );
  });

  it('is exact up to int64\'s largest value and refuses beyond it, units included', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n }), fc.integer({ min: 0, max: 5 }), (n, power) => {
        const bytes = n * 1024n ** BigInt(power);
        const size = parseSize(`${n}${['', 'k', 'm', 'g', 't', 'p'][power]}`);
        if (bytes >= 2n ** 63n) expect(size).toBeUndefined();
        else expect(size).toStrictEqual(bytes > BigInt(Number.MAX_SAFE_INTEGER) ? bytes : Number(bytes));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('resourcesFromUpdateFlags with 64-bit values (property)', () => {
  const fields = { 'cpu-shares': ['shares', 0n, 2n ** 64n - 1n], 'cpu-quota': ['quota', -1n, 2n ** 63n - 1n], 'cpu-period': ['period', 0n, 2n ** 64n - 1n], 'cpu-rt-runtime': ['realtimeRuntime', -1n, 2n ** 63n - 1n] } as const;
  it('sets the exact value within the field\'s type and names the flag beyond it', () => {
    fc.assert(
      fc.property(fc.constantFrom(...(Object.keys(fields) as (keyof typeof fields)[])), fc.bigInt({ min: -2n, max: 2n ** 64n + 2n }), (flag, n) => {
        const [field, min, max] = fields[flag];
        const { resources, diagnostics } = resourcesFromUpdateFlags({}, { [flag]: String(n) });
        if (n < min || n > max) expect(diagnostics.map((d) => d.pointer)).toEqual([`--${flag}`]);
        else expect(resources.cpu?.[field]).toStrictEqual(n > BigInt(Number.MAX_SAFE_INTEGER) ? n : Number(n));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('resourcesFromUpdateFlags (property)', () => {
  const sizeFlags = { memory: 'limit', 'memory-reservation': 'reservation', 'memory-swap': 'swap', 'kernel-memory-tcp': 'kernelTCP' } as const;
  const cpuFlags = { 'cpu-shares': 'shares', 'cpu-period': 'period', 'cpu-burst': 'burst', 'cpu-rt-period': 'realtimePeriod' } as const;

  it('sets each given flag\'s field and nothing else, without problems', () => {
    const sizes = fc.dictionary(fc.constantFrom(...Object.keys(sizeFlags)), fc.oneof(fc.constant(-1), fc.nat({ max: 1 << 30 })), { maxKeys: 4 });
    const counts = fc.dictionary(fc.constantFrom(...Object.keys(cpuFlags)), fc.nat({ max: 1_000_000 }), { maxKeys: 4 });
    fc.assert(
      fc.property(sizes, counts, (sizeValues, cpuValues) => {
        const flags = Object.fromEntries([...Object.entries(sizeValues), ...Object.entries(cpuValues)].map(([k, v]) => [k, String(v)]));
        const { resources, diagnostics } = resourcesFromUpdateFlags({}, flags);
        expect(diagnostics).toEqual([]);
        const memory = Object.fromEntries(Object.entries(sizeValues).map(([flag, v]) => [sizeFlags[flag as keyof typeof sizeFlags], v]));
        const cpu = Object.fromEntries(Object.entries(cpuValues).map(([flag, v]) => [cpuFlags[flag as keyof typeof cpuFlags], v]));
        expect(resources).toEqual({ ...(Object.keys(memory).length > 0 ? { memory } : {}), ...(Object.keys(cpu).length > 0 ? { cpu } : {}) });
      }),
    );
  });

  it('names every flag whose value is not a number, and only those', () => {
    const flagNames = [...Object.keys(sizeFlags), ...Object.keys(cpuFlags), 'pids-limit', 'blkio-weight', 'cpu-quota'];
    const junk = fc.stringMatching(/^[a-z]{1,8}$/).filter((s) => parseSize(s) === undefined);
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...flagNames), junk, { minKeys: 1 }), (flags) => {
        const { diagnostics } = resourcesFromUpdateFlags({}, flags);
        expect(diagnostics.map((d) => d.pointer).sort()).toEqual(Object.keys(flags).map((f) => `--${f}`).sort());
        for (const d of diagnostics) expect(d.message).toContain(JSON.stringify(flags[d.pointer.slice(2)]));
      }),
    );
  });
});
