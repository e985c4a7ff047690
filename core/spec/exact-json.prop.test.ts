import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeToken } from './json-pointer.js';
import { exactNumber, maxIntegerDigits, maxJsonDepth, parseExactJson, stringifyExactJson } from './exact-json.js';

const maxSafe = BigInt(Number.MAX_SAFE_INTEGER);
/** Integers far past both ends of every 64-bit type, dense around the bounds that matter. */
const around = (n: bigint) => fc.bigInt({ min: n - 4096n, max: n + 4096n });
const integer = fc.oneof(
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }),
  around(2n ** 53n), around(-(2n ** 53n)), around(2n ** 63n), around(-(2n ** 63n)), around(2n ** 64n), around(10n ** 20n),
);
const digitCount = (n: bigint) => (n < 0n ? -n : n).toString().length;
/** What the reader must give for an integer: a number when safe, else the bigint, else a refusal. */
const expected = (n: bigint) => (n >= -maxSafe && n <= maxSafe ? Number(n) : n);

describe('parseExactJson: integers keep their exact value', () => {
  it('reads every integer from its decimal text exactly, and writes it back as the same text', () => {
    fc.assert(
      fc.property(integer, (n) => {
        const text = `{"v":${n}}`;
        const result = parseExactJson(text);
        if (digitCount(n) > maxIntegerDigits) {
          expect(result.value).toBeUndefined();
          expect(result.diagnostics).toEqual([{ pointer: '/v', message: expect.stringMatching(/^is out of range: /) }]);
          return;
        }
        expect(result.diagnostics).toEqual([]);
        expect((result.value as { v: unknown }).v).toStrictEqual(expected(n));
        expect(stringifyExactJson(result.value)).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads the same integer written with a fraction of zeros or an exponent', () => {
    fc.assert(
      fc.property(integer, fc.nat({ max: 30 }), fc.nat({ max: 5 }), (n, shift, zeros) => {
        const digits = (n < 0n ? -n : n).toString();
        const sign = n < 0n ? '-' : '';
        // d.ddd × 10^e, the point moved `shift` places left (and more zeros after it).
        const point = Math.max(1, digits.length - shift);
        const mantissa = `${digits.slice(0, point)}.${digits.slice(point) || '0'}${'0'.repeat(zeros)}`;
        const forms = [`${sign}${digits}.${'0'.repeat(zeros + 1)}`, `${sign}${mantissa}e${digits.length - point}`, `${sign}${mantissa}E+${digits.length - point}`, `${sign}${digits}0e-1`];
        for (const form of forms) {
          const n2 = exactNumber(form);
          if (digitCount(n) > maxIntegerDigits) expect(n2, form).toEqual({ problem: expect.stringMatching(/^is out of range/) });
          else expect(n2, form).toStrictEqual(expected(n));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('never makes an integer of a number that is not one', () => {
    fc.assert(
      fc.property(integer, fc.stringMatching(/^[0-9]{0,30}[1-9]$/), fc.integer({ min: -400, max: 30 }), (n, fraction, exponent) => {
        const token = `${n}.${fraction}e${exponent}`;
        const exact = exactNumber(token);
        // Integer after all (the exponent moved every fractional digit left of the point): exact.
        if (exponent >= fraction.length) {
          const value = BigInt(`${n < 0n ? '-' : ''}${(n < 0n ? -n : n).toString()}${fraction}`) * 10n ** BigInt(exponent - fraction.length);
          const within = digitCount(value) <= maxIntegerDigits;
          if (within) expect(exact, token).toStrictEqual(expected(value));
          else expect(exact, token).toEqual({ problem: expect.stringMatching(/^is out of range/) });
          return;
        }
        if (typeof exact === 'object') expect(exact.problem, token).toMatch(/^is (not an integer|out of range)/);
        else {
          expect(typeof exact, token).toBe('number');
          expect(Number.isInteger(exact), token).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with JSON.parse on documents whose numbers are safe', () => {
    const safeJson = fc.jsonValue({ maxDepth: 4 }).filter((v) => !hasUnsafeNumber(v));
    fc.assert(
      fc.property(safeJson, (value) => {
        const text = JSON.stringify(value);
        const result = parseExactJson(text);
        expect(result.diagnostics).toEqual([]);
        expect(result.value).toStrictEqual(JSON.parse(text));
        expect(stringifyExactJson(result.value)).toBe(text);
      }),
      { numRuns: 500 },
    );
  });
});

/** A number JSON.stringify writes as a text that is an integer beyond 2^53 (1e+21) or a fraction lost to rounding. */
function hasUnsafeNumber(v: unknown): boolean {
  if (typeof v === 'number') return Number.isInteger(v) && !Number.isSafeInteger(v);
  if (Array.isArray(v)) return v.some(hasUnsafeNumber);
  if (v !== null && typeof v === 'object') return Object.values(v).some(hasUnsafeNumber);
  return false;
}

describe('parseExactJson: repeated keys', () => {
  const key = fc.oneof(fc.constantFrom('a', 'b', '~', '/', 'a/b', 'memory', '__proto__'), fc.string({ maxLength: 4 }));
  const member = fc.jsonValue({ maxDepth: 1 }).filter((v) => !hasUnsafeNumber(v));
  // "x" and "other" are the filler keys around the repeat.
  const path = fc.array(fc.oneof(key.filter((k) => k !== 'x'), fc.nat({ max: 2 })), { maxLength: 5 });

  it('refuses a key given twice at the pointer of the repeat, whatever the values and however the key is escaped', () => {
    fc.assert(
      fc.property(path, key.filter((k) => k !== 'other'), member, member, fc.boolean(), (tokens, repeated, first, second, escapeAll) => {
        // The object holding the repeat sits at `tokens`; array tokens become arrays of that length.
        const spelled = escapeAll ? `"${[...repeated].map((ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"` : JSON.stringify(repeated);
        let text = `{${JSON.stringify(repeated)}:${JSON.stringify(first)},"other":1,${spelled}:${JSON.stringify(second)}}`;
        let pointer = `/${escapeToken(repeated)}`;
        for (const token of [...tokens].reverse()) {
          if (typeof token === 'number') {
            text = `[${Array(token).fill('0').concat(text).join(',')}]`;
            pointer = `/${token}${pointer}`;
          } else {
            text = `{"x":[1,{"y":2}],${JSON.stringify(token)}:${text}}`;
            pointer = `/${escapeToken(token)}${pointer}`;
          }
        }
        const result = parseExactJson(text);
        expect(result.value).toBeUndefined();
        expect(result.diagnostics).toEqual([{ pointer, message: expect.stringMatching(/^is given twice in one object/) }]);
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseExactJson: depth', () => {
  it(`reads nesting up to ${maxJsonDepth} levels and refuses deeper with the pointer of the first level too many, never overflowing the stack`, () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 * maxJsonDepth }), fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }), (depth, shapes) => {
        let open = '';
        let close = '';
        const tokens: string[] = [];
        for (let level = 0; level < depth; level++) {
          const object = shapes[level % shapes.length]!;
          open += object ? '{"k":' : '[';
          close = (object ? '}' : ']') + close;
          tokens.push(object ? 'k' : '0');
        }
        const result = parseExactJson(`${open}1${close}`);
        if (depth <= maxJsonDepth) {
          expect(result.diagnostics).toEqual([]);
        } else {
          const pointer = tokens.slice(0, maxJsonDepth).map((t) => `/${t}`).join('');
          expect(result.diagnostics).toEqual([{ pointer, message: `nests deeper than ${maxJsonDepth} levels, the most berth reads` }]);
        }
      }),
      { numRuns: 300 },
    );
  });
});
